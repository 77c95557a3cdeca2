/**
 * ensureUv against real things on loopback: a PEP 691/503 index serving the real uv wheel
 * from PyPI, a release mirror (DHT_UV_DOWNLOAD_URL) serving a uv-<triple>.tar.gz made from
 * that wheel's binary, and the binary itself run with --version.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../src/context.ts";
import { DhtError } from "../../src/errors.ts";
import type { OpenedBundle } from "../../src/bundle/types.ts";
import { ensureUv } from "../../src/uv/ensure.ts";
import { UV_VERSION } from "../../src/uv/version.ts";
import { repoRoot, tempDir } from "../helpers/cli.ts";
import { existingWheels, startPypiIndex, type PypiIndex } from "../helpers/pypi-index.ts";
import { sha256Hex, startFileServer, type FileServer } from "../helpers/servers.ts";

const wheels = existingWheels(join(repoRoot, ".cache", "test-assets", "uv"), new RegExp(`^uv-${UV_VERSION.replace(/\./g, "\\.")}-.*\\.whl$`));
const ctxFor = (env: Record<string, string>) => createContext({}, { PATH: "/usr/bin:/bin", ...env }, { stdin: false, stderr: false });
let index: PypiIndex;
let badIndex: PypiIndex;
let release: FileServer;
let uvBinary: string;

beforeAll(async () => {
  if (!wheels.length) return;
  index = await startPypiIndex({ projects: { uv: wheels } });
  badIndex = await startPypiIndex({ projects: { uv: wheels }, corruptSha: true });
  // A release-style archive built from the wheel's real binary.
  const work = tempDir();
  Bun.spawnSync(["unzip", "-q", "-o", wheels[0]!, `uv-${UV_VERSION}.data/scripts/uv`, "-d", work]);
  const top = join(work, "uv-x86_64-unknown-linux-gnu");
  mkdirSync(top);
  uvBinary = join(top, "uv");
  writeFileSync(uvBinary, readFileSync(join(work, `uv-${UV_VERSION}.data`, "scripts", "uv")));
  chmodSync(uvBinary, 0o755);
  const tgz = join(work, "uv-x86_64-unknown-linux-gnu.tar.gz");
  Bun.spawnSync(["tar", "-C", work, "-czf", tgz, "uv-x86_64-unknown-linux-gnu"]);
  const bytes = readFileSync(tgz);
  release = await startFileServer({ files: { "/uv-x86_64-unknown-linux-gnu.tar.gz": bytes, "/uv-x86_64-unknown-linux-gnu.tar.gz.sha256": `${sha256Hex(bytes)}  uv-x86_64-unknown-linux-gnu.tar.gz\n` } });
}, 60_000);
afterAll(async () => {
  index?.stop();
  badIndex?.stop();
  await release?.stop();
});
const skip = () => {
  if (wheels.length) return false;
  console.warn(`the uv ${UV_VERSION} wheel is not in .cache/test-assets/uv (bun scripts/fetch-test-assets.ts): uv tests skipped`);
  return true;
};
const runVersion = (path: string) => Bun.spawnSync([path, "--version"]).stdout.toString();

describe("ensureUv", () => {
  test("takes uv from the configured index's real wheel (sha256 verified), stores it, and reuses it without the network", async () => {
    if (skip()) return;
    const home = tempDir();
    const ctx = ctxFor({});
    const first = await ensureUv({ ctx, home, registries: { indexUrl: index.simpleUrl }, progress: "none" });
    expect(first.source).toBe("index");
    expect(first.path).toBe(join(home, "tools", "uv", UV_VERSION, "uv"));
    expect(runVersion(first.path)).toStartWith(`uv ${UV_VERSION}`);
    expect(first.chain.find((c) => c.step === "index")!.why).toContain("manylinux_2_17_x86_64");
    const requests = index.log.length;
    const second = await ensureUv({ ctx, home, registries: { indexUrl: index.simpleUrl }, progress: "none" });
    expect(second.source).toBe("stored");
    expect(index.log.length).toBe(requests);
  }, 60_000);

  test("an index whose sha256 does not match is refused, and the release mirror (DHT_UV_DOWNLOAD_URL) is used next", async () => {
    if (skip()) return;
    const home = tempDir();
    const r = await ensureUv({ ctx: ctxFor({ DHT_UV_DOWNLOAD_URL: release.origin }), home, registries: { indexUrl: badIndex.simpleUrl }, progress: "none" });
    expect(r.source).toBe("release");
    expect(r.chain.find((c) => c.step === "index")).toMatchObject({ outcome: "failed" });
    expect(r.chain.find((c) => c.step === "index")!.why).toMatch(/[Cc]hecksum mismatch/);
    expect(runVersion(r.path)).toStartWith(`uv ${UV_VERSION}`);
  }, 60_000);

  test("the index comes from PIP_INDEX_URL when no registries are passed", async () => {
    if (skip()) return;
    const home = tempDir();
    const r = await ensureUv({ ctx: ctxFor({ PIP_INDEX_URL: index.simpleUrl }), home, progress: "none" });
    expect(r.source).toBe("index");
    expect(r.chain.find((c) => c.step === "index")!.why).toContain(index.simpleUrl);
  }, 60_000);

  test("without registries passed in, the project's .dhtconfig registries.index_url is used", async () => {
    if (skip()) return;
    const project = tempDir();
    writeFileSync(join(project, ".dhtconfig"), `registries:\n  index_url: ${index.simpleUrl}\n`);
    const ctx = createContext({ cwd: project }, { PATH: "/usr/bin:/bin", HOME: tempDir() }, { stdin: false, stderr: false });
    const r = await ensureUv({ ctx, home: tempDir(), progress: "none" });
    expect(r.source).toBe("index");
    expect(r.chain.find((c) => c.step === "index")!.why).toContain(index.simpleUrl);
  }, 60_000);

  test("a private index with credentials in its URL: the page and the wheel are fetched with them, and they appear nowhere in the chain", async () => {
    if (skip()) return;
    const priv = await startPypiIndex({ projects: { uv: wheels }, auth: { user: "ci", password: "s3cret-token" } });
    try {
      const r = await ensureUv({ ctx: ctxFor({}), home: tempDir(), registries: { indexUrl: priv.simpleUrl.replace("http://", "http://ci:s3cret-token@") }, progress: "none" });
      expect(r.source).toBe("index");
      expect(priv.log.some((l) => l.startsWith("GET /files/") && l.endsWith("200"))).toBe(true);
      expect(JSON.stringify(r.chain)).not.toContain("s3cret-token");
    } finally {
      priv.stop();
    }
  }, 60_000);

  test("an offline bundle's uv is copied in without any network", async () => {
    if (skip()) return;
    const home = tempDir();
    const bundle = { root: "/bundle", uv: (key: string) => (key === "linux-x86_64-gnu" ? { version: UV_VERSION, binary: uvBinary } : undefined) } as unknown as OpenedBundle;
    const r = await ensureUv({ ctx: ctxFor({}), home, offline: true, bundle, progress: "none" });
    expect(r.source).toBe("bundle");
    expect(runVersion(r.path)).toStartWith(`uv ${UV_VERSION}`);
  }, 60_000);

  test("offline, a compatible uv on PATH is used; with none, exit 3 lists every source tried", async () => {
    if (skip()) return;
    const bin = tempDir();
    Bun.spawnSync(["ln", "-s", uvBinary, join(bin, "uv")]);
    const r = await ensureUv({ ctx: ctxFor({ PATH: `${bin}:/usr/bin:/bin` }), home: tempDir(), offline: true, progress: "none" });
    expect(r).toMatchObject({ source: "path", path: join(bin, "uv"), version: UV_VERSION });
    const error = (await ensureUv({ ctx: ctxFor({}), home: tempDir(), offline: true, progress: "none" }).catch((e) => e)) as DhtError;
    expect(error).toBeInstanceOf(DhtError);
    expect(error.code).toBe(3);
    expect(error.hint).toContain("index (skipped): offline mode");
    expect(error.hint).toContain("path (skipped): no uv on PATH");
  }, 60_000);
});
