/**
 * `dhtl self update` and `dhtl self uninstall` on a real install: install.sh puts release
 * 1.0.0 into a throw-away HOME, then the installed binary updates itself from a loopback
 * release server (2.0.0 is "latest") and removes itself again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freshHome, listTree, runAsync, removeTempDirs, startReleaseServer, tempDir, type ReleaseServer, type RunResult } from "../helpers/release.ts";

let rel: ReleaseServer;

beforeAll(async () => {
  rel = await startReleaseServer(["1.0.0", "2.0.0"], { latest: "2.0.0" });
}, 120_000);

afterAll(async () => {
  await rel?.stop();
  removeTempDirs();
});

/** install.sh of 1.0.0 into a fresh HOME; returns the HOME and the binary path. */
async function install(options: { modifyPath?: boolean; home?: string } = {}): Promise<{ home: string; bin: string }> {
  const home = options.home ?? freshHome();
  const r = await runAsync(["sh", join(rel.dir("1.0.0"), "install.sh"), "-q"], {
    env: { PATH: "/usr/bin:/bin", HOME: home, ...(options.modifyPath === false ? { DHTL_NO_MODIFY_PATH: "1" } : {}) },
  });
  if (r.code !== 0) throw new Error(`install.sh failed: ${r.stderr}`);
  return { home, bin: join(home, ".local", "bin", "dhtl") };
}

function run(bin: string, args: string[], home: string, env: Record<string, string> = {}, prefix: string[] = []): Promise<RunResult> {
  return runAsync([...prefix, bin, ...args], {
    env: { PATH: "/usr/bin:/bin", HOME: home, DHT_HOME: join(home, "dht-home"), NO_COLOR: "1", DHTL_DOWNLOAD_URL: rel.base, ...env },
    cwd: home,
  });
}

const version = async (bin: string, home: string) => (await run(bin, ["--version"], home)).stdout.trim();

