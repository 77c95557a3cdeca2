/**
 * replaceExecutable: the swap at the end of `dhtl self update`. Stand-in executables are
 * tiny shell scripts that answer --version like dhtl does, so each rule is checked fast.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replaceExecutable } from "../../src/self/replace.ts";

const script = (versionLine: string, status = 0) => new TextEncoder().encode(`#!/bin/sh\necho '${versionLine}'\nexit ${status}\n`);

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
    const line = await replaceExecutable(exe, script("dhtl 2.0.0 (new linux-x64)"), { expectTarget: "linux-x64", expectVersion: "2.0.0", windows: false });
    expect(line).toBe("dhtl 2.0.0 (new linux-x64)");
    expect(Bun.spawnSync([exe]).stdout.toString()).toContain("2.0.0");
    expect(readdirSync(dir)).toEqual(["dhtl"]);
  });

  test("Windows flow: the running exe is renamed to .old first, then the new one takes its name", async () => {
    const { dir, exe } = installed("dhtl.exe");
    const old = readFileSync(exe);
    await replaceExecutable(exe, script("dhtl 2.0.0 (new windows-x64)"), { expectTarget: "windows-x64", windows: true });
    expect(readFileSync(`${exe}.old`).equals(old)).toBe(true);
    expect(readFileSync(exe, "utf8")).toContain("2.0.0");
    expect(readdirSync(dir).sort()).toEqual(["dhtl.exe", "dhtl.exe.old"]);
  });

  test("refuses a build for another target, the wrong version, or one that does not start; the old file stays", async () => {
    const cases: [Uint8Array, string][] = [
      [script("dhtl 2.0.0 (new linux-arm64)"), "it is built for linux-arm64, this machine runs linux-x64"],
      [script("dhtl 2.0.1 (new linux-x64)"), "it reports version 2.0.1, expected 2.0.0"],
      [script("boom", 3), "it exited with status 3"],
      [new TextEncoder().encode("\x7fELF garbage"), "it cannot start"],
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
    await expect(replaceExecutable(missing, script("dhtl 2.0.0 (new linux-x64)"), { expectTarget: "linux-x64", windows: false })).rejects.toThrow(
      `cannot replace ${missing}: ENOENT`,
    );
    expect(readdirSync(dir)).toEqual(["dhtl"]);
  });
});
