/**
 * Credentials for private indexes. They come from, in this order for each index:
 *   1. user info in the index URL, with `${VAR}` references expanded from the environment
 *      (`https://${ART_USER}:${ART_TOKEN}@artifactory.corp/api/pypi/simple`);
 *   2. .dhtconfig `registries.credentials` with source "env" (username_env / password_env
 *      name the variables), "netrc", or "keyring" (`keyring get <service> <user>`);
 *   3. without a configured source: the variables uv and Poetry read for a named index
 *      (UV_INDEX_<NAME>_PASSWORD, POETRY_HTTP_BASIC_<NAME>_PASSWORD), then ~/.netrc (NETRC)
 *      when it has an entry for the host; for a URL that names only the user, `keyring`
 *      when PIP_KEYRING_PROVIDER or UV_KEYRING_PROVIDER says "subprocess".
 * Public PyPI is never given credentials. Values live only in memory and in the
 * environment of the installer dhtl starts.
 */
import { DhtError, ExitCode } from "../errors.ts";
import { redactUrl } from "../net/redact.ts";
import { netrcLookup, netrcPath, readNetrc, type NetrcEntry } from "./netrc.ts";
import type { IndexCredential, RegistryCredentials, RegistrySettings } from "./types.ts";
import { expandVars, hostOf, isPublicPypi, sameIndex, splitUserInfo } from "./url.ts";

export interface ResolveCredentialsOptions {
  env: Record<string, string | undefined>;
  home?: string;
  /** The keyring executable; default: `keyring` on PATH. */
  keyringCommand?: string;
  keyringTimeoutMs?: number;
}