describe("dhtl self update / uninstall", () => {
  test("round trip: install 1.0.0, update to latest (2.0.0) from the mirror, uninstall removes binary, env files and rc lines", async () => {
    const { home, bin } = await install();
    writeFileSync(join(home, ".bashrc"), "alias ll='ls -l'\n");
    // a second install adds the line to the now-existing .bashrc
    await install({ home });
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toContain("dhtl/env");
    expect(await version(bin, home)).toStartWith("dhtl 1.0.0 (");

    const update = await run(bin, ["self", "update"], home);
    expect(update.stderr).not.toContain("error");
    expect(update.code).toBe(0);
    expect(update.stdout).toContain("updated dhtl 1.0.0 → 2.0.0");
    expect(await version(bin, home)).toStartWith("dhtl 2.0.0 (");
    expect(listTree(join(home, ".local", "bin"))).toEqual(["dhtl"]);

    const again = await run(bin, ["self", "update", "--json"], home);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, updated: false, version: "2.0.0" });

    const uninstall = await run(bin, ["self", "uninstall", "--yes"], home);
    expect(uninstall.code).toBe(0);
    expect(existsSync(bin)).toBe(false);
    expect(existsSync(join(home, ".config", "dhtl"))).toBe(false);
    expect(existsSync(join(home, ".config", "fish", "conf.d", "dhtl.fish"))).toBe(false);
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("alias ll='ls -l'\n");
    expect(readFileSync(join(home, ".profile"), "utf8")).not.toContain("dhtl");
    // DHT_HOME stays without --all
    expect(existsSync(join(home, "dht-home"))).toBe(true);
  }, 120_000);

  test("--version pins a release (a downgrade works too) and verifies it against that release's SHA256SUMS", async () => {
    const { home, bin } = await install({ modifyPath: false });
    expect((await run(bin, ["self", "update", "--version", "2.0.0"], home)).code).toBe(0);
    // a mirror whose "latest" lags behind never downgrades by surprise
    mkdirSync(join(rel.root, "lagging", "latest"), { recursive: true });
    writeFileSync(join(rel.root, "lagging", "latest", "VERSION"), "1.0.0\n");
    const lagging = await run(bin, ["self", "update"], home, { DHTL_DOWNLOAD_URL: `${rel.base}/lagging` });
    expect(lagging.code).toBe(0);
    expect(lagging.stdout).toContain("dhtl 2.0.0 is newer than the latest release (1.0.0); use --version 1.0.0 to downgrade");
    expect(await version(bin, home)).toStartWith("dhtl 2.0.0 (");
    const before = rel.server.count("/v1.0.0/SHA256SUMS");
    const down = await run(bin, ["self", "update", "--version", "v1.0.0"], home);
    expect(down.code).toBe(0);
    expect(rel.server.count("/v1.0.0/SHA256SUMS")).toBe(before + 1);
    expect(await version(bin, home)).toStartWith("dhtl 1.0.0 (");
  }, 120_000);

  test("a tampered download is refused and the installed binary is left as it was", async () => {
    const { home, bin } = await install({ modifyPath: false });
    const original = readFileSync(bin);
    rel.server.fault("/v2.0.0/dhtl-linux-x64.tar.gz", { wrongContent: new TextEncoder().encode("not the release") });
    try {
      const r = await run(bin, ["self", "update", "--version", "2.0.0"], home);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Checksum mismatch");
    } finally {
      rel.server.clearFaults();
    }
    expect(readFileSync(bin).equals(original)).toBe(true);
    expect(listTree(join(home, ".local", "bin"))).toEqual(["dhtl"]);
  }, 120_000);

  test("a version that was never released fails with exit 1 naming the URL, and changes nothing", async () => {
    const { home, bin } = await install({ modifyPath: false });
    const r = await run(bin, ["self", "update", "--version", "9.9.9"], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/v9.9.9/SHA256SUMS");
    expect(await version(bin, home)).toStartWith("dhtl 1.0.0");
  }, 60_000);

  test("--from installs a local archive with no network (unshare -rn), verified by the SHA256SUMS beside it", async () => {
    const { home, bin } = await install({ modifyPath: false });
    const archive = join(rel.dir("2.0.0"), "dhtl-linux-x64.tar.gz");
    const r = await run(bin, ["self", "update", "--from", archive], home, { DHTL_DOWNLOAD_URL: "http://127.0.0.1:9/unreachable" }, ["unshare", "-rn"]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(await version(bin, home)).toStartWith("dhtl 2.0.0");
  }, 120_000);

  test("--from without a SHA256SUMS beside the archive is refused with exit 2", async () => {
    const { home, bin } = await install({ modifyPath: false });
    const lonely = tempDir("dhtl-lonely-");
    cpSync(join(rel.dir("2.0.0"), "dhtl-linux-x64.tar.gz"), join(lonely, "dhtl-linux-x64.tar.gz"));
    const r = await run(bin, ["self", "update", "--from", join(lonely, "dhtl-linux-x64.tar.gz")], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("there is no SHA256SUMS beside it");
    expect(await version(bin, home)).toStartWith("dhtl 1.0.0");
  }, 60_000);

  test("--from trusts no SHA256SUMS lying beside the archive: a forged one (unsigned, or signed by another key) is refused, nothing changes", async () => {
    const { home, bin } = await install({ modifyPath: false });
    const evil = tempDir("dhtl-forged-");
    // A two-line script dressed as a release, with checksums that match it.
    const { writeSingleFileTarGz } = await import("../../src/self/archive.ts");
    const script = new TextEncoder().encode("#!/bin/sh\necho 'dhtl 2.0.0 (abc linux-x64)'\n");
    const archive = writeSingleFileTarGz("dhtl", script);
    writeFileSync(join(evil, "dhtl-linux-x64.tar.gz"), archive);
    const sha = new Bun.CryptoHasher("sha256").update(archive).digest("hex");
    writeFileSync(join(evil, "SHA256SUMS"), `${sha}  dhtl-linux-x64.tar.gz\n`);
    const unsigned = await run(bin, ["self", "update", "--from", join(evil, "dhtl-linux-x64.tar.gz")], home);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain("is not signed");
    // Signed, but by someone else's key.
    const { generateKeyPair, loadPrivateKey, serializeSignature, signManifest } = await import("../../src/bundle/sign.ts");
    const other = await generateKeyPair();
    writeFileSync(join(evil, "other.key"), other.privatePem);
    const sig = await signManifest(readFileSync(join(evil, "SHA256SUMS")), await loadPrivateKey(join(evil, "other.key")));
    writeFileSync(join(evil, "SHA256SUMS.sig"), serializeSignature(sig));
    const forged = await run(bin, ["self", "update", "--from", join(evil, "dhtl-linux-x64.tar.gz")], home);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain("does not verify with any trusted release key");
    // The digest given explicitly gets past the checksum, and the header check still refuses the script.
    const given = await run(bin, ["self", "update", "--from", join(evil, "dhtl-linux-x64.tar.gz"), "--sha256", sha], home);
    expect(given.code).toBe(1);
    expect(given.stderr).toContain("is not a dhtl executable for linux-x64: expected elf, found unknown");
    expect(await version(bin, home)).toStartWith("dhtl 1.0.0");
  }, 60_000);

  test("uninstall without --yes and without a terminal refuses with exit 2 and removes nothing", async () => {
    const { home, bin } = await install();
    const before = listTree(home);
    const r = await run(bin, ["self", "uninstall"], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pass --yes");
    expect(listTree(home)).toEqual(before);
  }, 60_000);

  test("uninstall in a terminal asks first: answering n keeps everything, y removes it", async () => {
    const { home, bin } = await install();
    const before = listTree(home);
    // `script` gives the command a real pseudo-terminal, so it is interactive
    const inTerminal = (answer: string) =>
      runAsync(["script", "-qec", `${bin} self uninstall`, "/dev/null"], {
        env: { PATH: "/usr/bin:/bin", HOME: home, DHT_HOME: join(home, "dht-home"), NO_COLOR: "1", TERM: "dumb" },
        stdin: `${answer}\n`,
      });
    const no = await inTerminal("n");
    expect(no.stdout).toContain("Uninstall dhtl? [y/N]");
    expect(no.stdout).toContain("nothing was removed");
    expect(listTree(home)).toEqual(before);
    const yes = await inTerminal("y");
    expect(yes.code).toBe(0);
    expect(existsSync(bin)).toBe(false);
  }, 60_000);

  test("uninstall --all also deletes DHT_HOME; --json lists what was removed", async () => {
    const { home, bin } = await install({ modifyPath: false });
    mkdirSync(join(home, "dht-home", "python"), { recursive: true });
    const r = await run(bin, ["self", "uninstall", "--all", "-y", "--json"], home);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.removed.executable).toBe(bin);
    expect(out.removed.dhtHome).toBe(join(home, "dht-home"));
    expect(existsSync(join(home, "dht-home"))).toBe(false);
    expect(existsSync(bin)).toBe(false);
  }, 60_000);
});
