/**
 * Getting the pinned uv (src/uv/version.ts) for this platform, into
 * DHT_HOME/tools/uv/<version>/uv. Sources, in order, each logged with why it was used or not:
 *
 *   stored    already in DHT_HOME (checked by running `uv --version`)
 *   bundle    the offline bundle's uv for this platform
 *   index     the uv wheel from the configured package index (PEP 503/691 simple API),
 *             verified against the index's sha256, `uv-<v>.data/scripts/uv` taken out
 *   release   DHT_UV_DOWNLOAD_URL or UV_DOWNLOAD_URL (a mirror of the release assets), else releases.astral.sh
 *             then GitHub: `uv-<triple>.tar.gz` verified against its `.sha256` sidecar
 *   path      a uv already on PATH of a compatible version (same minor or newer)
 *
 * The index is the one dhtl uses for packages (PIP_INDEX_URL, UV_INDEX_URL, UV_DEFAULT_INDEX,
 * pip.conf, uv.toml, .dhtconfig registries; see src/registries), so a machine that can reach
 * its private index can get uv without reaching GitHub.
 */
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { OpenedBundle } from "../bundle/types.ts";
import type { RunContext } from "../context.ts";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import type { NetSettings } from "../net/types.ts";
import { homePaths } from "../paths.ts";
import type { PlatformFacts } from "../platform/types.ts";
import { targetTriple } from "../python/manifest.ts";
import { withFileLock } from "../python/lock.ts";
import { UV_VERSION } from "./version.ts";
import { parseWheelName, pickWheel } from "./wheel-tags.ts";

export interface EnsureUvOptions {
  ctx: RunContext;
  home: string;
  offline?: boolean;
  bundle?: OpenedBundle;
  /** The package indexes in effect (src/registries discoverRegistries); only indexUrl and extras are used. */
  registries?: { indexUrl: string; extraIndexUrls?: string[] };
  /** An index URL when no registries are given (else the environment and PyPI). */
  indexUrl?: string;
  net?: NetSettings;
  /** Injected for tests; default getPlatformFacts. */
  facts?: PlatformFacts;
  log?: (entry: { step: string; outcome: "taken" | "skipped" | "failed"; why: string }) => void;
  progress?: "auto" | "plain" | "none";
  /** The version to get (default UV_VERSION). */
  version?: string;
}

export interface EnsuredUv {
  path: string;
  version: string;
  source: "stored" | "bundle" | "index" | "release" | "path";
  chain: Array<{ step: string; outcome: "taken" | "skipped" | "failed"; why: string }>;
}

export const DEFAULT_UV_RELEASE_BASES = [
  "https://releases.astral.sh/github/uv/releases/download/{version}/",
  "https://github.com/astral-sh/uv/releases/download/{version}/",
];

