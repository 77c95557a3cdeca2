/**
 * `dhtl prepare-offline`: gather everything an air-gapped machine needs to set the project
 * up, into one verifiable bundle (layout: src/bundle/types.ts).
 *
 *  1. Environments: the project root, `--env DIR`, or every `environments:` entry.
 *  2. Per environment: resolved config, declared project, package indexes, Python request.
 *  3. Per target platform: the CPython build(s) the environments resolve to (sha256-checked
 *     downloads), uv for that platform (from the index's uv wheel), the wheels of each
 *     environment (src/bundle/wheels.ts), and optionally dhtl itself.
 *  4. The project's config, dependency and lock files.
 *  5. manifest.json (+ signature) and the deterministic .tar.gz (or a directory).
 *
 * Everything is staged in a directory beside the output and moved into place only when
 * complete, so a failed or interrupted run leaves no half-written bundle behind.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { buildInfo } from "../../build-info.ts";
import type { RunContext } from "../../context.ts";
import { DhtError, ExitCode, usageError } from "../../errors.ts";
import type { NetSettings } from "../../net/types.ts";
import { dhtHome, homePaths } from "../../paths.ts";
import type { PythonBuild } from "../../python/manifest.ts";
import type { RegistrySettings } from "../../registries/types.ts";
import { getLogger } from "../../ui/logger.ts";
import type { ProgressMode } from "../../ui/progress.ts";
import { UV_VERSION } from "../../uv/version.ts";
import { dhtlBinaryPath, PROJECT_DIR, pythonArchivePath, uvBinaryPath, wheelsDirPath } from "../../bundle/layout.ts";
import { parseGlibc, parsePlatformList } from "../../bundle/targets.ts";
import type { BundleManifest, BundlePlatform, BundlePython, BundleWheelSet } from "../../bundle/types.ts";
import { collectUvBinary, collectWheels, removeQuietly } from "../../bundle/wheels.ts";
import { isArchiveOutput, writeBundle, type WrittenBundle } from "../../bundle/write.ts";
import { bundleEpoch, buildRequiresOf, choosePythonBuild, compileInputLines, environmentsToBundle } from "./plan.ts";
import { projectFilesOf } from "./project-files.ts";
import { fetchDhtlExecutable } from "./self.ts";

export interface PrepareOfflineOptions {
  output: string;
  platforms: string[];
  envDir?: string;
  allEnvironments: boolean;
  includeSelf: boolean;
  signKeyFile?: string;
  glibc?: string;
}

export interface PreparedEnvironment {
  dir: string;
  root: string;
  pythonRequest?: string;
  requestOrigin?: string;
  allowPatchFallback: boolean;
  /** Requirement lines for uv pip compile. */
  compileLines: string[];
  registries: RegistrySettings;
  uvEnv: Record<string, string | undefined>;
  name?: string;
  /** Project files of this environment, relative to its root. */
  projectFiles: string[];
  net: NetSettings;
}

export interface PrepareOfflineResult {
  bundle: WrittenBundle;
  seconds: number;
  missing: Array<{ platform: string; environment: string; requirement: string; reason: string }>;
  warnings: string[];
}

function netSettingsOf(config: { proxy: { http?: string; https?: string; no_proxy: string[]; ca_bundle?: string } }): NetSettings {
  return { proxy: { http: config.proxy.http, https: config.proxy.https, no_proxy: config.proxy.no_proxy }, ...(config.proxy.ca_bundle ? { caBundle: config.proxy.ca_bundle } : {}) };
}

/**
 * The environment uv runs with: the user's, the indexes (with credentials, in the child's
 * environment only), the proxy and CA settings of .dhtconfig where the environment does
 * not set them (environment variables win, as everywhere in dhtl), and dhtl's uv cache.
 */
