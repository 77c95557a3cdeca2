/**
 * The project's own test route, end to end with the compiled binary: fixture projects of
 * every shape (written here) are set up against a loopback index of real wheels, then run
 * by `dhtl test`. Each test asserts the route chosen, that what only the route declares was
 * installed, and how many tests ran — so a route misread, a dependency left out or a wrong
 * runner shows as a wrong count.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { useShapeIndex, assetsDir, pyenvBin, setupEnv, writeProject } from "../helpers/setup-project.ts";

const shapeWheels = join(assetsDir, "shape-wheels");
const ready = existsSync(join(shapeWheels, "nose2-0.15.1-py3-none-any.whl")) && Boolean(pyenvBin("3.11"));
if (!ready) console.warn(`test-routes: skipped (needs the runner wheels in ${shapeWheels}: bun scripts/fetch-test-assets.ts, and pyenv CPython 3.11)`);

/**
 * A linter built on the project, as flake8 is on pyflakes: demo-lint 1.0 needs `demo<0.2`,
 * while the checkout is demo 0.2 (a pure wheel written here, served by the index beside the
 * shape wheels).
 */
function lintWheelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "dht-lint-wheel-"));
  const files: Record<string, string> = {
    "demo_lint/__init__.py": "",
    "demo_lint-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: demo-lint\nVersion: 1.0\nRequires-Dist: demo<0.2\n",
    "demo_lint-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: dhtl-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "demo_lint-1.0.dist-info/RECORD": "",
  };
  const script = "import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    for k, v in json.loads(sys.argv[2]).items(): z.writestr(k, v)\n";
  const r = Bun.spawnSync([join(pyenvBin("3.11")!, "python"), "-c", script, join(dir, "demo_lint-1.0-py3-none-any.whl"), JSON.stringify(files)]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return dir;
}

const shape = useShapeIndex(ready, ready ? [shapeWheels, lintWheelDir()] : [shapeWheels]);
const indexEnv = () => shape.env();

const PY = { ".python-version": "3.11\n" };
/** A package with one module and a few pytest tests. */
const PKG = {
  "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "demo"\nversion = "0.1"\ndependencies = ["six"]\n[tool.setuptools]\npackages = ["demo"]\n',
  "demo/__init__.py": 'def add(a, b):\n    """\n    >>> add(1, 2)\n    3\n    """\n    return a + b\n',
};
const PYTEST_TESTS = {
  "tests/test_add.py": "from demo import add\n\ndef test_add():\n    assert add(1, 2) == 3\n\ndef test_more():\n    assert add(2, 2) == 4\n",
};