/** `uv 0.13.9 (abc 2026-01-01)` → "0.13.9". */
export function parseUvVersion(output: string): string | undefined {
  return /\buv\s+(\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** Same minor or newer than the pinned version (uv keeps its CLI stable within a minor). */
export function compatibleUvVersion(found: string, pinned: string): boolean {
  const [a = 0, b = 0] = found.split(".").map(Number);
  const [x = 0, y = 0] = pinned.split(".").map(Number);
  return a > x || (a === x && b >= y);
}

/** The index URL when the registries module was not consulted: env, else PyPI. */
export function indexFromEnv(env: Record<string, string | undefined>): string {
  return env.UV_DEFAULT_INDEX || env.UV_INDEX_URL || env.PIP_INDEX_URL || "https://pypi.org/simple";
}

async function uvVersionOf(binary: string): Promise<string | undefined> {
  try {
    const p = Bun.spawn([binary, "--version"], { stdout: "pipe", stderr: "ignore", stdin: "ignore", timeout: 15_000 });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    return code === 0 ? parseUvVersion(out) : undefined;
  } catch {
    return undefined;
  }
}

const exeName = (os: string) => (os === "windows" ? "uv.exe" : "uv");

/** Copy a verified binary into the store atomically (temp name beside, then rename). */
async function store(binary: string, dest: string): Promise<void> {
  await mkdir(join(dest, ".."), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  await copyFile(binary, tmp);
  await chmod(tmp, 0o755);
  await rename(tmp, dest);
}

/**
 * The binary below dir: a wheel keeps it in `<name>-<v>.data/scripts/`, a release archive in
 * `uv-<triple>/` (the wheel also has a `uv/` Python package directory, hence the file check).
 */
async function findBinary(dir: string, name: string): Promise<string | undefined> {
  const { stat } = await import("node:fs/promises");
  const hits: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const rel = String(entry);
    if (rel.split(/[\\/]/).at(-1) !== name) continue;
    if ((await stat(join(dir, rel))).isFile()) hits.push(rel);
  }
  const best = hits.find((h) => /\.data[\\/]scripts[\\/]/.test(h)) ?? hits[0];
  return best ? join(dir, best) : undefined;
}

export async function ensureUv(opts: EnsureUvOptions): Promise<EnsuredUv> {
  const env = opts.ctx.env;
  const version = opts.version ?? UV_VERSION;
  const chain: EnsuredUv["chain"] = [];
  const record = (step: string, outcome: "taken" | "skipped" | "failed", why: string) => {
    const e = { step, outcome, why };
    chain.push(e);
    opts.log?.(e);
  };
  const facts = opts.facts ?? (await (await import("../platform/index.ts")).getPlatformFacts({ env }));
  const { pythonPlatformKey } = await import("../platform/index.ts");
  const platform = pythonPlatformKey(facts);
  const exe = exeName(facts.os);
  const dir = join(homePaths(opts.home).uv, version);
  const dest = join(dir, exe);
  const done = (source: EnsuredUv["source"], path = dest, v = version): EnsuredUv => ({ path, version: v, source, chain });

  if (existsSync(dest) && (await uvVersionOf(dest)) === version) {
    record("stored", "taken", `uv ${version} is in ${dir}`);
    return done("stored");
  }
  record("stored", "skipped", `uv ${version} is not in ${dir} yet`);

  return withFileLock(join(homePaths(opts.home).locks, `uv-${version}.lock`), async () => {
    if (existsSync(dest) && (await uvVersionOf(dest)) === version) {
      record("stored", "taken", `another dhtl stored uv ${version} meanwhile`);
      return done("stored");
    }
    const downloadOpts = { env, home: opts.home, offline: Boolean(opts.offline), progress: opts.progress ?? ("auto" as const), net: opts.net };
    const work = join(dir, "..", `.tmp-uv-${version}-${process.pid}`);
    // Work dirs of killed runs (we hold the lock: nobody else is using one).
    for (const name of await readdir(join(dir, "..")).catch(() => [] as string[])) {
      if (name.startsWith(`.tmp-uv-${version}-`)) await rm(join(dir, "..", name), { recursive: true, force: true });
    }

    // bundle
    const fromBundle = opts.bundle?.uv(platform);
    if (!opts.bundle) record("bundle", "skipped", "no offline bundle given");
    else if (!fromBundle) record("bundle", "skipped", `the offline bundle has no uv for ${platform}`);
    else if (fromBundle.version !== version) record("bundle", "skipped", `the offline bundle holds uv ${fromBundle.version}, dhtl needs ${version}`);
    else {
      await store(fromBundle.binary, dest);
      if ((await uvVersionOf(dest)) === version) {
        record("bundle", "taken", `copied uv ${version} from the offline bundle (${opts.bundle.root})`);
        return done("bundle");
      }
      await rm(dest, { force: true });
      record("bundle", "failed", "the bundle's uv does not run on this machine");
    }

    const { redactUrl } = await import("../net/redact.ts");
    // index
    const indexes = opts.offline ? [] : await indexesToTry(opts, env);
    if (opts.offline) record("index", "skipped", "offline mode");
    else if (!indexes.length) record("index", "skipped", "the package index is switched off (no-index)");
    else {
      for (const { url: index, auth } of indexes) {
        try {
          const { listFiles } = await import("../net/pypi-index.ts");
          const files = (await listFiles(index, "uv", { env, net: opts.net, auth })).filter((f) => !f.yanked && parseWheelName(f.filename)?.version === version);
          if (!files.length) {
            record("index", "skipped", `${redactUrl(index)} has no uv ${version} wheels`);
            continue;
          }
          const wheel = pickWheel(files, { os: facts.os, arch: facts.arch, libc: facts.libc });
          if (!wheel) {
            record("index", "skipped", `${redactUrl(index)} has no uv ${version} wheel for ${platform}${facts.libc.version ? ` (${facts.libc.family} ${facts.libc.version})` : ""}; it has ${files.map((f) => f.filename).join(", ")}`);
            continue;
          }
          if (!wheel.sha256) {
            record("index", "skipped", `${redactUrl(index)} publishes no sha256 for ${wheel.filename}, so it cannot be verified`);
            continue;
          }
          const { downloadVerified } = await import("../net/download.ts");
          // Files on the index's own host get its credentials too (private indexes serve files themselves).
          const wheelUrl = auth && sameOrigin(wheel.url, index) ? withAuth(wheel.url, auth) : wheel.url;
          const file = await downloadVerified({ url: wheelUrl, sha256: wheel.sha256, label: wheel.filename }, downloadOpts);
          const binary = await unpackBinary(file, work, "zip", exe);
          await store(binary, dest);
          await rm(work, { recursive: true, force: true });
          if ((await uvVersionOf(dest)) !== version) throw new DhtError(ExitCode.failed, `the uv from ${wheel.filename} does not run here or reports another version`);
          record("index", "taken", `${wheel.filename} from ${redactUrl(index)} (sha256 verified)`);
          return done("index");
        } catch (error) {
          await rm(work, { recursive: true, force: true });
          record("index", "failed", `${redactUrl(index)}: ${isDhtError(error) ? error.message : (error as Error).message}`);
        }
      }
    }

    // release
    const triple = targetTriple(platform);
    // UV_DOWNLOAD_URL has the same meaning in uv's own installer (the directory of the archives).
    const custom = (env.DHT_UV_DOWNLOAD_URL || env.UV_DOWNLOAD_URL)?.trim();
    const bases = custom ? [custom.endsWith("/") ? custom : `${custom}/`] : DEFAULT_UV_RELEASE_BASES.map((b) => b.replace("{version}", version));
    if (opts.offline) record("release", "skipped", "offline mode");
    else if (!triple) record("release", "skipped", `no uv release for ${platform}`);
    else {
      const archiveName = `uv-${triple}.${facts.os === "windows" ? "zip" : "tar.gz"}`;
      for (const base of bases) {
        const url = base + archiveName;
        try {
          const sha256 = await fetchSidecar(`${url}.sha256`, env, opts.net);
          const { downloadVerified } = await import("../net/download.ts");
          const file = await downloadVerified({ url, sha256, label: archiveName }, downloadOpts);
          const binary = await unpackBinary(file, work, facts.os === "windows" ? "zip" : "tar.gz", exe);
          await store(binary, dest);
          await rm(work, { recursive: true, force: true });
          if ((await uvVersionOf(dest)) !== version) throw new DhtError(ExitCode.failed, `the uv in ${archiveName} does not run here or reports another version`);
          record("release", "taken", `${redactUrl(url)} (sha256 verified against its .sha256)`);
          return done("release");
        } catch (error) {
          await rm(work, { recursive: true, force: true });
          record("release", "failed", `${redactUrl(url)}: ${isDhtError(error) ? error.message : (error as Error).message}`);
        }
      }
    }

    // path
    const { findOnPath } = await import("../platform/which.ts");
    const onPath = await findOnPath("uv", env, facts.os);
    if (onPath) {
      const found = await uvVersionOf(onPath);
      if (found && compatibleUvVersion(found, version)) {
        record("path", "taken", `${onPath} is uv ${found} (compatible with ${version})`);
        return done("path", onPath, found);
      }
      record("path", "skipped", `${onPath} is uv ${found ?? "(version unknown)"}, older than ${version}`);
    } else record("path", "skipped", "no uv on PATH");

    throw new DhtError(ExitCode.unsatisfiable, `uv ${version} could not be obtained for ${platform}`, {
      subject: "uv",
      hint: `what was tried:\n${chain.map((c) => `    - ${c.step} (${c.outcome}): ${c.why}`).join("\n")}\n\nFix one of: an index that serves the uv wheel (PIP_INDEX_URL or .dhtconfig registries.index_url), DHT_UV_DOWNLOAD_URL pointing at a mirror of uv's release assets, an offline bundle (--offline-bundle), or uv ${version} on PATH.`,
      details: { chain },
    });
  });
}

type IndexAuth = { username: string; password: string };

export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** The URL with the index's credentials (files on the index's own host need them too); never logged. */
export function withAuth(url: string, auth: IndexAuth): string {
  const u = new URL(url);
  u.username = encodeURIComponent(auth.username);
  u.password = encodeURIComponent(auth.password);
  return u.toString();
}

/**
 * The indexes to ask for the uv wheel (and for tool wheels: src/system), with their credentials: the registries passed in,
 * else an explicit indexUrl, else what src/registries discovers for the working directory
 * (env, pip.conf, uv.toml, pyproject), else PyPI. Credentials come from src/registries
 * (URL user info, ${VAR}s, netrc, keyring) and travel as a header, never in messages.
 */
export async function indexesToTry(opts: Pick<EnsureUvOptions, "ctx" | "registries" | "indexUrl">, env: Record<string, string | undefined>): Promise<Array<{ url: string; auth?: IndexAuth }>> {
  let settings = opts.registries as (EnsureUvOptions["registries"] & Partial<import("../registries/types.ts").RegistrySettings>) | undefined;
  if (!settings && !opts.indexUrl) {
    try {
      const { discoverRegistries } = await import("../registries/index.ts");
      const { resolveConfig } = await import("../config/resolve.ts");
      // .dhtconfig registries count too; the requirements files' own index options do not
      // matter for fetching uv (and reading them would parse the whole project).
      const config = await resolveConfig({ cwd: opts.ctx.cwd, env }).catch(() => undefined);
      settings = await discoverRegistries({
        root: config?.projectRoot ?? opts.ctx.cwd,
        env,
        config: config?.config as Parameters<typeof discoverRegistries>[0]["config"],
        configOrigins: config?.origins,
        project: { indexOptions: { extraIndexUrls: [], findLinks: [], trustedHosts: [] } },
      });
    } catch {
      settings = undefined;
    }
  }
  // --no-index (pip/uv configuration): only find-links would be used, and they hold no uv.
  if (settings && "noIndex" in settings && settings.noIndex) return [];
  const urls = settings ? [settings.indexUrl, ...(settings.extraIndexUrls ?? [])] : [opts.indexUrl ?? indexFromEnv(env)];
  let creds: Record<string, IndexAuth> = {};
  if (settings && "origins" in settings && settings.origins) {
    try {
      const { resolveCredentials } = await import("../registries/index.ts");
      creds = await resolveCredentials(settings as import("../registries/types.ts").RegistrySettings, { env });
    } catch {
      creds = {};
    }
  }
  return indexesWithCredentials(urls, creds, env);
}

/**
 * Index URLs as dhtl's own client asks them: `${VAR}`s expanded, user info taken out of the
 * URL into credentials (resolved ones from src/registries first), which travel as a header.
 */
export async function indexesWithCredentials(urls: string[], creds: Record<string, IndexAuth>, env: Record<string, string | undefined>): Promise<Array<{ url: string; auth?: IndexAuth }>> {
  const { splitUserInfo, expandVars } = await import("../registries/url.ts");
  return urls.map((raw) => {
    const parts = splitUserInfo(raw);
    const fromUrl = parts.username !== undefined ? { username: expandVars(parts.username, env, raw), password: expandVars(parts.password ?? "", env, raw) } : undefined;
    const found = creds[raw];
    const auth = found ? { username: found.username, password: found.password } : fromUrl;
    return { url: expandVars(parts.url, env, raw), auth };
  });
}

async function fetchSidecar(url: string, env: Record<string, string | undefined>, net?: NetSettings): Promise<string> {
  const { localSourcePath } = await import("../net/download.ts");
  const local = localSourcePath(url);
  let text: string;
  if (local) text = await Bun.file(local).text();
  else {
    const { httpFetch, httpStatusError } = await import("../net/http.ts");
    const r = await httpFetch(url, {}, { env, net });
    if (!r.ok) throw httpStatusError(url, r);
    text = await r.text();
  }
  const hex = text.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new DhtError(ExitCode.failed, `the checksum file does not start with a sha256`, { subject: url });
  return hex;
}

async function unpackBinary(archive: string, work: string, format: "zip" | "tar.gz", exe: string): Promise<string> {
  const { extractArchive } = await import("../archive/extract.ts");
  await rm(work, { recursive: true, force: true });
  await extractArchive(archive, work, { format });
  const binary = await findBinary(work, exe);
  if (!binary) throw new DhtError(ExitCode.failed, `${exe} is not inside the downloaded archive`, { subject: archive });
  return binary;
}
