/**
 * Hostile family "faults": runs killed with SIGKILL. What they leave is found and removed by
 * the next run (owner pid dead), never a live run's work; cache/bundles stays bounded.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractArchive } from "../../src/archive/extract.ts";
import { ownedTempPath, ownerPidOf, sweepAbandonedTemps } from "../../src/platform/owned-temp.ts";
import { pruneUnpackedBundles } from "../../src/bundle/read.ts";
import { rawTarGz } from "../helpers/raw-tar.ts";

const base = mkdtempSync(join(tmpdir(), "dhtl-kill-"));

/** A pid that surely does not run: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}

describe("temp trees of dead owners", () => {
  test("sweep removes marked trees of dead pids only, nothing unmarked, nothing of a live pid", async () => {
    const dir = mkdtempSync(join(base, "sweep-"));
    const dead = await deadPid();
    const deadTree = join(dir, `.cpython-3.11.7.dhtl-tmp-${dead}-abc123`);
    const liveTree = join(dir, `.cpython-3.12.1.dhtl-tmp-${process.pid}-def456`);
    const init = join(dir, `.x.dhtl-tmp-1-ghi789`); // pid 1 runs (EPERM or alive)
    const unmarked = join(dir, "cpython-3.11.7-linux-x86_64-gnu");
    const lookalike = join(dir, `.notes.dhtl-tmp-${dead}-abc.txt.bak`);
    for (const d of [deadTree, liveTree, init, unmarked, lookalike]) mkdirSync(join(d, "lib"), { recursive: true });
    expect(sweepAbandonedTemps(dir)).toEqual([`.cpython-3.11.7.dhtl-tmp-${dead}-abc123`]);
    expect(readdirSync(dir).sort()).toEqual([liveTree, init, unmarked, lookalike].map((p) => p.slice(dir.length + 1)).sort());
  });

  test("a marked name carries its owner's pid", () => {
    expect(ownerPidOf(ownedTempPath("/x", ".bundle").slice(3))).toBe(process.pid);
    expect(ownerPidOf("cpython-3.11.7-linux-x86_64-gnu")).toBeUndefined();
  });

  test("an extraction killed with SIGKILL leaves a tree the next extraction beside it removes", async () => {
    const work = mkdtempSync(join(base, "killed-"));
    const entries = Array.from({ length: 3000 }, (_, i) => ({ name: `python/lib/m${i}.py`, data: crypto.getRandomValues(new Uint8Array(4096)) }));
    const archive = join(base, "big.tar.gz");
    writeFileSync(archive, rawTarGz(entries));
    const script = `const { extractArchive } = await import(${JSON.stringify(join(import.meta.dir, "../../src/archive/extract.ts"))});
      await extractArchive(process.argv[2], process.argv[3], { stripTopDir: true });`;
    const scriptFile = join(base, "child.ts");
    writeFileSync(scriptFile, script);
    const child = Bun.spawn(["bun", scriptFile, archive, join(work, "a")], { stdout: "ignore", stderr: "ignore" });
    const deadline = Date.now() + 20_000;
    const started = () => readdirSync(work).some((n) => n.startsWith(".a.dhtl-tmp-") && readdirSync(join(work, n)).length > 0);
    while (!started() && Date.now() < deadline) await Bun.sleep(5);
    child.kill("SIGKILL");
    await child.exited;
    expect(readdirSync(work).filter((n) => n.startsWith(".a.dhtl-tmp-")).length).toBe(1);
    // The next run, extracting anything beside it, removes it.
    writeFileSync(join(base, "small.tar.gz"), rawTarGz([{ name: "python/x", data: "x" }]));
    await extractArchive(join(base, "small.tar.gz"), join(work, "b"), { stripTopDir: true });
    expect(readdirSync(work)).toEqual(["b"]);
  }, 30_000);
});

describe("cache/bundles stays bounded", () => {
  test("copies beyond the two most recently used, unused for an hour, are removed; recent ones stay", () => {
    const home = mkdtempSync(join(base, "home-"));
    const root = join(home, "cache", "bundles");
    const names = ["a", "b", "c", "d", "e"].map((c) => c.repeat(64));
    const hour = 3600_000;
    const now = Date.now();
    names.forEach((n, i) => {
      mkdirSync(join(root, n), { recursive: true });
      const t = new Date(now - (i + 1) * 2 * hour); // a newest … e oldest
      utimesSync(join(root, n), t, t);
    });
    const newest = "f".repeat(64);
    mkdirSync(join(root, newest));
    // Used ten minutes ago (another dhtl may be installing from it): kept.
    const inUse = "9".repeat(64);
    mkdirSync(join(root, inUse));
    utimesSync(join(root, inUse), new Date(now - 600_000), new Date(now - 600_000));
    mkdirSync(join(root, "not-a-bundle"));
    const fresh = join(root, "0".repeat(64));
    const removed = pruneUnpackedBundles(home, fresh, now);
    expect(removed.sort()).toEqual([...names].sort());
    expect(readdirSync(root).sort()).toEqual([newest, inUse, "not-a-bundle"].sort());
  });
});

describe("modes of extracted trees", () => {
  test("the extracted root is 0755 (another user can run a venv made from it), sticky directories stay sticky", async () => {
    const work = mkdtempSync(join(base, "modes-"));
    const archive = join(work, "a.tar.gz");
    writeFileSync(archive, rawTarGz([
      { name: "python/bin/", type: "5", mode: 0o755 },
      { name: "python/bin/python3.11", data: "#!/bin/sh\n", mode: 0o755 },
      { name: "python/tmp/", type: "5", mode: 0o1777 },
      { name: "python/suid/", type: "5", mode: 0o6755 },
    ]));
    const target = join(work, "out");
    await extractArchive(archive, target, { stripTopDir: true });
    const { statSync } = await import("node:fs");
    const umask = process.umask();
    expect(statSync(target).mode & 0o7777).toBe(0o777 & ~umask);
    expect(statSync(join(target, "tmp")).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(target, "suid")).mode & 0o7000).toBe(0);
  });
});

describe("children of a run killed with SIGKILL", () => {
  test("a child (an orphaned uv) left running is ended by the next run; a reused pid running something else is not", async () => {
    const work = mkdtempSync(join(base, "orphan-"));
    const record = join(work, "children.json");
    const sleep = Bun.which("sleep")!;
    const script = `const { recordChildrenIn, runTool } = await import(${JSON.stringify(join(import.meta.dir, "../../src/process.ts"))});
      recordChildrenIn(process.argv[2]);
      await runTool([${JSON.stringify(sleep)}, "120"], { env: {} });`;
    writeFileSync(join(work, "parent.ts"), script);
    const parent = Bun.spawn(["bun", join(work, "parent.ts"), record], { stdout: "ignore", stderr: "ignore" });
    const { existsSync, readFileSync } = await import("node:fs");
    const deadline = Date.now() + 15_000;
    while (!existsSync(record) && Date.now() < deadline) await Bun.sleep(10);
    const pid = (JSON.parse(readFileSync(record, "utf8")) as Array<{ pid: number }>)[0]!.pid;
    parent.kill("SIGKILL");
    await parent.exited;
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return !readFileSync(`/proc/${p}/stat`, "utf8").includes(") Z ");
      } catch {
        return false;
      }
    };
    expect(alive(pid)).toBe(true); // orphaned, still running
    const { killOrphanedChildren } = await import("../../src/process.ts");
    // A record naming another executable for a live pid (a reused pid) is left alone.
    writeFileSync(join(work, "other.json"), JSON.stringify([{ pid: process.pid, exe: "/usr/bin/uv" }]));
    expect(killOrphanedChildren(join(work, "other.json"))).toEqual([]);
    expect(killOrphanedChildren(record)).toEqual([pid]);
    await Bun.sleep(100);
    expect(alive(pid)).toBe(false);
  }, 30_000);
});
