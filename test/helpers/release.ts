/**
 * Real releases for installer and self-update tests: built by scripts/release.ts (the
 * same code path as `bun run release`), linux-x64 only and at gzip level 1 for speed,
 * laid out as a release server expects (<root>/v<version>/…, <root>/latest/…) and served
 * from 127.0.0.1 on a random port by test/helpers/servers.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRelease } from "../../scripts/release.ts";
import { startFileServer, type FileServer } from "./servers.ts";

/**
 * Temp dirs made by these helpers. Installs are ~110 MB each, so every test file that uses
 * them calls removeTempDirs() in afterAll: leaving them "for the OS" fills the disk.
 */
const created: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface ReleaseServer {
  server: FileServer;
  root: string;
  /** Base URL for DHTL_DOWNLOAD_URL. */
  base: string;
  dir(version: string): string;
  /** release.key / release.pub: the key the releases are signed with. */
  keyDir: string;
  stop(): Promise<void>;
}

export async function startReleaseServer(versions: string[], options: { latest?: string } = {}): Promise<ReleaseServer> {
  const root = tempDir("dhtl-releases-");
  const server = await startFileServer({ dir: root });
  const base = server.origin;
  // Releases are signed like real ones: the public key is built into the executables, and
  // SHA256SUMS.sig lies beside SHA256SUMS.
  const { generateKeyPair } = await import("../../src/bundle/sign.ts");
  const keys = await generateKeyPair();
  const keyDir = tempDir("dhtl-release-key-");
  writeFileSync(join(keyDir, "release.key"), keys.privatePem);
  writeFileSync(join(keyDir, "release.pub"), keys.publicPem);
  for (const version of versions) {
    await makeRelease({
      version,
      targets: ["linux-x64"],
      outDir: join(root, `v${version}`),
      releaseBase: base,
      level: 1,
      log: () => {},
      signingKey: join(keyDir, "release.key"),
      releaseKeys: keys.publicPem,
    });
  }
  if (options.latest) cpSync(join(root, `v${options.latest}`), join(root, "latest"), { recursive: true });
  return {
    server,
    root,
    base,
    dir: (version) => join(root, `v${version}`),
    keyDir,
    // the releases are ~65 MB per version: stopping the server also deletes them
    stop: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A fresh HOME with nothing in it (no rc files), for one install. */
export function freshHome(): string {
  return tempDir("dhtl-home-");
}

/**
 * A PATH directory holding only busybox applets (plus anything in `extra`), optionally
 * without some applets (e.g. the sha256 tools).
 */
export function busyboxOnlyPath(omit: string[] = []): string {
  const dir = tempDir("dhtl-busybox-");
  const busybox = Bun.which("busybox");
  if (!busybox) throw new Error("busybox is not installed (apt-get install busybox)");
  const applets = Bun.spawnSync([busybox, "--list"]).stdout.toString().split("\n").filter(Boolean);
  mkdirSync(dir, { recursive: true });
  for (const applet of applets) if (!omit.includes(applet)) symlinkSync(busybox, join(dir, applet));
  return dir;
}

export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(prefix + e.name + (e.isDirectory() ? "/" : ""));
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
    }
  };
  walk(dir, "");
  return out.sort();
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a process without blocking the test's event loop: the release server lives in the
 * test process, so a spawnSync'd curl or `dhtl self update` would wait for it forever.
 */
export async function runAsync(
  argv: string[],
  options: { env: Record<string, string>; cwd?: string; stdin?: string; timeoutMs?: number },
): Promise<RunResult> {
  const proc = Bun.spawn(argv, {
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeoutMs ?? 120_000,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
