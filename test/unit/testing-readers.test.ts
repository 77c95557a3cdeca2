/**
 * The test route's readers (src/testing/readers/): tox, nox, task runners, CI workflows and
 * conventions, each read from fixture text the way the tool itself reads it.
 */
import { describe, expect, test } from "bun:test";
import { expandBraces, factorConditionHolds, minorOfFactor, parseEnvList, readToxIni, readToxToml, substituteToxWords, toxEnv } from "../../src/testing/readers/tox.ts";
import { readNoxfile } from "../../src/testing/readers/nox.ts";
import { expandMake, readInvokeTasks, readJustfile, readMakefile, readPyprojectTasks, readShellScript } from "../../src/testing/readers/tasks.ts";
import { readAzurePipelines, readCircleCi, readGithubWorkflow, readGitlabCi, readTravis, workflowGatesChanges } from "../../src/testing/readers/ci.ts";
import { readBehave, readDjango, readPytestConfig, testStyle, unittestStart } from "../../src/testing/readers/conventions.ts";
import { readSetupPy } from "../../src/project/setup-py.ts";
import type { ProjectFiles } from "../../src/testing/types.ts";

const files = (entries: Record<string, string>, testFiles: string[] = [], dirs: string[] = []): ProjectFiles => ({ files: new Map(Object.entries(entries)), testFiles, dirs: new Set(dirs) });

describe("tox", () => {
  test("generative names expand like tox's (lists, nesting, numeric ranges)", () => {
    expect(expandBraces("py{38,39}-django{32,42}")).toEqual(["py38-django32", "py38-django42", "py39-django32", "py39-django42"]);
    expect(expandBraces("py3{9-12}")).toEqual(["py39", "py310", "py311", "py312"]);
    expect(parseEnvList("lint, py{310, 311}\n  docs # built separately")).toEqual(["lint", "py310", "py311", "docs"]);
  });
  test("factor conditions: alternatives, negation, joined factors", () => {
    const f = new Set(["py311", "django42"]);
    expect(factorConditionHolds("py38,py311", f)).toBe(true);
    expect(factorConditionHolds("!py311", f)).toBe(false);
    expect(factorConditionHolds("py311-django42", f)).toBe(true);
    expect(factorConditionHolds("py3{10,11}-django42", f)).toBe(true);
    expect(factorConditionHolds("py311-django32", f)).toBe(false);
  });
  test("an env inherits [testenv], applies its factors, follows {[section]key} and keeps each line", () => {
    const cfg = readToxIni(
      [
        "[tox]",
        "envlist = py{310,311}-django{42}, lint",
        "[base]",
        "deps =",
        "    pytest-mock",
        "[testenv]",
        "deps =",
        "    {[base]deps}",
        "    pytest",
        "    py310: tomli",
        "    django42: Django>=4.2,<5",
        "    -rrequirements/test.txt",
        "extras = tests, yaml",
        "setenv =",
        "    PYTHONPATH = {toxinidir}/src",
        "changedir = {toxinidir}/tests",
        "commands_pre = python manage.py migrate",
        "commands = pytest {posargs:unit -q}",
        "[testenv:lint]",
        "commands = ruff check",
      ].join("\n"),
    );
    expect(cfg.envlist).toEqual(["py310-django42", "py311-django42", "lint"]);
    const env = toxEnv(cfg, "py311-django42");
    expect(env.deps.map((d) => [d.text, d.line])).toEqual([["pytest-mock", 5], ["pytest", 9], ["Django>=4.2,<5", 11], ["-rrequirements/test.txt", 12]]);
    expect(env.extras.map((e) => e.text)).toEqual(["tests", "yaml"]);
    expect(env.setenv.PYTHONPATH!.text).toBe("{toxinidir}/src");
    expect(env.changedir!.text).toBe("{toxinidir}/tests");
    expect(env.commandsPre[0]!.text).toBe("python manage.py migrate");
    expect(toxEnv(cfg, "lint").commands[0]!.text).toBe("ruff check");
    expect(toxEnv(cfg, "lint").sectionName).toBe("[testenv:lint]");
  });
  test("{posargs:default} marks where the user's arguments go; {envpython} and {env:X:d} are filled", () => {
    expect(substituteToxWords("{envpython} -m pytest {posargs:tests -q} --cov={env:PKG:mypkg}", { toxinidir: ".", env: {} })).toEqual({ words: ["python", "-m", "pytest", "--cov=mypkg"], posargs: { index: 3, default: ["tests", "-q"] } });
  });
  test("tox 3's bare [] is {posargs}", () => {
    expect(substituteToxWords("python selftest.py []", { toxinidir: ".", env: {} })).toEqual({ words: ["python", "selftest.py"], posargs: { index: 2, default: [] } });
  });
  test("Python minors from factors: py38, py310, 3.12; not a bare 38", () => {
    expect([minorOfFactor("py38"), minorOfFactor("py310"), minorOfFactor("3.12"), minorOfFactor("38"), minorOfFactor("lint")]).toEqual(["3.8", "3.10", "3.12", undefined, undefined]);
  });
  test("tox-gh's [gh] python mapping says which env CI runs for each Python", () => {
    const cfg = readToxIni("[tox]\nenvlist = py{312,313}\n[gh]\npython =\n    3.12: py312-extra\n    3.13: py313-extra, lint\n[testenv]\ncommands = pytest\n");
    expect(cfg.ciEnvs?.byMinor.get("3.13")).toEqual(["py313-extra", "lint"]);
  });
  test("native TOML ([tool.tox] env_run_base / env.NAME) and legacy_tox_ini in pyproject.toml", () => {
    const text = '[tool.tox]\nenv_list = ["3.12", "lint"]\n[tool.tox.env_run_base]\ndeps = ["pytest>=8"]\ndependency_groups = ["test"]\ncommands = [["pytest", { replace = "posargs", default = ["tests"], extend = true }]]\n';
    const cfg = readToxToml(Bun.TOML.parse(text) as Record<string, unknown>, text, "pyproject.toml", "tool.tox")!;
    const env = toxEnv(cfg, "3.12");
    expect(env.deps.map((d) => d.text)).toEqual(["pytest>=8"]);
    expect(env.dependencyGroups.map((d) => d.text)).toEqual(["test"]);
    expect(env.commands[0]!.text).toBe("pytest {posargs:tests}");
    const legacy = '[tool.tox]\nlegacy_tox_ini = """\n[tox]\nenvlist = py311\n[testenv]\ndeps = pytest\ncommands = pytest\n"""\n';
    const lc = readToxToml(Bun.TOML.parse(legacy) as Record<string, unknown>, legacy, "pyproject.toml", "tool.tox")!;
    expect(toxEnv(lc, "py311").deps[0]).toEqual({ text: "pytest", line: 6 });
  });
});

