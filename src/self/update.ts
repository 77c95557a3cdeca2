/**
 * `dhtl self update`: fetch a release for this executable's target, verify it against the
 * release's SHA256SUMS — signed with the release key built into this dhtl when there is one
 * (release-trust.ts) — read the executable out of it as a bounded stream, check its header
 * (format, CPU, loader) for this target, and swap it in (replace.ts).
 *
 * Sources, in order: --from FILE (a local archive with SHA256SUMS beside it: air-gapped
 * hosts), else <base>/v<version>/ where base is DHTL_DOWNLOAD_URL or the release base baked
 * in at build time, and version is --version or the one named by <base>/latest/VERSION.
 * Downloads go through src/net (proxy, CA, retries, sha256 before use, DHT_HOME cache).
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DhtError, ExitCode, isDhtError, usageError } from "../errors.ts";
import { dhtHome } from "../paths.ts";
import type { RunContext } from "../context.ts";
import { readExecutableFromArchiveFile } from "./archive.ts";
import {
  archiveName,
  defaultReleaseBase,
  executableName,
  isWindowsTarget,
  normaliseVersion,
  parseSha256Sums,
  releaseDirUrl,
  releaseTargets,
} from "./release-layout.ts";
import { replaceExecutable } from "./replace.ts";

export interface SelfUpdateRequest {
  ctx: RunContext;
  version?: string;
  from?: string;
  force?: boolean;
  /** The archive's sha256, from a trusted source (replaces SHA256SUMS). */
  sha256?: string;
  /** A release public key to verify SHA256SUMS.sig with, besides the built-in one. */
  verifyKey?: string;
  /** What is running now (injectable for tests of the planning). */
  current: { version: string; target: string; exePath: string; standalone: boolean };
}

export type SelfUpdateResult =
  | { updated: false; version: string; reason: string }
  | { updated: true; from: string; to: string; path: string; source: string; versionLine: string };

function checkRunningBinary(current: SelfUpdateRequest["current"]): void {
  if (!current.standalone) {
    throw usageError("self update replaces an installed dhtl executable, but this is running from source", {
      subject: current.exePath,
      hint: "build with `bun run build`, or install a release with install.sh",
    });
  }
  if (!(releaseTargets as readonly string[]).includes(current.target)) {
    throw new DhtError(ExitCode.unsatisfiable, `this dhtl was built for "${current.target}", which has no releases`, {
      hint: `releases exist for: ${releaseTargets.join(", ")}`,
    });
  }
}

async function fetchText(url: string, ctx: RunContext, what: string): Promise<string> {
  const { httpFetch, httpStatusError } = await import("../net/http.ts");
  const response = await httpFetch(url, {}, { env: ctx.env });
  if (!response.ok) {
    const error = httpStatusError(url, response);
    throw new DhtError(error.code, `cannot get ${what}: ${error.message}`, {
      subject: error.subject,
      hint: response.status === 404 ? "check the version (--version) and DHTL_DOWNLOAD_URL: the release directory must hold SHA256SUMS and the archives" : error.hint,
      details: { status: response.status },
    });
  }
  // Small files only (a version, checksums, a signature): a server streaming forever is cut.
  const text = await response.text();
  if (text.length > 1024 * 1024) throw new DhtError(ExitCode.failed, `${what} at ${url} is larger than 1 MiB; that is not a release file`, { subject: url });
  return text;
}

function sumsFrom(text: string, where: string): Map<string, string> {
  try {
    return parseSha256Sums(text);
  } catch (error) {
    throw new DhtError(ExitCode.failed, `${where} is not a valid SHA256SUMS file: ${(error as Error).message}`, { subject: where });
  }
}

/** A small text file beside --from (SHA256SUMS, its signature): bounded, regular files only. */
async function readBeside(path: string): Promise<Uint8Array | undefined> {
  const { readProjectBytes } = await import("../project/read-project-file.ts");
  const read = readProjectBytes(path, { display: path, maxBytes: 1024 * 1024, what: "release checksum files" });
  return read ? new Uint8Array(read.bytes) : undefined;
}

