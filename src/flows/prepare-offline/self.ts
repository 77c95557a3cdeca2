/**
 * `--include-self`: dhtl's own executable for each target platform, so the air-gapped
 * machine gets the tool together with what it installs.
 *
 * Where it comes from, first that applies:
 *  1. DHTL_DOWNLOAD_URL (a release base, see src/self/release-layout.ts): the release of this
 *     dhtl version — SHA256SUMS, then the archive verified against it, then the executable
 *     out of the archive.
 *  2. A dist/ directory (scripts/build.ts output: dist/dhtl-<target>/dhtl[.exe]):
 *     DHTL_DIST_DIR (then only there), else the directory the running executable sits in.
 *  3. The running executable itself, when it is the compiled build for that very target.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { buildInfo } from "../../build-info.ts";
import { DhtError, ExitCode } from "../../errors.ts";
import type { NetSettings } from "../../net/types.ts";
import type { ProgressMode } from "../../ui/progress.ts";
import type { TargetPlatform } from "../../bundle/targets.ts";
import { releaseTargetOf } from "./plan.ts";

export interface SelfSourceOptions {
  env: Record<string, string | undefined>;
  home: string;
  net?: NetSettings;
  progress: ProgressMode;
  /** The running executable (tests pass another). */
  execPath?: string;
  isCompiled?: boolean;
}

async function fromRelease(base: string, target: string, opts: SelfSourceOptions): Promise<Uint8Array> {
  const layout = await import("../../self/release-layout.ts");
  const { httpFetch } = await import("../../net/http.ts");
  const { downloadVerified } = await import("../../net/download.ts");
  const { readExecutableFromArchive } = await import("../../self/archive.ts");
  const { redactUrl } = await import("../../net/redact.ts");
  const dir = layout.releaseDirUrl(base, buildInfo.version);
  const sumsUrl = `${dir}/SHA256SUMS`;
  const response = await httpFetch(sumsUrl, {}, { env: opts.env, net: opts.net });
  if (!response.ok) {
    throw new DhtError(ExitCode.failed, `cannot read ${redactUrl(sumsUrl)} (HTTP ${response.status})`, {
      subject: redactUrl(sumsUrl),
      hint: `DHTL_DOWNLOAD_URL must hold the release v${buildInfo.version}; or unset it to take the executables from dist/`,
    });
  }
  const sums = layout.parseSha256Sums(await response.text());
  const archive = layout.archiveName(target);
  const expected = sums.get(archive);
  if (!expected) throw new DhtError(ExitCode.failed, `${redactUrl(sumsUrl)} lists no ${archive}`, { subject: redactUrl(sumsUrl), hint: "the release lacks that platform; drop it from --platform or leave out --include-self" });
  const path = await downloadVerified({ url: `${dir}/${archive}`, sha256: expected, label: archive }, { env: opts.env, home: opts.home, offline: false, progress: opts.progress, net: opts.net });
  return readExecutableFromArchive(new Uint8Array(await Bun.file(path).arrayBuffer()), layout.executableName(target));
}

/**
 * A local build: taken as it is (its sha256 goes into the manifest). dist/SHA256SUMS is not
 * consulted: `bun run build` refreshes the host binary without rewriting it, so it is often
 * stale for exactly the file we want.
 */
async function fromDist(distDir: string, target: string): Promise<Uint8Array | undefined> {
  const exe = target.startsWith("windows-") ? "dhtl.exe" : "dhtl";
  const file = join(distDir, `dhtl-${target}`, exe);
  return existsSync(file) ? new Uint8Array(await readFile(file)) : undefined;
}

export async function fetchDhtlExecutable(target: TargetPlatform, opts: SelfSourceOptions): Promise<Uint8Array> {
  const release = releaseTargetOf(target.key);
  const base = opts.env.DHTL_DOWNLOAD_URL?.trim();
  if (base) return fromRelease(base, release, opts);
  const execPath = opts.execPath ?? process.execPath;
  const compiled = opts.isCompiled ?? Bun.isStandaloneExecutable;
  // An explicit DHTL_DIST_DIR is the only place looked at: the user named it.
  const explicit = opts.env.DHTL_DIST_DIR?.trim();
  const distDirs = explicit ? [explicit] : compiled ? [dirname(execPath)] : [];
  for (const dir of distDirs) {
    const bytes = await fromDist(dir, release);
    if (bytes) return bytes;
  }
  if (!explicit && compiled && buildInfo.target === release) return new Uint8Array(await readFile(execPath));
  throw new DhtError(ExitCode.unsatisfiable, `no dhtl executable for ${target.key} (${release}) to include`, {
    subject: "--include-self",
    hint: "build them with `bun run build:all` (dist/), set DHTL_DIST_DIR to such a directory, or set DHTL_DOWNLOAD_URL to a release mirror",
  });
}
