import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getPlatformFacts, pythonPlatformKey } from "../../src/platform/index.ts";
import { detectPackageManagers } from "../../src/platform/package-managers.ts";
import { detectPrivileges, windowsElevationFromWhoami } from "../../src/platform/privileges.ts";
import { resolveProbe } from "../../src/platform/probe.ts";
import { findOnPath, pathEntries } from "../../src/platform/which.ts";
import { detectWindowsFacts, LONG_PATHS_REG_QUERY, parseLongPathsEnabled } from "../../src/platform/windows.ts";
import { renderInfo, type InfoReport } from "../../src/platform/render.ts";
import type { CommandRunner, PlatformFacts } from "../../src/platform/types.ts";
import { buildElf, fixtureText, makeRoot, removeRoots } from "../fixtures/platform/roots.ts";

afterAll(removeRoots);

/** A PATH directory holding executable scripts with the given bodies. */
function binDir(scripts: Record<string, string>, mode = 0o755): string {
  const root = makeRoot({});
  const dir = join(root, "bin");
  mkdirSync(dir);
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), mode);
  }
  return dir;
}

const recordingRunner = () => {
  const calls: string[][] = [];
  const run: CommandRunner = async (argv) => {
    calls.push(argv);
    return { code: 1, stdout: "", stderr: "" };
  };
  return { calls, run };
};

describe("package managers on PATH", () => {
  test("only executables on the given PATH count, in the documented order", async () => {
    const a = binDir({ pacman: "", brew: "" });
    const b = binDir({ apt: "", dnf: "" });
    const notExecutable = binDir({ zypper: "" }, 0o644);
    const env = { PATH: [a, "", b, notExecutable, "/nonexistent"].join(":") };
    expect(await detectPackageManagers(env, "linux")).toEqual(["apt", "dnf", "pacman", "brew"]);
  });

  test("an empty PATH finds nothing (the current directory is never searched)", async () => {
    expect(await detectPackageManagers({ PATH: "" }, "linux")).toEqual([]);
  });

  test("Windows: PATHEXT and scoop's .ps1 shim are honoured, Path spelling accepted", async () => {
    const dir = makeRoot({ "/w/winget.exe": "", "/w/scoop.ps1": "", "/w/choco.txt": "" });
    const env = { Path: `"${dir}/w";;${dir}/w`, PATHEXT: ".COM;.EXE;.BAT;.CMD" };
    expect(pathEntries(env, "windows")).toEqual([`${dir}/w`]);
    expect(await findOnPath("winget", env, "windows")).toBe(`${dir}/w/winget.exe`);
    expect(await detectPackageManagers(env, "windows")).toEqual(["winget", "scoop"]);
  });
});

describe("privileges", () => {
  test("root does not run sudo at all", async () => {
    const { calls, run } = recordingRunner();
    const p = await detectPrivileges(resolveProbe({ uid: 0, os: "linux", env: { PATH: binDir({ sudo: "exit 0" }) }, run }));
    expect(p).toEqual({ root: true, passwordlessSudo: false, sudoAvailable: true });
    expect(calls).toEqual([]);
  });

  test("no sudo on PATH: nothing is spawned", async () => {
    const { calls, run } = recordingRunner();
    expect(await detectPrivileges(resolveProbe({ uid: 1000, os: "linux", env: { PATH: binDir({}) }, run }))).toEqual({
      root: false,
      passwordlessSudo: false,
      sudoAvailable: false,
    });
    expect(calls).toEqual([]);
  });

  test("a sudo that accepts -n reports passwordless sudo (real process, fake sudo)", async () => {
    const dir = binDir({ sudo: '[ "$1" = "-n" ] && [ "$2" = "true" ] && exit 0; exit 9' });
    expect(await detectPrivileges(resolveProbe({ uid: 1000, os: "linux", env: { PATH: dir } }))).toMatchObject({ passwordlessSudo: true });
  });

  test("a sudo that needs a password fails -n at once: not passwordless, and stdin is never read", async () => {
    // Would hang on `read` if stdin were a terminal or pipe left open; the probe closes stdin.
    const dir = binDir({ sudo: 'if [ "$1" = "-n" ]; then echo "sudo: a password is required" >&2; exit 1; fi; read pw; exit 0' });
    expect(await detectPrivileges(resolveProbe({ uid: 1000, os: "linux", env: { PATH: dir } }))).toEqual({
      root: false,
      passwordlessSudo: false,
      sudoAvailable: true,
    });
  });
});

