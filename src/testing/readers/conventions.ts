/**
 * Framework conventions, when no tox/nox/task runner/CI route says how tests run: pytest's
 * configuration (pytest.ini, `[tool.pytest.ini_options]`, tox.ini `[pytest]`, setup.cfg
 * `[tool:pytest]`), Django (`manage.py` naming a settings module), nose2 (`unittest.cfg`,
 * `nose2.cfg`), behave (`features/` with `.feature` files), a project's own `runtests.py`,
 * and plain unittest. Pure over the files gathered by files.ts.
 */
import { readIni } from "../../project/ini.ts";
import { tomlLine } from "../../project/pyproject.ts";
import { shellWords } from "../shell-words.ts";
import { MAX_TEST_HEAD, type ProjectFiles } from "../types.ts";

export interface PytestConfig {
  file: string;
  line: number;
  addopts: string[];
  testpaths: string[];
  /** `required_plugins`, and plugins implied by the ini keys in use (asyncio_mode → pytest-asyncio). */
  plugins: string[];
  keys: string[];
}

type Table = Record<string, unknown>;
const asTable = (v: unknown): Table | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : undefined);

/** ini keys only a plugin defines: using one means the suite needs it. */
const PLUGIN_KEYS: Array<[RegExp, string]> = [
  [/^asyncio_(mode|default_fixture_loop_scope|default_test_loop_scope)$/, "pytest-asyncio"],
  [/^(django_settings_module|django_find_project|django_debug_mode|fail_on_template_vars)$/i, "pytest-django"],
  [/^timeout(_method|_func_only)?$/, "pytest-timeout"],
  [/^env$/, "pytest-env"],
  [/^mock_use_standalone_module$/, "pytest-mock"],
  [/^trio_mode$/, "pytest-trio"],
  [/^qt_api$/, "pytest-qt"],
  [/^(doctest_plus|doctest_rst|text_file_format)$/, "pytest-doctestplus"],
  [/^mpl-/, "pytest-mpl"],
  [/^(flake8-ignore|flake8-max-line-length)$/, "pytest-flake8"],
  [/^looponfailroots$/, "pytest-xdist"],
  [/^(reruns|reruns_delay)$/, "pytest-rerunfailures"],
];

function configFrom(entries: Record<string, string>, file: string, line: number): PytestConfig {
  const plugins = new Set<string>();
  const keys = Object.keys(entries);
  for (const k of keys) for (const [re, pkg] of PLUGIN_KEYS) if (re.test(k)) plugins.add(pkg);
  for (const p of (entries.required_plugins ?? "").split(/\s+/).filter(Boolean)) plugins.add(p.replace(/[<>=!~].*$/, ""));
  return {
    file,
    line,
    addopts: shellWords((entries.addopts ?? "").replace(/\n/g, " ")),
    testpaths: (entries.testpaths ?? "").split(/\s+/).filter(Boolean),
    plugins: [...plugins],
    keys,
  };
}

const tomlValueText = (v: unknown): string => (Array.isArray(v) ? v.map((x) => String(x)).join(" ") : typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : "");

/** The pytest configuration pytest itself would use (the first file that has one). */
export function readPytestConfig(files: ProjectFiles, pyproject?: Table): PytestConfig | undefined {
  const iniSection = (file: string, section: string): PytestConfig | undefined => {
    const text = files.files.get(file);
    if (text === undefined) return undefined;
    const ini = readIni(text, { normalizeKey: (k) => k.trim(), onProblem: () => undefined });
    const sec = ini[section];
    if (!sec) return undefined;
    const line = text.split(/\r?\n/).findIndex((l) => l.trim().toLowerCase() === `[${section}]`) + 1;
    return configFrom(Object.fromEntries(Object.entries(sec).map(([k, v]) => [k, v.value])), file, line || 1);
  };
  const fromIni = iniSection("pytest.ini", "pytest") ?? iniSection(".pytest.ini", "pytest");
  if (fromIni) return fromIni;
  const tool = asTable(pyproject?.tool);
  const pytest = asTable(tool?.pytest);
  const opts = asTable(pytest?.ini_options) ?? (pytest && !pytest.ini_options ? pytest : undefined);
  if (opts) {
    const text = files.files.get("pyproject.toml") ?? "";
    const table = asTable(pytest?.ini_options) ? "tool.pytest.ini_options" : "tool.pytest";
    return configFrom(Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, tomlValueText(v)])), "pyproject.toml", tomlLine(text, table) ?? 1);
  }
  return iniSection("tox.ini", "pytest") ?? iniSection("setup.cfg", "tool:pytest");
}

