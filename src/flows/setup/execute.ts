/**
 * `dhtl setup` after the no-op check: gather inputs, take the project lock, run the steps
 * with checkpoints and progress output, and report. `--dry-run` stops after building the
 * plan (Python and uv are previewed without downloading anything).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../../errors.ts";
import type { RunContext } from "../../context.ts";
import { getLogger } from "../../ui/logger.ts";
import { printJson, printText, formatTable } from "../../ui/output.ts";
import { buildInfo } from "../../build-info.ts";
import { acquireLock } from "../../env/lock.ts";
import { recoverSwap } from "../../repair/swap.ts";
import { executeSteps, type ExecEvent } from "../executor/execute.ts";
import { resolvePython } from "../../python/resolve.ts";
import { resolvePreferred } from "../../python/preferred.ts";
import { ensureUv } from "../../uv/ensure.ts";
import { pythonPlatformKey } from "../../platform/index.ts";
import { homePaths } from "../../paths.ts";
import { minorOf } from "../../python/version.ts";
import { UV_VERSION } from "../../uv/version.ts";
import { registryEnvForPip, registryEnvForUv, childEnv } from "../../registries/env.ts";
import { resolveCredentials } from "../../registries/credentials.ts";
import { swapForBinary } from "../../packages/binary-alternatives.ts";
import { explainInstallFailure } from "../../registries/install-failure.ts";
import { subprocessNetEnv } from "../../net/subprocess-env.ts";
import { gatherSetup, environmentDirs, type Gathered, type SetupFlags } from "./gather.ts";
import { planTestRoute } from "../../testing/index.ts";
import { routeInstall } from "../../testing/install-needs.ts";
import { testImports } from "../../testing/readers/conventions.ts";
import { RUNNER_PACKAGE } from "../../testing/commands.ts";
import { importNameOf } from "../../testing/plan.ts";
import { buildPlan, type PlanInput, type PythonChoice, type SetupPlan, type UvChoice } from "./plan.ts";
import { setupSteps, unmarkVenv, type SetupServices, type SetupState } from "./steps.ts";
import { computeInputsHash, probeFiles, probePaths, sha256Hex } from "./inputs-hash.ts";
import { checkUpToDate, CHECKPOINT_NAME } from "./noop-check.ts";
import { renderPlan } from "./render.ts";
import { activationText } from "./summary.ts";
import { ensureVirtualenv, needsVirtualenv, virtualenvPaths, VIRTUALENV_HOST_REQUEST } from "../../env/virtualenv.ts";

export interface SetupOptions extends SetupFlags {
  dryRun?: boolean;
  restart?: boolean;
  noWait?: boolean;
  allEnvironments?: boolean;
  settingsKey: string;
  /**
   * A repair with no network (src/flows/repair/offline.ts): work offline, from uv's cache and
   * DHT_HOME or from this bundle, but record the setup the configuration describes, so the
   * next connected `dhtl setup` has nothing to redo.
   */
  workOffline?: { bundle?: string };
}

export interface SetupOutcome {
  envDir: string;
  envRoot: string;
  ok: boolean;
  upToDate?: boolean;
  venv?: string;
  python?: string;
  ran?: string[];
  skipped?: string[];
  resumedFrom?: string;
  plan?: SetupPlan;
  error?: ReturnType<DhtError["toJSON"]>;
}

type Log = Awaited<ReturnType<typeof getLogger>>;

function pythonRequestOf(g: Gathered): { request?: string; origin?: string } {
  const request = g.config.python?.version;
  if (request) return { request, origin: g.resolved.origins["python.version"] ?? "config" };
  const rp = g.declared.requiresPython;
  if (rp) return { request: rp, origin: "pyproject.toml requires-python" };
  return {};
}

/**
 * The project's preferences (src/python/preferred.ts), inside a request first narrowed to the
 * minors where every pinned package can install (src/python/install-fit.ts): a Python where
 * a locked C extension has no wheel is left out, and the chain says why. When nothing of the
 * narrowed range can be had here, the plain request decides.
 */
