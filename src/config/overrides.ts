/**
 * The two top layers of the resolution order: DHT_* environment variables, then flags.
 * Both are small documented tables mapping a name onto a config path, so `dhtl config show`
 * can say "env DHT_PYTHON" or "flag --python" for a value. Values are checked here with
 * the same rules as the file; a bad value is a DhtError (exit 2) naming the variable or flag.
 *
 * Unlike .dhtconfig, environment variables may carry credentials in URLs (DHT_INDEX_URL):
 * that is where secrets belong. They are redacted wherever they are shown.
 */
import type { ArgsDef } from "citty";
import { usageError } from "../errors.ts";
import { isValidPythonRequest, PYTHON_REQUEST_EXPECTED } from "./python-request-syntax.ts";
import { DEPENDENCY_STRATEGIES, describeValue, isIndexUrl } from "./schema.ts";
import type { PathSegment } from "./yaml-outline.ts";

type Kind = "text" | "bool" | "python" | "url" | "urls" | "list" | "strategy";

export interface EnvVarBinding {
  name: string;
  path: PathSegment[];
  kind: Kind;
  description: string;
}

/** The documented DHT_* variables (docs/config.md "Environment variables"). */
export const ENV_VAR_BINDINGS: readonly EnvVarBinding[] = [
  { name: "DHT_PYTHON", path: ["python", "version"], kind: "python", description: "Python request, e.g. 3.11 or >=3.10,<3.13" },
  { name: "DHT_VENV", path: ["python", "venv"], kind: "text", description: "virtual environment directory" },
  { name: "DHT_ALLOW_PATCH_FALLBACK", path: ["python", "allow_patch_fallback"], kind: "bool", description: "accept another patch release when the exact one is unavailable" },
  { name: "DHT_DEPS_STRATEGY", path: ["dependencies", "strategy"], kind: "strategy", description: "uv, requirements or pip" },
  { name: "DHT_PREFER_BINARY", path: ["dependencies", "prefer_binary"], kind: "bool", description: "prefer wheels over source builds" },
  { name: "DHT_INDEX_URL", path: ["registries", "index_url"], kind: "url", description: "package index URL (may carry credentials)" },
  { name: "DHT_EXTRA_INDEX_URLS", path: ["registries", "extra_index_urls"], kind: "urls", description: "extra index URLs, separated by spaces or commas" },
  { name: "DHT_TRUSTED_HOSTS", path: ["registries", "trusted_hosts"], kind: "list", description: "hosts whose TLS is not verified, separated by spaces or commas" },
  { name: "DHT_FIND_LINKS", path: ["registries", "find_links"], kind: "list", description: "extra wheel locations, separated by spaces or commas" },
  { name: "DHT_CA_BUNDLE", path: ["proxy", "ca_bundle"], kind: "text", description: "extra CA certificates (PEM) for TLS-inspecting proxies" },
  { name: "DHT_OFFLINE", path: ["offline", "enabled"], kind: "bool", description: "never use the network" },
  { name: "DHT_OFFLINE_BUNDLE", path: ["offline", "bundle"], kind: "text", description: "offline bundle to install from" },
  { name: "DHT_ISOLATE", path: ["isolation", "enabled"], kind: "bool", description: "project tools inside the venv, plus activate.isolated scripts with a cleaned PATH" },
];

/** Setup-ish flags that map onto configuration (the top layer). */
export interface ConfigFlags {
  python: string;
  venv: string;
  offline: boolean;
  offlineBundle: string;
  preferBinary: boolean;
  isolate: boolean;
  /** Exact Python version only: sets python.allow_patch_fallback to false. */
  strict: boolean;
  indexUrl: string;
  strategy: string;
}

interface FlagBinding {
  flag: keyof ConfigFlags;
  path: PathSegment[];
  kind: Kind;
  /** Turn the flag's value into the config value (strict inverts). */
  map?: (value: unknown) => unknown;
}

export const FLAG_BINDINGS: readonly FlagBinding[] = [
  { flag: "python", path: ["python", "version"], kind: "python" },
  { flag: "venv", path: ["python", "venv"], kind: "text" },
  { flag: "strict", path: ["python", "allow_patch_fallback"], kind: "bool", map: (v) => !v },
  { flag: "strategy", path: ["dependencies", "strategy"], kind: "strategy" },
  { flag: "preferBinary", path: ["dependencies", "prefer_binary"], kind: "bool" },
  { flag: "indexUrl", path: ["registries", "index_url"], kind: "url" },
  { flag: "offline", path: ["offline", "enabled"], kind: "bool" },
  { flag: "offlineBundle", path: ["offline", "bundle"], kind: "text" },
  { flag: "isolate", path: ["isolation", "enabled"], kind: "bool" },
];

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const flagName = (flag: keyof ConfigFlags) => `--${kebab(flag)}`;

