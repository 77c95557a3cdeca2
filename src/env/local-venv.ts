/**
 * Where the venv really lives. Normally `<env root>/.venv`. Two cases move it out:
 *  - the project sits on a network file system (NFS, SMB/CIFS, sshfs): thousands of small
 *    files over the network make installs and imports crawl, and some servers break
 *    symlinks or locking; the venv goes to local disk under DHT_HOME/venvs/<project-hash>;
 *  - Windows without long paths and a deep project path (see long-paths.ts).
 * In both cases `.venv` in the project becomes a symlink (a junction on Windows), so tools
 * that look for `.venv` still find it.
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { writeFileAtomic } from "./checkpoints.ts";
import { dirname, join, relative, resolve } from "node:path";
import { decideLongPaths, shortVenvPath } from "./long-paths.ts";

export interface FsInfo {
  type: string;
  network: boolean;
  kind: string;
  mountPoint?: string;
}

export interface VenvLocation {
  /** Where `.venv` is in the project. */
  linkPath: string;
  /** The real venv directory (equal to linkPath when it stays in the project). */
  venvPath: string;
  placement: "in-project" | "network-fs" | "long-paths";
  /** One sentence for the plan. */
  why: string;
  /** For long paths: the command that would let the venv stay in the project. */
  enableLongPaths?: string;
}

/** A stable id of the environment directory (its absolute path), for DHT_HOME/venvs/<hash>. */
export function projectHash(envRoot: string): string {
  return createHash("sha256").update(resolve(envRoot)).digest("hex").slice(0, 16);
}

export function decideVenvLocation(input: {
  envRoot: string;
  /** Config python.venv (relative to envRoot, or absolute). */
  venvSetting: string;
  home: string;
  fs?: FsInfo;
  /** --local-venv / --no-local-venv. */
  localVenvFlag?: boolean;
  os: string;
  longPathsEnabled?: boolean;
}): VenvLocation {
  const linkPath = resolve(input.envRoot, input.venvSetting || ".venv");
  const hash = projectHash(input.envRoot);
  const longPaths = decideLongPaths({ os: input.os, longPathsEnabled: input.longPathsEnabled, venvPath: linkPath });
  if (longPaths.shorten) {
    return {
      linkPath,
      venvPath: shortVenvPath(input.home, hash),
      placement: "long-paths",
      why: `${longPaths.why}; the venv goes to a short path with a junction at ${linkPath}`,
      enableLongPaths: 'reg add "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem" /v LongPathsEnabled /t REG_DWORD /d 1 /f',
    };
  }
  const network = input.fs?.network === true;
  const wantLocal = input.localVenvFlag ?? network;
  if (wantLocal) {
    const why =
      input.localVenvFlag === true && !network
        ? "--local-venv: the venv goes to local disk with a link in the project"
        : `the project is on a network file system (${input.fs?.kind ?? "?"}, ${input.fs?.type ?? "?"}${input.fs?.mountPoint ? ` at ${input.fs.mountPoint}` : ""}): the venv goes to local disk with a link in the project`;
    return { linkPath, venvPath: join(input.home, "venvs", hash), placement: "network-fs", why };
  }
  const why =
    input.localVenvFlag === false && network
      ? `--no-local-venv: the venv stays on the network file system (${input.fs?.kind})`
      : "in the project";
  return { linkPath, venvPath: linkPath, placement: "in-project", why };
}

/**
 * Make `linkPath` point at `target` (symlink; junction on Windows). An existing real
 * directory at linkPath is left for the caller to remove first; an existing link to
 * another place is replaced.
 */
export function ensureVenvLink(linkPath: string, target: string, os: string = process.platform === "win32" ? "windows" : "posix"): void {
  try {
    const st = lstatSync(linkPath);
    if (st.isSymbolicLink()) {
      if (resolve(dirname(linkPath), readlinkSync(linkPath)) === resolve(target)) return;
      unlinkSync(linkPath);
    } else {
      throw new Error(`${linkPath} exists and is not a link`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dirname(linkPath), { recursive: true });
  // A relative link on POSIX: sshfs (and some NFS/SMB servers) refuse to read absolute
  // symlinks (EPERM), while a relative one is resolved by the client kernel like any path.
  // Junctions on Windows must be absolute.
  symlinkSync(os === "windows" ? target : relative(dirname(linkPath), target), linkPath, os === "windows" ? "junction" : "dir");
}

/**
 * Link `.venv` to the venv and check the link can be followed. sshfs refuses to follow
 * links that leave the mount (EPERM, even relative ones), so there the link is removed
 * again and only the pointer file remains; `dhtl run` and the no-op check use the pointer.
 */
export function linkVenv(linkPath: string, target: string, os: string): { linked: boolean; why?: string } {
  try {
    ensureVenvLink(linkPath, target, os);
    statSync(linkPath);
    return { linked: true };
  } catch (error) {
    try {
      if (lstatSync(linkPath).isSymbolicLink()) unlinkSync(linkPath);
    } catch {
      /* nothing there */
    }
    return { linked: false, why: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

/** `.dht/venv-path`: where the venv of this environment really is, when not in the project. */
export const pointerFile = (envRoot: string) => join(envRoot, ".dht", "venv-path");

export function writeVenvPointer(envRoot: string, venvPath: string | undefined): void {
  if (venvPath) writeFileAtomic(pointerFile(envRoot), `${venvPath}\n`);
  else {
    try {
      unlinkSync(pointerFile(envRoot));
    } catch {
      /* absent */
    }
  }
}

export function readVenvPointer(envRoot: string): string | undefined {
  try {
    return readFileSync(pointerFile(envRoot), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
