import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, realpathSync } from "node:fs";
import { readElfInterpreter, parseElfInterpreter } from "../../src/platform/elf.ts";
import {
  detectLibc,
  glibcVersionFromText,
  libcFamilyOfLoader,
  muslVersionFromApkDb,
  muslVersionFromLoaderOutput,
  parseLibcOverride,
  realpathUnderRoot,
} from "../../src/platform/libc.ts";
import { resolveProbe } from "../../src/platform/probe.ts";
import type { CommandRunner, ProbeRoots } from "../../src/platform/types.ts";
import { DhtError } from "../../src/errors.ts";
import { buildElf, makeRoot, removeRoots } from "../fixtures/platform/roots.ts";

afterAll(removeRoots);

/** A runner that fails the test if a probe spawns anything. */
const noSpawn: CommandRunner = async (argv) => {
  throw new Error(`unexpected spawn: ${argv.join(" ")}`);
};
/** A runner for fixture roots whose "loaders" are text files: every spawn fails, and is recorded. */
function failingRunner() {
  const calls: string[][] = [];
  const run: CommandRunner = async (argv) => {
    calls.push(argv);
    return { code: 126, stdout: "", stderr: "exec format error" };
  };
  return { calls, run };
}
const probeAt = (root: string, extra: ProbeRoots = {}) => resolveProbe({ root, env: {}, os: "linux", run: noSpawn, ...extra });

describe("ELF interpreter parsing", () => {
  for (const [is64, little] of [[true, true], [true, false], [false, true], [false, false]] as const) {
    test(`reads PT_INTERP from a ${is64 ? 64 : 32}-bit ${little ? "little" : "big"}-endian ELF`, () => {
      const elf = buildElf({ is64, little, interpreter: "/lib/ld-musl-x86_64.so.1" });
      expect(parseElfInterpreter(elf)).toEqual({ kind: "interpreter", path: "/lib/ld-musl-x86_64.so.1" });
    });
  }

  test("an ELF without PT_INTERP is static", () => {
    expect(parseElfInterpreter(buildElf({}))).toEqual({ kind: "static" });
  });

  test("a shell script or garbage is not ELF", () => {
    expect(parseElfInterpreter(new TextEncoder().encode("#!/bin/sh\necho hi\n".repeat(10)))).toEqual({ kind: "not-elf" });
    expect(parseElfInterpreter(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 9, 9, 1, ...new Array(60).fill(0)]))).toEqual({ kind: "not-elf" });
  });

  test("a truncated buffer asks for the bytes the headers point at", () => {
    const elf = buildElf({ interpreter: "/lib64/ld-linux-x86-64.so.2", interpreterOffset: 9000 });
    expect(parseElfInterpreter(elf.subarray(0, 4096))).toEqual({ kind: "need-bytes", bytes: 9000 + "/lib64/ld-linux-x86-64.so.2".length + 1 });
  });

  test("readElfInterpreter follows an interpreter string placed past the first 4 KiB", async () => {
    const root = makeRoot({ "/bin/far": buildElf({ interpreter: "/lib/ld-linux-aarch64.so.1", interpreterOffset: 9000 }) });
    expect(await readElfInterpreter(`${root}/bin/far`)).toEqual({ kind: "interpreter", path: "/lib/ld-linux-aarch64.so.1" });
  });

  test("the real /bin/sh on this machine names a glibc loader", async () => {
    const result = await readElfInterpreter("/bin/sh");
    expect(result.kind).toBe("interpreter");
    expect(libcFamilyOfLoader((result as { path: string }).path)).toBe("gnu");
  });
});

