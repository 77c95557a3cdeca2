/**
 * Gathering what a setup plan is made of, from the other areas of dhtl: the resolved
 * configuration (src/config), the declared project (src/project), the package indexes
 * (src/registries), platform facts (src/platform). Python and uv are resolved by the steps
 * (steps.ts) in a real run, and by `previewPythonAndUv` (no downloads) in a dry run.
 */
import { resolve, relative, join } from "node:path";
import { resolveConfig } from "../../config/resolve.ts";
import type { ConfigFlags } from "../../config/overrides.ts";
import { readDeclaredProject } from "../../project/declared.ts";
import { discoverRegistries } from "../../registries/discover.ts";
import { getPlatformFacts, filesystemOf } from "../../platform/index.ts";
import type { PlatformFacts } from "../../platform/index.ts";
import type { RegistrySettings } from "../../registries/types.ts";
import type { NetSettings } from "../../net/types.ts";
import { decideVenvLocation, type VenvLocation } from "../../env/local-venv.ts";
import { dhtHome } from "../../paths.ts";
import { assertVenvPathUsable, checkVenvSetting, type VenvGuard } from "../../env/removal-guard.ts";
import type { RunContext } from "../../context.ts";
import { DhtError, ExitCode } from "../../errors.ts";
import { planTestRoute, type RoutePlan } from "../../testing/index.ts";
import type { ProjectFiles, PythonSignal } from "../../testing/types.ts";
import { formatEvidence } from "../../testing/types.ts";
import type { VersionHint } from "../../python/preferences.ts";
import { versionFileHints } from "../../project/python-version.ts";

export interface SetupFlags {
  /** Every configuration-overriding flag given (--python, --venv, --strict, --index-url, …). */
  config?: Partial<ConfigFlags>;
  python?: string;
  env?: string;
  preferBinary?: boolean;
  isolate?: boolean;
  localVenv?: boolean;
  offline?: boolean;
  offlineBundle?: string;
  /** Public key the offline bundle must be signed with (--verify-key). */
  verifyKey?: string;
  noDev?: boolean;
  /** --system (true) / --no-system (false): how platform_deps are provided (src/system). */
  system?: boolean;
  /** --strict: exactly the requested versions (Python and Node.js). */
  strict?: boolean;
}

export type ResolvedConfig = Awaited<ReturnType<typeof resolveConfig>>;
export type DhtConfig = ResolvedConfig["config"];
export type DeclaredProject = Awaited<ReturnType<typeof readDeclaredProject>>;

export interface Gathered {
  home: string;
  resolved: ResolvedConfig;
  config: DhtConfig;
  projectRoot: string;
  envRoot: string;
  /** "." or the environment's directory relative to the project root. */
  envDir: string;
  declared: DeclaredProject;
  registries: RegistrySettings;
  facts: PlatformFacts;
  venv: VenvLocation;
  /** What the venv step may never delete (src/env/removal-guard.ts), and where its ownership record lives. */
  venvGuard: VenvGuard;
  net: NetSettings;
  /** Absolute paths of the other environments (monorepo), which this setup does not cover. */
  otherEnvironments: string[];
  offline: boolean;
  /** The test route as read before the Python is known (src/testing): its files, inputs and Python signals. */
  test: RoutePlan & { files: ProjectFiles; inputs: string[] };
  /** Versions the project's files name, for preferring one inside a range (src/python/preferences.ts). */
  pythonHints: VersionHint[];
}

export function netSettingsOf(config: DhtConfig): NetSettings {
  const proxy = config.proxy ?? { no_proxy: [] };
  return {
    proxy: { http: proxy.http, https: proxy.https, no_proxy: proxy.no_proxy },
    ...(proxy.ca_bundle ? { caBundle: proxy.ca_bundle } : {}),
  };
}

