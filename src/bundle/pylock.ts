/**
 * Reading the PEP 751 lock (pylock.toml) that `uv pip compile --format pylock.toml
 * --python-platform <target> --python-version X.Y.Z` prints, and choosing, per package, the
 * one wheel a bundle carries. Pure functions.
 *
 * uv has already evaluated markers and filtered each package's wheels down to those
 * installable on the target, so every wheel listed is compatible; we keep the most specific
 * one (the one an installer would prefer) so the bundle is not bloated with fallbacks.
 */
import { basename } from "node:path";

export interface LockedFile {
  /** File name (from `name`, else the last URL/path segment, URL-decoded). */
  filename: string;
  url?: string;
  /** A local file (find-links directory or path dependency), absolute or relative to the lock. */
  path?: string;
  size?: number;
  sha256?: string;
}

export interface LockedPackage {
  name: string;
  version?: string;
  wheels: LockedFile[];
  sdist?: LockedFile;
  /** The package comes from a VCS, a local directory or an archive URL, not an index. */
  source?: { kind: "vcs" | "directory" | "archive"; where: string };
}

type Toml = Record<string, unknown>;

function fileOf(entry: Toml | undefined): LockedFile | undefined {
  if (!entry || typeof entry !== "object") return undefined;
  const url = typeof entry.url === "string" ? entry.url : undefined;
  const path = typeof entry.path === "string" ? entry.path : undefined;
  const named = typeof entry.name === "string" ? entry.name : undefined;
  const from = url ?? path;
  if (!named && !from) return undefined;
  let filename = named ?? basename(from!.split(/[?#]/)[0]!);
  try {
    filename = decodeURIComponent(filename);
  } catch {
    /* keep it as it is */
  }
  const hashes = entry.hashes as Toml | undefined;
  return {
    filename,
    url,
    path,
    size: typeof entry.size === "number" ? entry.size : undefined,
    sha256: typeof hashes?.sha256 === "string" ? hashes.sha256.toLowerCase() : undefined,
  };
}

/** Parse pylock.toml text into packages. Throws a plain Error on a shape it does not know. */
export function parsePylock(text: string): LockedPackage[] {
  const doc = Bun.TOML.parse(text) as Toml;
  const packages = doc.packages;
  if (packages === undefined) return [];
  if (!Array.isArray(packages)) throw new Error("pylock.toml: `packages` is not an array");
  return packages.map((raw: Toml) => {
    if (typeof raw.name !== "string") throw new Error("pylock.toml: a package has no name");
    const pkg: LockedPackage = {
      name: raw.name,
      version: typeof raw.version === "string" ? raw.version : undefined,
      wheels: Array.isArray(raw.wheels) ? (raw.wheels as Toml[]).map(fileOf).filter((f): f is LockedFile => f !== undefined) : [],
      sdist: fileOf(raw.sdist as Toml | undefined),
    };
    for (const kind of ["vcs", "directory", "archive"] as const) {
      const s = raw[kind] as Toml | undefined;
      if (s && typeof s === "object") pkg.source = { kind, where: String(s.url ?? s.path ?? "") };
    }
    return pkg;
  });
}

export interface WheelTags {
  name: string;
  version: string;
  python: string[];
  abi: string[];
  platform: string[];
}

/** `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (compressed tag sets split on "."). */
export function parseWheelFilename(filename: string): WheelTags | undefined {
  if (!filename.endsWith(".whl")) return undefined;
  const parts = filename.slice(0, -4).split("-");
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [name, version] = parts as [string, string];
  const [python, abi, platform] = parts.slice(-3) as [string, string, string];
  return { name, version, python: python.split("."), abi: abi.split("."), platform: platform.split(".") };
}

/** Higher is more specific: interpreter-specific ABI over abi3 over none, then platform over "any". */
export function wheelSpecificity(filename: string): number {
  const tags = parseWheelFilename(filename);
  if (!tags) return -1;
  const abi = tags.abi.some((a) => /^cp\d+/.test(a) || /^pypy/.test(a)) ? 2 : tags.abi.includes("abi3") ? 1 : 0;
  const platform = tags.platform.every((p) => p === "any") ? 0 : 1;
  const pythonMinor = Math.max(0, ...tags.python.map((p) => Number(/^(?:cp|py)3(\d+)$/.exec(p)?.[1] ?? 0)));
  return abi * 10_000 + platform * 1_000 + pythonMinor;
}

/** The wheel to bundle for a package (uv listed only compatible ones), or undefined. */
export function chooseWheel(pkg: LockedPackage): LockedFile | undefined {
  let best: LockedFile | undefined;
  let bestScore = -Infinity;
  for (const wheel of pkg.wheels) {
    const score = wheelSpecificity(wheel.filename);
    if (score > bestScore) {
      best = wheel;
      bestScore = score;
    }
  }
  return best;
}

/** PEP 503 normalised project name. */
export const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");
