/**
 * replaceExecutable: the swap at the end of `dhtl self update`. Stand-in executables are
 * tiny C programs (real ELF executables, so they pass the header check) that answer
 * --version like dhtl does, so each rule is checked fast.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replaceExecutable } from "../../src/self/replace.ts";

const script = (versionLine: string, status = 0) => new TextEncoder().encode(`#!/bin/sh\necho '${versionLine}'\nexit ${status}\n`);
const cache = new Map<string, Uint8Array>();
/** A real x86-64 executable printing `versionLine` and exiting with `status`. */
function standIn(versionLine: string, status = 0): Uint8Array {
  const key = `${versionLine}\0${status}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), "dhtl-standin-"));
  made.push(dir);
  writeFileSync(join(dir, "s.c"), `#include <stdio.h>\nint main(void){ puts(${JSON.stringify(versionLine)}); return ${status}; }\n`);
  const cc = Bun.spawnSync(["cc", "-o", join(dir, "s"), join(dir, "s.c")]);
  if (cc.exitCode !== 0) throw new Error(`cc failed: ${cc.stderr}`);
  const bytes = new Uint8Array(readFileSync(join(dir, "s")));
  cache.set(key, bytes);
  return bytes;
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function installed(name = "dhtl"): { dir: string; exe: string } {
  const dir = mkdtempSync(join(tmpdir(), "dhtl-replace-"));
  made.push(dir);
  const exe = join(dir, name);
  writeFileSync(exe, script("dhtl 1.0.0 (old linux-x64)"));
  chmodSync(exe, 0o755);
  return { dir, exe };
}

describe("replaceExecutable", () => {
  test("swaps in a new executable that reports the expected target and version, leaving nothing beside it", async () => {
    const { dir, exe } = installed();
    const line = await replaceExecutable(exe, standIn("dhtl 2.0.0 (new linux-x64)"), { expectTarget: "linux-x64", expectVersion: "2.0.0", windows: false });
    expect(line).toBe("dhtl 2.0.0 (new linux-x64)");
    expect(Bun.spawnSync([exe]).stdout.toString()).toContain("2.0.0");
    expect(readdirSync(dir)).toEqual(["dhtl"]);
  });

  test("Windows flow: the running exe is renamed to .old first, then the new one takes its name", async () => {
    const { dir, exe } = installed("dhtl.exe");
    const old = readFileSync(exe);
    // A PE cannot run here: the header rule is tested in test/hostile/self-update.test.ts.
    await replaceExecutable(exe, script("dhtl 2.0.0 (new windows-x64)"), { expectTarget: "windows-x64", windows: true, skipHeaderCheck: true });
    expect(readFileSync(`${exe}.old`).equals(old)).toBe(true);
    expect(readFileSync(exe, "utf8")).toContain("2.0.0");
    expect(readdirSync(dir).sort()).toEqual(["dhtl.exe", "dhtl.exe.old"]);
  });

  test("refuses a build for another target, the wrong version, or one that does not start; the old file stays", async () => {
    const cases: [Uint8Array, string][] = [
      [standIn("dhtl 2.0.0 (new linux-arm64)"), "it is built for linux-arm64, this machine runs linux-x64"],
      [standIn("dhtl 2.0.1 (new linux-x64)"), "it reports version 2.0.1, expected 2.0.0"],
      [standIn("boom", 3), "it exited with status 3 for --version"],
      [script("dhtl 2.0.0 (new linux-x64)"), "is not a dhtl executable for linux-x64: expected elf, found unknown"],
      [new TextEncoder().encode("\x7fELF garbage"), "is not a dhtl executable for linux-x64"],
    ];
    for (const [bytes, message] of cases) {
      const { dir, exe } = installed();
      const before = readFileSync(exe);
      await expect(replaceExecutable(exe, bytes, { expectTarget: "linux-x64", expectVersion: "2.0.0", windows: false })).rejects.toThrow(message);
      expect(readFileSync(exe).equals(before)).toBe(true);
      expect(readdirSync(dir)).toEqual(["dhtl"]);
    }
  });

  test("a failed write names the executable and leaves no staging file", async () => {
    const { dir, exe } = installed();
    const missing = join(dir, "gone", "dhtl");
    await expect(replaceExecutable(missing, standIn("dhtl 2.0.0 (new linux-x64)"), { expectTarget: "linux-x64", windows: false })).rejects.toThrow(
      `cannot replace ${missing}: ENOENT`,
    );
    expect(readdirSync(dir)).toEqual(["dhtl"]);
  });
});
