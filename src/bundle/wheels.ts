/**
 * Collecting the wheels one environment needs on one target platform + Python.
 *
 * How, and why this way:
 *  1. Resolve with the real uv: `uv pip compile --format pylock.toml --python-platform
 *     <target> --python-version X.Y.Z`. uv resolves for a platform it is not running on
 *     (markers, and which files are installable there), reads the project's own uv/pip
 *     settings, and writes a PEP 751 lock that names, per package, the index files that fit
 *     the target with their URLs and sha256 as the index published them. `pip download
 *     --platform` was the alternative; it needs a pip of the target's Python on the
 *     preparing machine, cannot mix wheels with sdists (`--only-binary=:all:` is mandatory
 *     with --platform) and has no lock output to record — uv is pinned and already needed.
 *  2. Pick the most specific compatible wheel per package (pylock.ts) and download it with
 *     downloadVerified, against the sha256 from the index, into the shared cache.
 *  3. A package with no wheel for the target: when the target is this machine's platform,
 *     its sdist is downloaded (verified) and built with `uv build --wheel` by the Python that
 *     goes into the bundle; otherwise it is reported as missing, with the reason, and the
 *     summary lists it (setup on the target would fail on it, so the user must know now).
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DhtError, ExitCode } from "../errors.ts";
import { redactText, redactUrl } from "../net/redact.ts";
import { chooseWheel, normalizeName, parsePylock, type LockedFile, type LockedPackage } from "./pylock.ts";
import type { TargetPlatform } from "./targets.ts";
import { uvPythonPlatform } from "./targets.ts";

export interface WheelDownload {
  (spec: { url: string; sha256: string; size?: number; label: string }): Promise<string>;
}

export interface CollectWheelsInput {
  /** The host's uv binary. */
  uv: string;
  target: TargetPlatform;
  /** Oldest glibc for linux-gnu targets ("2.28"). */
  glibc: string;
  /** Full Python version of the bundled build ("3.11.7"). */
  pythonVersion: string;
  /** Requirement lines (PEP 508, or "-r file" / "-c file" lines) to resolve. */
  requirements: string[];
  /** Directory uv runs in (the environment's root: its pyproject/uv.toml settings apply). */
  cwd: string;
  /** Environment for uv: the process env plus index settings (registryEnvForUv) and UV_CACHE_DIR. */
  env: Record<string, string | undefined>;
  /** Where the chosen wheels are copied (created). */
  outDir: string;
  /** Scratch directory (created and removed by the caller). */
  workDir: string;
  download: WheelDownload;
  /**
   * An interpreter of the bundled Python on this machine, to build sdists with; only asked
   * for when a package has no wheel. Absent (or resolving to undefined) → no building.
   */
  builderPython?: () => Promise<string | undefined>;
  log?: (message: string) => void;
}

export interface CollectedWheels {
  /** "name==version" of every resolved package, sorted. */
  requirements: string[];
  /** Wheel file names in outDir, sorted. */
  files: string[];
  missing: Array<{ requirement: string; reason: string }>;
  warnings: string[];
}

