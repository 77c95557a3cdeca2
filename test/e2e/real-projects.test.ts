/**
 * dhtl reading real public projects: the source distributions of ~40 PyPI projects of every
 * packaging shape (pinned, sha256-verified, unpacked by scripts/fetch-test-assets.ts into
 * .cache/test-assets/sdists/). Each test checks what dhtl reads against what the project's
 * files really declare, in-process (readDeclaredProject, detectPythonRequest,
 * discoverRegistries) and through the compiled binary (`config show --json`,
 * `init --dry-run --json`). docs/real-projects.md has the table.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realProjectDir, realProjectSdists } from "../../scripts/fetch-test-assets.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { readDeclaredProject, type DeclaredProject } from "../../src/project/declared.ts";
import { detectPythonRequest, type PythonRequestFact } from "../../src/project/python-version.ts";
import { formatRequirement, type Requirement } from "../../src/project/pep508.ts";
import { discoverRegistries } from "../../src/registries/discover.ts";
import type { RegistrySettings } from "../../src/registries/types.ts";
import { dhtl, tempDir } from "../helpers/cli.ts";

const missing = realProjectSdists.filter(([name, version]) => !existsSync(realProjectDir(name, version)));

// The sdists live inside this repository; linked from a temp dir so that dhtl finds each
// project's own root, not this repository's (a project without pyproject.toml would
// otherwise walk up to /work/main/.git).
const links = mkdtempSync(join(tmpdir(), "dhtl-real-projects-"));
const home = tempDir("dhtl-real-home-");
const isolatedEnv = { HOME: home, PATH: process.env.PATH, DHT_HOME: join(home, "dht") };

interface Read {
  root: string;
  project: DeclaredProject;
  python: PythonRequestFact;
  registries: RegistrySettings;
  /** `dhtl config show --json` */
  shown: { config: { python: { version?: string } }; origins: Record<string, string>; projectRoot: string };
  /** `dhtl init --dry-run --json` content */
  init: string;
}

async function read(name: string, version: string, sub = ""): Promise<Read> {
  const dir = realProjectDir(name, version);
  if (!existsSync(dir)) {
    throw new Error(`real-project asset ${name} ${version} is missing (${dir}): run \`bun scripts/fetch-test-assets.ts\` (CI runs it through scripts/test-prereqs.sh)`);
  }
  const link = join(links, `${name}-${version}`);
  if (!existsSync(link)) symlinkSync(dir, link);
  const root = join(link, sub);
  const resolved = await resolveConfig({ cwd: root, env: isolatedEnv });
  expect(resolved.projectRoot).toBe(root);
  const project = await readDeclaredProject(root, resolved.config, isolatedEnv);
  const python = await detectPythonRequest(root);
  const registries = await discoverRegistries({ root, env: isolatedEnv, config: resolved.config, home, systemRoot: join(home, "no-system") });
  const show = await dhtl(["config", "show", "--json", "--cwd", root], { env: { DHT_HOME: isolatedEnv.DHT_HOME, HOME: home } });
  expect(show.stderr).not.toContain("Error");
  expect(show.code).toBe(0);
  const init = await dhtl(["init", "--dry-run", "--json", "--cwd", root], { env: { DHT_HOME: isolatedEnv.DHT_HOME, HOME: home } });
  expect(init.code).toBe(0);
  const shown = JSON.parse(show.stdout) as Read["shown"];
  // The binary and the library agree on the project's Python.
  expect(shown.config.python.version).toBe(python.request);
  if (python.origin) expect(shown.origins["python.version"]).toBe(python.origin);
  return { root, project, python, registries, shown, init: (JSON.parse(init.stdout) as { content: string }).content };
}

const fmt = (reqs: Requirement[] | undefined) => (reqs ?? []).map(formatRequirement);
const rel = (r: Read) => r.project.requirementFiles.map((f) => f.slice(r.root.length + 1));
const keys = (o: Record<string, unknown>) => Object.keys(o).sort();

beforeAll(() => {
  if (missing.length) {
    throw new Error(`real-project assets missing: ${missing.map(([n, v]) => `${n} ${v}`).join(", ")}: run \`bun scripts/fetch-test-assets.ts\` (CI runs it through scripts/test-prereqs.sh)`);
  }
});

