/**
 * The vocabulary of package indexes: where packages come from (RegistrySettings), who we
 * are to them (RegistryCredentials), and the slice of .dhtconfig that configures them.
 * Plain data so the setup flow can print it and tests can write it by hand.
 */

/** `registries` in .dhtconfig (snake_case like the YAML). DhtConfig["registries"] fits this shape. */
export interface RegistriesConfig {
  index_url?: string;
  extra_index_urls?: string[];
  trusted_hosts?: string[];
  find_links?: string[];
  credentials?: CredentialsConfig;
}

export interface CredentialsConfig {
  /** Where the secret comes from; unset means "URL-embedded ${VAR}s, then netrc". */
  source?: "env" | "netrc" | "keyring";
  /** Name of the environment variable that holds the user name (never the value itself). */
  username_env?: string;
  /** Name of the environment variable that holds the password or token. */
  password_env?: string;
}

/** A named index (uv's `[[tool.uv.index]]`, `UV_INDEX=name=url`): names carry uv credentials. */
export interface NamedIndex {
  name: string;
  url: string;
  /** uv `explicit = true`: only used for packages pinned to it in [tool.uv.sources]. */
  explicit?: boolean;
  /** uv `default = true`: replaces PyPI. */
  default?: boolean;
  origin: string;
}

/**
 * The package indexes in effect for a project on this machine. URLs are stored as
 * configured (they may contain `${VAR}` references or user info): print them only through
 * describeRegistries / redactUrl.
 */
export interface RegistrySettings {
  /** The primary index (PEP 503 "simple" URL). https://pypi.org/simple when nothing says otherwise. */
  indexUrl: string;
  extraIndexUrls: string[];
  /** Hosts (host or host:port) allowed over plain HTTP / without certificate verification. */
  trustedHosts: string[];
  /** Directories or URLs of wheel files (pip --find-links). */
  findLinks: string[];
  /** `--no-index` was requested somewhere: only find-links are used. */
  noIndex: boolean;
  /** Names for index URLs (url → name) known from uv configuration, kept so uv's [tool.uv.sources] still match. */
  indexNames: Record<string, string>;
  /** Explicit uv indexes: not searched for every package, but they may need credentials. */
  explicitIndexes: NamedIndex[];
  /** Where each value came from: "indexUrl" → "env PIP_INDEX_URL", "extraIndexUrls.0" → "requirements.txt:2". */
  origins: Record<string, string>;
  /** The credentials section of .dhtconfig, kept for resolveCredentials. */
  credentialsConfig?: CredentialsConfig;
  /**
   * How uv must choose among the indexes to behave like the tool that configured them:
   * "unsafe-best-match" when extra indexes come from pip's vocabulary (pip.conf, PIP_*,
   * requirements files, .dhtconfig), where pip compares versions across all indexes;
   * undefined leaves uv's own first-index rule. UV_INDEX_STRATEGY, when set, wins.
   */
  indexStrategy?: string;
}

/** Credentials for one index; never printed, never written to a file. */
export interface IndexCredential {
  username: string;
  password: string;
  /** "env ART_TOKEN", "netrc /home/u/.netrc", "keyring", "url" — for describe output (no secret). */
  source: string;
}

/** Index URL (as in RegistrySettings) → its credentials. */
export type RegistryCredentials = Record<string, IndexCredential>;

export const PYPI_SIMPLE = "https://pypi.org/simple";

/** Settings naming only `indexUrl` (and whatever `over` adds): the starting point of every merge. */
export function registrySettings(indexUrl: string = PYPI_SIMPLE, over: Partial<RegistrySettings> = {}): RegistrySettings {
  return { indexUrl, extraIndexUrls: [], trustedHosts: [], findLinks: [], noIndex: false, indexNames: {}, explicitIndexes: [], origins: {}, ...over };
}