interface UvRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function runUv(uv: string, args: string[], cwd: string, env: Record<string, string | undefined>): Promise<UvRun> {
  const proc = Bun.spawn([uv, ...args], { cwd, env: env as Record<string, string>, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** The last lines of uv's stderr, secrets removed, for an error message. */
function uvTail(stderr: string, lines = 12): string {
  return redactText(stderr.trim().split("\n").slice(-lines).join("\n"));
}

/** Resolve requirements for the target; returns the parsed lock. */
export async function resolveForTarget(input: Pick<CollectWheelsInput, "uv" | "target" | "glibc" | "pythonVersion" | "requirements" | "cwd" | "env" | "workDir">): Promise<LockedPackage[]> {
  const inFile = join(input.workDir, `requirements-${input.target.key}.in`);
  await writeFile(inFile, `${input.requirements.join("\n")}\n`);
  const platform = uvPythonPlatform(input.target, input.glibc);
  const args = ["pip", "compile", inFile, "--format", "pylock.toml", "--python-platform", platform, "--python-version", input.pythonVersion, "--no-header", "--quiet"];
  const run = await runUv(input.uv, args, input.cwd, input.env);
  if (run.code !== 0) {
    throw new DhtError(ExitCode.failed, `the dependencies cannot be resolved for ${input.target.key} with Python ${input.pythonVersion}`, {
      subject: input.cwd,
      hint: `uv pip compile (--python-platform ${platform}) said:\n${uvTail(run.stderr)}`,
    });
  }
  try {
    return parsePylock(run.stdout);
  } catch (cause) {
    throw new DhtError(ExitCode.failed, `uv printed a lock dhtl cannot read: ${(cause as Error).message}`, { subject: input.uv, cause });
  }
}

const pin = (pkg: LockedPackage) => `${normalizeName(pkg.name)}${pkg.version ? `==${pkg.version}` : ""}`;

/** Run `fn` over items with at most `limit` at a time, keeping the order of results. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A file name from the index that is safe to use as one path component. */
export const isPlainFileName = (name: string) => name !== "" && !/[\\/\0]/.test(name) && !name.startsWith(".");

/** Get one locked file to a local path: a verified download, or a local file (checked against its sha256 when the lock has one). */
async function fetchLocked(file: LockedFile, input: CollectWheelsInput, label: string): Promise<string | { reason: string }> {
  if (!isPlainFileName(file.filename)) return { reason: `the index names it "${file.filename}", which is not a plain file name` };
  if (file.url && /^https?:\/\//i.test(file.url)) {
    if (!file.sha256) return { reason: `the index gives no sha256 for ${redactUrl(file.url)}, so it cannot be verified` };
    return input.download({ url: file.url, sha256: file.sha256, size: file.size, label });
  }
  const given = file.path ?? (file.url?.startsWith("file:") ? fileURLToPath(file.url) : file.url);
  if (!given) return { reason: "the lock names no location for it" };
  // A local find-links file is the user's own; its bytes go into the manifest as they are.
  const local = isAbsolute(given) ? given : join(input.cwd, given);
  if (!existsSync(local)) return { reason: `${local} does not exist` };
  if (file.sha256) {
    const hasher = new Bun.CryptoHasher("sha256");
    for await (const chunk of Bun.file(local).stream()) hasher.update(chunk);
    const actual = hasher.digest("hex");
    if (actual !== file.sha256) return { reason: `${local} has sha256 ${actual}, the index says ${file.sha256}` };
  }
  return local;
}

async function buildWheelFromSdist(cached: string, filename: string, python: string, input: CollectWheelsInput, pkg: LockedPackage): Promise<string | { reason: string }> {
  const out = await mkdtemp(join(input.workDir, "build-"));
  // uv recognises an sdist by its file name; the download cache names files by hash.
  const sdist = join(out, "src", basename(filename));
  await mkdir(join(out, "src"));
  await copyFile(cached, sdist);
  const dist = join(out, "dist");
  const run = await runUv(input.uv, ["build", "--wheel", "--python", python, "--out-dir", dist, sdist], input.workDir, input.env);
  if (run.code !== 0) return { reason: `building its sdist failed: ${uvTail(run.stderr, 4)}` };
  const built = (await readdir(dist)).filter((f) => f.endsWith(".whl"));
  if (built.length !== 1) return { reason: `building its sdist gave ${built.length} wheels` };
  input.log?.(`built ${built[0]} from the sdist of ${pin(pkg)}`);
  return join(dist, built[0]!);
}

/** Resolve, choose, download (and, where needed, build) the wheels into input.outDir. */
export async function collectWheels(input: CollectWheelsInput): Promise<CollectedWheels> {
  await mkdir(input.outDir, { recursive: true });
  const packages = input.requirements.length ? await resolveForTarget(input) : [];
  const result: CollectedWheels = { requirements: [], files: [], missing: [], warnings: [] };
  const indexed = packages.filter((p) => {
    if (!p.source) return true;
    if (p.source.kind === "directory") {
      // The environment's own project is installed from its source tree by setup.
      if (resolve(input.cwd, p.source.where) === resolve(input.cwd)) return false;
      result.warnings.push(`${p.name} (${p.source.where}) is a local directory: it is installed from the project's source on the target, not from the bundle`);
    } else {
      result.missing.push({ requirement: pin(p), reason: `it comes from ${p.source.kind === "vcs" ? "a VCS URL" : "an archive URL"} (${redactUrl(p.source.where)}); make it an index package or a wheel in find-links` });
    }
    return false;
  });
  let done = 0;
  const chosen = await mapLimit(indexed, 4, async (pkg) => {
    const wheel = chooseWheel(pkg);
    let local: string | { reason: string };
    if (wheel) {
      local = await fetchLocked(wheel, input, wheel.filename);
    } else if (!pkg.sdist) {
      local = { reason: `no file of it fits ${input.target.key}` };
    } else {
      let python: string | undefined;
      let why = "";
      try {
        python = await input.builderPython?.();
      } catch (error) {
        why = ` (no Python to build it with: ${(error as Error).message})`;
      }
      if (!python) {
        local = { reason: `only a source distribution exists, no wheel for ${input.target.key}${why}; build the wheel on a ${input.target.key} machine and add it to registries.find_links` };
      } else {
        const sdist = await fetchLocked(pkg.sdist, input, pkg.sdist.filename);
        local = typeof sdist === "string" ? await buildWheelFromSdist(sdist, pkg.sdist.filename, python, input, pkg) : sdist;
      }
      if (typeof local === "string") result.warnings.push(`${pin(pkg)} has no wheel on the index: built ${basename(local)} from its sdist on this machine (${input.target.key})`);
    }
    done++;
    if (typeof local === "string") input.log?.(`[${done}/${indexed.length}] ${basename(wheel?.filename ?? local)}`);
    return { pkg, local, filename: wheel?.filename };
  });
  for (const { pkg, local, filename } of chosen) {
    result.requirements.push(pin(pkg));
    if (typeof local === "string") {
      const name = filename ?? basename(local);
      await copyFile(local, join(input.outDir, name));
      result.files.push(name);
    } else {
      result.missing.push({ requirement: pin(pkg), reason: local.reason });
    }
  }
  result.requirements.sort();
  result.files.sort();
  result.missing.sort((a, b) => (a.requirement < b.requirement ? -1 : 1));
  return result;
}

/**
 * The uv binary for a target, out of the uv wheel (pinned version) the index has for it:
 * the same resolution as the project's wheels, so the same index settings apply.
 */
export async function collectUvBinary(
  input: Pick<CollectWheelsInput, "uv" | "target" | "glibc" | "pythonVersion" | "cwd" | "env" | "workDir" | "download">,
  version: string,
): Promise<{ bytes: Uint8Array; wheel: string; wheelSha256: string }> {
  const packages = await resolveForTarget({ ...input, requirements: [`uv==${version}`] });
  const pkg = packages.find((p) => normalizeName(p.name) === "uv");
  const wheel = pkg && chooseWheel(pkg);
  if (!wheel || !wheel.url || !wheel.sha256) {
    throw new DhtError(ExitCode.unsatisfiable, `the package index has no uv ${version} wheel for ${input.target.key}`, {
      subject: `uv==${version}`,
      hint: "point registries.index_url at an index that mirrors PyPI's uv wheels (every platform), or drop that platform from --platform",
    });
  }
  const path = await input.download({ url: wheel.url, sha256: wheel.sha256, size: wheel.size, label: wheel.filename });
  const exe = input.target.os === "windows" ? "uv.exe" : "uv";
  const { readFileFromZip } = await import("../self/archive.ts");
  try {
    const bytes = readFileFromZip(new Uint8Array(await Bun.file(path).arrayBuffer()), `uv-${version}.data/scripts/${exe}`);
    return { bytes, wheel: wheel.filename, wheelSha256: wheel.sha256 };
  } catch (cause) {
    throw new DhtError(ExitCode.failed, `${wheel.filename} does not hold the uv binary: ${(cause as Error).message}`, { subject: redactUrl(wheel.url), cause });
  }
}

/** Remove a scratch directory, ignoring errors (used in finally blocks). */
export const removeQuietly = (dir: string) => rm(dir, { recursive: true, force: true }).catch(() => {});