describe("setup.py projects (never executed)", () => {
  test("six 1.16.0 (setup.py + tool-only setup.cfg): a package with no readable dependencies, reported as the build backend's; python_requires read statically", async () => {
    const r = await read("six", "1.16.0");
    expect(r.project.isPackage).toBe(true);
    expect(r.project.packageEvidence).toBe("setup.py (not executed)");
    expect(r.project.requirements).toEqual([]);
    expect(r.project.warnings).toEqual(["setup.py: dependencies declared in setup.py are read by the build backend at install time (dhtl does not run it); they are installed with the project itself"]);
    expect(r.python).toEqual({ request: ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*", origin: "setup.py:46" });
    expect(r.registries.indexUrl).toBe("https://pypi.org/simple");
  });

  test("docopt 0.6.2 (distutils-era setup.py only): a package, nothing else read, no Python request", async () => {
    const r = await read("docopt", "0.6.2");
    expect([r.project.isPackage, r.project.tools, r.project.requirements.length, r.shown.config.python.version]).toEqual([true, ["setup.py"], 0, undefined]);
  });

  test("PyYAML 6.0.2 (in-tree custom backend + setup.py): the backend is named, the package installs itself", async () => {
    const r = await read("PyYAML", "6.0.2");
    expect(r.project.buildBackend).toBe("_pyyaml_pep517");
    expect(r.project.packageEvidence).toBe("pyproject.toml [build-system] (_pyyaml_pep517)");
    expect(r.project.requirements).toEqual([]);
  });

  test("attrs 21.4.0 (setuptools backend, extras only in setup.py): its EXTRAS_REQUIRE read statically, entries added later included; setup.py reported", async () => {
    const r = await read("attrs", "21.4.0");
    expect([r.project.isPackage, r.project.buildBackend, keys(r.project.optional)]).toEqual([true, "setuptools.build_meta", ["dev", "docs", "tests", "tests_no_zope"]]);
    expect(fmt(r.project.optional.tests!)).toContain("zope.interface");
    expect(r.project.warnings[0]).toStartWith("setup.py: dependencies declared in setup.py are read by the build backend");
  });

  test("requests 2.32.3 (setup.py; requirements-dev.txt with -e .[socks]): the dev file is installed, legacy setup.cfg requires-dist ignored", async () => {
    const r = await read("requests", "2.32.3");
    expect(rel(r)).toEqual(["requirements-dev.txt"]);
    expect(fmt(r.project.requirements).slice(1)).toEqual(["pytest>=2.8.0,<9", "pytest-cov", "pytest-httpbin==2.0.0", "httpbin~=0.10.0", "trustme", "wheel"]);
    expect(r.project.requirements[0]).toMatchObject({ editable: true, extras: ["socks"], path: r.root });
  });

  test("celery 5.4.0 (setup.py + requirements/ tree with -r includes): default, dev and test files; CI/docs files named, not installed", async () => {
    const r = await read("celery", "5.4.0");
    expect(rel(r)).toEqual(["requirements/default.txt", "requirements/dev.txt", "requirements/test.txt"]);
    expect(fmt(r.project.requirements).slice(0, 3)).toEqual(["billiard>=4.2.0,<5.0", "kombu>=5.3.4,<6.0", "vine>=5.1.0,<6.0"]);
    // requirements/dev.txt: unnamed VCS requirements render as their URL.
    expect(fmt(r.project.requirements)).toContain("git+https://github.com/celery/kombu.git");
    // test.txt's -r extras/*.txt are followed.
    expect(r.project.requirements.map((x) => x.name)).toContain("PyYAML");
    expect(r.project.warnings.join("\n")).toContain("requirements/docs.txt, requirements/pkgutils.txt, requirements/security.txt, requirements/test-ci-base.txt");
    expect(r.init).toContain('  files:\n    - "requirements/default.txt"\n    - "requirements/dev.txt"\n');
  });

  test("stevedore 5.4.0 (pbr: setup.cfg metadata + requirements.txt read by pbr): requirements.txt and test-requirements.txt", async () => {
    const r = await read("stevedore", "5.4.0");
    expect(r.project.name).toBe("stevedore");
    expect(rel(r)).toEqual(["requirements.txt", "test-requirements.txt"]);
    expect(fmt(r.project.requirements)).toEqual(["pbr>=2.0.0", "coverage>=4.0", "stestr>=2.0.0", "sphinx>=2.0.0"]);
  });
});

describe("setup.cfg declarative metadata", () => {
  test("flake8 6.0.0 (setup.cfg): 3 pinned-range deps and python_requires >=3.8.1 as the Python request", async () => {
    const r = await read("flake8", "6.0.0");
    expect(fmt(r.project.requirements)).toEqual(["mccabe>=0.7.0,<0.8.0", "pycodestyle>=2.10.0,<2.11.0", "pyflakes>=3.0.0,<3.1.0"]);
    expect(r.python).toEqual({ request: ">=3.8.1", origin: "setup.cfg:36" });
    expect(r.project.warnings).toEqual([]);
  });

  test("Django 4.2.17 (setup.cfg + pyproject build-system): 4 deps with python_version/sys_platform markers, argon2/bcrypt extras", async () => {
    const r = await read("Django", "4.2.17");
    expect(r.project.name).toBe("Django");
    expect(fmt(r.project.requirements)).toEqual(["asgiref>=3.6.0,<4", 'backports.zoneinfo; python_version < "3.9"', "sqlparse>=0.3.1", 'tzdata; sys_platform == "win32"']);
    expect(r.project.optional).toMatchObject({ argon2: [{ name: "argon2-cffi", specifier: ">=19.1.0" }], bcrypt: [{ name: "bcrypt" }] });
    expect(r.python).toEqual({ request: ">=3.8", origin: "setup.cfg:38" });
  });

  test("aiohttp 3.11.11 (setup.cfg with blank lines inside values + requirements/ with -c): reads, base/dev/test files chosen", async () => {
    const r = await read("aiohttp", "3.11.11");
    expect(r.project.requiresPython).toBe(">=3.9");
    expect(fmt(r.project.requirements).slice(0, 3)).toEqual(["aiohappyeyeballs>=2.3.0", "aiosignal>=1.1.2", 'async-timeout>=4.0,<6.0; python_version < "3.11"']);
    expect(fmt(r.project.optional.speedups)).toEqual(['aiodns>=3.2.0; sys_platform == "linux" or sys_platform == "darwin"', 'Brotli; platform_python_implementation == "CPython"', 'brotlicffi; platform_python_implementation != "CPython"']);
    expect(rel(r)).toEqual(["requirements/base.txt", "requirements/dev.txt", "requirements/test.txt"]);
    expect(r.project.warnings.join("\n")).toContain("requirements/constraints.txt, requirements/cython.txt");
  });
});

describe("PEP 621 with hatchling", () => {
  test("httpx 0.28.1 (hatchling, PEP 621): reads 4 deps and the brotli/cli/http2/socks/zstd extras with markers", async () => {
    const r = await read("httpx", "0.28.1");
    expect(fmt(r.project.requirements)).toEqual(["certifi", "httpcore==1.*", "anyio", "idna"]);
    expect(keys(r.project.optional)).toEqual(["brotli", "cli", "http2", "socks", "zstd"]);
    expect(fmt(r.project.optional.brotli)).toEqual(['brotli; platform_python_implementation == "CPython"', 'brotlicffi; platform_python_implementation != "CPython"']);
    expect(r.python).toEqual({ request: ">=3.8", origin: "pyproject.toml:9" });
    expect(r.project.buildBackend).toBe("hatchling.build");
  });

  test("black 24.10.0 (hatchling + test_requirements.txt): 7 deps with python_version markers, 4 extras, the test file installed", async () => {
    const r = await read("black", "24.10.0");
    expect(fmt(r.project.requirements).slice(0, 7)).toEqual(["click>=8.0.0", "mypy_extensions>=0.4.3", "packaging>=22.0", "pathspec>=0.9.0", "platformdirs>=2", 'tomli>=1.1.0; python_version < "3.11"', 'typing_extensions>=4.0.1; python_version < "3.11"']);
    expect(keys(r.project.optional)).toEqual(["colorama", "d", "jupyter", "uvloop"]);
    expect(rel(r)).toEqual(["test_requirements.txt"]);
  });

  test("pydantic 2.10.4 (hatchling + PEP 735 groups with include-group): 'all' = every other group", async () => {
    const r = await read("pydantic", "2.10.4");
    expect(fmt(r.project.requirements)).toEqual(["typing-extensions>=4.12.2", "annotated-types>=0.6.0", "pydantic-core==2.27.2"]);
    expect(keys(r.project.groups)).toEqual(["all", "dev", "docs", "linting", "testing-extra", "typechecking"]);
    const others = ["dev", "docs", "linting", "testing-extra", "typechecking"].reduce((n, g) => n + r.project.groups[g]!.length, 0);
    expect(r.project.groups.all!.length).toBe(others);
    expect(fmt(r.project.groups.docs)).toContain("pydantic-extra-types @ git+https://github.com/pydantic/pydantic-extra-types.git@main");
    expect(fmt(r.project.optional.timezone)).toEqual(['tzdata; python_version >= "3.9" and platform_system == "Windows"']);
  });

  test("jsonschema 4.23.0 (hatchling): 6 deps, the format/format-nongpl extras of 8 each", async () => {
    const r = await read("jsonschema", "4.23.0");
    expect(r.project.requirements.length).toBe(6);
    expect([r.project.optional.format!.length, r.project.optional["format-nongpl"]!.length]).toEqual([8, 8]);
  });

  test("anthropic 0.42.0 (hatchling, rye requirements.lock files): 7 deps; .lock files are not requirement files", async () => {
    const r = await read("anthropic", "0.42.0");
    expect(r.project.requirements.length).toBe(7);
    expect(rel(r)).toEqual([]);
    expect(r.python.request).toBe(">=3.8");
  });

  test("mcp 1.2.0 (hatchling + uv.lock + .python-version + [tool.uv] dev-dependencies): Python 3.10 from .python-version, 47 locked packages", async () => {
    const r = await read("mcp", "1.2.0");
    expect(r.python).toEqual({ request: "3.10", origin: ".python-version:1" });
    expect(r.project.lockFile?.kind).toBe("uv.lock");
    expect(r.project.locked?.packages.length).toBe(47);
    expect(r.project.groups.dev!.length).toBe(6);
    expect(r.init).toContain('lock_files:\n    - "uv.lock"');
  });

  test("platformdirs 4.3.6 (hatch envs with features and self-named templates): envs get their extras' requirements", async () => {
    const r = await read("platformdirs", "4.3.6");
    expect(fmt(r.project.groups.test)).toEqual(fmt(r.project.optional.test));
    expect(fmt(r.project.groups.coverage)).toEqual(["covdefaults>=2.3", "coverage[toml]>=7.6.1", "diff-cover>=9.2"]);
    expect(r.project.requirements).toEqual([]);
  });

  test("hatch 1.14.0 (environments in hatch.toml): 16 deps, hatch-test/types/docs environments read from hatch.toml", async () => {
    const r = await read("hatch", "1.14.0");
    expect(r.project.requirements.length).toBe(16);
    expect(keys(r.project.groups)).toEqual(["backend", "coverage", "docs", "hatch-test", "release", "types", "upkeep"]);
    expect(r.project.groups.types![0]!.origin).toStartWith("hatch.toml:");
  });

  test("tox 4.23.2 (hatchling + PEP 735 groups including each other): 11 deps, dev = docs + test + type + …", async () => {
    const r = await read("tox", "4.23.2");
    expect(r.project.requirements.length).toBe(11);
    expect(keys(r.project.groups)).toEqual(["dev", "docs", "fix", "pkg-meta", "release", "test", "type"]);
    expect(fmt(r.project.groups.dev).slice(0, 8)).toEqual(fmt(r.project.groups.docs));
  });
});

describe("flit, pdm-backend, setuptools PEP 621", () => {
  test("flit_core 3.10.1 (flit, self-hosting backend): no dependencies, Python >=3.6", async () => {
    const r = await read("flit_core", "3.10.1");
    expect([r.project.name, r.project.requirements.length, r.project.buildBackend, r.python.request]).toEqual(["flit_core", 0, "flit_core.buildapi", ">=3.6"]);
  });

  test("tomli 2.2.1 (flit_core): a dependency-free package", async () => {
    const r = await read("tomli", "2.2.1");
    expect([r.project.isPackage, r.project.requirements.length, r.python.request]).toEqual([true, 0, ">=3.8"]);
  });

  test("flask 3.1.0 (flit + pip-compile requirements/ dir): dev.txt and tests.txt installed; build/docs/typing/tests-min/tests-dev named only", async () => {
    const r = await read("flask", "3.1.0");
    expect(fmt(r.project.requirements).slice(0, 6)).toEqual(["Werkzeug>=3.1", "Jinja2>=3.1.2", "itsdangerous>=2.2", "click>=8.1.3", "blinker>=1.9", 'importlib-metadata>=3.6; python_version < "3.10"']);
    expect(rel(r)).toEqual(["requirements/dev.txt", "requirements/tests.txt"]);
    expect(r.project.warnings.join("\n")).toContain("requirements/build.txt, requirements/docs.txt, requirements/tests-dev.txt, requirements/tests-min.txt, requirements/typing.txt: not installed");
    expect(r.init).toContain('  files:\n    - "requirements/dev.txt"\n    - "requirements/tests.txt"\n');
  });

  test("fastapi 0.115.6 (pdm-backend + requirements.txt with -e .[all] and -r): the insiders file with ${TOKEN} URLs is not installed", async () => {
    const r = await read("fastapi", "0.115.6");
    expect(rel(r)).toEqual(["requirements.txt"]);
    expect(fmt(r.project.requirements).slice(0, 3)).toEqual(["starlette>=0.40.0,<0.42.0", "pydantic>=1.7.4,!=1.8,!=1.8.1,!=2.0.0,!=2.0.1,!=2.1.0,<3.0.0", "typing-extensions>=4.8.0"]);
    expect(r.project.requirements.some((x) => x.url?.includes("${TOKEN}") || x.url?.includes("insiders"))).toBe(false);
    expect(keys(r.project.optional)).toEqual(["all", "standard"]);
  });

  test("unearth 0.17.2 (pdm-backend, PEP 735 groups): 2 deps, keyring/legacy extras, test/doc groups", async () => {
    const r = await read("unearth", "0.17.2");
    expect(fmt(r.project.requirements)).toEqual(["packaging>=20", "httpx>=0.27.0,<1"]);
    expect([keys(r.project.optional), keys(r.project.groups)]).toEqual([["keyring", "legacy"], ["doc", "test"]]);
    expect(fmt(r.project.groups.test)).toContain('trustme>=0.9.0; python_version < "3.13"');
  });

  test("pdm-backend 2.4.3 (in-tree backend, groups with a ~= python marker)", async () => {
    const r = await read("pdm-backend", "2.4.3");
    expect(r.project.buildBackend).toBe("pdm.backend.intree");
    expect(fmt(r.project.groups.dev)).toEqual(["editables>=0.3", "pre-commit>=2.21.0", 'vendoring>=1.2.0; python_version ~= "3.8"']);
  });

  test("pdm 2.22.1 (pdm-backend, self-referencing extras, 24 deps)", async () => {
    const r = await read("pdm", "2.22.1");
    expect(r.project.requirements.length).toBe(24);
    expect(fmt(r.project.optional.all)).toEqual(["pdm[keyring,template]"]);
    expect(fmt(r.project.groups.test)[0]).toBe("pdm[pytest]");
  });

  test("pytkdocs 0.16.1 (old pdm.pep517 backend, [tool.pdm.dev-dependencies]): 8 dev groups", async () => {
    const r = await read("pytkdocs", "0.16.1");
    expect(keys(r.project.groups)).toEqual(["docs", "duty", "format", "maintain", "quality", "security", "tests", "typing"]);
    expect(fmt(r.project.requirements)[0]).toBe('astunparse>=1.6; python_version < "3.9"');
  });

  test("pytest 8.3.4 (setuptools PEP 621, setup.cfg holds only tool settings): 6 deps incl. a pre-release lower bound", async () => {
    const r = await read("pytest", "8.3.4");
    expect(fmt(r.project.requirements)).toEqual(['colorama; sys_platform == "win32"', 'exceptiongroup>=1.0.0rc8; python_version < "3.11"', "iniconfig", "packaging", "pluggy<2,>=1.5", 'tomli>=1; python_version < "3.11"']);
  });

  test("pipenv 2024.4.0 (setuptools PEP 621) and its examples/Pipfile (a Pipfile-only project root): packages, dev-packages, source and Pipfile.lock", async () => {
    const r = await read("pipenv", "2024.4.0");
    expect(keys(r.project.optional)).toEqual(["dev", "tests"]);
    const ex = await read("pipenv", "2024.4.0", "examples");
    expect(fmt(ex.project.requirements)).toEqual(["requests"]);
    expect(fmt(ex.project.groups.dev)).toEqual(["pytest"]);
    expect(ex.project.lockFile?.kind).toBe("Pipfile.lock");
    expect(ex.registries.indexUrl).toBe("https://pypi.python.org/simple");
    expect(ex.registries.origins.indexUrl).toBe("Pipfile:2");
  });
});

describe("setuptools dynamic metadata", () => {
  test("adafruit-circuitpython-requests 4.1.8 (dynamic deps and extra from files): requirements.txt main, optional_requirements.txt the 'optional' extra", async () => {
    const r = await read("adafruit-circuitpython-requests", "4.1.8");
    expect(fmt(r.project.requirements)).toEqual(["Adafruit-Blinka", "Adafruit-Circuitpython-ConnectionManager"]);
    expect(fmt(r.project.optional.optional)).toEqual(["requests"]);
    expect(rel(r)).toEqual(["requirements.txt"]);
  });

  test("circuitpython-styles 0.7.0 (dynamic extra's file missing from the sdist): a warning, not an error", async () => {
    const r = await read("circuitpython-styles", "0.7.0");
    expect(fmt(r.project.requirements)).toEqual(["Adafruit-Blinka"]);
    expect(r.project.warnings).toContain('optional_requirements.txt: named by the package metadata (extra "optional") but missing; skipped, as setuptools does');
  });
});

describe("Poetry", () => {
  test("poetry-core 1.9.1 ([tool.poetry] only, no deps): dev/test/typing groups, Python >=3.8,<4", async () => {
    const r = await read("poetry-core", "1.9.1");
    expect([r.project.requirements.length, keys(r.project.groups), r.python.request]).toEqual([0, ["dev", "test", "typing"], ">=3.8,<4"]);
  });

  test("pendulum 2.1.2 (Poetry 1, python = \"~2.7 || ^3.5\"): Python >=3.5,<4 (not 2.7), caret deps converted", async () => {
    const r = await read("pendulum", "2.1.2");
    expect(r.python).toEqual({ request: ">=3.5,<4", origin: "pyproject.toml:28" });
    expect(fmt(r.project.requirements)).toEqual(["python-dateutil>=2.6,<3", "pytzdata>=2020.1", 'typing>=3.6,<4; python_version < "3.5"']);
    expect(fmt(r.project.groups.dev)).toContain('mkdocs>=1.0,<2; python_version >= "3.5" and python_version < "4"');
  });

  test("cleo 2.1.0 (Poetry multiple-constraint lists): one requirement per python branch", async () => {
    const r = await read("cleo", "2.1.0");
    expect(fmt(r.project.groups.dev).slice(0, 2)).toEqual(['mypy>=1.0,<2; python_version < "3.8"', 'mypy>=1.5,<2; python_version >= "3.8"']);
  });

  test("rich 13.9.4 (Poetry extras from optional deps): jupyter extra = ipywidgets, not a main dep", async () => {
    const r = await read("rich", "13.9.4");
    expect(fmt(r.project.optional.jupyter)).toEqual(["ipywidgets>=7.5.1,<9"]);
    expect(r.project.requirements.map((x) => x.name)).toEqual(["typing-extensions", "pygments", "markdown-it-py"]);
  });

  test("poetry 2.0.1 (Poetry 2: [project] + [tool.poetry.group.*]): 21 deps from [project], groups from Poetry", async () => {
    const r = await read("poetry", "2.0.1");
    expect(r.project.requirements.length).toBe(21);
    expect(fmt(r.project.requirements)).toContain('xattr>=1.0.0,<2.0.0; sys_platform == "darwin"');
    expect(keys(r.project.groups)).toEqual(["dev", "github-actions", "test", "typing"]);
  });
});

describe("compiled extensions: maturin, meson, scikit-build", () => {
  test("pydantic-core 2.27.2 (maturin, [tool.uv] package = false): not installed itself, as uv would not", async () => {
    const r = await read("pydantic-core", "2.27.2");
    expect([r.project.isPackage, r.project.buildBackend]).toEqual([false, "maturin"]);
    expect(fmt(r.project.requirements)).toEqual(["typing-extensions>=4.6.0,!=4.7.0"]);
    expect(fmt(r.project.groups.testing)).toContain('pandas; python_version >= "3.9" and python_version < "3.13" and implementation_name == "cpython" and platform_machine == "x86_64"');
  });

  test("meson-python 0.17.1 (mesonpy backend): 5 deps with python_version markers, test/docs extras", async () => {
    const r = await read("meson-python", "0.17.1");
    expect(r.project.buildBackend).toBe("mesonpy");
    expect(fmt(r.project.requirements).slice(0, 2)).toEqual(['meson>=0.63.3; python_version < "3.12"', 'meson>=1.2.3; python_version >= "3.12"']);
    expect(keys(r.project.optional)).toEqual(["docs", "test"]);
  });

  test("pyzmq 26.2.0 (scikit-build-core + test-requirements.txt): cffi for PyPy, the test file installed", async () => {
    const r = await read("pyzmq", "26.2.0");
    expect(r.project.buildBackend).toBe("scikit_build_core.build");
    expect(fmt(r.project.requirements)[0]).toBe('cffi; implementation_name == "pypy"');
    expect(rel(r)).toEqual(["test-requirements.txt"]);
  });
});

test("every pinned project is checked above", () => {
  expect(realProjectSdists.length).toBe(39);
});
