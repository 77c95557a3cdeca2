/**
 * A nodejs.org-shaped distribution mirror (`https://nodejs.org/dist` and its mirrors:
 * DHT_NODE_MIRROR, else NODEJS_ORG_MIRROR as nvm and node-gyp read it):
 *
 *   <base>/index.json                      [{version: "v20.10.0", files: ["linux-x64", ...], lts: "Iron" | false}, ...]
 *   <base>/v20.10.0/SHASUMS256.txt         "<sha256>  node-v20.10.0-linux-x64.tar.gz" lines
 *   <base>/v20.10.0/node-v20.10.0-<platform>.tar.gz (.zip on Windows)
 *
 * Parsing is pure; fetching goes through dhtl's HTTP stack (proxies, CAs, file://).
 */
import { DhtError, ExitCode } from "../../errors.ts";
import type { NetSettings } from "../../net/types.ts";
import { fetchText } from "../../net/fetch-text.ts";
import { parseVersion, type Version } from "./version.ts";

export const DEFAULT_NODE_MIRROR = "https://nodejs.org/dist";

export function mirrorBase(env: Record<string, string | undefined>): { base: string; origin: string } {
  const own = env.DHT_NODE_MIRROR?.trim();
  if (own) return { base: own.replace(/\/+$/, ""), origin: "env DHT_NODE_MIRROR" };
  const nvm = env.NODEJS_ORG_MIRROR?.trim();
  if (nvm) return { base: nvm.replace(/\/+$/, ""), origin: "env NODEJS_ORG_MIRROR" };
  return { base: DEFAULT_NODE_MIRROR, origin: "default" };
}

/** nodejs.org's name for this platform ("linux-x64", "darwin-arm64", "win-x64", "linux-x64-musl"). */
export function nodePlatform(facts: { os: string; arch: string; libc: { family: string } }): string {
  const arch = facts.arch === "aarch64" ? "arm64" : "x64";
  if (facts.os === "windows") return `win-${arch}`;
  if (facts.os === "darwin") return `darwin-${arch}`;
  return facts.libc.family === "musl" ? `linux-${arch}-musl` : `linux-${arch}`;
}

/** The index.json `files` entry for an archive of the platform ("osx-arm64-tar", "win-x64-zip", "linux-x64"). */
export function indexFileKey(platform: string): string {
  if (platform.startsWith("darwin-")) return `osx-${platform.slice(7)}-tar`;
  if (platform.startsWith("win-")) return `${platform}-zip`;
  return platform;
}

export const archiveName = (version: string, platform: string) => `node-v${version}-${platform}.${platform.startsWith("win-") ? "zip" : "tar.gz"}`;

export interface DistRelease {
  version: Version;
  lts: string | false;
  files: string[];
}

export function parseDistIndex(text: string): DistRelease[] {
  const data = JSON.parse(text) as Array<{ version?: string; lts?: string | boolean; files?: string[] }>;
  if (!Array.isArray(data)) throw new Error("index.json is not a list");
  const out: DistRelease[] = [];
  for (const r of data) {
    const v = r.version ? parseVersion(r.version) : undefined;
    if (v) out.push({ version: v, lts: typeof r.lts === "string" ? r.lts : false, files: Array.isArray(r.files) ? r.files : [] });
  }
  return out;
}

/** SHASUMS256.txt → file name → sha256. */
export function parseShasums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m) out.set(m[2]!, m[1]!.toLowerCase());
  }
  return out;
}

export async function fetchDistIndex(base: string, env: Record<string, string | undefined>, net?: NetSettings): Promise<DistRelease[]> {
  const url = `${base}/index.json`;
  try {
    return parseDistIndex(await fetchText(url, env, net));
  } catch (error) {
    if (error instanceof DhtError) throw error;
    throw new DhtError(ExitCode.failed, `${url} is not a Node.js distribution index: ${(error as Error).message}`, { subject: url });
  }
}

export async function fetchShasums(base: string, version: string, env: Record<string, string | undefined>, net?: NetSettings): Promise<Map<string, string>> {
  return parseShasums(await fetchText(`${base}/v${version}/SHASUMS256.txt`, env, net));
}
