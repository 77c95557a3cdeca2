/**
 * Pipenv's Pipfile (TOML): [[source]] indexes, [packages], [dev-packages], other
 * categories, and [requires] python_version. Values are "*", a specifier ("==1.2",
 * ">=2,<3"), or a table {version, extras, markers, git, ref, path, editable, index,
 * file, sys_platform, ...}.
 */
import { DhtError, ExitCode } from "../errors.ts";
import { normalizeName, parseRequirement, Pep508Error, type Requirement } from "./pep508.ts";
import { tomlLine } from "./pyproject.ts";

export interface PipfileSource {
  name?: string;
  url: string;
  verifySsl: boolean;
  origin: string;
}

export interface PipfileFacts {
  sources: PipfileSource[];
  packages: Requirement[];
  /** dev-packages → "dev"; any other category (pipenv ≥ 2022.10) under its own name. */
  categories: Record<string, Requirement[]>;
  requiresPython?: string;
}

type Table = Record<string, unknown>;
const asTable = (v: unknown): Table | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : undefined);

/** Pipfile marker keys that are written as plain keys of a package table. */
const MARKER_KEYS = ["os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release", "platform_system", "platform_version", "python_version", "python_full_version", "implementation_name", "implementation_version"];

function entry(name: string, spec: unknown, origin: string): Requirement {
  const fail = (msg: string): never => {
    throw new DhtError(ExitCode.usage, `${origin}: ${msg}`, { subject: origin, hint: 'write "*", a specifier like "==1.2", or a table such as {version = ">=1", extras = ["x"]}' });
  };
  let specifier = "";
  const extras: string[] = [];
  const markers: string[] = [];
  let url: string | undefined;
  let path: string | undefined;
  let editable = false;
  if (typeof spec === "string") specifier = spec === "*" ? "" : spec;
  else {
    const t = asTable(spec) ?? fail(`package "${name}" must be a string or a table`);
    if (typeof t.version === "string" && t.version !== "*") specifier = t.version;
    if (Array.isArray(t.extras)) extras.push(...t.extras.filter((e): e is string => typeof e === "string"));
    if (typeof t.markers === "string") markers.push(t.markers);
    // Pipenv writes these as `sys_platform = "== 'win32'"`: the operator is part of the value.
    for (const k of MARKER_KEYS) if (typeof t[k] === "string") markers.push(`${k} ${t[k]}`);
    for (const vcs of ["git", "hg", "svn", "bzr"]) {
      if (typeof t[vcs] === "string") url = `${vcs}+${(t[vcs] as string).replace(new RegExp(`^${vcs}\\+`), "")}${typeof t.ref === "string" ? `@${t.ref}` : ""}`;
    }
    if (typeof t.file === "string") url = t.file;
    if (typeof t.path === "string") path = t.path;
    editable = t.editable === true;
  }
  const marker = markers.length ? markers.map((m) => (markers.length > 1 ? `(${m})` : m)).join(" and ") : undefined;
  try {
    if (path) {
      const m = marker ? parseRequirement(`x; ${marker}`).marker : undefined;
      return { name, normalizedName: normalizeName(name), extras, specifier: "", path, raw: `${name} = ${JSON.stringify(spec)}`, origin, ...(editable ? { editable } : {}), ...(m ? { marker: m } : {}) };
    }
    const text = `${name}${extras.length ? `[${extras.join(",")}]` : ""}${url ? ` @ ${url}` : specifier}${marker ? `${url ? " " : ""}; ${marker}` : ""}`;
    const r = parseRequirement(text, origin);
    return editable ? { ...r, editable } : r;
  } catch (e) {
    if (e instanceof Pep508Error) return fail(`cannot read package "${name}": ${e.message}`);
    throw e;
  }
}

export function readPipfile(data: Table, text: string, file = "Pipfile"): PipfileFacts {
  const at = (table: string, key?: string) => {
    const line = tomlLine(text, table, key);
    return line ? `${file}:${line}` : `${file} [${table}]`;
  };
  const facts: PipfileFacts = { sources: [], packages: [], categories: {} };
  const sources = Array.isArray(data.source) ? data.source : [];
  sources.forEach((s, i) => {
    const t = asTable(s) ?? {};
    if (typeof t.url !== "string") {
      throw new DhtError(ExitCode.usage, `${file}: [[source]] #${i + 1} has no url`, { subject: `${file} [[source]]`, hint: 'add url = "https://pypi.org/simple"' });
    }
    const line = text.split(/\r?\n/).findIndex((l) => l.includes(t.url as string));
    const origin = line >= 0 ? `${file}:${line + 1}` : at("source", "url");
    facts.sources.push({ url: t.url, verifySsl: t.verify_ssl !== false, origin, ...(typeof t.name === "string" ? { name: t.name } : {}) });
  });
  const requires = asTable(data.requires);
  if (typeof requires?.python_full_version === "string") facts.requiresPython = `==${requires.python_full_version}`;
  else if (typeof requires?.python_version === "string") facts.requiresPython = `==${requires.python_version}.*`;
  for (const [category, body] of Object.entries(data)) {
    if (["source", "requires", "scripts", "pipenv"].includes(category)) continue;
    const t = asTable(body);
    if (!t) continue;
    const reqs = Object.entries(t).map(([name, spec]) => entry(name, spec, at(category, name)));
    if (category === "packages") facts.packages = reqs;
    else facts.categories[category === "dev-packages" ? "dev" : category] = reqs;
  }
  return facts;
}