async function resolveProjectPython(g: Gathered, request: string | undefined, opts: Parameters<typeof resolvePython>[1], planInput: PlanInputFor, credentials?: Record<string, { username: string; password: string }>) {
  const narrowed = await fitToPins(g, request, opts.ctx, planInput, credentials).catch((e: Error) => (opts.log?.({ step: "install-fit", outcome: "skipped", why: e.message }), undefined));
  if (narrowed) {
    // Said before the preferences' step it narrows (`dhtl python find --explain`, setup's debug log).
    opts.log?.({ step: "install-fit", outcome: "taken", why: narrowed.why });
    try {
      const r = await resolvePreferred(g.pythonHints, narrowed.request, opts);
      opts.note?.(`Python ${minorOf(r.version)}: ${narrowed.why}`);
      return { ...r, chain: [{ step: "install-fit", outcome: "taken" as const, why: narrowed.why }, ...r.chain] };
    } catch {
      opts.log?.({ step: "install-fit", outcome: "skipped", why: `${narrowed.why}, but none of those can be had here` });
    }
  }
  return resolvePreferred(g.pythonHints, request, opts);
}

/**
 * `dhtl python find` in a project: the interpreter setup would choose, through the same
 * steps (install-fit, the project's preferences, the chain), never downloading.
 */
export async function findProjectPython(ctx: RunContext, opts: { strict?: boolean; log?: Parameters<typeof resolvePython>[1]["log"] }) {
  const g = await gatherSetup(ctx, { ...(opts.strict ? { config: { strict: true } } : {}) });
  const { request } = pythonRequestOf(g);
  const credentials = await resolveCredentials(g.registries, { env: ctx.env }).catch(() => undefined);
  // What setup would install: its default selection (no --no-dev, no binary swaps).
  const planInput: PlanInputFor = (python, uv) => planInputOf(g, { settingsKey: "" }, python, uv, { preferBinary: false, swaps: [], swapped: {}, isolate: false, registryEnvNames: [], env: ctx.env });
  const r = await resolveProjectPython(g, request, { ctx, home: g.home, offline: g.offline, allowDownload: false, suggestContainer: false, net: g.net, projectRoot: g.envRoot, allowPatchFallback: g.config.python?.allow_patch_fallback, ...(opts.log ? { log: opts.log } : {}) }, planInput, credentials);
  return { ...r, request, requestOrigin: g.resolved.origins["python.version"] };
}

type PlanInputFor = (python: PythonChoice, uv: UvChoice) => PlanInput;

/**
 * The request narrowed to the minors where what this setup installs can install: the pins of
 * the plan for each candidate (fit-pins.ts: its selection, its lock, markers evaluated there).
 * uv is assumed to be had (setup obtains it almost always; without it the declared
 * requirements are installed instead of uv.lock).
 */
async function fitToPins(g: Gathered, request: string | undefined, ctx: RunContext, planInput: PlanInputFor, credentials?: Record<string, { username: string; password: string }>) {
  if (g.registries.noIndex) return undefined;
  const [{ installableRequest }, { fitPins }] = await Promise.all([import("../../python/install-fit.ts"), import("./fit-pins.ts")]);
  const uv: UvChoice = { available: true, how: "assumed for the install-fit check" };
  const pins = (minors: string[]) => fitPins((version) => planInput({ version, chain: [] }, uv), minors);
  const { indexesWithCredentials } = await import("../../uv/ensure.ts");
  const indexes = await indexesWithCredentials([g.registries.indexUrl, ...g.registries.extraIndexUrls], credentials ?? {}, ctx.env);
  return installableRequest(request, { pins, target: { os: g.facts.os, arch: g.facts.arch, libc: g.facts.libc }, indexes, env: ctx.env, net: g.net, home: g.home, offline: g.offline });
}

/**
 * Python 2.7 / 3.6 venvs are made by virtualenv, which runs on a Python >= 3.8: one already on
 * the machine (never downloaded for a preview), else, online, a managed build.
 */
async function venvHostFor(g: Gathered, ctx: RunContext, version: string, preview: boolean): Promise<PythonChoice["venvHost"]> {
  if (!needsVirtualenv(version)) return undefined;
  const base = { ctx, home: g.home, net: g.net, containerFallback: false, suggestContainer: false, projectRoot: g.envRoot };
  try {
    const r = await resolvePython(VIRTUALENV_HOST_REQUEST, { ...base, offline: true, allowDownload: false });
    return { executable: r.executable, version: r.version };
  } catch {
    if (preview) return undefined;
    if (g.offline) {
      throw new DhtError(ExitCode.unsatisfiable, `Python ${version} venvs are made by virtualenv, which needs a Python ${VIRTUALENV_HOST_REQUEST} on this machine, and none is here`, {
        subject: `python ${version}`,
        hint: "install any Python 3.8 or newer (dhtl python install 3.12 on a connected machine, or the distribution's python3), then run dhtl setup again",
      });
    }
    const r = await resolvePython(VIRTUALENV_HOST_REQUEST, { ...base, offline: false, allowDownload: true }).catch((e) => {
      throw new DhtError(ExitCode.unsatisfiable, `Python ${version} venvs are made by virtualenv, which needs a Python ${VIRTUALENV_HOST_REQUEST}: none is on this machine and none could be installed`, {
        subject: `python ${version}`,
        hint: `${(e as Error).message}\ninstall any Python 3.8 or newer (dhtl python install 3.12, or the distribution's python3), then run dhtl setup again`,
      });
    });
    return { executable: r.executable, version: r.version };
  }
}

