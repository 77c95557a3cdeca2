/**
 * The test route planner (src/testing/plan.ts) and what it is built from: classification of
 * command lines, the order of authority, hand-overs between routes, what setup installs for
 * a route, and the runners' counts.
 */
import { describe, expect, test } from "bun:test";
import { classify, condaToPypi, pipInstallNeeds, pytestPluginsFor } from "../../src/testing/commands.ts";
import { namedNotTests, planTestRoutes, type RoutePlanInput } from "../../src/testing/plan.ts";
import { routeInstall } from "../../src/testing/install-needs.ts";
import { parseCounts } from "../../src/testing/counts.ts";
import { commandLine } from "../../src/testing/run.ts";
import { splitSegments } from "../../src/testing/shell-words.ts";

function input(files: Record<string, string>, extra: Partial<RoutePlanInput> = {}, testFiles: string[] = []): RoutePlanInput {
  const pyproject = files["pyproject.toml"] ? (Bun.TOML.parse(files["pyproject.toml"]) as Record<string, unknown>) : undefined;
  return {
    files: { files: new Map(Object.entries(files)), dirs: new Set(), testFiles },
    ...(pyproject ? { pyproject } : {}),
    declared: { extras: {}, groups: [], requirementNames: [] },
    env: {},
    root: "/p",
    ...extra,
  };
}

describe("classifying a command line", () => {
  test("wrappers that only pick an environment are taken off", () => {
    expect(classify(["poetry", "run", "pytest", "-x"])).toMatchObject({ kind: "test", runner: "pytest", argv: ["python", "-m", "pytest", "-x"] });
    expect(classify(["uv", "run", "--frozen", "--extra", "redis", "--with", "hypothesis", "pytest"])).toMatchObject({
      kind: "test",
      needs: expect.arrayContaining([{ kind: "extra", name: "redis" }, { kind: "requirement", text: "hypothesis" }]),
    });
    expect(classify(["python3.11", "-Im", "pytest", "tests"])).toMatchObject({ kind: "test", argv: ["python", "-m", "pytest", "tests"] });
    expect(classify(["coverage", "run", "--source=pkg", "-m", "pytest"])).toMatchObject({ kind: "test", needs: expect.arrayContaining([{ kind: "requirement", text: "coverage" }]) });
    // uvx's tool is a need, unless it is one dhtl stands in for (tox, nox).
    expect(classify(["uvx", "--with", "tox-uv", "tox", "-e", "py312"])).toMatchObject({ kind: "delegate", tool: "tox", needs: [] });
    expect(classify(["uvx", "pytest", "-q"])).toMatchObject({ kind: "test", needs: expect.arrayContaining([{ kind: "requirement", text: "pytest" }]) });
    expect(classify(["DJANGO_SETTINGS_MODULE=s", "xvfb-run", "-a", "python", "manage.py", "test"])).toMatchObject({ kind: "test", runner: "django", env: { DJANGO_SETTINGS_MODULE: "s" } });
  });
  test("a module joined to python's -m flag is that module run: `python3 -munittest`, `python -Impytest -x`", () => {
    expect(classify(["python3", "-munittest"])).toMatchObject({ kind: "test", runner: "unittest", argv: ["python", "-m", "unittest"] });
    expect(classify(["python", "-Impytest", "-x"])).toMatchObject({ kind: "test", runner: "pytest", argv: ["python", "-m", "pytest", "-x"] });
  });
  test("a shell variable among coverage run's options holds options: `coverage run $branch_option -m pytest` runs pytest", () => {
    expect(classify(["coverage", "run", "$branch_option", "-m", "pytest"])).toMatchObject({ kind: "test", runner: "pytest", argv: ["python", "-m", "pytest"] });
  });
  test("a program named through a directory variable (`${PREFIX}coverage`, `$VENV/bin/pytest`) is that program; scripts/test's line is the CI route's suite", () => {
    expect(classify(["${PREFIX}pytest", "-x"])).toMatchObject({ kind: "test", runner: "pytest", argv: ["python", "-m", "pytest", "-x"] });
    expect(classify(["$VENV/bin/pytest"])).toMatchObject({ kind: "test", runner: "pytest" });
    expect(classify(["$PYTEST_ARGS"])).toMatchObject({ kind: "other" });
    const script = "#!/bin/sh\nexport PREFIX=\"\"\nif [ -d 'venv' ] ; then\n    export PREFIX=\"venv/bin/\"\nfi\nset -ex\n${PREFIX}coverage run -m pytest $@\n";
    const wf = "jobs:\n  tests:\n    steps:\n      - run: scripts/install\n      - run: scripts/test\n";
    const plan = planTestRoutes(input({ "scripts/test": script, ".github/workflows/test-suite.yml": wf }));
    expect(plan.chosen!.name).toBe("ci:tests");
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "pytest"]]);
  });
  test("runners: unittest, nose2, behave, trial, a project's runtests.py", () => {
    expect(classify(["python", "-m", "unittest", "discover", "-s", "tests"]).kind).toBe("test");
    expect(classify(["nose2", "-v"])).toMatchObject({ runner: "nose2", argv: ["python", "-m", "nose2", "-v"] });
    expect(classify(["behave", "--stop"])).toMatchObject({ runner: "behave" });
    expect(classify(["trial", "pkg"])).toMatchObject({ runner: "trial" });
    expect(classify(["python", "runtests.py", "--parallel"])).toMatchObject({ runner: "script" });
    // A runner inside the package's own test package (simplejson's CI: python -m simplejson.tests._cibw_runner .)
    expect(classify(["python", "-m", "simplejson.tests._cibw_runner", "."])).toMatchObject({ kind: "test", runner: "script", argv: ["python", "-m", "simplejson.tests._cibw_runner", "."] });
    expect(classify(["python", "-m", "pkg.testing.runtests"])).toMatchObject({ kind: "test", runner: "script" });
    // The Zope ecosystem's runner, as tox.ini calls it.
    expect(classify(["zope-testrunner", "--test-path=src", "-vc"])).toMatchObject({ kind: "test", runner: "zope-testrunner", argv: ["python", "-m", "zope.testrunner", "--test-path=src", "-vc"], needs: [{ kind: "requirement", text: "zope.testrunner" }] });
    expect(classify(["python", "-m", "build"]).kind).not.toBe("test");
    expect(classify(["python", "-m", "coverage.cmdline"]).kind).not.toBe("test");
  });
  test("installs: pip's arguments, uv sync, poetry, pdm, conda (names mapped), apt (system packages)", () => {
    expect(pipInstallNeeds(["-U", "-e", ".[test,yaml]", "-r", "req.txt", "-c", "c.txt", "--index-url", "https://x", "pytest>=8", "pip", "dist/*.whl"]).needs).toEqual([
      { kind: "extra", name: "test" },
      { kind: "extra", name: "yaml" },
      { kind: "requirement", text: "-r req.txt" },
      { kind: "requirement", text: "-c c.txt" },
      { kind: "requirement", text: "pytest>=8" },
    ]);
    expect(pipInstallNeeds(["django$DJANGO_VERSION"])).toEqual({ needs: [], unread: ["django$DJANGO_VERSION"] });
    // The project's own directory spelled through the shell or as a file:// URL (responses' Makefile).
    expect(pipInstallNeeds(["-e", "file://`pwd`#egg=responses[tests]"])).toEqual({ needs: [{ kind: "extra", name: "tests" }], unread: [] });
    expect(pipInstallNeeds(["file://$(pwd)#egg=pkg[a,b]", "${PWD}"])).toEqual({ needs: [{ kind: "extra", name: "a" }, { kind: "extra", name: "b" }], unread: [] });
    expect(pipInstallNeeds(["file:///opt/wheels/x.whl"]).needs).toEqual([{ kind: "requirement", text: "file:///opt/wheels/x.whl" }]);
    expect(classify(["uv", "sync", "--all-extras", "--group", "test"])).toEqual({ kind: "install", needs: [{ kind: "all-extras" }, { kind: "group", name: "test" }], unread: [] });
    expect(classify(["poetry", "install", "--with", "test,docs", "-E", "redis"])).toMatchObject({ needs: [{ kind: "group", name: "test" }, { kind: "group", name: "docs" }, { kind: "extra", name: "redis" }] });
    expect(classify(["conda", "install", "-c", "conda-forge", "-y", "pytorch", "python=3.11", "numpy=1.26"])).toMatchObject({ needs: [{ text: "torch" }, { text: "numpy==1.26.*" }] });
    expect(condaToPypi("msgpack-python")).toBe("msgpack");
    expect(classify(["sudo", "apt-get", "install", "-y", "libxml2-dev"])).toMatchObject({ needs: [{ kind: "system", manager: "apt", name: "libxml2-dev" }] });
    expect(classify(["pipenv", "install", "--dev", "--skip-lock"])).toEqual({ kind: "install", needs: [{ kind: "group", name: "dev" }, { kind: "no-lock" }], unread: [] });
  });
  test("hand-overs: tox -e, nox -s, make, just, task, hatch test, a script", () => {
    expect(classify(["tox", "-e", "py311", "--", "-x"])).toMatchObject({ kind: "delegate", tool: "tox", target: "py311", args: ["-x"] });
    expect(classify(["nox", "-rs", "tests"])).toMatchObject({ kind: "delegate", tool: "nox", target: "tests" });
    expect(classify(["make", "-j2", "test"])).toMatchObject({ tool: "make", target: "test" });
    expect(classify(["task", "test"])).toMatchObject({ tool: "taskipy", target: "test" });
    expect(classify(["hatch", "test", "-k", "x"])).toMatchObject({ tool: "hatch-test", args: ["-k", "x"] });
    expect(classify(["./scripts/test"])).toMatchObject({ tool: "script", target: "scripts/test" });
    // A look at a tool is not a run of it.
    expect(classify(["python", "-m", "tox", "--version"]).kind).toBe("other");
    expect(classify(["pytest", "--collect-only"]).kind).toBe("other");
  });
  test("pytest plugins a command line needs, by their options", () => {
    expect(pytestPluginsFor(["--cov=pkg", "-n", "auto", "--timeout=30", "-p", "xdist", "-p", "no:cacheprovider"]).sort()).toEqual(["pytest-cov", "pytest-timeout", "pytest-xdist"]);
  });
  test("shell lines split into simple commands, with what needs a real shell", () => {
    expect(splitSegments('cd tests && pytest "a b" | tee log')).toEqual([
      { words: ["cd", "tests"], then: "&&", needsShell: false },
      { words: ["pytest", "a b"], then: "|", needsShell: false },
      { words: ["tee", "log"], then: "", needsShell: false },
    ]);
    expect(splitSegments("pytest $ARGS")[0]!.needsShell).toBe(true);
  });
});

