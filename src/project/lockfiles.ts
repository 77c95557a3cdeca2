/**
 * Lock files a project may carry, detected and read enough to say what they pin:
 * uv.lock (TOML [[package]] name/version/source), poetry.lock and pdm.lock (TOML
 * [[package]] name/version), Pipfile.lock (JSON default/develop → name: {version: "==x"}).
 * dhtl does not resolve from them itself: uv and pip do; this tells the plan what is pinned.
 */
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { readProjectText } from "./read-project-file.ts";
import { parseTomlText } from "./python-version.ts";
import { DhtError, ExitCode } from "../errors.ts";
import { normalizeName } from "./pep508.ts";
import { lockGraph, type LockFreshness, type LockGraph } from "./lock-pins.ts";

export type LockKind = "uv.lock" | "poetry.lock" | "Pipfile.lock" | "pdm.lock";
export const LOCK_KINDS: LockKind[] = ["uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock"];

export interface LockedPackage {
  name: string;
  normalizedName: string;
  version?: string;
  /** uv: "registry", "editable", "virtual", "git", "url", "path", "directory"; Pipfile.lock: "default"/"develop". */
  source?: string;
  /** uv.lock: the index URL a registry package was resolved against (`source = { registry = "…" }`). */
  registry?: string;
}

export interface LockFile {
  kind: LockKind;
  path: string;
  packages: LockedPackage[];
  /** poetry.lock, pdm.lock, Pipfile.lock: what installing exactly from them needs (src/project/lock-pins.ts). */
  graph?: LockGraph;
  /** Whether the lock still matches the project file it was made from (set by readDeclaredProject). */
  freshness?: LockFreshness;
  /** The parsed file, for the freshness check (not part of any output). */
  data?: Record<string, unknown>;
  /** Format version where the file states one (uv.lock `version`, poetry `lock-version`, Pipfile.lock `_meta.pipfile-spec`). */
  formatVersion?: string;
}

/** Which lock kind a file name is, if any. */
export function lockKindOf(fileName: string): LockKind | undefined {
  const base = fileName.split(/[\\/]/).pop()!;
  return LOCK_KINDS.find((k) => k === base);
}

function parseToml(text: string, path: string): Record<string, unknown> {
  // file:line:column of the error, like every other TOML file dhtl reads.
  return parseTomlText(text, path, "regenerate it with the tool that wrote it (uv lock / poetry lock / pdm lock)");
}

export function parseLockFile(kind: LockKind, text: string, path: string): LockFile {
  if (kind === "Pipfile.lock") {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new DhtError(ExitCode.usage, `${path} is not valid JSON: ${(e as Error).message}`, { subject: path, hint: "regenerate it with pipenv lock" });
    }
    const packages: LockedPackage[] = [];
    for (const section of ["default", "develop"]) {
      for (const [name, entry] of Object.entries((data[section] ?? {}) as Record<string, { version?: string }>)) {
        const version = typeof entry?.version === "string" ? entry.version.replace(/^==/, "") : undefined;
        packages.push({ name, normalizedName: normalizeName(name), ...(version ? { version } : {}), source: section });
      }
    }
    const spec = (data._meta as { "pipfile-spec"?: number } | undefined)?.["pipfile-spec"];
    return withData({ kind, path, packages, graph: lockGraph(kind, data), ...(spec !== undefined ? { formatVersion: String(spec) } : {}) }, data);
  }
  const data = parseToml(text, path);
  const list = Array.isArray(data.package) ? (data.package as Array<Record<string, unknown>>) : [];
  const packages = list
    .filter((p) => typeof p.name === "string")
    .map((p) => {
      const source = typeof p.source === "object" && p.source ? Object.keys(p.source as object)[0] : undefined;
      const registry = source === "registry" ? (p.source as { registry?: unknown }).registry : undefined;
      return {
        name: p.name as string,
        normalizedName: normalizeName(p.name as string),
        ...(typeof p.version === "string" ? { version: p.version } : {}),
        ...(source ? { source } : {}),
        ...(typeof registry === "string" ? { registry } : {}),
      };
    });
  const meta = data.metadata as Record<string, unknown> | undefined;
  const formatVersion = kind === "uv.lock" ? data.version : kind === "poetry.lock" ? meta?.["lock-version"] : meta?.lock_version;
  const graph = kind === "poetry.lock" || kind === "pdm.lock" ? lockGraph(kind, data) : undefined;
  return withData({ kind, path, packages, ...(graph ? { graph } : {}), ...(formatVersion !== undefined ? { formatVersion: String(formatVersion) } : {}) }, data);
}

/** The raw data rides along without showing up in JSON output (--json, checkpoints). */
function withData(lock: LockFile, data: Record<string, unknown>): LockFile {
  Object.defineProperty(lock, "data", { value: data, enumerable: false });
  return lock;
}

export function readLockFile(path: string): LockFile {
  const kind = lockKindOf(path);
  if (!kind) {
    throw new DhtError(ExitCode.usage, `${path} is not a lock file dhtl knows`, { subject: path, hint: `lock files dhtl reads: ${LOCK_KINDS.join(", ")}` });
  }
  const text = readProjectText(path, { display: kind, what: "lock files", maxBytes: 64 * 1024 * 1024 })?.text;
  if (text === undefined) throw new DhtError(ExitCode.usage, `${kind} does not exist at ${path}`, { subject: path });
  return parseLockFile(kind, text, path);
}

/** Lock files present in `root`, in the order dhtl prefers them. */
export function findLockFiles(root: string): Array<{ kind: LockKind; path: string }> {
  // lstat: a dangling or looping link is present (and refused by name when read).
  return LOCK_KINDS.map((kind) => ({ kind, path: join(root, kind) })).filter((l) => {
    try {
      lstatSync(l.path);
      return true;
    } catch {
      return false;
    }
  });
}
