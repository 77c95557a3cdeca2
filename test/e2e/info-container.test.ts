/**
 * dhtl info inside a real podman container: an image holding only the dhtl executable and
 * the shared libraries it links (no shell, no /etc/os-release), imported from a tarball
 * because no registry is reachable. Proves container detection from the inside
 * (/run/.containerenv) and libc detection without /bin/sh (well-known loader fallback).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { dhtlBinary, tempDir } from "../helpers/cli.ts";

const podman = Bun.which("podman");
const runtime = Bun.which("runc");
const reason = process.platform !== "linux" ? "needs Linux" : !podman ? "podman is not installed" : !runtime ? "runc is not installed" : undefined;
if (reason) console.warn(`container info tests skipped: ${reason} (apt-get install podman runc)`);

const work = tempDir("dhtl-podman-");
const image = `localhost/dhtl-info-test-${process.pid}-${Date.now()}`;
// The default runtime (crun) and systemd cgroups fail in this environment; runc with cgroupfs works.
const confFile = join(work, "containers.conf");
const podmanEnv = { ...process.env, CONTAINERS_CONF: confFile } as Record<string, string>;

function sh(argv: string[], timeout = 60_000) {
  const r = Bun.spawnSync(argv, { env: podmanEnv, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** The dynamic libraries the binary needs, as ldd lists them (absolute paths only). */
function linkedLibraries(binary: string): string[] {
  const out = sh(["ldd", binary]).stdout;
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

beforeAll(() => {
  if (reason) return;
  writeFileSync(confFile, '[containers]\ndefault_ulimits = []\npids_limit = 0\n[engine]\ncgroup_manager = "cgroupfs"\n');
  const rootfs = join(work, "rootfs");
  for (const dir of ["bin", "tmp"]) mkdirSync(join(rootfs, dir), { recursive: true });
  copyFileSync(dhtlBinary, join(rootfs, "bin", "dhtl"));
  for (const lib of linkedLibraries(dhtlBinary)) {
    mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(rootfs, lib)); // copyFileSync follows symlinks: the real file lands under the link's name
  }
  const tar = join(work, "rootfs.tar");
  const packed = sh(["tar", "-C", rootfs, "-cf", tar, "."]);
  if (packed.code !== 0) throw new Error(`tar failed: ${packed.stderr}`);
  const imported = sh([podman!, "import", tar, image]);
  if (imported.code !== 0) throw new Error(`podman import failed: ${imported.stderr}`);
}, 120_000);

afterAll(() => {
  if (!reason) sh([podman!, "rmi", "-f", image]);
  rmSync(work, { recursive: true, force: true });
});

function runInContainer(args: string[], env: Record<string, string> = {}) {
  const envFlags = Object.entries({ DHT_HOME: "/tmp/dht", ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  return sh([podman!, "--runtime", runtime!, "run", "--rm", "--network=none", ...envFlags, image, "/bin/dhtl", ...args]);
}

describe.skipIf(Boolean(reason))("dhtl info inside a podman container", () => {
  test("reports kind podman from /run/.containerenv, and works (exit 0) in a shell-less image", () => {
    const r = runInContainer(["info", "--json"]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.container.kinds[0]).toBe("podman");
    expect(info.container.evidence).toContain("/run/.containerenv exists");
    expect(info.privileges.root).toBe(true);
    expect(info.packageManagers).toEqual([]);
    expect(info.distro).toBeUndefined();
  }, 60_000);

  test("with no /bin/sh in the image, glibc is found at the well-known loader path with the host's version", () => {
    const info = JSON.parse(runInContainer(["info", "--json"]).stdout);
    const hostGetconf = sh(["getconf", "GNU_LIBC_VERSION"]).stdout.trim();
    expect(info.libc.family).toBe("gnu");
    expect(`glibc ${info.libc.version}`).toBe(hostGetconf);
    expect(info.libc.source).toContain("well-known loader path");
    expect(info.pythonPlatformKey).toBe(`linux-${info.arch}-gnu`);
  }, 60_000);

  test("the container's root file system is reported as an overlay, not a network FS", () => {
    const info = JSON.parse(runInContainer(["info", "--json", "--path", "/tmp"]).stdout);
    expect(info.filesystem).toMatchObject({ path: "/tmp", kind: "overlay", network: false, mountPoint: "/" });
  }, 60_000);
});
