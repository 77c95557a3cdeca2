/**
 * Which package indexes a project uses on this machine, and why.
 *
 * Precedence, highest first (the first source that sets the primary index wins; extra
 * indexes, trusted hosts and find-links are collected from every source, in this order,
 * without duplicates — the way pip adds a requirements file's --extra-index-url to the ones
 * from its environment):
 *
 *   1. uv environment variables   UV_DEFAULT_INDEX, UV_INDEX_URL, UV_INDEX, UV_EXTRA_INDEX_URL,
 *                                 UV_FIND_LINKS, UV_INSECURE_HOST
 *   2. pip environment variables  PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST,
 *                                 PIP_FIND_LINKS, PIP_NO_INDEX
 *   3. .dhtconfig `registries`
 *   4. options inside the project's requirements files (-i, --extra-index-url, -f, --trusted-host)
 *   5. pyproject.toml [tool.uv] (index-url, [[tool.uv.index]] ...)
 *   6. uv.toml: the project's, the user's, the system's (or UV_CONFIG_FILE alone)
 *   7. pip.conf / pip.ini: PIP_CONFIG_FILE, $VIRTUAL_ENV, user, site-wide (pip's own order)
 *   8. https://pypi.org/simple
 *
 * Environment first because that is how every tool treats it: the variable is the
 * per-machine override (a CI runner's mirror), the files are the defaults.
 */
import { join } from "node:path";
import { emptyLayer, layerFromPip, type IndexLayer } from "./layers.ts";
import { readPipEnvOptions, readPipFileOptions } from "./pip-conf.ts";
import { readPyprojectUvLayer, readUvEnvLayer, readUvFileLayers } from "./uv-conf.ts";
import { PYPI_SIMPLE, registrySettings, type NamedIndex, type RegistriesConfig, type RegistrySettings } from "./types.ts";
import { sameIndex, splitUserInfo, expandVars } from "./url.ts";

/** Index options a project's requirements files carry (DeclaredProject["indexOptions"]). */
export interface ProjectIndexOptions {
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  trustedHosts: string[];
  noIndex?: boolean;
  /** "indexUrl" / "extraIndexUrls.0" → "requirements.txt:3". */
  origins?: Record<string, string>;
  /** Named indexes of the project's tools (Poetry/PDM/Pipfile sources). */
  named?: NamedIndex[];
}

export interface DiscoverRegistriesOptions {
  /** Project root (pyproject.toml, uv.toml, requirements files). */
  root: string;
  env: Record<string, string | undefined>;
  /** The resolved .dhtconfig (only `registries` is read). */
  config?: { registries?: RegistriesConfig };
  /** Origins from resolveConfig ("registries.index_url" → ".dhtconfig:12"). */
  configOrigins?: Record<string, string>;
  /** The user's home directory (for ~/.config, ~/.pip). */
  home?: string;
  os?: "linux" | "darwin" | "windows";
  /** Prefix for /etc paths, for fixture trees in tests. */
  systemRoot?: string;
  /**
   * Index options from the project's requirements files. When absent they are read with
   * readDeclaredProject (which needs `config`).
   */
  project?: { indexOptions: ProjectIndexOptions };
}

function configLayer(reg: RegistriesConfig | undefined, origins: Record<string, string>, env: Record<string, string | undefined>): IndexLayer {
  const layer = emptyLayer(".dhtconfig");
  if (!reg) return layer;
  const o = (key: string) => origins[`registries.${key}`] ?? `.dhtconfig registries.${key}`;
  // ${VAR} outside the user info is expanded now (host names are not secrets); inside the
  // user info it stays a reference until resolveCredentials.
  const expandPublicPart = (url: string, where: string) => {
    const parts = splitUserInfo(url);
    const expanded = expandVars(parts.url, env, where);
    return parts.username === undefined ? expanded : url.replace(parts.url, expanded);
  };
  if (reg.index_url) layer.indexUrl = { value: expandPublicPart(reg.index_url, o("index_url")), origin: o("index_url") };
  (reg.extra_index_urls ?? []).forEach((u, i) => layer.extraIndexUrls.push({ value: expandPublicPart(u, o(`extra_index_urls.${i}`)), origin: o(`extra_index_urls.${i}`) }));
  (reg.trusted_hosts ?? []).forEach((h, i) => layer.trustedHosts.push({ value: h, origin: o(`trusted_hosts.${i}`) }));
  (reg.find_links ?? []).forEach((f, i) => layer.findLinks.push({ value: f, origin: o(`find_links.${i}`) }));
  return layer;
}

