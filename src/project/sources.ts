/**
 * Which dependency declarations a project has, found by file names and (for pyproject.toml
 * and setup files) a cheap look inside. Used by `dhtl init` to write a matching
 * `.dhtconfig`, and by the dependency code to choose how to install.
 */
import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { readTomlFile } from "./python-version.ts";
import { readProjectText } from "./read-project-file.ts";

export type DependencySourceKind =
  | "uv.lock"
  | "poetry.lock"
  | "Pipfile"
  | "Pipfile.lock"
  | "pdm.lock"
  | "requirements"
  | "setup.py"
  | "setup.cfg"
  /** pyproject.toml with a PEP 621 [project] table. */
  | "pyproject"
  /** pyproject.toml with [tool.poetry] dependencies but no [project] table (Poetry 1.x). */
  | "poetry";

export interface DependencySource {
  kind: DependencySourceKind;
  /** Relative to the project root, with forward slashes (e.g. "requirements/dev.txt"). */
  path: string;
}

const LOCK_FILES = ["uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock"] as const;

/**
 * Present as a file: anything but a directory, a fifo or a dangling link included, so that
 * reading it refuses it by name (read-project-file.ts) instead of skipping it silently.
 */
async function isFile(path: string): Promise<boolean> {
  try {
    return !(await lstat(path)).isDirectory() && !(await stat(path).catch(() => undefined))?.isDirectory();
  } catch {
    return false;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** requirements.txt, requirements-dev.txt, dev-requirements.txt, requirements_test.txt … */
export const isRequirementsFileName = (name: string) => /^([\w.-]*[-_.])?requirements([-_.][\w.-]*)?\.txt$/i.test(name);

/** Every dependency source in `root`, in a stable order: lock files, manifests, requirement files. */
export async function detectDependencySources(root: string): Promise<DependencySource[]> {
  const sources: DependencySource[] = [];
  for (const lock of LOCK_FILES) if (await isFile(join(root, lock))) sources.push({ kind: lock, path: lock });
  if (await isFile(join(root, "Pipfile"))) sources.push({ kind: "Pipfile", path: "Pipfile" });

  const pyproject = await readTomlFile(join(root, "pyproject.toml"), "pyproject.toml");
  if (pyproject) {
    const data = pyproject.data as { project?: unknown; tool?: { poetry?: { dependencies?: unknown } } };
    if (data.project && typeof data.project === "object") sources.push({ kind: "pyproject", path: "pyproject.toml" });
    else if (data.tool?.poetry?.dependencies) sources.push({ kind: "poetry", path: "pyproject.toml" });
  }
  if (await isFile(join(root, "setup.py"))) sources.push({ kind: "setup.py", path: "setup.py" });
  // setup.cfg is often only tool settings (flake8, pytest); count it when it declares a package.
  const setupCfg = readProjectText(join(root, "setup.cfg"), { display: "setup.cfg" })?.text;
  if (setupCfg !== undefined && /^\[(metadata|options)\]/m.test(setupCfg)) sources.push({ kind: "setup.cfg", path: "setup.cfg" });

  const topLevel = (await listDir(root)).filter(isRequirementsFileName).sort();
  for (const name of topLevel) sources.push({ kind: "requirements", path: name });
  // A requirements/ directory holds one file per purpose (base.txt, dev.txt …).
  const inDir = (await listDir(join(root, "requirements"))).filter((n) => n.endsWith(".txt")).sort();
  for (const name of inDir) sources.push({ kind: "requirements", path: `requirements/${name}` });
  return sources;
}

/** What a requirements file is for, by its name: "requirements.txt" main, "requirements/dev.txt" dev, "requirements-docs.txt" other. */
export function requirementFilePurpose(path: string): "main" | "dev" | "other" {
  const base = path.split(/[\\/]/).pop()!.replace(/\.txt$/i, "").toLowerCase();
  const stem = base.replace(/(^|[-_.])requirements(?=$|[-_.])/, "$1").replace(/^[-_.]+|[-_.]+$/g, "");
  if (["", "base", "main", "default", "common", "core", "install", "runtime", "prod", "production"].includes(stem)) return "main";
  if (["dev", "devel", "develop", "development", "local", "test", "tests", "testing"].includes(stem)) return "dev";
  return "other";
}

/**
 * Which detected requirement files a development environment installs. Projects keep files
 * for separate CI jobs side by side (docs, typing, minimum versions, unreleased upstreams,
 * private "insiders" builds): installed together they conflict or need credentials. So the
 * main and dev/test files are taken and the rest reported; a project that declares nothing
 * else and whose files all have other names gets all of them (they are all it has).
 */
export function chooseRequirementFiles(paths: string[], projectDeclaresDependencies: boolean): { chosen: string[]; skipped: string[] } {
  const wanted = paths.filter((p) => requirementFilePurpose(p) !== "other");
  if (wanted.length === 0 && !projectDeclaresDependencies) return { chosen: paths, skipped: [] };
  return { chosen: wanted, skipped: paths.filter((p) => !wanted.includes(p)) };
}