export async function gatherSetup(ctx: RunContext, flags: SetupFlags, envDirOverride?: string): Promise<Gathered> {
  const home = dhtHome(ctx.env);
  const resolved = await resolveConfig({
    cwd: ctx.cwd,
    env: ctx.env,
    flags: {
      ...flags.config,
      ...(flags.python ? { python: flags.python } : {}),
      ...(flags.offline ? { offline: true } : {}),
      ...(flags.offlineBundle ? { offlineBundle: flags.offlineBundle } : {}),
      ...(flags.preferBinary ? { preferBinary: true } : {}),
      ...(flags.isolate ? { isolate: true } : {}),
    },
    ...(envDirOverride ?? flags.env ? { envDir: envDirOverride ?? flags.env } : {}),
  });
  const config = resolved.config;
  const projectRoot = resolved.projectRoot;
  const envRoot = resolved.environment?.root ?? projectRoot;
  const envDir = resolved.environment?.dir ?? ".";
  const venvSetting = config.python?.venv ?? ".venv";
  // Before anything else reads or plans: a venv setting naming the project, a parent, a
  // file or someone's directory is refused here (it would be deleted to make the venv).
  const venvGuard = checkVenvSetting(resolved, ctx.env);
  const declared = await readDeclaredProject(envRoot, config, ctx.env);
  const environments = Object.keys(config.environments ?? {});
  if (!resolved.environment && environments.length > 0 && declared.sources.length === 0 && !declared.isPackage) {
    // A monorepo root that declares nothing itself: the user most likely meant an environment.
    throw new DhtError(ExitCode.usage, `${projectRoot} is not one of the environments in ${resolved.configFile ?? ".dhtconfig"} and declares no dependencies itself`, {
      subject: resolved.configFile ?? ".dhtconfig",
      hint: `run dhtl setup in one of: ${environments.join(", ")}; or name one with --env DIR; or set them all up with --all-environments`,
    });
  }
  if (!resolved.configFile && declared.sources.length === 0 && !declared.isPackage && !config.python?.version) {
    // Nothing here says "Python project": a venv in an arbitrary directory (the home
    // directory, a download folder) would be a surprise, not a setup.
    throw new DhtError(ExitCode.usage, `no Python project found in ${projectRoot}`, {
      subject: projectRoot,
      hint: "run dhtl setup where the project is (pyproject.toml, requirements.txt, setup.py, Pipfile, .python-version), or --cwd DIR; `dhtl init` starts a .dhtconfig here, and `dhtl setup --python 3.12` makes a bare environment on purpose",
    });
  }
  const test = planTestRoute({ root: envRoot, declared, config: config.test, env: ctx.env });
  const pythonHints = await projectPythonHints(envRoot, declared, test.signals);
  const registries = await discoverRegistries({
    root: envRoot,
    env: ctx.env,
    config,
    configOrigins: resolved.origins,
    project: declared,
  });
  const facts = await getPlatformFacts();
  const fsInfo = await filesystemOf(envRoot).catch(() => undefined);
  const localFlag = flags.localVenv ?? (ctx.env.DHT_LOCAL_VENV === "1" ? true : ctx.env.DHT_LOCAL_VENV === "0" ? false : undefined);
  const venv = decideVenvLocation({
    envRoot,
    venvSetting,
    home,
    fs: fsInfo,
    localVenvFlag: localFlag,
    os: facts.os,
    longPathsEnabled: facts.windows?.longPathsEnabled,
  });
  if (venv.venvPath !== venv.linkPath) assertVenvPathUsable(venv.venvPath, venvGuard.anchors, venvGuard.stateDir, venvGuard.origin);
  const otherEnvironments = environments.map((d) => resolve(projectRoot, d)).filter((abs) => abs !== envRoot);
  const offline = Boolean(flags.offline || flags.offlineBundle || config.offline?.enabled);
  return {
    home,
    resolved,
    config,
    projectRoot,
    envRoot,
    envDir: envDir === "" ? "." : envDir,
    declared,
    registries,
    facts,
    venv,
    venvGuard,
    net: netSettingsOf(config),
    otherEnvironments,
    offline,
    test,
    pythonHints,
  };
}

/**
 * The versions a project's files name (classifiers, the test route's tox env list / CI matrix
 * / nox / Dockerfile, .tool-versions, runtime.txt): what src/python/preferences.ts chooses
 * from inside a range. Setup and prepare-offline use the same list, so a bundle carries the
 * Python setup will look for.
 */
export async function projectPythonHints(envRoot: string, declared: { pythonClassifiers?: string[] }, signals: PythonSignal[]): Promise<VersionHint[]> {
  return [
    ...(declared.pythonClassifiers?.length ? [{ kind: "classifiers", minors: declared.pythonClassifiers, origin: "the trove classifiers" }] : []),
    ...signals.map((sig) => ({ kind: sig.kind, minors: sig.minors, origin: formatEvidence(sig.evidence) })),
    ...(await versionFileHints(envRoot)).map((h) => ({ kind: h.kind, minors: [h.request.split(".").slice(0, 2).join(".")], origin: h.origin })),
  ];
}

/** Environment directories named in the config (for --all-environments), relative to the project root. */
export function environmentDirs(resolved: ResolvedConfig): string[] {
  return Object.keys(resolved.config.environments ?? {});
}

export const relPath = (from: string, to: string) => relative(from, to) || ".";
export const joinPath = join;
