/**
 * install.sh as users run it (`curl … | sh`: the script arrives on stdin), against a real
 * release built by scripts/release.ts and served from 127.0.0.1, into throw-away HOMEs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers/cli.ts";
import { startTinyproxy } from "../helpers/tinyproxy.ts";
import { busyboxOnlyPath, freshHome, listTree, runAsync, removeTempDirs, startReleaseServer, tempDir, type ReleaseServer } from "../helpers/release.ts";

let rel: ReleaseServer;
let script: string; // the released install.sh for 1.0.0, with its sums baked in

beforeAll(async () => {
  rel = await startReleaseServer(["1.0.0", "1.1.0"]);
  script = readFileSync(join(rel.dir("1.0.0"), "install.sh"), "utf8");
}, 120_000);

afterAll(async () => {
  await rel?.stop();
  removeTempDirs();
});

function runInstaller(options: {
  shell?: string[];
  home: string;
  env?: Record<string, string>;
  args?: string[];
  stdinScript?: string;
  prefix?: string[];
  path?: string;
}) {
  const shell = options.shell ?? ["sh"];
  const text = options.stdinScript ?? script;
  // The script arrives on stdin, exactly like `curl … | sh` (or `curl … | sh -s -- args`;
  // posh has no -s, so it is only used when there are arguments).
  const argv = [...(options.prefix ?? []), ...shell, ...(options.args?.length ? ["-s", "--", ...options.args] : [])];
  return runAsync(argv, {
    stdin: text,
    env: { PATH: options.path ?? "/usr/local/bin:/usr/bin:/bin", HOME: options.home, DHTL_DOWNLOAD_URL: rel.base, ...options.env },
    cwd: options.home,
  });
}

function installedVersion(home: string, dir = join(home, ".local", "bin")): string {
  const r = Bun.spawnSync([join(dir, "dhtl"), "--version"]);
  return r.stdout.toString().trim();
}

/** What a new login shell of that kind finds as `dhtl` (proves the PATH set-up works). */
function dhtlOnNewShellPath(home: string, shell: "sh" | "bash" | "zsh" | "fish"): string {
  const argv =
    shell === "fish"
      ? ["fish", "-c", "command -v dhtl"]
      : shell === "sh"
        ? ["sh", "-c", '. "$HOME/.profile"; command -v dhtl']
        : shell === "bash"
          ? ["bash", "-ic", "command -v dhtl"]
          : ["zsh", "-ic", "command -v dhtl"];
  const r = Bun.spawnSync(argv, { env: { PATH: "/usr/bin:/bin", HOME: home, TERM: "dumb" }, cwd: home });
  return r.stdout.toString().trim().split("\n").at(-1) ?? "";
}

