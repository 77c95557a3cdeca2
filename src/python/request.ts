/**
 * Python version requests: what a user may write after `dhtl python install`, in
 * .python-version or in .dhtconfig python.version.
 *
 *   3 · 3.11 · 311 · 3.11.7              a major, a minor, or an exact release
 *   >=3.10,<3.13 · ~=3.11.0 · ==3.12.*   PEP 440 specifiers (the subset that makes sense for interpreters)
 *   cpython@3.12 · cpython-3.12 · cpython3.12 · python3.12
 *   cpython-3.11.7-linux-x86_64-gnu      a full install key (platform included)
 *
 * Matching follows uv: a minor request matches any patch of that minor, an exact request
 * only that release, and pre-releases only match when the request names one. Among the
 * matches the newest stable release wins (callers sort; see `newestMatch`).
 */
import { usageError } from "../errors.ts";
import { compareVersions, isPrerelease, parseVersion, type Version } from "./version.ts";

export type SpecifierOp = "==" | "!=" | "<=" | ">=" | "<" | ">" | "~=" | "===";

export interface Specifier {
  op: SpecifierOp;
  /** The version text after the operator (without ".*"). */
  version: string;
  /** `==3.11.*` / `!=3.11.*`. */
  wildcard: boolean;
}

export type RequestKind = "any" | "major" | "minor" | "exact" | "range";

export interface PythonRequest {
  /** What the user wrote. */
  raw: string;
  /** "cpython" unless another implementation was named (pypy, graalpy: discovery only). */
  implementation: string;
  kind: RequestKind;
  major?: number;
  minor?: number;
  patch?: number;
  /** Pre-release of an exact request ("3.13.0rc1"). */
  pre?: Version["pre"];
  specifiers: Specifier[];
  /** A platform from a full key ("linux-x86_64-gnu"); darwin spelled as in the manifest. */
  platform?: string;
}

const OPS: SpecifierOp[] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];
const IMPLEMENTATIONS = ["cpython", "pypy", "graalpy"];

/** Parse "`>=3.10, <3.13`" into specifiers; throws a usage error naming the bad part. */
export function parseSpecifiers(text: string, subject?: string): Specifier[] {
  const out: Specifier[] = [];
  for (const part of text.split(",")) {
    const item = part.trim();
    if (!item) continue;
    const op = OPS.find((o) => item.startsWith(o));
    if (!op) throw badRequest(text, `"${item}" has no comparison operator (one of ${OPS.join(" ")})`, subject);
    let version = item.slice(op.length).trim();
    let wildcard = false;
    if (version.endsWith(".*")) {
      if (op !== "==" && op !== "!=") throw badRequest(text, `".*" is only allowed with == and != (in "${item}")`, subject);
      wildcard = true;
      version = version.slice(0, -2);
    }
    if (op !== "===" && !parseVersion(version)) throw badRequest(text, `"${version}" is not a version (in "${item}")`, subject);
    if (op === "~=" && version.split(".").length < 2) {
      throw badRequest(text, `~= needs at least two version parts, e.g. ~=3.11 or ~=3.11.0 (in "${item}")`, subject);
    }
    out.push({ op, version, wildcard });
  }
  if (!out.length) throw badRequest(text, "no version specifiers found", subject);
  return out;
}

function badRequest(raw: string, why: string, subject?: string) {
  return usageError(`invalid Python version request "${raw}": ${why}`, {
    subject: subject ?? raw,
    hint: 'write e.g. "3.12", "3.11.7", ">=3.10,<3.13", "~=3.11.0" or "cpython@3.12"',
  });
}

