/**
 * Check a parsed `.dhtconfig` value: expand the shorthands, run the valibot schema, and
 * turn every problem into an issue with its path and source line. Unknown keys are
 * warnings with the closest valid key; duplicate keys (which Bun.YAML silently resolves)
 * are errors. Pure: takes the parsed value and the outline of its source.
 */
import * as v from "valibot";
import { closest } from "../ui/suggest.ts";
import { fileSchema, normalizeEnvDir, recordKeyHints, type DhtConfigFile } from "./schema.ts";
import { lineOf, scalarText, type PathSegment, type YamlOutline } from "./yaml-outline.ts";

export interface ConfigIssue {
  path: PathSegment[];
  line: number;
  message: string;
}

export interface ConfigWarning {
  path: PathSegment[];
  line: number;
  message: string;
}

/** `environments."services/ml-service".python`, `dependencies.files[1]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `${out === "" ? "" : "."}${JSON.stringify(segment)}`;
  }
  return out || "(top level)";
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Keys that would reach Object.prototype if copied naively. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

interface NormalizeState {
  outline: YamlOutline;
  /** Normalized path → the path the user wrote (for shorthands such as `python: "3.11"`). */
  written: Map<string, PathSegment[]>;
  warnings: ConfigWarning[];
}

/**
 * A number where text is expected: YAML reads `3.10` as the number 3.1, so take the text
 * as written in the source when the outline has it.
 */
function asWrittenText(value: unknown, path: PathSegment[], state: NormalizeState): unknown {
  if (typeof value === "number" || typeof value === "boolean") return scalarText(state.outline, path) ?? String(value);
  return value;
}

const LIST_FIELDS: Record<string, readonly string[]> = {
  dependencies: ["files", "packages", "lock_files", "extras", "groups"],
  registries: ["extra_index_urls", "trusted_hosts", "find_links"],
  proxy: ["no_proxy"],
};

function copySection(value: unknown, path: PathSegment[], state: NormalizeState): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      state.warnings.push({ path: [...path, key], line: lineOf(state.outline, [...path, key]).line, message: "this key is not allowed and was ignored" });
      continue;
    }
    out[key] = child;
  }
  return out;
}

/** `apt: libpq-dev gcc` → a list; a list where a mapping is expected → logical names. */
const splitNames = (value: unknown) => (typeof value === "string" ? value.split(/\s+/).filter(Boolean) : value);

function normalizePlatformDeps(raw: unknown, path: PathSegment[], state: NormalizeState): unknown {
  // `platform_deps: [postgresql-client, redis]` (or one name) means logical names.
  if (Array.isArray(raw) || typeof raw === "string") return { packages: splitNames(raw) };
  if (!isPlainObject(raw)) return raw;
  const deps = copySection(raw, path, state) as Record<string, unknown>;
  for (const [key, value] of Object.entries(deps)) {
    if (key === "mapping") {
      if (!isPlainObject(value)) continue;
      const mapping = copySection(value, [...path, key], state) as Record<string, unknown>;
      for (const [name, entry] of Object.entries(mapping)) {
        if (!isPlainObject(entry)) continue;
        const e = copySection(entry, [...path, key, name], state) as Record<string, unknown>;
        for (const [field, v2] of Object.entries(e)) if (field !== "description" && field !== "kind" && typeof v2 === "string") e[field] = splitNames(v2);
        mapping[name] = e;
      }
      deps[key] = mapping;
    } else if (key === "linux" || key === "darwin" || key === "windows") {
      if (Array.isArray(value) || typeof value === "string") deps[key] = { packages: splitNames(value) };
      else if (isPlainObject(value)) {
        const os = copySection(value, [...path, key], state) as Record<string, unknown>;
        for (const [m, names] of Object.entries(os)) os[m] = splitNames(names);
        deps[key] = os;
      }
    } else deps[key] = splitNames(value);
  }
  return deps;
}

