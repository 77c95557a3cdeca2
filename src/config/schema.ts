/**
 * The `.dhtconfig` schema (valibot). Keys are snake_case as in the YAML; the TypeScript
 * types mirror them. A *layer* is what one source contributes (the file's top level, one
 * environment entry, the DHT_* variables, the flags): every field optional, no defaults.
 * `DhtConfig` is the resolved configuration with the built-in defaults applied
 * (src/config/defaults.ts).
 *
 * Every schema and check carries a message function that says what was expected and what
 * was found, so src/config/validate.ts can print `file:line path: expected …, got …`.
 */
import * as v from "valibot";
import { isValidPythonRequest, PYTHON_REQUEST_EXPECTED } from "./python-request-syntax.ts";

/** "a list", "true", "\"3.1x\"": how a wrong value is named in messages (never long). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}

/** A valibot message: "expected <what>, got <value>". */
const expected =
  (what: string) =>
  (issue: { input: unknown }): string =>
    `expected ${what}, got ${describeValue(issue.input)}`;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** http(s) and file URLs; the scheme is what users most often leave out. */
export function isIndexUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "file:") && (url.protocol === "file:" || url.hostname !== "");
  } catch {
    return false;
  }
}

/** `${VAR}` references only: the secret stays in the environment, expanded at run time. */
const ONLY_VAR_REFERENCES = /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*\})+$/;

/**
 * True when the URL carries a literal password or token (user:secret@host). A password made
 * only of `${VAR}` references (https://${USER}:${TOKEN}@host/simple) is no secret: it names
 * where the secret lives, which is what a committed file should do.
 */
export function urlHasPassword(value: string): boolean {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(value)?.[1];
  if (userinfo === undefined) return false;
  const colon = userinfo.indexOf(":");
  if (colon < 0) return false;
  const password = userinfo.slice(colon + 1);
  return password !== "" && !ONLY_VAR_REFERENCES.test(password);
}

const text = (what = "text") => v.pipe(v.string(expected(what)), v.nonEmpty(expected(what)));
const bool = () => v.boolean(expected("true or false"));
const list = <T extends v.GenericSchema>(item: T, what: string) => v.array(item, expected(what));
const textList = (what = "a list of text") => list(text(), what);

const pythonRequest = v.pipe(
  v.string(expected("a version like 3.11 or 3.11.7 (quote it: \"3.10\")")),
  v.check((s) => isValidPythonRequest(s), expected(PYTHON_REQUEST_EXPECTED.replace(/^expected /, ""))),
);

const url = (what = "an http(s):// or file:// URL") => v.pipe(text(what), v.check(isIndexUrl, expected(what)));

/** URLs in the file must not carry secrets: the file is usually committed. */
const urlWithoutSecret = (what?: string) =>
  v.pipe(
    url(what),
    v.check(
      (s) => !urlHasPassword(s),
      "contains a password or token; keep secrets out of .dhtconfig (see registries.credentials and the DHT_INDEX_URL variable)",
    ),
  );

const envName = (what: string) => v.pipe(v.string(expected(what)), v.regex(ENV_NAME, expected(what)));


export const TEST_RUNNERS = ["auto", "pytest", "unittest", "nose2", "django", "behave", "tox", "nox"] as const;
export const DEPENDENCY_STRATEGIES = ["uv", "requirements", "pip"] as const;
export const PYTHON_IMPLEMENTATIONS = ["cpython", "pypy", "graalpy"] as const;
export const CREDENTIAL_SOURCES = ["env", "netrc", "keyring"] as const;

const oneOf = (values: readonly string[]) => expected(`one of ${values.join(", ")}`);

export const pythonSchema = v.object(
  {
    version: v.optional(pythonRequest),
    implementation: v.optional(v.picklist(PYTHON_IMPLEMENTATIONS, oneOf(PYTHON_IMPLEMENTATIONS))),
    venv: v.optional(text("a directory path like .venv")),
    prompt: v.optional(v.pipe(text("a short prompt name"), v.maxLength(64, expected("a prompt of at most 64 characters")))),
    allow_patch_fallback: v.optional(bool()),
  },
  expected("a mapping (version, implementation, venv, prompt, allow_patch_fallback) or a version like \"3.11\""),
);