function uvEnvironment(base: Record<string, string | undefined>, registryEnv: Record<string, string | undefined>, net: NetSettings, home: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base, ...registryEnv };
  if (net.proxy?.https && !base.HTTPS_PROXY && !base.https_proxy) env.HTTPS_PROXY = net.proxy.https;
  if (net.proxy?.http && !base.HTTP_PROXY && !base.http_proxy) env.HTTP_PROXY = net.proxy.http;
  if (net.proxy?.no_proxy?.length && !base.NO_PROXY && !base.no_proxy) env.NO_PROXY = net.proxy.no_proxy.join(",");
  if (net.caBundle && !base.SSL_CERT_FILE) env.SSL_CERT_FILE = net.caBundle;
  env.UV_CACHE_DIR = base.UV_CACHE_DIR ?? join(homePaths(home).cache, "uv");
  env.UV_PYTHON_DOWNLOADS = "never";
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

async function gatherEnvironment(ctx: RunContext, projectRoot: string, dir: string, home: string): Promise<PreparedEnvironment> {
  const { resolveConfig } = await import("../../config/resolve.ts");
  const { readDeclaredProject } = await import("../../project/declared.ts");
  const { discoverRegistries } = await import("../../registries/discover.ts");
  const { resolveCredentials } = await import("../../registries/credentials.ts");
  const { registryEnvForUv } = await import("../../registries/env.ts");
  const { selectExtrasAndGroups } = await import("../setup/plan.ts");
  const resolved = await resolveConfig({ cwd: projectRoot, env: ctx.env, ...(dir === "." ? {} : { envDir: dir }) });
  const config = resolved.config;
  const root = resolved.environment?.root ?? projectRoot;
  const declared = await readDeclaredProject(root, config);
  const registries = await discoverRegistries({ root, env: ctx.env, config, configOrigins: resolved.origins, project: declared });
  const creds = await resolveCredentials(registries, { env: ctx.env });
  const net = netSettingsOf(config);
  const sel = selectExtrasAndGroups(declared, config.dependencies.extras, config.dependencies.groups);
  const pyproject = existsSync(join(root, "pyproject.toml")) ? (Bun.TOML.parse(await Bun.file(join(root, "pyproject.toml")).text()) as Record<string, unknown>) : undefined;
  const isPackage = declared.isPackage;
  const buildRequires = isPackage ? buildRequiresOf(pyproject, existsSync(join(root, "setup.py")) || existsSync(join(root, "setup.cfg"))) : [];
  let compileLines: string[];
  const uvEnv = uvEnvironment(ctx.env, registryEnvForUv(registries, creds), net, home);
  if (declared.lockFile?.kind === "uv.lock" && config.dependencies.strategy === "uv") {
    // Setup installs uv.lock with `uv sync --frozen`: bundle exactly those pins.
    const uv = await hostUv(ctx, home, registries, net);
    compileLines = [`-r ${await exportUvLock(uv, root, sel, uvEnv, home)}`, ...buildRequires];
  } else {
    compileLines = compileInputLines({ ...declared, root }, sel, buildRequires);
  }
  return {
    dir,
    root,
    pythonRequest: config.python.version,
    requestOrigin: resolved.origins["python.version"],
    allowPatchFallback: config.python.allow_patch_fallback,
    compileLines,
    registries,
    uvEnv,
    name: declared.name,
    projectFiles: await projectFilesOf(root, declared.requirementFiles),
    net,
  };
}

/** Host uv, fetched (verified) once per run. */
let hostUvPromise: Promise<string> | undefined;
async function hostUv(ctx: RunContext, home: string, registries: RegistrySettings, net: NetSettings): Promise<string> {
  hostUvPromise ??= (async () => {
    const { ensureUv } = await import("../../uv/ensure.ts");
    return (await ensureUv({ ctx, home, registries, net })).path;
  })();
  return hostUvPromise;
}