async function setUp(files: Record<string, string>, extra: string[] = []) {
  const root = writeProject({ ...PY, ...files });
  const r = await dhtl(["setup", "--json", "--cwd", root, ...extra], { env: indexEnv(), timeoutMs: 180_000 });
  if (r.code !== 0) console.error(r.stderr);
  return { root, code: r.code, out: r.code === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

async function runTests(root: string, args: string[] = []) {
  const r = await dhtl(["test", "--json", "--cwd", root, ...args], { env: indexEnv(), timeoutMs: 180_000 });
  return { code: r.code, stderr: r.stderr, result: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
}

const dists = (root: string): string[] => {
  const r = Bun.spawnSync([join(root, ".venv", "bin", "python"), "-c", "import importlib.metadata as m; print('\\n'.join(sorted(d.metadata['Name'].lower() for d in m.distributions())))"]);
  return r.stdout.toString().trim().split("\n");
};

describe.skipIf(!ready)("dhtl setup + dhtl test follow the project's own test route", () => {
  test("tox: [testenv] deps only in tox.ini are installed, setenv and {posargs:default} apply; 3 tests run (2 + a doctest)", async () => {
    const { root, code, out } = await setUp({
      ...PKG,
      ...PYTEST_TESTS,
      "tox.ini": "[tox]\nenvlist = py311, lint\n[testenv]\ndeps =\n    pytest\n    pytest-cov\nsetenv =\n    ROUTE_MARK = tox\ncommands = pytest --cov=demo {posargs:tests demo --doctest-modules}\n[testenv:lint]\ncommands = ruff check\n",
      "tests/test_env.py": "import os\n\ndef test_setenv():\n    assert os.environ['ROUTE_MARK'] == 'tox'\n",
    });
    expect(code).toBe(0);
    expect(out.plan.testRoute.name).toBe("tox:py311");
    expect(out.plan.testRoute.additions).toContainEqual({ item: "pytest-cov", origin: "tox.ini:6 [testenv] deps" });
    expect(dists(root)).toContain("pytest-cov");
    const t = await runTests(root);
    expect(t.code).toBe(0);
    expect(t.result).toMatchObject({ route: "tox:py311", source: "tox", counts: { passed: 4, failed: 0 } });
    // Extra arguments replace {posargs:…}: only the one test file, by node id.
    const one = await runTests(root, ["tests/test_add.py::test_add"]);
    expect(one.result.counts.passed).toBe(1);
    // --list shows the exact line that runs: the {posargs:…} default in place.
    const list = await dhtl(["test", "--list", "--cwd", root], { env: indexEnv() });
    expect(list.stdout).toContain("runs:  python -m pytest --cov=demo tests demo --doctest-modules");
  });

  test("arguments dhtl test does not know reach the runner without --; a path replaces the route's own test path", async () => {
    const { root, code } = await setUp({
      ...PKG,
      "tox.ini": "[testenv]\ndeps = pytest\ncommands = pytest -q tests\n",
      "tests/test_one.py": "def test_a():\n    assert False\n\ndef test_b():\n    assert False\n",
      "tests/test_two.py": "def test_c():\n    assert True\n",
    });
    expect(code).toBe(0);
    const all = await runTests(root);
    expect(all.result.counts).toMatchObject({ passed: 1, failed: 2 });
    // -x reaches pytest (it stops at the first failure), and only test_one.py runs (test_two's pass is not counted).
    const one = await runTests(root, ["-x", "tests/test_one.py"]);
    expect(one.code).toBe(1);
    expect(one.result.suites[0].argv).toEqual(["python", "-m", "pytest", "-q", "-x", "tests/test_one.py"]);
    expect(one.result.counts.failed).toBe(1);
    expect(one.result.counts.passed ?? 0).toBe(0);
    // --list shows the same line.
    const list = await dhtl(["test", "--list", "--cwd", root, "-x", "tests/test_one.py"], { env: indexEnv() });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("runs:  python -m pytest -q -x tests/test_one.py");
    // A flag nobody knows is pytest's to reject: the exit status is pytest's usage error, 4, not dhtl's 2.
    const bogus = await runTests(root, ["--bogus-flag-for-runner"]);
    expect(bogus.stderr).not.toContain("unknown flag");
    expect(bogus.code).toBe(4);
    expect(bogus.result.suites[0].argv).toEqual(["python", "-m", "pytest", "-q", "tests", "--bogus-flag-for-runner"]);
  });

  test("nox (read statically): the session's install of a requirements file and its pytest run", async () => {
    const { root, code, out } = await setUp({
      ...PKG,
      ...PYTEST_TESTS,
      "requirements-test.txt": "pytest\ncoverage\n",
      "noxfile.py": "import nox\n\n@nox.session(python=['3.11'])\ndef tests(session):\n    session.install('-r', 'requirements-test.txt')\n    session.install('-e', '.')\n    session.run('coverage', 'run', '-m', 'pytest', *session.posargs)\n",
    });
    expect(code).toBe(0);
    expect(out.plan.testRoute.name).toBe("nox:tests");
    expect(dists(root)).toContain("coverage");
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "nox:tests", counts: { passed: 2 } });
  });

  test("Makefile: the test target's prerequisite installs, its pytest line with a test path", async () => {
    const { root, code, out } = await setUp({
      ...PKG,
      ...PYTEST_TESTS,
      "tests/test_tab.py": "import tabulate\n\ndef test_tabulate():\n    assert tabulate.tabulate([[1]])\n",
      Makefile: "PYTHON ?= python3\n.PHONY: deps test\ndeps:\n\t$(PYTHON) -m pip install pytest tabulate\ntest: deps\n\t$(PYTHON) -m pytest -q tests\n",
    });
    expect(code).toBe(0);
    expect(out.plan.testRoute.name).toBe("make:test");
    expect(out.plan.testRoute.additions.map((a: { item: string }) => a.item)).toContain("tabulate");
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "make:test", counts: { passed: 3 } });
  });

  test("dependencies only in a CI workflow's pip install line; the job's cd and env apply", async () => {
    const { root, code } = await setUp({
      ...PKG,
      ...PYTEST_TESTS,
      "tests/test_ci.py": "import os, tabulate\n\ndef test_ci_env():\n    assert os.environ['FROM_CI'] == '1'\n",
      ".github/workflows/ci.yml": "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install ruff && ruff check .\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        python-version: ['3.11']\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.python-version }}\n      - run: |\n          python -m pip install --upgrade pip\n          pip install -e . pytest tabulate\n      - run: cd tests && pytest -q\n        env:\n          FROM_CI: '1'\n",
    });
    expect(code).toBe(0);
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "ci:test", source: "ci", counts: { passed: 3 } });
    expect(t.result.suites[0].argv).toEqual(["python", "-m", "pytest", "-q"]);
  });

  test("Django: manage.py test with the project's settings (Django from the project, the runner is Django's)", async () => {
    const { root, code } = await setUp({
      "requirements.txt": "django\n",
      "manage.py": "#!/usr/bin/env python\nimport os, sys\nif __name__ == '__main__':\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_cfg.settings')\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n",
      "site_cfg/__init__.py": "",
      "site_cfg/settings.py": "SECRET_KEY = 'x'\nINSTALLED_APPS = ['shop']\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\nUSE_TZ = True\n",
      "shop/__init__.py": "",
      "shop/tests.py": "from django.test import SimpleTestCase\n\nclass T(SimpleTestCase):\n    def test_one(self):\n        self.assertEqual(1 + 1, 2)\n    def test_two(self):\n        self.assertTrue(True)\n",
    });
    expect(code).toBe(0);
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "django", counts: { passed: 2, failed: 0 } });
  });

  test("nose2 configured in unittest.cfg runs with nose2, installed for the route", async () => {
    const { root, code } = await setUp({
      ...PKG,
      "unittest.cfg": "[unittest]\nstart-dir = tests\n",
      "tests/__init__.py": "",
      "tests/test_u.py": "import unittest\nfrom demo import add\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 1), 2)\n",
    });
    expect(code).toBe(0);
    expect(dists(root)).toContain("nose2");
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "nose2", counts: { passed: 1 } });
  });

  test("pytest and behave: both suites run, their counts add up", async () => {
    const { root, code } = await setUp({
      ...PKG,
      ...PYTEST_TESTS,
      "pytest.ini": "[pytest]\ntestpaths = tests\n",
      "features/add.feature": "Feature: adding\n  Scenario: one and two\n    Given the numbers 1 and 2\n    Then the sum is 3\n",
      "features/steps/steps.py": "from behave import given, then\nfrom demo import add\n\n@given('the numbers {a:d} and {b:d}')\ndef numbers(context, a, b):\n    context.sum = add(a, b)\n\n@then('the sum is {s:d}')\ndef total(context, s):\n    assert context.sum == s\n",
    });
    expect(code).toBe(0);
    const t = await runTests(root);
    expect(t.result.route).toBe("pytest");
    expect(t.result.suites.map((s: { runner: string }) => s.runner)).toEqual(["pytest", "behave"]);
    expect(t.result.counts).toMatchObject({ passed: 3, failed: 0 });
  });

  test("unittest-only tests outside a package run with unittest discovery from tests/, pytest not needed", async () => {
    const { root, code } = await setUp({
      ...PKG,
      "tests/test_u.py": "import unittest\nfrom demo import add\n\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(add(1, 1), 2)\n    def test_b(self):\n        self.assertEqual(add(0, 1), 1)\n",
    });
    expect(code).toBe(0);
    const t = await runTests(root);
    if (t.result?.route !== "unittest") console.error(JSON.stringify(t.result), t.stderr);
    expect(t.result).toMatchObject({ route: "unittest", counts: { passed: 2 } });
    expect(t.result.suites[0].argv).toEqual(["python", "-m", "unittest", "discover", "-s", "tests"]);
  });

  test("setup.py tests_require and a doctest route from pytest's addopts", async () => {
    const { root, code, out } = await setUp({
      "setup.py": "from setuptools import setup\nsetup(name='demo', version='0.1', packages=['demo'], install_requires=['six'], tests_require=['pytest', 'tabulate'])\n",
      "demo/__init__.py": PKG["demo/__init__.py"],
      "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
      "tests/test_t.py": "import tabulate\n\ndef test_t():\n    assert tabulate\n",
    });
    expect(code).toBe(0);
    expect(out.plan.groups).toContain("tests_require");
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "pytest", counts: { passed: 2 } });
  });

  test("the exit status is the runner's; --list shows every route; --route picks another", async () => {
    const { root } = await setUp({ ...PKG, ...PYTEST_TESTS, "tox.ini": "[testenv]\ndeps = pytest\ncommands = pytest tests\n", "tests/test_fail.py": "def test_fails():\n    assert False\n" });
    const t = await runTests(root);
    expect(t.code).toBe(1);
    expect(t.result.counts).toMatchObject({ passed: 2, failed: 1 });
    const list = await dhtl(["test", "--list", "--json", "--cwd", root], { env: indexEnv() });
    const routes = JSON.parse(list.stdout);
    expect(routes.chosen).toBe("tox:py");
    expect(routes.routes.map((r: { name: string }) => r.name)).toContain("pytest");
    const other = await runTests(root, ["--route", "pytest", "tests/test_add.py"]);
    expect(other.result).toMatchObject({ route: "pytest", counts: { passed: 2 } });
  });

  test("--list before any setup names the routes for the Python setup would choose on this machine, not the newest the project lists", async () => {
    const root = writeProject({
      ...PKG,
      "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.9"\nclassifiers = ["Programming Language :: Python :: 3.13"]\n',
      "tox.ini": "[tox]\nenvlist = py39,py310,py311,py312,py313\n[testenv]\ndeps = pytest\ncommands = pytest {posargs}\n",
    });
    // Only 3.11 is on this PATH (and HOME has no pyenv), and nothing may be downloaded for a listing.
    const list = await dhtl(["test", "--list", "--json", "--cwd", root], { env: { ...indexEnv(), HOME: mkdtempSync(join(tmpdir(), "dht-user-")) } });
    expect(list.code).toBe(0);
    const out = JSON.parse(list.stdout);
    expect(out.chosen).toBe("tox:py311");
    expect(out.python).toMatchObject({ version: expect.stringMatching(/^3\.11\./), from: "what dhtl setup would choose" });
    expect(list.stderr).toMatch(/no environment yet: routes as they would run on Python 3\.11\.\d+, the one dhtl setup would choose/);
    expect(existsSync(join(root, ".venv"))).toBe(false);
  });

  test("--no-dev leaves the route out, and dhtl test then says what is missing instead of falling back to unittest", async () => {
    const { root, code } = await setUp({ ...PKG, ...PYTEST_TESTS, "tox.ini": "[testenv]\ndeps = pytest\ncommands = pytest\n" }, ["--no-dev"]);
    expect(code).toBe(0);
    expect(dists(root)).not.toContain("pytest");
    const t = await runTests(root);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("the test route tox:py needs pytest");
  });

  test("after an unfinished setup, dhtl test says so first and names the fix", async () => {
    const { root } = await setUp({ ...PKG, ...PYTEST_TESTS, "tox.ini": "[testenv]\ndeps = pytest\ncommands = pytest\n" });
    const checkpoint = join(root, ".dht", "setup-progress.json");
    const cp = JSON.parse(await Bun.file(checkpoint).text());
    cp.complete = false;
    cp.steps = cp.steps.filter((s: { id: string }) => s.id !== "verify" && s.id !== "finalize");
    writeFileSync(checkpoint, JSON.stringify(cp));
    Bun.spawnSync(["rm", "-f", join(root, ".venv", ".dht-complete")]);
    const t = await runTests(root);
    expect(t.stderr).toContain("the environment is incomplete: the last dhtl setup did not finish (it stopped before verify); run");
    expect(t.result.warning).toContain("incomplete");
  });

  test("a root requirements.txt the route does not use (benchmark tooling, one of which does not build) is left out with a warning naming the file and the package; the project and tox's deps install, the tests run", async () => {
    const { root, code, out, stderr } = await setUp({
      ...PKG,
      ...PYTEST_TESTS,
      "tox.ini": "[tox]\nenvlist = py311\n[testenv]\ndeps =\n    pytest\ncommands = pytest tests\n",
      // blist 1.3.6 stands in: a local sdist whose build fails on this Python.
      "requirements.txt": "tabulate\n./vendor/blistlike\n",
      "vendor/blistlike/pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "blistlike"\nversion = "1.3.6"\n',
      "vendor/blistlike/setup.py": "raise RuntimeError('blistlike 1.3.6 supports Python 2 only')\n",
    });
    expect(code).toBe(0);
    expect(out.plan.optional.parts).toContainEqual(expect.objectContaining({ kind: "file", name: "requirements.txt" }));
    expect(stderr).toMatch(/left out the requirement file requirements\.txt \(the test route tox:py311 does not use requirements\.txt, and the project declares itself in pyproject\.toml \[project\]\): it cannot be installed on Python 3\.11\.\d+: installing blistlike failed: it could not be built from source/);
    const installed = dists(root);
    expect(installed).toEqual(expect.arrayContaining(["demo", "pytest", "six"]));
    expect(installed).not.toContain("tabulate");
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "tox:py311", counts: { passed: 2, failed: 0 } });
  });

  test("a tox dep that needs another release of the project itself (flake8==6.1.0 on pyflakes 3.4.0) is left out with a warning naming it, its evidence and why; the rest installs", async () => {
    const { root, code, stderr } = await setUp({
      "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "demo"\nversion = "0.2"\ndependencies = ["six"]\n[tool.setuptools]\npackages = ["demo"]\n',
      "demo/__init__.py": PKG["demo/__init__.py"],
      ...PYTEST_TESTS,
      "tox.ini": "[tox]\nenvlist = py311\n[testenv]\ndeps =\n    pytest\n    demo-lint==1.0\ncommands =\n    pytest tests\n    demo-lint demo\n",
    });
    expect(code).toBe(0);
    // uv's own words: "all versions of demo-lint depend on demo<0.2" (there is only 1.0).
    expect(stderr).toMatch(/left out demo-lint==1\.0 \(tox\.ini:6 \[testenv\] deps\), a need of the test route tox:py311: it needs another version of this very project \(all versions of demo-lint depend on demo<0\.2; the project here is demo, installed from [^)]+\); installing without it/);
    expect(stderr).not.toContain("no installable version of the");
    const installed = dists(root);
    expect(installed).toEqual(expect.arrayContaining(["demo", "pytest", "six"]));
    expect(installed).not.toContain("demo-lint");
    const t = await runTests(root);
    expect(t.result).toMatchObject({ route: "tox:py311", counts: { passed: 2, failed: 0 } });
  });

  test("a route whose runner cannot be installed fails setup naming the route (exit 1), not Ready", async () => {
    const { code, stderr } = await setUp({ ...PKG, ...PYTEST_TESTS, "tox.ini": "[testenv]\ndeps = pytest-not-on-this-index\ncommands = pytest\n" });
    expect(code).toBe(1);
    expect(stderr).toContain("pytest-not-on-this-index");
    expect(stderr).toContain("tox:py");
  });
});
