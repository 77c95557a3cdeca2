/**
 * `dhtl fix-env --deep` killed with SIGKILL: at every phase boundary (the setup steps run
 * against the new venv, then inventory, extras, verify, swap, commit) and at seeded random
 * moments, `.venv` is always a working venv — the old one (its OLD-VENV tag present) until
 * the swap, the new one after — never neither; the next `fix-env --deep` finishes, and the
 * package installed by hand is in the result. A rebuild that cannot verify leaves the old
 * venv as it was.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, dhtl, dhtlBinary } from "../helpers/cli.ts";
import { rng } from "../helpers/rng.ts";
import { useRepairEnv } from "../helpers/repair-env.ts";

const r = useRepairEnv();

const start = (env: Record<string, string>) =>
  Bun.spawn([dhtlBinary, "fix-env", "--deep", "--cwd", r.project], { env: { ...baseEnv(), ...env }, stdin: "ignore", stdout: "ignore", stderr: "ignore" });

async function waitForLine(file: string, line: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await Bun.sleep(10)) {
    if (existsSync(file) && readFileSync(file, "utf8").split("\n").some((l) => l.startsWith(line))) return;
  }
  throw new Error(`timed out waiting for "${line}" in ${file}`);
}

/** `.venv` is a venv that works, with the hand-installed click; returns whether it is still the old one. */
function workingVenv(): "old" | "new" {
  const venv = join(r.project, ".venv");
  expect(existsSync(join(venv, "pyvenv.cfg"))).toBe(true);
  const p = Bun.spawnSync([join(venv, "bin", "python"), "-c", "import six, tabulate, idna, click"]);
  expect(p.stderr.toString()).toBe("");
  expect(p.exitCode).toBe(0);
  return existsSync(join(venv, "OLD-VENV")) ? "old" : "new";
}

async function finishAndVerify(): Promise<void> {
  const done = await dhtl(["fix-env", "--deep", "--cwd", r.project], { env: r.env });
  if (done.code !== 0) throw new Error(`the next fix-env --deep failed:\n${done.stderr}`);
  expect(workingVenv()).toBe("new");
  const d = await dhtl(["diagnose", "--cwd", r.project], { env: r.env });
  expect(d.code).toBe(0);
  expect(existsSync(join(r.project, ".venv.dht-new"))).toBe(false);
}

const BOUNDARIES: Array<[string, "old" | "new"]> = [
  ["create-venv", "old"],
  ["install-dependencies", "old"],
  ["finalize", "old"],
  ["repair-inventory", "old"],
  ["repair-extras", "old"],
  ["repair-verify", "old"],
  ["repair-swap", "new"],
  ["repair-commit", "new"],
];

describe("dhtl fix-env --deep killed with SIGKILL", () => {
  test("at each phase boundary: the old venv until the swap, the new one after, never neither", async () => {
    for (const [phase, expected] of BOUNDARIES) {
      r.restore();
      writeFileSync(join(r.project, ".venv", "OLD-VENV"), "");
      const events = join(r.project, ".dht", `events-${phase}.log`);
      const proc = start({ ...r.env, DHT_TEST_STEP_EVENTS: events, DHT_TEST_PAUSE_AFTER_STEP: phase });
      await waitForLine(events, `paused ${phase}`);
      proc.kill("SIGKILL");
      await proc.exited;
      expect(`${phase}: ${workingVenv()}`).toBe(`${phase}: ${expected}`);
      await finishAndVerify();
    }
  }, 240_000);

  test("at 6 seeded random moments: .venv always works, and the next run finishes", async () => {
    r.restore();
    const t0 = performance.now();
    expect((await dhtl(["fix-env", "--deep", "--cwd", r.project], { env: r.env })).code).toBe(0);
    const fullMs = performance.now() - t0;
    const random = rng(20261202);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      r.restore();
      writeFileSync(join(r.project, ".venv", "OLD-VENV"), "");
      const proc = start(r.env);
      await Bun.sleep(Math.floor(random() * fullMs));
      proc.kill("SIGKILL");
      await proc.exited;
      seen.add(workingVenv());
      await finishAndVerify();
    }
    expect(seen.has("old")).toBe(true);
  }, 240_000);

  test("without the atomic exchange (fallback forced), killed between the two renames: dhtl setup puts the old venv back first and does not build over it", async () => {
    r.restore();
    writeFileSync(join(r.project, ".venv", "OLD-VENV"), "");
    const events = join(r.project, ".dht", "events-aside.log");
    const proc = start({ ...r.env, DHT_TEST_SWAP_FALLBACK: "1", DHT_TEST_STEP_EVENTS: events, DHT_TEST_PAUSE_AFTER_STEP: "repair-swap-aside" });
    await waitForLine(events, "paused repair-swap-aside");
    proc.kill("SIGKILL");
    await proc.exited;
    // Between the renames the journal is what knows where the old venv is.
    const journal = join(r.project, ".dht", "repair-swap.json");
    expect(existsSync(join(r.project, ".venv"))).toBe(false);
    expect(existsSync(journal)).toBe(true);
    const setup = await dhtl(["setup", "--cwd", r.project], { env: { ...r.env, DHT_TEST_STEP_EVENTS: events } });
    expect(setup.stderr).toContain("put the old venv back");
    expect(setup.code).toBe(0);
    expect(workingVenv()).toBe("old");
    expect(existsSync(journal)).toBe(false);
    // No setup step ran: the old venv was put back, not replaced by a new one.
    const after = readFileSync(events, "utf8").split("\n").slice(readFileSync(events, "utf8").split("\n").findIndex((l) => l.startsWith("paused repair-swap-aside")) + 1);
    expect(after.filter((l) => l.startsWith("start "))).toEqual([]);
    await finishAndVerify();
  }, 120_000);

  test("a rebuild that cannot verify leaves the old venv untouched (exit 1, naming what is missing)", async () => {
    r.restore();
    writeFileSync(join(r.project, ".venv", "OLD-VENV"), "");
    // An editable package installed by hand from a directory that is then deleted: it cannot be put back.
    const local = join(r.project, "..", "local-tool");
    mkdirSync(join(local, "local_tool"), { recursive: true });
    writeFileSync(join(local, "pyproject.toml"), '[project]\nname = "local-tool"\nversion = "1.0"\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n');
    writeFileSync(join(local, "local_tool", "__init__.py"), "");
    const inst = Bun.spawnSync([r.uv, "pip", "install", "-q", "--no-index", "--find-links", r.env.PIP_FIND_LINKS!, "--python", join(r.project, ".venv", "bin", "python"), "-e", local], { env: { PATH: r.env.PATH!, UV_CACHE_DIR: r.env.UV_CACHE_DIR! } });
    expect(inst.stderr.toString()).not.toContain("error");
    rmSync(local, { recursive: true });
    const res = await dhtl(["fix-env", "--deep", "--cwd", r.project], { env: r.env });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("local-tool");
    expect(workingVenv()).toBe("old");
  }, 120_000);
});
