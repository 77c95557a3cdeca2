/**
 * What `dhtl config show` prints: the resolved configuration with secrets masked, and one
 * row per value with where it came from. Pure.
 */
import { redactUrl, redactValue } from "../net/redact.ts";
import { defaultConfig } from "./defaults.ts";
import { leafPaths, type ResolvedConfigResult } from "./resolve.ts";

/** Names of `env:` variables whose values are treated as secrets. */
const SECRET_NAME = /(TOKEN|SECRET|PASS|PWD|CREDENTIAL|AUTH|API_?KEY|PRIVATE|(^|_)PAT($|_)|(^|_)KEY($|_)|CERT|COOKIE|SESSION|DSN|CONN)/i;

const URL_PATHS = new Set(["registries.index_url", "registries.extra_index_urls", "registries.find_links", "proxy.http", "proxy.https"]);

function maskValue(path: string, value: unknown): unknown {
  if (URL_PATHS.has(path)) {
    if (typeof value === "string") return redactUrl(value);
    if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? redactUrl(v) : v));
  }
  if (path.startsWith("env.") && SECRET_NAME.test(path.slice(4))) return "***";
  // Any other env value may still carry a credential (a database URL with a password, a token).
  if (path.startsWith("env.") && typeof value === "string") return redactValue(value);
  return value;
}

/** A deep copy with URL credentials and secret-looking env values masked. */
export function redactConfig<T>(config: T, prefix = ""): T {
  if (Array.isArray(config) || typeof config !== "object" || config === null) return config;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const masked = maskValue(path, value);
    out[key] = masked !== value ? masked : key === "environments" && prefix === "" ? redactEnvironments(value) : redactConfig(value, path);
  }
  return out as T;
}

function redactEnvironments(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([dir, layer]) => [dir, redactConfig(layer)]));
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : "(none)";
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    return keys.length ? keys.join(", ") : "(none)";
  }
  return String(value);
}

/** Rows of [setting, value, origin] for every resolved value, in the order of docs/config.md. */
export function showRows(result: ResolvedConfigResult): string[][] {
  const config = redactConfig(result.config) as unknown as Record<string, unknown>;
  const sections = Object.keys(defaultConfig());
  const rank = (path: string[]) => sections.indexOf(path[0]!);
  const paths = leafPaths(config).sort((a, b) => rank(a) - rank(b) || a.join(".").localeCompare(b.join(".")));
  return paths.map((path) => {
    let value: unknown = config;
    for (const key of path) value = (value as Record<string, unknown>)[key];
    const dotted = path.join(".");
    return [dotted, formatValue(value), result.origins[dotted] ?? "default"];
  });
}

/** The --json document. */
export function showDocument(result: ResolvedConfigResult) {
  return {
    projectRoot: result.projectRoot,
    configFile: result.configFile ?? null,
    environment: result.environment ?? null,
    config: redactConfig(result.config),
    origins: result.origins,
    warnings: result.warnings,
  };
}