describe("libc detection on fixture roots", () => {
  test("glibc before 2.34: version from the ld-2.31.so name behind an absolute symlink inside the root", async () => {
    const root = makeRoot({
      "/bin/sh": buildElf({ interpreter: "/lib64/ld-linux-x86-64.so.2" }),
      "/lib64/ld-linux-x86-64.so.2": { symlink: "/lib/x86_64-linux-gnu/ld-2.31.so" },
      "/lib/x86_64-linux-gnu/ld-2.31.so": "not really a loader",
    });
    const libc = await detectLibc(probeAt(root));
    expect(libc).toMatchObject({ family: "gnu", version: "2.31" });
    expect(libc.source).toContain("ld-2.31.so");
  });

  test("glibc 2.34+: version from the release string inside the loader, without spawning it", async () => {
    const root = makeRoot({
      "/bin/sh": buildElf({ interpreter: "/lib/ld-linux-aarch64.so.1" }),
      "/lib": { symlink: "usr/lib" },
      "/usr/lib/ld-linux-aarch64.so.1": "\0\0ld.so (Ubuntu GLIBC 2.39-0ubuntu8.3) stable release version 2.39.\0\0",
    });
    expect(await detectLibc(probeAt(root))).toMatchObject({ family: "gnu", version: "2.39" });
  });

  test("glibc: falls back to libc.so.6 next to the loader for the version string", async () => {
    const root = makeRoot({
      "/bin/sh": buildElf({ interpreter: "/lib64/ld-linux-x86-64.so.2" }),
      "/lib64/ld-linux-x86-64.so.2": "stripped",
      "/lib64/libc.so.6": "GNU C Library (GNU libc) stable release version 2.28.",
    });
    expect(await detectLibc(probeAt(root))).toMatchObject({ family: "gnu", version: "2.28" });
  });

  test("musl (Alpine): family from ld-musl-*, version from the apk database", async () => {
    const root = makeRoot({
      "/bin/sh": { symlink: "/bin/busybox" },
      "/bin/busybox": buildElf({ interpreter: "/lib/ld-musl-x86_64.so.1" }),
      "/lib/ld-musl-x86_64.so.1": "musl",
      "/lib/apk/db/installed": "C:Q1abc=\nP:busybox\nV:1.36.1-r15\n\nC:Q1def=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\n\n",
    });
    expect(await detectLibc(probeAt(root))).toMatchObject({ family: "musl", version: "1.2.4" });
  });

  test("a static /bin/sh falls through /usr/bin/env and then to well-known loader paths", async () => {
    const root = makeRoot({ "/bin/sh": buildElf({}), "/usr/bin/env": "#!/bin/sh\n", "/lib/ld-musl-aarch64.so.1": "musl" });
    const { calls, run } = failingRunner();
    const libc = await detectLibc(probeAt(root, { run }));
    expect(libc.family).toBe("musl");
    expect(libc.version).toBeUndefined();
    expect(libc.source).toContain("well-known loader path");
    // With no apk database, the loader itself (inside the root) is asked for its banner.
    expect(calls).toEqual([[`${root}/lib/ld-musl-aarch64.so.1`]]);
  });

  test("/usr/bin/env is tried when /bin/sh is missing", async () => {
    const root = makeRoot({ "/usr/bin/env": buildElf({ interpreter: "/lib/ld-linux-aarch64.so.1" }) });
    const { calls, run } = failingRunner();
    const libc = await detectLibc(probeAt(root, { run }));
    // No version string anywhere: the loader was asked, getconf was not (it speaks for the host, not the root).
    expect(calls).toEqual([[`${root}/lib/ld-linux-aarch64.so.1`, "--version"]]);
    expect(libc.family).toBe("gnu");
    expect(libc.version).toBeUndefined();
    expect(libc.source).toContain("/usr/bin/env");
  });

  test("no loader anywhere reports none instead of guessing", async () => {
    expect((await detectLibc(probeAt(makeRoot({ "/bin/sh": buildElf({}) })))).family).toBe("none");
  });

  test("macOS and Windows have libc none without reading anything", async () => {
    expect((await detectLibc(resolveProbe({ root: "/nonexistent", env: {}, os: "darwin", run: noSpawn }))).family).toBe("none");
    expect((await detectLibc(resolveProbe({ root: "/nonexistent", env: {}, os: "windows", run: noSpawn }))).family).toBe("none");
  });

  test("realpathUnderRoot resolves relative and absolute links without leaving the root", async () => {
    const root = makeRoot({ "/a/b": { symlink: "../c/d" }, "/c/d": { symlink: "/e" }, "/e/f": "x" });
    expect(await realpathUnderRoot(root, "/a/b/f")).toBe("/e/f");
  });
});

