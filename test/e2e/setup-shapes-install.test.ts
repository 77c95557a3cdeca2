/**
 * `dhtl setup --python 3.11` installing, for real, one project of every packaging shape
 * (test/fixtures/installable: legacy flit, hatch envs, PDM dev-dependencies, PEP 735 groups +
 * uv.lock, Pipfile, Poetry with and without package mode, requirement files with -r/-c,
 * setup.py only, setup.cfg, a virtual uv project + uv.lock) with the compiled binary, the
 * real pinned uv and pyenv's CPython 3.11. Packages come from real wheels
 * (.cache/test-assets/shape-wheels, fetched from PyPI by scripts/fetch-test-assets.ts) served
 * by a PEP 503 index on 127.0.0.1; the build backends of the editable installs come from
 * there too (build isolation, no network). Each test then asks the venv's python what it got.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl, repoRoot } from "../helpers/cli.ts";
import { useShapeIndex, assetsDir, copyTree, pyenvBin, setupEnv } from "../helpers/setup-project.ts";

const shapeWheels = join(assetsDir, "shape-wheels");
const fixtures = join(repoRoot, "test", "fixtures", "installable");
const ready = existsSync(shapeWheels) && Boolean(pyenvBin("3.11"));
if (!ready) console.warn(`setup-shapes-install: skipped (needs ${shapeWheels}: bun scripts/fetch-test-assets.ts, and pyenv CPython 3.11)`);

interface Venv {
  /** Installed distribution name (normalized) → version. */
  dists: Record<string, string>;
  /** Module name → the file it was imported from, or null when the import failed. */
  modules: Record<string, string | null>;
}

/** What the venv's own python reports: its distributions, and where the given modules import from. */
function inspectVenv(project: string, modules: string[]): Venv {
  const code = [
    "import importlib, importlib.metadata as md, json, re, sys",
    "dists = {re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version for d in md.distributions()}",
    "mods = {}",
    "for m in sys.argv[1:]:",
    "    try: mods[m] = importlib.import_module(m).__file__",
    "    except Exception: mods[m] = None",
    "print(json.dumps({'dists': dists, 'modules': mods}))",
  ].join("\n");
  const r = Bun.spawnSync([join(project, ".venv", "bin", "python"), "-c", code, ...modules], { cwd: "/" });
  if (r.exitCode !== 0) throw new Error(`venv python failed: ${r.stderr}`);
  const venv = JSON.parse(r.stdout.toString()) as Venv;
  // What `uv venv --seed` puts into every venv (when the index serves them), not the project's.
  for (const seeded of ["pip", "setuptools", "wheel"]) delete venv.dists[seeded];
  return venv;
}

const shape = useShapeIndex(ready, [shapeWheels]);
const indexEnv = () => shape.env();

/** Copy a fixture, run `dhtl setup --python 3.11 --json` on it, expect success; returns the copy and the plan. */
async function setUp(shape: string, env = indexEnv(), prepare?: (root: string) => void) {
  const root = copyTree(join(fixtures, shape));
  prepare?.(root);
  const r = await dhtl(["setup", "--json", "--python", "3.11", "--cwd", root], { env, timeoutMs: 120_000 });
  if (r.code !== 0) console.error(r.stderr);
  expect(r.code).toBe(0);
  const plan = JSON.parse(r.stdout).plan as { mode: string; lockFile?: { how?: string }; commands: Array<{ step: string; argv: string[] }> };
  return { root, plan, installs: plan.commands.filter((c) => c.step === "install-dependencies").map((c) => c.argv.slice(1).join(" ")) };
}

/** The project's own module is an editable install: it imports from the project tree, not site-packages. */
function expectEditable(v: Venv, module: string, under: string) {
  expect(v.modules[module]).toStartWith(`${under}/`);
}

/** What `uv venv --seed` puts in every venv (pip, and setuptools/wheel below 3.12), besides the project's packages. */
const SEEDED = new Set(["pip", "setuptools", "wheel"]);
const projectDists = (v: Venv) => Object.entries(v.dists).filter(([n]) => !SEEDED.has(n));

function expectInstalled(v: Venv, names: string[]) {
  for (const n of names) expect(Object.keys(v.dists)).toContain(n);
}

