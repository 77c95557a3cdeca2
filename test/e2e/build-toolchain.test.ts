/**
 * Builds that need a toolchain the PATH lacks: setup reads the real cause from the
 * installer's output, provides the toolchain in user space, says so, and builds again with it
 * on PATH.
 *  - CMake: the real cmake and ninja wheels from a loopback package index (sha256 from the
 *    index); the package then reports the CMake it was built with.
 *  - Rust by rustup: the real rustup wheel from the loopback index installs the real Rust
 *    toolchain from a loopback rustup mirror (RUSTUP_DIST_SERVER), into DHT_HOME, for a maturin
 *    build; the binary built then runs. Without the wheel, rustup-init from RUSTUP_UPDATE_ROOT,
 *    verified against its .sha256 (a tampered one is refused, naming every source tried),
 *    over HTTPS under a private CA that only `proxy.ca_bundle` names.
 *  - Rust from Debian's own packages (`apt-get download` + `dpkg-deb -x`, no root, no system
 *    change) when rustup's server cannot be reached; the binary built then runs.
 *  - A C compiler: Zig's clang from the real ziglang wheel on a loopback index, laid as cc and
 *    gcc, for a setuptools C extension; the extension then imports and computes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl, repoRoot } from "../helpers/cli.ts";
import { startFileServer } from "../helpers/servers.ts";
import { makeTestCa } from "../helpers/tls.ts";
import { assetsDir, copyTree, pyenvBin, seededHome, setupEnv, startWheelIndex, writeProject } from "../helpers/setup-project.ts";

const why = !existsSync(join(assetsDir, "build-tool-wheels")) ? "the cmake/ninja wheels are missing (bun scripts/fetch-test-assets.ts)" : !pyenvBin("3.11") ? "needs CPython 3.11 (pyenv)" : undefined;
if (why) console.error(`skipping the build-toolchain test: ${why}`);
const t = why ? test.skip : test;

describe("build toolchains when a build needs them", () => {
  let idx: Awaited<ReturnType<typeof startWheelIndex>> | undefined;
  /** `dhtl setup` on Python 3.11 with only `bin` besides it on PATH, packages from the loopback index. */
  const setupWith = (home: string, bin: string, root: string, timeoutMs: number, extra: Record<string, string> = {}, index = idx!) => {
    const env: Record<string, string> = { ...setupEnv(home, ["3.11"], { PIP_INDEX_URL: index.indexUrl }), PATH: `${pyenvBin("3.11")}:${bin}`, ...extra };
    delete env.PIP_NO_INDEX;
    delete env.PIP_FIND_LINKS;
    return dhtl(["setup", "--cwd", root, "--python", "3.11", "--no-system"], { env, timeoutMs });
  };
  const rustupWheelDir = join(assetsDir, "rustup-wheel");
  const rustDistDir = join(assetsDir, "rust-dist");
  beforeAll(async () => {
    // The rustup wheel is served too when present: Rust then goes through rustup first.
    if (!why) idx = await startWheelIndex([join(assetsDir, "build-tool-wheels"), join(assetsDir, "uv"), ...(existsSync(rustupWheelDir) ? [rustupWheelDir] : [])]);
  });
  /** A PATH with the machine's own commands (apt-get, dpkg-deb, cc as the linker) but no Rust: cargo may be in /usr/bin on another machine, and ~/.cargo/bin is not on it. */
  const pathWithoutRust = () => {
    const bin = mkdtempSync(join(tmpdir(), "dht-norust-"));
    for (const dir of ["/usr/bin", "/bin"]) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (/^(cargo|rustc|rustup|rustdoc|rust-.*|cargo-.*)$/.test(name) || existsSync(join(bin, name))) continue;
        symlinkSync(join(dir, name), join(bin, name));
      }
    }
    return bin;
  };
  afterAll(() => idx?.stop());

  t("CMake missing: provided from the package index into DHT_HOME, the build retried and it works", async () => {
    const root = copyTree(join(repoRoot, "test", "fixtures", "system", "needs-cmake"));
    // A PATH with the Python and a shell, but no cmake (the machine may have one in /usr/bin).
    const bin = mkdtempSync(join(tmpdir(), "dht-nocmake-"));
    for (const tool of ["sh", "env", "uname"]) symlinkSync(Bun.which(tool)!, join(bin, tool));
    const home = seededHome();
    const r = await setupWith(home, bin, root, 240_000);
    expect(r.stderr).toMatch(/the build needs cmake and ninja: provided in user space \(cmake: cmake version 3\.31\.6/);
    expect(r.code).toBe(0);
    expect(idx!.requests.some((q) => q.includes("cmake-3.31.6"))).toBe(true);
    const out = Bun.spawnSync([join(root, ".venv", "bin", "python"), "-c", "import needs_cmake; print(needs_cmake.CMAKE_VERSION)"]);
    expect(out.stdout.toString().trim()).toBe("3.31.6");
    expect(existsSync(join(home, "tools", "build", "linux-x86_64-gnu", "bin", "cmake"))).toBe(true);
  }, 300_000);

  const rustWhy = !existsSync(join(assetsDir, "build-tool-wheels")) || !readdirSync(join(assetsDir, "build-tool-wheels")).some((f) => f.startsWith("maturin-1.7.4-"))
    ? "the maturin wheel is missing (bun scripts/fetch-test-assets.ts)"
    : !pyenvBin("3.11")
      ? "needs CPython 3.11 (pyenv)"
      : !Bun.which("apt-get")
        ? "needs Debian's apt (the distribution route is what is proven)"
        : undefined;
  if (rustWhy) console.error(`skipping the Rust build-toolchain test: ${rustWhy}`);
  (rustWhy ? test.skip : test)("Rust missing and rustup's server unreachable: cargo and rustc from the distribution's packages without root, the maturin build retried and its binary runs", async () => {
    const root = copyTree(join(repoRoot, "test", "fixtures", "system", "needs-rust"));
    const home = seededHome();
    // rustup's servers on a loopback port nothing listens on: rustup fails, the next source is used.
    const dead = { RUSTUP_DIST_SERVER: "http://127.0.0.1:9", RUSTUP_UPDATE_ROOT: "http://127.0.0.1:9/rustup" };
    const r = await setupWith(home, pathWithoutRust(), root, 420_000, dead);
    expect(r.stderr).toMatch(/rust: rustup did not work \(.*127\.0\.0\.1:9.*\); trying the next source/);
    expect(r.stderr).toMatch(/the build needs rust: provided in user space \(rust: cargo \d+\.\d+/);
    expect(r.stderr).toMatch(/apt packages without root: apt-get download/);
    expect(r.code).toBe(0);
    expect(idx!.requests.some((q) => q.includes("maturin-1.7.4"))).toBe(true);
    const out = Bun.spawnSync([join(root, ".venv", "bin", "needs-rust")]);
    expect(out.stdout.toString().trim()).toBe("needs-rust built with 0.1.0");
    expect(existsSync(join(home, "tools", "build", "linux-x86_64-gnu", "bin", "cargo"))).toBe(true);
  }, 480_000);

  const rustupWhy = rustWhy ?? (!existsSync(join(rustupWheelDir, "rustup-1.29.0.1-py3-none-manylinux_2_17_x86_64.whl")) ? "the rustup wheel is missing (bun scripts/fetch-test-assets.ts)" : !existsSync(join(rustDistDir, "dist", "channel-rust-stable.toml")) ? "the rustup mirror was not built: it needs a rustup-installed stable Rust on this machine (bun scripts/fetch-test-assets.ts says why)" : undefined);
  if (rustupWhy) console.error(`skipping the rustup build-toolchain tests: ${rustupWhy}`);
  (rustupWhy ? test.skip : test)("Rust missing: rustup from the package index installs Rust from the rustup mirror (RUSTUP_DIST_SERVER) into DHT_HOME, the maturin build retried and its binary runs; ~/.rustup and ~/.cargo untouched", async () => {
    const mirror = await startFileServer({ dir: rustDistDir });
    try {
      const root = copyTree(join(repoRoot, "test", "fixtures", "system", "needs-rust"));
      const home = seededHome();
      const userHome = mkdtempSync(join(tmpdir(), "dht-user-"));
      const r = await setupWith(home, pathWithoutRust(), root, 420_000, { HOME: userHome, RUSTUP_DIST_SERVER: mirror.origin });
      expect(r.stderr).toMatch(new RegExp(`installing Rust stable with rustup from ${mirror.origin.replaceAll(".", "\\.")} \\(env RUSTUP_DIST_SERVER\\)`));
      expect(r.stderr).toMatch(/rust: cargo 1\.95\.0 .*from Rust stable from http:\/\/127\.0\.0\.1:\d+ by rustup \(rustup 1\.29\.0\.1 \(rustup-1\.29\.0\.1-py3-none-manylinux_2_17_x86_64\.whl from http:\/\/127\.0\.0\.1:\d+\/simple, sha256 verified\)\)/);
      expect(r.stderr).toMatch(/the build needs rust: provided in user space \(rust: cargo 1\.95\.0/);
      expect(r.stderr).not.toMatch(/apt-get download/);
      expect(r.code).toBe(0);
      expect(idx!.requests.some((q) => q.includes("rustup-1.29.0.1"))).toBe(true);
      // rustup fetched the channel and checked each component against it, from the mirror only.
      const paths = mirror.requests.map((q) => q.path);
      expect(paths).toContain("/dist/channel-rust-stable.toml");
      for (const pkg of ["rustc", "cargo", "rust-std"]) expect(paths.some((p) => p.startsWith(`/dist/`) && p.includes(`/${pkg}-1.95.0-x86_64-unknown-linux-gnu.tar`))).toBe(true);
      const out = Bun.spawnSync([join(root, ".venv", "bin", "needs-rust")]);
      expect(out.stdout.toString().trim()).toBe("needs-rust built with 0.1.0");
      const cargo = join(home, "tools", "build", "linux-x86_64-gnu", "bin", "cargo");
      expect(Bun.spawnSync([cargo, "--version"], { env: { PATH: "/usr/bin:/bin" } }).stdout.toString()).toMatch(/^cargo 1\.95\.0/);
      // rustup installed nothing for the user: no ~/.rustup, no proxies in ~/.cargo/bin (the
      // build's own cargo may keep its package cache in ~/.cargo, as any cargo build does).
      expect(existsSync(join(userHome, ".rustup"))).toBe(false);
      expect(existsSync(join(userHome, ".cargo", "bin"))).toBe(false);
    } finally {
      await mirror.stop();
    }
  }, 480_000);

  (rustupWhy ? test.skip : test)("platform_deps rust without the rustup wheel, from an HTTPS rustup mirror with a private CA (proxy.ca_bundle): rustup-init from RUSTUP_UPDATE_ROOT verified by its .sha256; a tampered one is refused with exit 3 naming each source, then the real one installs", async () => {
    // A corporate mirror: HTTPS under a CA only the project's configuration names. dhtl's own
    // downloads and rustup's both have to trust it.
    const ca = makeTestCa("corporate rust mirror CA");
    const mirror = await startFileServer({ dir: rustDistDir, tls: { cert: ca.cert, key: ca.key } });
    const bare = await startWheelIndex([join(assetsDir, "uv")]);
    try {
      // The project asks for Rust itself; the mapping override keeps the distribution's packages out.
      const root = writeProject({
        "pyproject.toml": '[project]\nname = "wants-rust"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n',
        ".dhtconfig": `proxy:\n  ca_bundle: ${ca.caFile}\nplatform_deps:\n  packages: [rust]\n  mapping:\n    rust:\n      userspace:\n        distro: false\n`,
      });
      const home = seededHome();
      const extra = { RUSTUP_DIST_SERVER: mirror.origin, RUSTUP_UPDATE_ROOT: `${mirror.origin}/rustup` };
      mirror.fault("/rustup/dist/x86_64-unknown-linux-gnu/rustup-init", { wrongContent: new TextEncoder().encode("#!/bin/sh\necho pwned\n") });
      const bad = await setupWith(home, pathWithoutRust(), root, 300_000, extra, bare);
      expect(bad.code).toBe(3);
      expect(bad.stderr).toMatch(/system packages cannot be provided on this machine: rust/);
      expect(bad.stderr).toMatch(/- rustup: rustup-init cannot be had: .*rustup-init from https:\/\/127\.0\.0\.1:\d+\/rustup\/dist\/x86_64-unknown-linux-gnu\/rustup-init: .*sha256/i);
      expect(bad.stderr).toMatch(/- distro: the mapping says distribution packages do not work unpacked/);
      mirror.clearFaults();
      const good = await setupWith(home, pathWithoutRust(), root, 300_000, extra, bare);
      expect(good.stderr).toMatch(/rust: cargo 1\.95\.0 .*from Rust stable from https:\/\/127\.0\.0\.1:\d+ by rustup \(rustup-init from https:\/\/127\.0\.0\.1:\d+\/rustup\/dist\/x86_64-unknown-linux-gnu\/rustup-init \(sha256 verified\)\)/);
      expect(good.code).toBe(0);
      const cargo = Bun.spawnSync([join(root, ".venv", "bin", "cargo"), "--version"], { env: { PATH: "/usr/bin:/bin" } });
      expect(cargo.stdout.toString()).toMatch(/^cargo 1\.95\.0/);
    } finally {
      await mirror.stop();
      bare.stop();
    }
  }, 480_000);

  const ccWhy = !existsSync(join(assetsDir, "build-tool-wheels")) || !readdirSync(join(assetsDir, "build-tool-wheels")).some((f) => f.startsWith("ziglang-0.17.1-"))
    ? "the ziglang wheel is missing (bun scripts/fetch-test-assets.ts)"
    : !pyenvBin("3.11")
      ? "needs CPython 3.11 (pyenv)"
      : undefined;
  if (ccWhy) console.error(`skipping the C compiler build-toolchain test: ${ccWhy}`);
  (ccWhy ? test.skip : test)("no C compiler: zig cc from the package index laid as cc and gcc, the setuptools extension built again and it imports", async () => {
    const root = copyTree(join(repoRoot, "test", "fixtures", "system", "needs-cc"));
    // A shell and the basics, no compiler of any name (the machine has gcc in /usr/bin).
    const bin = mkdtempSync(join(tmpdir(), "dht-nocc-"));
    for (const tool of ["sh", "env", "uname", "ls", "cat", "rm", "mkdir", "cp", "ln"]) if (Bun.which(tool)) symlinkSync(Bun.which(tool)!, join(bin, tool));
    const home = seededHome();
    const r = await setupWith(home, bin, root, 420_000);
    expect(r.stderr).toMatch(/the build needs c-compiler: provided in user space \(c-compiler: .*clang version/);
    expect(r.code).toBe(0);
    expect(idx!.requests.some((q) => q.includes("ziglang-0.17.1"))).toBe(true);
    const out = Bun.spawnSync([join(root, ".venv", "bin", "python"), "-c", "import needs_cc; print(needs_cc.add(2, 40), needs_cc.__file__.endswith('.so'))"]);
    expect(out.stdout.toString().trim()).toBe("42 True");
    for (const tool of ["cc", "gcc", "c++", "g++"]) expect(existsSync(join(home, "tools", "build", "linux-x86_64-gnu", "bin", tool))).toBe(true);
  }, 480_000);
});