/** Parse a request; `subject` names where it came from (".python-version:1", "--python"). */
export function parsePythonRequest(input: string, subject?: string): PythonRequest {
  const raw = input.trim();
  let rest = raw.toLowerCase();
  let implementation = "cpython";
  let platform: string | undefined;

  if (rest === "" || rest === "python" || rest === "python3" || rest === "cpython" || rest === "any" || rest === "default") {
    return { raw, implementation, kind: rest === "python3" ? "major" : "any", major: rest === "python3" ? 3 : undefined, specifiers: [] };
  }

  // Full install key: cpython-3.11.7-linux-x86_64-gnu (macos accepted for darwin, like uv's keys).
  const key = /^(cpython|pypy|graalpy)-(\d+(?:\.\d+){0,2}[a-z0-9]*)-(linux|darwin|macos|windows)-([a-z0-9_]+)-([a-z]+)$/.exec(rest);
  if (key) {
    implementation = key[1]!;
    rest = key[2]!;
    platform = `${key[3] === "macos" ? "darwin" : key[3]}-${key[4]}-${key[5]}`;
  } else {
    const impl = /^(cpython|pypy|graalpy|python|py|cp)(?:@|-|(?=\d))/.exec(rest);
    if (impl) {
      const name = impl[1]!;
      implementation = name === "python" || name === "py" || name === "cp" ? "cpython" : name;
      rest = rest.slice(impl[0].length);
    } else if (/^[a-z]+@/.test(rest)) {
      const name = rest.split("@")[0]!;
      throw usageError(`unknown Python implementation "${name}" in "${raw}"`, {
        subject: subject ?? raw,
        hint: `one of ${IMPLEMENTATIONS.join(", ")} (downloads are CPython only)`,
      });
    }
  }

  if (/^[<>=!~]/.test(rest)) {
    return { raw, implementation, kind: "range", specifiers: parseSpecifiers(rest, subject), platform };
  }
  // "311" means 3.11 (uv and the py launcher accept it).
  const compact = /^([23])(\d{1,2})$/.exec(rest);
  if (compact) rest = `${compact[1]}.${compact[2]}`;

  const version = parseVersion(rest);
  if (!version || version.post !== undefined || version.dev !== undefined || version.release.length > 3) {
    throw badRequest(raw, "not a version, a version range or an implementation@version", subject);
  }
  const [major, minor, patch] = version.release;
  // Python 2.7 is still set up (old projects): its venv is made by virtualenv, its packages
  // installed by the pip virtualenv seeds (src/env/legacy-venv.ts). Older 2.x never.
  if (major !== 3 && !(major === 2 && (minor === undefined || minor === 7))) {
    throw usageError(`Python ${major}${minor !== undefined ? `.${minor}` : ""} is not supported ("${raw}")`, { subject: subject ?? raw, hint: "request Python 2.7 or 3.x, e.g. 3.12" });
  }
  if (version.pre && patch === undefined) throw badRequest(raw, "a pre-release needs a full version, e.g. 3.13.0rc1", subject);
  const kind: RequestKind = patch !== undefined ? "exact" : minor !== undefined ? "minor" : "major";
  return { raw, implementation, kind, major, minor, patch, pre: version.pre, specifiers: [], platform };
}

/** Canonical text for messages: "3.11", "3.11.7", ">=3.10,<3.13", "any Python". */
export function describeRequest(r: PythonRequest): string {
  const impl = r.implementation === "cpython" ? "" : `${r.implementation}@`;
  switch (r.kind) {
    case "any":
      return impl ? `${r.implementation} (any version)` : "any Python 3";
    case "major":
      return `${impl}${r.major}`;
    case "minor":
      return `${impl}${r.major}.${r.minor}`;
    case "exact":
      return `${impl}${r.major}.${r.minor}.${r.patch}${r.pre ? `${r.pre[0]}${r.pre[1]}` : ""}`;
    case "range":
      return `${impl}${r.specifiers.map((s) => `${s.op}${s.version}${s.wildcard ? ".*" : ""}`).join(",")}`;
  }
}

/** The exact version asked for, when the request pins one ("3.11.7"). */
export function exactVersion(r: PythonRequest): string | undefined {
  return r.kind === "exact" ? describeRequest({ ...r, implementation: "cpython" }) : undefined;
}