describe("DHT_LIBC override", () => {
  test("DHT_LIBC wins over what the files say", async () => {
    const root = makeRoot({ "/bin/sh": buildElf({ interpreter: "/lib64/ld-linux-x86-64.so.2" }) });
    expect(await detectLibc(probeAt(root, { env: { DHT_LIBC: "musl:1.2.5" } }))).toEqual({ family: "musl", version: "1.2.5", source: "env DHT_LIBC" });
  });

  test("accepted spellings: gnu, glibc 2.17, musl, none", () => {
    expect(parseLibcOverride("glibc 2.17")).toMatchObject({ family: "gnu", version: "2.17" });
    expect(parseLibcOverride("GNU")).toMatchObject({ family: "gnu" });
    expect(parseLibcOverride("musl")).toEqual({ family: "musl", source: "env DHT_LIBC" });
    expect(parseLibcOverride("none")).toEqual({ family: "none", source: "env DHT_LIBC" });
  });

  test("an unknown DHT_LIBC value is a usage error naming the variable", () => {
    let error: unknown;
    try {
      parseLibcOverride("uclibc");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DhtError);
    expect((error as DhtError).code).toBe(2);
    expect((error as DhtError).subject).toBe("env DHT_LIBC");
    expect((error as DhtError).hint).toContain("gnu");
  });
});

describe("version strings", () => {
  test("ld.so --version and getconf output both yield the glibc version", () => {
    expect(glibcVersionFromText("ld.so (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\nCopyright")).toBe("2.36");
    expect(glibcVersionFromText("glibc 2.17\n")).toBe("2.17");
    expect(glibcVersionFromText("nothing here")).toBeUndefined();
  });

  test("musl's loader banner and the apk database yield the musl version", () => {
    expect(muslVersionFromLoaderOutput("musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\n")).toBe("1.2.4");
    expect(muslVersionFromApkDb("P:musl-utils\nV:1.2.3-r0\n\nP:musl\nV:1.2.3-r5\n")).toBe("1.2.3");
  });

  test("loader names classify the family", () => {
    expect(libcFamilyOfLoader("/lib/ld-musl-armhf.so.1")).toBe("musl");
    expect(libcFamilyOfLoader("/lib64/ld64.so.2")).toBe("gnu");
    expect(libcFamilyOfLoader("/lib/ld-linux-armhf.so.3")).toBe("gnu");
    expect(libcFamilyOfLoader("/system/bin/linker64")).toBeUndefined();
  });
});

describe("libc on this machine", () => {
  test("a real musl loader (Debian's musl package) reports its version when run, as on Alpine without apk", async () => {
    const realLoader = "/lib/ld-musl-x86_64.so.1";
    if (process.arch !== "x64" || !existsSync(realLoader)) {
      console.warn(`skipped: ${realLoader} is absent (apt-get install musl)`);
      return;
    }
    const expected = /^(\d+\.\d+\.\d+)/.exec(Bun.spawnSync(["dpkg-query", "-W", "-f", "${Version}", "musl"]).stdout.toString())?.[1];
    const root = makeRoot({ "/bin/sh": buildElf({ interpreter: "/lib/ld-musl-x86_64.so.1" }), "/lib/.keep": "" });
    copyFileSync(realpathSync(realLoader), `${root}/lib/ld-musl-x86_64.so.1`);
    chmodSync(`${root}/lib/ld-musl-x86_64.so.1`, 0o755);
    const libc = await detectLibc(resolveProbe({ root, env: {}, os: "linux" }));
    expect(libc).toMatchObject({ family: "musl", version: expected });
    expect(libc.source).toContain("running /lib/ld-musl-x86_64.so.1");
  });

  test("the real system's glibc version matches getconf GNU_LIBC_VERSION, found without spawning", async () => {
    const getconf = Bun.spawnSync(["getconf", "GNU_LIBC_VERSION"]).stdout.toString().trim(); // "glibc 2.36"
    const libc = await detectLibc(resolveProbe({ env: {}, run: noSpawn }));
    expect(libc.family).toBe("gnu");
    expect(`glibc ${libc.version}`).toBe(getconf);
  });
});
