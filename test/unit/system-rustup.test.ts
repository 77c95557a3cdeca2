import { describe, expect, test } from "bun:test";
import { loadConfigSource } from "../../src/config/load.ts";
import { DhtError } from "../../src/errors.ts";
import { buildSystemPlan, systemRequests } from "../../src/system/plan.ts";
import { DEFAULT_RUST_DIST_SERVER, parseSha256File, rustHostTriple, rustupFailure, rustupInitArgs, rustupServers } from "../../src/system/rustup.ts";
import { systemFactsFixture } from "../helpers/system-facts.ts";

/** Not root: the user-space route is the one planned. */
const facts = () => systemFactsFixture({ privileges: { root: false, passwordlessSudo: false } });
const rustRequests = (yaml = "platform_deps: [rust]\n") => systemRequests(loadConfigSource(yaml).config.platform_deps!, "linux");

describe("rustup: where Rust comes from", () => {
  test("rustup's own variables name the servers; unset, static.rust-lang.org", () => {
    expect(rustupServers({})).toEqual({ dist: DEFAULT_RUST_DIST_SERVER, updateRoot: `${DEFAULT_RUST_DIST_SERVER}/rustup`, origin: "default" });
    expect(rustupServers({ RUSTUP_DIST_SERVER: "https://mirror.example/rust/ ", RUSTUP_UPDATE_ROOT: "https://mirror.example/rust/rustup/" })).toEqual({ dist: "https://mirror.example/rust", updateRoot: "https://mirror.example/rust/rustup", origin: "env RUSTUP_DIST_SERVER" });
    expect(rustupServers({ RUSTUP_DIST_SERVER: "  " }).origin).toBe("default");
  });
  test.each([
    [{ os: "linux", arch: "x86_64", libc: { family: "gnu" } }, "x86_64-unknown-linux-gnu"],
    [{ os: "linux", arch: "aarch64", libc: { family: "musl" } }, "aarch64-unknown-linux-musl"],
    [{ os: "darwin", arch: "aarch64", libc: { family: "none" } }, "aarch64-apple-darwin"],
    [{ os: "windows", arch: "x86_64", libc: { family: "none" } }, "x86_64-pc-windows-msvc"],
  ] as const)("host triple of %o is %s (rustup-init's download path)", (f, triple) => {
    expect(rustHostTriple(f)).toBe(triple);
  });
  test("rustup-init runs unattended and leaves the shell profile alone", () => {
    expect(rustupInitArgs({})).toEqual(["-y", "--no-modify-path", "--profile", "minimal", "--default-toolchain", "stable"]);
    expect(rustupInitArgs({ toolchain: "1.83.0", profile: "default" })).toEqual(["-y", "--no-modify-path", "--profile", "default", "--default-toolchain", "1.83.0"]);
  });
  test("a .sha256 file gives its hex; anything else gives nothing", () => {
    expect(parseSha256File(`${"AB".repeat(32)}  rustup-init\n`)).toBe("ab".repeat(32));
    expect(parseSha256File(`${"0".repeat(64)}\n`)).toBe("0".repeat(64));
    expect(parseSha256File("<html>404</html>")).toBeUndefined();
    expect(parseSha256File(`${"0".repeat(63)}  rustup-init`)).toBeUndefined();
  });
  test("rustup's failure is read from its error lines (real output of a refused connection)", () => {
    const out = "info: profile set to 'minimal'\ninfo: default host triple is x86_64-unknown-linux-gnu\ninfo: syncing channel updates for 'stable-x86_64-unknown-linux-gnu'\nerror: could not download file from 'http://127.0.0.1:9/dist/channel-rust-stable.toml.sha256' to '/tmp/x'\nerror: caused by: error sending request for url (http://127.0.0.1:9/dist/channel-rust-stable.toml.sha256)\n";
    expect(rustupFailure(out)).toBe("error: could not download file from 'http://127.0.0.1:9/dist/channel-rust-stable.toml.sha256' to '/tmp/x' | error: caused by: error sending request for url (http://127.0.0.1:9/dist/channel-rust-stable.toml.sha256)");
    expect(rustupFailure("")).toBe("no output");
  });
});

describe("Rust in the system plan: rustup before the distribution's packages", () => {
  const input = { facts: facts(), flags: {}, installed: {}, onPath: {}, indexUsable: true, platformKey: "linux-x86_64-gnu", rustupDist: "https://mirror.example/rust (env RUSTUP_DIST_SERVER)" };
  test("without root: rustup first (the toolchain from the named server), then apt-get download", () => {
    const [rust] = buildSystemPlan({ ...input, requests: rustRequests() }).items;
    expect(rust!.route).toBe("userspace");
    expect(rust!.userspace.map((s) => [s.source, s.usable])).toEqual([
      ["index", false],
      ["rustup", true],
      ["distro", true],
      ["mirror", false],
      ["source", false],
    ]);
    expect(rust!.userspace[1]!.why).toContain("installs Rust stable from https://mirror.example/rust (env RUSTUP_DIST_SERVER) into DHT_HOME");
  });
  test("offline: rustup is not usable and says why", () => {
    const [rust] = buildSystemPlan({ ...input, flags: { offline: true }, requests: rustRequests() }).items;
    expect(rust!.userspace.find((s) => s.source === "rustup")).toEqual({ source: "rustup", usable: false, why: "offline: rustup needs its distribution server" });
  });
  test("a project's mapping picks the toolchain", () => {
    const [rust] = buildSystemPlan({ ...input, requests: rustRequests("platform_deps:\n  packages: [rust]\n  mapping:\n    rust: {userspace: {rustup: {toolchain: '1.83.0'}}}\n") }).items;
    expect(rust!.userspace.find((s) => s.source === "rustup")!.why).toContain("installs Rust 1.83.0 from");
  });
  test.each([
    ["toolchain: '--help'", "platform_deps.mapping.rust.userspace.rustup.toolchain"],
    ["profile: complete", "platform_deps.mapping.rust.userspace.rustup.profile"],
  ])("a bad rustup setting (%s) is an error naming the field", (setting, field) => {
    let error: unknown;
    try {
      loadConfigSource(`platform_deps:\n  packages: [rust]\n  mapping:\n    rust: {userspace: {rustup: {${setting}}}}\n`, ".dhtconfig");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DhtError);
    expect((error as DhtError).message).toContain(field);
  });
  test("an unknown rustup key is warned about with the key it resembles, as every config key is", () => {
    const { warnings } = loadConfigSource("platform_deps:\n  packages: [rust]\n  mapping:\n    rust: {userspace: {rustup: {toolchains: stable}}}\n", ".dhtconfig");
    expect(warnings).toEqual([expect.objectContaining({ path: ["platform_deps", "mapping", "rust", "userspace", "rustup", "toolchains"], message: 'unknown key, ignored; did you mean "toolchain"?' })]);
  });
});