/** Every index URL that may need credentials (primary, extras, explicit uv indexes, find-links URLs). */
export function indexUrlsOf(settings: RegistrySettings): string[] {
  const urls = [settings.indexUrl, ...settings.extraIndexUrls, ...settings.explicitIndexes.map((e) => e.url)];
  for (const f of settings.findLinks) if (/^https?:\/\//i.test(f)) urls.push(f);
  return urls.filter((u) => /^https?:\/\//i.test(u));
}

export async function resolveCredentials(settings: RegistrySettings, opts: ResolveCredentialsOptions): Promise<RegistryCredentials> {
  const { env } = opts;
  const cfg = settings.credentialsConfig;
  const creds: RegistryCredentials = {};
  let netrc: { path: string; entries: NetrcEntry[] } | null | undefined;
  const loadNetrc = () => {
    if (netrc === undefined) {
      const path = netrcPath(env, opts.home);
      netrc = path ? { path, entries: readNetrc(path) } : null;
    }
    return netrc;
  };
  const keyringAuto = [env.PIP_KEYRING_PROVIDER, env.UV_KEYRING_PROVIDER].some((v) => v?.toLowerCase() === "subprocess");

  for (const url of indexUrlsOf(settings)) {
    if (creds[url]) continue;
    const shown = redactUrl(url);
    const parts = splitUserInfo(url);
    // 1. user info in the URL
    if (parts.username !== undefined) {
      const username = expandVars(parts.username, env, url);
      if (parts.password !== undefined) {
        creds[url] = { username, password: expandVars(parts.password, env, url), source: "url" };
        continue;
      }
      // A user without password: look the password up (keyring/netrc) for that user.
      const fromStore = await lookupPassword(url, username, cfg?.source, { ...opts, keyringAuto, loadNetrc });
      if (fromStore) creds[url] = fromStore;
      continue;
    }
    if (isPublicPypi(url)) continue;
    // 2. configured source
    // source "env" is the default in .dhtconfig: it means something only once the variables are named.
    if ((cfg?.source === "env" || !cfg?.source) && (cfg?.password_env || cfg?.username_env)) {
      creds[url] = fromEnvVars(url, cfg!, env);
      continue;
    }
    if (cfg?.source === "netrc") {
      const n = loadNetrc();
      const e = n && hostOf(url) ? netrcLookup(n.entries, hostOf(url)!) : undefined;
      if (!n || !e?.login || e.password === undefined) {
        throw new DhtError(ExitCode.usage, `no netrc entry for ${hostOf(url) ?? shown}`, {
          subject: shown,
          hint: `add "machine ${hostOf(url)} login USER password TOKEN" to ${n?.path ?? "~/.netrc"} (chmod 600), or set NETRC to the file that has it`,
        });
      }
      creds[url] = { username: e.login, password: e.password, source: `netrc ${n.path}` };
      continue;
    }
    if (cfg?.source === "keyring") {
      const username = cfg.username_env ? env[cfg.username_env] : undefined;
      if (!username) {
        throw new DhtError(ExitCode.usage, "keyring credentials need a user name", {
          subject: "registries.credentials.username_env",
          hint: "set registries.credentials.username_env to the variable holding the user name (or put the user in the index URL: https://USER@host/simple)",
        });
      }
      const c = await keyringGet(url, username, opts);
      if (!c) {
        throw new DhtError(ExitCode.usage, `keyring has no password for ${username} at ${shown}`, {
          subject: shown,
          hint: `store it once with: keyring set ${splitUserInfo(url).url} ${username}`,
        });
      }
      creds[url] = c;
      continue;
    }
    // 3. implicit: the variables uv and Poetry read for a named index, then netrc
    const named = fromNamedIndexVars(url, settings, env);
    if (named) {
      creds[url] = named;
      continue;
    }
    const n = loadNetrc();
    const host = hostOf(url);
    const e = n && host ? netrcLookup(n.entries, host) : undefined;
    if (n && e?.login && e.password !== undefined) {
      creds[url] = { username: e.login, password: e.password, source: `netrc ${n.path}` };
    }
  }
  return creds;
}

/** Names an index is known by (uv index names, Poetry/PDM/Pipfile source names). */
function namesOf(url: string, settings: RegistrySettings): string[] {
  const names = Object.entries(settings.indexNames)
    .filter(([u]) => sameIndex(u, url))
    .map(([, n]) => n);
  for (const e of settings.explicitIndexes) if (sameIndex(e.url, url)) names.push(e.name);
  return [...new Set(names)];
}

/** UV_INDEX_<NAME>_USERNAME/PASSWORD (uv) and POETRY_HTTP_BASIC_<NAME>_USERNAME/PASSWORD (Poetry). */
function fromNamedIndexVars(url: string, settings: RegistrySettings, env: Record<string, string | undefined>): IndexCredential | undefined {
  for (const name of namesOf(url, settings)) {
    const key = name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
    for (const prefix of [`UV_INDEX_${key}`, `POETRY_HTTP_BASIC_${key}`]) {
      const password = env[`${prefix}_PASSWORD`];
      if (password) return { username: env[`${prefix}_USERNAME`] ?? "__token__", password, source: `env ${prefix}_USERNAME/${prefix}_PASSWORD` };
    }
  }
  return undefined;
}

function fromEnvVars(url: string, cfg: NonNullable<RegistrySettings["credentialsConfig"]>, env: Record<string, string | undefined>): IndexCredential {
  const missing = (field: string, name?: string): never => {
    throw new DhtError(ExitCode.usage, name ? `environment variable ${name} is not set (credentials for ${redactUrl(url)})` : `registries.credentials.${field} is not set`, {
      subject: name ? `env ${name}` : `registries.credentials.${field}`,
      hint: name
        ? `export ${name}=... (dhtl reads it for the installer and never stores it)`
        : `name the environment variable that holds the ${field === "password_env" ? "password or token" : "user name"}, e.g. ${field}: PIP_INDEX_${field === "password_env" ? "PASSWORD" : "USERNAME"}`,
    });
  };
  if (!cfg.password_env) return missing("password_env");
  const password = env[cfg.password_env];
  if (!password) return missing("password_env", cfg.password_env);
  // Token-style indexes (GitLab, Azure, CodeArtifact) accept any user; "__token__" is PyPI's convention.
  const username = cfg.username_env ? env[cfg.username_env] : "__token__";
  if (!username) return missing("username_env", cfg.username_env);
  return { username, password, source: `env ${cfg.username_env ? `${cfg.username_env}/` : ""}${cfg.password_env}` };
}

async function lookupPassword(
  url: string,
  username: string,
  source: string | undefined,
  o: ResolveCredentialsOptions & { keyringAuto: boolean; loadNetrc: () => { path: string; entries: NetrcEntry[] } | null },
): Promise<IndexCredential | undefined> {
  if (source === "keyring" || o.keyringAuto) {
    const c = await keyringGet(url, username, o);
    if (c) return c;
  }
  const n = o.loadNetrc();
  const host = hostOf(url);
  const e = n && host ? netrcLookup(n.entries, host) : undefined;
  if (n && e?.password !== undefined && (!e.login || e.login === username)) return { username, password: e.password, source: `netrc ${n.path}` };
  return undefined;
}

/**
 * `keyring get SERVICE USER`, never interactive (stdin closed) and with a timeout: the
 * index URL is tried as the service, then its host (the two spellings pip's keyring
 * support uses).
 */
export async function keyringGet(url: string, username: string, opts: ResolveCredentialsOptions): Promise<IndexCredential | undefined> {
  const exe = opts.keyringCommand ?? Bun.which("keyring", { PATH: opts.env.PATH ?? "" });
  if (!exe) {
    throw new DhtError(ExitCode.unsatisfiable, "the keyring command is not installed", {
      subject: "registries.credentials.source",
      hint: "install it (pipx install keyring / uv tool install keyring) or use source: env or netrc",
    });
  }
  const base = splitUserInfo(url).url;
  const services = [base, hostOf(url)].filter((s): s is string => Boolean(s));
  for (const service of services) {
    const proc = Bun.spawn([exe, "get", service, username], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...opts.env, PYTHONIOENCODING: "utf-8" } as Record<string, string>,
      timeout: opts.keyringTimeoutMs ?? 10_000,
    });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    if (proc.signalCode) {
      throw new DhtError(ExitCode.failed, `keyring did not answer within ${Math.round((opts.keyringTimeoutMs ?? 10_000) / 1000)} s`, {
        subject: redactUrl(url),
        hint: "a keyring backend may be waiting for an unlock prompt; unlock it, or use source: env",
      });
    }
    const password = out.replace(/\r?\n$/, "");
    if (code === 0 && password) return { username, password, source: "keyring" };
  }
  return undefined;
}
