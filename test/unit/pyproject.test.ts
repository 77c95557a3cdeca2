import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { readDeclaredProject, decideIsPackage } from "../../src/project/declared.ts";
import { readPyprojectTable, poetryConstraintToPep440, pythonSpecToMarker } from "../../src/project/pyproject.ts";
import { formatRequirement, type Requirement } from "../../src/project/pep508.ts";
import { readSetupCfg, splitSetuptoolsList } from "../../src/project/setuptools.ts";
import { DhtError, ExitCode } from "../../src/errors.ts";

const projects = join(import.meta.dir, "..", "fixtures", "projects");
const fmt = (rs: Requirement[]) => rs.map((r) => formatRequirement(r));
const read = (name: string, config = {}) => readDeclaredProject(join(projects, name), config, {});

async function declaredError(name: string): Promise<DhtError> {
  try {
    await read(name);
  } catch (e) {
    if (e instanceof DhtError) return e;
    throw e;
  }
  throw new Error("expected a DhtError");
}

describe("PEP 621 + PEP 735 (pep621-groups)", () => {
  test("dependencies, extras and dependency groups with include-group are read with origins", async () => {
    const p = await read("pep621-groups");
    expect(p.name).toBe("acme-service");
    expect(p.requiresPython).toBe(">=3.10");
    expect(fmt(p.requirements)).toEqual(["fastapi>=0.110,<1", "pydantic[email]~=2.6", 'uvloop>=0.19; sys_platform != "win32"']);
    expect(p.requirements[0]!.origin).toBe("pyproject.toml:9");
    expect(fmt(p.optional.postgres!)).toEqual(["psycopg2>=2.9"]);
    expect(fmt(p.groups.test!)).toEqual(["pytest>=8", "pytest-cov", "mypy==1.9.0"]);
    expect(fmt(p.groups.dev!)).toEqual(["pytest>=8", "pytest-cov", "mypy==1.9.0", "ruff>=0.3"]);
  });
  test("a [build-system] makes it a package; the uv.lock is found and its pins are readable", async () => {
    const p = await read("pep621-groups");
    expect(p.isPackage).toBe(true);
    expect(p.packageEvidence).toContain("hatchling.build");
    expect(p.lockFile?.kind).toBe("uv.lock");
    expect(p.locked?.packages.find((x) => x.name === "fastapi")?.version).toBe("0.110.0");
    expect(p.locked?.formatVersion).toBe("1");
  });
  test("an include-group cycle is an error showing the chain", async () => {
    const e = await declaredError("pep735-cycle");
    expect(e.code).toBe(ExitCode.usage);
    expect(e.message).toContain("a -> b -> a");
  });
  test("an include of an unknown group names the defined groups", () => {
    const text = '[dependency-groups]\ntest = [{include-group = "lnt"}]\nlint = ["ruff"]\n';
    expect(() => readPyprojectTable(Bun.TOML.parse(text) as Record<string, unknown>, text)).toThrow(/unknown group "lnt"/);
  });
  test("an invalid requirement in [project] names pyproject.toml:line", () => {
    const text = '[project]\nname = "x"\ndependencies = [\n  "requests>=",\n]\n';
    try {
      readPyprojectTable(Bun.TOML.parse(text) as Record<string, unknown>, text);
      throw new Error("no error");
    } catch (e) {
      expect((e as DhtError).subject).toBe("pyproject.toml:3");
      expect((e as DhtError).code).toBe(ExitCode.usage);
    }
  });
});

