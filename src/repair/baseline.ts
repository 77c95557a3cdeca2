/**
 * What a verified venv looked like, recorded by setup's finalize step and compared by the
 * no-op check of every later `dhtl setup`: the top-level entries of site-packages, the
 * venv's interpreter link, and the files the base interpreter needs to start (its
 * executable, the stdlib landmark `os.py` CPython itself looks for, libpython of shared
 * builds). A distribution's directory deleted, the base Python removed or replaced by an
 * upgrade, or the venv's `python` replaced show up as a difference here.
 *
 * Deliberately light (node:fs and node:path only, no spawning): the no-op check runs this on
 * every `dhtl setup` and must stay a few stats and one readdir.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";

export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
}

export interface VenvBaseline {
  /** site-packages relative to the venv (lib/python3.11/site-packages, Lib/site-packages). */
  site: string;
  /** Its top-level entries when the venv was verified (packages, modules, dist-info dirs, .pth). */
  entries: string[];
  /** The venv's interpreter, relative to the venv: a link (its target) or a file (its stamp). */
  python: { path: string; link?: string; size?: number; mode?: number };
  /** The files the base interpreter needs to start, stamped. */
  base: FileStamp[];
}

function stamp(path: string): FileStamp | undefined {
  try {
    const st = statSync(path);
    return { path, size: st.size, mtimeMs: Math.round(st.mtimeMs), mode: st.mode };
  } catch {
    return undefined;
  }
}

/**
 * The files a CPython at `executable` needs to start: the real executable, the stdlib
 * landmark (lib/pythonX.Y/os.py, Lib/os.py on Windows), and libpython of a shared build
 * (pyenv builds with --enable-shared: the executable alone does not run without it).
 */
export function baseInterpreterFiles(executable: string, pythonVersion: string, windows: boolean): string[] {
  let real = executable;
  try {
    real = realpathSync(executable);
  } catch {
    return [executable];
  }
  const minor = pythonVersion.split(".").slice(0, 2).join(".");
  const prefix = windows ? dirname(real) : dirname(dirname(real));
  const files = [real, windows ? join(prefix, "Lib", "os.py") : join(prefix, "lib", `python${minor}`, "os.py")];
  if (!windows) {
    try {
      for (const name of readdirSync(join(prefix, "lib"))) if (/^libpython\d+\.\d+[a-z]*\.(so(\.[\d.]+)?|dylib)$/.test(name)) files.push(join(prefix, "lib", name));
    } catch {
      /* no lib dir: a static build */
    }
  }
  return files;
}

export function takeBaseline(venv: string, site: string, venvPython: string, baseFiles: string[]): VenvBaseline {
  let entries: string[] = [];
  try {
    // __pycache__ and dot-entries come and go with use; they are not part of what was installed.
    entries = readdirSync(site).filter((e) => e !== "__pycache__" && !e.startsWith(".")).sort();
  } catch {
    /* an empty venv */
  }
  const python: VenvBaseline["python"] = { path: relative(venv, venvPython) };
  try {
    const st = lstatSync(venvPython);
    if (st.isSymbolicLink()) python.link = readlinkSync(venvPython);
    else Object.assign(python, { size: st.size, mode: st.mode });
  } catch {
    /* checked by the verify step already */
  }
  return { site: relative(venv, site), entries, python, base: baseFiles.map(stamp).filter((s): s is FileStamp => Boolean(s)) };
}

/** Pure: does a value read from a checkpoint look like a baseline? */
export function asBaseline(value: unknown): VenvBaseline | undefined {
  const b = value as VenvBaseline | undefined;
  return b && typeof b.site === "string" && Array.isArray(b.entries) && Array.isArray(b.base) && b.python && typeof b.python.path === "string" ? b : undefined;
}

/**
 * What changed since the baseline that breaks the venv, in words; undefined when nothing
 * did. New entries (a package installed by hand) are not damage; missing ones are.
 */
export function baselineDamage(venv: string, baseline: VenvBaseline): string | undefined {
  for (const file of baseline.base) {
    const now = stamp(file.path);
    if (!now) return `the base interpreter's ${basename(file.path)} is gone (${file.path})`;
    if (now.size !== file.size || now.mtimeMs !== file.mtimeMs || now.mode !== file.mode) return `the base interpreter changed since the venv was made (${file.path})`;
  }
  const py = join(venv, baseline.python.path);
  try {
    const st = lstatSync(py);
    if (baseline.python.link !== undefined) {
      if (!st.isSymbolicLink() || readlinkSync(py) !== baseline.python.link) return `the venv's interpreter ${baseline.python.path} was replaced`;
    } else if (st.isSymbolicLink() || st.size !== baseline.python.size || st.mode !== baseline.python.mode) return `the venv's interpreter ${baseline.python.path} was replaced`;
  } catch {
    return `the venv's interpreter ${baseline.python.path} is missing`;
  }
  let present: Set<string>;
  try {
    present = new Set(readdirSync(join(venv, baseline.site)));
  } catch {
    return `${baseline.site} is gone`;
  }
  const missing = baseline.entries.filter((e) => !present.has(e));
  if (missing.length) return `${missing.length === 1 ? "an installed package is" : `${missing.length} installed packages are`} gone from site-packages (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""})`;
  return undefined;
}
