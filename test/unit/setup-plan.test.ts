import { describe, expect, test } from "bun:test";
import { buildPlan, selectExtrasAndGroups, splitSelection, type PlanInput, type PlanRequirement } from "../../src/flows/setup/plan.ts";
import { renderPlan } from "../../src/flows/setup/render.ts";
import { parseLockFile } from "../../src/project/lockfiles.ts";
import { lockGraph } from "../../src/project/lock-pins.ts";
import { planInputFixture } from "../helpers/plan-input.ts";

const req = (raw: string, origin = "pyproject.toml [project.dependencies]"): PlanRequirement => ({ name: raw.split(/[<>=\[ ;@]/)[0]!, raw, origin });

function input(over: Partial<PlanInput> = {}): PlanInput {
  return planInputFixture(
    {
      isPackage: false,
      requirements: [req("requests>=2"), req("PyYAML")],
      optional: { test: [req("pytest")], docs: [req("sphinx")] },
      groups: { dev: [req("ruff")], lint: [req("mypy")] },
    },
    {
      registries: { indexUrl: "https://user:s3cret@pypi.corp.example/simple", extraIndexUrls: [], trustedHosts: [], findLinks: [], origins: { indexUrl: "env PIP_INDEX_URL" } },
      python: { request: "3.11", executable: "/usr/bin/python3.11", version: "3.11.7", source: "system", chain: [{ step: "managed", outcome: "skipped", why: "none installed" }, { step: "system", outcome: "taken", why: "/usr/bin/python3.11" }] },
      uv: { available: true, path: "/h/tools/uv/0.13.9/uv", version: "0.13.9", how: "stored" },
      registryEnvNames: ["UV_DEFAULT_INDEX"],
      ...over,
    },
  );
}

describe("setup plan", () => {
  test("dev and test groups/extras are included by default, others only when configured", () => {
    const p = input().project;
    expect(selectExtrasAndGroups(p, [], [])).toEqual({ extras: ["test"], groups: ["dev"] });
    expect(selectExtrasAndGroups(p, ["docs"], ["lint"])).toEqual({ extras: ["test", "docs"], groups: ["dev", "lint"] });
    expect(selectExtrasAndGroups(p, [], [], true)).toEqual({ extras: [], groups: [] });
  });

  test("without a lock: uv venv, then one uv pip install of the declared requirements, then uv pip check", () => {
    const plan = buildPlan(input());
    expect(plan.mode).toBe("uv-pip");
    expect(plan.commands.map((c) => c.step)).toEqual(["create-venv", "install-dependencies", "verify"]);
    expect(plan.commands[0]!.argv).toEqual(["/h/tools/uv/0.13.9/uv", "venv", "--no-config", "--python", "/usr/bin/python3.11", "--prompt", "demo", "/p/.venv"]);
    expect(plan.commands[1]!.argv).toEqual(["/h/tools/uv/0.13.9/uv", "pip", "install", "--python", "/p/.venv/bin/python", "requests>=2", "PyYAML", "pytest", "ruff"]);
    expect(plan.commands[2]!.argv).toEqual(["/h/tools/uv/0.13.9/uv", "pip", "check", "--python", "/p/.venv/bin/python"]);
    expect(plan.importChecks).toEqual(["requests", "PyYAML", "pytest", "ruff"]);
  });

  test("Python 2.7 and 3.6: virtualenv (run by a newer Python, from DHT_HOME) makes the venv and pip installs and checks; 3.7 keeps uv", () => {
    const virtualenv = { toolDir: "/h/tools/virtualenv/20.21.1", appData: "/h/cache/virtualenv-app-data" };
    for (const [version, pip] of [["2.7.18", "pip 20.3.4"], ["3.6.15", "pip 21.3.1"]] as const) {
      const python = { ...input().python, executable: `/py/${version}/bin/python`, version, venvHost: { executable: "/usr/bin/python3.11", version: "3.11.2" } };
      const plan = buildPlan(input({ python, virtualenv }));
      expect(plan.venvCreator).toBe("virtualenv");
      expect(plan.installer).toBe("pip");
      expect(plan.mode).toBe("pip");
      const create = plan.commands[0]!;
      expect(create.argv).toEqual(["/usr/bin/python3.11", "-m", "virtualenv", "--no-download", "--no-periodic-update", "--python", `/py/${version}/bin/python`, "--prompt", "demo", "/p/.venv"]);
      expect(create.env.PYTHONPATH).toBe(["virtualenv", "distlib", "filelock", "platformdirs"].map((d) => `/h/tools/virtualenv/20.21.1/${d}`).join(":"));
      expect(create.env.VIRTUALENV_OVERRIDE_APP_DATA).toBe("/h/cache/virtualenv-app-data");
      expect(plan.commands[1]!.argv.slice(0, 4)).toEqual(["/p/.venv/bin/python", "-m", "pip", "install"]);
      expect(plan.commands.at(-1)!.argv).toEqual(["/p/.venv/bin/python", "-m", "pip", "check"]);
      expect(plan.notes.join("\n")).toContain(`seeds ${pip}`);
    }
    const plan37 = buildPlan(input({ python: { ...input().python, version: "3.7.16" }, virtualenv }));
    expect(plan37.venvCreator).toBe("uv");
    expect(plan37.installer).toBe("uv");
  });

  test("a package is installed editable with its extras; its own metadata deps are not repeated", () => {
    const base = input();
    const plan = buildPlan(input({ project: { ...base.project, isPackage: true, requirements: [...base.project.requirements, req("rich", ".dhtconfig dependencies.packages[0]")] } }));
    expect(plan.commands[1]!.argv.slice(5)).toEqual(["rich", "ruff", "-e", "/p[test]"]);
    expect(plan.importChecks).toContain("demo");
  });

  test("requirement files are passed with -r and their lines are not repeated", () => {
    const base = input();
    const fromFile = req("flask==3.0", "requirements.txt:1");
    const plan = buildPlan(input({ project: { ...base.project, requirements: [fromFile], requirementFiles: ["/p/requirements.txt"], requirementSets: [{ requirements: [fromFile] }], optional: {}, groups: {} } }));
    expect(plan.commands[1]!.argv.slice(5)).toEqual(["-r", "/p/requirements.txt"]);
  });

  test("uv.lock is honoured with uv sync --frozen into the venv", () => {
    const base = input();
    const plan = buildPlan(input({ project: { ...base.project, lockFile: { kind: "uv.lock", path: "/p/uv.lock" } } }));
    expect(plan.mode).toBe("uv-sync");
    expect(plan.lockFile?.honoured).toBe(true);
    const install = plan.commands[1]!;
    expect(install.argv).toEqual(["/h/tools/uv/0.13.9/uv", "sync", "--frozen", "--project", "/p", "--python", "/p/.venv/bin/python", "--extra", "test", "--group", "dev"]);
    expect(install.env.UV_PROJECT_ENVIRONMENT).toBe("/p/.venv");
  });

  test("uv.lock with no index (offline bundle): the lock's pins are exported and installed from local wheels, never uv sync", () => {
    const base = input();
    const plan = buildPlan(
      input({
        project: { ...base.project, isPackage: true, lockFile: { kind: "uv.lock", path: "/p/uv.lock" } },
        registries: { ...base.registries, noIndex: true, findLinks: ["/bundle/wheels"] },
      }),
    );
    const installs = plan.commands.filter((c) => c.step === "install-dependencies").map((c) => c.argv);
    expect(installs.some((a) => a[1] === "sync")).toBe(false);
    expect(installs[0]).toEqual(["/h/tools/uv/0.13.9/uv", "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header", "--format", "requirements-txt", "--project", "/p", "-o", "/p/.dht/uv-lock-requirements.txt", "--extra", "test", "--group", "dev"]);
    expect(installs[1]).toEqual(["/h/tools/uv/0.13.9/uv", "pip", "sync", "--no-index", "--python", "/p/.venv/bin/python", "/p/.dht/uv-lock-requirements.txt"]);
    expect(installs[2]).toEqual(["/h/tools/uv/0.13.9/uv", "pip", "install", "--no-index", "--no-deps", "--python", "/p/.venv/bin/python", "-e", "/p"]);
  });

  test("uv.lock resolved against another index than the configured mirror: pins exported and pip-synced through the mirror, never uv sync", () => {
    const base = input();
    const locked = { packages: [{ registry: "https://pypi.org/simple" }, { registry: "https://pypi.org/simple/" }, {}] };
    const plan = buildPlan(input({ project: { ...base.project, isPackage: true, lockFile: { kind: "uv.lock", path: "/p/uv.lock" }, locked } }));
    expect(plan.mode).toBe("uv-sync");
    const installs = plan.commands.filter((c) => c.step === "install-dependencies").map((c) => c.argv);
    expect(installs.some((a) => a[1] === "sync")).toBe(false);
    expect(installs[0]!.slice(1, 3)).toEqual(["export", "--frozen"]);
    expect(installs[1]).toEqual(["/h/tools/uv/0.13.9/uv", "pip", "sync", "--python", "/p/.venv/bin/python", "/p/.dht/uv-lock-requirements.txt"]);
    expect(installs[2]).toEqual(["/h/tools/uv/0.13.9/uv", "pip", "install", "--no-deps", "--python", "/p/.venv/bin/python", "-e", "/p"]);
    const note = plan.notes.find((n) => n.startsWith("uv.lock was resolved against"))!;
    expect(note).toContain("https://pypi.org/simple,");
    expect(note).not.toContain("s3cret");
  });

  test("uv.lock packages carry the registry URL they were resolved against; editable and virtual ones none", () => {
    const text = '[[package]]\nname = "idna"\nversion = "3.7"\nsource = { registry = "https://mirror.example/simple" }\n\n[[package]]\nname = "me"\nversion = "0"\nsource = { editable = "." }\n';
    const lock = parseLockFile("uv.lock", text, "/p/uv.lock");
    expect(lock.packages.map((p) => [p.name, p.source, p.registry])).toEqual([["idna", "registry", "https://mirror.example/simple"], ["me", "editable", undefined]]);
  });

  test("uv.lock resolved against the configured index (credentials and trailing slash aside), or a local registry: uv sync --frozen", () => {
    const base = input();
    for (const registry of ["https://pypi.corp.example/simple/", "../wheels"]) {
      const plan = buildPlan(input({ project: { ...base.project, lockFile: { kind: "uv.lock", path: "/p/uv.lock" }, locked: { packages: [{ registry }] } } }));
      expect(plan.commands.find((c) => c.step === "install-dependencies")!.argv[1]).toBe("sync");
      expect(plan.notes.some((n) => n.startsWith("uv.lock was resolved against"))).toBe(false);
    }
  });

  test("uv.lock: only [dependency-groups] groups go to uv sync; a hatch or poetry group is installed after it with uv pip", () => {
    const base = input();
    const project = {
      ...base.project,
      lockFile: { kind: "uv.lock", path: "/p/uv.lock" },
      groups: { dev: [req("ruff")], test: [req("pytest-cov")] },
      groupSources: { dev: "dependency-groups", test: "hatch" },
    };
    const plan = buildPlan(input({ project }));
    const installs = plan.commands.filter((c) => c.step === "install-dependencies").map((c) => c.argv);
    expect(installs[0]).toContain("sync");
    expect(installs[0]!.join(" ")).toContain("--group dev");
    expect(installs[0]!.join(" ")).not.toContain("--group test");
    expect(installs[1]).toEqual(["/h/tools/uv/0.13.9/uv", "pip", "install", "--python", "/p/.venv/bin/python", "pytest-cov"]);
  });

  test("hatch's own development environments (default, hatch-test) count as dev groups", () => {
    const base = input();
    const project = { ...base.project, groups: { default: [req("pytest")], "hatch-test": [req("pytest-xdist")], docs: [req("mkdocs")] }, groupSources: { default: "hatch", "hatch-test": "hatch", docs: "hatch" } };
    expect(selectExtrasAndGroups(project, [], []).groups).toEqual(["default", "hatch-test"]);
    // A PEP 735 group merely named "default" is not a development group.
    expect(selectExtrasAndGroups({ ...project, groupSources: { default: "dependency-groups" } }, [], []).groups).toEqual([]);
  });

  test("a fresh poetry.lock: its pins (hashes, markers evaluated for the chosen Python) are written and synced, the project installed --no-deps, groups and extras selected as usual", () => {
    const base = input();
    const graph = lockGraph("poetry.lock", Bun.TOML.parse(`
[[package]]
name = "requests"
version = "2.31.0"
files = [{file = "requests-2.31.0-py3-none-any.whl", hash = "sha256:${"a".repeat(64)}"}]
[package.dependencies]
idna = ">=2.5,<4"
colorama = {version = "*", markers = 'sys_platform == "win32"'}
[[package]]
name = "idna"
version = "3.7"
files = [{file = "idna-3.7-py3-none-any.whl", hash = "sha256:${"b".repeat(64)}"}]
[[package]]
name = "colorama"
version = "0.4.6"
files = []
[[package]]
name = "pytest"
version = "8.3.5"
files = [{file = "pytest-8.3.5-py3-none-any.whl", hash = "sha256:${"c".repeat(64)}"}]
[metadata]
content-hash = "x"
`) as Record<string, unknown>);
    const project = { ...base.project, isPackage: true, requirements: [req("requests>=2")], optional: {}, groups: { dev: [req("pytest", "pyproject.toml [tool.poetry.group.dev]")], docs: [req("sphinx")] }, lockFile: { kind: "poetry.lock", path: "/p/poetry.lock" }, locked: { packages: [], graph, freshness: { fresh: true, why: "poetry.lock matches pyproject.toml" } } };
    const plan = buildPlan(input({ project }));
    expect(plan.lockFile?.how).toBe("pins");
    expect(plan.files).toHaveLength(1);
    expect(plan.files[0]!.path).toBe("/p/.dht/poetry-lock-pins.txt");
    expect(plan.files[0]!.text).toContain(`requests==2.31.0 \\\n    --hash=sha256:${"a".repeat(64)}`);
    expect(plan.files[0]!.text).toContain("idna==3.7");
    expect(plan.files[0]!.text).toContain("pytest==8.3.5");
    expect(plan.files[0]!.text).not.toContain("colorama");
    const installs = plan.commands.filter((c) => c.step === "install-dependencies").map((c) => c.argv.slice(1));
    expect(installs).toEqual([
      ["pip", "sync", "--require-hashes", "--python", "/p/.venv/bin/python", "/p/.dht/poetry-lock-pins.txt"],
      ["pip", "install", "--python", "/p/.venv/bin/python", "--no-deps", "-e", "/p"],
    ]);
    // The same lock on Windows takes colorama too.
    expect(buildPlan(input({ project, os: "windows" })).files[0]!.text).toContain("colorama==0.4.6");
    // A stale lock: a warning naming both files, and the declared requirements instead.
    const stale = buildPlan(input({ project: { ...project, locked: { ...project.locked, freshness: { fresh: false, why: "poetry.lock does not match pyproject.toml" } } } }));
    expect(stale.lockFile?.honoured).toBe(false);
    expect(stale.files).toEqual([]);
    expect(stale.warnings.join("\n")).toContain("poetry.lock does not match pyproject.toml; dhtl installs the declared requirements, resolved fresh, instead of the lock's pins (run `poetry lock` to update poetry.lock)");
    expect(stale.commands[1]!.argv.slice(5)).toEqual(["pytest", "-e", "/p"]);
    // A selected requirement the lock lacks: also stale.
    const lacking = buildPlan(input({ project: { ...project, requirements: [req("requests>=2"), req("rich")] } }));
    expect(lacking.lockFile?.honoured).toBe(false);
    expect(lacking.warnings.join("\n")).toContain("poetry.lock has no entry for rich");
    // strategy: requirements ignores the lock on purpose, without a warning.
    const asked = buildPlan(input({ project, strategy: "requirements" }));
    expect(asked.lockFile?.honoured).toBe(false);
    expect(asked.warnings).toEqual([]);
    // …and "requirements" (the design's "not yet on uv") means pip, even with uv at hand.
    expect(asked.installer).toBe("pip");
    expect(buildPlan(input({ project, strategy: "uv" })).installer).toBe("uv");
  });

  test("uv.lock where pip installs (Python 3.6): uv export writes the pins with hashes, pip installs them --no-deps", () => {
    const base = input();
    const python = { ...base.python, version: "3.6.15", executable: "/py36/bin/python", venvHost: { executable: "/usr/bin/python3.11", version: "3.11.2" } };
    const plan = buildPlan(input({ python, virtualenv: { toolDir: "/h/t", appData: "/h/a" }, project: { ...base.project, isPackage: true, lockFile: { kind: "uv.lock", path: "/p/uv.lock" } } }));
    expect(plan.lockFile?.how).toBe("uv-export");
    const installs = plan.commands.filter((c) => c.step === "install-dependencies").map((c) => c.argv);
    expect(installs[0]!.slice(0, 3)).toEqual(["/h/tools/uv/0.13.9/uv", "export", "--frozen"]);
    expect(installs[0]).not.toContain("--no-hashes");
    expect(installs[1]).toEqual(["/p/.venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "-r", "/p/.dht/uv-lock-requirements.txt"]);
    expect(installs[2]!.slice(-3)).toEqual(["--no-deps", "-e", "/p"]);
  });

  test("required vs optional: docs/lint/typing-named groups and extras, and docs/lint tools inside the dev/test ones, may fail; the test route's needs and an explicit required selection never", () => {
    const base = input();
    const project = { ...base.project, optional: { test: [req("pytest"), req("flake8>=7", "pyproject.toml [project.optional-dependencies]")], docs: [req("sphinx")] }, groups: { dev: [req("ruff"), req("coverage")], typing: [req("mypy")] } };
    // Default selection (test extra, dev group) plus configured docs extra and typing group.
    const split = splitSelection(input({ project, extras: ["docs"], groups: ["typing"] }));
    expect(split.required).toEqual({ extras: ["test"], groups: ["dev"], omit: ["ruff", "flake8>=7"], omitFiles: [] });
    expect(split.optional.map((p) => [p.kind, p.name, p.in ?? ""])).toEqual([["group", "typing", ""], ["extra", "docs", ""], ["package", "ruff", "group dev"], ["package", "flake8", "extra test"]]);
    // The test route names flake8 (pytest --flake8): it must work.
    const route = { name: "tox", summary: "", install: { requirements: [{ text: "flake8", origin: "tox.ini:3" }], requirementFiles: [], constraintFiles: [], extras: [], groups: [], system: [], unknown: [] } };
    expect(splitSelection(input({ project, testRoute: route as unknown as PlanInput["testRoute"] })).required.omit).toEqual(["ruff"]);
    // The lead's explicit selection: exactly that is required, only the named optional parts may fail.
    const explicit = splitSelection(input({ project, selection: { required: { extras: ["test"], groups: ["dev"] }, optional: { extras: [], groups: ["typing"] } } }));
    expect(explicit.required).toEqual({ extras: ["test"], groups: ["dev"], omit: [], omitFiles: [] });
    expect(explicit.optional.map((p) => p.name)).toEqual(["typing"]);
    // The plan carries the fallback: the install without them, then each on its own.
    const plan = buildPlan(input({ project, extras: ["docs"] }));
    expect(plan.commands[1]!.argv).toContain("sphinx");
    expect(plan.optional!.required[0]!.argv.slice(5)).toEqual(["requests>=2", "PyYAML", "pytest", "coverage"]);
    expect(plan.optional!.each.map((e) => e.commands[0]!.argv.slice(5))).toEqual([["sphinx"], ["ruff"], ["flake8>=7"]]);
    expect(plan.optional!.dists.sort()).toEqual(["flake8", "ruff", "sphinx"]);
    // uv sync cannot drop one package of a group: there only whole groups are optional, added with --inexact.
    const locked = buildPlan(input({ project: { ...project, lockFile: { kind: "uv.lock", path: "/p/uv.lock" } }, groups: ["typing"] }));
    expect(locked.optional!.parts.map((p) => p.name)).toEqual(["typing"]);
    expect(locked.optional!.each[0]!.commands[0]!.argv.slice(1, 4)).toEqual(["sync", "--frozen", "--inexact"]);
    expect(locked.optional!.each[0]!.commands[0]!.argv.slice(-4)).toEqual(["--group", "dev", "--group", "typing"]);
  });

  test("without uv: python -m venv, pip install, pip check", () => {
    const plan = buildPlan(input({ uv: { available: false, how: "index unreachable" }, preferBinary: true }));
    expect(plan.mode).toBe("pip");
    expect(plan.commands[0]!.argv).toEqual(["/usr/bin/python3.11", "-m", "venv", "--prompt", "demo", "/p/.venv"]);
    expect(plan.commands[1]!.argv.slice(0, 6)).toEqual(["/p/.venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--prefer-binary"]);
    expect(plan.commands[2]!.argv).toEqual(["/p/.venv/bin/python", "-m", "pip", "check"]);
    expect(plan.notes.join("\n")).toContain("index unreachable");
  });

  test("prefer-binary swaps replace the requirement and are listed in the notes", () => {
    const plan = buildPlan(input({ preferBinary: true, swaps: [{ from: "psycopg2", to: "psycopg2-binary" }], swappedRequirements: { "PyYAML": "pyyaml-binary-fake" } }));
    expect(plan.commands[1]!.argv).toContain("pyyaml-binary-fake");
    expect(plan.notes).toContain("prefer-binary: psycopg2 → psycopg2-binary");
  });

  test("credentials never appear in the plan, its JSON or its rendering", () => {
    const plan = buildPlan(input());
    const text = JSON.stringify(plan) + renderPlan(plan);
    expect(text).not.toContain("s3cret");
    expect(plan.registries.indexUrl).toBe("https://***@pypi.corp.example/simple");
  });

  test("the rendering shows the resolution chain, the venv and each command", () => {
    const text = renderPlan(buildPlan(input({ venv: { linkPath: "/p/.venv", venvPath: "/h/venvs/abc", placement: "network-fs", why: "the project is on a network file system (sshfs)" } })));
    expect(text).toContain("taken   system: /usr/bin/python3.11");
    expect(text).toContain("Venv: /p/.venv → /h/venvs/abc");
    expect(text).toContain("[install-dependencies]");
    expect(text).toContain("sshfs");
  });

  test("Windows paths use Scripts\\python.exe", () => {
    const plan = buildPlan(input({ os: "windows", envRoot: "C:\\p", venv: { linkPath: "C:\\p\\.venv", venvPath: "C:\\p\\.venv", placement: "in-project", why: "" } }));
    expect(plan.venv.python).toBe("C:\\p\\.venv\\Scripts\\python.exe");
  });
});

describe("setup plan: binary swaps in a package's own dependencies", () => {
  test("the dependencies are installed swapped, then the project editable with --no-deps", () => {
    const base = input();
    const plan = buildPlan(
      input({
        project: { ...base.project, isPackage: true, requirements: [req("psycopg2>=2.9"), req("six")], optional: {}, groups: {} },
        preferBinary: true,
        swaps: [{ from: "psycopg2>=2.9", to: "psycopg2-binary" }],
        swappedRequirements: { "psycopg2>=2.9": "psycopg2-binary" },
      }),
    );
    const installs = plan.commands.filter((c) => c.step === "install-dependencies").map((c) => c.argv.slice(5));
    expect(installs).toEqual([["psycopg2-binary", "six"], ["--no-deps", "-e", "/p"]]);
  });
});

describe("setup plan: binary swaps in requirement files", () => {
  test("a requirements file holding a swapped requirement is not passed with -r: its requirements go swapped, one by one", () => {
    const base = input();
    const psycopg = req("psycopg2==2.9.9", "requirements.txt:1");
    const six = req("six", "requirements.txt:2");
    const plan = buildPlan(
      input({
        project: { ...base.project, isPackage: false, requirements: [psycopg, six], optional: {}, groups: {}, requirementFiles: ["/p/requirements.txt", "/p/dev.txt"], requirementSets: [{ path: "/p/requirements.txt", requirements: [psycopg, six] } as never, { path: "/p/dev.txt", requirements: [req("pytest", "dev.txt:1")] } as never] },
        preferBinary: true,
        swaps: [{ from: "psycopg2==2.9.9", to: "psycopg2-binary==2.9.9" }],
        swappedRequirements: { "psycopg2==2.9.9": "psycopg2-binary==2.9.9" },
      }),
    );
    const argv = plan.commands.filter((c) => c.step === "install-dependencies").flatMap((c) => c.argv);
    expect(argv).toContain("psycopg2-binary==2.9.9");
    expect(argv).not.toContain("psycopg2==2.9.9");
    expect(argv.join(" ")).not.toContain("-r /p/requirements.txt");
    // A file without a swapped requirement keeps -r.
    expect(argv.join(" ")).toContain("-r /p/dev.txt");
  });
});

describe("setup plan: local and editable requirements", () => {
  test("a Pipfile editable path and a PDM `-e file:///${PROJECT_ROOT}/…` become `-e <absolute path>`", () => {
    const base = input();
    const pip: PlanRequirement = { name: "mylib", raw: 'mylib = {"path":"./libs/mylib","editable":true}', path: "./libs/mylib", editable: true, origin: "Pipfile:20" };
    const pdm: PlanRequirement = { name: "helper", raw: "-e file:///${PROJECT_ROOT}/packages/helper#egg=helper", path: "./packages/helper", editable: true, origin: "pyproject.toml:8" };
    const plain: PlanRequirement = { name: "vendored", raw: "./vendor/pkg", path: "./vendor/pkg", origin: "pyproject.toml" };
    const plan = buildPlan(input({ project: { ...base.project, requirements: [pip, plain], optional: {}, groups: { dev: [pdm] } } }));
    expect(plan.commands[1]!.argv.slice(5)).toEqual(["-e", "/p/libs/mylib", "/p/vendor/pkg", "-e", "/p/packages/helper"]);
    expect(plan.importChecks).toEqual([]);
  });
});

import { resolutionFailurePackage } from "../../src/registries/install-failure.ts";

describe("install failure: which package", () => {
  test("uv and pip resolution failures name the package", () => {
    expect(resolutionFailurePackage("  ╰─▶ Because no-such-pkg was not found in the package registry and you require no-such-pkg")).toBe("no-such-pkg");
    expect(resolutionFailurePackage("Because there is no version of six==9.9 and you require six==9.9")).toBe("six");
    expect(resolutionFailurePackage("ERROR: No matching distribution found for reqests")).toBe("reqests");
    expect(resolutionFailurePackage("something else")).toBeUndefined();
  });
});

describe("requirement files the test route does not use are optional (sortedcontainers' root requirements.txt of benchmark tools)", () => {
  const fileReq = (raw: string, line: number) => req(raw, `requirements.txt:${line}`);
  const tooling = [fileReq("blist", 2), fileReq("pytest", 9), fileReq("pytest-cov", 10), fileReq("sphinx", 13)];
  const project = {
    root: "/p",
    name: "sortedcontainers",
    isPackage: true,
    requirements: tooling,
    optional: {},
    groups: {},
    requirementFiles: ["/p/requirements.txt"],
    requirementSets: [{ path: "/p/requirements.txt", files: ["/p/requirements.txt"], requirements: tooling }],
    detectedRequirementFiles: ["/p/requirements.txt"],
    metadata: "pyproject.toml [project]",
  };
  const toxRoute = (over: Partial<NonNullable<PlanInput["testRoute"]>["install"]> = {}) => ({
    name: "ci:tests",
    summary: ".github/workflows/integration.yml job tests runs the tests",
    install: { requirements: [{ text: "pytest", origin: "tox.ini:9 [testenv] deps" }, { text: "pytest-cov", origin: "tox.ini:10 [testenv] deps" }], requirementFiles: [], constraintFiles: [], extras: [], groups: [], system: [], unknown: [], ...over },
  });

  test("the file is an optional part: installed with the rest, and when that fails the project and the route's needs install without it, then the file on its own", () => {
    const plan = buildPlan(input({ project, testRoute: toxRoute() }));
    // The first try installs everything, as before.
    expect(plan.commands[1]!.argv.slice(5)).toEqual(["-r", "/p/requirements.txt", "-e", "/p"]);
    expect(plan.optional!.parts).toEqual([
      { kind: "file", name: "requirements.txt", path: "/p/requirements.txt", requirements: ["blist", "pytest", "pytest-cov", "sphinx"], why: "the test route ci:tests does not use requirements.txt, and the project declares itself in pyproject.toml [project]" },
    ]);
    // Without it: the route's own pytest and pytest-cov (the file no longer declares them) and the project.
    expect(plan.optional!.required[0]!.argv.slice(5)).toEqual(["pytest", "pytest-cov", "-e", "/p"]);
    expect(plan.optional!.each[0]!.commands[0]!.argv.slice(5)).toEqual(["-r", "/p/requirements.txt"]);
    // What only the file brings may fail to import; the route's runners may not.
    expect(plan.optional!.dists.sort()).toEqual(["blist", "sphinx"]);
    expect(renderPlan(plan)).toContain("may be left out if they cannot install or import (the test route does not use them): -r requirements.txt (the test route ci:tests does not use requirements.txt, and the project declares itself in pyproject.toml [project])");
  });

  test("required: a file the route uses (CI's pip install -r, tox deps -r, or a file one of those includes), a requirements-only app, no route, uv.lock installs", () => {
    const used = splitSelection(input({ project, testRoute: toxRoute({ requirementFiles: [{ path: "requirements.txt", origin: ".github/workflows/ci.yml:20" }] }) }));
    expect(used.optional).toEqual([]);
    // tox deps = -r requirements/test.txt, which has -r ../requirements.txt.
    const testSet = { path: "/p/requirements/test.txt", files: ["/p/requirements/test.txt", "/p/requirements.txt"], requirements: [req("pytest", "requirements/test.txt:2")] };
    const included = splitSelection(input({ project: { ...project, requirementSets: [...project.requirementSets, testSet] }, testRoute: toxRoute({ requirementFiles: [{ path: "requirements/test.txt", origin: "tox.ini:7 [testenv] deps" }] }) }));
    expect(included.optional).toEqual([]);
    // An application with only requirements.txt: it is what the project depends on.
    const app = { ...project, isPackage: false, metadata: undefined };
    expect(splitSelection(input({ project: app, testRoute: toxRoute() })).optional).toEqual([]);
    // No test route (--no-dev, or none found): nothing says what the tests need.
    expect(splitSelection(input({ project })).optional).toEqual([]);
    // A configured file (dependencies.files) or one the metadata names is not "detected".
    expect(splitSelection(input({ project: { ...project, detectedRequirementFiles: [] }, testRoute: toxRoute() })).optional).toEqual([]);
    // uv sync does not install requirement files: nothing to leave out there.
    expect(buildPlan(input({ project: { ...project, lockFile: { kind: "uv.lock", path: "/p/uv.lock" } }, testRoute: toxRoute() })).optional).toBeUndefined();
  });
});