describe("nox (read statically, never run)", () => {
  const noxfile = [
    "import nox",
    "TEST_DEPS = ['pytest', 'pytest-xdist']",
    "nox.options.sessions = ['lint', 'tests']",
    "",
    "def install_extras(session):",
    "    session.install('-e', '.[yaml]')",
    "",
    "@nox.session(python=['3.11', '3.12'])",
    "def tests(session):",
    "    install_extras(session)",
    "    session.install(*TEST_DEPS, '-r', 'requirements/test.txt')",
    "    session.run('pytest', '-n', 'auto', *session.posargs, env={'COVERAGE': '1'})",
    "",
    "@nox.session(name='lint')",
    "def lint_it(session):",
    "    session.install('ruff')",
    "    session.run('ruff', 'check', '.')",
  ].join("\n");
  test("sessions with their Pythons, installs (constants and helpers followed), runs, posargs and env", () => {
    const nox = readNoxfile(noxfile);
    expect(nox.defaults).toEqual(["lint", "tests"]);
    const tests = nox.sessions.find((s) => s.name === "tests")!;
    expect(tests.pythons).toEqual(["3.11", "3.12"]);
    expect(tests.installs.map((c) => c.args)).toEqual([["-e", ".[yaml]"], ["pytest", "pytest-xdist", "-r", "requirements/test.txt"]]);
    expect(tests.runs[0]).toMatchObject({ args: ["pytest", "-n", "auto"], posargsIndex: 3, env: { COVERAGE: "1" }, line: 12 });
    expect(nox.sessions.map((s) => s.name)).toEqual(["tests", "lint"]);
  });
  test("what cannot be read statically is reported, not guessed", () => {
    const nox = readNoxfile("import nox\n@nox.session\ndef tests(session):\n    session.install(*compute_deps())\n    session.run('pytest')\n");
    expect(nox.sessions[0]!.installs[0]!.unread).toEqual(["compute_deps(…)"]);
  });
});