describe("Windows elevation", () => {
  test("a high-integrity token is root; a filtered admin (medium) is not", () => {
    expect(windowsElevationFromWhoami(fixtureText("windows/whoami-groups-elevated.txt"))).toBe(true);
    expect(windowsElevationFromWhoami(fixtureText("windows/whoami-groups-standard.txt"))).toBe(false);
    expect(windowsElevationFromWhoami("")).toBeUndefined();
  });
  test("the probe asks whoami /groups and never looks for sudo", async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (argv) => {
      calls.push(argv);
      return { code: 0, stdout: fixtureText("windows/whoami-groups-elevated.txt"), stderr: "" };
    };
    expect(await detectPrivileges(resolveProbe({ os: "windows", env: {}, run }))).toEqual({ root: true, passwordlessSudo: false, sudoAvailable: false });
    expect(calls).toEqual([["whoami", "/groups"]]);
  });
});

describe("Windows LongPathsEnabled", () => {
  test("0x1 is enabled, 0x0 disabled", () => {
    expect(parseLongPathsEnabled(fixtureText("windows/reg-longpaths-enabled.txt"))).toBe(true);
    expect(parseLongPathsEnabled(fixtureText("windows/reg-longpaths-disabled.txt"))).toBe(false);
  });
  test("a missing value is the default: disabled", () => {
    expect(parseLongPathsEnabled(fixtureText("windows/reg-longpaths-missing.txt"), 1)).toBe(false);
  });
  test("access denied or unexpected output is unknown", () => {
    expect(parseLongPathsEnabled(fixtureText("windows/reg-access-denied.txt"), 1)).toBeUndefined();
    expect(parseLongPathsEnabled("")).toBeUndefined();
  });
  test("the probe runs exactly the reg query and reports its answer", async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (argv) => {
      calls.push(argv);
      return { code: 0, stdout: fixtureText("windows/reg-longpaths-enabled.txt"), stderr: "" };
    };
    expect(await detectWindowsFacts(resolveProbe({ os: "windows", env: {}, run }))).toEqual({ longPathsEnabled: true });
    expect(calls).toEqual([LONG_PATHS_REG_QUERY]);
  });
});

describe("pythonPlatformKey", () => {
  const base = { arch: "x86_64" as const, libc: { family: "gnu" as const, source: "t" } };
  test("linux keys carry the libc family", () => {
    expect(pythonPlatformKey({ ...base, os: "linux" })).toBe("linux-x86_64-gnu");
    expect(pythonPlatformKey({ os: "linux", arch: "aarch64", libc: { family: "musl", source: "t" } })).toBe("linux-aarch64-musl");
  });
  test("macOS and Windows are always libc none", () => {
    expect(pythonPlatformKey({ ...base, os: "darwin", arch: "aarch64" })).toBe("darwin-aarch64-none");
    expect(pythonPlatformKey({ ...base, os: "windows" })).toBe("windows-x86_64-none");
  });
  test("the keys it produces for every supported os/arch/libc are the keys of the embedded python-downloads list", async () => {
    // src/data/python-downloads.json (python area) stores builds as [version, platformKey, ...].
    const data = (await Bun.file(join(import.meta.dir, "../../src/data/python-downloads.json")).json()) as { builds: unknown[][] };
    const known = new Set(data.builds.map((b) => b[1]));
    const produced = new Set<string>();
    for (const os of ["linux", "darwin", "windows"] as const)
      for (const arch of ["x86_64", "aarch64"] as const)
        for (const family of os === "linux" ? (["gnu", "musl"] as const) : (["none"] as const))
          produced.add(pythonPlatformKey({ os, arch, libc: { family, source: "t" } }));
    expect([...produced].sort()).toEqual([...known].sort() as string[]);
  });
});

