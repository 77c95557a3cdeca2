import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executeSteps, type ExecStep, type ExecEvent } from "../../src/flows/executor/execute.ts";
import { readCheckpoint } from "../../src/env/checkpoints.ts";

interface S {
  log: string[];
  inputs: Record<string, string>;
  fail?: string;
}

function steps(): ExecStep<S>[] {
  const mk = (id: string, deps: string[] = []): ExecStep<S> => ({
    id,
    title: id,
    dependsOn: deps,
    hash: (s) => s.inputs[id] ?? "",
    async run(s) {
      if (s.fail === id) throw new Error(`boom in ${id}`);
      s.log.push(id);
      return { at: id };
    },
  });
  return [mk("a"), mk("b", ["a"]), mk("c", ["b"]), mk("d")];
}

const opts = (file: string, extra: object = {}) => ({ checkpointFile: file, inputsHash: "h", settingsKey: "k", dhtVersion: "t", probes: [], ...extra });

describe("step executor with checkpoints", () => {
  test("runs every step once and records each in the checkpoint", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dht-ex-")), "cp.json");
    const s: S = { log: [], inputs: {} };
    const r = await executeSteps(steps(), s, opts(file));
    expect(s.log).toEqual(["a", "b", "c", "d"]);
    const cp = readCheckpoint(file)!;
    expect(cp.complete).toBe(true);
    expect(cp.steps.map((x) => x.id)).toEqual(["a", "b", "c", "d"]);
    expect(r.ran.length).toBe(4);
  });

  test("a second run with nothing changed runs nothing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dht-ex-")), "cp.json");
    await executeSteps(steps(), { log: [], inputs: {} }, opts(file));
    const s: S = { log: [], inputs: {} };
    const r = await executeSteps(steps(), s, opts(file));
    expect(s.log).toEqual([]);
    expect(r.skipped).toEqual(["a", "b", "c", "d"]);
  });

  test("after a failed step the next run resumes from it and says so", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dht-ex-")), "cp.json");
    const failing: S = { log: [], inputs: {}, fail: "c" };
    await expect(executeSteps(steps(), failing, opts(file))).rejects.toThrow("boom in c");
    expect(readCheckpoint(file)!.complete).toBe(false);
    const events: ExecEvent[] = [];
    const s: S = { log: [], inputs: {} };
    const r = await executeSteps(steps(), s, opts(file, { onEvent: (e: ExecEvent) => events.push(e) }));
    expect(s.log).toEqual(["c", "d"]);
    expect(r.resumedFrom).toBe("c");
    expect(events.find((e) => e.type === "resume")?.step).toBe("c");
  });

  test("a changed input re-runs that step and the steps depending on it only", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dht-ex-")), "cp.json");
    await executeSteps(steps(), { log: [], inputs: {} }, opts(file));
    const s: S = { log: [], inputs: { b: "changed" } };
    await executeSteps(steps(), s, opts(file));
    expect(s.log).toEqual(["b", "c"]);
  });

  test("--restart ignores the checkpoint", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dht-ex-")), "cp.json");
    await executeSteps(steps(), { log: [], inputs: {} }, opts(file));
    const s: S = { log: [], inputs: {} };
    await executeSteps(steps(), s, opts(file, { restart: true }));
    expect(s.log).toEqual(["a", "b", "c", "d"]);
  });

  test("a step whose result vanished is re-run (stillValid false)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dht-ex-")), "cp.json");
    const list = steps();
    await executeSteps(list, { log: [], inputs: {} }, opts(file));
    list[0]!.stillValid = () => false;
    const s: S = { log: [], inputs: {} };
    await executeSteps(list, s, opts(file));
    expect(s.log).toEqual(["a", "b", "c"]);
  });

  test("DHT_TEST_STEP_EVENTS receives start/done lines", async () => {
    const root = mkdtempSync(join(tmpdir(), "dht-ex-"));
    const events = join(root, "events");
    await executeSteps(steps(), { log: [], inputs: {} }, opts(join(root, "cp.json"), { env: { DHT_TEST_STEP_EVENTS: events } }));
    const lines = readFileSync(events, "utf8").trim().split("\n").map((l) => l.split(" ").slice(0, 2).join(" "));
    expect(lines).toEqual(["start a", "done a", "start b", "done b", "start c", "done c", "start d", "done d"]);
  });

  test("beforeFirstRun runs once, only when some step runs", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dht-ex-")), "cp.json");
    let calls = 0;
    await executeSteps(steps(), { log: [], inputs: {} }, opts(file, { beforeFirstRun: () => void calls++ }));
    await executeSteps(steps(), { log: [], inputs: {} }, opts(file, { beforeFirstRun: () => void calls++ }));
    expect(calls).toBe(1);
  });
});
