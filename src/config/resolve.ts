/**
 * The resolved configuration: one object every command reads, and where each value came
 * from. Layers, lowest first (each overrides the ones before it):
 *
 *   1. built-in defaults                         origin "default"
 *   2. project facts (.python-version, pyproject requires-python, …) for python.version,
 *      read only when no layer above sets it    origin ".python-version:1"
 *   3. .dhtconfig top level                      origin ".dhtconfig:12"
 *   4. the environments entry for the current directory (nearest listed ancestor)
 *                                                origin ".dhtconfig:40 environments.services/api"
 *   5. DHT_* environment variables               origin "env DHT_PYTHON"
 *   6. flags                                     origin "flag --python"
 *
 * Mappings merge key by key (defu); lists REPLACE: an environment's `files: [a.txt]` means
 * exactly a.txt, not the top-level files plus a.txt.
 */
import { createDefu } from "defu";
import { dirname, relative, resolve, sep } from "node:path";
import { usageError } from "../errors.ts";
import { detectPythonRequest, type PythonRequestFact } from "../project/python-version.ts";
import { closest } from "../ui/suggest.ts";
import { defaultConfig } from "./defaults.ts";
import { loadConfigFile, formatConfigProblem, CONFIG_FILE_NAME, type LoadedConfig } from "./load.ts";
import { envVarLayer, flagLayer, type ConfigFlags } from "./overrides.ts";
import { findProjectRoot } from "./project-root.ts";
import { normalizeEnvDir, type DhtConfig, type DhtEnvironmentLayer } from "./schema.ts";

export { normalizeEnvDir };

/** The environments key that means "the top level", not a directory. */
export const DEFAULT_ENVIRONMENT = "default";

export interface ResolveConfigOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  flags?: Partial<ConfigFlags>;
  /** Use this environments entry instead of the one for cwd (relative to cwd or the project root). */
  envDir?: string;
}

export interface ResolvedConfigResult {
  config: DhtConfig;
  /** Dotted path → where the value came from (see the module comment). */
  origins: Record<string, string>;
  projectRoot: string;
  /** Absolute path of the .dhtconfig, when there is one. */
  configFile?: string;
  environment?: { dir: string; root: string };
  /** The uv workspace the project root declares: its members are environments too. */
  workspace?: { root: string; members: string[]; rootIsPackage: boolean; lock?: string };
  /** "file:line path: message" lines for unknown keys and similar; callers log them. */
  warnings: string[];
}

/** Lists replace instead of concatenating (defu's default); mappings merge. */
const mergeLayers = createDefu((object, key, value) => {
  if (Array.isArray(value)) {
    (object as Record<string, unknown>)[key as string] = [...value];
    return true;
  }
  return false;
});

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Dotted paths of the values a layer sets: scalars and whole lists. */
export function leafPaths(value: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined || child === null) continue;
    const path = [...prefix, key];
    if (isPlainObject(child) && key !== "environments") out.push(...leafPaths(child, path));
    else out.push(path);
  }
  return out;
}


function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

