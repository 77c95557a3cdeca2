/**
 * One real environment for the repair tests, made once by a real `dhtl setup` (pyenv's
 * CPython 3.11, the pinned uv, local wheels, a uv.lock), with a package installed by hand
 * (click, which no configuration names). Every corruption is made on a fresh copy restored
 * at the same absolute path (`restore()`: venvs and checkpoints name their own path), so one
 * setup serves the whole matrix. The copy is made with `cp -a`, which also breaks uv's hard
 * links into its cache: corrupting a file in place never reaches the shared cache.
 */
import { afterAll, beforeAll } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl } from "./cli.ts";
import { assetsDir, seededHome, setupEnv, wheelsDir, writeProject } from "./setup-project.ts";

/** Wheels of other versions than setup-wheels (idna 3.7) and of packages no project here names (click). */
export const shapeWheelsDir = join(assetsDir, "shape-wheels");

export const LOCKED_PROJECT = {
  ".python-version": "3.11\n",
  "pyproject.toml": `[project]
name = "small"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["six>=1.16", "tabulate>=0.9", "idna>=3.7"]

[dependency-groups]
test = ["pytest"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
`,
  ".dhtconfig": "version: 1\ntest:\n  runner: pytest\n",
  "src/small/__init__.py": "import six, tabulate\nVALUE = 42\n",
};

export interface RepairEnv {
  project: string;
  home: string;
  env: Record<string, string>;
  uv: string;
  site: string;
  /** Put the pristine copy (project, venv, .dht, DHT_HOME) back at the same paths. */
  restore(): void;
}

function sh(argv: string[], env: Record<string, string>, cwd?: string): void {
  const r = Bun.spawnSync(argv, { env, cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
}

export async function makeRepairEnv(extraEnv: Record<string, string> = {}): Promise<RepairEnv> {
  const root = mkdtempSync(join(tmpdir(), "dht-repair-"));
  const project = writeProject(LOCKED_PROJECT, join(root, "proj"));
  const home = join(root, "home");
  cpSync(seededHome(), home, { recursive: true });
  const env = setupEnv(home, ["3.11"], extraEnv);
  const uv = join(home, "tools", "uv", "0.13.9", "uv");
  sh([uv, "lock", "-q", "--no-index", "--find-links", wheelsDir], { PATH: env.PATH!, UV_CACHE_DIR: env.UV_CACHE_DIR!, UV_NO_CONFIG: "1" }, project);
  const r = await dhtl(["setup", "--cwd", project], { env });
  if (r.code !== 0) throw new Error(`setup of the repair environment failed:\n${r.stderr}`);
  const py = join(project, ".venv", "bin", "python");
  // By hand, as a user would: not in any configuration.
  sh([uv, "pip", "install", "-q", "--no-index", "--find-links", shapeWheelsDir, "--python", py, "click==8.1.8"], { PATH: env.PATH!, UV_CACHE_DIR: env.UV_CACHE_DIR! });
  const pristine = join(root, "pristine");
  mkdirSync(pristine, { recursive: true });
  sh(["cp", "-a", project, join(pristine, "proj")], env);
  sh(["cp", "-a", home, join(pristine, "home")], env);
  return {
    project,
    home,
    env,
    uv,
    site: join(project, ".venv", "lib", "python3.11", "site-packages"),
    restore() {
      for (const [from, to] of [[join(pristine, "proj"), project], [join(pristine, "home"), home]] as const) {
        rmSync(to, { recursive: true, force: true });
        sh(["cp", "-a", from, to], env);
      }
    },
  };
}

/**
 * One real repair environment for a describe block: made before its tests, removed after.
 * The returned object forwards to it once made.
 */
export function useRepairEnv(): RepairEnv {
  let env: RepairEnv | undefined;
  beforeAll(async () => {
    env = await makeRepairEnv();
  }, 120_000);
  afterAll(() => {
    if (env) rmSync(join(env.project, ".."), { recursive: true, force: true });
  });
  return new Proxy({} as RepairEnv, { get: (_t, key) => (env as unknown as Record<PropertyKey, unknown>)[key] });
}