/** citty argument definitions for the config flags (kebab-case, as --help shows them), for commands that accept them. */
export const configFlagArgs = {
  python: { type: "string", description: "Python to use: 3.11, 3.11.7, >=3.10,<3.13, cpython@3.12", valueHint: "VERSION" },
  venv: { type: "string", description: "Virtual environment directory (default .venv)", valueHint: "DIR" },
  strict: { type: "boolean", description: "Require the exact Python version, no other patch release" },
  strategy: { type: "string", description: "How to install dependencies: uv, requirements or pip", valueHint: "STRATEGY" },
  "prefer-binary": { type: "boolean", description: "Prefer binary wheels over building from source" },
  "index-url": { type: "string", description: "Package index URL", valueHint: "URL" },
  offline: { type: "boolean", description: "Never use the network" },
  "offline-bundle": { type: "string", description: "Install from this offline bundle", valueHint: "FILE" },
  isolate: { type: "boolean", description: "Project tools inside the venv, plus activate.isolated scripts with a cleaned PATH" },
} as const satisfies ArgsDef;

/** The config flags present in parsed citty args (absent flags are left out). */
export function configFlagsFromArgs(args: Record<string, unknown>): Partial<ConfigFlags> {
  const flags: Partial<ConfigFlags> = {};
  for (const { flag } of FLAG_BINDINGS) {
    const value = args[flag] ?? args[kebab(flag)];
    if (value !== undefined) (flags as Record<string, unknown>)[flag] = value;
  }
  return flags;
}

function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(t)) return true;
  if (["0", "false", "no", "off"].includes(t)) return false;
  return undefined;
}

const splitList = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** Check one override value; returns the config value or an "expected …" problem. */
function convert(kind: Kind, value: unknown): { value: unknown } | { problem: string } {
  const got = describeValue(value);
  switch (kind) {
    case "bool": {
      const b = typeof value === "boolean" ? value : typeof value === "string" ? parseBool(value) : undefined;
      return b === undefined ? { problem: `expected true or false (1/0, yes/no, on/off), got ${got}` } : { value: b };
    }
    case "python":
      return typeof value === "string" && isValidPythonRequest(value) ? { value: value.trim() } : { problem: `${PYTHON_REQUEST_EXPECTED}, got ${got}` };
    case "url":
      return typeof value === "string" && isIndexUrl(value.trim())
        ? { value: value.trim() }
        : { problem: "expected an http(s):// or file:// URL" + (typeof value === "string" && value.includes("@") ? "" : `, got ${got}`) };
    case "urls": {
      const urls = typeof value === "string" ? splitList(value) : [];
      const bad = urls.find((u) => !isIndexUrl(u));
      return bad === undefined ? { value: urls } : { problem: "expected http(s):// or file:// URLs separated by spaces" + (bad.includes("@") ? "" : `, got ${describeValue(bad)}`) };
    }
    case "list":
      return { value: typeof value === "string" ? splitList(value) : [] };
    case "strategy":
      return typeof value === "string" && (DEPENDENCY_STRATEGIES as readonly string[]).includes(value.trim())
        ? { value: value.trim() }
        : { problem: `expected one of ${DEPENDENCY_STRATEGIES.join(", ")}, got ${got}` };
    case "text":
      return typeof value === "string" && value.trim() !== "" ? { value: value.trim() } : { problem: `expected text, got ${got}` };
  }
}

export interface OverrideLayer {
  /** Nested values in .dhtconfig shape. */
  values: Record<string, unknown>;
  /** Dotted path → origin ("env DHT_PYTHON", "flag --python"). */
  origins: Record<string, string>;
}

function setPath(target: Record<string, unknown>, path: PathSegment[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) node = (node[String(segment)] ??= {}) as Record<string, unknown>;
  node[String(path.at(-1))] = value;
}

/** The DHT_* layer. Empty variables count as unset. */
export function envVarLayer(env: Record<string, string | undefined>): OverrideLayer {
  const layer: OverrideLayer = { values: {}, origins: {} };
  for (const binding of ENV_VAR_BINDINGS) {
    const raw = env[binding.name];
    if (raw === undefined || raw.trim() === "") continue;
    const result = convert(binding.kind, raw);
    if ("problem" in result) {
      throw usageError(`environment variable ${binding.name}: ${result.problem}`, {
        subject: `env ${binding.name}`,
        hint: `${binding.name} sets ${binding.path.join(".")} (${binding.description}); fix or unset it`,
      });
    }
    setPath(layer.values, binding.path, result.value);
    layer.origins[binding.path.join(".")] = `env ${binding.name}`;
  }
  return layer;
}

/** The flags layer. */
export function flagLayer(flags: Partial<ConfigFlags>): OverrideLayer {
  const layer: OverrideLayer = { values: {}, origins: {} };
  for (const binding of FLAG_BINDINGS) {
    const raw = flags[binding.flag];
    if (raw === undefined) continue;
    const result = convert(binding.kind, raw);
    if ("problem" in result) {
      throw usageError(`${flagName(binding.flag)}: ${result.problem}`, {
        subject: flagName(binding.flag),
        hint: `see \`dhtl setup --help\`; ${flagName(binding.flag)} sets ${binding.path.join(".")}`,
      });
    }
    setPath(layer.values, binding.path, binding.map ? binding.map(result.value) : result.value);
    layer.origins[binding.path.join(".")] = `flag ${flagName(binding.flag)}`;
  }
  return layer;
}
