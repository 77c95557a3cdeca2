/**
 * The uv cache warm-up of bundle setups (src/bundle/warm-cache.ts): what it asks uv, and
 * that with the real uv it fills the cache the real install then reads without unpacking.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWheelCacheWarmup, warmupArgs, warmupInterpreter } from "../../src/bundle/warm-cache.ts";
import { uvBinary, wheelsDir } from "../helpers/setup-project.ts";

// Not a pyenv shim: the warm-up runs with PATH=/nonexistent, where a shim cannot find bash.
const python3 = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : (Bun.which("python3.11") ?? "python3");
const scratch = mkdtempSync(join(tmpdir(), "dht-warmup-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("uv cache warm-up", () => {
  test("asks uv for exactly the pins, with no index, no dependency resolution and no interpreter", () => {
    expect(warmupArgs({ uv: "/u/uv", wheelsDir: "/b/wheels/root", requirements: ["six==1.17.0", "rich==13.9.4"], pythonVersion: "3.11.7", pythonPlatform: "x86_64-manylinux_2_36", python: "/usr/bin/python3", target: "/t" })).toEqual([
      "/u/uv", "pip", "install", "--quiet", "--offline", "--no-index", "--no-deps", "--find-links", "/b/wheels/root", "--target", "/t", "--python", "/usr/bin/python3",
      "--python-version", "3.11.7", "--python-platform", "x86_64-manylinux_2_36", "six==1.17.0", "rich==13.9.4",
    ]);
  });

  test("its base interpreter is never one that can open a dialog (macOS developer-tools shim, Windows Store alias)", () => {
    expect(warmupInterpreter("linux", "/usr/bin/python3")).toBe("/usr/bin/python3");
    expect(warmupInterpreter("linux", undefined)).toBeUndefined();
    expect(warmupInterpreter("darwin", "/usr/bin/python3")).toBeUndefined();
    expect(warmupInterpreter("darwin", "/opt/homebrew/bin/python3")).toBe("/opt/homebrew/bin/python3");
    expect(warmupInterpreter("windows", "C:\\Users\\a\\AppData\\Local\\Microsoft\\WindowsApps\\python3.exe")).toBeUndefined();
  });

  test("with the real uv and the machine's python3 as its base, it unpacks the wheels into the cache and leaves no target behind", async () => {
    const uv = uvBinary();
    const wheels = wheelsDir;
    const pins = readdirSync(wheels)
      .filter((f) => /^(six|tabulate)-/.test(f))
      .map((f) => `${f.split("-")[0]}==${f.split("-")[1]}`);
    expect(pins.length).toBe(2);
    const cache = join(scratch, "cache");
    const work = join(scratch, "work");
    mkdirSync(work);
    const logs: string[] = [];
    const warm = startWheelCacheWarmup({ uv, wheelsDir: wheels, requirements: pins, pythonVersion: "3.11.7", pythonPlatform: "x86_64-manylinux_2_28", python: python3 }, { PATH: "/nonexistent", UV_CACHE_DIR: cache, UV_NO_CONFIG: "1", HOME: scratch }, work, (m) => logs.push(m));
    expect(await warm.settle()).toBe(true);
    expect(logs.join("\n")).toContain("2 wheels unpacked");
    expect(readdirSync(work)).toEqual([]); // the throwaway target is gone
    expect(readdirSync(cache).some((d) => d.startsWith("archive-"))).toBe(true); // unpacked wheels live there
  }, 60_000);

  test("a pin without a wheel makes it fail quietly: the install does its own unpacking", async () => {
    const uv = uvBinary();
    const logs: string[] = [];
    const warm = startWheelCacheWarmup({ uv, wheelsDir, requirements: ["no-such-package==1.0"], pythonVersion: "3.11.7", pythonPlatform: "x86_64-manylinux_2_28", python: python3 }, { PATH: "/nonexistent", UV_CACHE_DIR: join(scratch, "c2"), UV_NO_CONFIG: "1", HOME: scratch }, scratch, (m) => logs.push(m));
    expect(await warm.settle()).toBe(false);
    expect(logs.join("\n")).toMatch(/uv cache warm-up failed \(exit \d+\)/);
  }, 60_000);
});
