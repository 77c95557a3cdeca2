/**
 * The resolution chain: from a version request to one usable interpreter, every step
 * recorded with why it was taken, skipped or failed (`dhtl python find --explain` prints it).
 *
 *   managed         a dhtl-managed build already installed that matches
 *   bundle          the offline bundle's build, when it matches
 *   download        the build from the manifest (exact patch, or the newest of the minor)
 *   patch-fallback  exact request only: the same minor's nearest patch (installed, bundle or
 *                   download), with a warning naming both versions; off with --strict or
 *                   python.allow_patch_fallback: false
 *   system          an interpreter already on the machine: same implementation, same minor
 *                   (exact patch under --strict), venv + ensurepip present, not a venv itself
 *   container       generated Dockerfile + wrappers; used only with --container, otherwise
 *                   generated as a suggestion when docker/podman is installed
 *   (fail)          exit 3 with an install guide for this OS and distro
 *
 * Preference (documented in docs/python.md): for a request without a patch ("3.11",
 * ">=3.10"), an interpreter already on the machine is used before anything is downloaded
 * (like uv: discovery before download); `preference: "managed"` (DHT_PYTHON_PREFERENCE=managed,
 * and `dhtl python install`) downloads a managed build first. An exact request ("3.11.7")
 * always prefers the managed build of that exact version, then falls back as above.
 */
import { realpathSync } from "node:fs";
import type { OpenedBundle } from "../bundle/types.ts";
import type { RunContext } from "../context.ts";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import type { NetSettings } from "../net/types.ts";
import type { PlatformFacts } from "../platform/types.ts";
import { writeContainerFallback } from "./container.ts";
import { describeFileSystemError } from "../platform/fs-errors.ts";
import { listCandidates, type Candidate } from "./discovery.ts";
import { installGuide } from "./guide.ts";
import { downloadUrlOf, installBuild, listManagedInstalls, type ManagedInstall } from "./installs.ts";
import { redactUrl } from "../net/redact.ts";
import { buildsForPlatform, loadPythonBuilds, type PythonBuild } from "./manifest.ts";
import { InterpreterCache, type InterpreterInfo } from "./query.ts";
import { describeRequest, exactVersion, nearestPatch, newestMatch, parsePythonRequest, requestMatches, requestMinor, type PythonRequest } from "./request.ts";
import { compareVersions, minorOf, parseVersion } from "./version.ts";

export type ChainStep = "managed" | "bundle" | "download" | "patch-fallback" | "system" | "container";

export interface ChainEntry {
  step: ChainStep | string;
  outcome: "taken" | "skipped" | "failed";
  why: string;
}

export interface ResolvedPython {
  executable: string;
  version: string;
  implementation: "cpython" | string;
  source: "managed" | "download" | "bundle" | "system" | "container";
  chain: ChainEntry[];
  /** Set when the version differs from an exact request (patch fallback). */
  warning?: string;
  /** The managed install used or made (managed, download, bundle, patch fallback). */
  install?: ManagedInstall;
}

export interface ResolvePythonOptions {
  ctx: RunContext;
  /** DHT_HOME */
  home: string;
  /** Exact version only: no patch fallback, and a system interpreter must match exactly. */
  strict?: boolean;
  /** python.allow_patch_fallback from the config (default true); --strict wins. */
  allowPatchFallback?: boolean;
  offline?: boolean;
  /** False: never download (dhtl python find). Default true. */
  allowDownload?: boolean;
  bundle?: OpenedBundle;
  /** --container: use the container fallback when nothing else fits. */
  containerFallback?: boolean;
  /** Write the container files as a suggestion when an engine is present (default true; find passes false). */
  suggestContainer?: boolean;
  net?: NetSettings;
  /** Called for every chain entry as it is decided. */
  log?: (step: ChainEntry) => void;
  /** Progress lines from downloads and locks. */
  note?: (message: string) => void;
  /** "installed": existing interpreters before downloads for non-exact requests (default; DHT_PYTHON_PREFERENCE). */
  preference?: "installed" | "managed";
  /** Replace the managed build of an exact request (downloaded and verified before the old one goes). */
  reinstall?: boolean;
  /** Where .dht/docker goes (default ctx.cwd). */
  projectRoot?: string;
  /** Injected for tests; default: os/arch/libc probed cheaply, the rest only for the failure guide. */
  facts?: PlatformFacts;
  progress?: "auto" | "plain" | "none";
}