describe("the route, in order of authority", () => {
  const tox = "[tox]\nenvlist = py311, lint\n[testenv]\ndeps = pytest\ncommands = pytest {posargs}\n[testenv:lint]\ncommands = ruff check\n";
  test("tox before nox, task runners and conventions; every route keeps its evidence", () => {
    const plan = planTestRoutes(input({ "tox.ini": tox, Makefile: "test:\n\tpytest -q\n", "pytest.ini": "[pytest]\n" }));
    expect(plan.routes.map((r) => r.name)).toEqual(["tox:py311", "make:test", "pytest"]);
    expect(plan.chosen!.needs[0]).toEqual({ kind: "requirement", text: "pytest", evidence: { file: "tox.ini", line: 4, what: "[testenv] deps" } });
    expect(plan.chosen!.suites[0]).toMatchObject({ argv: ["python", "-m", "pytest"], posargs: { index: 3, default: [] } });
  });
  test("a tox deps line is one requirement, spaces and all; option lines are pip options", () => {
    const plan = planTestRoutes(input({ "tox.ini": "[testenv]\ndeps =\n    coverage >= 3.3\n    -r requirements.txt\n    django>=4; python_version >= '3.10'\ncommands = pytest\n" }));
    expect(plan.chosen!.needs.filter((n) => n.kind === "requirement").map((n) => ("text" in n ? n.text : ""))).toEqual(["coverage >= 3.3", "-r requirements.txt", "django>=4; python_version >= '3.10'", "pytest"]);
  });
  test(".dhtconfig test.command outranks everything; test.route picks another route", () => {
    expect(planTestRoutes(input({ "tox.ini": tox }, { config: { command: "pytest -q tests" } })).chosen!.name).toBe("config");
    expect(planTestRoutes(input({ "tox.ini": tox, Makefile: "test:\n\tpytest\n" }, { config: { route: "make:test" } })).chosen!.name).toBe("make:test");
    expect(planTestRoutes(input({ "tox.ini": tox }, { config: { route: "nope" } })).why).toContain("no route named nope");
  });
  test("the tox env of the chosen Python is preferred; lint envs never run the tests", () => {
    const plan = planTestRoutes(input({ "tox.ini": "[tox]\nenvlist = lint, py{310,311,312}\n[testenv]\ndeps =\n  py310: tomli\n  pytest\ncommands = pytest\n[testenv:lint]\ncommands = pytest --flake8\n" }, { pythonMinor: "3.10" }));
    expect(plan.chosen!.name).toBe("tox:py310");
    expect(plan.chosen!.needs.map((n) => ("text" in n ? n.text : ""))).toContain("tomli");
  });
  test("a CI job that runs the tests itself outranks a tox.ini CI never calls; one that runs tox is the tox env plus CI's installs", () => {
    const direct = ".github/workflows/ci.yml";
    const ci = (run: string) => `jobs:\n  test:\n    steps:\n      - run: |\n          pip install -e .[test] hypothesis\n          ${run}\n`;
    const a = planTestRoutes(input({ "tox.ini": tox, [direct]: ci("pytest --doctest-modules src") }));
    expect(a.chosen).toMatchObject({ name: "ci:test", source: "ci" });
    expect(a.why).toContain("CI runs the tests itself");
    const b = planTestRoutes(input({ "tox.ini": tox, [direct]: ci("tox -e py311") }));
    expect(b.chosen!.suites[0]!.evidence.file).toBe("tox.ini");
    expect(b.chosen!.needs.map((n) => ("text" in n ? n.text : "name" in n ? n.name : ""))).toEqual(expect.arrayContaining(["test", "hypothesis", "pytest"]));
    // A matrix expression in an install line cannot be read: tox keeps its place.
    expect(planTestRoutes(input({ "tox.ini": tox, [direct]: ci('pip install "django${{ matrix.django }}"\n          pytest') })).chosen!.name).toBe("tox:py311");
  });
  test("a CI job that type-checks through tox before it tests (-e $PYTHON-mypy, then -e $PYTHON-tests) runs the tests env, not the mypy env's pytest -k", () => {
    const toxIni = "[tox]\nenv_list = 3.1{0,1}-tests, 3.1{0,1}-mypy\n[testenv]\ndependency_groups =\n    tests: tests\n    mypy: mypy\ncommands =\n    tests: pytest {posargs:-n auto}\n    mypy: pytest -k test_mypy\n    mypy: mypy src\n";
    const wf = "jobs:\n  tests:\n    env:\n      PYTHON: '3.11'\n    steps:\n      - run: tox run -e $PYTHON-mypy\n      - run: tox run -e $PYTHON-tests\n";
    const plan = planTestRoutes(input({ "tox.ini": toxIni, ".github/workflows/ci.yml": wf }, { pythonMinor: "3.11" }));
    expect(plan.chosen!.suites.map((s) => s.argv.join(" "))).toEqual(["python -m pytest"]);
    expect(plan.chosen!.suites[0]!.posargs?.default).toEqual(["-n", "auto"]);
    expect(plan.chosen!.needs.map((n) => ("name" in n ? n.name : ""))).not.toContain("mypy");
    expect(plan.chosen!.skipped.join("\n")).toContain("is not the job's test env");
    // A job whose only tox run is a lint env still has that route (nothing better in the job).
    const only = planTestRoutes(input({ "tox.ini": toxIni, ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: tox -e py311-mypy\n" }, { pythonMinor: "3.11" }));
    expect(only.routes.find((r) => r.name.startsWith("ci:"))?.suites.map((s) => s.argv.join(" "))).toEqual(["python -m pytest -k test_mypy"]);
  });
  test("tox changedir: {tox_root} still names the project root, {env_site_packages_dir}/pkg falls back to the editable source", async () => {
    const toxIni = "[tox]\nenvlist = py311\n[testenv]\nchangedir = .tox\ndependency_groups = dev\ncommands = pytest --doctest-modules {env_site_packages_dir}/pkg {tox_root}/tests {posargs}\n";
    const plan = planTestRoutes(input({ "tox.ini": toxIni }, { pythonMinor: "3.11" }));
    const suite = plan.chosen!.suites[0]!;
    expect(suite.cwd).toBe(".tox");
    expect(suite.argv).toEqual(["python", "-m", "pytest", "--doctest-modules", "{env_site_packages_dir}/pkg", "/p/tests"]);
    const { sitePackagesFallback } = await import("../../src/testing/run.ts");
    const site = "/p/.venv/lib/python3.11/site-packages";
    const have = new Set(["/p/pkg", "/p/src/other"]);
    expect(sitePackagesFallback([`${site}/pkg`, `${site}/other`, `${site}/gone`, "/p/tests"], site, "/p", (x) => have.has(x))).toEqual(["/p/pkg", "/p/src/other", `${site}/gone`, "/p/tests"]);
  });
  test("a bare tox under tox-gh-actions runs every env mapped to the Python, each with its setenv; envs installing different things do not share one venv", () => {
    const toxIni = "[tox]\nenvlist = py{311,312}, py{311,312}-{without,install,disable}-extensions\n[gh-actions]\npython =\n    3.11: py311, py311-without-extensions, py311-install-extensions, py311-disable-extensions\n    3.12: py312\n[testenv]\ndeps = pytest\ncommands = python -m pytest -v {toxinidir}/tests\nsetenv =\n  without-extensions: PKG_EXT = false\n  install-extensions,disable-extensions: PKG_EXT = true\n  disable-extensions: PKG_DISABLE = true\n";
    const wf = "jobs:\n  test:\n    steps:\n      - run: pip install tox tox-gh-actions\n      - run: tox\n";
    const plan = planTestRoutes(input({ "tox.ini": toxIni, ".github/workflows/ci.yml": wf }, { pythonMinor: "3.11" }));
    expect(plan.chosen!.suites.map((s) => s.env ?? {})).toEqual([{}, { PKG_EXT: "false" }, { PKG_EXT: "true" }, { PKG_EXT: "true", PKG_DISABLE: "true" }]);
    const django = "[tox]\nenvlist = py311-dj{42,50}\n[gh-actions]\npython =\n    3.11: py311-dj42, py311-dj50\n[testenv]\ndeps =\n  pytest\n  dj42: django~=4.2.0\n  dj50: django~=5.0.0\ncommands = pytest\n";
    const one = planTestRoutes(input({ "tox.ini": django, ".github/workflows/ci.yml": wf }, { pythonMinor: "3.11" }));
    expect(one.chosen!.suites).toHaveLength(1);
    expect(one.chosen!.needs.filter((n) => "text" in n && n.text.startsWith("django"))).toHaveLength(1);
  });
  test("${{ matrix.extras }} glued to an install argument takes the matrix's first value; unresolved, the project is still itself; -p <the project> needs nothing more", () => {
    const wf = (extras: string) => `jobs:\n  test:\n    strategy:\n      matrix:\n        python-version: ["3.11", "3.12"]\n${extras}    steps:\n      - run: pip install --group test -e .\${{ matrix.extras }}\n      - run: pytest -p anyio tests\n`;
    const declared = { extras: { trio: [] }, groups: ["test"], requirementNames: [] } as unknown as RoutePlanInput["declared"];
    const resolved = planTestRoutes(input({ ".github/workflows/ci.yml": wf('        extras: ["[trio]"]\n        include:\n          - extras: ""\n') }, { declared }));
    const install = routeInstall(resolved.chosen!.needs, { extras: ["trio"], groups: ["test"], project: "anyio" });
    expect(install.extras.map((e) => e.name)).toEqual(["trio"]);
    expect(install.groups.map((g) => g.name)).toEqual(["test"]);
    expect(install.requirements.map((r) => r.text)).toEqual(["pytest"]);
    const unresolved = planTestRoutes(input({ ".github/workflows/ci.yml": wf("") }, { declared }));
    expect(unresolved.chosen!.needs.some((n) => "text" in n && n.text.includes("CI_EXPRESSION"))).toBe(false);
    expect(unresolved.chosen!.unread.join(" ")).toContain(".$CI_EXPRESSION");
    // The project's own name with extras asks for those extras; another package is a requirement.
    expect(routeInstall([{ kind: "requirement", text: "anyio[trio]", evidence: { file: "x", what: "t" } }], { extras: ["trio"], groups: [], project: "AnyIO" }).extras.map((e) => e.name)).toEqual(["trio"]);
    expect(routeInstall([{ kind: "requirement", text: "anyio-extras", evidence: { file: "x", what: "t" } }], { extras: [], groups: [], project: "anyio" }).requirements).toHaveLength(1);
  });
  test("an expression holding braces (${{ format('py{0}', matrix.python) }}) is one unreadable word, not a mangled tail", () => {
    const wf = "jobs:\n  test:\n    steps:\n      - run: tox run -e ${{ format('py{0}', matrix.python) }}\n      - run: pytest\n";
    const plan = planTestRoutes(input({ ".github/workflows/ci.yml": wf }));
    expect([...plan.chosen!.skipped, ...plan.chosen!.unread].join("\n")).not.toContain("matrix.python) }}");
  });
  test("CI runs `just python=… cov`: the NAME=VALUE words set variables, the recipe's variadic default is what runs, its uv run needs are the route's", () => {
    const justfile = 'cov *args="-x -n auto tests":\n    uv run {{ if python != \'\' { \'-p \' + python } else { \'\' } }} --all-extras --group test coverage run -m pytest {{args}}\n';
    const wf = "jobs:\n  tests:\n    steps:\n      - run: just python=${{ format('python{0}', matrix.python-version) }} covcleanup=\"false\" cov\n";
    const plan = planTestRoutes(input({ Justfile: justfile, ".github/workflows/main.yml": wf }));
    expect(plan.chosen!.name).toBe("ci:tests");
    expect(plan.chosen!.suites[0]!.posargs?.default).toEqual(["-x", "-n", "auto", "tests"]);
    expect(plan.chosen!.needs.map((n) => n.kind === "group" ? `group ${n.name}` : n.kind)).toEqual(expect.arrayContaining(["all-extras", "group test"]));
    // Hatch's {args:default} likewise.
    const hatch = planTestRoutes(input({ "pyproject.toml": '[tool.hatch.envs.default.scripts]\ntest = "pytest {args:tests -q}"\n' }));
    expect(hatch.routes.find((r) => r.name.startsWith("hatch"))!.suites[0]!.posargs?.default).toEqual(["tests", "-q"]);
  });
  test("CI runs `uv run poe check`, a poe sequence of tasks: the route follows it to the pytest of its `test` task", () => {
    const pyproject = '[tool.poe.tasks]\ntest = "pytest"\ndocs = "sphinx-build -b doctest doc out"\ncheck = ["test", "docs"]\n';
    const wf = "jobs:\n  test:\n    strategy:\n      matrix:\n        include:\n          - python: '3.11'\n            task: check\n    steps:\n      - run: uv run --python ${{ matrix.python }} poe ${{ matrix.task }}\n";
    const plan = planTestRoutes(input({ "pyproject.toml": pyproject, ".github/workflows/ci.yaml": wf }));
    expect(plan.chosen!.name).toBe("ci:test");
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "pytest"]]);
  });
  test("CI runs `hatch run +py=X test:default`: the matrix filter picks a variant, not the script; `hatch -e test run` names the env like `test:`", () => {
    const pyproject = '[tool.hatch.envs.test]\ndependencies = ["pytest"]\n[tool.hatch.envs.test.scripts]\ndefault = "pytest {args}"\n[[tool.hatch.envs.test.matrix]]\npython = ["3.11", "3.12"]\n';
    const wf = "jobs:\n  build:\n    strategy:\n      matrix:\n        python: ['3.11']\n    steps:\n      - run: hatch run +py=${{ matrix.python }} test:default --color=yes\n";
    const plan = planTestRoutes(input({ "pyproject.toml": pyproject, ".github/workflows/main.yml": wf }, { declared: { extras: {}, groups: ["test"], requirementNames: [] } }));
    expect(plan.chosen!.name).toBe("ci:build");
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "pytest"]]);
    // The words after the script's name stand in its {args}, as the user's would.
    expect(plan.chosen!.suites[0]!.posargs?.default).toEqual(["--color=yes"]);
    expect(plan.chosen!.needs).toContainEqual(expect.objectContaining({ kind: "group", name: "test" }));
    expect(classify(["hatch", "-e", "test", "run", "default"])).toMatchObject({ kind: "delegate", tool: "hatch-run", target: "test:default" });
  });
  test("CI's `pdm run test -m 'not slow'` reaches the pdm script test, the words after its name appended to its one command, as pdm does", () => {
    const pyproject = '[tool.pdm.scripts]\ntest = "pytest"\n';
    const wf = "jobs:\n  test:\n    steps:\n      - run: pdm run test -m 'not slow'\n";
    const suite = planTestRoutes(input({ "pyproject.toml": pyproject, ".github/workflows/ci.yml": wf })).chosen!.suites[0]!;
    expect(suite.argv).toEqual(["python", "-m", "pytest"]);
    expect(suite.posargs).toEqual({ index: 3, default: ["-m", "not slow"] });
  });
  test("CI's `coverage run tests.py` of a module with no __main__ block runs no tests: the Makefile's test target is the route", () => {
    const tests = "import unittest\nimport doctest\n\nclass T(unittest.TestCase):\n    def test_x(self):\n        pass\n\ndef load_tests(loader, tests, ignore):\n    return tests\n";
    const makefile = "test:\n\tpython3 -munittest\n\ncoverage:\n\tcoverage run --source=pkg tests.py\n\tcoverage report -m\n";
    const wf = "jobs:\n  test:\n    steps:\n      - run: pip install -r requirements-dev.txt\n      - run: make coverage\n";
    const plan = planTestRoutes(input({ makefile, "tests.py": tests, ".github/workflows/test.yaml": wf }, {}, ["tests.py"]));
    expect(plan.chosen!.name).toBe("make:test");
    expect(plan.routes.map((r) => r.name)).not.toContain("ci:test");
    // With a __main__ block the same command is the project's runner.
    const withMain = planTestRoutes(input({ makefile, "tests.py": `${tests}\nif __name__ == "__main__":\n    unittest.main()\n`, ".github/workflows/test.yaml": wf }, {}, ["tests.py"]));
    expect(withMain.chosen!.name).toBe("ci:test");
  });
  test("of two CI workflows, the one run on pull requests is the route, not one run only on pushes to side branches", () => {
    const side = "on:\n  push:\n    branches: [ci, staging]\njobs:\n  build:\n    steps:\n      - run: coverage run test.py\n";
    const main = "on:\n  pull_request: null\n  push:\n    branches: [master]\njobs:\n  build:\n    steps:\n      - run: pip install tox\n      - run: tox\n";
    const toxIni = "[tox]\nenv_list = py311\n[testenv]\ndeps = pytest\ncommands = pytest test.py\n";
    const plan = planTestRoutes(input({ ".github/workflows/ci.yml": side, ".github/workflows/main.yml": main, "tox.ini": toxIni }, { pythonMinor: "3.11" }));
    expect(plan.chosen!.evidence[0]).toMatchObject({ file: ".github/workflows/main.yml" });
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "pytest", "test.py"]]);
  });
  test("a target named for the tests with coverage (`test:with-coverage`, `tests-cov`) runs the tests; a bare coverage or docs-test one does not", () => {
    for (const n of ["test:with-coverage", "tests-cov", "test-coverage", "unit_cov"]) expect(namedNotTests(n)).toBe(false);
    for (const n of ["coverage", "coverage-report", "docs-test", "lint", "test-mypy"]) expect(namedNotTests(n)).toBe(true);
    // CI's unit step through such a script is the job's test step, not one set aside for a
    // later step; the job's later test step under the same condition runs after it, as in CI.
    const pyproject = '[tool.hatch.envs.test.scripts]\ntest = "python -m unittest discover -s pkg"\nwith-coverage = "python -m unittest discover -s pkg -v"\n';
    const wf = "jobs:\n  test:\n    steps:\n      - run: hatch run test:with-coverage\n      - run: python -m pkg.tests.integration\n";
    const plan = planTestRoutes(input({ "pyproject.toml": pyproject, ".github/workflows/ci.yml": wf }, { declared: { extras: {}, groups: ["test"], requirementNames: [] } }));
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "unittest", "discover", "-s", "pkg", "-v"], ["python", "-m", "pkg.tests.integration"]]);
  });
  test("a tox env's commands run with tox's filtered environment: CI=true from the caller is dropped, pass_env names and globs go through", async () => {
    const toxIni = "[tox]\nenvlist = py311\n[testenv]\npass_env =\n    MY_*\n    GITHUB_ACTIONS\ncommands = pytest tests\n";
    const plan = planTestRoutes(input({ "tox.ini": toxIni }, { pythonMinor: "3.11" }));
    expect(plan.chosen!.suites[0]!.passEnv).toEqual(["MY_*", "GITHUB_ACTIONS"]);
    // A route that is not tox's keeps the caller's environment.
    expect(planTestRoutes(input({ ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest\n" })).chosen!.suites[0]!.passEnv).toBeUndefined();
    const { toxPassedEnv } = await import("../../src/testing/run.ts");
    const env = { PATH: "/v/bin", VIRTUAL_ENV: "/v", CI: "true", HOME: "/root", PIP_INDEX_URL: "x", MY_TOKEN: "t", PYTEST_ADDOPTS: "-x", GITHUB_ACTIONS: "1", SSL_CERT_FILE: "/ca" };
    expect(toxPassedEnv(env, ["MY_*", "GITHUB_ACTIONS"], "linux")).toEqual({ PATH: "/v/bin", VIRTUAL_ENV: "/v", HOME: "/root", PIP_INDEX_URL: "x", MY_TOKEN: "t", GITHUB_ACTIONS: "1", SSL_CERT_FILE: "/ca" });
    expect(Object.keys(toxPassedEnv(env, [], "linux"))).not.toContain("CI");
  });
  test("tox -e ${{ matrix.tox_env }}: the env of the chosen Python among the matrix's values, not the matrix's first (py39-pytestmin)", () => {
    const toxIni = "[tox]\nenvlist = py{39,311,313}-pytestlatest, py39-pytestmin\n[testenv]\ndeps =\n  pytestmin: pytest==7.0.0\n  pytestlatest: pytest\ncommands = pytest\n";
    const wf = "jobs:\n  test:\n    strategy:\n      matrix:\n        tox_env: [py39-pytestmin, py39-pytestlatest, py311-pytestlatest, py313-pytestlatest]\n    steps:\n      - run: tox -e ${{ matrix.tox_env }}\n";
    const plan = planTestRoutes(input({ "tox.ini": toxIni, ".github/workflows/test.yml": wf }, { pythonMinor: "3.13" }));
    expect(plan.chosen!.evidence.map((e) => e.what).join(" ")).toContain("env py313-pytestlatest");
    expect(plan.chosen!.needs.map((n) => ("text" in n ? n.text : ""))).not.toContain("pytest==7.0.0");
  });
  test("later CI steps under the test step's condition are the job's suites too; other conditions, and what else they run, are not", () => {
    const wf = [
      "jobs:",
      "  test:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - run: pip install -r requirements.txt pytest",
      "      - name: Test (C extension)",
      "        if: ${{ ! contains(matrix.py, 't') }}",
      "        run: pytest -v test",
      "      - name: Test (pure Python fallback)",
      "        if: \"!contains(matrix.py, 't')\"",
      "        run: MSGPACK_PUREPYTHON=1 pytest -v test",
      "      - name: Test in parallel under free-threading",
      "        if: contains(matrix.py, 't')",
      "        run: pytest -v --parallel-threads=auto test",
      "      - name: Doctests",
      "        if: ${{ ! contains(matrix.py, 't') }}",
      "        env: {PYTHONHASHSEED: '0'}",
      "        run: |",
      "          pip install sybil",
      "          pytest docs",
      "          python -m build",
      "",
    ].join("\n");
    const plan = planTestRoutes(input({ ".github/workflows/test.yml": wf }));
    expect(plan.chosen!.suites.map((s) => [s.argv.slice(3).join(" "), s.env ?? {}])).toEqual([
      ["-v test", {}],
      ["-v test", { MSGPACK_PUREPYTHON: "1" }],
      ["docs", { PYTHONHASHSEED: "0" }],
    ]);
    // What the step installs for its tests is theirs (a later step's `pip install sybil` before `pytest docs`).
    expect(plan.chosen!.needs.map((n) => (n.kind === "requirement" ? n.text : n.kind))).toContain("sybil");
    expect(plan.chosen!.skipped.join()).not.toContain("build");
  });
  test("a tox.ini without an env list: bare tox (CI's `tox`) runs the base [testenv] as py, not a named env such as diffcov", () => {
    const toxIni = "[testenv]\nextras = test\ncommands = pytest {posargs}\n[testenv:diffcov]\ndeps = diff-cover\ncommands =\n    pytest {posargs} --cov-report xml\n    diff-cover coverage.xml\n[testenv:docs]\ncommands = sphinx-build docs build\n";
    const wf = "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python -m pip install tox\n      - run: tox\n";
    const plan = planTestRoutes(input({ "tox.ini": toxIni, ".github/workflows/main.yml": wf }));
    expect(plan.routes.find((r) => r.source === "tox")!.name).toBe("tox:py");
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "pytest"]]);
    expect(plan.chosen!.needs.map((n) => (n.kind === "requirement" ? n.text : n.kind))).not.toContain("diff-cover");
  });
  test("tox run --notest / nox --install-only make environments ready: the step after them runs the tests", () => {
    expect(classify(["tox", "run", "--notest", "-e", "py312"]).kind).toBe("other");
    expect(classify(["nox", "-s", "tests", "--install-only"]).kind).toBe("other");
    const wf = "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: tox run --notest -e py\n      - run: tox run --skip-pkg-install -e py\n        env:\n          PYTEST_ADDOPTS: -vv\n";
    const plan = planTestRoutes(input({ ".github/workflows/ci.yml": wf, "tox.ini": "[testenv]\ncommands = pytest\n" }));
    expect(plan.chosen!.suites).toHaveLength(1);
    expect(plan.chosen!.env).toMatchObject({ PYTEST_ADDOPTS: "-vv" });
  });
  test("a downstream job that clones another repository is not the project's test job", () => {
    const wf = "jobs:\n  test-downstream:\n    steps:\n      - run: git clone https://example.org/other . && pytest\n  unit:\n    steps:\n      - run: pip install pytest-mock && pytest tests\n";
    expect(planTestRoutes(input({ ".github/workflows/ci.yml": wf })).chosen!.name).toBe("ci:unit");
  });
  test("conventions: Django's manage.py test, a runtests.py, pytest config with its plugins, behave added as a second suite", () => {
    const django = planTestRoutes(input({ "manage.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "s.settings")\n' }));
    expect(django.chosen!.suites[0]!.argv).toEqual(["python", "manage.py", "test"]);
    const both = planTestRoutes(input({ "setup.cfg": "[tool:pytest]\naddopts = --cov\n" }, {}, ["tests/test_a.py", "features/a.feature"]));
    expect(both.chosen!.suites.map((s) => s.runner)).toEqual(["pytest", "behave"]);
    expect(both.chosen!.needs.map((n) => ("text" in n ? n.text : ""))).toEqual(expect.arrayContaining(["pytest", "pytest-cov", "behave"]));
  });
  test("extras named after a backend the tests import are needed by the suite", () => {
    const plan = planTestRoutes(
      input({ "pytest.ini": "[pytest]\n", "tests/test_redis.py": "import redis\n" }, { declared: { name: "pkg", extras: { redis: ["redis>=4"], docs: ["sphinx"] }, groups: [], requirementNames: [] } }, ["tests/test_redis.py"]),
    );
    expect(plan.chosen!.needs).toContainEqual({ kind: "extra", name: "redis", evidence: { file: "tests/test_redis.py", line: 1, what: "the tests import redis, which the [redis] extra provides" } });
  });
  test("Python signals: the tox env list, the CI matrix, a Dockerfile's FROM", () => {
    const plan = planTestRoutes(input({ "tox.ini": "[tox]\nenvlist = py{38,312}\n[testenv]\ncommands = pytest\n", Dockerfile: "FROM python:3.6-slim\n", ".github/workflows/t.yml": "jobs:\n  t:\n    strategy:\n      matrix:\n        python-version: ['3.10']\n    steps:\n      - run: pytest\n" }));
    expect(plan.signals.map((s) => [s.kind, s.minors])).toEqual([["tox-envlist", ["3.12", "3.8"]], ["ci-matrix", ["3.10"]], ["dockerfile", ["3.6"]]]);
  });
});

describe("Invoke tasks (tasks.py)", () => {
  const tasksPy = (body: string) => `from invoke import task\n@task\ndef test(c):\n${body}\n`;
  test("a test task whose c.run lines can be read is run line by line, as a Makefile target is", () => {
    const plan = planTestRoutes(input({ "tasks.py": tasksPy('    c.run("pytest -q tests", pty=True)'), "pytest.ini": "[pytest]\n" }));
    expect(plan.chosen).toMatchObject({ name: "invoke:test", source: "task" });
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "pytest", "-q", "tests"]]);
  });
  test("a test task that hands its context to an imported helper is run through invoke itself, which must be installed", () => {
    const plan = planTestRoutes(input({ "tasks.py": `from invocations.pytest import test as t\n${tasksPy("    t(c, capture='no')")}`, "pytest.ini": "[pytest]\n" }));
    expect(plan.chosen).toMatchObject({ name: "invoke:test", source: "task" });
    expect(plan.chosen!.suites).toMatchObject([{ argv: ["python", "-m", "invoke", "test"], runner: "script" }]);
    expect(plan.chosen!.needs).toContainEqual(expect.objectContaining({ kind: "requirement", text: "invoke" }));
  });
  test("an unreadable task CI runs that is not named as a test task (inv regression) is no test route", () => {
    const tasks = `from invocations.pytest import test as t\n${tasksPy("    t(c)")}@task\ndef regression(c, jobs=8):\n    c.run(CMD.format(jobs))\n`;
    const wf = "jobs:\n  regression:\n    runs-on: ubuntu-latest\n    steps:\n      - run: inv regression\n";
    const plan = planTestRoutes(input({ "tasks.py": tasks, ".github/workflows/ci.yml": wf }));
    expect(plan.routes.map((r) => r.name)).toEqual(["invoke:test"]);
  });
  test("inv / invoke in CI hands over to the task named after the core options", () => {
    expect(classify(["inv", "-c", "tasks_ci", "unit_tests", "--verbose"])).toMatchObject({ kind: "delegate", tool: "invoke", target: "unit_tests", args: ["--verbose"] });
    const wf = "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install -e .[test]\n      - run: invoke unit_tests\n";
    const plan = planTestRoutes(input({ "tasks.py": "from invoke import task\n@task\ndef unit_tests(c):\n    c.run('pytest tests/unit')\n", ".github/workflows/ci.yml": wf }));
    expect(plan.chosen).toMatchObject({ name: "ci:test" });
    expect(plan.chosen!.suites.map((s) => s.argv)).toEqual([["python", "-m", "pytest", "tests/unit"]]);
  });
});