describe("Poetry", () => {
  test("caret, tilde, star, exact and pre-release constraints become PEP 440", async () => {
    const p = await read("poetry");
    expect(fmt(p.requirements)).toEqual([
      "requests>=2.31,<3",
      "click>=8.1.3,<8.2",
      "rich",
      'pendulum>=3.0,<4; python_version >= "3.9" and python_version < "3.13"',
      'pywin32>=306; sys_platform == "win32"',
      "uvicorn[standard]>=0.29,<0.30",
      "mylib",
      "toolz @ git+https://github.com/pytoolz/toolz.git@0.12.1",
      "zeta==0.4.1",
      "beta==1.0.*",
      "pre>=1.0.0b2,<2",
    ]);
    expect(p.requirements.find((r) => r.name === "mylib")).toMatchObject({ path: "../mylib", editable: true });
    expect(p.requiresPython).toBe(">=3.9,<4");
  });
  test("optional dependencies appear only through [tool.poetry.extras]; groups and legacy dev-dependencies are groups", async () => {
    const p = await read("poetry");
    expect(p.requirements.some((r) => r.name === "psycopg2")).toBe(false);
    expect(fmt(p.optional.pg!)).toEqual(["psycopg2>=2.9,<3"]);
    expect(fmt(p.groups.dev!)).toEqual(["pytest>=8.0,<9", "black>=24.2,<25"]);
    expect(fmt(p.groups.docs!)).toEqual(["sphinx>=7,<8"]);
    expect(p.lockFile?.kind).toBe("poetry.lock");
    expect(p.locked?.packages.map((x) => `${x.name}=${x.version}`)).toEqual(["requests=2.31.0", "click=8.1.7"]);
  });
  test("package-mode = false means the project itself is not installed", async () => {
    const p = await read("poetry-no-package");
    expect(p.isPackage).toBe(false);
    expect(fmt(p.requirements)).toEqual(["httpx>=0.27,<0.28"]);
  });
  test("constraint conversion table", () => {
    const cases: Array<[string, string]> = [
      ["^1.2.3", ">=1.2.3,<2"],
      ["^0.2.3", ">=0.2.3,<0.3"],
      ["^0.0.3", ">=0.0.3,<0.0.4"],
      ["~1.2.3", ">=1.2.3,<1.3"],
      ["~1", ">=1,<2"],
      ["*", ""],
      [">=1.2,<2.0", ">=1.2,<2.0"],
      [">= 1.2 < 2.0", ">=1.2,<2.0"],
      ["1.2.3", "==1.2.3"],
      ["^2.0.0rc1", ">=2.0.0rc1,<3"],
      ["==1.0.0.post1", "==1.0.0.post1"],
    ];
    for (const [poetry, pep440] of cases) expect(`${poetry} → ${poetryConstraintToPep440(poetry, "x")}`).toBe(`${poetry} → ${pep440}`);
    expect(() => poetryConstraintToPep440("^banana", "pyproject.toml:9")).toThrow(/pyproject\.toml:9: cannot read the Poetry version constraint/);
  });
  test("a python constraint becomes a marker", () => {
    expect(pythonSpecToMarker(">=3.8,<3.12")).toBe('python_version >= "3.8" and python_version < "3.12"');
    expect(pythonSpecToMarker("==3.10.*")).toBe('python_version == "3.10"');
    expect(pythonSpecToMarker(">=3.8.1")).toBe('python_full_version >= "3.8.1"');
  });
});

describe("Hatch, PDM, Flit", () => {
  test("hatch environments become groups; they inherit the default env unless detached", async () => {
    const p = await read("hatch");
    expect(fmt(p.groups.default!)).toEqual(["coverage[toml]>=6.5", "pytest"]);
    expect(fmt(p.groups.test!)).toEqual(["coverage[toml]>=6.5", "pytest", "pytest-xdist"]);
    expect(fmt(p.groups.lint!)).toEqual(["ruff==0.3.4"]);
  });
  test("pdm dev-dependencies become groups, including -e paths under ${PROJECT_ROOT}", async () => {
    const p = await read("pdm");
    expect(fmt(p.groups.lint!)).toEqual(["flake8"]);
    expect(p.groups.test![1]).toMatchObject({ name: "helper", editable: true, path: "./packages/helper" });
    expect(p.lockFile?.kind).toBe("pdm.lock");
  });
  test("legacy flit metadata gives requires and requires-extra", async () => {
    const p = await read("flit-legacy");
    expect(p.name).toBe("flitpkg");
    expect(fmt(p.requirements)).toEqual(["docutils>=0.18", "requests"]);
    expect(fmt(p.optional.test!)).toEqual(["pytest>=2.7.3", "pytest-cov"]);
    expect(p.isPackage).toBe(true);
  });
});