export const dependenciesSchema = v.object(
  {
    strategy: v.optional(v.picklist(DEPENDENCY_STRATEGIES, oneOf(DEPENDENCY_STRATEGIES))),
    files: v.optional(textList("a list of requirement files")),
    packages: v.optional(textList("a list of package requirements")),
    lock_files: v.optional(textList("a list of lock files")),
    extras: v.optional(textList("a list of extras")),
    groups: v.optional(textList("a list of dependency groups")),
    prefer_binary: v.optional(bool()),
  },
  expected("a mapping (strategy, files, packages, lock_files, extras, groups, prefer_binary)"),
);

export const PACKAGE_MANAGER_KEYS = ["apt", "dnf", "yum", "microdnf", "zypper", "apk", "pacman", "brew", "port", "choco", "winget", "scoop"] as const;
export const OS_KEYS = ["linux", "darwin", "windows"] as const;

const packageNames = (what: string) => textList(what);
const rawPerManager = Object.fromEntries(PACKAGE_MANAGER_KEYS.map((m) => [m, v.optional(packageNames(`a list of ${m} package names`))])) as Record<(typeof PACKAGE_MANAGER_KEYS)[number], v.OptionalSchema<ReturnType<typeof textList>, undefined>>;

/** One OS's system packages: logical names (`packages`) and raw names per manager. */
export const platformDepsOsSchema = v.object(
  { packages: v.optional(packageNames("a list of logical package names (postgresql-client, redis)")), ...rawPerManager },
  expected("a list of logical package names, or a mapping of package manager to package names"),
);

const postInstallSchema = v.object(
  {
    path: v.optional(text("a directory (glob) whose tools go on PATH")),
    link: v.optional(text("a file (glob) to link onto PATH")),
    manager: v.optional(v.picklist(PACKAGE_MANAGER_KEYS, oneOfManagers())),
    on: v.optional(text("a distribution selector like alpine or ubuntu:22.04")),
  },
  expected("a mapping (path or link, optionally manager and on)"),
);
function oneOfManagers() {
  return expected(`one of ${PACKAGE_MANAGER_KEYS.join(", ")}`);
}
const sha256Text = v.pipe(v.string(expected("a sha256 (64 hex digits)")), v.regex(/^[0-9a-fA-F]{64}$/, expected("a sha256 (64 hex digits)")));
const archiveSourceSchema = v.object(
  { url: url("an http(s):// or file:// URL of the archive"), sha256: sha256Text, bin: v.optional(text("a directory inside the archive")) },
  expected("a mapping (url, sha256, bin)"),
);
const commandArgv = list(text("a command word"), "a command as a list of words, like [make, \"PREFIX={prefix}\", install]");

/** A `.dhtconfig` entry extending or overriding dhtl's system-package mapping (src/data/system-packages.json). */
export const mappingEntrySchema = v.object(
  {
    description: v.optional(text()),
    kind: v.optional(v.picklist(["tool", "library"], expected("tool or library"))),
    tools: v.optional(textList("a list of command names")),
    check: v.optional(textList("a command as a list of words, like [psql, --version]")),
    ...rawPerManager,
    on: v.optional(v.record(v.string(), v.object(rawPerManager, expected("a mapping of package manager to package names")), expected("a mapping of distribution selector (ubuntu:22.04, fedora:4*, alpine) to package names per manager"))),
    post_install: v.optional(list(postInstallSchema, "a list of post-install steps")),
    userspace: v.optional(
      v.object(
        {
          wheel: v.optional(
            v.object(
              {
                project: text("a PyPI project name"),
                bin: text("a directory inside the wheel"),
                archive: v.optional(text("an archive inside the wheel")),
                commands: v.optional(v.record(v.string(), v.pipe(v.array(text("a binary of the wheel, then its arguments")), v.minLength(1, "at least the binary's name")), expected("a mapping of tool name to [binary, arguments…]"))),
              },
              expected("a mapping (project, bin, archive, commands)"),
            ),
          ),
          archives: v.optional(v.record(v.pipe(v.string(), v.regex(/^(linux|darwin|windows)-(x86_64|aarch64)-(gnu|musl|none)$/, expected("a platform like linux-x86_64-gnu"))), archiveSourceSchema, expected("a mapping of platform (linux-x86_64-gnu) to an archive"))),
          source: v.optional(v.object({ url: url("an http(s):// or file:// URL of the source archive"), sha256: sha256Text, build: list(commandArgv, "a list of commands") }, expected("a mapping (url, sha256, build)"))),
          rustup: v.optional(
            v.object(
              {
                toolchain: v.optional(v.pipe(v.string(), v.regex(/^(?:stable|beta|nightly|\d+\.\d+(?:\.\d+)?)(?:-\d{4}-\d{2}-\d{2})?$/, expected("a Rust toolchain: stable, beta, nightly or a version like 1.83.0")))),
                profile: v.optional(v.picklist(["minimal", "default"], expected("minimal or default"))),
              },
              expected("a mapping (toolchain, profile)"),
            ),
          ),
          distro: v.optional(bool()),
        },
        expected("a mapping (wheel, rustup, archives, source, distro)"),
      ),
    ),
  },
  expected("a mapping (tools, check, apt, dnf, ..., on, post_install, userspace)"),
);