async function openBundleIfAny(g: Gathered, flags: SetupFlags, log: Log, cwd: string) {
  const file = flags.offlineBundle ?? g.config.offline?.bundle;
  if (!file) return undefined;
  const { openBundle, assertBundleComplete, scopeToEnvironment } = await import("../../bundle/read.ts");
  const offline = g.config.offline ?? {};
  // A key named on the command line is relative to where the user stands; one in .dhtconfig
  // to the project. Naming a key means the signature is required.
  const verifyKey = flags.verifyKey ? resolvePath(cwd, flags.verifyKey) : offline.verify_key ? resolvePath(g.projectRoot, offline.verify_key) : undefined;
  const bundle = await openBundle(resolvePath(flags.offlineBundle ? cwd : g.projectRoot, file), {
    home: g.home,
    verifyKey,
    requireSignature: Boolean(flags.verifyKey) || offline.require_signature,
    warn: (m) => log.warn(m),
  });
  const envDir = g.envDir === "." ? undefined : g.envDir;
  // Requirements the bundle was prepared without: one error listing all of them, before
  // anything is installed.
  assertBundleComplete(bundle, pythonPlatformKey(g.facts), envDir);
  const scoped = scopeToEnvironment(bundle, envDir);
  // Its precompiled bytecode too, before anything is written (setup's first write is the venv).
  const { readOverlay } = await import("../../python/bytecode-overlay.ts");
  const key = pythonPlatformKey(g.facts);
  for (const overlay of [scoped.python(key)?.bytecode, scoped.wheelBytecode(key)?.path]) if (overlay) await readOverlay(overlay);
  return scoped;
}

export interface Prepared {
  g: Gathered;
  services: SetupServices;
  probes: ReturnType<typeof probeFiles>;
  inputsHash: string;
  credentials: Awaited<ReturnType<typeof resolveCredentials>>;
  bundle: Awaited<ReturnType<typeof openBundleIfAny>>;
  /** The environment parts' dry-run previews. */
  previews: () => Promise<Array<{ id: string; text: string; data: unknown }>>;
}