describe("setuptools: setup.cfg and setup.py", () => {
  test("setup.cfg install_requires (one per line, markers kept, comments dropped) and extras_require", async () => {
    const p = await read("setuptools-cfg");
    expect(p.name).toBe("cfgpkg");
    expect(p.requiresPython).toBe(">=3.8");
    expect(fmt(p.requirements)).toEqual(["requests>=2.28", 'importlib-metadata; python_version < "3.10"', "click"]);
    expect(p.requirements[1]!.origin).toBe("setup.cfg:10");
    expect(fmt(p.optional.yaml!)).toEqual(["PyYAML>=6.0"]);
    expect(fmt(p.optional.test!)).toEqual(["pytest>=7", "pytest-mock"]);
  });
  test("setup.py alone is a package and is never executed", async () => {
    // The fixture's setup.py exits with an error when run; reading the project must not run it.
    const p = await read("setup-py-only");
    expect(p.isPackage).toBe(true);
    expect(p.packageEvidence).toBe("setup.py (not executed)");
    expect(p.warnings.join("\n")).toContain("setup.py");
  });
  test("setuptools list syntax: one line splits on ';', several lines split on newlines", () => {
    expect(splitSetuptoolsList("a; b")).toEqual(["a", "b"]);
    expect(splitSetuptoolsList('\na; python_version < "3"\n# c\nb')).toEqual(['a; python_version < "3"', "b"]);
  });
  test("install_requires = file: names requirement files", () => {
    expect(readSetupCfg("[metadata]\nname = x\n[options]\ninstall_requires = file: requirements.in\n").requirementFiles).toEqual(["requirements.in"]);
  });
  test("isPackage decision table", () => {
    expect(decideIsPackage({ hasSetupPy: false }).isPackage).toBe(false);
    expect(decideIsPackage({ hasSetupPy: false, setupCfgName: "x" }).isPackage).toBe(true);
    expect(decideIsPackage({ hasSetupPy: true, pyproject: { hasBuildSystem: false, packageMode: false } }).isPackage).toBe(false);
    expect(decideIsPackage({ hasSetupPy: false, pyproject: { hasBuildSystem: false, packageMode: true } }).isPackage).toBe(true);
  });
});

describe("Pipfile, uv virtual projects, requirement files", () => {
  test("Pipfile packages, dev-packages, sources (verify_ssl = false → trusted host) and python_version", async () => {
    const p = await read("pipenv");
    expect(fmt(p.requirements)).toEqual(["django==4.2.11", "requests[socks]>=2.31", "gunicorn", 'pywin32; sys_platform == "win32"', "internal-lib"]);
    expect(p.groups.dev![1]).toMatchObject({ name: "mylib", editable: true, path: "./libs/mylib" });
    expect(p.indexOptions).toMatchObject({ indexUrl: "https://pypi.org/simple", extraIndexUrls: ["http://pkgs.internal.example:8080/simple"], trustedHosts: ["pkgs.internal.example:8080"], pre: true });
    expect(p.indexOptions.origins["extraIndexUrls.0"]).toBe("Pipfile:7");
    expect(p.requiresPython).toBe("==3.11.*");
    expect(p.locked?.packages.map((x) => `${x.name}=${x.version}@${x.source}`)).toEqual(["django=4.2.11@default", "asgiref=3.8.1@default", "pytest=8.1.1@develop"]);
  });
  test("uv package = false is not a package; legacy [tool.uv] dev-dependencies form the dev group", async () => {
    const p = await read("uv-virtual");
    expect(p.isPackage).toBe(false);
    expect(fmt(p.groups.dev!)).toEqual(["pytest"]);
    expect(p.locked?.packages.find((x) => x.name === "scripts-only")?.source).toBe("virtual");
  });
  test("requirement files: files included by another are read through it (constraints stay constraints)", async () => {
    const p = await read("requirements-includes");
    expect(p.requirementFiles.map((f) => f.slice(f.lastIndexOf("/") + 1))).toEqual(["requirements-dev.txt"]);
    expect(fmt(p.requirements)).toEqual(["flask>=3.0", 'sqlalchemy[asyncio]>=2.0; python_version >= "3.8"', "gunicorn==21.2.0", "pytest>=8"]);
    expect(fmt(p.constraints)).toEqual(["werkzeug==3.0.1"]);
    expect(p.indexOptions.extraIndexUrls).toEqual(["https://download.pytorch.org/whl/cpu"]);
    expect(p.indexOptions.origins["extraIndexUrls.0"]).toBe("requirements.txt:4");
  });
  test("configured dependencies.files and packages are used; a missing configured file is a usage error", async () => {
    const p = await read("requirements-includes", { dependencies: { files: ["requirements/base.txt"], packages: ["rich>=13"] } });
    expect(fmt(p.requirements)).toEqual(["flask>=3.0", 'sqlalchemy[asyncio]>=2.0; python_version >= "3.8"', "rich>=13"]);
    expect(p.requirements[2]!.origin).toBe(".dhtconfig dependencies.packages[0]");
    await expect(read("requirements-includes", { dependencies: { files: ["nope.txt"] } })).rejects.toMatchObject({ code: ExitCode.usage, subject: "dependencies.files" });
    await expect(read("requirements-includes", { dependencies: { packages: ["bad>="] } })).rejects.toMatchObject({ subject: "dependencies.packages[0]" });
  });
  test("a broken pyproject.toml is a usage error naming file:line:column", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-pyproj-"));
    writeFileSync(join(dir, "pyproject.toml"), '[project]\nname = "x"\ndependencies = [\n');
    await expect(readDeclaredProject(dir, {}, {})).rejects.toMatchObject({ code: ExitCode.usage });
  });
});