interface Usable {
  candidate: Candidate;
  info: InterpreterInfo;
  /** Real path, for de-duplication and to report. */
  real: string;
}

const normaliseMachine = (m: string) => {
  const x = m.toLowerCase();
  if (x === "amd64" || x === "x86_64" || x === "x64") return "x86_64";
  if (x === "arm64" || x === "aarch64") return "aarch64";
  return x;
};

/** Why an interpreter cannot serve as a base for project venvs, or undefined when it can. */
export function unusableReason(info: InterpreterInfo, arch: string, implementation: string): string | undefined {
  if (info.implementation !== implementation) return `it is ${info.implementation}, not ${implementation}`;
  if (info.isVenv) return `it belongs to the virtual environment ${info.prefix}`;
  if (normaliseMachine(info.machine) !== arch || info.pointerBits !== 64) return `it is built for ${info.machine} (${info.pointerBits}-bit), not ${arch}`;
  // Python 2 venvs are made by virtualenv with its own seed wheels (src/env/legacy-venv.ts).
  if (info.version.startsWith("2.")) return undefined;
  if (!info.venv) return "its venv module is missing";
  if (!info.ensurepip) return "ensurepip is missing, so venvs get no pip (Debian/Ubuntu: install the python3.X-venv package)";
  return undefined;
}

/** What resolution needs of the platform on its fast path: no process spawns, no PATH scans. */
export type CoreFacts = Pick<PlatformFacts, "os" | "arch" | "libc">;

export async function coreFacts(env: Record<string, string | undefined>): Promise<CoreFacts> {
  const { resolveProbe } = await import("../platform/probe.ts");
  const { detectLibc } = await import("../platform/libc.ts");
  const probe = resolveProbe({ env });
  return { os: probe.os, arch: probe.arch, libc: await detectLibc(probe) };
}

export async function hostFacts(env: Record<string, string | undefined>): Promise<PlatformFacts> {
  const { getPlatformFacts } = await import("../platform/index.ts");
  return getPlatformFacts({ env });
}

export async function platformKeyOf(facts: CoreFacts): Promise<string> {
  // pythonPlatformKey lives in platform/facts.ts, whose module loads every probe; import it
  // only when full facts are loaded anyway, else apply the same rule (libc only on Linux).
  if ("packageManagers" in facts) return (await import("../platform/index.ts")).pythonPlatformKey(facts);
  return `${facts.os}-${facts.arch}-${facts.os === "linux" ? facts.libc.family : "none"}`;
}

