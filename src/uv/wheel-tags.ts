/**
 * Which wheel of a binary package (uv) runs on this machine: the platform-tag rules of
 * PEP 600 (manylinux_X_Y against the glibc version), PEP 656 (musllinux), macOS and
 * Windows tags. Pure functions over a parsed filename and the platform facts.
 */

export interface WheelName {
  name: string;
  version: string;
  build?: string;
  python: string[];
  abi: string[];
  platforms: string[];
}

/** `uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl` → parts; undefined if not a wheel. */
export function parseWheelName(filename: string): WheelName | undefined {
  if (!filename.endsWith(".whl")) return undefined;
  const parts = filename.slice(0, -4).split("-");
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [name, version] = parts as [string, string];
  const build = parts.length === 6 ? parts[2] : undefined;
  const [python, abi, platform] = parts.slice(-3) as [string, string, string];
  return { name, version, build, python: python.split("."), abi: abi.split("."), platforms: platform.split(".") };
}

export interface WheelTarget {
  os: "linux" | "darwin" | "windows";
  arch: "x86_64" | "aarch64";
  libc: { family: "gnu" | "musl" | "none"; version?: string };
  /** macOS product version ("14.5"), when known. */
  macosVersion?: string;
}

const LEGACY_MANYLINUX: Record<string, [number, number]> = { manylinux1: [2, 5], manylinux2010: [2, 12], manylinux2014: [2, 17] };

function versionAtLeast(have: string | undefined, major: number, minor: number): boolean {
  if (!have) return true; // unknown: assume a current system rather than refuse everything
  const [a = 0, b = 0] = have.split(".").map((x) => Number.parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

/**
 * A score for one platform tag on the target (higher is more specific), or undefined when
 * the tag cannot run there. "any" scores 0.
 */
export function platformTagScore(tag: string, t: WheelTarget): number | undefined {
  if (tag === "any") return 0;
  if (t.os === "linux") {
    let m = /^manylinux_(\d+)_(\d+)_(\w+)$/.exec(tag);
    let glibc: [number, number] | undefined;
    let arch: string | undefined;
    if (m) {
      glibc = [Number(m[1]), Number(m[2])];
      arch = m[3];
    } else if ((m = /^(manylinux1|manylinux2010|manylinux2014)_(\w+)$/.exec(tag))) {
      glibc = LEGACY_MANYLINUX[m[1]!];
      arch = m[2];
    }
    if (glibc && arch) {
      if (t.libc.family !== "gnu" || arch !== t.arch) return undefined;
      return versionAtLeast(t.libc.version, glibc[0], glibc[1]) ? 100_000 + glibc[0] * 1000 + glibc[1] : undefined;
    }
    const musl = /^musllinux_(\d+)_(\d+)_(\w+)$/.exec(tag);
    if (musl) {
      if (t.libc.family !== "musl" || musl[3] !== t.arch) return undefined;
      return versionAtLeast(t.libc.version, Number(musl[1]), Number(musl[2])) ? 100_000 + Number(musl[1]) * 1000 + Number(musl[2]) : undefined;
    }
    return undefined;
  }
  if (t.os === "darwin") {
    const m = /^macosx_(\d+)_(\d+)_(\w+)$/.exec(tag);
    if (!m) return undefined;
    const arch = m[3]!;
    const native = t.arch === "aarch64" ? "arm64" : "x86_64";
    const fits = arch === native || arch === "universal2" || (native === "x86_64" && (arch === "intel" || arch === "universal"));
    if (!fits || !versionAtLeast(t.macosVersion, Number(m[1]), Number(m[2]))) return undefined;
    // Prefer the native single-arch wheel over universal2 (smaller), then the newest OS floor.
    return 100_000 + (arch === native ? 50_000 : 0) + Number(m[1]) * 100 + Number(m[2]);
  }
  if (t.os === "windows") {
    if (tag === "win_amd64" && t.arch === "x86_64") return 100_000;
    if (tag === "win_arm64" && t.arch === "aarch64") return 100_000;
    return undefined;
  }
  return undefined;
}

/** The best wheel among `files` for the target, or undefined. */
export function pickWheel<T extends { filename: string }>(files: T[], target: WheelTarget): T | undefined {
  let best: { file: T; score: number } | undefined;
  for (const file of files) {
    const w = parseWheelName(file.filename);
    if (!w) continue;
    const scores = w.platforms.map((p) => platformTagScore(p, target)).filter((s): s is number => s !== undefined);
    if (!scores.length) continue;
    const score = Math.max(...scores);
    if (!best || score > best.score) best = { file, score };
  }
  return best?.file;
}
