/**
 * pip requirements files, read the way pip reads them (pip/_internal/req/req_file.py):
 *
 *  1. physical lines ending in "\" are joined with the next one;
 *  2. comments are removed: "#" at the start of a line or after whitespace
 *     ("pkg#egg" keeps its "#", as URLs need it);
 *  3. `${VAR}` (upper-case letters, digits, "_") is replaced by the variable when it is set
 *     and left alone otherwise (reported as a warning);
 *  4. the line is split at the first word starting with "-": before it a requirement,
 *     after it options. A requirement line may carry only per-requirement options
 *     (--hash, --config-settings, --global-option); a line without a requirement carries
 *     file options (-r, -c, -e, -i, --extra-index-url, -f, --trusted-host, --pre, ...).
 *
 * `-r`/`-c` paths are relative to the file that names them; includes are followed
 * recursively and a cycle is an error showing the chain. Every requirement keeps its
 * origin (file:line). A line that cannot be read is a DhtError (exit 2) naming file:line —
 * never skipped, because an installer would fail on it later with less context.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { projectBoundary, readProjectText } from "./read-project-file.ts";
import { normalizeName, parseMarker, markerToString, parseRequirement, Pep508Error, type Requirement } from "./pep508.ts";

export interface RequirementsOptions {
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  trustedHosts: string[];
  noIndex: boolean;
  pre: boolean;
  /** --only-binary values (":all:", ":none:" or package names). */
  onlyBinary: string[];
  noBinary: string[];
  preferBinary: boolean;
  requireHashes: boolean;
  /** "indexUrl" / "extraIndexUrls.0" / "pre" → "requirements.txt:3". */
  origins: Record<string, string>;
}

/** A requirement from a requirements file, with pip's per-requirement options. */
export interface FileRequirement extends Requirement {
  origin: string;
  /** --config-settings KEY=VALUE and --global-option values, as written. */
  installOptions?: string[];
  /** True when it came from a -c file (a constraint, not something to install). */
  constraint?: boolean;
}

export interface RequirementsFile {
  /** Absolute path of the file that was asked for. */
  path: string;
  /** Everything to install, from this file and its -r includes, in file order. */
  requirements: FileRequirement[];
  /** Everything from -c files (and their includes). */
  constraints: FileRequirement[];
  options: RequirementsOptions;
  /** Every file read, absolute, in the order first read. */
  files: string[];
  /** Things pip would accept but that deserve a word ("${TOKEN} is not set"). */
  warnings: string[];
}

export interface ParseRequirementsOptions {
  env?: Record<string, string | undefined>;
  /**
   * Directory relative local paths (`./pkg`, `-e .`) are resolved against. pip uses its
   * working directory; dhtl runs installs from the project root, which is the default
   * (the directory of the top-level file) unless given.
   */
  cwd?: string;
  /** Origins are shown relative to this directory (default: cwd). */
  displayRoot?: string;
  /** Includes (-r/-c) must stay inside this directory (default: projectBoundary(cwd)). */
  boundary?: string;
}

const REQ_OPTIONS_WITH_VALUE = new Set(["--hash", "--config-settings", "-C", "--global-option"]);
const FILE_OPTIONS_WITH_VALUE = new Set([
  "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
  "--extra-index-url", "-f", "--find-links", "--trusted-host", "--only-binary", "--no-binary", "--use-feature",
]);
const FILE_FLAGS = new Set(["--pre", "--no-index", "--prefer-binary", "--require-hashes"]);
const LONG_ALIASES: Record<string, string> = {
  "-r": "--requirement",
  "-c": "--constraint",
  "-e": "--editable",
  "-i": "--index-url",
  "-f": "--find-links",
  "-C": "--config-settings",
};
const STRONG_HASHES = new Set(["sha256", "sha384", "sha512"]);
const ARCHIVE_RE = /\.(whl|zip|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tar|tar\.lz|tlz)$/i;

/** Logical lines: continuation-joined, comments stripped, numbered by their first physical line. */
export function logicalLines(text: string): Array<{ line: number; text: string }> {
  const physical = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const out: Array<{ line: number; text: string }> = [];
  let buffer: string[] = [];
  let start = 0;
  const isComment = (l: string) => /^\s*#/.test(l);
  physical.forEach((raw, idx) => {
    const n = idx + 1;
    if (!raw.endsWith("\\") || isComment(raw)) {
      const l = isComment(raw) ? ` ${raw}` : raw;
      if (buffer.length) {
        buffer.push(l);
        out.push({ line: start, text: buffer.join("") });
        buffer = [];
      } else out.push({ line: n, text: l });
    } else {
      if (!buffer.length) start = n;
      buffer.push(raw.replace(/\\+$/, (m) => m.slice(0, m.length - 1)));
    }
  });
  if (buffer.length) out.push({ line: start, text: buffer.join("") });
  return out
    .map(({ line, text: t }) => ({ line, text: stripComment(t).trim() }))
    .filter((l) => l.text !== "");
}

