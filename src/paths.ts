/**
 * Where dhtl keeps its state. DHT_HOME is short on purpose (Windows path limits).
 *
 *   DHT_HOME/python/<key>/          managed CPython builds (cpython-3.11.7-linux-x86_64-gnu)
 *   DHT_HOME/python/<minor key>     link to the newest installed patch of that minor
 *   DHT_HOME/tools/uv/<version>/    uv binaries
 *   DHT_HOME/cache/sha256/<hex>     downloads, content-addressed
 *   DHT_HOME/venvs/<project-hash>/  venvs of projects that live on network file systems
 *   DHT_HOME/v/<short-hash>/        venvs moved out of too-long paths (Windows)
 *   DHT_HOME/locks/                 cross-process locks that are not per-project
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export function dhtHome(env: Record<string, string | undefined> = process.env, home = homedir()): string {
  const fromEnv = env.DHT_HOME?.trim();
  return fromEnv ? resolve(fromEnv) : join(home, ".dht");
}

export const homePaths = (root: string) => ({
  root,
  python: join(root, "python"),
  tools: join(root, "tools"),
  uv: join(root, "tools", "uv"),
  cache: join(root, "cache"),
  downloads: join(root, "cache", "sha256"),
  venvs: join(root, "venvs"),
  shortVenvs: join(root, "v"),
  locks: join(root, "locks"),
});

/** Per-project state directory: safe to delete at any time. */
export const projectStateDir = (projectRoot: string) => join(projectRoot, ".dht");