describe("what setup installs for a route", () => {
  test("declared extras and groups are matched (a hatch env spelled hatch:test), the rest named as unknown", () => {
    const ev = { file: "tox.ini", line: 3, what: "[testenv] deps" };
    const r = routeInstall(
      [
        { kind: "requirement", text: "-r requirements/test.txt", evidence: ev },
        { kind: "requirement", text: "pytest-cov", evidence: ev },
        { kind: "extra", name: "Test", evidence: ev },
        { kind: "group", name: "lint", evidence: ev },
        { kind: "group", name: "nope", evidence: ev },
        { kind: "system", manager: "apt", name: "libxml2-dev", evidence: ev },
      ],
      { extras: ["test"], groups: ["hatch:lint"] },
    );
    expect(r).toEqual({
      requirements: [{ text: "pytest-cov", origin: "tox.ini:3 [testenv] deps" }],
      requirementFiles: [{ path: "requirements/test.txt", origin: "tox.ini:3 [testenv] deps" }],
      constraintFiles: [],
      extras: [{ name: "test", origin: "tox.ini:3 [testenv] deps" }],
      groups: [{ name: "hatch:lint", origin: "tox.ini:3 [testenv] deps" }],
      system: [{ manager: "apt", name: "libxml2-dev", origin: "tox.ini:3 [testenv] deps" }],
      unknown: ["group nope (tox.ini:3 [testenv] deps)"],
    });
  });
  test("the user's arguments go where {posargs} is, replacing its default; placeholders are filled", () => {
    const cmd = { argv: ["python", "-m", "pytest", "--basetemp={envtmpdir}"], runner: "pytest" as const, posargs: { index: 3, default: ["tests"] }, evidence: { file: "tox.ini", what: "commands" } };
    expect(commandLine(cmd, undefined, { envtmpdir: "/t" })).toEqual(["python", "-m", "pytest", "tests", "--basetemp=/t"]);
    expect(commandLine(cmd, ["-k", "x"], { envtmpdir: "/t" })).toEqual(["python", "-m", "pytest", "-k", "x", "--basetemp=/t"]);
  });
  test("tox placeholders inside the {posargs} default list (tox.toml's replace = posargs) are filled; the user's own arguments are passed as written", () => {
    const cmd = { argv: ["python", "-m", "pytest", "tests"], runner: "pytest" as const, posargs: { index: 3, default: ["--cov", "{env_site_packages_dir}/pkg", "--cov-report", "html:{env_tmp_dir}/htmlcov"] }, evidence: { file: "tox.toml", what: "commands" } };
    expect(commandLine(cmd, undefined, { env_site_packages_dir: "/v/site", env_tmp_dir: "/t" })).toEqual(["python", "-m", "pytest", "--cov", "/v/site/pkg", "--cov-report", "html:/t/htmlcov", "tests"]);
    expect(commandLine(cmd, ["-k", "{envname}"], { envname: "py" })).toEqual(["python", "-m", "pytest", "-k", "{envname}", "tests"]);
  });
});

