/**
 * `dhtl prepare-offline`: gather everything an air-gapped machine needs to set the project
 * up, into one verifiable bundle (layout: src/bundle/types.ts).
 *
 *  1. Environments: the project root, `--env DIR`, or every `environments:` entry.
 *  2. Per environment: resolved config, declared project, package indexes, Python request.
 *  3. Decisions before any download: the CPython build of every environment on every target.
 *  4. What uv must resolve per environment: requirement files and declarations (or uv.lock's
 *     pins), plus what building the project itself needs (src/bundle/build-requires.ts).
 *  5. Per target platform: the CPython build(s) (sha256-checked downloads), uv for that
 *     platform (from the index's uv wheel), the wheels of each environment
 *     (src/bundle/wheels.ts), and optionally dhtl itself.
 *  6. The project's config, dependency and lock files; manifest.json (+ signature); the
 *     deterministic .tar.gz (or a directory).
 *
 * Everything is staged in a directory beside the output and moved into place only when
 * complete, so a failed or interrupted run leaves no half-written bundle behind.
 */
import { existsSync, rmSync } from "node:fs";
import { copyFile, mkdir, rmdir, stat, writeFile } from "node:fs/promises";
import { makeOwnedTempDir, sweepAbandonedTemps } from "../../platform/owned-temp.ts";
import { basename, dirname, join, relative, resolve } from "node:path";
import { buildInfo } from "../../build-info.ts";
import type { RunContext } from "../../context.ts";
import { DhtError, ExitCode, isDhtError, usageError } from "../../errors.ts";
import type { NetSettings } from "../../net/types.ts";
import { dhtHome, homePaths } from "../../paths.ts";
import type { PythonBuild } from "../../python/manifest.ts";
import type { RegistrySettings } from "../../registries/types.ts";
import { getLogger } from "../../ui/logger.ts";
import type { ProgressMode } from "../../ui/progress.ts";
import { UV_VERSION } from "../../uv/version.ts";
import { dhtlBinaryPath, PROJECT_DIR, pythonArchivePath, pythonBytecodePath, uvBinaryPath, wheelsBytecodePath, wheelsDirPath } from "../../bundle/layout.ts";
import { parseGlibc, parsePlatformList } from "../../bundle/targets.ts";
import type { BundleManifest, BundlePlatform, BundlePython, BundleWheelSet } from "../../bundle/types.ts";
import { collectUvBinary, collectWheels, removeQuietly } from "../../bundle/wheels.ts";
import { isArchiveOutput, writeBundle, type WrittenBundle } from "../../bundle/write.ts";
import { bundleEpoch, choosePythonBuild, compileInputLines, environmentsToBundle } from "./plan.ts";
import { projectFilesOf } from "./project-files.ts";
import { fetchDhtlExecutable } from "./self.ts";
import { readTomlFile } from "../../project/python-version.ts";

export interface PrepareOfflineOptions {
  output: string;
  platforms: string[];
  envDir?: string;
  allEnvironments: boolean;
  includeSelf: boolean;
  signKeyFile?: string;
  glibc?: string;
  /** Swap packages that need compiling for binary alternatives (as `dhtl setup --prefer-binary`). */
  preferBinary?: boolean;
}

type Declared = Awaited<ReturnType<typeof import("../../project/declared.ts").readDeclaredProject>>;

/** One environment, as gathered (step 2). */
interface GatheredEnvironment {
  dir: string;
  root: string;
  pythonRequest?: string;
  requestOrigin?: string;
  allowPatchFallback: boolean;
  declared: Declared;
  /** Extras and groups setup installs (src/flows/setup/plan.ts selectExtrasAndGroups). */
  selection: { extras: string[]; groups: string[] };
  /** Setup installs uv.lock with `uv sync --frozen`. */
  usesUvLock: boolean;
  /** dependencies.prefer_binary of this environment. */
  preferBinary: boolean;
  /** What the test route adds (src/testing): requirement lines for the compile. */
  routeLines: string[];
  /** Versions the project's files name (the preference setup applies inside a range). */
  pythonHints: import("../../python/preferences.ts").VersionHint[];
  pyproject?: Record<string, unknown>;
  registries: RegistrySettings;
  uvEnv: Record<string, string | undefined>;
  net: NetSettings;
  /** Project files of this environment, relative to its root. */
  projectFiles: string[];
  /** platform_deps and languages.node (src/system/offline.ts bundles what they need). */
  toolchains: { projectRoot: string; platformDeps: DhtConfigType["platform_deps"]; node?: DhtConfigType["languages"]["node"]; nodeOrigin?: string };
}
type DhtConfigType = import("../../config/schema.ts").DhtConfig;