/**
 * platform_deps: logical names (`[postgresql-client, redis]`, shorthand for `packages:`),
 * raw names per manager (`apt: [libcudnn8]`), either of them per OS (`linux: {apt: [...]}`),
 * and `mapping:` entries that extend or override dhtl's table.
 */
export const platformDepsSchema = v.object(
  {
    packages: v.optional(packageNames("a list of logical package names (postgresql-client, redis)")),
    ...rawPerManager,
    linux: v.optional(platformDepsOsSchema),
    darwin: v.optional(platformDepsOsSchema),
    windows: v.optional(platformDepsOsSchema),
    mapping: v.optional(v.record(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9+._-]*$/, expected("a package name like my-tool"))), mappingEntrySchema, expected("a mapping of logical package names to their entries"))),
  },
  expected("a list of logical package names, or a mapping (packages, linux, darwin, windows, apt, dnf, ..., mapping)"),
);

const languageVersion = v.pipe(
  v.string(expected("a version like 20 or 20.11.1 (quote it)")),
  v.regex(/^[\w.*^~<>=!|, /+-]{1,64}$/, expected("a version like 20 or 20.11.1")),
);
export const nodeLanguageSchema = v.object(
  {
    version: v.optional(languageVersion),
    install: v.optional(bool()),
    strict: v.optional(bool()),
  },
  expected("a version like \"20.10.0\", or a mapping (version, install, strict)"),
);
/** Other toolchains: only Node.js so far; any other name is an error (a configured thing dhtl cannot do). */
export const languagesSchema = v.object({ node: v.optional(nodeLanguageSchema) }, expected("a mapping of language to version, like node: \"20\""));

export const credentialsSchema = v.object(
  {
    source: v.optional(v.picklist(CREDENTIAL_SOURCES, oneOf(CREDENTIAL_SOURCES))),
    username_env: v.optional(envName("an environment variable name")),
    password_env: v.optional(envName("an environment variable name")),
  },
  expected("a mapping (source, username_env, password_env)"),
);

export const registriesSchema = v.object(
  {
    index_url: v.optional(urlWithoutSecret()),
    extra_index_urls: v.optional(list(urlWithoutSecret(), "a list of index URLs")),
    trusted_hosts: v.optional(
      list(v.pipe(text("a host name"), v.regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/, expected("a host name like pypi.example.com or host:8080"))), "a list of host names"),
    ),
    find_links: v.optional(textList("a list of URLs or directories")),
    credentials: v.optional(credentialsSchema),
  },
  expected("a mapping (index_url, extra_index_urls, trusted_hosts, find_links, credentials)"),
);

export const proxySchema = v.object(
  {
    http: v.optional(urlWithoutSecret("a proxy URL like http://proxy.example.com:3128")),
    https: v.optional(urlWithoutSecret("a proxy URL like http://proxy.example.com:3128")),
    no_proxy: v.optional(textList("a list of hosts, domains or CIDR ranges")),
    ca_bundle: v.optional(text("a path to a PEM file")),
  },
  expected("a mapping (http, https, no_proxy, ca_bundle)"),
);

export const offlineSchema = v.object(
  {
    enabled: v.optional(bool()),
    bundle: v.optional(text("a path to an offline bundle")),
    require_signature: v.optional(bool()),
    verify_key: v.optional(text("a path to a public key")),
  },
  expected("a mapping (enabled, bundle, require_signature, verify_key) or true/false"),
);

export const isolationSchema = v.object({ enabled: v.optional(bool()) }, expected("a mapping (enabled) or true/false"));
export const buildSchema = v.object({ command: v.optional(text("a command line")) }, expected("a mapping (command) or a command line"));
export const testSchema = v.object(
  {
    command: v.optional(text("a command line")),
    runner: v.optional(v.picklist(TEST_RUNNERS, oneOf(TEST_RUNNERS))),
    route: v.optional(v.pipe(text("a route name as `dhtl test --list` shows it (tox:py311, make:test, pytest)"), v.regex(/^[\w.:@+-]{1,128}$/, expected("a route name such as tox:py311, nox:tests, make:test or pytest")))),
  },
  expected("a mapping (command, runner, route) or a command line"),
);
export const envSchema = v.record(
  envName("an environment variable name (letters, digits, _)"),
  v.string(expected("text (quote it)")),
  expected("a mapping of variable names to values"),
);

