/**
 * Crash safety of `dhtl setup`: runs are SIGKILLed at every step boundary (via the
 * DHT_TEST_PAUSE_AFTER_STEP hook) and at seeded random moments; after each kill, a venv
 * that carries the completion marker must really be complete, and the next run must finish
 * with a verified environment (taking over the dead run's lock). Local wheels, pre-fetched
 * uv: no network.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, dhtl, dhtlBinary } from "../helpers/cli.ts";
import { rng } from "../helpers/rng.ts";
import { SMALL_PROJECT, seededHome, setupEnv, writeProject } from "../helpers/setup-project.ts";

const STEPS = ["resolve-python", "obtain-uv", "create-venv", "install-dependencies", "verify", "finalize"];

function start(project: string, env: Record<string, string>, extra: string[] = []) {
  return Bun.spawn([dhtlBinary, "setup", "--restart", "--cwd", project, ...extra], {
    env: { ...baseEnv(), ...env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
}

async function waitForLine(file: string, line: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file) && readFileSync(file, "utf8").split("\n").some((l) => l.startsWith(line))) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for "${line}" in ${file}`);
}

/** The venv works: the marker matches the checkpoint, the packages import, uv pip check passes. */
function assertVerified(project: string, uv: string) {
  const checkpoint = JSON.parse(readFileSync(join(project, ".dht", "setup-progress.json"), "utf8"));
  expect(checkpoint.complete).toBe(true);
  expect(readFileSync(join(project, ".venv", ".dht-complete"), "utf8").trim()).toBe(checkpoint.inputsHash);
  assertMarkedMeansComplete(project, uv);
}

/** The invariant at any moment: no marker, or a venv that really is complete. */
function assertMarkedMeansComplete(project: string, uv: string) {
  if (!existsSync(join(project, ".venv", ".dht-complete"))) return false;
  const py = join(project, ".venv", "bin", "python");
  const imports = Bun.spawnSync([py, "-c", "import six, tabulate"]);
  expect(imports.exitCode).toBe(0);
  const check = Bun.spawnSync([uv, "pip", "check", "--python", py], { env: { PATH: "/usr/bin:/bin" } });
  expect(check.exitCode).toBe(0);
  return true;
}

describe("dhtl setup killed with SIGKILL", () => {
  test("at each step boundary: the next run resumes from the following step and ends verified", async () => {
    const project = writeProject(SMALL_PROJECT);
    const home = seededHome();
    const uv = join(home, "tools", "uv", "0.13.9", "uv");
    const events = join(project, "events.log");
    const env = setupEnv(home, ["3.11"], { DHT_TEST_STEP_EVENTS: events });
    for (const [i, step] of STEPS.entries()) {
      const proc = start(project, { ...env, DHT_TEST_PAUSE_AFTER_STEP: step });
      await waitForLine(events, `paused ${step}`);
      proc.kill("SIGKILL");
      await proc.exited;
      // Only after finalize may the venv carry its marker.
      expect(assertMarkedMeansComplete(project, uv)).toBe(step === "finalize");
      const next = await dhtl(["setup", "--cwd", project], { env });
      expect(next.code).toBe(0);
      if (i < STEPS.length - 1) expect(next.stderr).toContain(`Resuming from: ${STEPS[i + 1]}`);
      assertVerified(project, uv);
    }
  }, 180_000);

  test("at 24 seeded random moments: a marked venv is always complete and the next run ends verified", async () => {
    const project = writeProject(SMALL_PROJECT);
    const home = seededHome();
    const uv = join(home, "tools", "uv", "0.13.9", "uv");
    const env = setupEnv(home, ["3.11"]);
    // How long a full (--restart) run takes here, with warm caches: kill points are spread over it.
    expect((await dhtl(["setup", "--cwd", project], { env })).code).toBe(0);
    const t0 = performance.now();
    expect((await dhtl(["setup", "--restart", "--cwd", project], { env })).code).toBe(0);
    const fullMs = performance.now() - t0;
    const random = rng(20261124);
    let marked = 0;
    for (let i = 0; i < 24; i++) {
      const proc = start(project, env);
      const delay = Math.floor(random() * fullMs * 1.1);
      await Bun.sleep(delay);
      proc.kill("SIGKILL");
      await proc.exited;
      if (assertMarkedMeansComplete(project, uv)) marked++;
      const next = await dhtl(["setup", "--cwd", project], { env });
      if (next.code !== 0) throw new Error(`run ${i} after a kill at ${delay} ms failed:\n${next.stderr}`);
      assertVerified(project, uv);
    }
    // The kill points must land both before and after completion for the test to mean anything.
    expect(marked).toBeLessThan(24);
  }, 240_000);
});

describe("dhtl setup interrupted with Ctrl-C (SIGINT)", () => {
  test("exits 130 during the install, releases the lock, and the next run resumes from install-dependencies", async () => {
    const project = writeProject(SMALL_PROJECT);
    const home = seededHome();
    const uv = join(home, "tools", "uv", "0.13.9", "uv");
    const events = join(project, "events.log");
    const env = setupEnv(home, ["3.11"], { DHT_TEST_STEP_EVENTS: events });
    const proc = Bun.spawn([dhtlBinary, "setup", "--cwd", project], { env: { ...baseEnv(), ...env }, stdout: "ignore", stderr: "ignore" });
    await waitForLine(events, "start install-dependencies");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(existsSync(join(project, ".dht", "lock"))).toBe(false);
    expect(assertMarkedMeansComplete(project, uv)).toBe(false);
    const next = await dhtl(["setup", "--cwd", project], { env });
    expect(next.code).toBe(0);
    expect(next.stderr).toContain("Resuming from: install-dependencies");
    assertVerified(project, uv);
  }, 60_000);
});