let exportDir: string | undefined;
/** `uv export` of uv.lock as a requirements file (pins + markers, no hashes, no local projects). */
async function exportUvLock(uv: string, root: string, sel: { extras: string[]; groups: string[] }, uvEnv: Record<string, string | undefined>, home: string): Promise<string> {
  await mkdir(homePaths(home).cache, { recursive: true });
  exportDir ??= await mkdtemp(join(homePaths(home).cache, "prepare-export-"));
  const out = join(exportDir, `uv-export-${Bun.hash(root).toString(16)}.txt`);
  const args = ["export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header", "--format", "requirements-txt", "--project", root, "-o", out, ...sel.extras.flatMap((e) => ["--extra", e]), ...sel.groups.flatMap((g) => ["--group", g])];
  const proc = Bun.spawn([uv, ...args], { cwd: root, env: uvEnv as Record<string, string>, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) {
    const { redactText } = await import("../../net/redact.ts");
    throw new DhtError(ExitCode.failed, "uv.lock cannot be exported for bundling", { subject: join(root, "uv.lock"), hint: `uv export said:\n${redactText(stderr.trim().split("\n").slice(-8).join("\n"))}` });
  }
  return out;
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
  const environments = [];
  for (const dir of envDirs) environments.push(await gatherEnvironment(ctx, projectRoot, dir, home));
  const rootEnv = environments[0]!;

  const { getPlatformFacts, pythonPlatformKey } = await import("../../platform/index.ts");
  const hostKey = pythonPlatformKey(await getPlatformFacts());
  const targets = parsePlatformList(opts.platforms, hostKey);
  const { loadPythonBuilds } = await import("../../python/manifest.ts");
  const { builds } = await loadPythonBuilds(ctx.env);
  // Decide every build first: a request no build satisfies fails before any download.
  const chosen = new Map<string, Map<string, PythonBuild>>();
  for (const target of targets) {
    const perEnv = new Map<string, PythonBuild>();
    for (const env of environments) {
      perEnv.set(env.dir, choosePythonBuild(env.pythonRequest, builds, target.key, { allowPatchFallback: env.allowPatchFallback, origin: env.requestOrigin }));
    }
    chosen.set(target.key, perEnv);
  }
  const signKey = opts.signKeyFile ? await (await import("../../bundle/sign.ts")).loadPrivateKey(resolve(ctx.cwd, opts.signKeyFile)) : undefined;

  const uv = await hostUv(ctx, home, rootEnv.registries, rootEnv.net);
  const { downloadVerified } = await import("../../net/download.ts");
  const { downloadUrlOf } = await import("../../python/installs.ts");
  const downloadOpts = (net: NetSettings) => ({ env: ctx.env, home, offline: false, progress, net });
  const quietDownload = (net: NetSettings) => ({ ...downloadOpts(net), progress: "none" as const });

  await mkdir(dirname(output), { recursive: true });
  const staging = await mkdtemp(join(dirname(output), `.${basename(output)}.staging-`));
  const workDir = await mkdtemp(join(homePaths(home).cache, "prepare-work-"));
  const missing: PrepareOfflineResult["missing"] = [];
  const warnings: string[] = [...top.warnings];
  try {
    const platforms: BundlePlatform[] = [];
    for (const target of targets) {
      log.start(`Collecting for ${target.key}`);
      const perEnv = chosen.get(target.key)!;
      const pythons = new Map<string, BundlePython>();
      for (const build of perEnv.values()) {
        if (pythons.has(build.version)) continue;
        const url = await downloadUrlOf(build, ctx.env, rootEnv.net);
        const archive = await downloadVerified({ url, sha256: build.sha256, label: `CPython ${build.version} (${target.key})` }, downloadOpts(rootEnv.net));
        const name = decodeURIComponent(basename(new URL(build.url, "file:///").pathname));
        const rel = pythonArchivePath(target.key, name);
        await mkdir(dirname(join(staging, rel)), { recursive: true });
        await copyFile(archive, join(staging, rel));
        pythons.set(build.version, { version: build.version, build: build.build, path: rel, sha256: build.sha256, format: build.format, flavor: build.flavor, url: (await import("../../net/redact.ts")).redactUrl(url) });
      }

      const common = { uv, target, glibc, cwd: rootEnv.root, env: rootEnv.uvEnv, workDir, download: (spec: { url: string; sha256: string; size?: number; label: string }) => downloadVerified(spec, quietDownload(rootEnv.net)) };
      const uvBinary = await collectUvBinary({ ...common, pythonVersion: [...pythons.keys()][0]! }, UV_VERSION);
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
          requirements: env.compileLines,
          cwd: env.root,
          env: env.uvEnv,
          outDir: join(staging, rel),
          workDir,
          download: (spec) => downloadVerified(spec, quietDownload(env.net)),
          builderPython: target.key === hostKey ? () => builderPython(build, ctx, home, env.net) : undefined,
          log: (m) => log.info(`${target.key} ${env.dir === "." ? "" : `${env.dir} `}${m}`),
        });
        wheels[env.dir] = { python: build.version, dir: rel, requirements: got.requirements, files: got.files, missing: got.missing };
        for (const m of got.missing) missing.push({ platform: target.key, environment: env.dir, ...m });
        warnings.push(...got.warnings.map((w) => `${target.key}${env.dir === "." ? "" : ` ${env.dir}`}: ${w}`));
      }

      let dhtl: string | undefined;
      if (opts.includeSelf) {
        const bytes = await fetchDhtlExecutable(target, { env: ctx.env, home, net: rootEnv.net, progress });
        dhtl = dhtlBinaryPath(target);
        await mkdir(dirname(join(staging, dhtl)), { recursive: true });
        await writeFile(join(staging, dhtl), bytes, { mode: 0o755 });
      }
      platforms.push({ key: target.key, pythons: [...pythons.values()].sort((a, b) => (a.version < b.version ? -1 : 1)), uv: { version: UV_VERSION, path: uvRel, wheel: uvBinary.wheel, wheelSha256: uvBinary.wheelSha256 }, wheels, ...(dhtl ? { dhtl } : {}) });
    }

    // The project's own config, dependency and lock files (.dhtconfig of the project root too).
    const files = new Set<string>(top.configFile ? [top.configFile] : []);
    for (const env of environments) for (const file of env.projectFiles) files.add(join(env.root, file));
    let newest = 0;
    for (const from of [...files].sort()) {
      const rel = relative(projectRoot, from).split("\\").join("/");
      await mkdir(dirname(join(staging, PROJECT_DIR, rel)), { recursive: true });
      await copyFile(from, join(staging, PROJECT_DIR, rel));
      newest = Math.max(newest, (await stat(from)).mtimeMs / 1000);
    }
    const epoch = bundleEpoch(ctx.env, newest);
    const manifest: Omit<BundleManifest, "files"> = {
      format: "dhtl-offline-bundle",
      schemaVersion: 1,
      dhtl: { version: buildInfo.version, commit: buildInfo.commit },
      created: new Date(epoch * 1000).toISOString(),
      project: { ...(rootEnv.name ? { name: rootEnv.name } : {}), environments: envDirs, ...(rootEnv.pythonRequest ? { pythonRequest: rootEnv.pythonRequest } : {}), filesDir: PROJECT_DIR },
      platforms,
      warnings: [...warnings, ...missing.map((m) => `${m.platform}${m.environment === "." ? "" : ` ${m.environment}`}: ${m.requirement} is missing: ${m.reason}`)],
    };
    await mkdir(join(staging, PROJECT_DIR), { recursive: true });
    const bundle = await writeBundle({ stagingDir: staging, manifest, output, signKey, mtime: epoch });
    return { bundle, seconds: (performance.now() - started) / 1000, missing, warnings };
  } finally {
    await removeQuietly(staging);
    await removeQuietly(workDir);
    if (exportDir) await removeQuietly(exportDir);
    exportDir = undefined;
  }
}

/** A runnable interpreter of `build` on this machine (installed as a managed Python), for sdist builds. */
async function builderPython(build: PythonBuild, ctx: RunContext, home: string, net: NetSettings): Promise<string | undefined> {
  const { installBuild, interpreterIn } = await import("../../python/installs.ts");
  const result = await installBuild(build, { home, env: ctx.env, offline: false, net, progress: ctx.quiet || ctx.json ? "none" : "auto" });
  return interpreterIn(result.install.dir, build.version, build.platform);
}
