/**
 * Constructs found in real public projects that dhtl misread (see docs/real-projects.md),
 * each reproduced in a small fixture. test/e2e/real-projects.test.ts checks the projects.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseIni } from "../../src/registries/pip-conf.ts";
import { readDeclaredProject } from "../../src/project/declared.ts";
import { chooseRequirementFiles, requirementFilePurpose } from "../../src/project/sources.ts";
import { detectPythonRequest, poetryToPep440 } from "../../src/project/python-version.ts";
import { readPyprojectTable } from "../../src/project/pyproject.ts";
import { formatRequirement, parseRequirement } from "../../src/project/pep508.ts";
import { renderInitConfig } from "../../src/config/init-template.ts";
import { findProjectRoot } from "../../src/config/project-root.ts";

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "dhtl-realproj-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
const names = (reqs: Array<{ name: string }>) => reqs.map((r) => r.name);
const env = { HOME: "/nonexistent" };

describe("setup.cfg read the way configparser reads it (aiohttp 3.11)", () => {
  test("a blank (tab-only) line inside a multi-line value does not end it", () => {
    const ini = parseIni("[tool:pytest]\naddopts =\n\t--numprocesses=auto\n\t\n\t-v\n\n\t-ra\n[options]\npython_requires = >=3.9\n", "setup.cfg");
    expect(ini["tool:pytest"]!.addopts!.value.split("\n").filter(Boolean)).toEqual(["--numprocesses=auto", "-v", "-ra"]);
    expect(ini.options!["python-requires"]).toEqual({ value: ">=3.9", line: 9, lines: [9] });
    expect(ini["tool:pytest"]!.addopts!.lines).toEqual([2, 3, 4, 5, 6, 7]);
  });

  test("a continuation line after a blank line keeps its own line number in origins", async () => {
    const root = project({ "setup.cfg": "[metadata]\nname = x\n[options]\ninstall_requires =\n    a>=1\n\n    b<2\n" });
    const p = await readDeclaredProject(root, {}, env);
    expect(p.requirements.map((r) => [r.name, r.origin])).toEqual([["a", "setup.cfg:5"], ["b", "setup.cfg:7"]]);
  });

  test("setup.cfg [options] python_requires is the Python request when pyproject.toml states none (Django 4.2)", async () => {
    const root = project({ "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n', "setup.cfg": "[metadata]\nname = x\n\n[options]\npython_requires = >=3.8\n" });
    expect(await detectPythonRequest(root)).toEqual({ request: ">=3.8", origin: "setup.cfg:5" });
  });
});

describe("setuptools dynamic metadata read from files (Adafruit CircuitPython libraries)", () => {
  const pyproject = [
    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"',
    '[project]\nname = "lib"\ndynamic = ["dependencies", "optional-dependencies"]',
    '[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\noptional-dependencies = {optional = {file = ["optional_requirements.txt"]}}',
  ].join("\n");

  test("an extra read from a file is that extra, not a main requirement", async () => {
    const root = project({ "pyproject.toml": pyproject, "requirements.txt": "Adafruit-Blinka\n", "optional_requirements.txt": "requests\n" });
    const p = await readDeclaredProject(root, {}, env);
    expect(names(p.requirements)).toEqual(["Adafruit-Blinka"]);
    expect(names(p.optional.optional!)).toEqual(["requests"]);
    expect(p.requirementFiles.map((f) => f.slice(root.length + 1))).toEqual(["requirements.txt"]);
  });

  test("a file the metadata names but the sdist lacks is skipped with a warning, as setuptools does", async () => {
    const root = project({ "pyproject.toml": pyproject, "requirements.txt": "Adafruit-Blinka\n" });
    const p = await readDeclaredProject(root, {}, env);
    expect(names(p.requirements)).toEqual(["Adafruit-Blinka"]);
    expect(p.warnings.join("\n")).toContain('optional_requirements.txt: named by the package metadata (extra "optional") but missing');
  });

  test("setup.cfg extras_require = file: … goes to that extra", async () => {
    const root = project({ "setup.cfg": "[metadata]\nname = x\n[options]\ninstall_requires = file: req.txt\n[options.extras_require]\ntest = file: req-test.txt\n", "req.txt": "a\n", "req-test.txt": "pytest\n" });
    const p = await readDeclaredProject(root, {}, env);
    expect(names(p.requirements)).toEqual(["a"]);
    expect(names(p.optional.test!)).toEqual(["pytest"]);
  });
});

describe("which detected requirement files a development environment installs (Flask, FastAPI, Celery)", () => {
  test("purpose by name: main, dev/test, or another job", () => {
    const cases: Record<string, string> = {
      "requirements.txt": "main", "requirements/base.txt": "main", "requirements/default.txt": "main",
      "requirements-dev.txt": "dev", "dev-requirements.txt": "dev", "test_requirements.txt": "dev", "requirements/tests.txt": "dev", "test-requirements.txt": "dev",
      "requirements/docs.txt": "other", "requirements/tests-min.txt": "other", "requirements-docs-insiders.txt": "other", "optional_requirements.txt": "other", "requirements/typing.txt": "other",
    };
    for (const [path, purpose] of Object.entries(cases)) expect([path, requirementFilePurpose(path)]).toEqual([path, purpose]);
  });

  test("files for other jobs are left out when the project has main or dev files or a manifest; alone they are all it has", () => {
    expect(chooseRequirementFiles(["requirements/dev.txt", "requirements/docs.txt", "requirements/tests-min.txt"], true)).toEqual({ chosen: ["requirements/dev.txt"], skipped: ["requirements/docs.txt", "requirements/tests-min.txt"] });
    expect(chooseRequirementFiles(["requirements/docs.txt"], true)).toEqual({ chosen: [], skipped: ["requirements/docs.txt"] });
    // An application (no manifest): its production and local files are what it runs and is developed with.
    expect(chooseRequirementFiles(["requirements/production.txt", "requirements/local.txt", "requirements/docs.txt"], false)).toEqual({ chosen: ["requirements/production.txt", "requirements/local.txt"], skipped: ["requirements/docs.txt"] });
    expect(chooseRequirementFiles(["requirements/docs.txt", "requirements/lint.txt"], false)).toEqual({ chosen: ["requirements/docs.txt", "requirements/lint.txt"], skipped: [] });
  });

  test("a file included only by a skipped file is still installed; one a chosen file includes is read through it", async () => {
    const root = project({
      "setup.py": "from setuptools import setup\nsetup()\n",
      "requirements/default.txt": "kombu>=5\n",
      "requirements/test.txt": "pytest==8.1.1\n",
      "requirements/test-ci-base.txt": "-r test.txt\npytest-cov\n",
      "requirements/dev.txt": "-r default.txt\nvine>=5\n",
    });
    const p = await readDeclaredProject(root, {}, env);
    expect(p.requirementFiles.map((f) => f.slice(root.length + 1))).toEqual(["requirements/dev.txt", "requirements/test.txt"]);
    expect(p.warnings.join("\n")).toContain("requirements/test-ci-base.txt: not installed");
  });

  test("a private docs file with ${TOKEN} URLs is not chosen, so its missing variable cannot break setup (FastAPI)", async () => {
    const root = project({
      "pyproject.toml": '[project]\nname = "f"\ndependencies = ["starlette"]\n[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n',
      "requirements.txt": "-e .[all]\n-r requirements-tests.txt\n",
      "requirements-tests.txt": "pytest\n",
      "requirements-docs-insiders.txt": "git+https://${TOKEN}@github.com/org/private.git\n",
    });
    const p = await readDeclaredProject(root, {}, env);
    expect(p.requirementFiles.map((f) => f.slice(root.length + 1))).toEqual(["requirements.txt"]);
    expect(names(p.requirements)).toEqual(["starlette", "", "pytest"]);
  });

  test("dhtl init lists the chosen files and only names the others", () => {
    const text = renderInitConfig({
      python: {},
      sources: [{ kind: "pyproject", path: "pyproject.toml" }, ...["requirements/dev.txt", "requirements/docs.txt", "requirements/tests.txt"].map((path) => ({ kind: "requirements" as const, path }))],
    });
    expect(text).toContain('  files:\n    - "requirements/dev.txt"\n    - "requirements/tests.txt"\n');
    expect(text).toContain("# Not installed unless listed in files (by their names, for other jobs): requirements/docs.txt.");
  });
});

describe("Poetry python unions (pendulum 2.1: python = \"~2.7 || ^3.5\")", () => {
  test("the branch reaching the newest Pythons is the request, not the legacy 2.7 one", () => {
    expect(poetryToPep440("~2.7 || ^3.5")).toBe(">=3.5,<4");
    expect(poetryToPep440("^3.8 || ^3.11")).toBe(">=3.8,<4");
    expect(poetryToPep440(">=2.7,<2.8 || >=3.4")).toBe(">=3.4");
  });

  test("a dependency's python union becomes an or-marker", () => {
    const facts = readPyprojectTable(Bun.TOML.parse('[tool.poetry.dependencies]\npython = "~2.7 || ^3.5"\nenum34 = { version = "^1.1", python = "~2.7 || ~3.3" }\n') as Record<string, unknown>, "");
    expect(facts.dependencies[0]!.marker).toBe('python_version >= "2.7" and python_version < "2.8" or python_version >= "3.3" and python_version < "3.4"');
  });
});

describe("Hatch environments (platformdirs 4.3, hatch 1.14)", () => {
  test("an environment's features bring the project's extras; empty environments are no group", () => {
    const facts = readPyprojectTable(
      Bun.TOML.parse('[project]\nname = "p"\n[project.optional-dependencies]\ntest = ["pytest>=8"]\n[tool.hatch.envs.default]\nfeatures = ["test"]\n[tool.hatch.envs.fix]\ndetached = true\ndependencies = ["pre-commit"]\n[tool.hatch.envs.empty]\ndetached = true\n') as Record<string, unknown>,
      "",
    );
    expect(Object.fromEntries(Object.entries(facts.groups).map(([k, v]) => [k, names(v)]))).toEqual({ default: ["pytest"], fix: ["pre-commit"] });
  });

  test("hatch.toml [envs.*] are read like [tool.hatch.envs.*]", async () => {
    const root = project({
      "pyproject.toml": '[project]\nname = "h"\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
      "hatch.toml": '[envs.hatch-test]\nextra-dependencies = ["pyfakefs"]\n[envs.types]\ndependencies = ["mypy>=1.0.0"]\n',
    });
    const p = await readDeclaredProject(root, {}, env);
    expect(Object.fromEntries(Object.entries(p.groups).map(([k, v]) => [k, names(v)]))).toEqual({ "hatch-test": ["pyfakefs"], types: ["mypy"] });
    expect(p.groups.types![0]!.origin).toBe("hatch.toml:4");
  });
});

describe("small things real projects showed", () => {
  test("a nameless requirement renders as its location, not ' @ url' (Celery's git+ lines, `-e .[all]`)", () => {
    const url = { ...parseRequirement("x @ git+https://github.com/celery/kombu.git"), name: "", normalizedName: "" };
    expect(formatRequirement(url)).toBe("git+https://github.com/celery/kombu.git");
    expect(formatRequirement({ name: "", normalizedName: "", extras: ["all"], specifier: "", path: ".", raw: "-e .[all]" })).toBe(".[all]");
  });

  test("setup.py's dependencies are reported as read by the build backend only when nothing else declares them", async () => {
    const bare = await readDeclaredProject(project({ "setup.py": "from setuptools import setup\nsetup()\n" }), {}, env);
    expect(bare.isPackage).toBe(true);
    expect(bare.warnings).toEqual(["setup.py: dependencies declared in setup.py are read by the build backend at install time (dhtl does not run it); they are installed with the project itself"]);
    const withCfg = await readDeclaredProject(project({ "setup.py": "", "setup.cfg": "[metadata]\nname = d\n[options]\ninstall_requires =\n    asgiref\n" }), {}, env);
    expect(withCfg.warnings).toEqual([]);
  });

  test("a directory with only setup.py or only a Pipfile is its own project root, not the repository above (pipenv's examples/)", async () => {
    const repo = project({ ".git/HEAD": "ref: refs/heads/main\n", "pyproject.toml": "", "examples/Pipfile": "[packages]\nrequests = \"*\"\n", "legacy/setup.py": "", "docs/conf.py": "" });
    expect(await findProjectRoot(join(repo, "examples"))).toEqual({ root: join(repo, "examples") });
    expect(await findProjectRoot(join(repo, "legacy"))).toEqual({ root: join(repo, "legacy") });
    expect(await findProjectRoot(join(repo, "docs"))).toEqual({ root: repo });
  });
});

test("each group says which tool defines it, so `uv sync --group` is given only the ones uv knows", async () => {
  const root = project({
    "pyproject.toml": [
      '[project]\nname = "g"\n[project.optional-dependencies]\ntest = ["pytest"]',
      '[dependency-groups]\nlint = ["ruff"]',
      '[tool.uv]\ndev-dependencies = ["pytest"]',
      '[tool.poetry.group.docs.dependencies]\nsphinx = "^7"',
      '[tool.hatch.envs.test]\nfeatures = ["test"]',
      '[tool.pdm.dev-dependencies]\nbench = ["pytest-benchmark"]',
    ].join("\n"),
    "hatch.toml": '[envs.lint]\ndependencies = ["black"]\n',
  });
  const p = await readDeclaredProject(root, {}, env);
  expect(p.groupSources).toEqual({ lint: "dependency-groups", dev: "uv", docs: "poetry", test: "hatch", bench: "pdm", "hatch:lint": "hatch" });
  expect(names(p.groups["hatch:lint"]!)).toEqual(["black"]);
});

test("extras read from files stay extras when .dhtconfig lists the requirement files", async () => {
  const root = project({
    "pyproject.toml": '[project]\nname = "lib"\ndynamic = ["dependencies", "optional-dependencies"]\n[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\noptional-dependencies = {optional = {file = ["optional_requirements.txt"]}}\n',
    "requirements.txt": "Adafruit-Blinka\n",
    "optional_requirements.txt": "requests\n",
    "dev.txt": "pytest\n",
  });
  const p = await readDeclaredProject(root, { dependencies: { files: ["dev.txt"] } }, env);
  expect(names(p.requirements)).toEqual(["pytest"]);
  expect(names(p.optional.optional!)).toEqual(["requests"]);
});

test("hatch-requirements-txt (mkdocs-material): dynamic dependencies and extras are read from the hook's files", async () => {
  const root = project({
    "pyproject.toml": [
      '[build-system]\nrequires = ["hatchling", "hatch-requirements-txt"]\nbuild-backend = "hatchling.build"',
      '[project]\nname = "m"\ndynamic = ["dependencies", "optional-dependencies"]',
      '[tool.hatch.metadata.hooks.requirements_txt]\nfiles = ["deps/runtime.txt"]',
      '[tool.hatch.metadata.hooks.requirements_txt.optional-dependencies]\nimaging = ["deps/imaging.txt"]',
    ].join("\n"),
    "deps/runtime.txt": "jinja2~=3.0\n",
    "deps/imaging.txt": "pillow~=10.2\n",
  });
  const p = await readDeclaredProject(root, {}, env);
  expect(names(p.requirements)).toEqual(["jinja2"]);
  expect(names(p.optional.imaging!)).toEqual(["pillow"]);
});

test("an unset ${TOKEN} in a requirement URL's user info is kept as written but reported (FastAPI's insiders file)", async () => {
  const root = project({ "requirements-docs-insiders.txt": "git+https://${TOKEN}@github.com/org/private.git\n" });
  const p = await readDeclaredProject(root, { dependencies: { files: ["requirements-docs-insiders.txt"] } }, env);
  expect(p.requirements[0]!.url).toBe("git+https://${TOKEN}@github.com/org/private.git");
  expect(p.warnings).toEqual(["requirements-docs-insiders.txt:1: ${TOKEN} is not set; the line is used as written"]);
});

test("[project] dynamic dependencies no file names are reported as the build backend's (with or without setup.py)", async () => {
  const pyproject = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "d"\ndynamic = ["dependencies", "version"]\n';
  const withSetupPy = await readDeclaredProject(project({ "pyproject.toml": pyproject, "setup.py": "" }), {}, env);
  expect(withSetupPy.warnings).toEqual(["setup.py: dependencies declared in setup.py are read by the build backend at install time (dhtl does not run it); they are installed with the project itself"]);
  const backendOnly = await readDeclaredProject(project({ "pyproject.toml": pyproject }), {}, env);
  expect(backendOnly.warnings).toEqual(["pyproject.toml: [project] dynamic dependencies are computed by the build backend (setuptools.build_meta) at install time; they are installed with the project itself"]);
  expect(backendOnly.isPackage).toBe(true);
});