describe("counting what ran", () => {
  test("pytest, pytest-pretty, unittest (expected failures are skips), trial and behave; several summaries add up", () => {
    expect(parseCounts("== 2 failed, 10 passed, 1 skipped, 1 xfailed, 3 errors in 1.20s ==")).toMatchObject({ passed: 10, failed: 2, skipped: 2, errors: 3, suites: 1 });
    expect(parseCounts("Results (3.1s):\n     1124 passed\n        2 failed\n       95 skipped\n")).toMatchObject({ passed: 1124, failed: 2, skipped: 95 });
    expect(parseCounts("Ran 519 tests in 3s\n\nOK (skipped=14, expected failures=3)\n")).toMatchObject({ passed: 502, skipped: 17, failed: 0 });
    expect(parseCounts("Ran 5 tests in 0.1s\nFAILED (failures=1, errors=1)\n")).toMatchObject({ passed: 3, failed: 1, errors: 1 });
    expect(parseCounts("PASSED (successes=10, skips=2)\n")).toMatchObject({ passed: 10, skipped: 2 });
    expect(parseCounts("3 scenarios passed, 1 failed, 0 skipped\n== 4 passed in 0.1s ==")).toMatchObject({ passed: 7, failed: 1, suites: 2 });
    expect(parseCounts("nothing here").suites).toBe(0);
    // CPython 3.12.0/3.12.1 leave skips out of "Ran N".
    expect(parseCounts("Ran 1 test in 0s\nOK (skipped=2)\n", { pythonVersion: "3.12.1" })).toMatchObject({ passed: 1, skipped: 2 });
    expect(parseCounts("Ran 3 tests in 0s\nOK (skipped=2)\n", { pythonVersion: "3.11.7" })).toMatchObject({ passed: 1, skipped: 2 });
  });
  test("zope.testrunner: one line per layer (plain or coloured), replaced by the run's Total: line when there is one", () => {
    const single = "Running zope.testrunner.layer.UnitTests tests:\n  Ran 176 tests with 0 failures, 0 errors and 2 skipped in 0.040 seconds.\nTearing down left over layers:\n";
    expect(parseCounts(single)).toEqual({ passed: 174, failed: 0, skipped: 2, errors: 0, suites: 1 });
    expect(parseCounts("\x1b[32m  Ran \x1b[0m10 tests with 1 failures, 2 errors, 0 skipped in 1.0 seconds.\n")).toMatchObject({ passed: 7, failed: 1, errors: 2 });
    const layered = "  Ran 5 tests with 0 failures, 0 errors and 0 skipped in 0.1 seconds.\n  Ran 7 tests with 1 failures, 0 errors and 0 skipped in 0.2 seconds.\nTearing down left over layers:\nTotal: 12 tests, 1 failures, 0 errors and 0 skipped in 0.3 seconds.\n";
    expect(parseCounts(layered)).toEqual({ passed: 11, failed: 1, skipped: 0, errors: 0, suites: 1 });
    // Two runs (two tox envs): the first, single-layer, has no Total: line of its own.
    expect(parseCounts(single + layered)).toMatchObject({ passed: 185, failed: 1, skipped: 2, suites: 2 });
  });
});