/** `manage.py` that sets DJANGO_SETTINGS_MODULE: a Django project whose tests run with `manage.py test`. */
export function readDjango(files: ProjectFiles): { managePy: string; settings?: string; line: number } | undefined {
  for (const [path, text] of files.files) {
    if (!/(^|\/)manage\.py$/.test(path) || path.split("/").length > 2) continue;
    const lines = text.split(/\r?\n/);
    const idx = lines.findIndex((l) => /DJANGO_SETTINGS_MODULE/.test(l));
    if (idx < 0 && !/django/.test(text)) continue;
    const settings = /DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']/.exec(text)?.[1];
    return { managePy: path, ...(settings ? { settings } : {}), line: idx >= 0 ? idx + 1 : 1 };
  }
  return undefined;
}

/** A project's own test script at the top: runtests.py, run_tests.py, tests/runtests.py. */
export function readRunTestsScript(files: ProjectFiles): string | undefined {
  return ["runtests.py", "run_tests.py", "tests/runtests.py", "tests/run_tests.py"].find((p) => files.files.has(p));
}

/**
 * A Python file that, run as a program (`python tests.py`, `coverage run tests.py`), only
 * defines its tests: no `if __name__ == "__main__":` block and no top-level call such as
 * `unittest.main()` — its TestCase classes are defined and nothing runs them. Only said of
 * a file read whole (a longer file's guard may lie past what was read).
 */
export function runsNoTestsAsProgram(text: string | undefined): boolean {
  if (text === undefined || Buffer.byteLength(text, "utf8") >= MAX_TEST_HEAD) return false;
  const definesTests = /^(class|def|async def)\s/m.test(text);
  return definesTests && !/__name__|__main__/.test(text) && !/^[A-Za-z_][\w.]*\s*\(/m.test(text);
}

/** nose2's configuration files. */
export function readNose2Config(files: ProjectFiles): { file: string } | undefined {
  for (const file of ["unittest.cfg", "nose2.cfg"]) if (files.files.has(file)) return { file };
  return undefined;
}

/** behave: a `features/` directory with `.feature` files (and steps). */
export function readBehave(files: ProjectFiles): { dir: string; features: number } | undefined {
  const features = files.testFiles.filter((f) => /(^|\/)features\/.*\.feature$/.test(f));
  if (!features.length) return undefined;
  const dir = features[0]!.replace(/\/features\/.*$|^features\/.*$/, (m) => (m.startsWith("/") ? "/features" : "features"));
  return { dir: dir.endsWith("features") ? dir : "features", features: features.length };
}

/** How the test files are written: do they use pytest, or only unittest? */
export function testStyle(files: ProjectFiles): { pytest: boolean; unittest: boolean; files: number } {
  let pytest = false;
  let unittest = false;
  let count = 0;
  for (const f of files.testFiles) {
    if (!f.endsWith(".py")) continue;
    count++;
    const text = files.files.get(f) ?? "";
    if (/^\s*(import pytest|from pytest\b)|@pytest\.|\bpytest\.(raises|fixture|mark)/m.test(text) || /^def test_\w*\(/m.test(text) || /conftest\.py$/.test(f)) pytest = true;
    if (/^\s*(import unittest|from unittest\b)|\bunittest\.TestCase\b|\(TestCase\)/m.test(text)) unittest = true;
  }
  return { pytest, unittest, files: count };
}

/** Where unittest discovery should start: `tests/` when the tests live there without being a package. */
export function unittestStart(files: ProjectFiles): string[] {
  for (const dir of ["tests", "test"]) {
    const inside = files.testFiles.some((f) => f.startsWith(`${dir}/`) && /\/test[^/]*\.py$/.test(f));
    // A package is found from the top; a plain directory must be the start (and top level:
    // `-t .` would need it importable as a package).
    if (inside) return files.files.has(`${dir}/__init__.py`) || files.dirs.has(`${dir}/__init__.py`) ? [] : ["-s", dir];
  }
  return [];
}

/** Top-level modules the test files import (for extras named after the backends a suite imports). */
export function testImports(files: ProjectFiles): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files.testFiles) {
    const text = files.files.get(f);
    if (!text || !f.endsWith(".py")) continue;
    const lines = text.split(/\r?\n/);
    lines.forEach((l, i) => {
      const m = /^\s*(?:import\s+([\w.]+)|from\s+([\w.]+)\s+import\b)/.exec(l);
      const mod = (m?.[1] ?? m?.[2])?.split(".")[0];
      if (mod && !out.has(mod)) out.set(mod, `${f}:${i + 1}`);
    });
  }
  return out;
}