/** The interpreters on this machine that match a version predicate and are usable, best first. */
export async function findSystemInterpreters(opts: {
  env: Record<string, string | undefined>;
  home: string;
  os: PlatformFacts["os"];
  arch: string;
  implementation: string;
  accepts: (version: string) => boolean;
  /** Quick filter on layout hints, to avoid running interpreters that cannot match. */
  minor?: string;
  includeManaged?: boolean;
  cache?: InterpreterCache;
}): Promise<{ usable: Usable[]; rejected: Array<{ path: string; why: string }> }> {
  const cache = opts.cache ?? InterpreterCache.forHome(opts.home, opts.env);
  const candidates = await listCandidates({ env: opts.env, os: opts.os, home: opts.home, minor: opts.minor, run: opts.os === "windows" ? runQuiet : undefined });
  const seen = new Set<string>();
  const usable: Usable[] = [];
  const rejected: Array<{ path: string; why: string }> = [];
  for (const candidate of candidates) {
    if (candidate.source === "managed" && !opts.includeManaged) continue;
    if (candidate.versionHint) {
      const hint = candidate.versionHint;
      const full = hint.split(".").length >= 3;
      if (full ? !opts.accepts(hint) : opts.minor !== undefined && hint !== opts.minor) continue;
    }
    let real: string;
    try {
      real = realpathSync(candidate.path);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    let info: InterpreterInfo;
    try {
      info = await cache.get(candidate.path);
    } catch (error) {
      rejected.push({ path: candidate.path, why: `it does not run: ${(error as Error).message}` });
      continue;
    }
    if (!opts.accepts(info.version) || info.implementation !== opts.implementation) continue;
    const why = unusableReason(info, opts.arch, opts.implementation);
    if (why) rejected.push({ path: candidate.path, why: `${info.version}: ${why}` });
    else usable.push({ candidate, info, real });
  }
  await cache.save();
  return { usable, rejected };
}

async function runQuiet(argv: string[]): Promise<string | undefined> {
  try {
    const p = Bun.spawn(argv, { stdout: "pipe", stderr: "ignore", stdin: "ignore", timeout: 10_000 });
    const [text, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    return code === 0 ? text : undefined;
  } catch {
    return undefined;
  }
}

function failureText(error: unknown): string {
  if (isDhtError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export async function resolvePython(requestText: string | undefined, opts: ResolvePythonOptions): Promise<ResolvedPython> {
  const env = opts.ctx.env;
  const request: PythonRequest = parsePythonRequest(requestText ?? "");
  const wanted = describeRequest(request);
  const chain: ChainEntry[] = [];
  const record = (step: ChainStep, outcome: ChainEntry["outcome"], why: string) => {
    const entry = { step, outcome, why };
    chain.push(entry);
    opts.log?.(entry);
  };
  const facts: CoreFacts = opts.facts ?? (await coreFacts(env));
  const platform = await platformKeyOf(facts);
  if (request.platform && request.platform !== platform) {
    throw new DhtError(ExitCode.usage, `${request.raw} is for ${request.platform}, but this machine is ${platform}`, {
      subject: request.raw,
      hint: `ask for the version only (e.g. ${describeRequest({ ...request, platform: undefined })})`,
    });
  }
  const exact = exactVersion(request);
  const minor = requestMinor(request);
  const strict = Boolean(opts.strict);
  const patchFallback = !strict && opts.allowPatchFallback !== false;
  const allowDownload = opts.allowDownload !== false;
  const preference = opts.preference ?? (env.DHT_PYTHON_PREFERENCE === "managed" ? "managed" : "installed");
  if (opts.reinstall && !exact) {
    throw new DhtError(ExitCode.usage, "--reinstall needs an exact version (e.g. 3.11.7)", { subject: "--reinstall", hint: `installed: see dhtl python list` });
  }
  const installOpts = { home: opts.home, env, offline: Boolean(opts.offline), net: opts.net, progress: opts.progress, log: opts.note, reinstall: opts.reinstall };
  const cache = InterpreterCache.forHome(opts.home, env);
  /** Hosts that refused or timed out once: later downloads from them are skipped, not retried. */
  const deadHosts = new Map<string, string>();

  const done = (r: Omit<ResolvedPython, "chain">): ResolvedPython => ({ ...r, chain });
  const fromInstall = (install: ManagedInstall, source: ResolvedPython["source"], warning?: string): ResolvedPython =>
    done({ executable: install.executable, version: install.version, implementation: install.implementation, source, install, warning });

  if (request.implementation !== "cpython") {
    record("managed", "skipped", `managed builds are CPython only; ${request.implementation} is looked for on the machine`);
  }
  const installed = listManagedInstalls(opts.home, platform);
  // The build list is parsed only when a step needs it (a warm `find` that hits never does).
  let manifest: PythonBuild[] = [];
  let manifestOrigin = "embedded";
  let manifestLoaded = false;
  const loadManifest = async () => {
    if (manifestLoaded || request.implementation !== "cpython") return;
    manifestLoaded = true;
    const loaded = await loadPythonBuilds(env);
    manifest = buildsForPlatform(loaded.builds, platform);
    manifestOrigin = loaded.origin;
  };

  // Step: managed (already installed).
  const tryManaged = (): ResolvedPython | undefined => {
    if (request.implementation !== "cpython") return undefined;
    if (opts.reinstall) {
      record("managed", "skipped", `--reinstall: CPython ${exact} is fetched again and replaces the installed one`);
      return undefined;
    }
    const hit = newestMatch(request, installed, (i) => i.version);
    if (hit) {
      record("managed", "taken", `CPython ${hit.version} is installed at ${hit.dir}`);
      return fromInstall(hit, "managed");
    }
    record("managed", "skipped", installed.length ? `installed builds (${installed.map((i) => i.version).join(", ")}) do not match ${wanted}` : "no dhtl-managed Python is installed");
    return undefined;
  };

  const bundlePython = opts.bundle?.python(platform);
  if (bundlePython) await loadManifest();
  const bundleBuild = (): PythonBuild | undefined => {
    if (!bundlePython) return undefined;
    const known = manifest.find((b) => b.sha256 === bundlePython.sha256);
    const format = bundlePython.archive.endsWith(".tar.zst") ? "tar.zst" : bundlePython.archive.endsWith(".zip") ? "zip" : "tar.gz";
    return known ?? { implementation: "cpython", version: bundlePython.version, platform, build: "bundle", flavor: "install_only", format, url: bundlePython.archive, sha256: bundlePython.sha256 };
  };

  // A full disk or a read-only DHT_HOME is not "no Python matching": no other step can fix
  // it, so it stops the chain with its own message (exit 1) instead of an install guide.
  const stopOnFileSystemFault = (error: unknown, version: string): void => {
    // An archive that matched its pinned sha256 and was still refused as unsafe (or has no
    // CPython layout) is not "no Python matching" either: the build list itself is wrong.
    if (isDhtError(error) && (error.details?.reason || /does not have the expected layout/.test(error.message))) {
      throw new DhtError(ExitCode.failed, `installing CPython ${version} failed: ${error.message}`, { subject: error.subject, hint: "the archive matched its sha256 but is not a safe CPython install: fix the build list (DHT_PYTHON_DOWNLOADS) or the mirror", cause: error });
    }
    const fs = describeFileSystemError(error);
    if (!fs || !["ENOSPC", "EDQUOT", "EROFS", "EIO"].includes(fs.code)) return;
    throw new DhtError(ExitCode.failed, `installing CPython ${version} failed: ${fs.what}${fs.path ? ` (${fs.path})` : ""}`, {
      subject: fs.path ?? opts.home,
      hint: fs.hint,
      cause: error,
    });
  };

  const installFromBundle = async (build: PythonBuild, step: ChainStep, warning?: string): Promise<ResolvedPython | undefined> => {
    try {
      const r = await installBuild(build, { ...installOpts, archive: bundlePython!.archive, ...(bundlePython!.bytecode ? { bytecode: bundlePython!.bytecode } : {}) });
      record(step, "taken", `${r.installed ? "installed" : "already installed"} CPython ${build.version} from the offline bundle (${opts.bundle!.root})`);
      return fromInstall(r.install, "bundle", warning);
    } catch (error) {
      stopOnFileSystemFault(error, build.version);
      record(step, "failed", `installing CPython ${build.version} from the offline bundle failed: ${failureText(error)}`);
      return undefined;
    }
  };

  // Step: bundle.
  const tryBundle = async (): Promise<ResolvedPython | undefined> => {
    if (!opts.bundle) {
      record("bundle", "skipped", "no offline bundle given");
      return undefined;
    }
    const build = bundleBuild();
    if (!build) {
      record("bundle", "skipped", `the offline bundle has no Python for ${platform}`);
      return undefined;
    }
    if (!requestMatches(request, build.version)) {
      record("bundle", "skipped", `the offline bundle holds CPython ${build.version}, which does not match ${wanted}`);
      return undefined;
    }
    return installFromBundle(build, "bundle");
  };

  const download = async (build: PythonBuild, step: ChainStep, warning?: string): Promise<ResolvedPython | undefined> => {
    const url = await downloadUrlOf(build, env, opts.net);
    let host = "";
    try {
      host = new URL(url).host;
    } catch {}
    const dead = host ? deadHosts.get(host) : undefined;
    if (dead) {
      record(step, "skipped", `CPython ${build.version}: ${host} already failed (${dead})`);
      return undefined;
    }
    try {
      const r = await installBuild(build, installOpts);
      record(step, "taken", `${r.installed ? "downloaded and installed" : "already installed"} CPython ${build.version} (${build.build}) from ${redactUrl(url)}`);
      return fromInstall(r.install, "download", warning);
    } catch (error) {
      stopOnFileSystemFault(error, build.version);
      const why = failureText(error);
      // The host could not be reached at all (the net module words these "Could not reach" /
      // "TLS verification failed for"): other builds from it would fail the same way.
      if (host && isDhtError(error) && /^(Could not reach|TLS verification failed for) /.test(error.message)) deadHosts.set(host, why);
      record(step, "failed", `CPython ${build.version} from ${redactUrl(url)}: ${why}`);
      return undefined;
    }
  };

  // Step: download.
  const tryDownload = async (): Promise<ResolvedPython | undefined> => {
    if (request.implementation !== "cpython") {
      record("download", "skipped", `downloads are CPython builds only, not ${request.implementation}`);
      return undefined;
    }
    await loadManifest();
    const build = newestMatch(request, manifest, (b) => b.version);
    if (!build) {
      record("download", "skipped", `no build of ${wanted} for ${platform} in the ${manifestOrigin} list of downloads`);
      return undefined;
    }
    if (!allowDownload) {
      record("download", "skipped", `CPython ${build.version} could be downloaded; this command does not download (use dhtl python install ${request.raw})`);
      return undefined;
    }
    if (opts.offline) {
      // The download cache may still hold it: installBuild handles offline cache hits.
      const r = await download(build, "download");
      if (!r) chain.at(-1)!.why += " (offline mode)";
      return r;
    }
    return download(build, "download");
  };

  // Step: patch fallback.
  const tryPatchFallback = async (): Promise<ResolvedPython | undefined> => {
    if (!exact) {
      record("patch-fallback", "skipped", `${wanted} does not pin a patch release`);
      return undefined;
    }
    if (request.implementation !== "cpython") return undefined;
    await loadManifest();
    if (!patchFallback) {
      record("patch-fallback", "skipped", strict ? "--strict: only the exact version will do" : "python.allow_patch_fallback is false");
      return undefined;
    }
    const systemExact = await findSystemInterpreters({ env, home: opts.home, os: facts.os, arch: facts.arch, implementation: "cpython", accepts: (v) => v === exact, minor, cache });
    if (systemExact.usable.length) {
      record("patch-fallback", "skipped", `an interpreter of exactly ${exact} is on this machine (${systemExact.usable[0]!.candidate.path}); it is preferred over another patch`);
      return undefined;
    }
    type Option = { version: string; kind: "installed" | "bundle" | "download"; install?: ManagedInstall; build?: PythonBuild };
    const options: Option[] = [
      ...installed.map((i) => ({ version: i.version, kind: "installed" as const, install: i })),
      ...(bundleBuild() ? [{ version: bundleBuild()!.version, kind: "bundle" as const, build: bundleBuild() }] : []),
      ...(allowDownload ? manifest.map((b) => ({ version: b.version, kind: "download" as const, build: b })) : []),
    ].filter((o) => o.version !== exact && minorOf(o.version) === minor);
    const tried: string[] = [];
    let pool = options;
    while (pool.length) {
      const pick = nearestPatch(request, pool, (o) => o.version)!;
      pool = pool.filter((o) => o.version !== pick.version);
      // Among equal versions prefer what is already here.
      const same = [pick, ...options.filter((o) => o.version === pick.version && o !== pick)].sort((a, b) => ["installed", "bundle", "download"].indexOf(a.kind) - ["installed", "bundle", "download"].indexOf(b.kind));
      for (const option of same) {
        const warning = `Python ${exact} was requested but is not available; using ${option.version} (same minor, nearest patch). Use --strict to refuse.`;
        if (option.kind === "installed") {
          record("patch-fallback", "taken", `CPython ${option.version} is installed (nearest patch to ${exact})`);
          return fromInstall(option.install!, "managed", warning);
        }
        if (option.kind === "bundle") {
          const r = await installFromBundle(option.build!, "patch-fallback", warning);
          if (r) return r;
        } else {
          if (opts.offline) continue;
          const r = await download(option.build!, "patch-fallback", warning);
          if (r) return r;
        }
        tried.push(option.version);
      }
    }
    record("patch-fallback", "skipped", tried.length ? `no other ${minor} patch could be obtained (tried ${tried.join(", ")})` : `no other ${minor} patch is installed${allowDownload && !opts.offline ? " or downloadable" : ""}`);
    return undefined;
  };

  // Step: system.
  const trySystem = async (): Promise<ResolvedPython | undefined> => {
    const accepts = (v: string) => {
      // --strict (python.allow_patch_fallback: false) asks for exactly this patch, from any source.
      if (exact) return !patchFallback ? v === exact : minorOf(v) === minor && requestMatches({ ...request, kind: "minor" }, v, request.implementation);
      return requestMatches(request, v, request.implementation);
    };
    const found = await findSystemInterpreters({ env, home: opts.home, os: facts.os, arch: facts.arch, implementation: request.implementation, accepts, minor, cache });
    if (!found.usable.length) {
      const rejected = found.rejected.slice(0, 3).map((r) => `${r.path} (${r.why})`);
      record("system", "skipped", `no usable interpreter matching ${exact && patchFallback ? `${minor}.x` : wanted} on this machine${rejected.length ? `; rejected: ${rejected.join("; ")}` : ""}`);
      return undefined;
    }
    // Best: the exact patch, then the nearest patch (exact requests), else the newest.
    const sorted = found.usable.sort((a, b) => {
      if (exact) {
        const pa = Math.abs((parseVersion(a.info.version)!.release[2] ?? 0) - request.patch!);
        const pb = Math.abs((parseVersion(b.info.version)!.release[2] ?? 0) - request.patch!);
        if (pa !== pb) return pa - pb;
      }
      return compareVersions(parseVersion(b.info.version)!, parseVersion(a.info.version)!);
    });
    const best = sorted[0]!;
    const warning = exact && best.info.version !== exact ? `Python ${exact} was requested but is not available; using ${best.info.version} found at ${best.candidate.path} (same minor). Use --strict to refuse.` : undefined;
    record("system", "taken", `${best.candidate.path} is CPython ${best.info.version} (found via ${best.candidate.source})`);
    return done({ executable: best.candidate.path, version: best.info.version, implementation: best.info.implementation, source: "system", warning });
  };

  // Step: container.
  let containerEngine: string | undefined;
  const tryContainer = async (): Promise<ResolvedPython | undefined> => {
    if (request.implementation !== "cpython") {
      record("container", "skipped", `the container fallback uses the official CPython images, not ${request.implementation}`);
      return undefined;
    }
    await loadManifest();
    const { findOnPath } = await import("../platform/which.ts");
    containerEngine = (await findOnPath("podman", env, facts.os)) ? "podman" : (await findOnPath("docker", env, facts.os)) ? "docker" : undefined;
    const version = exact ?? newestMatch(request, manifest, (b) => b.version)?.version ?? minor;
    if (!version) {
      record("container", "skipped", `no single version to put in a container for ${wanted}`);
      return undefined;
    }
    const root = opts.projectRoot ?? opts.ctx.cwd;
    if (opts.containerFallback) {
      const files = await writeContainerFallback(root, version);
      record("container", "taken", `--container: wrote ${files.dockerfile} (python:${version}-slim) and ${files.wrapper}${containerEngine ? ` (runs with ${containerEngine})` : " (needs podman or docker on PATH to run)"}`);
      return done({ executable: files.wrapper, version, implementation: "cpython", source: "container" });
    }
    if (!containerEngine) {
      record("container", "skipped", "no podman or docker on PATH, and --container was not given");
      return undefined;
    }
    if (opts.suggestContainer !== false) {
      const files = await writeContainerFallback(root, version);
      record("container", "skipped", `${containerEngine} is installed: generated ${files.wrapper} (python:${version}-slim) as a suggestion; not used unless you pass --container`);
    } else {
      record("container", "skipped", `${containerEngine} is installed: --container would run python:${version}-slim with the project mounted`);
    }
    return undefined;
  };

  const order: Array<() => Promise<ResolvedPython | undefined> | ResolvedPython | undefined> = exact
    ? [tryManaged, tryBundle, tryDownload, tryPatchFallback, trySystem, tryContainer]
    : preference === "managed"
      ? [tryManaged, tryBundle, tryDownload, tryPatchFallback, trySystem, tryContainer]
      : [tryManaged, trySystem, tryBundle, tryDownload, tryPatchFallback, tryContainer];
  for (const step of order) {
    const r = await step();
    if (r) return r;
  }

  await loadManifest();
  const build = exact ? manifest.find((b) => b.version === exact) : newestMatch(request, manifest, (b) => b.version);
  const fullFacts = opts.facts ?? (await hostFacts(env));
  const guide = installGuide({ facts: fullFacts, wanted, minor, platformKey: platform, build, containerEngine });
  throw new DhtError(ExitCode.unsatisfiable, `no Python matching ${wanted} could be found or installed on this machine`, {
    subject: request.raw || "python",
    hint: `what was tried:\n${chain.map((c) => `    - ${c.step} (${c.outcome}): ${c.why}`).join("\n")}\n\n${guide}`,
    details: { request: request.raw, platform, chain },
  });
}