describe("which requirement files are the project's declaration (for the optional files of a setup)", () => {
  const project = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-reqroles-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  test("a [project] with a root requirements.txt of tooling (sortedcontainers): the file is detected, the metadata named", async () => {
    const dir = project({ "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "sortedcontainers"\nversion = "2.4"\n', "requirements.txt": "blist\npytest\n" });
    const p = await readDeclaredProject(dir, {}, {});
    expect(p.metadata).toBe("pyproject.toml [project]");
    expect(p.detectedRequirementFiles).toEqual([join(dir, "requirements.txt")]);
  });
  test("a file the metadata reads (dynamic dependencies, a setup.py that opens it) or the configuration names is not merely detected", async () => {
    const dynamic = project({ "pyproject.toml": '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\n', "requirements.txt": "six\n" });
    expect((await readDeclaredProject(dynamic, {}, {})).detectedRequirementFiles).toEqual([]);
    const setupPy = project({ "setup.py": 'from setuptools import setup\nsetup(name="pyflakes", install_requires=open("requirements.txt").read().splitlines())\n', "requirements.txt": "six\n" });
    const sp = await readDeclaredProject(setupPy, {}, {});
    expect(sp).toMatchObject({ metadata: "setup.py", name: "pyflakes", detectedRequirementFiles: [] });
    const configured = project({ "setup.py": "from setuptools import setup\nsetup(name='x')\n", "requirements.txt": "six\n" });
    expect((await readDeclaredProject(configured, { dependencies: { files: ["requirements.txt"] } }, {})).detectedRequirementFiles).toEqual([]);
  });
  test("a requirements-only application has no metadata: its requirements.txt is what it depends on", async () => {
    const p = await readDeclaredProject(project({ "requirements.txt": "flask\n" }), {}, {});
    expect(p.metadata).toBeUndefined();
    expect(p.requirementFiles.length).toBe(1);
  });
});

describe("indexes declared by the tools", () => {
  test("[[tool.poetry.source]]: the primary replaces PyPI, explicit ones are kept by name for credentials", async () => {
    const p = await read("poetry");
    expect(p.indexOptions.indexUrl).toBe("https://nexus.corp.example/repository/pypi-all/simple");
    expect(p.indexOptions.origins.indexUrl).toMatch(/^pyproject\.toml:\d+$/);
    expect(p.indexOptions.named).toEqual([
      { name: "corp-mirror", url: "https://nexus.corp.example/repository/pypi-all/simple", origin: p.indexOptions.origins.indexUrl! },
      expect.objectContaining({ name: "corp-private", explicit: true }),
    ]);
    expect(p.indexOptions.extraIndexUrls).toEqual([]);
  });
  test("[[tool.pdm.source]]: extra index with verify_ssl = false → trusted host; type find_links → find-links", async () => {
    const p = await read("pdm");
    expect(p.indexOptions.extraIndexUrls).toEqual(["http://pdm-mirror.internal:3141/root/pypi/+simple/"]);
    expect(p.indexOptions.trustedHosts).toEqual(["pdm-mirror.internal:3141"]);
    expect(p.indexOptions.findLinks).toEqual(["file:///opt/wheelhouse"]);
  });
});