/**
 * pip's comment rule: "#" at the start or after whitespace starts a comment. A scan, not
 * /(^|\s+)#.*$/: that regex backtracks over every run of spaces from every position
 * (200 000 spaces took 19 s).
 */
function stripComment(line: string): string {
  for (let i = line.indexOf("#"); i >= 0; i = line.indexOf("#", i + 1)) {
    if (i === 0 || /\s/.test(line[i - 1]!)) return line.slice(0, i);
  }
  return line;
}

/**
 * pip's env-var expansion: only `${UPPER_CASE}` and only when set. Inside the user info of
 * a URL (`https://${USER}:${TOKEN}@host`) references are kept as written: they are
 * credentials, resolved only into the installer's environment (src/registries), so the
 * parsed data never holds a secret.
 */
export function expandEnvVars(text: string, env: Record<string, string | undefined>, unset: string[] = []): string {
  const kept: string[] = [];
  const masked = text.replace(/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*@)/gi, (_m, scheme: string, info: string) => {
    // Kept, but a reference to an unset variable is still worth a word: the installer will
    // send it literally (FastAPI's `git+https://${TOKEN}@github.com/...` docs requirements).
    for (const ref of info.matchAll(/\$\{([A-Z0-9_]+)\}/g)) if (!env[ref[1]!]) unset.push(ref[1]!);
    kept.push(info);
    return `${scheme}\u0000${kept.length - 1}\u0000`;
  });
  const expanded = masked.replace(/\$\{([A-Z0-9_]+)\}/g, (m, name: string) => {
    const v = env[name];
    if (!v) {
      unset.push(name);
      return m;
    }
    return v;
  });
  return expanded.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => kept[Number(i)]!);
}

/** Split like shlex (quotes and backslash escapes), enough for option values. */
function shellSplit(text: string, fail: (msg: string) => never): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) fail(`unterminated ${quote} quote`);
  if (has || cur) out.push(cur);
  return out;
}

interface ParsedOption {
  name: string; // long form
  value?: string;
}

function parseOptions(tokens: string[], fail: (msg: string) => never): ParsedOption[] {
  const out: ParsedOption[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (!tok.startsWith("-")) fail(`unexpected "${tok}" among options (a requirement must come before options on its line)`);
    let name = tok;
    let value: string | undefined;
    if (tok.startsWith("--")) {
      const eq = tok.indexOf("=");
      if (eq > 0) {
        name = tok.slice(0, eq);
        value = tok.slice(eq + 1);
      }
    } else if (tok.length > 2) {
      // -rfile, -ihttps://...: optparse's attached short-option value
      name = tok.slice(0, 2);
      value = tok.slice(2);
    }
    const long = LONG_ALIASES[name] ?? name;
    const takesValue = FILE_OPTIONS_WITH_VALUE.has(name) || FILE_OPTIONS_WITH_VALUE.has(long) || REQ_OPTIONS_WITH_VALUE.has(name) || REQ_OPTIONS_WITH_VALUE.has(long);
    if (takesValue) {
      if (value === undefined) {
        value = tokens[++i];
        if (value === undefined) fail(`${tok} needs a value`);
      }
    } else if (FILE_FLAGS.has(long)) {
      if (value !== undefined) fail(`${name} takes no value`);
    } else {
      fail(`unknown option ${name} (pip does not accept it in a requirements file)`);
    }
    out.push({ name: long, ...(value !== undefined ? { value } : {}) });
  }
  return out;
}

/** Does this look like a local path rather than a project name (pip's _looks_like_path + archives)? */
function looksLikePath(s: string): boolean {
  return s.includes("/") || s.includes("\\") || s.startsWith(".") || s.startsWith("~") || ARCHIVE_RE.test(s);
}

function isUrl(s: string): boolean {
  return /^(git|hg|svn|bzr)\+[a-z]+:/i.test(s) || /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^file:/i.test(s);
}

