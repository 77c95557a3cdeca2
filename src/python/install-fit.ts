/**
 * Which Python minors the project's pinned packages can be installed on: for every locked or
 * `==` pinned package, the configured index's files of that exact version (PEP 691 JSON /
 * PEP 503 HTML with data-requires-python) are checked against each candidate minor — a wheel
 * whose python/abi/platform tags run there (cp312, abi3 from cp39 on, py3, any or this
 * machine's manylinux/musllinux/macOS/Windows tags) and whose Requires-Python allows it, or
 * else an sdist whose Requires-Python allows it (it will build from source). A minor where
 * some pin has neither is bound to fail the install or the import check, so the chooser
 * prefers another one inside the project's range (src/flows/setup/execute.ts).
 *
 * Bounded: only pins (at most MAX_PINS), one index page per pin, at most `concurrency`
 * requests at a time, answers cached for a day under DHT_HOME/cache/install-fit, nothing
 * asked offline. A page that cannot be read leaves that pin out of the verdict (with a note),
 * never a minor.
 *
 * Pure core (fitOfFiles, judgeMinors, narrowRequest), one effectful entry (checkInstallFit).
 */
import { parseWheelName, platformTagScore, type WheelTarget } from "../uv/wheel-tags.ts";
import { parseSpecifiers, specifierMatches } from "./request.ts";
import { parseVersion } from "./version.ts";
import type { IndexFile } from "../net/pypi-index.ts";

export interface PinnedPackage {
  name: string;
  version: string;
  /** Where it comes from: "uv.lock, group dev (needed by tox)", "extra docs, pyproject.toml:36", "requirements.txt:3". */
  origin?: string;
  /**
   * The candidate minors this setup installs it on (its environment markers hold there, or a
   * lock resolved it for them); absent: every candidate. Elsewhere it does not count.
   */
  minors?: string[];
}

export type PinFit = { kind: "wheel"; file: string } | { kind: "sdist"; file: string } | { kind: "none"; why: string } | { kind: "unknown"; why: string };

export interface MinorVerdict {
  minor: string;
  /** false: some pin cannot be installed on this minor; true: every pin that could be checked can. */
  fits: boolean;
  /** Pins with no installable file for this minor, with why and where each pin comes from. */
  blockers: Array<{ pin: string; why: string; origin?: string }>;
  /** Pins that would build from source here (fits, but slower and needs a compiler). */
  builds: string[];
}

export interface InstallFit {
  verdicts: MinorVerdict[];
  /** Why the check did not run or was partial (offline, no pins, pages that could not be read). */
  notes: string[];
}

export const MAX_PINS = 200;

/** PEP 503 name normalisation. */
const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");

/** Does a Requires-Python specifier allow some patch of `minor`? (absent: yes) */
export function allowsMinor(requiresPython: string | undefined, minor: string): boolean {
  if (!requiresPython?.trim()) return true;
  let specs: ReturnType<typeof parseSpecifiers>;
  try {
    specs = parseSpecifiers(requiresPython.replace(/\s+/g, ""));
  } catch {
    return true; // unreadable metadata: the installer will judge it
  }
  return ["0", "99"].some((patch) => {
    const v = parseVersion(`${minor}.${patch}`)!;
    return specs.every((s) => specifierMatches(s, v));
  });
}

/** Can a wheel with these tags run on CPython `minor` on the target? */
export function wheelRunsOn(filename: string, minor: string, target: WheelTarget): boolean {
  const w = parseWheelName(filename);
  if (!w) return false;
  const [major, min] = minor.split(".").map(Number) as [number, number];
  const platformOk = w.platforms.some((p) => platformTagScore(p, target) !== undefined);
  if (!platformOk) return false;
  return w.python.some((py) => {
    const m = /^(cp|py|pp)(\d)(\d*)$/.exec(py);
    if (!m) return false;
    const [, impl, maj, minStr] = m;
    if (Number(maj) !== major) return false;
    if (impl === "pp") return false;
    if (impl === "py") return minStr === "" || Number(minStr) <= min;
    // cpXY: that exact minor, or any later one with the stable ABI (abi3).
    const pyMinor = Number(minStr);
    if (w.abi.includes("abi3")) return pyMinor <= min;
    if (w.abi.includes("none")) return pyMinor <= min;
    return pyMinor === min;
  });
}