describe("task runners", () => {
  test("Makefile: variables, ?=, conditionals, $(shell), prerequisites first", () => {
    const mk = readMakefile(
      [
        "PYTHON ?= python3",
        "ifeq ($(OS),Windows_NT)",
        "  PYTEST = py -m pytest",
        "else",
        "  PYTEST = $(PYTHON) -m pytest",
        "endif",
        ".PHONY: test install",
        "install:",
        "\t$(PYTHON) -m pip install -e .[test]",
        "test: install",
        "\t@$(PYTEST) tests/ --cov=$(shell echo pkg)",
      ].join("\n"),
    );
    expect(mk.tasks.get("test")!.lines).toEqual([
      { text: "python3 -m pip install -e .[test]", line: 9 },
      { text: "python3 -m pytest tests/ --cov=$(echo pkg)", line: 11 },
    ]);
    expect(mk.defaultTarget).toBe("install");
    expect(expandMake("$$HOME $(UNSET)x", new Map())).toBe("$HOME x");
  });
  test("Justfile: recipes with dependencies, variables and a variadic parameter", () => {
    const just = readJustfile('py := "python"\nsetup:\n    {{py}} -m pip install -e .\ntest *ARGS: setup\n    {{py}} -m pytest {{ARGS}}\n');
    expect(just.get("test")!.lines.map((l) => l.text)).toEqual(["python -m pip install -e .", "python -m pytest \u0000ARGS\u0000"]);
  });
  test("noxfile: path constants of the project (ROOT = Path(__file__).parent, ROOT / \"pkg\", os.path.join) keep a session's test path", () => {
    const src = [
      "from pathlib import Path",
      "import os, nox",
      "ROOT = Path(__file__).parent",
      'PKG = ROOT / "referencing"',
      "HERE = os.path.dirname(os.path.abspath(__file__))",
      'TESTS = os.path.join(HERE, "tests")',
      "@nox.session",
      "def tests(session):",
      '    session.run("pytest", *session.posargs, PKG)',
      '    session.run("pytest", TESTS, UNKNOWN)',
      "",
    ].join("\n");
    const runs = readNoxfile(src).sessions[0]!.runs;
    expect(runs.map((r) => r.args)).toEqual([["pytest", "referencing"], ["pytest", "tests"]]);
    expect(runs[1]!.unread).toEqual(["UNKNOWN"]);
  });
  test("Justfile: a quoted variadic default with spaces, conditional {{ if … }} expressions dropped", () => {
    const text = 'python := ""\ncov *args="-x --ff -n auto tests":\n    uv run {{ if python != \'\' { \'-p \' + python } else { \'\' } }} --all-extras --group test coverage run -m pytest {{args}}\n';
    const cov = readJustfile(text).get("cov")!;
    expect(cov.argsDefault).toBe("-x --ff -n auto tests");
    expect(cov.lines.map((l) => l.text)).toEqual(["uv run  --all-extras --group test coverage run -m pytest \u0000ARGS\u0000"]);
  });
  test("taskipy, pdm, poe and Hatch env scripts from pyproject.toml", () => {
    const text = [
      "[tool.taskipy.tasks]",
      'test = "pytest -q"',
      "[tool.pdm.scripts]",
      'test = {cmd = "pytest", env = {X = "1"}}',
      'all = {composite = ["lint", "test"]}',
      "[tool.poe.tasks]",
      'test = {shell = "pytest tests"}',
      "[tool.hatch.envs.test.scripts]",
      'run = "pytest {args:tests}"',
    ].join("\n");
    const tasks = readPyprojectTasks(Bun.TOML.parse(text) as Record<string, unknown>, text);
    const find = (runner: string, name: string) => tasks.find((t) => t.runner === runner && t.name === name)!;
    expect(find("taskipy", "test").lines).toEqual([{ text: "pytest -q", line: 2 }]);
    expect(find("pdm", "test").env).toEqual({ X: "1" });
    expect(find("pdm", "all").lines.map((l) => l.text)).toEqual(["pdm run lint", "pdm run test"]);
    expect(find("poe", "test").lines[0]!.text).toBe("pytest tests");
    expect(find("hatch", "run")).toMatchObject({ hatchEnv: "test", line: 9 });
  });
  test("a poe task written as a bare array is a sequence of other tasks; a Hatch script's array is its commands", () => {
    const text = ["[tool.poe.tasks]", 'test = "pytest"', 'check = ["test", {cmd = "sphinx-build doc out"}]', "[tool.hatch.envs.default.scripts]", 'cov = ["pytest --cov", "coverage report"]'].join("\n");
    const tasks = readPyprojectTasks(Bun.TOML.parse(text) as Record<string, unknown>, text);
    expect(tasks.find((t) => t.runner === "poe" && t.name === "check")!.lines.map((l) => l.text)).toEqual(["poe test", "sphinx-build doc out"]);
    expect(tasks.find((t) => t.runner === "hatch" && t.name === "cov")!.lines.map((l) => l.text)).toEqual(["pytest --cov", "coverage report"]);
  });
  test("a Hatch script whose command starts with another script's name hands over to that script", () => {
    const text = ["[tool.hatch.envs.test.scripts]", "test = 'python -m unittest discover -s pkg'", 'with-coverage = "test"', 'cov = ["test -v", "coverage report"]'].join("\n");
    const tasks = readPyprojectTasks(Bun.TOML.parse(text) as Record<string, unknown>, text);
    expect(tasks.find((t) => t.name === "with-coverage")!.lines.map((l) => l.text)).toEqual(["hatch run test:test"]);
    expect(tasks.find((t) => t.name === "cov")!.lines.map((l) => l.text)).toEqual(["hatch run test:test -v", "coverage report"]);
  });
  test("Invoke tasks.py: @task functions named as Invoke names them, their c.run lines, a local helper followed", () => {
    const src = [
      "from invoke import task",
      "from invocations.pytest import test as test_",
      'OPTS = "-q"',
      "def _pytest(c, where):",
      '    c.run("pytest -x " + where)',
      "@task",
      "def unit_tests(c):",
      '    c.run("pip install -e .[test]")',
      '    c.run("pytest --cov pkg", pty=True)',
      "@task(help={})",
      "def integration(ctx):",
      "    _pytest(ctx, 'integration')",
      "@task",
      "def test(c, capture='no'):",
      "    test_(c, capture=capture)",
      "def not_a_task(c):",
      '    c.run("rm -rf /")',
      "",
    ].join("\n");
    const tasks = readInvokeTasks(src);
    expect(tasks.map((t) => t.name)).toEqual(["unit-tests", "integration", "test"]);
    expect(tasks[0]).toMatchObject({ runner: "invoke", line: 7, lines: [{ text: "pip install -e .[test]", line: 8 }, { text: "pytest --cov pkg", line: 9 }] });
    expect(tasks[0]!.opaque).toBeUndefined();
    // A command built at run time cannot be read: the task is only known by running it.
    expect(tasks[1]!.opaque).toContain("c.run");
    // The context handed to an imported helper (invocations' pytest.test).
    expect(tasks[2]).toMatchObject({ lines: [], opaque: "test_(c, …) at line 15" });
  });
  test("a shell script's lines, continuations joined", () => {
    expect(readShellScript("#!/bin/sh\nset -ex\n\n${PREFIX}pytest \\\n  --cov tests\n", "scripts/test").lines).toEqual([{ text: "${PREFIX}pytest --cov tests", line: 4 }]);
  });
});