/** The minor a request is about, when there is exactly one ("3.11" for 3.11 and 3.11.7). */
export function requestMinor(r: PythonRequest): string | undefined {
  return r.kind === "minor" || r.kind === "exact" ? `${r.major}.${r.minor}` : undefined;
}

const releaseEq = (a: number[], b: number[]) => {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return false;
  return true;
};

/** Does `candidate` satisfy one PEP 440 specifier? */
export function specifierMatches(spec: Specifier, candidate: Version): boolean {
  if (spec.op === "===") return candidate.text === spec.version;
  const target = parseVersion(spec.version)!;
  if (spec.wildcard) {
    const prefix = target.release;
    const head = candidate.release.slice(0, prefix.length);
    while (head.length < prefix.length) head.push(0);
    const match = releaseEq(head, prefix);
    return spec.op === "==" ? match : !match;
  }
  const cmp = compareVersions(candidate, target);
  switch (spec.op) {
    case "==":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
    case "<=":
      return cmp <= 0;
    case ">=":
      return cmp >= 0;
    case "<":
      // "<3.13" must not admit 3.13.0rc1 (PEP 440: exclusive ordered comparison).
      return cmp < 0 && !(isPrerelease(candidate) && !isPrerelease(target) && releaseEq(candidate.release, target.release));
    case ">":
      return cmp > 0 && !(candidate.post !== undefined && target.post === undefined && releaseEq(candidate.release, target.release));
    case "~=": {
      const prefix = target.release.slice(0, -1);
      const head = candidate.release.slice(0, prefix.length);
      return cmp >= 0 && releaseEq(head, prefix);
    }
  }
}

/** Does an interpreter or build of `version` (and `implementation`) satisfy the request? */
export function requestMatches(r: PythonRequest, version: string, implementation = "cpython"): boolean {
  if (implementation.toLowerCase() !== r.implementation) return false;
  const v = parseVersion(version);
  if (!v) return false;
  const [major, minor, patch] = v.release;
  switch (r.kind) {
    case "any":
      return major === 3 && !isPrerelease(v);
    case "major":
      return major === r.major && !isPrerelease(v);
    case "minor":
      return major === r.major && minor === r.minor && !isPrerelease(v);
    case "exact": {
      if (major !== r.major || minor !== r.minor || (patch ?? 0) !== r.patch) return false;
      if (!r.pre) return !isPrerelease(v);
      return v.pre !== undefined && v.pre[0] === r.pre[0] && v.pre[1] === r.pre[1];
    }
    case "range": {
      const namesPre = r.specifiers.some((s) => s.op !== "===" && isPrerelease(parseVersion(s.version)!));
      if (isPrerelease(v) && !namesPre) return false;
      return r.specifiers.every((s) => specifierMatches(s, v));
    }
  }
}

/** The newest item whose version satisfies the request (items in any order). */
export function newestMatch<T>(r: PythonRequest, items: T[], versionOf: (t: T) => string, implOf?: (t: T) => string): T | undefined {
  let best: { item: T; v: Version } | undefined;
  for (const item of items) {
    if (!requestMatches(r, versionOf(item), implOf ? implOf(item) : "cpython")) continue;
    const v = parseVersion(versionOf(item))!;
    if (!best || compareVersions(v, best.v) > 0) best = { item, v };
  }
  return best?.item;
}

/**
 * For an exact request that cannot be met: the same minor's nearest patch (smallest
 * distance; on a tie the newer one, which carries the security fixes).
 */
export function nearestPatch<T>(r: PythonRequest, items: T[], versionOf: (t: T) => string): T | undefined {
  if (r.kind !== "exact") return undefined;
  let best: { item: T; distance: number; patch: number } | undefined;
  for (const item of items) {
    const v = parseVersion(versionOf(item));
    if (!v || isPrerelease(v)) continue;
    const [major, minor, patch = 0] = v.release;
    if (major !== r.major || minor !== r.minor) continue;
    const distance = Math.abs(patch - r.patch!);
    if (!best || distance < best.distance || (distance === best.distance && patch > best.patch)) best = { item, distance, patch };
  }
  return best?.item;
}
