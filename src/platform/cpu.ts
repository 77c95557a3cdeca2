/**
 * x86-64 micro-architecture level (the psABI's x86-64-v2/v3/v4), from the CPU's feature
 * flags. python-build-standalone publishes v2/v3/v4-optimised builds; the baseline build
 * runs everywhere, so this is advice for picking a faster build, never a requirement.
 */
import { join } from "node:path";
import { readTextIfPresent, type ResolvedProbe } from "./probe.ts";

/** Flags each level adds, in /proc/cpuinfo spelling (lzcnt is reported as "abm"). */
export const X86_64_LEVEL_FLAGS: Record<2 | 3 | 4, string[]> = {
  2: ["cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"],
  3: ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"],
  4: ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
};

/** The "flags" line of the first processor in /proc/cpuinfo. */
export function parseCpuinfoFlags(text: string): Set<string> | undefined {
  const line = /^flags\s*:\s*(.*)$/m.exec(text);
  if (!line) return undefined;
  return new Set(line[1]!.trim().split(/\s+/).filter(Boolean));
}

/** Highest level whose flags (and every lower level's) are all present. */
export function x86_64LevelFromFlags(flags: Set<string>): 1 | 2 | 3 | 4 {
  let level: 1 | 2 | 3 | 4 = 1;
  for (const next of [2, 3, 4] as const) {
    if (!X86_64_LEVEL_FLAGS[next].every((f) => flags.has(f))) break;
    level = next;
  }
  return level;
}

/**
 * macOS (Intel) reports features via sysctl in Apple's spelling: "SSE4.1", "AVX1.0",
 * "LAHF", "LZCNT". Map them to cpuinfo names.
 */
export function flagsFromDarwinSysctl(text: string): Set<string> {
  const rename: Record<string, string> = { "sse4.1": "sse4_1", "sse4.2": "sse4_2", "avx1.0": "avx", lahf: "lahf_lm", lzcnt: "abm" };
  const flags = new Set<string>();
  for (const word of text.toLowerCase().split(/\s+/).filter(Boolean)) flags.add(rename[word] ?? word);
  return flags;
}

export async function detectX86_64Level(probe: ResolvedProbe): Promise<1 | 2 | 3 | 4 | undefined> {
  if (probe.arch !== "x86_64") return undefined;
  if (probe.os === "linux") {
    const text = await readTextIfPresent(join(probe.procDir, "cpuinfo"));
    const flags = text ? parseCpuinfoFlags(text) : undefined;
    return flags ? x86_64LevelFromFlags(flags) : undefined;
  }
  if (probe.os === "darwin" && probe.root === "/") {
    const out = await probe.run(["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features", "machdep.cpu.extfeatures"], probe.env);
    return out.code === 0 ? x86_64LevelFromFlags(flagsFromDarwinSysctl(out.stdout)) : undefined;
  }
  // Windows: IsProcessorFeaturePresent does not cover v3/v4 cleanly; not probed.
  return undefined;
}
