/**
 * Repairs with no network at all: an environment set up from a package index on loopback
 * (with a package installed by hand from it), the index then stopped, damage made, and
 * `dhtl fix-env --offline` / `fix-env --deep --offline` run inside `unshare -rn` (a network
 * namespace with no network): everything comes from uv's cache and DHT_HOME.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseEnv, dhtl, dhtlBinary } from "../helpers/cli.ts";
import { SMALL_PROJECT, seededHome, setupEnv, startWheelIndex, wheelsDir, writeProject } from "../helpers/setup-project.ts";
import { shapeWheelsDir } from "../helpers/repair-env.ts";

const canUnshare = Bun.spawnSync(["unshare", "-rn", "true"]).exitCode === 0;
let project: string;
let env: Record<string, string>;

beforeAll(async () => {
  if (!canUnshare) {
    console.warn("unshare -rn is not permitted here: the no-network repair test is skipped");
    return;
  }
  const index = await startWheelIndex([wheelsDir, shapeWheelsDir]);
  const home = seededHome();
  env = { ...setupEnv(home, ["3.11"], { PIP_INDEX_URL: index.indexUrl, UV_CACHE_DIR: mkdtempSync(join(tmpdir(), "dht-uv-cache-")) }) };
  delete (env as Record<string, string | undefined>).PIP_NO_INDEX;
  delete (env as Record<string, string | undefined>).PIP_FIND_LINKS;
  project = writeProject(SMALL_PROJECT);
  const r = await dhtl(["setup", "--cwd", project], { env });
  if (r.code !== 0) throw new Error(r.stderr);
  // Asynchronously: the index is served by this very process.
  const hand = Bun.spawn([join(home, "tools", "uv", "0.13.9", "uv"), "pip", "install", "-q", "--index-url", index.indexUrl, "--python", join(project, ".venv", "bin", "python"), "click==8.1.8"], { env: { PATH: env.PATH!, UV_CACHE_DIR: env.UV_CACHE_DIR! }, stderr: "pipe" });
  if ((await hand.exited) !== 0) throw new Error(await new Response(hand.stderr).text());
  index.stop();
}, 120_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

/** dhtl inside a network namespace with no network. */
function offline(args: string[]) {
  const p = Bun.spawnSync(["unshare", "-rn", dhtlBinary, ...args, "--cwd", project], { env: { ...baseEnv(), ...env } });
  return { code: p.exitCode, stderr: p.stderr.toString() };
}

const site = () => join(project, ".venv", "lib", "python3.11", "site-packages");
const imports = () => Bun.spawnSync([join(project, ".venv", "bin", "python"), "-c", "import six, tabulate, click"]).exitCode;

describe("repairs with no network", () => {
  test("fix-env --offline reinstalls a deleted package from uv's cache; fix-env --deep --offline rebuilds and keeps the hand-installed click", () => {
    if (!canUnshare) return;
    rmSync(join(site(), "tabulate"), { recursive: true });
    rmSync(join(site(), "click"), { recursive: true });
    const inPlace = offline(["fix-env", "--offline"]);
    expect(inPlace.stderr).toContain("reinstalled");
    expect(inPlace.code).toBe(0);
    expect(imports()).toBe(0);

    rmSync(join(site(), "six.py"));
    const deep = offline(["fix-env", "--deep", "--offline"]);
    expect(deep.stderr).toContain("kept click 8.1.8");
    expect(deep.code).toBe(0);
    expect(imports()).toBe(0);
  }, 120_000);
});