describe("CI workflows", () => {
  test("GitHub Actions: jobs, run lines with their file lines, matrix Pythons (3.10 read as 3.10, not 3.1)", () => {
    const yml = "name: ci\njobs:\n  test:\n    strategy:\n      matrix:\n        python-version: [3.9, 3.10, '3.12']\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.python-version }}\n      - run: |\n          pip install -e .[test]\n          pytest -q\n";
    const [job] = readGithubWorkflow(yml, ".github/workflows/ci.yml");
    expect(job!.pythons.sort()).toEqual(["3.10", "3.12", "3.9"]);
    expect(job!.steps[0]!.lines).toEqual([{ text: "pip install -e .[test]", line: 12 }, { text: "pytest -q", line: 13 }]);
  });
  test("GitHub Actions: a workflow gates changes when it runs on pull requests or pushes to the main line, not one run only nightly, by hand, on tags or on side branches", () => {
    for (const on of ["push", ["push", "pull_request"], { pull_request: null }, { push: { branches: ["master"] } }, { push: { branches: ["release/*"] } }, { push: null }, { workflow_call: null }]) expect(workflowGatesChanges(on)).toBe(true);
    for (const on of ["schedule", { workflow_dispatch: null }, { push: { branches: ["ci", "staging"] } }, { push: { tags: ["v*"] } }, { release: { types: ["published"] } }]) expect(workflowGatesChanges(on)).toBe(false);
    expect(workflowGatesChanges(undefined)).toBeUndefined();
  });
  test("GitLab CI (image python:X, before_script), Azure Pipelines (UsePythonVersion, script), CircleCI (cimg/python, run)", () => {
    const gl = readGitlabCi("image: python:3.11\nbefore_script:\n  - pip install tox\ntest:\n  script:\n    - tox -e py311\n");
    expect(gl[0]).toMatchObject({ name: "test", pythons: ["3.11"] });
    expect(gl[0]!.steps[0]!.lines.map((l) => l.text)).toEqual(["pip install tox", "tox -e py311"]);
    const az = readAzurePipelines("jobs:\n- job: tests\n  steps:\n  - task: UsePythonVersion@0\n    inputs:\n      versionSpec: '3.12'\n  - script: python -m pytest\n");
    expect(az[0]).toMatchObject({ name: "tests", pythons: ["3.12"] });
    const cc = readCircleCi("jobs:\n  test:\n    docker:\n      - image: cimg/python:3.10\n    steps:\n      - run:\n          command: pytest\n");
    expect(cc[0]).toMatchObject({ name: "test", pythons: ["3.10"] });
    const tr = readTravis("language: python\npython:\n  - 2.7\n  - 3.6\ninstall:\n  - pip install -r requirements.txt\nscript: python selftest.py\n");
    expect(tr[0]!.pythons).toEqual(["2.7", "3.6"]);
    expect(tr[0]!.steps[0]!.lines).toEqual([{ text: "pip install -r requirements.txt", line: 6 }, { text: "python selftest.py", line: 7 }]);
  });
});

