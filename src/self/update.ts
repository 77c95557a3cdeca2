/**
 * `dhtl self update`: fetch a release for this executable's target, verify it against the
 * release's SHA256SUMS, and swap it in (replace.ts).
 *
 * Sources, in order: --from FILE (a local archive with SHA256SUMS beside it: air-gapped
 * hosts), else <base>/v<version>/ where base is DHTL_DOWNLOAD_URL or the release base baked
 * in at build time, and version is --version or the one named by <base>/latest/VERSION.
 * Downloads go through src/net (proxy, CA, retries, sha256 before use, DHT_HOME cache).
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DhtError, ExitCode, usageError } from "../errors.ts";
import { dhtHome } from "../paths.ts";
import type { RunContext } from "../context.ts";
import { readExecutableFromArchive } from "./archive.ts";
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
    });
  }
  return response.text();
}

function sumsFrom(text: string, where: string): Map<string, string> {
  try {
    return parseSha256Sums(text);
  } catch (error) {
    throw new DhtError(ExitCode.failed, `${where} is not a valid SHA256SUMS file: ${(error as Error).message}`, { subject: where });
  }
}

/** A verified archive in the download cache, and where it came from. */
async function obtainArchive(request: SelfUpdateRequest, version: string | undefined): Promise<{ path: string; source: string; version?: string }> {
  const { ctx, current } = request;
  const { downloadVerified } = await import("../net/download.ts");
  const downloadOptions = {
    env: ctx.env,
    home: dhtHome(ctx.env),
    offline: false,
    progress: (ctx.json || ctx.quiet ? "none" : "auto") as "none" | "auto",
  };
  if (request.from) {
    const file = resolve(ctx.cwd, request.from);
    if (!existsSync(file)) throw usageError(`--from ${request.from}: no such file`, { subject: file });
    const sumsFile = join(dirname(file), "SHA256SUMS");
    if (!existsSync(sumsFile)) {
      throw usageError(`cannot verify ${file}: there is no SHA256SUMS beside it`, {
        subject: file,
        hint: "copy the release's SHA256SUMS file into the same directory as the archive",
      });
    }
    const expected = sumsFrom(await Bun.file(sumsFile).text(), sumsFile).get(basename(file));
    if (!expected) throw usageError(`${sumsFile} does not list ${basename(file)}`, { subject: sumsFile, hint: "use the archive and SHA256SUMS of the same release" });
    const path = await downloadVerified({ url: file, sha256: expected, label: basename(file) }, downloadOptions);
    return { path, source: file, version };
  }
  const base = ctx.env.DHTL_DOWNLOAD_URL?.trim() || defaultReleaseBase;
  const dir = releaseDirUrl(base, version ?? "latest");
  const name = archiveName(current.target);
  const sums = sumsFrom(await fetchText(`${dir}/SHA256SUMS`, ctx, "the release checksums"), `${dir}/SHA256SUMS`);
  const expected = sums.get(name);
  if (!expected) {
    throw new DhtError(ExitCode.unsatisfiable, `the release at ${dir} has no build for ${current.target}`, {
      subject: `${dir}/SHA256SUMS`,
      hint: `it lists: ${[...sums.keys()].join(", ") || "nothing"}`,
    });
  }
  const label = `dhtl ${version ?? "(latest)"} for ${current.target}`;
  const path = await downloadVerified({ url: `${dir}/${name}`, sha256: expected, label }, downloadOptions);
  return { path, source: `${dir}/${name}`, version };
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
    bytes = readExecutableFromArchive(await Bun.file(archive.path).bytes(), executableName(current.target));
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
