import { afterAll, describe, expect, test } from "bun:test";
import { detectX86_64Level, flagsFromDarwinSysctl, parseCpuinfoFlags, x86_64LevelFromFlags } from "../../src/platform/cpu.ts";
import { resolveProbe } from "../../src/platform/probe.ts";
import { fixtureText, makeRoot, removeRoots } from "../fixtures/platform/roots.ts";

afterAll(removeRoots);

const levelOf = (fixture: string) => x86_64LevelFromFlags(parseCpuinfoFlags(fixtureText(`cpuinfo/${fixture}`))!);

describe("x86-64 micro-architecture level from /proc/cpuinfo", () => {
  test("Core 2 (Penryn) lacks popcnt and sse4_2: v1", () => expect(levelOf("core2-penryn")).toBe(1));
  test("Nehalem Xeon: v2", () => expect(levelOf("nehalem")).toBe(2));
  test("Haswell: v3", () => expect(levelOf("haswell")).toBe(3));
  test("AMD Zen 2 (no AVX-512): v3", () => expect(levelOf("zen2")).toBe(3));
  test("Skylake-SP with AVX-512 F/BW/CD/DQ/VL: v4", () => expect(levelOf("skylake-avx512")).toBe(4));
  test("a VM that hides avx2 from a v3 CPU drops to v2", () => expect(levelOf("haswell-vm-no-avx2")).toBe(2));
  test("AVX-512 flags without the v3 set do not skip a level", () => {
    expect(x86_64LevelFromFlags(new Set(["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]))).toBe(1);
  });
  test("aarch64 cpuinfo has no flags line", () => expect(parseCpuinfoFlags(fixtureText("cpuinfo/aarch64-graviton2"))).toBeUndefined());
});

describe("macOS sysctl features", () => {
  test("Apple's spellings (SSE4.2, AVX1.0, LAHF, LZCNT) map to a Haswell v3", () => {
    expect(x86_64LevelFromFlags(flagsFromDarwinSysctl(fixtureText("darwin/sysctl-cpu-features-haswell.txt")))).toBe(3);
  });
});

describe("probe", () => {
  test("reads <procDir>/cpuinfo on x86_64 and skips aarch64", async () => {
    const root = makeRoot({ "/proc/cpuinfo": fixtureText("cpuinfo/haswell") });
    expect(await detectX86_64Level(resolveProbe({ root, os: "linux", arch: "x86_64", env: {} }))).toBe(3);
    expect(await detectX86_64Level(resolveProbe({ root, os: "linux", arch: "aarch64", env: {} }))).toBeUndefined();
  });
  test("no /proc/cpuinfo gives no level rather than a guess", async () => {
    expect(await detectX86_64Level(resolveProbe({ root: makeRoot({}), os: "linux", arch: "x86_64", env: {} }))).toBeUndefined();
  });
});
