/**
 * Repairs with no network at all: an environment set up from a package index on loopback
 * (with a package installed by hand from it), damage made, and the repairs run inside
 * `unshare -rn` (a network namespace with no network; the index, still served by this
 * process, cannot be reached from there):
 *  - without --offline, `fix-env`, `fix-env --deep` and `regenerate` notice that the index
 *    cannot be reached, say so in one line, and repair from uv's cache and DHT_HOME;
 *  - what uv's cache lacks is exit 3, naming it, and the old venv stays as it was;
 *  - with --offline as well, and after every one of them the next `dhtl setup` with the
 *    network back has nothing to redo: the hand-installed click is still there.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseEnv, dhtl, dhtlBinary } from "../helpers/cli.ts";
import { SMALL_PROJECT, seededHome, setupEnv, startWheelIndex, wheelsDir, writeProject } from "../helpers/setup-project.ts";
import { shapeWheelsDir } from "../helpers/repair-env.ts";

const canUnshare = Bun.spawnSync(["unshare", "-rn", "true"]).exitCode === 0;
let project: string;
let pristine: string;
let env: Record<string, string>;
let index: Awaited<ReturnType<typeof startWheelIndex>>;

beforeAll(async () => {
  if (!canUnshare) {
    console.warn("unshare -rn is not permitted here: the no-network repair tests are skipped");
    return;
  }
  index = await startWheelIndex([wheelsDir, shapeWheelsDir]);
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
  pristine = mkdtempSync(join(tmpdir(), "dht-offline-pristine-"));
  Bun.spawnSync(["cp", "-a", `${project}/.`, pristine]);
}, 120_000);

afterAll(() => {
  index?.stop();
  for (const dir of [project, pristine]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment as it was after setup and the hand install (same path: venvs name it). */
function restore(): void {
  rmSync(project, { recursive: true, force: true });
  Bun.spawnSync(["cp", "-a", pristine, project]);
}

/** dhtl inside a network namespace with no network. */
function offline(args: string[], extra: Record<string, string> = {}) {
  const p = Bun.spawnSync(["unshare", "-rn", dhtlBinary, ...args, "--cwd", project], { env: { ...baseEnv(), ...env, ...extra } });
  return { code: p.exitCode, stderr: p.stderr.toString() };
}

const site = () => join(project, ".venv", "lib", "python3.11", "site-packages");
const imports = (modules = "six, tabulate, click") => Bun.spawnSync([join(project, ".venv", "bin", "python"), "-c", `import ${modules}`]).exitCode;
const noticeLines = (stderr: string) => stderr.split("\n").filter((l) => /no network: .*cannot be reached; repairing offline/.test(l));

/** `dhtl setup` with the network back (the index answers): nothing to redo, click still there. */
async function connectedSetupHasNothingToRedo(modules = "six, tabulate, click"): Promise<void> {
  const again = await dhtl(["setup", "--cwd", project], { env });
  expect(again.code).toBe(0);
  expect(again.stderr).toContain("up to date");
  expect(imports(modules)).toBe(0);
}

describe("repairs with no network", () => {
  test("without --offline: fix-env and fix-env --deep notice the index cannot be reached (one line) and repair from uv's cache, keeping click; the next connected setup has nothing to redo", async () => {
    if (!canUnshare) return;
    restore();
    rmSync(join(site(), "tabulate"), { recursive: true });
    rmSync(join(site(), "click"), { recursive: true });
    const inPlace = offline(["fix-env"]);
    expect(inPlace.stderr).toContain("reinstalled");
    expect(noticeLines(inPlace.stderr)).toHaveLength(1);
    expect(noticeLines(inPlace.stderr)[0]).toContain(index.indexUrl.replace(/\/+$/, ""));
    expect(inPlace.code).toBe(0);
    expect(imports()).toBe(0);

    rmSync(join(site(), "six.py"));
    const deep = offline(["fix-env", "--deep"]);
    expect(noticeLines(deep.stderr)).toHaveLength(1);
    expect(deep.stderr).toContain("kept click 8.1.8");
    expect(deep.code).toBe(0);
    expect(imports()).toBe(0);
    await connectedSetupHasNothingToRedo();
  }, 120_000);

  test("without --offline: regenerate --force rebuilds from uv's cache; the next connected setup has nothing to redo", async () => {
    if (!canUnshare) return;
    restore();
    const r = offline(["regenerate", "--force"]);
    expect(noticeLines(r.stderr)).toHaveLength(1);
    expect(r.code).toBe(0);
    expect(imports("six, tabulate")).toBe(0);
    await connectedSetupHasNothingToRedo("six, tabulate");
  }, 120_000);

  test("what uv's cache lacks is exit 3, naming it; the old venv stays as it was", () => {
    if (!canUnshare) return;
    restore();
    const r = offline(["fix-env", "--deep"], { UV_CACHE_DIR: mkdtempSync(join(tmpdir(), "dht-uv-empty-")) });
    expect(r.stderr).toMatch(/offline, and not in uv's cache: .*(six|tabulate)/);
    expect(r.code).toBe(3);
    expect(imports()).toBe(0);
    expect(existsSync(join(project, ".venv", "bin", "python"))).toBe(true);
  }, 120_000);

  test("with --offline: fix-env and fix-env --deep repair from uv's cache, keep click, and the next connected setup has nothing to redo", async () => {
    if (!canUnshare) return;
    restore();
    rmSync(join(site(), "tabulate"), { recursive: true });
    const inPlace = offline(["fix-env", "--offline"]);
    expect(inPlace.stderr).toContain("reinstalled");
    expect(noticeLines(inPlace.stderr)).toHaveLength(0);
    expect(inPlace.code).toBe(0);

    rmSync(join(site(), "six.py"));
    const deep = offline(["fix-env", "--deep", "--offline"]);
    expect(deep.stderr).toContain("kept click 8.1.8");
    expect(deep.code).toBe(0);
    expect(imports()).toBe(0);
    await connectedSetupHasNothingToRedo();
  }, 120_000);
});