function projectLayer(p: ProjectIndexOptions, root: string): IndexLayer {
  const layer = emptyLayer("requirements files");
  const o = (key: string) => p.origins?.[key] ?? join(root, "requirements");
  if (p.indexUrl) layer.indexUrl = { value: p.indexUrl, origin: o("indexUrl") };
  p.extraIndexUrls.forEach((u, i) => layer.extraIndexUrls.push({ value: u, origin: o(`extraIndexUrls.${i}`) }));
  p.trustedHosts.forEach((h, i) => layer.trustedHosts.push({ value: h, origin: o(`trustedHosts.${i}`) }));
  p.findLinks.forEach((f, i) => layer.findLinks.push({ value: f, origin: o(`findLinks.${i}`) }));
  if (p.noIndex) layer.noIndex = { value: true, origin: o("noIndex") };
  layer.named.push(...(p.named ?? []));
  return layer;
}

/** Merge layers given highest precedence first. */
export function mergeLayers(layers: IndexLayer[], credentialsConfig?: RegistriesConfig["credentials"]): RegistrySettings {
  const origins: Record<string, string> = {};
  const primary = layers.find((l) => l.indexUrl)?.indexUrl;
  const settings = registrySettings(primary?.value ?? PYPI_SIMPLE, { origins, ...(credentialsConfig ? { credentialsConfig } : {}) });
  origins.indexUrl = primary?.origin ?? "default";
  const noIndex = layers.find((l) => l.noIndex)?.noIndex;
  if (noIndex) {
    settings.noIndex = noIndex.value;
    origins.noIndex = noIndex.origin;
  }
  for (const layer of layers) {
    for (const e of layer.extraIndexUrls) {
      if (sameIndex(e.value, settings.indexUrl) || settings.extraIndexUrls.some((u) => sameIndex(u, e.value))) continue;
      origins[`extraIndexUrls.${settings.extraIndexUrls.length}`] = e.origin;
      settings.extraIndexUrls.push(e.value);
      if (!layer.uv && settings.indexStrategy === undefined) {
        settings.indexStrategy = "unsafe-best-match";
        origins.indexStrategy = `${e.origin} (pip searches every index for the best version; uv is told to do the same)`;
      }
    }
    for (const h of layer.trustedHosts) {
      if (settings.trustedHosts.includes(h.value)) continue;
      origins[`trustedHosts.${settings.trustedHosts.length}`] = h.origin;
      settings.trustedHosts.push(h.value);
    }
    for (const f of layer.findLinks) {
      if (settings.findLinks.includes(f.value)) continue;
      origins[`findLinks.${settings.findLinks.length}`] = f.origin;
      settings.findLinks.push(f.value);
    }
    for (const n of layer.named) addName(settings, n);
  }
  return settings;
}

function addName(settings: RegistrySettings, n: NamedIndex): void {
  const key = splitUserInfo(n.url).url;
  if (n.explicit) {
    if (!settings.explicitIndexes.some((e) => e.name === n.name)) settings.explicitIndexes.push(n);
    return;
  }
  // Keep the first (highest-precedence) name for a URL; names are how uv's [tool.uv.sources] refer to it.
  if (!Object.keys(settings.indexNames).some((u) => sameIndex(u, key))) settings.indexNames[key] = n.name;
}

/** Find the package indexes in effect for `root`, with where each came from. */
export async function discoverRegistries(opts: DiscoverRegistriesOptions): Promise<RegistrySettings> {
  const { env, root } = opts;
  const roots = { env, home: opts.home, os: opts.os, systemRoot: opts.systemRoot };
  let project = opts.project;
  if (!project && opts.config) {
    const { readDeclaredProject } = await import("../project/declared.ts");
    project = await readDeclaredProject(root, opts.config as Parameters<typeof readDeclaredProject>[1], env);
  }
  const layers: IndexLayer[] = [
    readUvEnvLayer(env),
    layerFromPip("pip environment variables", readPipEnvOptions(env)),
    configLayer(opts.config?.registries, opts.configOrigins ?? {}, env),
    ...(project ? [projectLayer(project.indexOptions, root)] : []),
    ...[readPyprojectUvLayer(root)].filter((l): l is IndexLayer => Boolean(l)),
    ...readUvFileLayers({ ...roots, projectRoot: root }),
    layerFromPip("pip configuration files", readPipFileOptions(roots).options),
  ];
  const settings = mergeLayers(layers, opts.config?.registries?.credentials);
  if (env.UV_INDEX_STRATEGY?.trim()) {
    settings.indexStrategy = env.UV_INDEX_STRATEGY.trim();
    settings.origins.indexStrategy = "env UV_INDEX_STRATEGY";
  }
  return settings;
}