export interface PrepareOfflineResult {
  bundle: WrittenBundle;
  seconds: number;
  missing: Array<{ platform: string; environment: string; requirement: string; reason: string }>;
  warnings: string[];
}

/**
 * The environment uv runs with: the user's, the indexes (with credentials, in the child's
 * environment only), proxies and CAs as dhtl itself uses them (src/net/subprocess-env.ts:
 * environment variables win, .dhtconfig fills the gaps, one combined CA bundle), and dhtl's
 * uv cache. Never a Python download: uv only resolves here.
 */
async function uvEnvironment(base: Record<string, string | undefined>, registryEnv: Record<string, string | undefined>, net: NetSettings, home: string): Promise<Record<string, string | undefined>> {
  const { subprocessNetEnv } = await import("../../net/subprocess-env.ts");
  const env: Record<string, string | undefined> = { ...base, ...registryEnv, ...subprocessNetEnv(base, net, home) };
  env.UV_CACHE_DIR = base.UV_CACHE_DIR ?? join(homePaths(home).cache, "uv");
  env.UV_PYTHON_DOWNLOADS = "never";
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

async function gatherEnvironment(ctx: RunContext, projectRoot: string, dir: string, home: string): Promise<GatheredEnvironment> {
  const { resolveConfig } = await import("../../config/resolve.ts");
  const { readDeclaredProject } = await import("../../project/declared.ts");
  const { discoverRegistries } = await import("../../registries/discover.ts");
  const { resolveCredentials } = await import("../../registries/credentials.ts");
  const { registryEnvForUv } = await import("../../registries/env.ts");
  const { selectExtrasAndGroups } = await import("../setup/plan.ts");
  const { netSettingsOf } = await import("../setup/gather.ts");
  const resolved = await resolveConfig({ cwd: projectRoot, env: ctx.env, ...(dir === "." ? {} : { envDir: dir }) });
  const config = resolved.config;
  const root = resolved.environment?.root ?? projectRoot;
  const declared = await readDeclaredProject(root, config, ctx.env);
  const registries = await discoverRegistries({ root, env: ctx.env, config, configOrigins: resolved.origins, project: declared });
  const creds = await resolveCredentials(registries, { env: ctx.env });
  const net = netSettingsOf(config);
  const pyprojectPath = join(root, "pyproject.toml");
  // The test route's needs go into the bundle too: setup installs them offline (src/testing).
  const [{ planTestRoute }, { routeInstall }, { projectPythonHints }] = await Promise.all([import("../../testing/index.ts"), import("../../testing/install-needs.ts"), import("../setup/gather.ts")]);
  const routePlan = planTestRoute({ root, declared, config: config.test, env: ctx.env });
  const route = routePlan.chosen ? routeInstall(routePlan.chosen.needs, { extras: Object.keys(declared.optional), groups: Object.keys(declared.groups), ...(declared.isPackage && declared.name ? { project: declared.name } : {}) }) : undefined;
  const base = selectExtrasAndGroups(declared, config.dependencies.extras, config.dependencies.groups);
  return {
    dir,
    root,
    pythonRequest: config.python.version,
    requestOrigin: resolved.origins["python.version"],
    allowPatchFallback: config.python.allow_patch_fallback,
    declared,
    selection: {
      extras: [...new Set([...base.extras, ...(route?.extras.map((e) => e.name) ?? [])])],
      groups: [...new Set([...base.groups, ...(route?.groups.map((g) => g.name) ?? [])])],
    },
    routeLines: route
      ? [...route.requirementFiles.map((f) => `-r ${join(root, f.path)}`), ...route.constraintFiles.map((f) => `-c ${join(root, f.path)}`), ...route.requirements.map((r) => r.text)]
      : [],
    pythonHints: await projectPythonHints(root, declared, routePlan.signals),
    usesUvLock: declared.lockFile?.kind === "uv.lock" && config.dependencies.strategy === "uv",
    preferBinary: config.dependencies.prefer_binary,
    pyproject: (await readTomlFile(pyprojectPath, "pyproject.toml"))?.data,
    registries,
    uvEnv: await uvEnvironment(ctx.env, registryEnvForUv(registries, creds), net, home),
    net,
    projectFiles: await projectFilesOf(root, declared.requirementFiles),
    toolchains: { projectRoot, platformDeps: config.platform_deps, ...(config.languages.node ? { node: config.languages.node } : {}), ...(resolved.origins["languages.node.version"] ? { nodeOrigin: resolved.origins["languages.node.version"] } : {}) },
  };
}

/** Wheels at least this big get a byte progress display while they download. */
const BIG_WHEEL = 8 * 1024 * 1024;

/** Commit time of HEAD when the project is a git checkout (the same in every clone), else undefined. */
async function gitCommitTime(root: string): Promise<number | undefined> {
  try {
    const proc = Bun.spawn(["git", "-C", root, "log", "-1", "--format=%ct"], { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    const seconds = Number(out.trim());
    return code === 0 && Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
  } catch {
    return undefined; // no git on this machine
  }
}

/** Copy project files into staging/project/ (paths relative to the project root); returns their newest mtime in seconds. */
async function stageProjectFiles(staging: string, projectRoot: string, files: string[]): Promise<number> {
  let newest = 0;
  await mkdir(join(staging, PROJECT_DIR), { recursive: true });
  for (const from of [...files].sort()) {
    const rel = relative(projectRoot, from).split("\\").join("/");
    await mkdir(dirname(join(staging, PROJECT_DIR, rel)), { recursive: true });
    await copyFile(from, join(staging, PROJECT_DIR, rel));
    newest = Math.max(newest, (await stat(from)).mtimeMs / 1000);
  }
  return newest;
}

/** raw → raw of the prefer-binary swaps setup makes (src/packages/binary-alternatives.ts). */
async function binarySwaps(declared: Declared): Promise<Record<string, string>> {
  const { swapForBinary } = await import("../../packages/binary-alternatives.ts");
  const all = [...declared.requirements, ...Object.values(declared.optional).flat(), ...Object.values(declared.groups).flat()];
  const after = swapForBinary(all).requirements;
  const swapped: Record<string, string> = {};
  all.forEach((r, i) => {
    if (after[i] && after[i]!.raw !== r.raw) swapped[r.raw] = after[i]!.raw;
  });
  return swapped;
}

export async function prepareOffline(ctx: RunContext, opts: PrepareOfflineOptions): Promise<PrepareOfflineResult> {
  const started = performance.now();
  const log = await getLogger(ctx);
  const home = dhtHome(ctx.env);
  const output = resolve(ctx.cwd, opts.output);
  if (existsSync(output)) {
    if (!isArchiveOutput(output)) throw usageError(`${output} already exists`, { subject: "--output", hint: "name a new directory, or a .tar.gz file" });
    if ((await stat(output)).isDirectory()) throw usageError(`${output} is a directory`, { subject: "--output", hint: "name the .tar.gz file to write" });
  }
  const glibc = parseGlibc(opts.glibc);
  const progress: ProgressMode = ctx.quiet || ctx.json ? "none" : "auto";

  // 1-2. Environments.
  const { resolveConfig } = await import("../../config/resolve.ts");
  const { detectDependencySources } = await import("../../project/sources.ts");
  const top = await resolveConfig({ cwd: ctx.cwd, env: ctx.env });
  const projectRoot = top.projectRoot;
  const envDirs = environmentsToBundle({
    envFlag: opts.envDir,
    allEnvironments: opts.allEnvironments,
    configured: Object.keys(top.config.environments),
    current: top.environment?.dir,
    rootHasSources: (await detectDependencySources(projectRoot)).length > 0,
  });
  const environments: GatheredEnvironment[] = [];
  for (const dir of envDirs) environments.push(await gatherEnvironment(ctx, projectRoot, dir, home));
  const rootEnv = environments[0]!;

  // 3. Every build decided before anything is downloaded.
  const { getPlatformFacts, pythonPlatformKey } = await import("../../platform/index.ts");
  const hostKey = pythonPlatformKey(await getPlatformFacts());
  const targets = parsePlatformList(opts.platforms, hostKey);
  const { loadPythonBuilds } = await import("../../python/manifest.ts");
  const { builds } = await loadPythonBuilds(ctx.env);
  const { pythonPreference } = await import("../../python/preferences.ts");
  const buildFor = (env: GatheredEnvironment, platform: string) => {
    const preference = pythonPreference(env.pythonRequest, env.pythonHints);
    return choosePythonBuild(env.pythonRequest, builds, platform, { allowPatchFallback: env.allowPatchFallback, origin: env.requestOrigin, ...(preference ? { preference } : {}) });
  };
  const chosen = new Map(targets.map((t) => [t.key, new Map(environments.map((env) => [env.dir, buildFor(env, t.key)]))]));
  const signKey = opts.signKeyFile ? await (await import("../../bundle/sign.ts")).loadPrivateKey(resolve(ctx.cwd, opts.signKeyFile)) : undefined;

  const { ensureUv } = await import("../../uv/ensure.ts");
  const uv = (await ensureUv({ ctx, home, registries: rootEnv.registries, net: rootEnv.net, progress })).path;
  const { downloadVerified } = await import("../../net/download.ts");
  const { downloadUrlOf } = await import("../../python/installs.ts");
  const { redactUrl } = await import("../../net/redact.ts");
  const downloadOpts = (net: NetSettings, mode: ProgressMode = progress) => ({ env: ctx.env, home, offline: false, progress: mode, net });

  /** A runnable CPython of this build on this machine (a managed install), for builds and build hooks. */
  const hostInterpreters = new Map<string, Promise<string>>();
  const hostPython = (build: PythonBuild, net: NetSettings): Promise<string> => {
    let p = hostInterpreters.get(build.version);
    if (!p) {
      p = (async () => {
        const { installBuild, interpreterIn } = await import("../../python/installs.ts");
        const result = await installBuild(build, { home, env: ctx.env, offline: false, net, progress });
        return interpreterIn(result.install.dir, build.version, build.platform);
      })();
      hostInterpreters.set(build.version, p);
    }
    return p;
  };

  await mkdir(dirname(output), { recursive: true });
  await mkdir(homePaths(home).cache, { recursive: true });
  // Owner-marked temp trees: what a killed run left (its pid dead) is removed first.
  sweepAbandonedTemps(dirname(output));
  sweepAbandonedTemps(homePaths(home).cache);
  const staging = makeOwnedTempDir(dirname(output), `.${basename(output)}.staging`);
  const workDir = makeOwnedTempDir(homePaths(home).cache, "prepare-work");
  // Ctrl-C ends the process without unwinding (src/main.ts): leave no staging directory behind.
  const cleanupOnExit = () => {
    for (const dir of [staging, workDir]) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", cleanupOnExit);
  const missing: PrepareOfflineResult["missing"] = [];
  const warnings: string[] = [...top.warnings];
  try {
    // 4. What to resolve per environment.
    const compileLines = new Map<string, string[]>();
    for (const env of environments) {
      let buildRequires: string[] = [];
      if (env.declared.isPackage) {
        const { buildSystemOf, projectBuildRequires } = await import("../../bundle/build-requires.ts");
        try {
          const python = await hostPython(buildFor(env, hostKey), env.net);
          buildRequires = await projectBuildRequires({ uv, python, projectRoot: env.root, pyproject: env.pyproject, env: env.uvEnv, workDir });
        } catch (error) {
          if (!isDhtError(error)) throw error;
          buildRequires = buildSystemOf(env.pyproject).requires;
          warnings.push(`${env.dir}: ${error.message}; bundling only [build-system].requires (${buildRequires.join(", ")})`);
        }
      }
      let lines: string[];
      if (env.usesUvLock) {
        // Setup installs uv.lock's pins: bundle exactly those.
        const { exportUvLock } = await import("../../uv/lock-export.ts");
        const outFile = join(workDir, `uv-export-${Bun.hash(env.root).toString(16)}.txt`);
        lines = [`-r ${await exportUvLock({ uv, root: env.root, ...env.selection, env: env.uvEnv, outFile })}`, ...buildRequires];
      } else {
        lines = [...compileInputLines({ ...env.declared, root: env.root }, env.selection, buildRequires, opts.preferBinary || env.preferBinary ? await binarySwaps(env.declared) : {}), ...env.routeLines];
        const locked = env.declared.locked;
        if (locked?.graph && locked.freshness?.fresh !== false) {
          // Setup installs poetry.lock / pdm.lock / Pipfile.lock's exact versions: the bundle's
          // resolution for each platform is held to them (uv still evaluates each platform's markers).
          // A name locked at two versions (per-marker forks) is left to the resolver.
          const nodes = locked.graph.nodes.filter((n) => n.version && !n.local && !n.forExtras?.length);
          const versions = new Map<string, Set<string>>();
          for (const n of nodes) versions.set(n.normalizedName, (versions.get(n.normalizedName) ?? new Set()).add(n.version!));
          const pins = [...new Set(nodes.filter((n) => versions.get(n.normalizedName)!.size === 1).map((n) => `${n.name}==${n.version}`))];
          const constraints = join(workDir, `lock-pins-${Bun.hash(env.root).toString(16)}.txt`);
          await Bun.write(constraints, `${pins.join("\n")}\n`);
          lines.push(`-c ${constraints}`);
        }
      }
      compileLines.set(env.dir, lines);
    }

    // 5. Per platform.
    const platforms: BundlePlatform[] = [];
    /** Overlays for each bundled build on this machine's platform; a failure only costs the speed-up. */
    const precompileFor = async (key: string, pythons: Map<string, BundlePython>, wheels: Record<string, BundleWheelSet>) => {
      const { precompileBuild } = await import("../../bundle/precompile.ts");
      const { directDependencyNames } = await import("../setup/plan.ts");
      for (const python of pythons.values()) {
        const users = environments.filter((env) => wheels[env.dir]?.python === python.version);
        const stdlibOut = join(staging, pythonBytecodePath(key, basename(python.path)));
        const outs = users.map((env) => join(staging, wheelsBytecodePath(key, env.dir)));
        for (const out of [stdlibOut, ...outs]) await mkdir(dirname(out), { recursive: true });
        try {
          const made = await precompileBuild({
            uv,
            archive: join(staging, python.path),
            build: { version: python.version, platform: key, format: python.format },
            environments: users.map((env, i) => {
              const set = wheels[env.dir]!;
              const absent = new Set(set.missing.map((m) => m.requirement));
              return { dir: env.dir, wheelsDir: join(staging, set.dir), pins: set.requirements.filter((r) => !absent.has(r)), names: directDependencyNames(env.declared, env.selection), out: outs[i]! };
            }),
            env: rootEnv.uvEnv,
            workDir,
            stdlibOut,
          });
          python.bytecode = pythonBytecodePath(key, basename(python.path));
          for (const env of users) if (made.environments[env.dir]) wheels[env.dir]!.bytecode = wheelsBytecodePath(key, env.dir);
          log.info(`CPython ${python.version}: precompiled what setup imports (${made.stdlib} stdlib modules, ${Object.values(made.environments).reduce((a, b) => a + b, 0)} from the wheels)`);
        } catch (error) {
          for (const out of [stdlibOut, ...outs]) await removeQuietly(out);
          warnings.push(`${key}: CPython ${python.version} is bundled without precompiled modules (${(error as Error).message}); setup works, its first imports are slower`);
        }
        for (const out of [stdlibOut, ...outs]) await rmdir(dirname(out)).catch(() => {});
      }
    };
    for (const target of targets) {
      log.start(`Collecting for ${target.key}`);
      const perEnv = chosen.get(target.key)!;
      const pythons = new Map<string, BundlePython>();
      for (const build of perEnv.values()) {
        if (pythons.has(build.version)) continue;
        const url = await downloadUrlOf(build, ctx.env, rootEnv.net);
        const archive = await downloadVerified({ url, sha256: build.sha256, label: `CPython ${build.version} (${target.key})` }, downloadOpts(rootEnv.net));
        const archiveName = decodeURIComponent(basename(new URL(build.url, "file:///").pathname));
        const rel = pythonArchivePath(target.key, archiveName);
        await mkdir(dirname(join(staging, rel)), { recursive: true });
        await copyFile(archive, join(staging, rel));
        pythons.set(build.version, { version: build.version, build: build.build, path: rel, sha256: build.sha256, format: build.format, flavor: build.flavor, url: redactUrl(url) });
      }

      const uvBinary = await collectUvBinary(
        { uv, target, glibc, pythonVersion: [...pythons.keys()][0]!, cwd: rootEnv.root, env: rootEnv.uvEnv, workDir, download: (spec) => downloadVerified(spec, downloadOpts(rootEnv.net)) },
        UV_VERSION,
      );
      const uvRel = uvBinaryPath(target);
      await mkdir(dirname(join(staging, uvRel)), { recursive: true });
      await writeFile(join(staging, uvRel), uvBinary.bytes, { mode: 0o755 });
      log.info(`uv ${UV_VERSION} for ${target.key} (${uvBinary.wheel})`);

      const wheels: Record<string, BundleWheelSet> = {};
      for (const env of environments) {
        const build = perEnv.get(env.dir)!;
        const rel = wheelsDirPath(target.key, env.dir);
        const got = await collectWheels({
          uv,
          target,
          glibc,
          pythonVersion: build.version,
          requirements: compileLines.get(env.dir)!,
          cwd: env.root,
          env: env.uvEnv,
          outDir: join(staging, rel),
          workDir,
          // Byte progress only for big wheels; small ones get one line each (log below).
          download: (spec) => downloadVerified(spec, downloadOpts(env.net, (spec.size ?? 0) >= BIG_WHEEL ? progress : "none")),
          // A wheel built here only fits this machine's platform.
          builderPython: target.key === hostKey ? () => hostPython(build, env.net) : undefined,
          log: (m) => log.info(`${target.key}${env.dir === "." ? "" : ` ${env.dir}`} ${m}`),
        });
        wheels[env.dir] = { python: build.version, dir: rel, requirements: got.requirements, files: got.files, missing: got.missing };
        for (const m of got.missing) missing.push({ platform: target.key, environment: env.dir, ...m });
        warnings.push(...got.warnings.map((w) => `${target.key}${env.dir === "." ? "" : ` ${env.dir}`}: ${w}`));
      }

      // What setup will import, precompiled, when this machine runs the build (src/bundle/precompile.ts).
      if (target.key === hostKey) await precompileFor(target.key, pythons, wheels);

      let dhtl: string | undefined;
      if (opts.includeSelf) {
        const bytes = await fetchDhtlExecutable(target, { env: ctx.env, home, net: rootEnv.net, progress });
        dhtl = dhtlBinaryPath(target);
        await mkdir(dirname(join(staging, dhtl)), { recursive: true });
        await writeFile(join(staging, dhtl), bytes, { mode: 0o755 });
      }
      // System packages for user space and the Node.js build (src/system/offline.ts).
      const { collectForBundle } = await import("../../system/offline.ts");
      const tools = await collectForBundle({
        ctx,
        home,
        target,
        hostKey,
        staging,
        environments: environments.map((env) => ({ root: env.root, projectRoot: env.toolchains.projectRoot, platformDeps: env.toolchains.platformDeps, node: env.toolchains.node, nodeOrigin: env.toolchains.nodeOrigin, registries: env.registries, net: env.net })),
        log: (m) => log.info(m),
      });
      warnings.push(...tools.warnings);
      const sortedPythons = [...pythons.values()].sort((a, b) => (a.version < b.version ? -1 : 1));
      platforms.push({ key: target.key, pythons: sortedPythons, uv: { version: UV_VERSION, path: uvRel, wheel: uvBinary.wheel, wheelSha256: uvBinary.wheelSha256 }, wheels, ...(dhtl ? { dhtl } : {}), ...(tools.system ? { system: tools.system } : {}), ...(tools.node ? { node: tools.node } : {}) });
    }

    // 6. The project's own config, dependency and lock files (the project root's .dhtconfig too).
    const files = new Set<string>(top.configFile ? [top.configFile] : []);
    for (const env of environments) for (const file of env.projectFiles) files.add(join(env.root, file));
    const newest = await stageProjectFiles(staging, projectRoot, [...files]);
    const epoch = bundleEpoch(ctx.env, (await gitCommitTime(projectRoot)) ?? newest);
    const manifest: Omit<BundleManifest, "files"> = {
      format: "dhtl-offline-bundle",
      schemaVersion: 1,
      dhtl: { version: buildInfo.version, commit: buildInfo.commit },
      created: new Date(epoch * 1000).toISOString(),
      project: {
        ...(rootEnv.declared.name ? { name: rootEnv.declared.name } : {}),
        environments: envDirs,
        ...(rootEnv.pythonRequest ? { pythonRequest: rootEnv.pythonRequest } : {}),
        filesDir: PROJECT_DIR,
      },
      platforms,
      warnings: [...warnings, ...missing.map((m) => `${m.platform}${m.environment === "." ? "" : ` ${m.environment}`}: ${m.requirement} is missing: ${m.reason}`)],
    };
    const bundle = await writeBundle({ stagingDir: staging, manifest, output, signKey, mtime: epoch });
    return { bundle, seconds: (performance.now() - started) / 1000, missing, warnings };
  } finally {
    process.off("exit", cleanupOnExit);
    await removeQuietly(staging);
    await removeQuietly(workDir);
  }
}
