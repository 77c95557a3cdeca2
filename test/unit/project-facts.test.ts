import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DhtError } from "../../src/errors.ts";
import {
  detectPythonRequest,
  parsePythonVersionFile,
  parseRuntimeTxt,
  parseToolVersions,
  poetryToPep440,
} from "../../src/project/python-version.ts";
import { detectDependencySources, isRequirementsFileName } from "../../src/project/sources.ts";

const fixture = (name: string) => join(import.meta.dir, "..", "fixtures", "config", "projects", name);

describe("project facts: the Python a project asks for", () => {
  test(".python-version: the first usable line, skipping comments, blanks and 'system'", async () => {
    expect(await detectPythonRequest(fixture("pyenv-multi"))).toEqual({ request: "3.11.7", origin: ".python-version:4" });
  });
  test(".tool-versions: the first version on the python line", async () => {
    expect(await detectPythonRequest(fixture("tool-versions"))).toEqual({ request: "3.12.1", origin: ".tool-versions:3" });
  });
  test("runtime.txt: python-3.11.7", async () => {
    expect(await detectPythonRequest(fixture("runtime-txt"))).toEqual({ request: "3.11.7", origin: "runtime.txt:1" });
  });
  test("pyproject [project] requires-python, spaces removed, with its line", async () => {
    expect(await detectPythonRequest(fixture("pep621"))).toEqual({ request: ">=3.10,<3.13", origin: "pyproject.toml:8" });
  });
  test("pyproject [tool.poetry.dependencies] python, converted from Poetry's caret", async () => {
    expect(await detectPythonRequest(fixture("poetry"))).toEqual({ request: ">=3.9,<4", origin: "pyproject.toml:6" });
  });
  test("nothing declared: no request", async () => {
    expect(await detectPythonRequest(fixture("empty"))).toEqual({});
  });
  test("a broken pyproject.toml is exit 2 naming file:line:column", async () => {
    const error = await detectPythonRequest(fixture("broken-pyproject")).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.code).toBe(2);
    expect(error.message).toMatch(/^pyproject\.toml:3:\d+: TOML syntax error: /);
  });
  test("file parsers: unusable lines are skipped, and nothing usable gives undefined", () => {
    expect(parsePythonVersionFile("system\n3.1x\ncpython@3.12\n")).toEqual({ request: "cpython@3.12", line: 3 });
    expect(parsePythonVersionFile("# only\n\n")).toBeUndefined();
    expect(parseToolVersions("python ref:abc system 3.10.4\n")).toEqual({ request: "3.10.4", line: 1 });
    expect(parseToolVersions("nodejs 20\n")).toBeUndefined();
    expect(parseRuntimeTxt("\npython-3.9\n")).toEqual({ request: "3.9", line: 2 });
    expect(parseRuntimeTxt("ruby-3.2\n")).toBeUndefined();
  });
});

describe("Poetry python constraints become PEP 440", () => {
  test.each([
    ["^3.8", ">=3.8,<4"],
    ["^3.8.1", ">=3.8.1,<4"],
    ["^0.2.3", ">=0.2.3,<0.3"],
    ["~3.9", ">=3.9,<3.10"],
    ["~3.9.2", ">=3.9.2,<3.10"],
    ["~3", ">=3,<4"],
    ["3.10", "==3.10.*"],
    ["3.10.*", "==3.10.*"],
    ["3.11.7", "==3.11.7"],
    [">=3.8 <3.12", ">=3.8,<3.12"],
    [">= 3.8, < 3.12", ">=3.8,<3.12"],
    ["^3.8 || ^3.11", ">=3.8,<4"],
    ["~=3.10", "~=3.10"],
  ])("%p → %p", (input, output) => expect(poetryToPep440(input)).toBe(output));
  test.each(["*", "", "latest", "^x"])("%p cannot be converted", (input) => expect(poetryToPep440(input)).toBeUndefined());
});

describe("project facts: dependency sources", () => {
  test("lock files and a PEP 621 pyproject", async () => {
    expect(await detectDependencySources(fixture("pep621"))).toEqual([
      { kind: "uv.lock", path: "uv.lock" },
      { kind: "pyproject", path: "pyproject.toml" },
    ]);
  });
  test("Poetry 1.x pyproject without [project] is its own kind", async () => {
    expect(await detectDependencySources(fixture("poetry"))).toEqual([
      { kind: "poetry.lock", path: "poetry.lock" },
      { kind: "poetry", path: "pyproject.toml" },
    ]);
  });
  test("requirements*.txt at the root and requirements/ directories, not other .txt files", async () => {
    expect(await detectDependencySources(fixture("requirements-dir"))).toEqual([
      { kind: "requirements", path: "requirements-dev.txt" },
      { kind: "requirements", path: "requirements.txt" },
      { kind: "requirements", path: "requirements/base.txt" },
      { kind: "requirements", path: "requirements/test.txt" },
    ]);
  });
  test("setup.py counts; a setup.cfg holding only tool settings does not", async () => {
    expect(await detectDependencySources(fixture("setup-cfg-tools-only"))).toEqual([{ kind: "setup.py", path: "setup.py" }]);
  });
  test("requirement file names", () => {
    for (const name of ["requirements.txt", "requirements-dev.txt", "dev-requirements.txt", "requirements_test.txt", "requirements.in.txt"]) {
      expect(isRequirementsFileName(name)).toBe(true);
    }
    for (const name of ["README.txt", "requirements.in", "myrequirements.txt", "requirements.txt.bak"]) expect(isRequirementsFileName(name)).toBe(false);
  });
});
