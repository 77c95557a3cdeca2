/**
 * Where interpreters already on the machine are looked for. Listing candidates only reads
 * directories and stats files; what each one *is* comes from query.ts (cached).
 *
 * Sources, in the order they are reported:
 *   managed   dhtl's own installs (DHT_HOME/python)
 *   uv        uv's managed installs (UV_PYTHON_INSTALL_DIR, else $XDG_DATA_HOME/uv/python)
 *   path      PATH: per directory python3.X, python3, python, then pypy3.X, pypy3 (shim dirs skipped, see below)
 *   pyenv     $PYENV_ROOT/versions/* (default ~/.pyenv)
 *   asdf      $ASDF_DATA_DIR/installs/python/* (default ~/.asdf)
 *   mise      $MISE_DATA_DIR/installs/python/* (default $XDG_DATA_HOME/mise)
 *   system    /usr/bin, /usr/local/bin
 *   homebrew  $HOMEBREW_PREFIX, /opt/homebrew, /usr/local/opt/python@3.X, linuxbrew
 *   windows   the py launcher (`py -0p`) and PEP 514 registry entries
 *
 * Version-manager shims (…/shims/python3) are skipped on PATH: they pick an interpreter by
 * the current directory at run time, so a cached answer for them would be wrong; the
 * interpreters they dispatch to are found directly under the manager's versions dir.
 *
 * DHT_PYTHON_DISCOVERY=pyenv,path (or "none") limits the sources: for users who want only
 * some, and for tests that must not see the machine's interpreters.
 */
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, posix, win32 } from "node:path";
import { homePaths } from "../paths.ts";
import { minorOf } from "./version.ts";
import { parsePyLauncherList, parseRegQuery } from "./windows.ts";

export type CandidateSource = "managed" | "uv" | "path" | "pyenv" | "asdf" | "mise" | "system" | "homebrew" | "windows";
export const ALL_SOURCES: CandidateSource[] = ["managed", "uv", "path", "pyenv", "asdf", "mise", "system", "homebrew", "windows"];

export interface Candidate {
  path: string;
  source: CandidateSource;
  /** A version read from the layout (dir or file name) before running anything; may be a minor. */
  versionHint?: string;
}

export interface DiscoveryOptions {
  env: Record<string, string | undefined>;
  os: "linux" | "darwin" | "windows";
  /** DHT_HOME */
  home: string;
  /** The user's home directory. */
  userHome?: string;
  /**
   * When the request names one minor ("3.11"), only python3.11, python3 and python can
   * match in a PATH-like directory: those names are stat'ed instead of reading big
   * directories such as /usr/bin (this keeps a warm `dhtl python find 3.11` fast).
   */
  minor?: string;
  /** Runs a command for the Windows sources (py -0p, reg query); injectable for tests. */
  run?: (argv: string[]) => Promise<string | undefined>;
}

export function enabledSources(env: Record<string, string | undefined>): Set<CandidateSource> {
  const raw = env.DHT_PYTHON_DISCOVERY?.trim();
  if (!raw) return new Set(ALL_SOURCES);
  if (raw === "none") return new Set();
  return new Set(raw.split(/[\s,]+/).filter((s): s is CandidateSource => (ALL_SOURCES as string[]).includes(s)));
}

const UNIX_NAME = /^(python|pypy)([23](\.\d{1,2})?)?$/;
const WIN_NAME = /^(python|pypy)([23](\.\d{1,2})?)?\.exe$/i;

/** Names in a directory that look like interpreters, most specific first (python3.12, python3, python). */
export function interpreterNames(names: string[], os: DiscoveryOptions["os"]): string[] {
  const re = os === "windows" ? WIN_NAME : UNIX_NAME;
  const rank = (n: string) => (n.startsWith("pypy") ? 3 : 0) + (/\d\.\d/.test(n) ? 0 : /[23]/.test(n) ? 1 : 2);
  return names.filter((n) => re.test(n)).sort((a, b) => rank(a) - rank(b) || b.localeCompare(a, "en", { numeric: true }));
}

