/**
 * resolvePython in-process, against real interpreters (pyenv) and a real PBS-shaped
 * archive: the offline-bundle step and the documented preference between an interpreter
 * already on the machine and a download.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dirname, join } from "node:path";
import type { OpenedBundle } from "../../src/bundle/types.ts";
import { createContext } from "../../src/context.ts";
import { resolvePython } from "../../src/python/resolve.ts";
import { tempDir } from "../helpers/cli.ts";
import { buildPbsArchive, pyenvRoot, pyenvVersionFor, writeManifestOverride, type PbsArchive } from "../helpers/pbs.ts";
import { startFileServer, type FileServer } from "../helpers/servers.ts";

const v311 = pyenvVersionFor("3.11");
let archive: PbsArchive;
let server: FileServer;
let manifest: string;
beforeAll(async () => {
  if (!v311) return;
  archive = await buildPbsArchive(v311);
  server = await startFileServer({ dir: dirname(archive.path) });
  manifest = await writeManifestOverride(join(tempDir(), "d.json"), server.origin, [archive]);
}, 120_000);
afterAll(async () => server?.stop());

const ctxFor = (env: Record<string, string>) => createContext({}, { PATH: "/usr/bin:/bin", HOME: tempDir(), PYENV_ROOT: pyenvRoot(), ...env }, { stdin: false, stderr: false });
const skip = () => {
  if (v311) return false;
  console.warn("pyenv CPython 3.11 is absent: resolve tests skipped");
  return true;
};

describe("resolvePython", () => {
  test("offline, the bundle's build is installed from the bundle and nothing is downloaded", async () => {
    if (skip()) return;
    const home = tempDir();
    const bundle = { root: "/b", python: (key: string) => (key === "linux-x86_64-gnu" ? { version: v311!, archive: archive.path, sha256: archive.sha256 } : undefined) } as unknown as OpenedBundle;
    const before = server.requests.length;
    const r = await resolvePython(v311, { ctx: ctxFor({ DHT_PYTHON_DOWNLOADS: manifest, DHT_PYTHON_DISCOVERY: "none" }), home, offline: true, bundle, progress: "none" });
    expect(r.source).toBe("bundle");
    expect(r.executable).toBe(join(home, "python", `cpython-${v311}-linux-x86_64-gnu`, "bin", "python3.11"));
    expect(r.chain.map((c) => `${c.step}:${c.outcome}`)).toEqual(["managed:skipped", "bundle:taken"]);
    expect(server.requests.length).toBe(before);
    expect(Bun.spawnSync([r.executable, "-c", "import ssl, venv"]).exitCode).toBe(0);
  }, 120_000);

  test("a minor request prefers an interpreter already on the machine over a download (like uv)", async () => {
    if (skip()) return;
    const before = server.requests.length;
    const r = await resolvePython("3.11", { ctx: ctxFor({ DHT_PYTHON_DOWNLOADS: manifest, DHT_PYTHON_DISCOVERY: "pyenv" }), home: tempDir(), progress: "none" });
    expect(r.source).toBe("system");
    expect(r.executable).toContain(`/versions/${v311}/`);
    expect(server.requests.length).toBe(before);
  }, 60_000);

  test("preference managed (dhtl python install, DHT_PYTHON_PREFERENCE=managed) downloads first", async () => {
    if (skip()) return;
    const r = await resolvePython("3.11", { ctx: ctxFor({ DHT_PYTHON_DOWNLOADS: manifest, DHT_PYTHON_DISCOVERY: "pyenv", DHT_PYTHON_PREFERENCE: "managed" }), home: tempDir(), progress: "none" });
    expect(r.source).toBe("download");
    expect(r.version).toBe(v311!);
  }, 120_000);

  test("an exact request takes the managed build even when the same version is on the machine", async () => {
    if (skip()) return;
    const r = await resolvePython(v311, { ctx: ctxFor({ DHT_PYTHON_DOWNLOADS: manifest, DHT_PYTHON_DISCOVERY: "pyenv" }), home: tempDir(), progress: "none" });
    expect(r.source).toBe("download");
  }, 120_000);

  test("a dead mirror (connection refused) falls through to an interpreter already on the machine, with the reason in the chain", async () => {
    if (skip()) return;
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const deadOrigin = `http://127.0.0.1:${closed.port}`;
    closed.stop(true);
    const dead = await writeManifestOverride(join(tempDir(), "dead.json"), deadOrigin, [], [["3.11.99", "linux-x86_64-gnu", "20990101", "install_only", "tar.gz", "0".repeat(64)]]);
    const r = await resolvePython("3.11.99", { ctx: ctxFor({ DHT_PYTHON_DOWNLOADS: dead, DHT_PYTHON_DISCOVERY: "pyenv" }), home: tempDir(), progress: "none" });
    expect(r.source).toBe("system");
    expect(r.version).toBe(v311!);
    const failed = r.chain.find((c) => c.outcome === "failed");
    expect(failed?.why).toMatch(/CPython 3\.11\.99 from http:\/\/127\.0\.0\.1:\d+\/.*(refused|connect)/i);
  }, 120_000);
});
