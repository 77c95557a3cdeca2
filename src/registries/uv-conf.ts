/**
 * uv's own index settings: UV_* environment variables, uv.toml files (UV_CONFIG_FILE, the
 * project's uv.toml, the user's and the system's) and `[tool.uv]` in pyproject.toml
 * (`index-url`, `extra-index-url`, `find-links`, `no-index`, `allow-insecure-host`, and the
 * `[[index]]` tables with `name`, `url`, `default`, `explicit`, `format = "flat"`).
 */
import { existsSync } from "node:fs";
import { readProjectText } from "../project/read-project-file.ts";
import { parseTomlText } from "../project/python-version.ts";
import { homedir } from "node:os";
import { join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { emptyLayer, lineOf, type IndexLayer } from "./layers.ts";

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : undefined);
const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x.trim() !== "").map((x) => x.trim()) : typeof v === "string" ? [v] : [];

/** `name=url` or `url` (uv's --index / UV_INDEX / UV_DEFAULT_INDEX syntax). */
export function parseIndexArg(text: string): { name?: string; url: string } {
  const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(text.trim());
  // A URL never matches the name pattern up to "=" because of its "://".
  return m ? { name: m[1]!, url: m[2]! } : { url: text.trim() };
}

/** UV_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX, UV_EXTRA_INDEX_URL, UV_FIND_LINKS, UV_INSECURE_HOST (uv has no UV_NO_INDEX). */
export function readUvEnvLayer(env: Record<string, string | undefined>): IndexLayer {
  const layer = emptyLayer("uv environment variables", true);
  const def = env.UV_DEFAULT_INDEX?.trim();
  if (def) {
    const { name, url } = parseIndexArg(def);
    layer.indexUrl = { value: url, origin: "env UV_DEFAULT_INDEX" };
    if (name) layer.named.push({ name, url, default: true, origin: "env UV_DEFAULT_INDEX" });
  } else if (env.UV_INDEX_URL?.trim()) {
    layer.indexUrl = { value: env.UV_INDEX_URL.trim(), origin: "env UV_INDEX_URL" };
  }
  for (const item of (env.UV_INDEX ?? "").split(/\s+/).filter(Boolean)) {
    const { name, url } = parseIndexArg(item);
    layer.extraIndexUrls.push({ value: url, origin: "env UV_INDEX" });
    if (name) layer.named.push({ name, url, origin: "env UV_INDEX" });
  }
  for (const url of (env.UV_EXTRA_INDEX_URL ?? "").split(/\s+/).filter(Boolean)) {
    layer.extraIndexUrls.push({ value: url, origin: "env UV_EXTRA_INDEX_URL" });
  }
  for (const fl of (env.UV_FIND_LINKS ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    layer.findLinks.push({ value: fl, origin: "env UV_FIND_LINKS" });
  }
  for (const h of (env.UV_INSECURE_HOST ?? "").split(/\s+/).filter(Boolean)) {
    layer.trustedHosts.push({ value: h, origin: "env UV_INSECURE_HOST" });
  }
  return layer;
}

/**
 * Read index settings out of a uv settings table (the top of uv.toml or `[tool.uv]`).
 * `label` is the file name used in origins; `text` lets origins carry line numbers.
 */
export function layerFromUvTable(table: Record<string, unknown>, file: string, text: string): IndexLayer {
  const layer = emptyLayer(file, true);
  const at = (needle: string | RegExp) => {
    const line = lineOf(text, needle);
    return line ? `${file}:${line}` : file;
  };
  // uv.toml may also carry pip-interface settings under [pip]; top-level keys win.
  const pip = (table.pip && typeof table.pip === "object" ? table.pip : {}) as Record<string, unknown>;
  const pick = (k: string) => table[k] ?? pip[k];

  const indexUrl = str(pick("index-url"));
  if (indexUrl) layer.indexUrl = { value: indexUrl, origin: at(/^\s*index-url\s*=/) };
  for (const u of strList(pick("extra-index-url"))) layer.extraIndexUrls.push({ value: u, origin: at(/^\s*extra-index-url\s*=/) });
  for (const u of strList(pick("find-links"))) layer.findLinks.push({ value: u, origin: at(/^\s*find-links\s*=/) });
  for (const h of strList(pick("allow-insecure-host"))) layer.trustedHosts.push({ value: h, origin: at(/^\s*allow-insecure-host\s*=/) });
  const noIndex = pick("no-index");
  if (typeof noIndex === "boolean") layer.noIndex = { value: noIndex, origin: at(/^\s*no-index\s*=/) };

  const indexes = table.index;
  if (indexes !== undefined && !Array.isArray(indexes)) {
    throw new DhtError(ExitCode.usage, "uv index settings must be an array of tables ([[index]])", { subject: file, hint: "write each index as a [[tool.uv.index]] (pyproject) or [[index]] (uv.toml) table" });
  }
  for (const [i, raw] of (indexes ?? []).entries()) {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const url = str(entry.url) ?? str(entry.path);
    const name = str(entry.name);
    const origin = name ? at(new RegExp(`name\\s*=\\s*["']${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']`)) : `${file} index[${i}]`;
    if (!url) {
      throw new DhtError(ExitCode.usage, `index ${name ? `"${name}"` : `#${i + 1}`} has no url`, { subject: origin, hint: 'add url = "https://host/simple"' });
    }
    if (entry.format === "flat") {
      // A flat index is a page of links: pip's --find-links.
      layer.findLinks.push({ value: url, origin });
      continue;
    }
    const named = { name: name ?? `index-${i + 1}`, url, origin, explicit: entry.explicit === true, default: entry.default === true };
    if (name) layer.named.push(named);
    if (named.explicit) continue;
    if (named.default) layer.indexUrl ??= { value: url, origin };
    else layer.extraIndexUrls.push({ value: url, origin });
  }
  return layer;
}

export interface UvConfigRoots {
  env: Record<string, string | undefined>;
  home?: string;
  os?: "linux" | "darwin" | "windows";
  /** Prefix for absolute system paths (/etc/uv/uv.toml), for fixtures. */
  systemRoot?: string;
  projectRoot: string;
}

function readToml(path: string): { table: Record<string, unknown>; text: string } {
  const read = readProjectText(path, { display: path, what: "uv.toml files" });
  if (!read) throw new DhtError(ExitCode.usage, `${path} does not exist`, { subject: path, hint: "check UV_CONFIG_FILE" });
  return { table: parseTomlText(read.text, path, "fix the TOML syntax (https://toml.io)"), text: read.text };
}

/** uv.toml files in uv's order of precedence, highest first: project, user, system (or UV_CONFIG_FILE alone). */
export function uvConfigFiles(roots: UvConfigRoots): string[] {
  const { env } = roots;
  if (env.UV_NO_CONFIG && !["0", "false", ""].includes(env.UV_NO_CONFIG.toLowerCase())) return [];
  if (env.UV_CONFIG_FILE) return [env.UV_CONFIG_FILE];
  const os = roots.os ?? (process.platform === "win32" ? "windows" : process.platform === "darwin" ? "darwin" : "linux");
  const home = roots.home ?? env.HOME ?? homedir();
  const sys = (p: string) => (roots.systemRoot ? join(roots.systemRoot, p) : p);
  const files = [join(roots.projectRoot, "uv.toml")];
  if (os === "windows") {
    files.push(join(env.APPDATA ?? join(home, "AppData", "Roaming"), "uv", "uv.toml"));
    files.push(join(roots.systemRoot ?? "", env.SYSTEMDRIVE ?? "C:", "ProgramData", "uv", "uv.toml"));
  } else {
    files.push(join(env.XDG_CONFIG_HOME || join(home, ".config"), "uv", "uv.toml"));
    for (const dir of (env.XDG_CONFIG_DIRS || "/etc/xdg").split(":").filter(Boolean)) files.push(sys(join(dir, "uv", "uv.toml")));
    files.push(sys("/etc/uv/uv.toml"));
  }
  return files;
}

/** One layer per existing uv.toml, highest precedence first. UV_CONFIG_FILE must exist. */
export function readUvFileLayers(roots: UvConfigRoots): IndexLayer[] {
  const layers: IndexLayer[] = [];
  for (const file of uvConfigFiles(roots)) {
    if (!existsSync(file)) {
      if (file === roots.env.UV_CONFIG_FILE) {
        throw new DhtError(ExitCode.usage, `UV_CONFIG_FILE names a file that does not exist`, { subject: `env UV_CONFIG_FILE=${file}`, hint: "point UV_CONFIG_FILE at a uv.toml or unset it" });
      }
      continue;
    }
    const { table, text } = readToml(file);
    layers.push(layerFromUvTable(table, file, text));
  }
  return layers;
}

/** `[tool.uv]` of the project's pyproject.toml, if any. */
export function readPyprojectUvLayer(projectRoot: string): IndexLayer | undefined {
  const file = join(projectRoot, "pyproject.toml");
  if (!existsSync(file)) return undefined;
  const { table, text } = readToml(file);
  const uv = (table.tool as Record<string, unknown> | undefined)?.uv;
  if (!uv || typeof uv !== "object") return undefined;
  return layerFromUvTable(uv as Record<string, unknown>, file, text);
}
