/**
 * Hostile family "faults", end to end through the compiled dhtl: a read-only project, a
 * full disk during a Python download, a flag value that is not one, a failed
 * `python install` inside an unrelated repository. Each fault gets its own message and
 * exit status, and nothing is written where it was not asked for.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl, dhtlBinary, tempDir } from "../helpers/cli.ts";
import { startFileServer } from "../helpers/servers.ts";

const canUnshare = Bun.spawnSync(["unshare", "-rm", "true"]).exitCode === 0;

function project(): string {
  const dir = tempDir("dhtl-faults-");
  mkdirSync(join(dir, ".git"));
  writeFileSync(join(dir, "requirements.txt"), "six\n");
  writeFileSync(join(dir, ".python-version"), "3.11.7\n");
  return dir;
}

describe("faults get their own message", () => {
  test.each(["--isolate=banana", "--prefer-binary=maybe", "--strict=2", "--offline=nope"])("%s is refused (exit 2) with the valid values listed", async (flag) => {
    const r = await dhtl(["setup", flag, "--dry-run"], { cwd: project() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is a switch");
    expect(r.stderr).toContain("true, false, 1, 0, yes, no, on, off");
  });

  test("a failed `dhtl python install` inside an unrelated repository writes no .dht/docker there", async () => {
    const dir = tempDir("dhtl-unrelated-");
    mkdirSync(join(dir, ".git"));
    const home = tempDir("dhtl-home-");
    // A container engine on PATH is what made dhtl write its suggestion files.
    const bin = tempDir("dhtl-bin-");
    writeFileSync(join(bin, "podman"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const r = await dhtl(["python", "install", "3.9.1", "--offline", "--strict"], { cwd: dir, env: { DHT_HOME: home, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.code).not.toBe(0);
    expect(existsSync(join(dir, ".dht"))).toBe(false);
  });

  test("a read-only project: the error says read-only, not 'unexpected error: EROFS'", async () => {
    if (!canUnshare) return console.log("skipped: unshare -rm is not available here");
    const dir = project();
    const home = tempDir("dhtl-home-");
    const script = `mount --bind -o ro "$1" "$1" && exec "$2" setup --cwd "$1"`;
    const proc = Bun.spawn(["unshare", "-rm", "sh", "-c", script, "sh", dir, dhtlBinary], { env: { PATH: process.env.PATH!, HOME: home, DHT_HOME: home, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stderr).toContain("read-only");
    expect(stderr).not.toContain("unexpected error");
  }, 60_000);

  test("a full disk during a Python download: 'the disk is full', exit 1 — not 'no Python matching', exit 3", async () => {
    if (!canUnshare) return console.log("skipped: unshare -rm is not available here");
    const archive = crypto.getRandomValues(new Uint8Array(64 * 1024)).buffer;
    const big = new Uint8Array(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 65536) big.set(new Uint8Array(archive), i);
    const sha = new Bun.CryptoHasher("sha256").update(big).digest("hex");
    const server = await startFileServer({ files: { "/20240107/cpython-3.11.7%2B20240107-x86_64-unknown-linux-gnu-install_only.tar.gz": big } });
    try {
      const work = tempDir("dhtl-enospc-");
      writeFileSync(join(work, "downloads.json"), JSON.stringify({ schema: 1, url_base: `${server.origin}/`, builds: [["3.11.7", "linux-x86_64-gnu", "20240107", "install_only", "tar.gz", sha]] }));
      const home = join(work, "home");
      mkdirSync(home);
      const script = `mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" python install 3.11.7`;
      const proc = Bun.spawn(["unshare", "-rm", "sh", "-c", script, "sh", home, dhtlBinary], {
        cwd: work,
        env: { PATH: process.env.PATH!, HOME: work, DHT_HOME: home, NO_COLOR: "1", NO_PROXY: "127.0.0.1", DHT_PYTHON_DOWNLOADS: join(work, "downloads.json") },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      expect(stderr).toContain("the disk is full");
      expect(stderr).not.toContain("no Python matching");
      expect(code).toBe(1);
    } finally {
      await server.stop();
    }
  }, 60_000);

  test("hostile entry names reach the terminal escaped: bundle inspect, and an extraction error", async () => {
    const { rawTarGz } = await import("../helpers/raw-tar.ts");
    const { writeFixtureBundle } = await import("../helpers/bundle-fixture.ts");
    const { readFileSync } = await import("node:fs");
    const dir = tempDir("dhtl-escape-");
    const good = join(dir, "bundle");
    await writeFixtureBundle(good);
    const manifest = readFileSync(join(good, "manifest.json"));
    const evil = "platforms/\u001b[2J\u001b[31mFAKE OK\u0000\u0007";
    writeFileSync(join(dir, "b.tar.gz"), rawTarGz([{ name: "manifest.json", data: manifest }, { name: evil, data: "x" }]));
    const inspect = await dhtl(["bundle", "inspect", join(dir, "b.tar.gz")], { cwd: dir });
    const out = inspect.stdout + inspect.stderr;
    expect(out).toContain("FAKE OK");
    expect(out).toContain("\\x1b[2J");
    expect(out).not.toContain("\u001b");
    expect(out).not.toContain("\u0007");
    const setup = await dhtl(["setup", "--offline-bundle", join(dir, "b.tar.gz"), "--dry-run"], { cwd: project() });
    expect(setup.stderr).not.toContain("\u001b");
  });

  test(".python-version 3.11.5 with 3.11.7 on the machine: --strict refuses it (exit 3); a normal setup says another patch replaced it", async () => {
    if (!Bun.which("python3.11") && !existsSync("/root/.pyenv/versions/3.11.7/bin/python3")) return console.log("skipped: no CPython 3.11.x other than 3.11.5 here");
    const dir = tempDir("dhtl-patch-");
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".python-version"), "3.11.5\n");
    writeFileSync(join(dir, "requirements.txt"), "");
    const home = tempDir("dhtl-home-");
    const strict = await dhtl(["setup", "--strict", "--offline"], { cwd: dir, env: { DHT_HOME: home } });
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain("3.11.5");
    expect(existsSync(join(dir, ".venv"))).toBe(false);
    const normal = await dhtl(["setup", "--offline"], { cwd: dir, env: { DHT_HOME: home } });
    expect(normal.stderr).toMatch(/Python 3\.11\.5 was requested but is not available; using 3\.11\.\d+/);
  }, 120_000);

  test("a full disk while unpacking a bundle: 'the disk is full', not 'truncated or corrupt, copy the bundle again'", async () => {
    if (!canUnshare) return console.log("skipped: unshare -rm is not available here");
    const { stageFixture } = await import("../helpers/bundle-fixture.ts");
    const { writeBundle } = await import("../../src/bundle/write.ts");
    const random = Buffer.from(crypto.getRandomValues(new Uint8Array(65536)));
    const big = Buffer.concat(Array.from({ length: 48 }, () => random)).toString("base64"); // ~4 MB, incompressible
    const { staging, manifest } = stageFixture({ "platforms/linux-x86_64-gnu/wheels/root/big-1.0-py3-none-any.whl": big });
    const work = tempDir("dhtl-bundle-enospc-");
    const bundle = join(work, "b.tar.gz");
    manifest.platforms[0]!.wheels["."]!.files.push("big-1.0-py3-none-any.whl");
    await writeBundle({ stagingDir: staging, manifest, output: bundle, mtime: 0 });
    const home = join(work, "home");
    mkdirSync(home);
    const dir = project();
    const script = `mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" setup --offline-bundle "$3" --cwd "$4"`;
    const proc = Bun.spawn(["unshare", "-rm", "sh", "-c", script, "sh", home, dhtlBinary, bundle, dir], { env: { PATH: process.env.PATH!, HOME: work, DHT_HOME: home, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stderr).toContain("the disk is full");
    expect(stderr).not.toContain("truncated or corrupt");
  }, 60_000);
});