describe.skipIf(!ready)("dhtl setup installs every project shape for real from a loopback index", () => {
  test("legacy flit metadata: requires and the test extra are installed, the project is editable, the docs extra is not", async () => {
    const { root } = await setUp("flit-legacy");
    // The build backend for the editable install came from the loopback index (build isolation).
    expect(shape.index.requests).toContain("/simple/flit-core/");
    const v = inspectVenv(root, ["flitpkg", "six", "tabulate", "pytest", "iniconfig"]);
    expectEditable(v, "flitpkg", root);
    expectInstalled(v, ["six", "tabulate", "pytest", "iniconfig"]);
  });

  test("hatch: project deps, default-env and test-env dev tools installed; detached lint env not; project editable", async () => {
    const { root } = await setUp("hatch");
    const v = inspectVenv(root, ["hatch_proj", "idna", "pytest", "iniconfig"]);
    expectEditable(v, "hatch_proj", join(root, "src"));
    expectInstalled(v, ["hatch-proj", "idna", "pytest", "iniconfig"]);
  });

  test("pdm.lock (real, fresh): exactly its pins with their hashes — idna 3.7 although 3.10 is served, the win32-only colorama out — the ${PROJECT_ROOT} editable path package and the project editable", async () => {
    const { root, plan } = await setUp("pdm");
    expect(plan.mode).toBe("uv-pip");
    expect(plan.lockFile?.how).toBe("pins");
    const pins = readFileSync(join(root, ".dht", "pdm-lock-pins.txt"), "utf8");
    expect(pins).toContain("idna==3.7 \\\n    --hash=sha256:82fee1fc78add43492d3a1898bfa6d8a904cc97d8427f683ed8e798d07761aa0");
    expect(plan.commands.some((c) => c.argv.slice(1, 3).join(" ") === "pip sync" && c.argv.includes("--require-hashes"))).toBe(true);
    const v = inspectVenv(root, ["pdm_proj", "helper", "attrs", "pytest", "six"]);
    expectEditable(v, "pdm_proj", join(root, "src"));
    expectEditable(v, "helper", join(root, "packages", "helper", "src"));
    expect(v.dists.idna).toBe("3.7");
    expect(v.dists.colorama).toBeUndefined();
    expectInstalled(v, ["attrs", "pytest", "six", "iniconfig", "pluggy"]);
  });

  test("poetry.lock (real, fresh): the locked set exactly — idna 3.7 over the served 3.10, dev group in, optional typing group and win32-only colorama out, the dates extra only when asked", async () => {
    const { root, plan } = await setUp("poetry-locked");
    expect(plan.lockFile?.how).toBe("pins");
    const v = inspectVenv(root, ["locked_app", "idna", "rich", "pytest"]);
    expectEditable(v, "locked_app", root);
    expect(v.dists.idna).toBe("3.7");
    expect(Object.keys(v.dists).sort()).toEqual(["idna", "iniconfig", "locked-app", "markdown-it-py", "mdurl", "packaging", "pluggy", "pygments", "pytest", "rich"]);
    // The extra, named in .dhtconfig: python-dateutil and six come from the lock too.
    const withExtra = await setUp("poetry-locked", indexEnv(), (dir) => writeFileSync(join(dir, ".dhtconfig"), "version: 1\ndependencies: {extras: [dates]}\n"));
    const v2 = inspectVenv(withExtra.root, ["dateutil", "six"]);
    expect(v2.dists["python-dateutil"]).toBe("2.9.0.post0");
    expect(v2.dists.six).toBe("1.17.0");
  }, 120_000);

  test("a poetry.lock whose hash was changed is refused by the installer (the lock's sha256 is enforced), exit 1 naming the package and the pins file", async () => {
    const root = copyTree(join(fixtures, "poetry-locked"));
    const lock = join(root, "poetry.lock");
    writeFileSync(lock, readFileSync(lock, "utf8").replace(/(idna-3\.7-py3-none-any\.whl", hash = "sha256:)[0-9a-f]{64}/, `$1${"0".repeat(64)}`));
    const r = await dhtl(["setup", "--python", "3.11", "--cwd", root], { env: indexEnv(), timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Hash mismatch for `idna==3\.7`/);
    expect(r.stderr).toContain(".dht/poetry-lock-pins.txt");
  }, 120_000);

  test("PEP 735 groups + uv.lock: uv sync --frozen installs exactly the locked set (include-group followed, unselected extra absent)", async () => {
    // The lock was made against a mirror (https://mirror.example); here the loopback index is that mirror.
    const { root, plan } = await setUp("pep621-groups", indexEnv(), (dir) => {
      const lock = join(dir, "uv.lock");
      writeFileSync(lock, readFileSync(lock, "utf8").replaceAll("https://mirror.example", shape.index.indexUrl.replace(/\/simple$/, "")));
    });
    expect(plan.mode).toBe("uv-sync");
    expect(plan.commands.some((c) => c.argv[1] === "sync" && c.argv[2] === "--frozen")).toBe(true);
    const v = inspectVenv(root, ["acme_service", "tabulate", "dateutil", "pytest", "typing_extensions", "wcwidth"]);
    expectEditable(v, "acme_service", join(root, "src"));
    const locked = [...readFileSync(join(root, "uv.lock"), "utf8").matchAll(/^name = "([^"]+)"\nversion = "([^"]+)"/gm)]
      .filter(([, n]) => n !== "colorama")
      .map(([, n, ver]) => `${n}==${ver}`);
    expect(projectDists(v).map(([n, ver]) => `${n}==${ver}`).sort()).toEqual(locked.sort());
    expect(v.dists.colorama).toBeUndefined();
  });

  test("uv.lock with no index (local wheels only): the locked idna 3.7 is installed although 3.10 is served, dev group in, project not", async () => {
    const env = setupEnv(shape.home, ["3.11"], { PIP_FIND_LINKS: shapeWheels });
    const { root, installs } = await setUp("uv-virtual", env);
    expect(installs.some((a) => a.startsWith("export --frozen"))).toBe(true);
    const v = inspectVenv(root, ["idna", "pytest"]);
    expect(v.dists.idna).toBe("3.7");
    expectInstalled(v, ["pytest", "iniconfig", "pluggy", "packaging"]);
    expect(v.dists["scripts-only"]).toBeUndefined();
  });

  test("uv.lock resolved against another index than the configured mirror: the locked idna 3.7 comes through the mirror, not the lock's URLs", async () => {
    // uv-virtual's lock records https://mirror.example (unreachable here); uv sync --frozen would download from there.
    const { root, installs } = await setUp("uv-virtual");
    expect(installs.some((a) => a.startsWith("export --frozen"))).toBe(true);
    expect(installs.some((a) => a.startsWith("sync "))).toBe(false);
    expect(shape.index.requests).toContain("/files/idna-3.7-py3-none-any.whl");
    const v = inspectVenv(root, ["idna", "pytest"]);
    expect(v.dists.idna).toBe("3.7");
    expectInstalled(v, ["pytest"]);
    expect(v.dists["scripts-only"]).toBeUndefined();
  });

  test("uv workspace: in a member, setup installs it from the workspace's uv.lock (idna 3.7 over the served 3.10), the member it needs editable, its test group in and docs out; its tests pass", async () => {
    const ws = copyTree(join(fixtures, "uv-workspace"));
    const api = join(ws, "packages", "api");
    // The lock was made against https://mirror.example: exported, run at the workspace root (the
    // export names packages/lib relative to it).
    const r = await dhtl(["setup", "--json", "--python", "3.11", "--cwd", api], { env: indexEnv(), timeoutMs: 120_000 });
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { envDir: string; venv: string; plan: { lockFile: { path: string }; notes: string[]; commands: Array<{ step: string; argv: string[] }> } };
    expect(out.envDir).toBe("packages/api");
    expect(out.venv).toBe(join(api, ".venv"));
    expect(out.plan.lockFile.path).toBe(join(ws, "uv.lock"));
    expect(out.plan.notes.join("\n")).toContain(`packages/api is a member (ws-api) of the uv workspace at ${ws}`);
    expect(out.plan.commands.find((c) => c.argv[1] === "export")!.argv).toEqual(expect.arrayContaining(["--package", "ws-api", "--group", "test"]));
    const v = inspectVenv(api, ["ws_api", "ws_lib", "idna", "pytest"]);
    expectEditable(v, "ws_api", join(api, "src"));
    expectEditable(v, "ws_lib", join(ws, "packages", "lib", "src"));
    expect(v.dists.idna).toBe("3.7");
    expect(v.dists.pygments).toBeUndefined();
    expect(v.dists["ws-app"]).toBeUndefined();
    const tests = Bun.spawnSync([join(api, ".venv", "bin", "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], { cwd: api });
    expect(tests.stdout.toString()).toContain("2 passed");
  }, 120_000);

  test("uv workspace: --all-environments sets up the root package and every member (the excluded one is none), with uv sync --frozen --package when the lock's index is the configured one", async () => {
    const ws = copyTree(join(fixtures, "uv-workspace"));
    writeFileSync(join(ws, "uv.lock"), readFileSync(join(ws, "uv.lock"), "utf8").replaceAll("https://mirror.example", shape.index.indexUrl.replace(/\/simple$/, "")));
    const shown = await dhtl(["config", "show", "--json", "--cwd", join(ws, "packages", "lib")], { env: indexEnv() });
    const doc = JSON.parse(shown.stdout) as { projectRoot: string; environment: { dir: string }; config: { environments: Record<string, unknown> }; origins: Record<string, string> };
    expect(doc.projectRoot).toBe(ws);
    expect(doc.environment.dir).toBe("packages/lib");
    expect(Object.keys(doc.config.environments)).toEqual(["packages/api", "packages/lib"]);
    expect(doc.origins.environments).toBe("pyproject.toml [tool.uv.workspace] members");
    const named = await dhtl(["setup", "--dry-run", "--json", "--python", "3.11", "--env", "packages/api", "--cwd", ws], { env: indexEnv() });
    expect((JSON.parse(named.stdout) as { envDir: string }).envDir).toBe("packages/api");
    const r = await dhtl(["setup", "--all-environments", "--json", "--python", "3.11", "--cwd", ws], { env: indexEnv(), timeoutMs: 180_000 });
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    const all = JSON.parse(r.stdout) as { ok: boolean; environments: Array<{ envDir: string; ok: boolean; plan: { commands: Array<{ argv: string[] }> } }> };
    expect(all.environments.map((e) => [e.envDir, e.ok])).toEqual([[".", true], ["packages/api", true], ["packages/lib", true]]);
    const lib = all.environments[2]!.plan.commands.find((c) => c.argv[1] === "sync")!.argv;
    expect(lib.slice(1, 7)).toEqual(["sync", "--frozen", "--project", ws, "--package", "ws-lib"]);
    expect(Object.keys(inspectVenv(join(ws, "packages", "lib"), []).dists).sort()).toEqual(["six", "ws-lib"]);
    expect(inspectVenv(ws, []).dists.pytest).toBe("8.3.5");
  }, 120_000);

  test("Pipfile: packages and dev-packages installed, the editable path dev package imports from the tree, the win32-only one skipped", async () => {
    const { root } = await setUp("pipenv");
    const v = inspectVenv(root, ["mylib", "six", "rich", "pytest", "idna"]);
    expectEditable(v, "mylib", join(root, "libs", "mylib", "src"));
    expect(v.dists.six).toBe("1.17.0");
    expectInstalled(v, ["rich", "pytest", "idna"]);
    expect(v.dists.pywin32).toBeUndefined();
  });

  test("poetry with a stale poetry.lock: a warning names both files and says the declared requirements are resolved instead; ~/^/* constraints installed, dev group in, optional docs group and python<3.11-only dependency out, project editable", async () => {
    const root0 = copyTree(join(fixtures, "poetry"));
    const r = await dhtl(["setup", "--python", "3.11", "--cwd", root0], { env: indexEnv(), timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/poetry\.lock does not match pyproject\.toml[^\n]*dhtl installs the declared requirements, resolved fresh[^\n]*poetry lock/);
    const { root } = await setUp("poetry");
    const v = inspectVenv(root, ["poetry_app", "click", "rich", "pytest"]);
    expectEditable(v, "poetry_app", root);
    expectInstalled(v, ["poetry-app", "click", "rich", "pytest"]);
    expect(v.dists.tomli).toBeUndefined();
  }, 120_000);

  test("poetry package-mode = false: dependencies and dev group installed, the project itself not", async () => {
    const { root, installs } = await setUp("poetry-no-package");
    expect(installs.join("\n")).not.toContain(`-e ${root}`);
    const v = inspectVenv(root, ["idna", "pytest"]);
    expectInstalled(v, ["idna", "pytest"]);
    expect(projectDists(v).map(([n]) => n).sort()).toEqual(["idna", "iniconfig", "packaging", "pluggy", "pytest"]);
  });

  test("requirement files: requirements-dev.txt and its -r chain installed, the -c constraint holds idna at 3.7 although 3.10 is served", async () => {
    const { root } = await setUp("requirements-includes");
    const v = inspectVenv(root, ["tabulate", "rich", "colorama", "pytest", "idna"]);
    expectInstalled(v, ["tabulate", "rich", "colorama", "pytest"]);
    expect(v.dists.idna).toBe("3.7");
  });

  test("setup.py only: the project is built by setuptools' legacy backend (offline) and installed editable with its deps", async () => {
    const { root } = await setUp("setup-py-only");
    const v = inspectVenv(root, ["legacy", "six"]);
    expectEditable(v, "legacy", root);
    expectInstalled(v, ["legacy", "six"]);
  });

  test("setup.cfg: install_requires and the test extra installed, python<3.11-only and the yaml extra not, project editable", async () => {
    const { root } = await setUp("setuptools-cfg");
    const v = inspectVenv(root, ["cfgpkg", "idna", "click", "pytest", "iniconfig"]);
    expectEditable(v, "cfgpkg", root);
    expectInstalled(v, ["cfgpkg", "idna", "click", "pytest", "iniconfig"]);
    expect(v.dists.tomli).toBeUndefined();
  });
});
