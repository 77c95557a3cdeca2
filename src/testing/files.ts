/**
 * Gathering the files a test route is read from (the only effectful part of src/testing's
 * planning): the configuration files of tox, nox, task runners and CI at known places,
 * and a bounded walk for test files (tests/test_*.py, conftest.py, features/*.feature),
 * whose first bytes tell pytest from unittest and which modules the suite imports.
 *
 * Reads are bounded: regular files only (a link to /dev/zero or a fifo is skipped), at most
 * 1 MiB per configuration file and 64 KiB per test file, at most 4000 entries walked.
 */
import { closeSync, openSync, readdirSync, readSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { MAX_TEST_HEAD, type ProjectFiles } from "./types.ts";

const CONFIG_FILES = [
  "tox.ini", "tox.toml", "setup.cfg", "pyproject.toml", "noxfile.py", "tasks.py", "Makefile", "makefile", "GNUmakefile", "justfile", "Justfile", ".justfile",
  "hatch.toml", "Pipfile", "pytest.ini", ".pytest.ini", "manage.py", "runtests.py", "run_tests.py", "tests/runtests.py", "tests/run_tests.py",
  "unittest.cfg", "nose2.cfg", "setup.py", "Dockerfile", "Containerfile", "docker/Dockerfile", ".gitlab-ci.yml", "azure-pipelines.yml",
  "azure-pipelines.yaml", ".circleci/config.yml", ".travis.yml", "scripts/test", "scripts/test.sh", "scripts/tests", "scripts/tests.sh", "scripts/run-tests.sh",
  "scripts/run_tests.sh", "script/test", "bin/test", "ci/test.sh", "behave.ini", ".behaverc",
];
const CONFIG_DIRS = [".github/workflows", ".azure-pipelines", ".ci"];
const SKIP_DIRS = new Set([".git", ".hg", ".svn", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules", "build", "dist", "__pycache__", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".dht", "htmlcov", ".eggs", "docs", "doc"]);

const MAX_CONFIG = 1024 * 1024;
const MAX_ENTRIES = 4000;
const MAX_TEST_FILES_READ = 400;

/** Read at most `max` bytes of a regular file; undefined for anything else. */
export function readRegularFile(path: string, max: number): string | undefined {
  let fd: number | undefined;
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > max * 16) return undefined;
    fd = openSync(path, "r");
    const buf = Buffer.alloc(Math.min(st.size, max));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("utf8");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const isTestFile = (name: string) => /^(test_.*|.*_test|tests?|conftest)\.py$/.test(name) || name.endsWith(".feature");

export function gatherProjectFiles(root: string): ProjectFiles {
  const files = new Map<string, string>();
  const dirs = new Set<string>();
  for (const rel of CONFIG_FILES) {
    const text = readRegularFile(join(root, rel), MAX_CONFIG);
    if (text !== undefined) files.set(rel, text);
  }
  for (const dir of CONFIG_DIRS) {
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!/\.ya?ml$/.test(e.name)) continue;
      const text = readRegularFile(join(root, dir, e.name), MAX_CONFIG);
      if (text !== undefined) files.set(`${dir}/${e.name}`, text);
    }
  }
  // Django projects often keep manage.py one level down (src/manage.py, project/manage.py).
  const testFiles: string[] = [];
  let seen = 0;
  let read = 0;
  const walk = (rel: string, depth: number) => {
    if (depth > 6 || seen > MAX_ENTRIES) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || e.name.startsWith(".") || e.name.endsWith(".egg-info")) continue;
        dirs.add(path);
        walk(path, depth + 1);
      } else if (e.isFile()) {
        if (e.name === "__init__.py" && /(^|\/)tests?$/.test(rel)) dirs.add(path);
        if (e.name === "manage.py" && depth === 1) {
          const text = readRegularFile(join(root, path), MAX_CONFIG);
          if (text !== undefined) files.set(path, text);
        }
        const inTests = /(^|\/)(tests?|testing|features)(\/|$)/.test(rel);
        if (isTestFile(e.name) || (inTests && e.name.endsWith(".py") && e.name !== "__init__.py")) {
          testFiles.push(path);
          if (read < MAX_TEST_FILES_READ && !files.has(path)) {
            const head = readRegularFile(join(root, path), MAX_TEST_HEAD);
            if (head !== undefined) {
              files.set(path, head);
              read++;
            }
          }
        }
      }
    }
  };
  walk("", 0);
  return { files, dirs, testFiles };
}

/** The configuration files a route was read from (for setup's inputs hash). */
export function routeInputFiles(pf: ProjectFiles): string[] {
  return [...pf.files.keys()].filter((p) => CONFIG_FILES.includes(p) || CONFIG_DIRS.some((d) => p.startsWith(`${d}/`)));
}