/** Everything a run needs before the steps (also used by the repair flows, src/flows/repair/). */
export async function prepare(ctx: RunContext, options: SetupOptions, log: Log, envDir?: string): Promise<Prepared> {
  const g = await gatherSetup(ctx, options, envDir);
  for (const warning of g.resolved.warnings) log.warn(warning);
  // The step hashes name the setup as configured, not how a repair without network got its packages.
  const configured = { offline: g.offline, registries: g.registries };
  if (options.workOffline) g.offline = true;
  const bundle = await openBundleIfAny(g, options.workOffline?.bundle ? { ...options, offlineBundle: options.workOffline.bundle } : options, log, ctx.cwd);
  const recordedBundle = options.workOffline?.bundle ? undefined : bundle;
  if (bundle) {
    // Offline bundle: packages come from its wheel directory for this platform, nothing else.
    const key = pythonPlatformKey(g.facts);
    const wheels = bundle.wheelsDir(key, g.envDir === "." ? undefined : g.envDir);
    if (!wheels) {
      throw new DhtError(ExitCode.unsatisfiable, `the offline bundle has no wheels for ${key}${g.envDir === "." ? "" : ` (environment ${g.envDir})`}`, {
        subject: bundle.root,
        hint: `make the bundle on a connected machine for this platform: dhtl prepare-offline --platform ${key}`,
      });
    }
    g.registries = { ...g.registries, noIndex: true, extraIndexUrls: [], findLinks: [wheels], origins: { ...g.registries.origins, noIndex: "offline bundle", "findLinks.0": "offline bundle" } };
  }
  const referenced = [
    ...(g.resolved.configFile ? [g.resolved.configFile] : []),
    ...g.declared.requirementFiles,
    // Every file the requirement files pulled in (-r / -c includes).
    ...g.declared.requirementSets.flatMap((set) => set.files),
    ...(g.declared.lockFile ? [g.declared.lockFile.path] : []),
    ...g.declared.sources.map((s: { path: string }) => s.path),
    // The test route's files (tox.ini, noxfile.py, Makefile, CI workflows): an edit there re-runs the install.
    ...g.test.inputs,
  ].map((p) => (p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) ? p : join(g.envRoot, p)));
  const probes = probeFiles(probePaths([g.envRoot, g.projectRoot], referenced));
  const inputsHash = computeInputsHash(options.settingsKey, probes, { envRoot: g.envRoot, venv: g.venv.venvPath, dht: buildInfo.version });
  // A credential the configuration points at but that cannot be found (unset variable, no
  // netrc entry) is an error here, before anything is installed, not a 401 later.
  const credentials = await resolveCredentials(g.registries, { env: ctx.env });
  const pyRequest = pythonRequestOf(g);
  const deps = g.declared;
  const allReqs = [...deps.requirements, ...Object.values(deps.optional).flat(), ...Object.values(deps.groups).flat()];
  const preferBinary = Boolean(options.preferBinary || g.config.dependencies?.prefer_binary);
  const swapResult = preferBinary ? swapForBinary(allReqs) : { requirements: allReqs, swaps: [], notes: [] };
  const swaps = swapResult.swaps.map((s) => ({ from: s.from.raw, to: s.to.raw, why: s.why }));
  for (const n of swapResult.notes) log.info(`prefer-binary: ${n.requirement.name} has no drop-in binary package; ${n.alternative}: ${n.why}`);
  const swapped: Record<string, string> = {};
  allReqs.forEach((r, i) => {
    const after = swapResult.requirements[i];
    if (after && after.raw !== r.raw) swapped[r.raw] = after.raw;
  });
  const isolate = Boolean(options.isolate || g.config.isolation?.enabled);
  const registryEnvNames = (kind: "uv" | "pip") =>
    Object.entries(kind === "uv" ? registryEnvForUv(g.registries) : registryEnvForPip(g.registries))
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);

  let warmup: import("../../bundle/warm-cache.ts").Warmup | undefined;
  const { environmentParts } = await import("./parts.ts");
  const parts = await environmentParts(g, ctx, options, log, bundle);
  const services: SetupServices = {
    parts: parts.map((p) => p.part),
    os: g.facts.os,
    verbose: ctx.verbose,
    inputsHash,
    extraEnv: (g.config.env ?? {}) as Record<string, string>,
    venvGuard: g.venvGuard,
    hashes: {
      python: sha256Hex(JSON.stringify([pyRequest.request ?? null, g.config.python?.implementation ?? null, options.python ?? null, ctx.env.DHT_PYTHON ?? null, configured.offline, recordedBundle?.root ?? null])),
      uv: sha256Hex(JSON.stringify([UV_VERSION, configured.offline, recordedBundle?.root ?? null])),
      deps: sha256Hex(JSON.stringify([probes, preferBinary, recordedBundle === bundle ? g.registries : configured.registries])),
    },
    log: (m) => log.info(m),
    warn: (m) => log.warn(m),
    debug: (m) => log.debug(m),
    async resolvePython() {
      if (bundle && !warmup) warmup = await startBundleWarmup(g, bundle, ctx, (m) => log.debug(m));
      const resolved = await resolveProjectPython(g, pyRequest.request, {
        ctx,
        home: g.home,
        offline: g.offline,
        allowDownload: !g.offline || Boolean(bundle),
        bundle,
        net: g.net,
        allowPatchFallback: g.config.python?.allow_patch_fallback,
        projectRoot: g.envRoot,
        log: (step) => log.debug(`python ${step.step}: ${step.outcome} (${step.why})`),
        note: (m) => log.info(m),
      }, (python, uv) => services.planInput(python, uv), credentials);
      // Another patch than the one asked for: said every time, not only in the chain's debug lines.
      if (resolved.warning) log.warn(resolved.warning);
      const venvHost = await venvHostFor(g, ctx, resolved.version, false);
      return { ...resolved, request: pyRequest.request, requestOrigin: pyRequest.origin, ...(venvHost ? { venvHost } : {}) };
    },
    async ensureVirtualenv() {
      const { indexesWithCredentials } = await import("../../uv/ensure.ts");
      const indexes = g.registries.noIndex ? [] : await indexesWithCredentials([g.registries.indexUrl, ...g.registries.extraIndexUrls], credentials, ctx.env);
      await ensureVirtualenv({ home: g.home, env: ctx.env, offline: g.offline, net: g.net, findLinks: g.registries.findLinks, indexes, log: (m) => log.info(m) });
    },
    async settleBackground() {
      await warmup?.settle();
    },
    async afterInstall(venvPath, pythonVersion) {
      const overlay = bundle?.wheelBytecode(pythonPlatformKey(g.facts));
      // .pyc files are per minor version: a venv of another Python would never read them.
      if (!overlay || minorOf(overlay.python) !== minorOf(pythonVersion)) return;
      const [{ applyOverlay }, { venvSitePackages }] = await Promise.all([import("../../python/bytecode-overlay.ts"), import("../../env/venv.ts")]);
      const site = venvSitePackages(venvPath, pythonVersion, g.facts.os);
      if (!existsSync(site)) return; // a free-threaded build's lib/python3.13t: compiled on first import instead
      const laid = await applyOverlay(site, overlay.path);
      log.debug(`precompiled modules from the bundle: ${laid.files} laid into site-packages (${laid.skipped} not installed here or already compiled)`);
    },
    async obtainUv() {
      try {
        const uv = await ensureUv({ ctx, home: g.home, offline: g.offline, bundle, registries: g.registries, net: g.net });
        return { available: true, path: uv.path, version: uv.version, how: uv.source };
      } catch (error) {
        if (g.config.dependencies?.strategy === "uv" && g.declared.lockFile?.kind === "uv.lock" && !isDhtError(error)) throw error;
        const why = isDhtError(error) ? error.message : (error as Error).message;
        log.warn(`uv cannot be had: ${why}`);
        return { available: false, how: why };
      }
    },
    planInput: (python, uv) => planInputOf(g, options, python, uv, { preferBinary, swaps, swapped, isolate, registryEnvNames: registryEnvNames(uv.available ? "uv" : "pip"), env: ctx.env }),
    childEnv(kind) {
      const overlay = kind === "uv" ? registryEnvForUv(g.registries, credentials) : registryEnvForPip(g.registries, credentials);
      const env = childEnv({ ...ctx.env, ...(g.config.env ?? {}) }, overlay);
      // Proxies and CAs: the same decisions dhtl's own downloads make (one combined CA
      // bundle, never a corporate CA alone). uv also trusts the system store, where
      // corporate CAs are installed, as pip on most distributions does.
      Object.assign(env, subprocessNetEnv(env, g.net, g.home));
      if (kind === "uv" && env.UV_SYSTEM_CERTS === undefined && env.UV_NATIVE_TLS === undefined) env.UV_SYSTEM_CERTS = "1";
      // Offline: uv uses only its cache and local find-links (a bundle's wheels); pip never
      // reaches an index.
      if (g.offline) {
        if (kind === "uv") env.UV_OFFLINE = "1";
        else env.PIP_NO_INDEX = "1";
      }
      return env;
    },
    async buildToolchain(output) {
      const [{ provideBuildToolchain }, { systemContext }] = await Promise.all([import("../../system/toolchains.ts"), import("../../system/index.ts")]);
      const sc = await systemContext({ ctx, home: g.home, facts: g.facts, flags: {}, registries: g.registries, net: g.net, log: (m) => log.info(m), warn: (m) => log.warn(m) });
      return provideBuildToolchain(output, { ...sc, offline: g.offline });
    },
    installFailure(output, argv, pythonVersion) {
      return explainInstallFailure(output, argv, {
        ...(pythonVersion ? { pythonVersion } : {}),
        ...(g.declared.isPackage && g.declared.name ? { project: g.declared.name } : {}),
        settings: g.registries,
        creds: credentials,
        facts: { os: g.facts.os, packageManagers: g.facts.packageManagers, root: g.facts.privileges.root, dhtHome: g.home },
        env: ctx.env,
        net: g.net,
        probe: !g.offline,
        ...(g.offline ? { offline: { bundle: Boolean(bundle) } } : {}),
      });
    },
  };
  return { g, services, probes, inputsHash, credentials, bundle, previews: () => Promise.all(parts.map((p) => p.preview())) };
}

