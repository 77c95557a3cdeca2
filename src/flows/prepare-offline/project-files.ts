/**
 * Which of a project's files go into a bundle: the ones that say what to install and how —
 * dhtl's config, the dependency declarations, lock files, Python version files and uv's
 * settings. Source code is not bundled: the air-gapped machine has the project already.
 */
import { stat } from "node:fs/promises";
import { join, relative } from "node:path";

/** Looked for in every environment's root. */
export const PROJECT_FILE_NAMES = [
  ".dhtconfig",
  "pyproject.toml",
  "setup.cfg",
  "setup.py",
  "uv.lock",
  "uv.toml",
  "poetry.lock",
  "Pipfile",
  "Pipfile.lock",
  "pdm.lock",
  ".python-version",
  ".tool-versions",
  "runtime.txt",
] as const;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Paths (relative to `root`, "/"-separated, sorted) of the project files present in `root`,
 * plus the requirement files the project declares (absolute or relative to root) when they
 * lie inside root.
 */
export async function projectFilesOf(root: string, requirementFiles: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const name of PROJECT_FILE_NAMES) if (await isFile(join(root, name))) out.add(name);
  for (const file of requirementFiles) {
    const rel = relative(root, file.startsWith("/") ? file : join(root, file)).split("\\").join("/");
    if (!rel.startsWith("../") && rel !== ".." && (await isFile(join(root, rel)))) out.add(rel);
  }
  return [...out].sort();
}
