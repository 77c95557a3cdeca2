/**
 * All platform facts at once, probes run concurrently. Computed once per process for the
 * real machine (every caller in a run sees the same facts); a caller passing fixture
 * ProbeRoots (tests) gets its own computation, memoised per ProbeRoots object.
 */
import { detectContainer } from "./container.ts";
import { detectX86_64Level } from "./cpu.ts";
import { detectDistro } from "./distro.ts";
import { detectLibc } from "./libc.ts";
import { detectPackageManagers } from "./package-managers.ts";
import { detectPrivileges } from "./privileges.ts";
import { resolveProbe } from "./probe.ts";
import type { PlatformFacts, ProbeRoots } from "./types.ts";
import { detectWindowsFacts } from "./windows.ts";

/**
 * Keyed by the environment object when that is all the caller passes (the usual
 * `getPlatformFacts({ env: ctx.env })`, where ctx.env is process.env), else by the
 * ProbeRoots object itself.
 */
let factsCache = new WeakMap<object, Promise<PlatformFacts>>();

export function getPlatformFacts(probe: ProbeRoots = {}): Promise<PlatformFacts> {
  const onlyEnv = Object.keys(probe).every((k) => k === "env");
  const key: object = onlyEnv ? (probe.env ?? process.env) : probe;
  let facts = factsCache.get(key);
  if (!facts) factsCache.set(key, (facts = computePlatformFacts(probe)));
  return facts;
}

/** Forget computed facts (tests that change the environment object in place between cases). */
export function resetPlatformFactsCache(): void {
  factsCache = new WeakMap();
}

export async function computePlatformFacts(probeRoots: ProbeRoots): Promise<PlatformFacts> {
  const probe = resolveProbe(probeRoots);
  const [libc, distro, packageManagers, privileges, container, x86_64Level, windows] = await Promise.all([
    detectLibc(probe),
    detectDistro(probe.root, probe.os, probe.kernel),
    detectPackageManagers(probe.env, probe.os),
    detectPrivileges(probe),
    detectContainer(probe),
    detectX86_64Level(probe),
    probe.os === "windows" ? detectWindowsFacts(probe) : Promise.resolve(undefined),
  ]);
  return {
    os: probe.os,
    arch: probe.arch,
    kernel: probe.kernel,
    libc,
    ...(distro ? { distro } : {}),
    packageManagers,
    privileges,
    container,
    ...(x86_64Level ? { x86_64Level } : {}),
    ...(windows ? { windows } : {}),
  };
}

/**
 * The `<os>-<arch>-<libc>` key of python-build-standalone downloads and offline bundles:
 * "linux-x86_64-gnu", "linux-aarch64-musl", "darwin-aarch64-none", "windows-x86_64-none".
 */
export function pythonPlatformKey(facts: Pick<PlatformFacts, "os" | "arch" | "libc">): string {
  const libc = facts.os === "linux" ? facts.libc.family : "none";
  return `${facts.os}-${facts.arch}-${libc}`;
}