/**
 * Bundle setups: fill uv's cache from the bundle's wheels while the bundled Python is
 * extracted (src/bundle/warm-cache.ts), with the environment the real install gets.
 */
async function startBundleWarmup(g: Gathered, bundle: NonNullable<Prepared["bundle"]>, ctx: RunContext, debug: (m: string) => void) {
  const key = pythonPlatformKey(g.facts);
  const uv = bundle.uv(key);
  const wheelsDir = bundle.wheelsDir(key);
  const python = bundle.python(key);
  const [{ startWheelCacheWarmup, warmupInterpreter }, { hostUvPythonPlatform, parsePlatformKey }] = await Promise.all([import("../../bundle/warm-cache.ts"), import("../../bundle/targets.ts")]);
  const target = parsePlatformKey(key);
  if (!uv || !wheelsDir || !python || !target) return undefined;
  const base = warmupInterpreter(g.facts.os, Bun.which("python3", { PATH: ctx.env.PATH ?? "" }) ?? undefined);
  if (!base) {
    debug("uv cache warm-up skipped: no python3 on PATH to serve as uv's base; the install unpacks the wheels itself");
    return undefined;
  }
  const scratch = homePaths(g.home).cache;
  mkdirSync(scratch, { recursive: true });
  const env = childEnv({ ...ctx.env, ...(g.config.env ?? {}) }, {});
  env.UV_OFFLINE = "1";
  return startWheelCacheWarmup(
    { uv: uv.binary, wheelsDir, requirements: bundle.pinned(key), pythonVersion: python.version, pythonPlatform: hostUvPythonPlatform(target, g.facts.libc.version), python: base },
    env,
    scratch,
    debug,
  );
}

