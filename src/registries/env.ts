/**
 * Hand the discovered indexes to uv and pip the same way, through the child's environment.
 *
 * uv: the primary index is UV_DEFAULT_INDEX and extra ones UV_INDEX (space-separated,
 * `name=url`); credentials go in UV_INDEX_<NAME>_USERNAME / _PASSWORD, so the URLs uv may
 * print carry no secret. pip has no per-index credential variables, so its URLs carry the
 * user info (percent-encoded) — only in the child's environment, which pip redacts in its
 * own output.
 *
 * Values are `undefined` for variables the child must NOT inherit (a user's UV_INDEX_URL
 * would conflict with UV_DEFAULT_INDEX; it is already folded into the settings). Apply with
 * childEnv(base, overlay).
 */
import type { RegistryCredentials, RegistrySettings } from "./types.ts";
import { hostPortOf, sameIndex, splitUserInfo, withUserInfo } from "./url.ts";

export type EnvOverlay = Record<string, string | undefined>;

/** base + overlay, with overlay's undefined values removed from the result. */
export function childEnv(base: Record<string, string | undefined>, overlay: EnvOverlay): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) out[k] = v;
  for (const [k, v] of Object.entries(overlay)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** uv's environment-variable form of an index name: uppercase, non-alphanumerics → "_". */
export function uvIndexEnvName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

function credentialFor(creds: RegistryCredentials | undefined, url: string) {
  if (!creds) return undefined;
  const key = Object.keys(creds).find((k) => sameIndex(k, url));
  return key ? creds[key] : undefined;
}

/** The variables that make uv use exactly these indexes with these credentials. */
export function registryEnvForUv(settings: RegistrySettings, creds?: RegistryCredentials): EnvOverlay {
  const env: EnvOverlay = {
    UV_INDEX_URL: undefined,
    UV_EXTRA_INDEX_URL: undefined,
    UV_DEFAULT_INDEX: undefined,
    UV_INDEX: undefined,
    UV_FIND_LINKS: undefined,
    UV_INSECURE_HOST: undefined,
    UV_INDEX_STRATEGY: settings.indexStrategy,
  };
  const usedNames = new Set<string>();
  let auto = 0;
  const named = (url: string, wantName: boolean): string => {
    const bare = splitUserInfo(url).url;
    const known = Object.entries(settings.indexNames).find(([u]) => sameIndex(u, bare))?.[1];
    const cred = credentialFor(creds, url);
    const name = known ?? (cred || wantName ? `dht-index-${++auto}` : undefined);
    if (!name) return bare;
    usedNames.add(name);
    if (cred) {
      env[`UV_INDEX_${uvIndexEnvName(name)}_USERNAME`] = cred.username;
      env[`UV_INDEX_${uvIndexEnvName(name)}_PASSWORD`] = cred.password;
    }
    return `${name}=${bare}`;
  };
  // uv 0.13 has no variable for --no-index: registryArgsForUv carries it.
  if (!settings.noIndex) {
    env.UV_DEFAULT_INDEX = named(settings.indexUrl, false);
    if (settings.extraIndexUrls.length) env.UV_INDEX = settings.extraIndexUrls.map((u) => named(u, false)).join(" ");
  }
  // Explicit indexes are declared by the project itself; only their credentials are passed.
  for (const e of settings.explicitIndexes) {
    const cred = credentialFor(creds, e.url);
    if (cred && !usedNames.has(e.name)) {
      env[`UV_INDEX_${uvIndexEnvName(e.name)}_USERNAME`] = cred.username;
      env[`UV_INDEX_${uvIndexEnvName(e.name)}_PASSWORD`] = cred.password;
    }
  }
  if (settings.findLinks.length) env.UV_FIND_LINKS = settings.findLinks.map((f) => withCreds(f, creds)).join(",");
  if (settings.trustedHosts.length) env.UV_INSECURE_HOST = settings.trustedHosts.join(" ");
  return env;
}

function withCreds(url: string, creds?: RegistryCredentials): string {
  if (!/^https?:\/\//i.test(url)) return url;
  const bare = splitUserInfo(url).url;
  const cred = credentialFor(creds, url);
  return cred ? withUserInfo(bare, cred.username, cred.password) : bare;
}

/** Flags uv needs beside registryEnvForUv: `--no-index` has no environment variable in uv (checked with uv 0.13.9). */
export function registryArgsForUv(settings: RegistrySettings): string[] {
  return settings.noIndex ? ["--no-index"] : [];
}

/** The variables that make pip use exactly these indexes with these credentials. */
export function registryEnvForPip(settings: RegistrySettings, creds?: RegistryCredentials): EnvOverlay {
  const env: EnvOverlay = {
    PIP_INDEX_URL: undefined,
    PIP_EXTRA_INDEX_URL: undefined,
    PIP_TRUSTED_HOST: undefined,
    PIP_FIND_LINKS: undefined,
    PIP_NO_INDEX: undefined,
    // Never prompt for a password: without credentials pip must fail (and be explained), not hang.
    PIP_NO_INPUT: "1",
  };
  if (settings.noIndex) env.PIP_NO_INDEX = "1";
  env.PIP_INDEX_URL = withCreds(settings.indexUrl, creds);
  if (settings.extraIndexUrls.length) env.PIP_EXTRA_INDEX_URL = settings.extraIndexUrls.map((u) => withCreds(u, creds)).join(" ");
  if (settings.trustedHosts.length) env.PIP_TRUSTED_HOST = settings.trustedHosts.join(" ");
  if (settings.findLinks.length) env.PIP_FIND_LINKS = settings.findLinks.map((f) => withCreds(f, creds)).join(" ");
  return env;
}

/**
 * pip command-line flags for the same settings, WITHOUT credentials (a command line is
 * visible to every user of the machine in `ps`): for printing a plan or a reproducible
 * command. Pass credentials with registryEnvForPip instead.
 */
export function registryArgsForPip(settings: RegistrySettings): string[] {
  const args: string[] = [];
  if (settings.noIndex) args.push("--no-index");
  else {
    args.push("--index-url", splitUserInfo(settings.indexUrl).url);
    for (const u of settings.extraIndexUrls) args.push("--extra-index-url", splitUserInfo(u).url);
  }
  for (const h of settings.trustedHosts) args.push("--trusted-host", h);
  for (const f of settings.findLinks) args.push("--find-links", /^https?:/i.test(f) ? splitUserInfo(f).url : f);
  return args;
}

/** host:port values of plain-http indexes (pip wants them as trusted hosts). */
export function httpIndexHosts(settings: RegistrySettings): string[] {
  return [settings.indexUrl, ...settings.extraIndexUrls]
    .filter((u) => /^http:\/\//i.test(u))
    .map((u) => hostPortOf(u))
    .filter((h): h is string => Boolean(h));
}