/** Settings an environment entry may override: everything but `version` and `environments`. */
const layerEntries = {
  python: v.optional(pythonSchema),
  dependencies: v.optional(dependenciesSchema),
  platform_deps: v.optional(platformDepsSchema),
  languages: v.optional(languagesSchema),
  registries: v.optional(registriesSchema),
  proxy: v.optional(proxySchema),
  offline: v.optional(offlineSchema),
  isolation: v.optional(isolationSchema),
  build: v.optional(buildSchema),
  test: v.optional(testSchema),
  env: v.optional(envSchema),
};

export const environmentSchema = v.object(layerEntries, expected("a mapping of settings for this directory"));

/** "./services/api/" → "services/api" (the form environments are matched in). */
export const normalizeEnvDir = (dir: string) => dir.replace(/\\/g, "/").replace(/^(\.\/)+/, "").replace(/\/+$/, "");

/** A monorepo environment key: a relative directory inside the project ("./a/" is fine). */
export function isEnvironmentDir(dir: string): boolean {
  if (dir.startsWith("/") || /^[A-Za-z]:/.test(dir) || dir.includes("\\")) return false;
  const normalized = normalizeEnvDir(dir);
  if (normalized === "" || normalized === ".") return false;
  return !normalized.split("/").some((part) => part === ".." || part === "" || part === ".");
}

export const fileSchema = v.object(
  {
    // 1, and "2.0" (the design's format name, same meaning): both are read the same way.
    version: v.optional(v.union([v.literal(1), v.literal(2), v.picklist(["1", "1.0", "2", "2.0"])], expected("1 or \"2.0\" (the configuration formats this dhtl reads)"))),
    ...layerEntries,
    environments: v.optional(
      v.record(
        v.pipe(v.string(), v.check(isEnvironmentDir, expected("a relative directory inside the project, like services/api"))),
        environmentSchema,
        expected("a mapping of directories to settings"),
      ),
    ),
  },
  expected("a mapping of settings (python:, dependencies:, ...)"),
);

/** What a validated .dhtconfig contributes (shorthands expanded, no defaults). */
export type DhtConfigFile = v.InferOutput<typeof fileSchema>;
/** What one environments entry contributes. */
export type DhtEnvironmentLayer = v.InferOutput<typeof environmentSchema>;

export type DependencyStrategy = (typeof DEPENDENCY_STRATEGIES)[number];
export type TestRunner = (typeof TEST_RUNNERS)[number];

/** The resolved configuration: every layer merged over the built-in defaults. */
export interface DhtConfig {
  version: 1;
  python: {
    version?: string;
    implementation: (typeof PYTHON_IMPLEMENTATIONS)[number];
    venv: string;
    prompt?: string;
    allow_patch_fallback: boolean;
  };
  dependencies: {
    strategy: DependencyStrategy;
    files: string[];
    packages: string[];
    lock_files: string[];
    extras: string[];
    groups: string[];
    prefer_binary: boolean;
  };
  platform_deps: PlatformDepsConfig;
  languages: { node?: { version?: string; install?: boolean; strict?: boolean } };
  registries: {
    index_url?: string;
    extra_index_urls: string[];
    trusted_hosts: string[];
    find_links: string[];
    credentials: { source: (typeof CREDENTIAL_SOURCES)[number]; username_env?: string; password_env?: string };
  };
  proxy: { http?: string; https?: string; no_proxy: string[]; ca_bundle?: string };
  offline: { enabled: boolean; bundle?: string; require_signature: boolean; verify_key?: string };
  isolation: { enabled: boolean };
  environments: Record<string, DhtEnvironmentLayer>;
  build: { command?: string };
  test: { command?: string; runner: TestRunner; route?: string };
  env: Record<string, string>;
}

export type PlatformDepsConfig = v.InferOutput<typeof platformDepsSchema>;
export type MappingEntryConfig = v.InferOutput<typeof mappingEntrySchema>;

/** Known keys of a record whose keys are free-form but usually from a fixed list (for warnings). */
export const recordKeyHints = new Map<object, readonly string[]>();