describe("install.sh", () => {
  test("passes `shellcheck -s sh`, as the template and as released", async () => {
    for (const file of [join(repoRoot, "install.sh"), join(rel.dir("1.0.0"), "install.sh")]) {
      const r = Bun.spawnSync(["shellcheck", "-s", "sh", file]);
      expect(r.stdout.toString() + r.stderr.toString()).toBe("");
      expect(r.exitCode).toBe(0);
    }
  });

  test("ends with `main ${1+\"$@\"}` after nothing but function definitions (a cut download runs nothing)", async () => {
    const lines = script.trimEnd().split("\n");
    expect(lines.at(-1)).toBe('main ${1+"$@"}');
    // Outside function bodies (a `name() {` line to the next `}` line, both at column 0)
    // there may only be comments, the DHTL_BAKED_* assignments (the sums span lines) and main.
    const outside: string[] = [];
    let inFunction = false;
    for (const line of lines) {
      if (!inFunction && /^[a-z_][a-z0-9_]*\(\) \{$/.test(line)) inFunction = true;
      else if (inFunction && line === "}") inFunction = false;
      else if (!inFunction && line.trim() && !line.startsWith("#")) outside.push(line);
    }
    const statements = outside.filter((l) => !/^DHTL_BAKED_[A-Z]+='/.test(l) && !/^[0-9a-f]{64}  \S+'?$/.test(l));
    expect(statements).toEqual(['main ${1+"$@"}']);
  });

  const shells: [string, string[]][] = [
    ["dash", ["dash"]],
    ["bash", ["bash"]],
    ["busybox ash", ["busybox", "sh"]],
    ["mksh", ["mksh"]],
    ["yash", ["yash"]],
    ["posh", ["posh"]],
    ["zsh", ["zsh"]],
  ];
  for (const [name, shell] of shells) {
    test(`installs, verifies and puts dhtl on PATH when piped into ${name}`, async () => {
      const home = freshHome();
      const r = await runInstaller({ shell, home });
      expect(r.stderr).toContain("verified sha256 of dhtl-linux-x64.tar.gz");
      expect(r.code).toBe(0);
      expect(installedVersion(home)).toStartWith("dhtl 1.0.0 (");
      expect(dhtlOnNewShellPath(home, "sh")).toBe(join(home, ".local", "bin", "dhtl"));
      // nothing left behind: no staging file beside the binary
      expect(listTree(join(home, ".local", "bin"))).toEqual(["dhtl"]);
    }, 60_000);
  }

  test("sets PATH up for bash, zsh and fish through one env file, and a second install changes nothing", async () => {
    const home = freshHome();
    writeFileSync(join(home, ".bashrc"), "# user's bashrc without a final newline");
    writeFileSync(join(home, ".zshrc"), "export FOO=1\n");
    mkdirSync(join(home, ".config", "fish"), { recursive: true });
    expect((await runInstaller({ home })).code).toBe(0);
    const snapshot = () =>
      Object.fromEntries([".profile", ".bashrc", ".zshrc", ".config/dhtl/env", ".config/dhtl/env.fish", ".config/fish/conf.d/dhtl.fish"].map((f) => [f, readFileSync(join(home, f), "utf8")]));
    const first = snapshot();
    expect(first[".bashrc"]).toStartWith("# user's bashrc without a final newline\n[ -f ");
    const bin = join(home, ".local", "bin", "dhtl");
    expect(dhtlOnNewShellPath(home, "bash")).toBe(bin);
    expect(dhtlOnNewShellPath(home, "zsh")).toBe(bin);
    expect(dhtlOnNewShellPath(home, "fish")).toBe(bin);

    const again = await runInstaller({ home });
    expect(again.code).toBe(0);
    expect(snapshot()).toEqual(first);
    for (const rc of [".profile", ".bashrc", ".zshrc"]) {
      expect(first[rc]!.split("\n").filter((l) => l.includes("dhtl/env")).length).toBe(1);
    }
  }, 60_000);

  test("DHTL_NO_MODIFY_PATH=1 installs without touching any startup file", async () => {
    const home = freshHome();
    const r = await runInstaller({ home, env: { DHTL_NO_MODIFY_PATH: "1" } });
    expect(r.code).toBe(0);
    expect(listTree(home)).toEqual([".local/", ".local/bin/", ".local/bin/dhtl"]);
  }, 60_000);

  test("DHTL_INSTALL_DIR chooses the directory, and XDG_BIN_HOME is the default when set", async () => {
    const home = freshHome();
    const custom = join(home, "tools", "bin");
    expect((await runInstaller({ home, env: { DHTL_INSTALL_DIR: custom, DHTL_NO_MODIFY_PATH: "1" } })).code).toBe(0);
    expect(installedVersion(home, custom)).toStartWith("dhtl 1.0.0");
    const home2 = freshHome();
    const xdg = join(home2, "xdg-bin");
    expect((await runInstaller({ home: home2, env: { XDG_BIN_HOME: xdg, DHTL_NO_MODIFY_PATH: "1" } })).code).toBe(0);
    expect(installedVersion(home2, xdg)).toStartWith("dhtl 1.0.0");
  }, 60_000);

  test("DHTL_VERSION pins another release and verifies it against that release's SHA256SUMS", async () => {
    const home = freshHome();
    const before = rel.server.count("/v1.1.0/SHA256SUMS");
    const r = await runInstaller({ home, env: { DHTL_VERSION: "1.1.0" } });
    expect(r.code).toBe(0);
    expect(rel.server.count("/v1.1.0/SHA256SUMS")).toBe(before + 1);
    expect(installedVersion(home)).toStartWith("dhtl 1.1.0 (");
  }, 60_000);

  test("downloads through the proxy in HTTP_PROXY/http_proxy, with curl and with busybox wget", async () => {
    const proxy = await startTinyproxy();
    try {
      const home = freshHome();
      const env = { http_proxy: proxy.url, HTTP_PROXY: proxy.url, DHTL_NO_MODIFY_PATH: "1" };
      const viaCurl = await runInstaller({ home, env });
      expect(viaCurl.code).toBe(0);
      expect(proxy.sawRequestFor("/v1.0.0/dhtl-linux-x64.tar.gz")).toBe(true);
      const mentions = () => proxy.log().split("/v1.0.0/dhtl-linux-x64.tar.gz").length - 1;
      const afterCurl = mentions();
      const home2 = freshHome();
      const before = rel.server.count("/v1.0.0/dhtl-linux-x64.tar.gz");
      const viaWget = await runInstaller({ home: home2, env, path: busyboxOnlyPath() });
      expect(viaWget.code).toBe(0);
      expect(rel.server.count("/v1.0.0/dhtl-linux-x64.tar.gz")).toBe(before + 1);
      expect(mentions()).toBeGreaterThan(afterCurl);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  test("a checksum mismatch installs nothing and says so", async () => {
    const mirror = join(rel.root, "tampered");
    cpSync(rel.dir("1.0.0"), join(mirror, "v1.0.0"), { recursive: true });
    const archive = join(mirror, "v1.0.0", "dhtl-linux-x64.tar.gz");
    const bytes = readFileSync(archive);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(archive, bytes);
    const home = freshHome();
    const r = await runInstaller({ home, env: { DHTL_DOWNLOAD_URL: `${rel.base}/tampered` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("checksum mismatch for dhtl-linux-x64.tar.gz");
    expect(listTree(home)).toEqual([]);
  }, 60_000);

  test("a truncated script installs nothing, wherever the download was cut", async () => {
    const cuts = [0.1, 0.3, 0.5, 0.7, 0.9];
    const lastNewline = script.trimEnd().lastIndexOf("\n");
    const pieces = [...cuts.map((f) => script.slice(0, Math.floor(script.length * f))), script.slice(0, lastNewline + 1)];
    for (const piece of pieces) {
      const home = freshHome();
      await runInstaller({ home, stdinScript: piece });
      expect(listTree(home)).toEqual([]);
    }
  }, 60_000);

  test("works with a busybox-only PATH (busybox wget, sha256sum, tar)", async () => {
    const home = freshHome();
    const r = await runInstaller({ shell: ["sh"], home, path: busyboxOnlyPath() });
    expect(r.stderr).toContain("verified sha256");
    expect(r.code).toBe(0);
    expect(installedVersion(home)).toStartWith("dhtl 1.0.0");
  }, 60_000);

  test("refuses to install when no tool can verify the sha256, unless DHTL_INSECURE_SKIP_VERIFY=1", async () => {
    const path = busyboxOnlyPath(["sha256sum", "shasum", "openssl"]);
    const home = freshHome();
    const r = await runInstaller({ home, path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("none of sha256sum, shasum or openssl is installed");
    expect(listTree(home)).toEqual([]);
    const forced = await runInstaller({ home, path, env: { DHTL_INSECURE_SKIP_VERIFY: "1", DHTL_NO_MODIFY_PATH: "1" } });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain("WITHOUT verifying");
    expect(installedVersion(home)).toStartWith("dhtl 1.0.0");
  }, 60_000);

  test("--archive installs with no network at all (unshare -rn), checked against SHA256SUMS beside it or the baked sums", async () => {
    const home = freshHome();
    const archive = join(rel.dir("1.0.0"), "dhtl-linux-x64.tar.gz");
    const offline = ["unshare", "-rn"];
    const r = await runInstaller({ home, prefix: offline, args: ["--archive", archive], env: { DHTL_DOWNLOAD_URL: "http://127.0.0.1:9/unreachable" } });
    expect(r.stderr).toContain(`against ${join(rel.dir("1.0.0"), "SHA256SUMS")}`);
    expect(r.code).toBe(0);
    expect(installedVersion(home)).toStartWith("dhtl 1.0.0");

    // alone in a directory: the checksums baked into the installer vouch for it
    const lonely = tempDir("dhtl-archive-");
    cpSync(archive, join(lonely, "dhtl-linux-x64.tar.gz"));
    const home2 = freshHome();
    const r2 = await runInstaller({ home: home2, prefix: offline, args: ["--archive", join(lonely, "dhtl-linux-x64.tar.gz")] });
    expect(r2.stderr).toContain("against the checksums of dhtl 1.0.0");
    expect(r2.code).toBe(0);

    // a different release's archive, with nothing to vouch for it: refused
    const other = tempDir("dhtl-archive-");
    cpSync(join(rel.dir("1.1.0"), "dhtl-linux-x64.tar.gz"), join(other, "dhtl-linux-x64.tar.gz"));
    const home3 = freshHome();
    const r3 = await runInstaller({ home: home3, prefix: offline, args: ["--archive", join(other, "dhtl-linux-x64.tar.gz")] });
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain("checksum mismatch");
    expect(listTree(home3)).toEqual([]);
  }, 60_000);

  test("DHTL_DOWNLOAD_URL=file:// installs from a local mirror directory with no network (unshare -rn)", async () => {
    const home = freshHome();
    const r = await runInstaller({ home, prefix: ["unshare", "-rn"], env: { DHTL_DOWNLOAD_URL: `file://${rel.root}`, DHTL_VERSION: "1.1.0" } });
    expect(r.stderr).toContain("verified sha256");
    expect(r.code).toBe(0);
    expect(installedVersion(home)).toStartWith("dhtl 1.1.0");
  }, 60_000);

  test("never executes from $TMPDIR: installs with TMPDIR on a noexec mount", async () => {
    const home = freshHome();
    const noexec = tempDir("dhtl-noexec-");
    // a private mount namespace, so the noexec tmpfs is visible to this run only
    const r = await runInstaller({
      home,
      prefix: ["unshare", "-m", "sh", "-c", `mount -t tmpfs -o noexec tmpfs "${noexec}" && exec "$@"`, "unshare-sh"],
      env: { TMPDIR: noexec },
    });
    expect(r.stderr).not.toContain("Permission denied");
    expect(r.code).toBe(0);
    expect(installedVersion(home)).toStartWith("dhtl 1.0.0");
  }, 60_000);

  test("warns when another dhtl comes first on PATH", async () => {
    const home = freshHome();
    const other = tempDir("dhtl-other-");
    writeFileSync(join(other, "dhtl"), "#!/bin/sh\necho old\n", { mode: 0o755 });
    const r = await runInstaller({ home, path: `${other}:/usr/bin:/bin`, env: { DHTL_NO_MODIFY_PATH: "1" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`another dhtl comes first on your PATH: ${join(other, "dhtl")}`);
  }, 60_000);

  test("--help prints the options and installs nothing; unknown options are refused", async () => {
    const home = freshHome();
    const help = await runInstaller({ home, args: ["--help"] });
    expect(help.code).toBe(0);
    for (const word of ["--archive", "DHTL_INSTALL_DIR", "DHTL_VERSION", "DHTL_DOWNLOAD_URL", "DHTL_NO_MODIFY_PATH", "DHTL_INSECURE_SKIP_VERIFY"]) {
      expect(help.stdout).toContain(word);
    }
    const bad = await runInstaller({ home, args: ["--frobnicate"] });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("unknown option --frobnicate");
    expect(listTree(home)).toEqual([]);
  });

  test("detects musl from `ldd --version` (not only Alpine) and asks for the -musl build", async () => {
    const home = freshHome();
    const fake = tempDir("dhtl-fake-ldd-");
    // musl's ldd prints its banner on stderr and exits 1
    writeFileSync(join(fake, "ldd"), "#!/bin/sh\necho 'musl libc (x86_64)' >&2\necho 'Version 1.2.4' >&2\nexit 1\n", { mode: 0o755 });
    const r = await runInstaller({ home, path: `${fake}:/usr/bin:/bin` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has no build for linux-x64-musl (dhtl-linux-x64-musl.tar.gz is not in its SHA256SUMS)");
    expect(listTree(home)).toEqual([]);
  });

  test("names the target when a release has no build for it", async () => {
    const home = freshHome();
    const r = await runInstaller({ home, env: { DHTL_TARGET: "linux-riscv64" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has no build for linux-riscv64");
    expect(listTree(home)).toEqual([]);
  });

  test("the unreleased template refuses to guess a version, and installs a pinned one from a mirror", async () => {
    const template = readFileSync(join(repoRoot, "install.sh"), "utf8");
    const home = freshHome();
    const r = await runInstaller({ home, stdinScript: template });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unreleased install.sh template");
    const pinned = await runInstaller({ home, stdinScript: template, env: { DHTL_VERSION: "1.1.0", DHTL_NO_MODIFY_PATH: "1" } });
    expect(pinned.code).toBe(0);
    expect(installedVersion(home)).toStartWith("dhtl 1.1.0");
  }, 60_000);

  test("replaces an existing install in place (upgrade) and leaves no staging files", async () => {
    const home = freshHome();
    expect((await runInstaller({ home, env: { DHTL_NO_MODIFY_PATH: "1" } })).code).toBe(0);
    const upgrade = await runInstaller({ home, env: { DHTL_NO_MODIFY_PATH: "1", DHTL_VERSION: "1.1.0" } });
    expect(upgrade.code).toBe(0);
    expect(upgrade.stderr).toMatch(/replaced dhtl 1\.0\.0 \(.*\) with dhtl 1\.1\.0 \(/);
    expect(installedVersion(home)).toStartWith("dhtl 1.1.0");
    expect(listTree(join(home, ".local", "bin"))).toEqual(["dhtl"]);
    expect(existsSync(join(home, ".config"))).toBe(false);
  }, 60_000);
});