function hintFromName(name: string): string | undefined {
  return /(?:python|pypy)(\d\.\d{1,2})/i.exec(name)?.[1];
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function interpretersInDir(dir: string, source: CandidateSource, os: DiscoveryOptions["os"], minor?: string): Candidate[] {
  const joinFn = os === "windows" ? win32.join : posix.join;
  const names = minor
    ? [`python${minor}`, `python${minor.split(".")[0]}`, "python", `pypy${minor}`, `pypy${minor.split(".")[0]}`].map((n) => (os === "windows" ? `${n}.exe` : n)).filter((n) => existsSync(joinFn(dir, n)))
    : interpreterNames(listDir(dir), os);
  return names.map((n) => ({ path: joinFn(dir, n), source, versionHint: hintFromName(n) }));
}

/** `<root>/<version dir>/bin/python3` for version-manager layouts; the dir name is the hint. */
function versionTree(root: string, source: CandidateSource, os: DiscoveryOptions["os"], filter?: (name: string) => boolean): Candidate[] {
  const out: Candidate[] = [];
  for (const name of listDir(root).sort((a, b) => b.localeCompare(a, "en", { numeric: true }))) {
    if (name.startsWith(".") || (filter && !filter(name))) continue;
    const version = /(\d+\.\d+(?:\.\d+)?)/.exec(name)?.[1];
    // Python 2 trees (pyenv's 2.7.18) have bin/python2 and bin/python, no python3.
    const exe = os === "windows" ? join(root, name, "python.exe") : [join(root, name, "bin", "python3"), join(root, name, "bin", "python")].find((p) => existsSync(p));
    if (exe && existsSync(exe)) out.push({ path: exe, source, versionHint: version });
  }
  return out;
}

/** Every candidate location for the enabled sources, in order (duplicates left in; see dedupe). */
export async function listCandidates(opts: DiscoveryOptions): Promise<Candidate[]> {
  const { env, os } = opts;
  const userHome = opts.userHome ?? env.HOME ?? env.USERPROFILE ?? homedir();
  const enabled = enabledSources(env);
  const out: Candidate[] = [];
  const xdgData = env.XDG_DATA_HOME || join(userHome, ".local", "share");

  if (enabled.has("managed")) {
    const root = homePaths(opts.home).python;
    out.push(...versionTree(root, "managed", os, (n) => /^cpython-\d+\.\d+\.\d+/.test(n)).map(fixManagedExe(os)));
  }
  if (enabled.has("uv")) {
    const root = env.UV_PYTHON_INSTALL_DIR || (os === "windows" && env.APPDATA ? join(env.APPDATA, "uv", "python") : join(xdgData, "uv", "python"));
    out.push(...versionTree(root, "uv", os, (n) => /^cpython-\d+\.\d+\.\d+/.test(n)).map(fixManagedExe(os)));
  }
  if (enabled.has("path")) {
    const sep = os === "windows" ? ";" : ":";
    const raw = os === "windows" ? (env.PATH ?? env.Path ?? "") : (env.PATH ?? "");
    const seen = new Set<string>();
    for (const dir of raw.split(sep)) {
      if (!dir || seen.has(dir) || /[\\/]shims[\\/]?$/.test(dir) || /WindowsApps[\\/]?$/i.test(dir)) continue;
      seen.add(dir);
      out.push(...interpretersInDir(dir, "path", os, opts.minor));
    }
  }
  if (enabled.has("pyenv")) {
    const root = env.PYENV_ROOT || (os === "windows" ? join(userHome, ".pyenv", "pyenv-win") : join(userHome, ".pyenv"));
    out.push(...versionTree(join(root, "versions"), "pyenv", os, (n) => /^\d+\.\d+\.\d+$/.test(n)));
  }
  if (enabled.has("asdf")) {
    const root = env.ASDF_DATA_DIR || join(userHome, ".asdf");
    out.push(...versionTree(join(root, "installs", "python"), "asdf", os, (n) => /^\d+\.\d+\.\d+$/.test(n)));
  }
  if (enabled.has("mise")) {
    const root = env.MISE_DATA_DIR || join(xdgData, "mise");
    out.push(...versionTree(join(root, "installs", "python"), "mise", os, (n) => /^\d+\.\d+\.\d+$/.test(n)));
  }
  if (enabled.has("system") && os !== "windows") {
    out.push(...interpretersInDir("/usr/local/bin", "system", os, opts.minor), ...interpretersInDir("/usr/bin", "system", os, opts.minor));
  }
  if (enabled.has("homebrew") && os !== "windows") {
    const prefixes = [env.HOMEBREW_PREFIX, "/opt/homebrew", "/usr/local", "/home/linuxbrew/.linuxbrew"].filter(Boolean) as string[];
    for (const prefix of [...new Set(prefixes)]) {
      for (const name of listDir(join(prefix, "opt")).filter((n) => /^python@3\.\d+$/.test(n))) {
        out.push(...interpretersInDir(join(prefix, "opt", name, "bin"), "homebrew", os, opts.minor));
      }
      if (prefix !== "/usr/local") out.push(...interpretersInDir(join(prefix, "bin"), "homebrew", os, opts.minor));
    }
  }
  if (enabled.has("windows") && os === "windows" && opts.run) {
    const launcher = await opts.run(["py", "-0p"]);
    if (launcher) for (const e of parsePyLauncherList(launcher)) out.push({ path: e.executable, source: "windows", versionHint: e.version });
    for (const root of ["HKCU\\Software\\Python", "HKLM\\Software\\Python", "HKLM\\Software\\WOW6432Node\\Python"]) {
      const text = await opts.run(["reg", "query", root, "/s"]);
      if (text) for (const e of parseRegQuery(text)) out.push({ path: e.executable, source: "windows", versionHint: e.version });
    }
  }
  return out;
}

function fixManagedExe(os: DiscoveryOptions["os"]) {
  // Managed/uv dirs are named cpython-3.11.7-…; the interpreter is bin/python3.11 (python3 may be missing on old PBS).
  return (c: Candidate): Candidate => {
    if (os === "windows" || !c.versionHint) return c;
    const exact = join(c.path, "..", `python${minorOf(c.versionHint)}`);
    return existsSync(exact) ? { ...c, path: exact } : c;
  };
}

/** Could a candidate with this hint satisfy a request for `minor` (undefined: anything)? */
export function hintMayMatch(hint: string | undefined, wanted: (version: string) => boolean, wantedMinor?: string): boolean {
  if (!hint) return true;
  if (hint.split(".").length >= 3) return wanted(hint);
  return wantedMinor ? hint === wantedMinor : true;
}