/** Expand shorthands in one layer (the top level, or one environment entry). */
function normalizeLayer(raw: Record<string, unknown>, path: PathSegment[], state: NormalizeState): Record<string, unknown> {
  const layer = copySection(raw, path, state) as Record<string, unknown>;
  const at = (...rest: PathSegment[]) => [...path, ...rest];
  // A known section left empty (`python:` with every line below commented out) is simply
  // unset; an unknown key with no value stays, so it is warned about like any unknown key.
  const known = new Set(Object.keys((fileSchema as unknown as { entries: Record<string, unknown> }).entries));
  for (const [key, value] of Object.entries(layer)) if (value === null && known.has(key)) delete layer[key];

  if (typeof layer.python === "string" || typeof layer.python === "number") {
    state.written.set(formatPath(at("python", "version")), at("python"));
    layer.python = { version: asWrittenText(layer.python, at("python"), state) };
  } else if (isPlainObject(layer.python)) {
    const python = copySection(layer.python, at("python"), state) as Record<string, unknown>;
    if (python.version !== undefined) python.version = asWrittenText(python.version, at("python", "version"), state);
    layer.python = python;
  }
  for (const key of ["offline", "isolation"] as const) {
    if (typeof layer[key] === "boolean") layer[key] = { enabled: layer[key] };
  }
  for (const key of ["build", "test"] as const) {
    if (typeof layer[key] === "string") layer[key] = { command: layer[key] };
  }
  for (const [section, fields] of Object.entries(LIST_FIELDS)) {
    if (!isPlainObject(layer[section])) continue;
    const copy = copySection(layer[section], at(section), state) as Record<string, unknown>;
    for (const field of fields) {
      const value = copy[field];
      // A single value where a list is expected: `files: requirements.txt`; no_proxy also takes "a,b".
      if (typeof value === "string") copy[field] = field === "no_proxy" ? value.split(",").map((s) => s.trim()).filter(Boolean) : [value];
    }
    layer[section] = copy;
  }
  if (layer.platform_deps !== undefined) layer.platform_deps = normalizePlatformDeps(layer.platform_deps, at("platform_deps"), state);
  if (isPlainObject(layer.languages) && (typeof layer.languages.node === "string" || typeof layer.languages.node === "number")) {
    layer.languages = { ...layer.languages, node: { version: asWrittenText(layer.languages.node, at("languages", "node"), state) } };
    state.written.set(formatPath(at("languages", "node", "version")), at("languages", "node"));
  } else if (isPlainObject(layer.languages) && isPlainObject(layer.languages.node) && layer.languages.node.version !== undefined) {
    layer.languages = { ...layer.languages, node: { ...layer.languages.node, version: asWrittenText(layer.languages.node.version, at("languages", "node", "version"), state) } };
  }
  for (const section of ["env"] as const) {
    if (!isPlainObject(layer[section])) continue;
    const copy = copySection(layer[section], at(section), state) as Record<string, unknown>;
    for (const [key, value] of Object.entries(copy)) copy[key] = asWrittenText(value, at(section, key), state);
    layer[section] = copy;
  }
  if (path.length === 0 && isPlainObject(layer.environments)) {
    const environments: Record<string, unknown> = {};
    for (const [dir, entry] of Object.entries(copySection(layer.environments, ["environments"], state) as Record<string, unknown>)) {
      // `services/api:` with nothing below declares an environment that only uses the top level.
      environments[dir] = entry === null ? {} : isPlainObject(entry) ? normalizeLayer(entry, ["environments", dir], state) : entry;
    }
    layer.environments = environments;
  }
  return layer;
}

type AnySchema = {
  type: string;
  entries?: Record<string, AnySchema>;
  wrapped?: AnySchema;
  value?: AnySchema;
  message?: unknown;
};

/**
 * Walk the value along the schema: warn about keys the schema does not know (with the
 * closest known key), and report lists where a mapping belongs, which valibot's object
 * and record schemas would accept (arrays are objects to them).
 */