describe("conventions", () => {
  test("pytest's configuration: the first file pytest reads, addopts, and plugins its keys need", () => {
    const cfg = readPytestConfig(files({ "setup.cfg": "[tool:pytest]\naddopts = --cov=pkg -n auto\nasyncio_mode = auto\nrequired_plugins = pytest-timeout>=2\n" }));
    expect(cfg).toMatchObject({ file: "setup.cfg", line: 1, addopts: ["--cov=pkg", "-n", "auto"] });
    expect(cfg!.plugins.sort()).toEqual(["pytest-asyncio", "pytest-timeout"]);
    const py = readPytestConfig(files({ "pyproject.toml": '[project]\nname="x"\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n' }), { tool: { pytest: { ini_options: { testpaths: ["tests"] } } } });
    expect(py).toMatchObject({ file: "pyproject.toml", line: 3, testpaths: ["tests"] });
  });
  test("Django (manage.py naming a settings module), behave features, unittest-only tests and where discovery starts", () => {
    expect(readDjango(files({ "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")\n' }))).toEqual({ managePy: "manage.py", settings: "site.settings", line: 2 });
    expect(readBehave(files({}, ["features/login.feature", "features/steps/login.py"]))).toEqual({ dir: "features", features: 1 });
    const unit = files({ "tests/test_a.py": "import unittest\nclass T(unittest.TestCase):\n    pass\n" }, ["tests/test_a.py"]);
    expect(testStyle(unit)).toEqual({ pytest: false, unittest: true, files: 1 });
    expect(unittestStart(unit)).toEqual(["-s", "tests"]);
  });
});

describe("setup.py, read without running it", () => {
  test("name, python_requires, extras (through constants and +), tests_require, classifiers", () => {
    const facts = readSetupPy('from setuptools import setup\nT = ["pytest"]\nsetup(name="x", python_requires=">=3.7", extras_require={"test": T + ["mock"], "yaml": ["pyyaml"]}, tests_require=T, classifiers=["Programming Language :: Python :: 3.11"])\n');
    expect(facts).toMatchObject({ name: "x", pythonRequires: { value: ">=3.7" }, extras: { test: ["pytest", "mock"], yaml: ["pyyaml"] }, testsRequire: ["pytest"], classifiers: ["Programming Language :: Python :: 3.11"] });
    expect(readSetupPy('setup(extras_require=make_extras())\n')!.unread).toEqual([]);
    // Entries added to the dict afterwards (attrs: EXTRAS_REQUIRE["dev"] = EXTRAS_REQUIRE["tests"] + [...]).
    const later = readSetupPy('E = {"tests": ["pytest"]}\nE["dev"] = E["tests"] + ["tox"]\nsetup(extras_require=E)\n')!;
    expect(later.extras).toEqual({ tests: ["pytest"], dev: ["pytest", "tox"] });
    expect(readSetupPy("print('no setup call')\n")).toBeUndefined();
  });
});