function explicitSha256(request: SelfUpdateRequest): string | undefined {
  if (request.sha256 === undefined) return undefined;
  const sha = request.sha256.trim().toLowerCase().replace(/^sha256:/, "");
  if (!/^[0-9a-f]{64}$/.test(sha)) throw usageError(`--sha256 ${request.sha256}: not a 64-digit hex sha256`, { subject: "--sha256", hint: "copy the digest of the archive from the release page or SHA256SUMS of a trusted source" });
  return sha;
}

/**
 * The sha256 a release's SHA256SUMS gives `name`, believed only as far as it deserves:
 * with a trusted key (built in, or --verify-key) its signature must verify; without one,
 * a SHA256SUMS fetched over https from the release base is taken (the same channel as the
 * installer's), anything else (beside a local archive, http://, file://) is not.
 */
async function trustedDigest(
  request: SelfUpdateRequest,
  sums: { bytes: Uint8Array; where: string; signature?: string; overHttps: boolean },
  name: string,
): Promise<{ sha256: string; trust: string }> {
  const { trustedReleaseKeys, verifySumsSignature } = await import("./release-trust.ts");
  const trusted = await trustedReleaseKeys(request.verifyKey);
  let trust: string;
  if (trusted.keys.length) {
    trust = `SHA256SUMS signed by key ${await verifySumsSignature(sums.bytes, sums.signature, trusted, sums.where)}`;
  } else if (sums.overHttps) {
    trust = "SHA256SUMS over https";
  } else {
    throw usageError(`cannot verify the release: ${sums.where} is not signed by a key this dhtl trusts, and a checksum file anyone could have placed proves nothing`, {
      subject: sums.where,
      hint: "pass the archive's digest from a trusted source with --sha256 HEX, or the release public key with --verify-key FILE (SHA256SUMS.sig must sit beside SHA256SUMS)",
    });
  }
  const expected = sumsFrom(new TextDecoder().decode(sums.bytes), sums.where).get(name);
  if (!expected) throw usageError(`${sums.where} does not list ${name}`, { subject: sums.where, hint: "use the archive and SHA256SUMS of the same release" });
  return { sha256: expected, trust };
}