function planInputOf(
  g: Gathered,
  options: SetupOptions,
  python: PythonChoice,
  uv: UvChoice,
  extra: { preferBinary: boolean; swaps: Array<{ from: string; to: string; why?: string }>; swapped: Record<string, string>; isolate: boolean; registryEnvNames: string[]; env: Record<string, string | undefined> },
): PlanInput {
  const deps = g.config.dependencies ?? {};
  return {
    os: g.facts.os,
    envRoot: g.envRoot,
    envDir: g.envDir,
    projectRoot: g.projectRoot,
    project: g.declared,
    registries: g.registries,
    python,
    uv,
    venv: g.venv,
    strategy: (deps.strategy ?? "uv") as PlanInput["strategy"],
    extras: deps.extras ?? [],
    groups: deps.groups ?? [],
    noDev: options.noDev,
    preferBinary: extra.preferBinary,
    swaps: extra.swaps,
    swappedRequirements: extra.swapped,
    isolate: extra.isolate,
    prompt: g.config.python?.prompt,
    registryEnvNames: extra.registryEnvNames,
    virtualenv: virtualenvPaths(g.home),
    arch: g.facts.arch,
    seedPip: !g.offline && !g.registries.noIndex,
    ...(options.noDev ? {} : testRouteFor(g, python.version, extra.env)),
  };
}

/** The test route for the chosen Python (a tox env or CI job of that version), as setup installs it. */
function testRouteFor(g: Gathered, pythonVersion: string | undefined, env: Record<string, string | undefined>): Pick<PlanInput, "testRoute"> {
  const plan = planTestRoute({ root: g.envRoot, declared: g.declared, config: g.config.test, env, files: g.test.files, ...(pythonVersion ? { pythonMinor: minorOf(pythonVersion) } : {}) });
  const route = plan.chosen;
  if (!route) return {};
  const install = routeInstall(route.needs, { extras: Object.keys(g.declared.optional), groups: Object.keys(g.declared.groups), ...(g.declared.isPackage && g.declared.name ? { project: g.declared.name } : {}) });
  // What the tests import, and the route's runners themselves: their import must work.
  const runners = [...route.pre, ...route.suites].map((c) => RUNNER_PACKAGE[c.runner]).filter((p): p is string => Boolean(p)).map(importNameOf);
  return { testRoute: { name: route.name, summary: route.summary, install, imports: [...testImports(g.test.files).keys(), ...runners] } };
}

/** Dry run: preview Python and uv without downloading, then build the plan. */
async function previewPlan(p: Prepared, ctx: RunContext, log: Log): Promise<SetupPlan> {
  const { g } = p;
  const pyRequest = pythonRequestOf(g);
  let python: PythonChoice;
  try {
    const r = await resolveProjectPython(g, pyRequest.request, { ctx, home: g.home, offline: true, allowDownload: false, bundle: p.bundle, net: g.net, suggestContainer: false, projectRoot: g.envRoot, allowPatchFallback: g.config.python?.allow_patch_fallback }, (python, uv) => p.services.planInput(python, uv), p.credentials);
    const venvHost = await venvHostFor(g, ctx, r.version, true);
    python = { ...r, request: pyRequest.request, requestOrigin: pyRequest.origin, ...(venvHost ? { venvHost } : {}) };
  } catch (error) {
    const chain = (isDhtError(error) && Array.isArray(error.details?.chain) ? error.details!.chain : []) as PythonChoice["chain"];
    python = {
      request: pyRequest.request,
      requestOrigin: pyRequest.origin,
      chain,
      problem: `${(error as Error).message}; a real run may download a managed build${g.offline ? " (offline: it will not)" : ""}`,
    };
  }
  let uv: UvChoice;
  try {
    const r = await ensureUv({ ctx, home: g.home, offline: true, bundle: p.bundle, registries: g.registries, net: g.net });
    uv = { available: true, path: r.path, version: r.version, how: r.source };
  } catch (error) {
    uv = g.offline && !p.bundle
      ? { available: false, how: `not cached and offline (${(error as Error).message})` }
      : { available: true, version: UV_VERSION, how: `not cached yet: a real run fetches uv ${UV_VERSION} from ${p.bundle ? "the offline bundle" : `the index ${g.registries.indexUrl.replace(/\/\/[^@/]*@/, "//***@")}`} (sha256-verified), falling back to pip if it cannot` };
  }
  log.debug("plan built");
  const plan = buildPlan(p.services.planInput(python, uv));
  for (const w of plan.warnings) log.warn(w);
  const parts = await p.previews();
  return parts.length ? { ...plan, parts } : plan;
}

