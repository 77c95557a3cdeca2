/**
 * `dhtl python install/find/list/uninstall` end to end: the compiled binary against a
 * loopback "python-build-standalone mirror" serving archives built from pyenv's real
 * CPythons (test/helpers/pbs.ts), selected through a DHT_PYTHON_DOWNLOADS override.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { dhtl, tempDir } from "../helpers/cli.ts";
import { buildPbsArchive, pyenvVersionFor, writeManifestOverride, type PbsArchive } from "../helpers/pbs.ts";
import { startFileServer, type FileServer } from "../helpers/servers.ts";

const v312 = pyenvVersionFor("3.12");
let archive: PbsArchive;
let server: FileServer;
let manifest: string;

beforeAll(async () => {
  if (!v312) return;
  archive = await buildPbsArchive(v312);
  server = await startFileServer({ dir: dirname(archive.path) });
  manifest = await writeManifestOverride(join(tempDir(), "downloads.json"), server.origin, [archive]);
}, 120_000);
afterAll(async () => server?.stop());

const archivePath = () => `/${encodeURIComponent(archive.filename)}`;
const envFor = (home: string, extra: Record<string, string> = {}) => ({ DHT_HOME: home, DHT_PYTHON_DOWNLOADS: manifest, DHT_PYTHON_DISCOVERY: "none", ...extra });
const run = (cmd: string[], env?: Record<string, string>) => {
  const r = Bun.spawnSync(cmd, { env: env ?? { PATH: process.env.PATH ?? "" }, stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString().trim(), err: r.stderr.toString() };
};
const skip = () => {
  if (v312) return false;
  console.warn("pyenv CPython 3.12 is absent: python install e2e tests skipped");
  return true;
};

describe("dhtl python install from a loopback PBS mirror", () => {
  test("installs the exact build: the managed interpreter runs `import ssl, venv`, with BUILD, EXTERNALLY-MANAGED, bin/python, patched sysconfig and the minor link", async () => {
    if (skip()) return;
    const home = tempDir();
    const r = await dhtl(["python", "install", v312!], { env: envFor(home) });
    expect(r.stderr).toContain("downloaded and installed");
    expect(r.code).toBe(0);
    const key = `cpython-${v312}-linux-x86_64-gnu`;
    const dir = join(home, "python", key);
    expect(r.stdout.trim()).toBe(join(dir, "bin", "python3.12"));
    const py = r.stdout.trim();
    expect(run([py, "-c", "import ssl, venv; print(ssl.OPENSSL_VERSION)"]).code).toBe(0);
    // Relocated for real: libpython comes from the install, not from pyenv.
    const maps = run([py, "-c", "print([l.split()[-1] for l in open('/proc/self/maps') if 'libpython' in l][0])"]).out;
    expect(maps).toBe(join(dir, "lib", "libpython3.12.so.1.0"));
    expect(readFileSync(join(dir, "BUILD"), "utf8").trim()).toBe(archive.build);
    expect(readFileSync(join(dir, "lib", "python3.12", "EXTERNALLY-MANAGED"), "utf8")).toContain("[externally-managed]");
    expect(readlinkSync(join(dir, "bin", "python"))).toBe("python3.12");
    expect(run([py, "-c", "import sysconfig; print(sysconfig.get_config_var('LIBDIR'))"]).out).toBe(join(dir, "lib"));
    expect(readlinkSync(join(home, "python", "cpython-3.12-linux-x86_64-gnu"))).toBe(key);
    // A venv made from the minor link works (and would survive a patch upgrade).
    const venv = join(tempDir(), "venv");
    expect(run([join(home, "python", "cpython-3.12-linux-x86_64-gnu", "bin", "python3"), "-m", "venv", "--without-pip", venv]).code).toBe(0);
    expect(run([join(venv, "bin", "python"), "-c", "import sys; print(sys.version_info[:2])"]).out).toBe("(3, 12)");
  }, 120_000);

  test("a second install is a no-op: nothing is downloaded again", async () => {
    if (skip()) return;
    const home = tempDir();
    expect((await dhtl(["python", "install", v312!], { env: envFor(home) })).code).toBe(0);
    const before = server.count(archivePath());
    const again = await dhtl(["python", "install", v312!], { env: envFor(home) });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("installed at");
    expect(server.count(archivePath())).toBe(before);
  }, 120_000);

  test("three concurrent installs of the same version download once and all succeed", async () => {
    if (skip()) return;
    const home = tempDir();
    const before = server.count(archivePath());
    const results = await Promise.all([1, 2, 3].map(() => dhtl(["python", "install", v312!], { env: envFor(home) })));
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(join(home, "python", `cpython-${v312}-linux-x86_64-gnu`, "bin", "python3.12"));
    }
    expect(server.count(archivePath()) - before).toBe(1);
    expect(existsSync(join(home, "locks", `python-cpython-${v312}-linux-x86_64-gnu.lock`))).toBe(false);
  }, 180_000);

  test("a minor request installs the newest build of that minor in the list", async () => {
    if (skip()) return;
    const home = tempDir();
    const r = await dhtl(["python", "install", "3.12", "--json"], { env: envFor(home) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, version: v312, source: "download" });
    expect(out.chain.map((c: { step: string; outcome: string }) => `${c.step}:${c.outcome}`)).toEqual(["managed:skipped", "bundle:skipped", "download:taken"]);
  }, 120_000);

  test("a cut body and a 500 are retried and the install still succeeds", async () => {
    if (skip()) return;
    const home = tempDir();
    server.fault(archivePath(), { status: 500, statusTimes: 1 });
    const first = await dhtl(["python", "install", v312!], { env: envFor(home) });
    expect(first.code).toBe(0);
    const home2 = tempDir();
    server.fault(archivePath(), { cutAfter: 1_000_000, cutTimes: 1 });
    const before = server.count(archivePath());
    const second = await dhtl(["python", "install", v312!], { env: envFor(home2) });
    server.clearFaults();
    expect(second.code).toBe(0);
    expect(server.count(archivePath()) - before).toBeGreaterThanOrEqual(2);
  }, 120_000);
});

test("a slow mirror (1.5 s before the first byte) is waited for, not abandoned", async () => {
  if (skip()) return;
  server.fault(archivePath(), { delayMs: 1500 });
  try {
    const r = await dhtl(["python", "install", v312!], { env: envFor(tempDir()) });
    expect(r.code).toBe(0);
  } finally {
    server.clearFaults();
  }
}, 120_000);

test("an install killed half-way leaves no install behind, and the next install cleans up and succeeds", async () => {
  if (skip()) return;
  const home = tempDir();
  // Simulate the leftovers of a killed run: a temp dir and a lock from a dead process.
  const key = `cpython-${v312}-linux-x86_64-gnu`;
  mkdirSync(join(home, "python", `.tmp-${key}-999999-1`, "bin"), { recursive: true });
  mkdirSync(join(home, "locks"), { recursive: true });
  writeFileSync(join(home, "locks", `python-${key}.lock`), JSON.stringify({ pid: 999999, host: (await import("node:os")).hostname(), since: "2020-01-01T00:00:00Z" }));
  const list = await dhtl(["python", "list", "--json"], { env: envFor(home) });
  expect(JSON.parse(list.stdout).installed).toEqual([]);
  const r = await dhtl(["python", "install", v312!], { env: envFor(home) });
  expect(r.code).toBe(0);
  expect(existsSync(join(home, "python", `.tmp-${key}-999999-1`))).toBe(false);
}, 120_000);

test("--reinstall replaces a damaged install with a verified fresh copy (from the download cache)", async () => {
  if (skip()) return;
  const home = tempDir();
  const first = await dhtl(["python", "install", v312!], { env: envFor(home) });
  const dir = join(home, "python", `cpython-${v312}-linux-x86_64-gnu`);
  const { rmSync } = await import("node:fs");
  rmSync(join(dir, "lib", "python3.12", "EXTERNALLY-MANAGED"));
  const before = server.count(archivePath());
  const r = await dhtl(["python", "install", v312!, "--reinstall"], { env: envFor(home) });
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe(first.stdout.trim());
  expect(existsSync(join(dir, "lib", "python3.12", "EXTERNALLY-MANAGED"))).toBe(true);
  expect(server.count(archivePath())).toBe(before);
  const bad = await dhtl(["python", "install", "3.12", "--reinstall"], { env: envFor(home) });
  expect(bad.code).toBe(2);
}, 120_000);

test("--offline installs from the download cache without touching the network, and fails with exit 3 when the cache lacks it", async () => {
  if (skip()) return;
  const home = tempDir();
  await dhtl(["python", "install", v312!], { env: envFor(home) });
  await dhtl(["python", "uninstall", v312!], { env: envFor(home) });
  const before = server.requests.length;
  const r = await dhtl(["python", "install", v312!, "--offline"], { env: envFor(home) });
  expect(r.code).toBe(0);
  expect(server.requests.length).toBe(before);
  const cold = await dhtl(["python", "install", v312!, "--offline", "--strict"], { env: envFor(tempDir(), { PATH: "/usr/bin:/bin" }), cwd: tempDir() });
  expect(cold.code).toBe(3);
  expect(cold.stderr).toContain("offline mode forbids fetching");
  expect(server.requests.length).toBe(before);
}, 120_000);

test("install without a request outside a project is a usage error that says what to do", async () => {
  const r = await dhtl(["python", "install"], { env: { DHT_HOME: tempDir() }, cwd: tempDir() });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("which Python? give a version");
  expect(r.stderr).toContain("dhtl python pin 3.12");
});

test("an old-style `full` build (tar.zst, the install under python/install/) is installed from its install/ dir", async () => {
  if (skip()) return;
  const full = await buildPbsArchive(v312!, undefined, "full");
  const srv = await startFileServer({ dir: dirname(full.path) });
  try {
    const m = await writeManifestOverride(join(tempDir(), "full.json"), srv.origin, [full]);
    const home = tempDir();
    const r = await dhtl(["python", "install", v312!], { env: envFor(home, { DHT_PYTHON_DOWNLOADS: m }) });
    expect(r.code).toBe(0);
    const dir = join(home, "python", `cpython-${v312}-linux-x86_64-gnu`);
    expect(existsSync(join(dir, "PYTHON.json"))).toBe(false);
    expect(Bun.spawnSync([join(dir, "bin", "python3"), "-c", "import ssl, venv"]).exitCode).toBe(0);
  } finally {
    await srv.stop();
  }
}, 120_000);

describe("mirrors", () => {
  // The embedded list's shape with GitHub URLs (derived from the naming rule), as users have it.
  const githubManifest = async () => {
    const file = join(tempDir(), "github.json");
    writeFileSync(file, JSON.stringify({ schema: 1, url_base: "https://github.com/astral-sh/python-build-standalone/releases/download/", builds: [[v312, "linux-x86_64-gnu", archive.build, "install_only", "tar.gz", archive.sha256]] }));
    return file;
  };
  const mirrorTree = () => {
    const dir = tempDir();
    mkdirSync(join(dir, archive.build));
    symlinkSync(archive.path, join(dir, archive.build, archive.filename));
    return dir;
  };

  test("DHT_PYTHON_MIRROR replaces the GitHub prefix: the build is fetched from <mirror>/<build>/<file>", async () => {
    if (skip()) return;
    const mirror = await startFileServer({ dir: mirrorTree() });
    try {
      const r = await dhtl(["python", "install", v312!], { env: envFor(tempDir(), { DHT_PYTHON_DOWNLOADS: await githubManifest(), DHT_PYTHON_MIRROR: mirror.origin }) });
      expect(r.code).toBe(0);
      expect(mirror.requests.map((q) => q.path)).toContain(`/${archive.build}/${encodeURIComponent(archive.filename)}`);
    } finally {
      await mirror.stop();
    }
  }, 120_000);

  test("a directory works as a mirror (UV_PYTHON_INSTALL_MIRROR is honoured too)", async () => {
    if (skip()) return;
    const r = await dhtl(["python", "install", v312!], { env: envFor(tempDir(), { DHT_PYTHON_DOWNLOADS: await githubManifest(), UV_PYTHON_INSTALL_MIRROR: mirrorTree() }) });
    expect(r.code).toBe(0);
    expect(Bun.spawnSync([r.stdout.trim(), "-c", "import ssl"]).exitCode).toBe(0);
  }, 120_000);
});

describe("the resolution chain", () => {
  test("patch fallback: a listed 3.12.x whose download is missing falls back to the nearest patch with a warning naming both", async () => {
    if (skip()) return;
    const home = tempDir();
    const m = await writeManifestOverride(join(tempDir(), "d.json"), server.origin, [archive], [["3.12.9", "linux-x86_64-gnu", "20990101", "install_only", "tar.gz", "0".repeat(64), `${server.origin}/missing-3.12.9.tar.gz`]]);
    const r = await dhtl(["python", "install", "3.12.9"], { env: envFor(home, { DHT_PYTHON_DOWNLOADS: m }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("HTTP 404");
    expect(r.stderr).toContain(`Python 3.12.9 was requested but is not available; using ${v312}`);
    expect(r.stdout.trim()).toContain(`cpython-${v312}-linux-x86_64-gnu`);
  }, 120_000);

  test("--strict disables the patch fallback: exit 3 with the install guide", async () => {
    if (skip()) return;
    const home = tempDir();
    const r = await dhtl(["python", "install", "3.12.9", "--strict"], { env: envFor(home, { PATH: "/usr/bin:/bin" }), cwd: tempDir() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no Python matching 3.12.9");
    expect(r.stderr).toContain("patch-fallback (skipped): --strict");
    expect(r.stderr).toContain("apt-get install -y python3.12 python3.12-venv");
    expect(r.stderr).toContain("dhtl setup --offline-bundle");
    expect(r.stderr).toContain("DHT_PYTHON_MIRROR=");
    expect(existsSync(join(home, "python", `cpython-${v312}-linux-x86_64-gnu`))).toBe(false);
  }, 60_000);

  test("python install with a dead mirror (connection refused) fails with exit 1 naming the URL, and the hint names the machine's interpreter setup would use", async () => {
    const v311 = pyenvVersionFor("3.11");
    if (!v311) return void console.warn("pyenv CPython 3.11 is absent: dead-mirror test skipped");
    const home = tempDir();
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const deadOrigin = `http://127.0.0.1:${closed.port}`;
    closed.stop(true);
    const m = await writeManifestOverride(join(tempDir(), "d.json"), deadOrigin, [], [["3.11.99", "linux-x86_64-gnu", "20990101", "install_only", "tar.gz", "0".repeat(64)]]);
    const r = await dhtl(["python", "install", "3.11.99", "-v"], { env: envFor(home, { DHT_PYTHON_DOWNLOADS: m, DHT_PYTHON_DISCOVERY: "pyenv" }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CPython 3\.11\.99 was not installed: .*http:\/\/127\.0\.0\.1:\d+\/.*(refused|connect)/i);
    expect(r.stderr).toContain(`/versions/${v311}/bin/python3 (CPython ${v311}, already on this machine)`);
    expect(r.stdout).toBe("");
  }, 120_000);

  test("--container generates Dockerfile.dev and wrappers for the exact version and reports the wrapper", async () => {
    const home = tempDir();
    const project = tempDir();
    const r = await dhtl(["python", "install", "3.10.99", "--strict", "--container"], { env: envFor(home), cwd: project });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(project, ".dht", "docker", "bin", "python"));
    expect(readFileSync(join(project, ".dht", "docker", "Dockerfile.dev"), "utf8")).toContain("FROM docker.io/library/python:3.10.99-slim");
    expect(lstatSync(join(project, ".dht", "docker", "bin", "python")).mode & 0o111).toBeGreaterThan(0);
    expect(r.stderr).toContain("runs CPython 3.10.99 in a container");
  }, 60_000);

  test("with docker on PATH but no --container the container is only suggested (no files written), and the command fails with exit 3", async () => {
    const home = tempDir();
    const project = tempDir();
    const bin = tempDir();
    writeFileSync(join(bin, "docker"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    writeFileSync(join(project, "pyproject.toml"), '[project]\nname = "app"\nversion = "0"\n');
    // Only our fake docker: podman may be installed in /usr/bin on this machine.
    for (const tool of ["sh", "id", "dirname"]) if (Bun.which(tool)) Bun.spawnSync(["ln", "-s", Bun.which(tool)!, join(bin, tool)]);
    const r = await dhtl(["python", "install", "3.10.99", "--strict"], { env: envFor(home, { PATH: bin }), cwd: project });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("docker is installed: --container would run python:3.10.99-slim");
    expect(r.stderr).toContain("dhtl python install 3.10.99 --container");
    // `python install` may run in any repository: it writes container files only when asked.
    expect(existsSync(join(project, ".dht", "docker"))).toBe(false);
  }, 60_000);

  test("a checksum mismatch on the mirror is a failed step, not a crash, and nothing is installed", async () => {
    if (skip()) return;
    const home = tempDir();
    const m = await writeManifestOverride(join(tempDir(), "d.json"), server.origin, [{ ...archive, sha256: "1".repeat(64) }]);
    const r = await dhtl(["python", "install", v312!, "--strict"], { env: envFor(home, { DHT_PYTHON_DOWNLOADS: m, PATH: "/usr/bin:/bin" }), cwd: tempDir() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("download (failed)");
    expect(r.stderr).toMatch(/[Cc]hecksum mismatch/);
    expect(existsSync(join(home, "python", `cpython-${v312}-linux-x86_64-gnu`))).toBe(false);
  }, 60_000);
});

describe("find, list, uninstall", () => {
  test("find prefers the installed managed build, --explain shows the steps, and find never downloads", async () => {
    if (skip()) return;
    const home = tempDir();
    const before = server.count(archivePath());
    const miss = await dhtl(["python", "find", "3.12", "--explain"], { env: envFor(home, { PATH: "/usr/bin:/bin" }) });
    expect(miss.code).toBe(3);
    expect(miss.stderr).toContain("this command does not download");
    expect(server.count(archivePath())).toBe(before);
    await dhtl(["python", "install", v312!], { env: envFor(home) });
    const hit = await dhtl(["python", "find", "3.12", "--explain"], { env: envFor(home) });
    expect(hit.code).toBe(0);
    expect(hit.stdout.trim()).toBe(join(home, "python", `cpython-${v312}-linux-x86_64-gnu`, "bin", "python3.12"));
    expect(hit.stderr).toMatch(/managed\s+taken/);
  }, 120_000);

  test("find uses system interpreters from the discovery cache and still answers when a cached interpreter changes", async () => {
    const v311 = pyenvVersionFor("3.11");
    if (!v311) return;
    const home = tempDir();
    const env = { DHT_HOME: home, DHT_PYTHON_DISCOVERY: "pyenv" };
    const first = await dhtl(["python", "find", "3.11"], { env });
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toContain(`/versions/${v311}/bin/python3`);
    const cache = JSON.parse(readFileSync(join(home, "cache", "interpreters.json"), "utf8"));
    const entry = cache.entries[first.stdout.trim()];
    expect(entry.info.version).toBe(v311);
    expect(entry.info.ensurepip).toBe(true);
    // A stale entry (size changed) is re-queried, not trusted.
    entry.size = 1;
    entry.info.version = "3.11.0";
    writeFileSync(join(home, "cache", "interpreters.json"), JSON.stringify(cache));
    const second = await dhtl(["python", "find", "3.11", "--json"], { env });
    expect(JSON.parse(second.stdout).version).toBe(v311);
  }, 60_000);

  test("list --json shows installed builds with their minor link and the builds available for this platform", async () => {
    if (skip()) return;
    const home = tempDir();
    await dhtl(["python", "install", v312!], { env: envFor(home) });
    const r = await dhtl(["python", "list", "--json"], { env: envFor(home) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.platform).toBe("linux-x86_64-gnu");
    expect(out.installed[0]).toMatchObject({ version: v312, minorLink: "cpython-3.12-linux-x86_64-gnu" });
    expect(out.available).toEqual([expect.objectContaining({ version: v312, installed: true })]);
  }, 120_000);

  test("uninstall removes the build and its minor link; a second uninstall fails clearly", async () => {
    if (skip()) return;
    const home = tempDir();
    await dhtl(["python", "install", v312!], { env: envFor(home) });
    const r = await dhtl(["python", "uninstall", "3.12"], { env: envFor(home) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed cpython-${v312}-linux-x86_64-gnu`);
    expect(existsSync(join(home, "python", `cpython-${v312}-linux-x86_64-gnu`))).toBe(false);
    expect(() => lstatSync(join(home, "python", "cpython-3.12-linux-x86_64-gnu"))).toThrow();
    const again = await dhtl(["python", "uninstall", "3.12"], { env: envFor(home) });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no managed Python matching 3.12 is installed");
  }, 120_000);

  test("find without a request uses the project's pin and --explain names where it came from", async () => {
    const v311 = pyenvVersionFor("3.11");
    if (!v311) return;
    const project = tempDir();
    writeFileSync(join(project, ".python-version"), "3.11\n");
    const r = await dhtl(["python", "find", "--explain"], { cwd: project, env: { DHT_HOME: tempDir(), DHT_PYTHON_DISCOVERY: "pyenv" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("request: 3.11 (from .python-version:1)");
    expect(r.stdout.trim()).toContain(`/versions/${v311}/bin/python3`);
  });

  test("pin writes .python-version, and a bad request is a usage error", async () => {
    const project = tempDir();
    const r = await dhtl(["python", "pin", "3.12"], { cwd: project, env: { DHT_HOME: tempDir() } });
    expect(r.code).toBe(0);
    expect(readFileSync(join(project, ".python-version"), "utf8")).toBe("3.12\n");
    const bad = await dhtl(["python", "pin", "3.x"], { cwd: project, env: { DHT_HOME: tempDir() } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid Python version request "3.x"');
  });
});