/** `#egg=name` of a URL or VCS reference. */
function eggName(url: string): string | undefined {
  const m = /[#&]egg=([^&]+)/.exec(url);
  return m ? m[1]!.replace(/\[.*$/, "") : undefined;
}

/** Project name from a wheel or sdist file name: "six-1.16.0-py2.py3-none-any.whl" → "six". */
export function nameFromArchive(file: string): string | undefined {
  const base = file.split(/[\\/]/).pop()!.replace(/[?#].*$/, "");
  const wheel = /^([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^-]*(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/i.exec(base);
  if (wheel) return wheel[1];
  const sdist = /^(.+?)-(\d[^-]*)\.(tar\.gz|tgz|zip|tar\.bz2|tar\.xz|tar)$/i.exec(base);
  return sdist?.[1];
}

function splitTrailingExtras(s: string): { base: string; extras: string[] } {
  const m = /^(.*?)(\[([^\]]*)\])$/.exec(s);
  if (!m) return { base: s, extras: [] };
  return { base: m[1]!, extras: m[3]!.split(",").map((e) => e.trim()).filter(Boolean) };
}

/**
 * One requirement written as a path, URL or PEP 508 string (what follows "-e", or the
 * requirement part of a line).
 */
function parseRequirementText(text: string, editable: boolean, cwd: string, origin: string, fail: (msg: string) => never, home?: string): FileRequirement {
  const trimmed = text.trim();
  // One \s* between name and "@" (two adjacent ones backtrack quadratically over spaces).
  const nameAt = /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\]\s*)?@/.test(trimmed);
  if (!nameAt && (isUrl(trimmed) || looksLikePath(trimmed) || editable)) {
    // pip: a URL's marker needs "; " (a ";" can occur inside URLs); a path's just ";".
    const sep = isUrl(trimmed) ? /\s*; /.exec(trimmed) ?? /\s+;/.exec(trimmed) : /;/.exec(trimmed);
    let location = sep ? trimmed.slice(0, sep.index).trim() : trimmed;
    let marker: string | undefined;
    if (sep) {
      try {
        marker = markerToString(parseMarker(trimmed.slice(sep.index + sep[0].length).trim()));
      } catch (e) {
        fail(`invalid environment marker: ${(e as Error).message}`);
      }
    }
    let extras: string[] = [];
    if (!isUrl(location)) {
      ({ base: location, extras } = splitTrailingExtras(location));
    }
    let name: string | undefined;
    const req: FileRequirement = { name: "", normalizedName: "", extras, specifier: "", raw: trimmed, origin };
    if (isUrl(location)) {
      if (/^file:/i.test(location)) {
        // file:///abs, file://localhost/abs, and pip's relative file:./dir
        req.path = resolve(cwd, decodeURIComponent(location.replace(/^file:(\/\/(localhost)?)?/i, "").replace(/#.*$/, "")));
        name = eggName(location) ?? nameFromArchive(req.path);
      } else {
        req.url = location;
        name = eggName(location) ?? nameFromArchive(location);
      }
      if (/^(git|hg|svn|bzr)\+/i.test(location) && !/^(git|hg|svn|bzr)\+(https?|ssh|file|git|svn|bzr|hg)(:\/\/|:)/i.test(location)) {
        fail(`"${location}" is not a VCS URL pip understands (expected git+https://, git+ssh://, git+file://)`);
      }
    } else if (looksLikePath(location) || editable) {
      // pip: `-e name` is a directory when one exists there, otherwise an error.
      if (!looksLikePath(location) && !existsSync(resolve(cwd, location))) fail(`-e needs a local path or a VCS URL, got "${location}"`);
      req.path = resolve(cwd, home ? location.replace(/^~(?=\/|$)/, home) : location);
      name = nameFromArchive(location);
    }
    if (name) {
      req.name = name;
      req.normalizedName = normalizeName(name);
    }
    if (marker) req.marker = marker;
    if (editable) req.editable = true;
    return req;
  }
  if (editable) fail(`-e needs a local path or a VCS URL, got "${trimmed}"`);
  try {
    return { ...parseRequirement(trimmed), origin };
  } catch (e) {
    if (e instanceof Pep508Error) fail(`invalid requirement "${trimmed}": ${e.message}`);
    throw e;
  }
}

interface WalkState {
  env: Record<string, string | undefined>;
  cwd: string;
  displayRoot: string;
  result: RequirementsFile;
  /** Files being read right now, with the line that included the next one. */
  stack: Array<{ file: string; line?: number }>;
  seen: Set<string>;
  boundary: string;
}

function display(state: WalkState, file: string): string {
  const rel = relative(state.displayRoot, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

function readOne(file: string, text: string, constraint: boolean, state: WalkState, outside?: string): void {
  const { result, env } = state;
  const opts = result.options;
  const shown = display(state, file);
  for (const { line, text: logical } of logicalLines(text)) {
    const origin = `${shown}:${line}`;
    const fail = (msg: string): never => {
      // A file that really lies outside the project (requirements.txt -> /etc/shadow) is
      // never quoted: its lines may be anyone's secrets.
      if (outside) {
        throw new DhtError(ExitCode.usage, `${origin}: not a valid requirements line (its text is not shown: ${shown} is a link to ${outside}, outside the project)`, {
          subject: origin,
          hint: `check that ${shown} is the file you meant; dhtl does not print the contents of files outside the project`,
        });
      }
      throw new DhtError(ExitCode.usage, `${origin}: ${msg}`, {
        subject: origin,
        hint: "fix this line (pip's requirements format: https://pip.pypa.io/en/stable/reference/requirements-file-format/)",
        details: { line: logical },
      });
    };
    const unset: string[] = [];
    const expanded = expandEnvVars(logical, env, unset);
    for (const name of unset) result.warnings.push(`${origin}: \${${name}} is not set; the line is used as written`);

    // pip's break_args_options: the requirement is everything before the first "-word".
    const words = expanded.split(" ");
    const firstOpt = words.findIndex((w) => w.startsWith("-"));
    const reqText = (firstOpt < 0 ? words : words.slice(0, firstOpt)).join(" ").trim();
    const optText = firstOpt < 0 ? "" : words.slice(firstOpt).join(" ");
    const options = parseOptions(shellSplit(optText, fail), fail);

    if (reqText) {
      const bad = options.find((o) => !["--hash", "--config-settings", "--global-option"].includes(o.name));
      if (bad) fail(`${bad.name} cannot follow a requirement on the same line (only --hash, --config-settings, --global-option can)`);
      const req = parseRequirementText(reqText, false, state.cwd, origin, fail, env.HOME);
      applyPerRequirement(req, options, fail);
      push(result, req, constraint);
      continue;
    }
    for (const o of options) {
      const v = o.value ?? "";
      switch (o.name) {
        case "--requirement":
        case "--constraint": {
          if (isUrl(v)) fail(`${o.name} ${v}: dhtl does not fetch requirement files over the network; download it into the project and refer to the file`);
          const target = resolve(dirname(file), v);
          include(target, o.name === "--constraint" || constraint, state, line, origin);
          break;
        }
        case "--editable": {
          const req = parseRequirementText(v, true, state.cwd, origin, fail, env.HOME);
          push(result, req, constraint);
          break;
        }
        case "--index-url":
          opts.indexUrl = v;
          opts.origins.indexUrl = origin;
          break;
        case "--extra-index-url":
          if (!opts.extraIndexUrls.includes(v)) {
            opts.origins[`extraIndexUrls.${opts.extraIndexUrls.length}`] = origin;
            opts.extraIndexUrls.push(v);
          }
          break;
        case "--find-links": {
          // A relative find-links directory is relative to the requirements file (pip does that
          // when the directory exists there).
          const fl = isUrl(v) || isAbsolute(v) || !existsSync(resolve(dirname(file), v)) ? v : resolve(dirname(file), v);
          opts.origins[`findLinks.${opts.findLinks.length}`] = origin;
          opts.findLinks.push(fl);
          break;
        }
        case "--trusted-host":
          opts.origins[`trustedHosts.${opts.trustedHosts.length}`] = origin;
          opts.trustedHosts.push(v);
          break;
        case "--no-index":
          opts.noIndex = true;
          opts.origins.noIndex = origin;
          break;
        case "--pre":
          opts.pre = true;
          opts.origins.pre = origin;
          break;
        case "--prefer-binary":
          opts.preferBinary = true;
          opts.origins.preferBinary = origin;
          break;
        case "--require-hashes":
          opts.requireHashes = true;
          opts.origins.requireHashes = origin;
          break;
        case "--only-binary":
          opts.onlyBinary.push(...v.split(",").map((s) => s.trim()).filter(Boolean));
          break;
        case "--no-binary":
          opts.noBinary.push(...v.split(",").map((s) => s.trim()).filter(Boolean));
          break;
        case "--use-feature":
          result.warnings.push(`${origin}: --use-feature=${v} is passed to pip only; uv ignores it`);
          break;
        default:
          fail(`${o.name} must follow a requirement on the same line`);
      }
    }
  }
}

function applyPerRequirement(req: FileRequirement, options: ParsedOption[], fail: (msg: string) => never): void {
  for (const o of options) {
    if (o.name === "--hash") {
      const m = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(o.value ?? "");
      if (!m) fail(`--hash must look like sha256:<hex>, got "${o.value}"`);
      if (!STRONG_HASHES.has(m![1]!)) fail(`--hash algorithm "${m![1]}" is not allowed (use sha256, sha384 or sha512)`);
      const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
      if (m![2]!.length !== lengths[m![1]!]) fail(`--hash ${m![1]} value must be ${lengths[m![1]!]} hex digits, got ${m![2]!.length}`);
      (req.hashes ??= []).push(`${m![1]}:${m![2]!.toLowerCase()}`);
    } else {
      (req.installOptions ??= []).push(`${o.name}=${o.value}`);
    }
  }
}

function push(result: RequirementsFile, req: FileRequirement, constraint: boolean): void {
  if (constraint) result.constraints.push({ ...req, constraint: true });
  else result.requirements.push(req);
}

function include(target: string, constraint: boolean, state: WalkState, line: number, origin: string): void {
  const top = state.stack[state.stack.length - 1]!;
  top.line = line;
  if (state.stack.some((s) => s.file === target)) {
    const chain = [...state.stack.map((s) => `${display(state, s.file)}:${s.line}`), display(state, target)].join(" -> ");
    throw new DhtError(ExitCode.usage, `requirement files include each other in a cycle: ${chain}`, {
      subject: origin,
      hint: "remove one of the -r/-c lines so that the files form a tree",
      details: { chain },
    });
  }
  if (state.seen.has(`${constraint}:${target}`)) return; // included twice (a diamond): read once
  readFile(target, constraint, state, origin);
}

/** `includedAt`: the -r/-c line that names the file (undefined for the top-level file). */
function readFile(file: string, constraint: boolean, state: WalkState, includedAt?: string): void {
  const shown = display(state, file);
  const read = readProjectText(file, { display: includedAt ? `${includedAt}: included file ${shown}` : shown, boundary: state.boundary, what: "requirement files" });
  if (!read) {
    if (!includedAt) throw new DhtError(ExitCode.usage, `requirements file ${shown} does not exist`, { subject: shown, hint: "check dependencies.files in .dhtconfig or the path you gave" });
    throw new DhtError(ExitCode.usage, `${includedAt}: included file ${shown} does not exist`, {
      subject: includedAt,
      hint: `paths after -r and -c are relative to the file that contains them (${dirname(display(state, state.stack[state.stack.length - 1]!.file)) || "."})`,
    });
  }
  if (includedAt && read.outside) {
    throw new DhtError(ExitCode.usage, `${includedAt}: included file ${shown} lies outside the project (${read.real})`, {
      subject: includedAt,
      hint: `-r and -c may name files inside the project (${state.boundary}) only; copy the file into the project`,
    });
  }
  state.seen.add(`${constraint}:${file}`);
  if (!state.result.files.includes(file)) state.result.files.push(file);
  state.stack.push({ file });
  readOne(file, read.text, constraint, state, read.outside ? read.real : undefined);
  state.stack.pop();
}

export function emptyRequirementsOptions(): RequirementsOptions {
  return { extraIndexUrls: [], findLinks: [], trustedHosts: [], noIndex: false, pre: false, onlyBinary: [], noBinary: [], preferBinary: false, requireHashes: false, origins: {} };
}

/** Read a requirements file and everything it includes. */
export async function parseRequirementsFile(path: string, opts: ParseRequirementsOptions = {}): Promise<RequirementsFile> {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new DhtError(ExitCode.usage, `requirements file ${path} does not exist`, { subject: path, hint: "check dependencies.files in .dhtconfig or the path you gave" });
  }
  const cwd = opts.cwd ?? dirname(file);
  const result: RequirementsFile = { path: file, requirements: [], constraints: [], options: emptyRequirementsOptions(), files: [], warnings: [] };
  readFile(file, false, { env: opts.env ?? process.env, cwd, displayRoot: opts.displayRoot ?? cwd, result, stack: [], seen: new Set(), boundary: opts.boundary ?? projectBoundary(cwd) });
  return result;
}
