/**
 * Virtual environment layout, completion marker and validation.
 *
 * A venv is "complete" only when it carries `.dht-complete` holding the inputs hash of the
 * setup that verified it. The marker is removed before any step touches the venv and
 * written only after verification, so a run killed at any point never leaves a venv that
 * looks complete but is not.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, unlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, basename, resolve, win32, posix } from "node:path";
import { writeFileAtomic } from "./checkpoints.ts";
import { minorOf } from "../python/version.ts";

export const COMPLETE_MARKER = ".dht-complete";

export type VenvOs = "linux" | "darwin" | "windows";

export const hostOs = (): VenvOs => (process.platform === "win32" ? "windows" : process.platform === "darwin" ? "darwin" : "linux");

/** Path joins in the target OS's syntax (plans for Windows are unit-tested on Linux). */
const joinFor = (os: VenvOs) => (os === "windows" ? win32.join : posix.join);

export function venvBinDir(venv: string, os: VenvOs = hostOs()): string {
  return joinFor(os)(venv, os === "windows" ? "Scripts" : "bin");
}

export function venvPython(venv: string, os: VenvOs = hostOs()): string {
  return joinFor(os)(venvBinDir(venv, os), os === "windows" ? "python.exe" : "python");
}

/** site-packages of a CPython venv: Lib\site-packages on Windows, lib/pythonX.Y/site-packages elsewhere. */
export function venvSitePackages(venv: string, pythonVersion: string, os: VenvOs = hostOs()): string {
  if (os === "windows") return win32.join(venv, "Lib", "site-packages");
  return posix.join(venv, "lib", `python${minorOf(pythonVersion)}`, "site-packages");
}

export function markerPath(venv: string): string {
  return join(venv, COMPLETE_MARKER);
}

export function readMarker(venv: string): string | undefined {
  try {
    return readFileSync(markerPath(venv), "utf8").trim();
  } catch {
    return undefined;
  }
}

export function writeMarker(venv: string, inputsHash: string): void {
  writeFileAtomic(markerPath(venv), `${inputsHash}\n`);
}

export function removeMarker(venv: string): void {
  try {
    unlinkSync(markerPath(venv));
  } catch {
    /* absent */
  }
}

/** Parse pyvenv.cfg (key = value lines). */
export function readPyvenvCfg(venv: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(join(venv, "pyvenv.cfg"), "utf8");
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export interface VenvState {
  exists: boolean;
  /** pyvenv.cfg present and the interpreter file exists. */
  usable: boolean;
  /** Marker present with this hash. */
  markerHash?: string;
  /** `version_info` / `version` from pyvenv.cfg. */
  pythonVersion?: string;
  /** `home` from pyvenv.cfg: the base interpreter's directory. */
  home?: string;
}

/** What is on disk, without spawning anything. */
export function inspectVenv(venv: string, os: VenvOs = hostOs()): VenvState {
  if (!existsSync(venv)) return { exists: false, usable: false };
  const cfg = readPyvenvCfg(venv);
  const usable = Boolean(cfg) && existsSync(venvPython(venv, os));
  return {
    exists: true,
    usable,
    markerHash: readMarker(venv),
    pythonVersion: cfg?.version_info ?? cfg?.version,
    home: cfg?.home,
  };
}

/** True when `a` and `b` name the same major.minor.patch (pyvenv.cfg may add ".final.0"). */
export function sameVersion(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const norm = (v: string) => v.split(".").slice(0, 3).join(".");
  return norm(a) === norm(b);
}

/**
 * Remove a venv directory so that a killed removal never leaves a half-deleted venv under
 * the real name: rename it aside first (atomic), then delete the renamed copy. A symlink
 * (local venv on network FS) is removed as a link, never followed. `assertRemovable` (the
 * removal guard, src/env/removal-guard.ts) throws unless the path is provably a venv dhtl
 * may replace: callers cannot forget it.
 */
export function removeVenvDir(venv: string, assertRemovable: (path: string) => void): void {
  assertRemovable(venv);
  let st;
  try {
    st = lstatSync(venv);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) {
    unlinkSync(venv);
    return;
  }
  const aside = join(dirname(venv), `.${basename(venv)}.removing-${process.pid}-${Date.now()}`);
  renameSync(venv, aside);
  // The real name is free now; the old tree is deleted in the background while the new
  // venv is built (a run killed meanwhile leaves it for sweepRemovals to finish).
  pendingRemovals.push(rm(aside, { recursive: true, force: true }).catch(() => {}));
}

const pendingRemovals: Promise<void>[] = [];

/** Wait for background removals (the process stays alive for them anyway). */
export async function settleRemovals(): Promise<void> {
  await Promise.all(pendingRemovals.splice(0));
}

/** Leftovers of removals that were killed halfway (`.venv.removing-*`), deleted quietly. */
export function sweepRemovals(parent: string, name: string): void {
  try {
    for (const entry of new Bun.Glob(`.${name}.removing-*`).scanSync({ cwd: parent, dot: true, onlyFiles: false })) {
      rmSync(join(parent, entry), { recursive: true, force: true });
    }
  } catch {
    /* parent absent */
  }
}

/** Where a path points if it is a link (the local venv behind `.venv`), else itself. */
export function resolveLink(path: string): string {
  try {
    if (lstatSync(path).isSymbolicLink()) return resolve(dirname(path), readlinkSync(path));
  } catch {
    /* absent */
  }
  return path;
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
