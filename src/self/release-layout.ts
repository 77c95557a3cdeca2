/**
 * Where releases live and what they are called. Shared by scripts/release.ts (which
 * writes a release), install.sh / install.ps1 (which mirror these names in shell) and
 * `dhtl self update` (which reads one).
 *
 * A release base URL (DHTL_DOWNLOAD_URL, or the default baked in at build time) holds:
 *
 *   <base>/v<version>/dhtl-<target>.tar.gz      (Unix targets)
 *   <base>/v<version>/dhtl-<target>.zip         (Windows targets)
 *   <base>/v<version>/SHA256SUMS                 sha256sum format, one line per archive
 *   <base>/v<version>/install.sh, install.ps1    with that version and its sums written in
 *   <base>/v<version>/VERSION                    the bare version string
 *   <base>/latest/…                              a copy of (or redirect to) the newest release
 *
 * Targets are the `bun build --compile` targets without the `bun-` prefix:
 * linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64,
 * windows-x64, windows-arm64.
 */

declare const BUILD_RELEASE_BASE: string | undefined;

/** Fallback when neither DHTL_DOWNLOAD_URL nor a build-time base is set. */
export const FALLBACK_RELEASE_BASE = "https://github.com/dhtl/dhtl/releases/download";

export const defaultReleaseBase: string =
  typeof BUILD_RELEASE_BASE === "string" && BUILD_RELEASE_BASE ? BUILD_RELEASE_BASE : FALLBACK_RELEASE_BASE;

export const releaseTargets = [
  "linux-x64",
  "linux-arm64",
  "linux-x64-musl",
  "linux-arm64-musl",
  "darwin-x64",
  "darwin-arm64",
  "windows-x64",
  "windows-arm64",
] as const;
export type ReleaseTarget = (typeof releaseTargets)[number];

export const isWindowsTarget = (target: string) => target.startsWith("windows-");
export const executableName = (target: string) => (isWindowsTarget(target) ? "dhtl.exe" : "dhtl");
export const archiveName = (target: string) => `dhtl-${target}${isWindowsTarget(target) ? ".zip" : ".tar.gz"}`;

/** A version as written in URLs and --version: 1.2.3, 1.2.3-rc.1; no leading "v". */
export function normaliseVersion(version: string): string {
  const v = version.trim().replace(/^v/, "");
  if (!/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(v)) {
    throw new Error(`"${version}" is not a release version (expected something like 1.2.3)`);
  }
  return v;
}

/** The directory URL of one release ("latest" for the newest). Trailing slashes on base are ignored. */
export function releaseDirUrl(base: string, version: string | "latest"): string {
  const root = base.replace(/\/+$/, "");
  return version === "latest" ? `${root}/latest` : `${root}/v${normaliseVersion(version)}`;
}

/**
 * Parse sha256sum output ("<hex>  name" or "<hex> *name"). Lines that are blank or
 * comments are skipped; anything else malformed is an error naming the line, because a
 * half-read checksum file must never let an unverified download through.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(trimmed);
    if (!m) throw new Error(`line ${i + 1} is not "<sha256>  <file name>": ${JSON.stringify(trimmed.slice(0, 80))}`);
    sums.set(m[2]!.replace(/^\.\//, ""), m[1]!.toLowerCase());
  });
  return sums;
}

export function formatSha256Sums(entries: Iterable<[name: string, sha256: string]>): string {
  return `${[...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, sha]) => `${sha}  ${name}`)
    .join("\n")}\n`;
}

/** "dhtl 1.2.3 (abc123 linux-x64)" → { version: "1.2.3", target: "linux-x64" }. */
export function parseVersionLine(line: string): { version: string; commit: string; target: string } | undefined {
  const m = /^dhtl (\S+) \((\S+) ([^)]+)\)\s*$/.exec(line.trim());
  return m ? { version: m[1]!, commit: m[2]!, target: m[3]! } : undefined;
}