describe("getPlatformFacts", () => {
  const alpineRoot = () =>
    makeRoot({
      "/etc/os-release": fixtureText("os-release/alpine-3.19"),
      "/bin/sh": buildElf({ interpreter: "/lib/ld-musl-x86_64.so.1" }),
      "/lib/ld-musl-x86_64.so.1": "musl",
      "/lib/apk/db/installed": "P:musl\nV:1.2.4-r2\n",
      "/run/.containerenv": 'engine="podman-4.3.1"\n',
      "/proc/self/cgroup": fixtureText("cgroup/v2-namespaced"),
      "/proc/cpuinfo": fixtureText("cpuinfo/nehalem"),
      "/proc/version": fixtureText("proc-version/debian"),
    });

  test("a whole Alpine-in-podman fixture root gives every fact, spawning nothing", async () => {
    const { calls, run } = recordingRunner();
    const facts = await getPlatformFacts({ root: alpineRoot(), os: "linux", arch: "x86_64", uid: 0, kernel: "6.1.0", env: { PATH: binDir({ apk: "" }) }, run });
    expect(facts).toEqual({
      os: "linux",
      arch: "x86_64",
      kernel: "6.1.0",
      libc: { family: "musl", version: "1.2.4", source: expect.stringContaining("ld-musl-x86_64.so.1") },
      distro: { id: "alpine", versionId: "3.19.1", name: "Alpine Linux v3.19", like: [], source: "/etc/os-release" },
      packageManagers: ["apk"],
      privileges: { root: true, passwordlessSudo: false, sudoAvailable: false },
      container: {
        kind: "podman",
        kinds: ["podman"],
        evidence: ['/run/.containerenv exists (engine podman-4.3.1)'],
        cgroupVersion: 2,
        ci: null,
      },
      x86_64Level: 2,
    } satisfies PlatformFacts as PlatformFacts);
    expect(pythonPlatformKey(facts)).toBe("linux-x86_64-musl");
    expect(calls).toEqual([]);
  });

  test("the same ProbeRoots object is computed once; a new one is computed again", async () => {
    const probe = { root: alpineRoot(), os: "linux" as const, env: {}, run: recordingRunner().run };
    const first = getPlatformFacts(probe);
    expect(getPlatformFacts(probe)).toBe(first);
    expect(getPlatformFacts({ ...probe })).not.toBe(first);
  });

  test("the real machine is computed once per process and spawns nothing when root", async () => {
    const a = getPlatformFacts();
    expect(getPlatformFacts()).toBe(a);
    expect(getPlatformFacts({ env: process.env })).toBe(a);
    const facts = await a;
    expect(facts.os).toBe("linux");
    expect(["gnu", "musl"]).toContain(facts.libc.family);
    if (process.getuid?.() === 0) {
      const { calls, run } = recordingRunner();
      await getPlatformFacts({ env: process.env, run });
      expect(calls).toEqual([]);
    }
  });
});

describe("human rendering", () => {
  test("sections are aligned and name the network file system", () => {
    const report: InfoReport = {
      dhtl: { version: "1.2.3", commit: "abc1234", target: "linux-x64" },
      dhtHome: "/home/u/.dht",
      pythonPlatformKey: "linux-x86_64-gnu",
      os: "linux",
      arch: "x86_64",
      kernel: "6.1.0",
      libc: { family: "gnu", version: "2.36", source: "t" },
      packageManagers: [],
      privileges: { root: false, passwordlessSudo: false, sudoAvailable: true },
      container: { kind: null, kinds: [], evidence: [], cgroupVersion: 2, ci: { name: "github-actions" } },
      x86_64Level: 3,
      windows: { longPathsEnabled: false },
      filesystem: { path: "/mnt/nfs/p", type: "nfs4", mountPoint: "/mnt/nfs", source: "srv:/x", network: true, kind: "nfs", via: "mountinfo", exists: false },
    };
    const text = renderInfo(report);
    expect(text).toContain("  libc              glibc 2.36");
    expect(text).toContain("  sudo              asks for a password (not used)");
    expect(text).toContain("  package managers  none found on PATH");
    expect(text).toContain("  type              nfs4 mounted on /mnt/nfs from srv:/x");
    expect(text).toContain("  network           yes");
    expect(text).toContain("/mnt/nfs/p (does not exist yet)");
    expect(text).toContain("long paths        disabled");
    const valueColumns = new Set(text.split("\n").filter((l) => l.startsWith("  ")).map((l) => /^ {2}\S.*?\s{2,}(?=\S)/.exec(l)?.[0].length));
    expect(valueColumns.size).toBe(1);
  });
});