export function eventLogger(log: Log, quiet: boolean) {
  return (e: ExecEvent) => {
    switch (e.type) {
      case "resume":
        log.info(`Resuming from: ${e.step} (the previous setup stopped before it finished)`);
        break;
      case "rerun":
        log.info(`Re-running from: ${e.step} (${e.reason})`);
        break;
      case "skip":
        log.debug(`${e.step}: still valid, skipped`);
        break;
      case "start":
        if (!quiet) log.start(`${e.title}`);
        break;
      case "done":
        log.success(`${e.title} (${e.ms < 1000 ? `${Math.round(e.ms)} ms` : `${(e.ms / 1000).toFixed(1)} s`})`);
        break;
      case "fail":
        log.fail?.(`${e.title}: failed`);
        break;
    }
  };
}

/** One environment: dry-run, or lock + execute. */
export async function setupOne(ctx: RunContext, options: SetupOptions, envDir?: string): Promise<SetupOutcome> {
  const log = await getLogger(ctx);
  const p = await prepare(ctx, options, log, envDir);
  const { g } = p;
  if (options.dryRun) {
    const plan = await previewPlan(p, ctx, log);
    return { envDir: g.envDir, envRoot: g.envRoot, ok: true, plan, venv: g.venv.linkPath };
  }
  if (g.venv.placement === "long-paths") {
    log.warn(`${g.venv.why}.\nTo keep venvs inside projects, enable long paths (elevated PowerShell or cmd, then restart the shell):\n  ${g.venv.enableLongPaths}`);
  } else if (g.venv.placement === "network-fs") {
    log.info(g.venv.why);
  }
  const lock = await acquireLock(join(g.envRoot, ".dht", "lock"), {
    purpose: "setup",
    noWait: options.noWait,
    onWait: (o) => log.info(`waiting for the setup running as pid ${o.pid}${o.host ? ` on ${o.host}` : ""} (lock ${join(g.envRoot, ".dht", "lock")})`),
  });
  // Children a setup killed with SIGKILL left running (an orphaned uv) are ended first; this
  // run's own children are recorded for the next one.
  const { killOrphanedChildren, recordChildrenIn } = await import("../../process.ts");
  const childRecord = join(g.envRoot, ".dht", "children.json");
  const orphans = killOrphanedChildren(childRecord);
  if (orphans.length) log.info(`ended ${orphans.length} process${orphans.length === 1 ? "" : "es"} a killed setup left running (pid ${orphans.join(", ")})`);
  recordChildrenIn(childRecord);
  try {
    // A fix-env --deep killed between the two renames of its swap: finish or undo it, never build over it.
    const recovered = recoverSwap(g.venvGuard.stateDir);
    if (recovered) log.info(recovered);
    // .dht/ is machine state: keep it out of version control without touching the user's .gitignore.
    const ignore = join(g.envRoot, ".dht", ".gitignore");
    if (!existsSync(ignore)) writeFileSync(ignore, "# dhtl state (checkpoints, lock): safe to delete, never commit\n*\n");
    // Another run may have finished the same work while we waited.
    if (!options.restart) {
      const verdict = checkUpToDate(g.envRoot, options.settingsKey, g.envRoot);
      if (verdict.upToDate && verdict.checkpoint.inputsHash === p.inputsHash) {
        log.success(`Environment is up to date: nothing changed (${g.venv.linkPath})`);
        return { envDir: g.envDir, envRoot: g.envRoot, ok: true, upToDate: true, venv: g.venv.linkPath };
      }
    }
    const state: SetupState = {};
    const result = await executeSteps(setupSteps(p.services), state, {
      checkpointFile: join(g.envRoot, CHECKPOINT_NAME),
      inputsHash: p.inputsHash,
      settingsKey: options.settingsKey,
      dhtVersion: buildInfo.version,
      probes: p.probes,
      venvPath: g.venv.venvPath,
      venvLink: g.venv.linkPath !== g.venv.venvPath ? g.venv.linkPath : undefined,
      otherEnvironments: g.otherEnvironments,
      restart: options.restart,
      env: ctx.env,
      onEvent: eventLogger(log, ctx.quiet),
      beforeFirstRun: () => unmarkVenv(g.venv.venvPath),
    });
    if (result.ran.length === 0) log.success(`Environment is up to date: nothing changed (${g.venv.linkPath})`);
    return {
      envDir: g.envDir,
      envRoot: g.envRoot,
      ok: true,
      upToDate: result.ran.length === 0,
      venv: g.venv.linkPath,
      python: state.python?.version,
      ran: result.ran,
      skipped: result.skipped,
      resumedFrom: result.resumedFrom,
      plan: state.plan,
    };
  } finally {
    // The cache warm-up never outlives setup, whichever step stopped it.
    await p.services.settleBackground();
    recordChildrenIn(undefined);
    lock.release();
  }
}