describe("what the route says about the lock and the import check", () => {
  test("a route that installs without the lock (pipenv install --skip-lock) makes setup resolve fresh", async () => {
    const { lockDecision } = await import("../../src/flows/setup/plan.ts");
    const project = { root: "/p", isPackage: false, requirements: [], optional: {}, groups: {}, requirementFiles: [], lockFile: { kind: "Pipfile.lock", path: "/p/Pipfile.lock" } };
    expect(lockDecision(project, "uv", "uv", true, ".github/workflows/ci.yml:31 job ci, step 2")).toMatchObject({ honoured: false, note: expect.stringContaining("the test route installs without Pipfile.lock (.github/workflows/ci.yml:31 job ci, step 2)") });
  });
  test("dev-group packages neither the project, the route nor the tests import are soft in the import check", async () => {
    const { softImportNames } = await import("../../src/flows/setup/plan.ts");
    const req = (name: string) => ({ name, raw: name });
    const input = {
      project: { root: "/p", name: "docx", isPackage: true, requirements: [req("lxml")], optional: {}, groups: { dev: [req("Jinja2"), req("pytest"), req("behave"), req("PyYAML")] }, requirementFiles: [] },
      testRoute: { name: "make:test", summary: "", install: routeInstall([], { extras: [], groups: [] }), imports: ["pytest", "yaml", "docx"] },
    } as unknown as Parameters<typeof softImportNames>[0];
    expect(softImportNames(input, { extras: [], groups: ["dev"] })).toEqual(["Jinja2", "behave"]);
  });
});

describe("suites reached twice", () => {
  test("a second run of the same runner over the same tests runs once; other targets or selections are other suites", () => {
    const wf = (lines: string[]) => ({ ".github/workflows/ci.yml": `jobs:\n  test:\n    steps:\n      - run: |\n${lines.map((l) => `          ${l}`).join("\n")}\n` });
    const once = planTestRoutes(input(wf(["python -m unittest --verbose test", "coverage run -m unittest test"])));
    expect(once.chosen!.suites.map((s) => s.argv.join(" "))).toEqual(["python -m unittest --verbose test"]);
    const two = planTestRoutes(input(wf(["pytest --doctest-modules src", "pytest bench"])));
    expect(two.chosen!.suites).toHaveLength(2);
    const halves = planTestRoutes(input(wf(['pytest -m "not slow"', "pytest -m slow"])));
    expect(halves.chosen!.suites).toHaveLength(2);
  });
});
