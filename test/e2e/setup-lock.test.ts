/** The project lock with real concurrent `dhtl setup` processes. */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, dhtl, dhtlBinary } from "../helpers/cli.ts";
import { SMALL_PROJECT, seededHome, setupEnv, writeProject } from "../helpers/setup-project.ts";

describe("project lock", () => {
  test("4 concurrent setups: one works, the others wait and report it, steps never interleave", async () => {
    const project = writeProject(SMALL_PROJECT);
    const events = join(project, "events.log");
    const env = setupEnv(seededHome(), ["3.11"], { DHT_TEST_STEP_EVENTS: events });
    const runs = await Promise.all([0, 1, 2, 3].map(() => dhtl(["setup", "--cwd", project], { env })));
    for (const r of runs) expect(r.code).toBe(0);
    expect(runs.filter((r) => /waiting for the setup running as pid \d+/.test(r.stderr)).length).toBeGreaterThanOrEqual(1);
    // Each step that started finished before another process started anything.
    const lines = readFileSync(events, "utf8").trim().split("\n").map((l) => l.split(" "));
    let open: { step: string; pid: string } | undefined;
    for (const [kind, step, pid] of lines) {
      if (kind === "start") {
        expect(open).toBeUndefined();
        open = { step: step!, pid: pid! };
      } else if (kind === "done") {
        expect(open).toEqual({ step: step!, pid: pid! });
        open = undefined;
      }
    }
    // Exactly one process did the work.
    expect(new Set(lines.filter(([k]) => k === "start").map(([, , pid]) => pid)).size).toBe(1);
    const checkpoint = JSON.parse(readFileSync(join(project, ".dht", "setup-progress.json"), "utf8"));
    expect(readFileSync(join(project, ".venv", ".dht-complete"), "utf8").trim()).toBe(checkpoint.inputsHash);
    expect(existsSync(join(project, ".dht", "lock"))).toBe(false);
  }, 120_000);

  test("--no-wait fails at once with exit 1 naming the pid that holds the lock", async () => {
    const project = writeProject(SMALL_PROJECT);
    const events = join(project, "events.log");
    const env = setupEnv(seededHome(), ["3.11"], { DHT_TEST_STEP_EVENTS: events });
    const holder = Bun.spawn([dhtlBinary, "setup", "--cwd", project], { env: { ...baseEnv(), ...env, DHT_TEST_PAUSE_AFTER_STEP: "create-venv" }, stdout: "ignore", stderr: "ignore" });
    try {
      const deadline = Date.now() + 60_000;
      while (!(existsSync(events) && readFileSync(events, "utf8").includes("paused create-venv")) && Date.now() < deadline) await Bun.sleep(10);
      const r = await dhtl(["setup", "--no-wait", "--cwd", project], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${holder.pid}`);
      expect(r.stderr).toContain("hint:");
    } finally {
      holder.kill("SIGKILL");
      await holder.exited;
    }
    // The dead holder's lock is taken over by the next run.
    const after = await dhtl(["setup", "--no-wait", "--cwd", project], { env });
    expect(after.code).toBe(0);
    expect(after.stderr).toContain("Resuming from: install-dependencies");
  }, 120_000);
});
