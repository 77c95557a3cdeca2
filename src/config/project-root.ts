/**
 * Which directory is "the project": walking up from cwd, the nearest directory with a
 * `.dhtconfig`; without one, the nearest with a project manifest (pyproject.toml, setup.py,
 * Pipfile) or a .git; without those, cwd itself. The walk for .dhtconfig stops at a repository root (.git): a .dhtconfig
 * above the repository (say in $HOME) is not this project's.
 */
import { lstat, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { CONFIG_FILE_NAME } from "./load.ts";

export interface ProjectRoot {
  root: string;
  /** Absolute path of the .dhtconfig found, if any. */
  configFile?: string;
}

async function exists(path: string, kind: "file" | "any"): Promise<boolean> {
  try {
    // "any" with lstat: a looping or dangling link counts (and is refused when read).
    const s = kind === "any" ? await lstat(path) : await stat(path);
    return kind === "any" || s.isFile();
  } catch {
    return false;
  }
}

/** Files that make a directory a Python project on their own (setup.py-only and Pipfile-only projects have no pyproject.toml). */
const PROJECT_MANIFESTS = ["pyproject.toml", "setup.py", "Pipfile"];

async function hasManifest(dir: string): Promise<boolean> {
  for (const name of PROJECT_MANIFESTS) if (await exists(join(dir, name), "file")) return true;
  return false;
}

export async function findProjectRoot(cwd: string): Promise<ProjectRoot> {
  let nearestMarker: string | undefined;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const config = join(dir, CONFIG_FILE_NAME);
    // Any kind counts: a .dhtconfig that is a directory or a fifo is this project's config
    // gone wrong, refused by name when it is read, never skipped silently.
    if (await exists(config, "any")) return { root: dir, configFile: config };
    const isRepoRoot = await exists(join(dir, ".git"), "any");
    if (nearestMarker === undefined && (isRepoRoot || (await hasManifest(dir)))) nearestMarker = dir;
    if (isRepoRoot || dirname(dir) === dir) break;
  }
  return { root: nearestMarker ?? resolve(cwd) };
}
