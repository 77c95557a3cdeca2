/**
 * Builds that need a toolchain the PATH lacks: setup reads the real cause from the
 * installer's output, provides the toolchain in user space, says so, and builds again with it
 * on PATH.
 *  - CMake: the real cmake and ninja wheels from a loopback package index (sha256 from the
 *    index); the package then reports the CMake it was built with.
 *  - Rust: cargo and rustc from Debian's own packages (`apt-get download` + `dpkg-deb -x`,
 *    no root, no system change) for a maturin build; the binary built then runs.
 *  - A C compiler: Zig's clang from the real ziglang wheel on a loopback index, laid as cc and
 *    gcc, for a setuptools C extension; the extension then imports and computes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl, repoRoot } from "../helpers/cli.ts";
import { assetsDir, copyTree, pyenvBin, seededHome, setupEnv, startWheelIndex } from "../helpers/setup-project.ts";

const why = !existsSync(join(assetsDir, "build-tool-wheels")) ? "the cmake/ninja wheels are missing (bun scripts/fetch-test-assets.ts)" : !pyenvBin("3.11") ? "needs CPython 3.11 (pyenv)" : undefined;
if (why) console.error(`skipping the build-toolchain test: ${why}`);
const t = why ? test.skip : test;

describe("build toolchains when a build needs them", () => {
  let idx: Awaited<ReturnType<typeof startWheelIndex>> | undefined;
  /** `dhtl setup` on Python 3.11 with only `bin` besides it on PATH, packages from the loopback index. */
  const setupWith = (home: string, bin: string, root: string, timeoutMs: number) => {
    const env: Record<string, string> = { ...setupEnv(home, ["3.11"], { PIP_INDEX_URL: idx!.indexUrl }), PATH: `${pyenvBin("3.11")}:${bin}` };
    delete env.PIP_NO_INDEX;
    delete env.PIP_FIND_LINKS;
    return dhtl(["setup", "--cwd", root, "--python", "3.11"], { env, timeoutMs });
  };
  beforeAll(async () => {
    if (!why) idx = await startWheelIndex([join(assetsDir, "build-tool-wheels"), join(assetsDir, "uv")]);
  });
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
  (rustWhy ? test.skip : test)("Rust missing: cargo and rustc from the distribution's packages without root, the maturin build retried and its binary runs", async () => {
    const root = copyTree(join(repoRoot, "test", "fixtures", "system", "needs-rust"));
    // The machine's own commands (apt-get, dpkg-deb, cc as the linker) but no Rust: cargo may
    // be in /usr/bin on another machine, and ~/.cargo/bin is not on this PATH.
    const bin = mkdtempSync(join(tmpdir(), "dht-norust-"));
    for (const dir of ["/usr/bin", "/bin"]) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (/^(cargo|rustc|rustup|rustdoc|rust-.*|cargo-.*)$/.test(name) || existsSync(join(bin, name))) continue;
        symlinkSync(join(dir, name), join(bin, name));
      }
    }
    const home = seededHome();
    const r = await setupWith(home, bin, root, 420_000);
    expect(r.stderr).toMatch(/the build needs rust: provided in user space \(rust: cargo \d+\.\d+/);
    expect(r.stderr).toMatch(/apt packages without root: apt-get download/);
    expect(r.code).toBe(0);
    expect(idx!.requests.some((q) => q.includes("maturin-1.7.4"))).toBe(true);
    const out = Bun.spawnSync([join(root, ".venv", "bin", "needs-rust")]);
    expect(out.stdout.toString().trim()).toBe("needs-rust built with 0.1.0");
    expect(existsSync(join(home, "tools", "build", "linux-x86_64-gnu", "bin", "cargo"))).toBe(true);
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