/** A verified archive in the download cache, and where it came from. */
async function obtainArchive(request: SelfUpdateRequest, version: string | undefined): Promise<{ path: string; source: string; version?: string; trust: string }> {
  const { ctx, current } = request;
  const { downloadVerified } = await import("../net/download.ts");
  const downloadOptions = {
    env: ctx.env,
    home: dhtHome(ctx.env),
    offline: false,
    progress: (ctx.json || ctx.quiet ? "none" : "auto") as "none" | "auto",
  };
  const given = explicitSha256(request);
  if (request.from) {
    const file = resolve(ctx.cwd, request.from);
    if (!existsSync(file)) throw usageError(`--from ${request.from}: no such file`, { subject: file });
    let digest: { sha256: string; trust: string };
    if (given) digest = { sha256: given, trust: "--sha256" };
    else {
      const sumsFile = join(dirname(file), "SHA256SUMS");
      const bytes = await readBeside(sumsFile);
      if (!bytes) {
        throw usageError(`cannot verify ${file}: there is no SHA256SUMS beside it`, {
          subject: file,
          hint: "copy the release's SHA256SUMS and SHA256SUMS.sig into the same directory as the archive, or pass --sha256 HEX",
        });
      }
      const sig = await readBeside(`${sumsFile}.sig`);
      digest = await trustedDigest(request, { bytes, where: sumsFile, overHttps: false, ...(sig ? { signature: new TextDecoder().decode(sig) } : {}) }, basename(file));
    }
    const path = await downloadVerified({ url: file, sha256: digest.sha256, label: basename(file) }, downloadOptions);
    return { path, source: file, version, trust: digest.trust };
  }
  const base = ctx.env.DHTL_DOWNLOAD_URL?.trim() || defaultReleaseBase;
  const dir = releaseDirUrl(base, version ?? "latest");
  const name = archiveName(current.target);
  let digest: { sha256: string; trust: string };
  if (given) digest = { sha256: given, trust: "--sha256" };
  else {
    const sumsText = await fetchText(`${dir}/SHA256SUMS`, ctx, "the release checksums");
    const { embeddedReleaseKeys, SUMS_SIGNATURE_FILE } = await import("./release-trust.ts");
    const wantSignature = Boolean(embeddedReleaseKeys || request.verifyKey);
    const signature = wantSignature ? await fetchText(`${dir}/${SUMS_SIGNATURE_FILE}`, ctx, "the signature of the release checksums").catch((error) => {
      if (isDhtError(error) && error.details?.status === 404) return undefined;
      throw error;
    }) : undefined;
    const sums = sumsFrom(sumsText, `${dir}/SHA256SUMS`);
    if (!sums.get(name)) {
      throw new DhtError(ExitCode.unsatisfiable, `the release at ${dir} has no build for ${current.target}`, {
        subject: `${dir}/SHA256SUMS`,
        hint: `it lists: ${[...sums.keys()].join(", ") || "nothing"}`,
      });
    }
    digest = await trustedDigest(request, { bytes: new TextEncoder().encode(sumsText), where: `${dir}/SHA256SUMS`, overHttps: /^https:\/\//i.test(dir), ...(signature !== undefined ? { signature } : {}) }, name);
  }
  const label = `dhtl ${version ?? "(latest)"} for ${current.target}`;
  const path = await downloadVerified({ url: `${dir}/${name}`, sha256: digest.sha256, label }, downloadOptions);
  return { path, source: `${dir}/${name}`, version, trust: digest.trust };
}

function isNewer(a: string, b: string): boolean {
  try {
    return Bun.semver.order(a, b) > 0;
  } catch {
    return false;
  }
}

export async function selfUpdate(request: SelfUpdateRequest): Promise<SelfUpdateResult> {
  const { ctx, current } = request;
  checkRunningBinary(current);
  let version: string | undefined;
  try {
    version = request.version ? normaliseVersion(request.version) : undefined;
  } catch (error) {
    throw usageError((error as Error).message, { subject: "--version", hint: "give a release version such as 1.2.3" });
  }
  if (!version && !request.from) {
    const base = ctx.env.DHTL_DOWNLOAD_URL?.trim() || defaultReleaseBase;
    const url = `${releaseDirUrl(base, "latest")}/VERSION`;
    const text = (await fetchText(url, ctx, "the latest version")).trim();
    try {
      version = normaliseVersion(text);
    } catch {
      throw new DhtError(ExitCode.failed, `${url} does not hold a version (got ${JSON.stringify(text.slice(0, 40))})`, { subject: url });
    }
  }
  if (version && version === current.version && !request.force) {
    return { updated: false, version, reason: `dhtl ${version} is already installed` };
  }
  // "latest" older than what runs (a pre-release build, a lagging mirror): never downgrade
  // by surprise; an explicit --version may.
  if (version && !request.version && !request.from && !request.force && isNewer(current.version, version)) {
    return { updated: false, version: current.version, reason: `dhtl ${current.version} is newer than the latest release (${version}); use --version ${version} to downgrade` };
  }
  const archive = await obtainArchive(request, version);
  let bytes: Uint8Array;
  try {
    bytes = await readExecutableFromArchiveFile(archive.path, executableName(current.target));
  } catch (error) {
    throw new DhtError(ExitCode.failed, `${archive.source} is not a dhtl release archive: ${(error as Error).message}`, { subject: archive.source });
  }
  const versionLine = await replaceExecutable(current.exePath, bytes, {
    expectTarget: current.target,
    expectVersion: version,
    windows: isWindowsTarget(current.target),
  });
  const to = /^dhtl (\S+)/.exec(versionLine)?.[1] ?? version ?? "unknown";
  return { updated: true, from: current.version, to, path: current.exePath, source: archive.source, versionLine };
}