/** The file name's version, for wheels and sdists (`name-1.2.3.tar.gz`). */
function fileVersion(filename: string): string | undefined {
  const wheel = parseWheelName(filename);
  if (wheel) return wheel.version;
  const m = /^(.+?)-([0-9][^-]*?)\.(tar\.gz|zip|tar\.bz2|tgz)$/.exec(filename);
  return m?.[2];
}

const sameVersion = (a: string | undefined, b: string) => {
  if (!a) return false;
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x && y ? x.text === y.text || (x.release.join(".") === y.release.join(".") && x.pre?.join("") === y.pre?.join("") && x.post === y.post && x.dev === y.dev) : a === b;
};

/** How one pin installs on one minor, from the index's files of its project (pure). */
export function fitOfFiles(pin: PinnedPackage, files: IndexFile[], minor: string, target: WheelTarget): PinFit {
  const mine = files.filter((f) => !f.yanked && sameVersion(fileVersion(f.filename), pin.version));
  if (!mine.length) return { kind: "unknown", why: `the index has no files of ${pin.name} ${pin.version}` };
  const wheel = mine.find((f) => f.filename.endsWith(".whl") && wheelRunsOn(f.filename, minor, target) && allowsMinor(f.requiresPython, minor));
  if (wheel) return { kind: "wheel", file: wheel.filename };
  const sdist = mine.find((f) => !f.filename.endsWith(".whl") && allowsMinor(f.requiresPython, minor));
  if (sdist) return { kind: "sdist", file: sdist.filename };
  const wheels = mine.filter((f) => f.filename.endsWith(".whl"));
  const blockedBy = mine.find((f) => !allowsMinor(f.requiresPython, minor));
  // A wheel whose tags run here but whose Requires-Python leaves this minor out (sphinx 8.2.3's py3 wheel on 3.10).
  const tagsRun = wheels.find((f) => wheelRunsOn(f.filename, minor, target));
  const platform = `${target.os}-${target.arch}${target.os === "linux" ? `-${target.libc.family}` : ""}`;
  const why = tagsRun?.requiresPython
    ? `${pin.name} ${pin.version} requires Python ${tagsRun.requiresPython}`
    : blockedBy && !tagsRun
    ? `${pin.name} ${pin.version} requires Python ${blockedBy.requiresPython}`
    : `${pin.name} ${pin.version} has no wheel for CPython ${minor} on ${platform}${mine.some((f) => !f.filename.endsWith(".whl")) ? " and its sdist does not allow it" : " and no sdist"} (its wheels: ${[...new Set(wheels.map((f) => f.filename.split("-").slice(-3, -2)[0]!))].slice(0, 8).join(", ") || "none"})`;
  return { kind: "none", why };
}

/** The verdict for each candidate minor from every pin's files (pure). Unknown pins are neutral. */
export function judgeMinors(pins: Array<{ pin: PinnedPackage; files: IndexFile[] | undefined }>, minors: string[], target: WheelTarget): MinorVerdict[] {
  return minors.map((minor) => {
    const blockers: MinorVerdict["blockers"] = [];
    const builds: string[] = [];
    for (const { pin, files } of pins) {
      // Not installed on this minor (a marker that is false there, a lock fork for other Pythons).
      if (!files || (pin.minors && !pin.minors.includes(minor))) continue;
      const fit = fitOfFiles(pin, files, minor, target);
      if (fit.kind === "none") blockers.push({ pin: `${pin.name}==${pin.version}`, why: fit.why, ...(pin.origin ? { origin: pin.origin } : {}) });
      else if (fit.kind === "sdist") builds.push(`${pin.name}==${pin.version}`);
    }
    return { minor, fits: blockers.length === 0, blockers, builds };
  });
}

/**
 * The request narrowed to the minors that fit (`>=3.9` → `>=3.9,!=3.13.*`), when some
 * candidate does not fit and at least one does; else undefined (nothing to prefer). The
 * reason names each excluded minor and its first blocker.
 */