export async function runSetup(ctx: RunContext, options: SetupOptions): Promise<number> {
  if (options.allEnvironments) return runAllEnvironments(ctx, options);
  const outcome = await setupOne(ctx, options);
  if (ctx.json) {
    printJson(outcome);
  } else if (options.dryRun) {
    printText(renderPlan(outcome.plan!));
  } else {
    // Where the project's .venv link could not be made (sshfs refuses symlinks), only the
    // pointer file names the venv: the hint shows the path that exists.
    const { readVenvPointer } = await import("../../env/local-venv.ts");
    const shown = existsSync(outcome.venv!) ? outcome.venv! : (readVenvPointer(outcome.envRoot) ?? outcome.venv!);
    printText(activationText(shown, { upToDate: outcome.upToDate, python: outcome.python, windows: process.platform === "win32", isolated: outcome.plan?.isolate }));
  }
  return ExitCode.ok;
}

async function runAllEnvironments(ctx: RunContext, options: SetupOptions): Promise<number> {
  const log = await getLogger(ctx);
  const { resolveConfig } = await import("../../config/resolve.ts");
  const resolved = await resolveConfig({ cwd: ctx.cwd, env: ctx.env });
  // A uv workspace whose root is a package itself: the root is one more environment, first.
  const dirs = [...(resolved.workspace?.rootIsPackage ? ["."] : []), ...environmentDirs(resolved)];
  if (dirs.length === 0) {
    throw new DhtError(ExitCode.usage, "--all-environments: the configuration declares no environments", {
      subject: resolved.configFile ?? ".dhtconfig",
      hint: "add an `environments:` mapping to .dhtconfig (directory → settings) or make the project a uv workspace ([tool.uv.workspace] members), or run dhtl setup without --all-environments",
    });
  }
  const outcomes: SetupOutcome[] = [];
  for (const dir of dirs) {
    log.info(`── environment ${dir}`);
    const sub = { ...ctx, cwd: resolved.projectRoot };
    try {
      outcomes.push(await setupOne(sub, { ...options, env: undefined }, dir === "." ? undefined : dir));
    } catch (error) {
      const e = isDhtError(error) ? error : new DhtError(ExitCode.failed, (error as Error).message);
      log.error(`${dir}: ${e.message}${e.hint ? `\n  hint: ${e.hint.split("\n")[0]}` : ""}`);
      outcomes.push({ envDir: dir, envRoot: join(resolved.projectRoot, dir), ok: false, error: e.toJSON() });
    }
  }
  const failed = outcomes.filter((o) => !o.ok);
  if (ctx.json) {
    printJson({ ok: failed.length === 0, environments: outcomes });
  } else {
    const rows = outcomes.map((o) => [o.envDir, o.ok ? (options.dryRun ? "planned" : o.upToDate ? "up to date" : "ok") : "FAILED", o.python ?? o.plan?.python.version ?? "", o.ok ? (o.venv ?? "") : (o.error?.message ?? "")]);
    printText(formatTable(rows, ["environment", "result", "python", "venv / error"]));
  }
  if (failed.length) {
    if (ctx.json) return ExitCode.failed; // the JSON document above already says what failed
    throw new DhtError(ExitCode.failed, `${failed.length} of ${outcomes.length} environments failed: ${failed.map((f) => f.envDir).join(", ")}`, {
      hint: "see the messages above; fix them and run dhtl setup --all-environments again (finished environments are skipped)",
    });
  }
  return ExitCode.ok;
}