function collectUnknownKeys(schema: AnySchema, value: unknown, path: PathSegment[], state: NormalizeState, issues: ConfigIssue[]): void {
  let s = schema;
  while (s.type === "optional" && s.wrapped) s = s.wrapped;
  if ((s.type === "object" || s.type === "record") && Array.isArray(value)) {
    const message = typeof s.message === "function" ? String(s.message({ input: value })) : "expected a mapping, got a list";
    issues.push({ path, line: lineOf(state.outline, path).line, message });
    return;
  }
  if (s.type === "object" && s.entries && isPlainObject(value)) {
    const known = Object.keys(s.entries);
    for (const [key, child] of Object.entries(value)) {
      const entry = s.entries[key];
      if (entry) {
        collectUnknownKeys(entry, child, [...path, key], state, issues);
        continue;
      }
      const suggestion = closest(key, known);
      if (path[path.length - 1] === "languages") {
        // A toolchain dhtl cannot provide is an error, not a warning: the project would silently miss it.
        issues.push({ path: [...path, key], line: lineOf(state.outline, [...path, key]).line, message: `dhtl provides only ${known.join(", ")} (from a nodejs.org mirror, the package index or the machine); install ${key} yourself and remove it here` });
        continue;
      }
      const nested = key === "environments" || key === "version" ? " (only allowed at the top level)" : "";
      if (path[path.length - 1] === "platform_deps" || path[path.length - 2] === "platform_deps") {
        state.warnings.push({ path: [...path, key], line: lineOf(state.outline, [...path, key]).line, message: `unknown package manager or OS, ignored${suggestion ? `; did you mean "${suggestion}"?` : ""} (known: ${known.join(", ")})` });
        continue;
      }
      state.warnings.push({
        path: [...path, key],
        line: lineOf(state.outline, [...path, key]).line,
        message: `unknown key${nested}, ignored${suggestion && !nested ? `; did you mean "${suggestion}"?` : ""}`,
      });
    }
  } else if (s.type === "record" && s.value && isPlainObject(value)) {
    const hints = recordKeyHints.get(s);
    for (const [key, child] of Object.entries(value)) {
      if (hints && !hints.includes(key)) {
        const suggestion = closest(key, hints);
        state.warnings.push({
          path: [...path, key],
          line: lineOf(state.outline, [...path, key]).line,
          message: `unknown package manager or OS${suggestion ? `; did you mean "${suggestion}"?` : ""} (known: ${hints.join(", ")})`,
        });
      }
      collectUnknownKeys(s.value, child, [...path, key], state, issues);
    }
  }
}

/** "services/api" and "./services/api/" name the same directory: ambiguous, so an error. */
function sameDirectoryTwice(dirs: string[], outline: YamlOutline): ConfigIssue[] {
  const seen = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const dir of dirs) {
    const key = normalizeEnvDir(dir);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, dir);
    else {
      issues.push({
        path: ["environments", dir],
        line: lineOf(outline, ["environments", dir]).line,
        message: `names the same directory as ${JSON.stringify(first)} (line ${lineOf(outline, ["environments", first]).line}); merge the two entries`,
      });
    }
  }
  return issues;
}

export interface ValidationResult {
  /** Present when there are no issues. */
  config?: DhtConfigFile;
  issues: ConfigIssue[];
  warnings: ConfigWarning[];
}

/** Validate a parsed `.dhtconfig` document (the value Bun.YAML returned) against its outline. */
export function validateConfigValue(value: unknown, outline: YamlOutline): ValidationResult {
  const state: NormalizeState = { outline, written: new Map(), warnings: [] };
  const issues: ConfigIssue[] = [];

  for (const dup of outline.duplicates) {
    issues.push({ path: dup.path, line: dup.line, message: `duplicate key (first set on line ${dup.firstLine}); YAML would keep only this one` });
  }
  if (value === null || value === undefined) return issues.length ? { issues, warnings: [] } : { config: {}, issues, warnings: [] };
  if (!isPlainObject(value)) {
    issues.push({ path: [], line: outline.root?.line ?? 1, message: `expected a mapping of settings (python:, dependencies:, ...), got ${Array.isArray(value) ? "a list" : JSON.stringify(value)}` });
    return { issues, warnings: [] };
  }

  const normalized = normalizeLayer(value, [], state);
  if (typeof normalized.version === "number") normalized.version = asWrittenText(normalized.version, ["version"], state);

  collectUnknownKeys(fileSchema as unknown as AnySchema, normalized, [], state, issues);
  const result = v.safeParse(fileSchema, normalized);
  if (!result.success) {
    for (const issue of result.issues) {
      const path: PathSegment[] = (issue.path ?? []).map((item) => item.key as PathSegment);
      // A record key that is wrong is reported at the key itself.
      const written = state.written.get(formatPath(path)) ?? path;
      issues.push({ path: written, line: lineOf(outline, written).line, message: issue.message });
    }
  }
  if (isPlainObject(normalized.environments)) issues.push(...sameDirectoryTwice(Object.keys(normalized.environments), outline));
  issues.sort((a, b) => a.line - b.line);
  state.warnings.sort((a, b) => a.line - b.line);
  return issues.length ? { issues, warnings: state.warnings } : { config: result.output as DhtConfigFile, issues, warnings: state.warnings };
}