export function narrowRequest(request: string | undefined, verdicts: MinorVerdict[]): { request: string; why: string } | undefined {
  const unfit = verdicts.filter((v) => !v.fits);
  const fit = verdicts.filter((v) => v.fits);
  if (!unfit.length || !fit.length) return undefined;
  const base = request?.trim() ? request.trim() : ">=3";
  const request2 = [base, ...unfit.map((v) => `!=${v.minor}.*`)].join(",");
  // One sentence per blocking pin, naming every minor it rules out.
  const byPin = new Map<string, { minors: string[]; why: string; origin?: string }>();
  for (const v of unfit) {
    for (const b of v.blockers) {
      const entry = byPin.get(b.pin) ?? { minors: [], why: b.why, ...(b.origin ? { origin: b.origin } : {}) };
      entry.minors.push(v.minor);
      byPin.set(b.pin, entry);
    }
  }
  const sentences = [...byPin.values()].map(({ minors, why, origin }) => `Python ${minors.join(", ")} would fail to install: ${why.replace(`CPython ${minors[0]}`, `CPython ${minors.join("/")}`)}${origin ? ` (from ${origin})` : ""}`);
  const why = `${sentences.join("; ")}; ${fit.map((v) => v.minor).join(", ")} can install every pinned package`;
  return { request: request2, why };
}

/**
 * Every pin a project declares, whatever a setup installs and on whichever Python: its lock's
 * registry packages, else its `==` requirements (pure). The install-fit check of a setup uses
 * src/flows/setup/fit-pins.ts instead: only what that setup installs, markers evaluated.
 */
export function pinnedPackages(project: {
  requirements: Array<{ name: string; specifier?: string; url?: string; path?: string; origin?: string }>;
  optional?: Record<string, Array<{ name: string; specifier?: string; url?: string; path?: string; origin?: string }>>;
  groups?: Record<string, Array<{ name: string; specifier?: string; url?: string; path?: string; origin?: string }>>;
  locked?: { kind: string; packages: Array<{ name: string; version?: string; source?: string }> };
}): PinnedPackage[] {
  const out = new Map<string, PinnedPackage>();
  if (project.locked?.packages.length) {
    for (const p of project.locked.packages) {
      if (!p.version || (p.source && !["registry", "default", "develop"].includes(p.source))) continue;
      out.set(norm(p.name), { name: p.name, version: p.version, origin: project.locked.kind });
    }
  } else {
    const all = [...project.requirements, ...Object.values(project.optional ?? {}).flat(), ...Object.values(project.groups ?? {}).flat()];
    for (const r of all) {
      const m = /^===?([^,*;]+)$/.exec(r.specifier ?? "");
      if (!m || r.url || r.path) continue;
      out.set(norm(r.name), { name: r.name, version: m[1]!.trim(), ...(r.origin ? { origin: r.origin } : {}) });
    }
  }
  return [...out.values()].slice(0, MAX_PINS);
}

export interface CheckInstallFitOptions {
  pins: PinnedPackage[];
  /** Minors to judge ("3.13", "3.12", …), in the order the chooser would try them. */
  minors: string[];
  target: WheelTarget;
  /** Indexes with their credentials (src/uv/ensure.ts indexesWithCredentials); the first that lists a project answers for it. */
  indexes: Array<{ url: string; auth?: { username: string; password: string } }>;
  env: Record<string, string | undefined>;
  net?: import("../net/types.ts").NetSettings;
  /** DHT_HOME: answers are cached under cache/install-fit. */
  home: string;
  offline: boolean;
  concurrency?: number;
  /** Cached pages older than this are asked again (default a day). */
  maxAgeMs?: number;
  /** Injected for tests: what listFiles would return. */
  list?: (indexUrl: string, project: string) => Promise<IndexFile[]>;
}