/** The environments key for `cwd`: the nearest ancestor directory (or cwd itself) that is listed. */
export function environmentForDirectory(keys: readonly string[], projectRoot: string, cwd: string): string | undefined {
  const rel = toPosix(relative(projectRoot, cwd));
  if (rel.startsWith("..") || rel === "") return undefined;
  const byNormalized = new Map(keys.map((k) => [normalizeEnvDir(k), k]));
  const parts = rel.split("/");
  for (let n = parts.length; n >= 1; n--) {
    const hit = byNormalized.get(parts.slice(0, n).join("/"));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function explicitEnvironment(keys: readonly string[], projectRoot: string, cwd: string, envDir: string): string {
  const byNormalized = new Map(keys.map((k) => [normalizeEnvDir(k), k]));
  const literal = byNormalized.get(normalizeEnvDir(envDir));
  if (literal !== undefined) return literal;
  const fromCwd = byNormalized.get(toPosix(relative(projectRoot, resolve(cwd, envDir))));
  if (fromCwd !== undefined) return fromCwd;
  const suggestion = closest(normalizeEnvDir(envDir), [...byNormalized.keys()]);
  throw usageError(`--env ${envDir}: no such entry under environments in ${CONFIG_FILE_NAME}`, {
    subject: `--env ${envDir}`,
    hint: keys.length
      ? `${suggestion ? `did you mean ${suggestion}? ` : ""}environments listed: ${[...byNormalized.keys()].join(", ")}`
      : `${CONFIG_FILE_NAME} has no environments section; add one to configure directories of a monorepo`,
  });
}

function fileLayer(loaded: LoadedConfig | undefined): Record<string, unknown> {
  if (!loaded) return {};
  const { environments: _environments, version: _version, ...rest } = loaded.config;
  return rest;
}

/** Resolve the configuration for `cwd` (see the module comment for the layers). */
export async function resolveConfig(opts: ResolveConfigOptions): Promise<ResolvedConfigResult> {
  const cwd = resolve(opts.cwd);
  const found = await findProjectRoot(cwd);
  // A uv workspace: inside a member (no .dhtconfig of its own), the project is the workspace,
  // and every member is an environment (as if listed under environments:), unless the
  // .dhtconfig lists it itself.
  const { findUvWorkspace } = await import("../project/uv-workspace.ts");
  const ws = !found.configFile || dirname(found.configFile) === found.root ? findUvWorkspace(found.root) : undefined;
  const workspace = ws && (!found.configFile || ws.root === found.root) ? ws : undefined;
  const projectRoot = workspace?.root ?? found.root;
  const loaded = found.configFile ? await loadConfigFile(found.configFile, CONFIG_FILE_NAME) : undefined;
  // `environments.default` is the top level written as an entry (the design's monorepo
  // format): its settings apply everywhere, over the top level; it names no directory.
  const { [DEFAULT_ENVIRONMENT]: defaultEntry, ...declaredEnvironments } = loaded?.config.environments ?? {};
  const environments: Record<string, DhtEnvironmentLayer> = { ...Object.fromEntries((workspace?.members ?? []).map((m) => [m, {}])), ...declaredEnvironments };
  const envKeys = Object.keys(environments);

  const envKey = opts.envDir !== undefined ? explicitEnvironment(envKeys, projectRoot, cwd, opts.envDir) : environmentForDirectory(envKeys, projectRoot, cwd);
  const environment = envKey !== undefined ? { dir: normalizeEnvDir(envKey), root: resolve(projectRoot, normalizeEnvDir(envKey)) } : undefined;
  const envEntry: DhtEnvironmentLayer = envKey !== undefined ? (environments[envKey] ?? {}) : {};

  const envVars = envVarLayer(opts.env);
  const flags = flagLayer(opts.flags ?? {});
  const topLevel = defaultEntry ? (mergeLayers(defaultEntry, fileLayer(loaded)) as Record<string, unknown>) : fileLayer(loaded);

  // Project facts, only when no layer above states the Python: the environment's own files
  // first, then the project root's. (Not reading them otherwise also keeps a broken
  // pyproject.toml from blocking a project whose .dhtconfig names the version.)
  const versionStated = [flags.values, envVars.values, envEntry, topLevel].some(
    (layer) => (layer as { python?: { version?: string } }).python?.version !== undefined,
  );
  let facts: PythonRequestFact = {};
  let factsPrefix = "";
  if (!versionStated) {
    if (environment) {
      facts = await detectPythonRequest(environment.root);
      factsPrefix = `${environment.dir}/`;
    }
    if (!facts.request) {
      facts = await detectPythonRequest(projectRoot);
      factsPrefix = "";
    }
  }
  const factsLayer = facts.request ? { python: { version: facts.request } } : {};

  const merged = mergeLayers(flags.values, envVars.values, envEntry, topLevel, factsLayer, defaultConfig()) as unknown as DhtConfig;
  merged.environments = environments;

  const origins: Record<string, string> = {};
  const record = (layer: Record<string, unknown>, originOf: (path: string[]) => string) => {
    for (const path of leafPaths(layer)) origins[path.join(".")] = originOf(path);
  };
  record(defaultConfig() as unknown as Record<string, unknown>, () => "default");
  if (facts.origin) origins["python.version"] = `${factsPrefix}${facts.origin}`;
  if (loaded) {
    record(fileLayer(loaded), (path) => `${loaded.displayPath}:${loaded.lineOf(path)}`);
    if (defaultEntry) record(defaultEntry as Record<string, unknown>, (path) => `${loaded.displayPath}:${loaded.lineOf(["environments", DEFAULT_ENVIRONMENT, ...path])} environments.${DEFAULT_ENVIRONMENT}`);
    if (Object.keys(declaredEnvironments).length) origins.environments = `${loaded.displayPath}:${loaded.lineOf(["environments"])}`;
    if (envKey !== undefined) {
      record(envEntry as Record<string, unknown>, (path) => `${loaded.displayPath}:${loaded.lineOf(["environments", envKey, ...path])} environments.${envKey}`);
    }
  }
  if (workspace?.members.length) {
    const own = Object.keys(declaredEnvironments).length ? origins.environments : undefined;
    origins.environments = `${own ? `${own} + ` : ""}pyproject.toml [tool.uv.workspace] members`;
  }
  Object.assign(origins, envVars.origins, flags.origins);

  return {
    config: merged,
    origins,
    projectRoot,
    ...(found.configFile ? { configFile: found.configFile } : {}),
    ...(environment ? { environment } : {}),
    ...(workspace ? { workspace: { root: workspace.root, members: workspace.members, rootIsPackage: workspace.rootIsPackage, ...(workspace.lock ? { lock: workspace.lock } : {}) } } : {}),
    warnings: loaded ? loaded.warnings.map((w) => formatConfigProblem(loaded.displayPath, w)) : [],
  };
}