/** Ask the index about every pin (bounded, cached) and judge each minor. */
export async function checkInstallFit(opts: CheckInstallFitOptions): Promise<InstallFit> {
  if (opts.offline) return { verdicts: [], notes: ["offline: the package index was not asked which Pythons the pinned packages install on"] };
  if (!opts.pins.length || opts.minors.length < 2) return { verdicts: [], notes: [] };
  if (!opts.indexes.length) return { verdicts: [], notes: ["no package index (no-index): which Pythons the pins install on was not checked"] };
  const { join } = await import("node:path");
  const { mkdir, readFile, rename, writeFile } = await import("node:fs/promises");
  const { homePaths } = await import("../paths.ts");
  const dir = join(homePaths(opts.home).cache, "install-fit");
  await mkdir(dir, { recursive: true });
  const maxAge = opts.maxAgeMs ?? 24 * 3600_000;
  const list = opts.list ?? (async (indexUrl: string, project: string) => {
    const { listFiles } = await import("../net/pypi-index.ts");
    const index = opts.indexes.find((i) => i.url === indexUrl);
    return listFiles(indexUrl, project, { env: opts.env, net: opts.net, ...(index?.auth ? { auth: index.auth } : {}) });
  });
  const notes: string[] = [];
  const filesOf = async (pin: PinnedPackage): Promise<IndexFile[] | undefined> => {
    const key = new Bun.CryptoHasher("sha256").update(JSON.stringify([opts.indexes.map((i) => i.url), norm(pin.name), pin.version])).digest("hex").slice(0, 32);
    const file = join(dir, `${key}.json`);
    try {
      const cached = JSON.parse(await readFile(file, "utf8")) as { at: number; files: IndexFile[] };
      if (Date.now() - cached.at < maxAge) return cached.files;
    } catch {
      // not cached yet
    }
    for (const index of opts.indexes) {
      try {
        // Only this version's files are kept: the cache stays small.
        const files = (await list(index.url, pin.name)).filter((f) => sameVersion(fileVersion(f.filename), pin.version));
        if (!files.length) continue;
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify({ at: Date.now(), files }));
        await rename(tmp, file);
        return files;
      } catch {
        // the next index, or none
      }
    }
    notes.push(`${pin.name} ${pin.version}: no index answered for it, so it does not count in the choice of Python`);
    return undefined;
  };
  const results: Array<{ pin: PinnedPackage; files: IndexFile[] | undefined }> = [];
  const queue = [...opts.pins];
  const worker = async () => {
    for (let pin = queue.shift(); pin; pin = queue.shift()) results.push({ pin, files: await filesOf(pin) });
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, queue.length) }, worker));
  return { verdicts: judgeMinors(results, opts.minors, opts.target), notes };
}

/** The candidate minors of an open request (newest first); undefined for an exact or one-minor request, or one dhtl cannot read. */
export async function candidateMinors(request: string | undefined): Promise<string[] | undefined> {
  const { parsePythonRequest, requestMatches } = await import("./request.ts");
  let parsed: ReturnType<typeof parsePythonRequest>;
  try {
    parsed = parsePythonRequest(request ?? "");
  } catch {
    return undefined;
  }
  if (parsed.kind === "exact" || parsed.kind === "minor") return undefined;
  return CANDIDATE_MINORS.filter((m) => requestMatches(parsed, `${m}.0`) || requestMatches(parsed, `${m}.99`));
}

/** Minors the chooser may pick, newest first (what dhtl can make venvs for). */
export const CANDIDATE_MINORS = ["3.14", "3.13", "3.12", "3.11", "3.10", "3.9", "3.8", "3.7", "3.6", "2.7"];

/**
 * For an open request (a range, "3", nothing): the request narrowed to the minors where every
 * pin installs, with the reason, or undefined when there is nothing to avoid (an exact or
 * one-minor request, no pins, every candidate fits, none does, offline).
 */
export async function installableRequest(
  request: string | undefined,
  opts: Omit<CheckInstallFitOptions, "minors" | "pins"> & { /** The pins, or what they are for the candidate minors (fit-pins.ts). */ pins: PinnedPackage[] | ((minors: string[]) => PinnedPackage[]) },
): Promise<{ request: string; why: string; fit: InstallFit } | undefined> {
  const minors = await candidateMinors(request);
  if (!minors) return undefined;
  const pins = typeof opts.pins === "function" ? opts.pins(minors) : opts.pins;
  const fit = await checkInstallFit({ ...opts, pins, minors });
  const narrowed = narrowRequest(request, fit.verdicts);
  return narrowed ? { ...narrowed, fit } : undefined;
}
