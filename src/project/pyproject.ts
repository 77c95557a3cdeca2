/**
 * What pyproject.toml declares, whichever tool wrote it:
 *
 *   PEP 621   [project] dependencies / optional-dependencies / requires-python
 *             (+ setuptools' [tool.setuptools.dynamic] dependencies = {file = [...]}, and
 *             hatch-requirements-txt's [tool.hatch.metadata.hooks.requirements_txt])
 *   PEP 735   [dependency-groups], with {include-group = "..."} followed (cycles are errors)
 *   Poetry    [tool.poetry.dependencies], .dev-dependencies, .group.<g>.dependencies, .extras
 *             (^ and ~ constraints converted to PEP 440; python/platform become markers)
 *   Hatch     [tool.hatch.envs.<env>] dependencies + extra-dependencies (template inheritance)
 *   PDM       [tool.pdm.dev-dependencies] (older PDM; newer uses PEP 735)
 *   Flit      [tool.flit.metadata] requires / requires-extra (flit < 3.2; newer uses PEP 621)
 *
 * Pure: takes the parsed table and its text (for line numbers in origins and errors).
 */
import { DhtError, ExitCode } from "../errors.ts";
import { poetryBranchesToPep440, poetryToPep440 } from "./python-version.ts";
import { normalizeName, parseRequirement, Pep508Error, type Requirement } from "./pep508.ts";

export interface PyprojectFacts {
  name?: string;
  requiresPython?: string;
  /** Python minors the trove classifiers name ("3.12" from "Programming Language :: Python :: 3.12"). */
  pythonClassifiers?: string[];
  hasProjectTable: boolean;
  buildBackend?: string;
  buildRequires: string[];
  hasBuildSystem: boolean;
  /** Tools whose sections were found: "pep621", "poetry", "hatch", "pdm", "flit", "setuptools", "uv". */
  tools: string[];
  dependencies: Requirement[];
  optional: Record<string, Requirement[]>;
  groups: Record<string, Requirement[]>;
  /** Which tool defines each group (`uv sync --group` knows only "dependency-groups" and "uv" ones). */
  groupSources: Record<string, GroupSource>;
  /** Requirement files named by setuptools' dynamic metadata (relative to the project root). */
  dynamicRequirementFiles: string[];
  /** [project] dynamic lists "dependencies": the build backend computes them. */
  dynamicDependencies: boolean;
  /** Extras read from files by setuptools' dynamic metadata: extra → files (relative to the project root). */
  dynamicOptionalFiles: Record<string, string[]>;
  /** Package indexes the tool's own config declares ([[tool.poetry.source]], [[tool.pdm.source]]). */
  indexes: ToolIndex[];
  /** Poetry `package-mode = false` / uv `package = false`: the project itself is not installed. */
  packageMode?: boolean;
  warnings: string[];
}

/** The tool whose table defines a dependency group. */
export type GroupSource = "dependency-groups" | "uv" | "poetry" | "hatch" | "pdm" | "pipenv" | "setup.py";

/** A package index declared in a tool's own section. */
export interface ToolIndex {
  name?: string;
  url: string;
  /** primary: replaces PyPI; extra: searched too; explicit: only for packages pinned to it; find-links: a page/dir of files. */
  role: "primary" | "extra" | "explicit" | "find-links";
  verifySsl: boolean;
  origin: string;
}

type Table = Record<string, unknown>;
const asTable = (v: unknown): Table | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : undefined);

/** 1-based line of `key` inside `[table]` (dotted header), for origins; falls back to the header line. */
export function tomlLine(text: string, table: string, key?: string): number | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  let current = "";
  let headerLine: number | undefined;
  const norm = (s: string) => s.replace(/\s+/g, "").replace(/["']/g, "");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      current = norm(header[1]!);
      if (current === norm(table)) headerLine ??= i + 1;
      continue;
    }
    if (key === undefined) continue;
    const k = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (current === norm(table) && new RegExp(`^["']?${k}["']?\\s*=`).test(line)) return i + 1;
    // dotted keys written at the parent level: `[project]\noptional-dependencies.dev = [...]`
  }
  return headerLine;
}

class Origins {
  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {}
  /** The line where a value (e.g. a URL) is written, for array-of-table entries. */
  atValue(table: string, value: string): string {
    const idx = this.text.split(/\r\n|\r|\n/).findIndex((l) => l.includes(value));
    return idx >= 0 ? `${this.file}:${idx + 1}` : this.at(table);
  }
  at(table: string, key?: string): string {
    const line = tomlLine(this.text, table, key);
    return line ? `${this.file}:${line}` : `${this.file} [${table}]${key ? ` ${key}` : ""}`;
  }
}

function req(text: string, origin: string): Requirement {
  try {
    return parseRequirement(text, origin);
  } catch (e) {
    if (e instanceof Pep508Error) {
      throw new DhtError(ExitCode.usage, `${origin}: invalid requirement "${text}": ${e.message}`, {
        subject: origin,
        hint: 'write it as a PEP 508 requirement, e.g. "requests>=2.31" or "pkg[extra]; python_version < \\"3.11\\""',
      });
    }
    throw e;
  }
}

function stringList(v: unknown, origin: string, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new DhtError(ExitCode.usage, `${origin}: ${what} must be a list of strings`, { subject: origin, hint: `write ${what} = ["pkg>=1.0", ...]` });
  }
  return v as string[];
}

// --------------------------------------------------------------------------------------
// PEP 735 dependency groups

/** Resolve [dependency-groups], following {include-group = "..."}; group names are normalised. */
export function resolveDependencyGroups(groups: Table, o: { at: (key?: string) => string }): Record<string, Requirement[]> {
  const byNorm = new Map<string, { name: string; items: unknown }>();
  for (const [name, items] of Object.entries(groups)) {
    const n = normalizeName(name);
    if (byNorm.has(n)) {
      throw new DhtError(ExitCode.usage, `dependency group "${name}" is defined twice (as "${byNorm.get(n)!.name}" too; names are compared normalised)`, { subject: o.at(name), hint: "merge the two groups" });
    }
    byNorm.set(n, { name, items });
  }
  const resolved = new Map<string, Requirement[]>();
  const visit = (n: string, chain: string[]): Requirement[] => {
    const done = resolved.get(n);
    if (done) return done;
    const g = byNorm.get(n)!;
    if (chain.includes(n)) {
      throw new DhtError(ExitCode.usage, `dependency groups include each other in a cycle: ${[...chain, n].map((c) => byNorm.get(c)?.name ?? c).join(" -> ")}`, {
        subject: o.at(g.name),
        hint: "remove one of the include-group entries",
      });
    }
    if (!Array.isArray(g.items)) {
      throw new DhtError(ExitCode.usage, `dependency group "${g.name}" must be a list`, { subject: o.at(g.name), hint: `${g.name} = ["pytest>=8", {include-group = "lint"}]` });
    }
    const out: Requirement[] = [];
    for (const item of g.items) {
      if (typeof item === "string") out.push(req(item, o.at(g.name)));
      else if (asTable(item) && typeof (item as Table)["include-group"] === "string") {
        const target = normalizeName((item as Table)["include-group"] as string);
        if (!byNorm.has(target)) {
          throw new DhtError(ExitCode.usage, `dependency group "${g.name}" includes unknown group "${(item as Table)["include-group"]}"`, {
            subject: o.at(g.name),
            hint: `defined groups: ${[...byNorm.values()].map((x) => x.name).join(", ")}`,
          });
        }
        out.push(...visit(target, [...chain, n]));
      } else {
        throw new DhtError(ExitCode.usage, `dependency group "${g.name}" has an entry that is neither a requirement string nor {include-group = "..."}`, {
          subject: o.at(g.name),
          hint: "see PEP 735",
        });
      }
    }
    resolved.set(n, out);
    return out;
  };
  const result: Record<string, Requirement[]> = {};
  for (const [n, g] of byNorm) result[g.name] = visit(n, []);
  return result;
}

// --------------------------------------------------------------------------------------
// Poetry

/** Poetry version constraint → PEP 440 specifier ("" for any version). */
export function poetryConstraintToPep440(constraint: string, origin: string): string {
  const c = constraint.trim();
  if (c === "" || c === "*") return "";
  const converted = poetryToPep440(c);
  if (converted !== undefined) return converted;
  // Pre-releases, 4-part versions, already-PEP 440 specifier sets ("==1.0rc1", ">=1.0.0.post1").
  const asPep440 = c.replace(/\s*,\s*/g, ",").replace(/\s+(?=[<>=!~])/g, ",");
  const caret = /^\^(\d+(?:\.\d+)*)(.*)$/.exec(c);
  const tilde = /^~(?!=)(\d+(?:\.\d+)*)(.*)$/.exec(c);
  try {
    if (caret) {
      const parts = caret[1]!.split(".").map(Number);
      const first = parts.findIndex((p) => p !== 0);
      const idx = first < 0 ? parts.length - 1 : first;
      const upper = parts.slice(0, idx + 1);
      upper[idx]! += 1;
      return parseRequirement(`x>=${caret[1]}${caret[2]},<${upper.join(".")}`).specifier;
    }
    if (tilde) {
      const parts = tilde[1]!.split(".").map(Number);
      const idx = parts.length === 1 ? 0 : 1;
      const upper = parts.slice(0, idx + 1);
      upper[idx]! += 1;
      return parseRequirement(`x>=${tilde[1]}${tilde[2]},<${upper.join(".")}`).specifier;
    }
    if (/^\d/.test(asPep440)) return parseRequirement(`x==${asPep440}`).specifier;
    return parseRequirement(`x${asPep440}`).specifier;
  } catch {
    throw new DhtError(ExitCode.usage, `${origin}: cannot read the Poetry version constraint "${constraint}"`, {
      subject: origin,
      hint: 'use a Poetry constraint such as "^1.2", "~1.2.3", ">=1.2,<2.0" or "1.2.*"',
    });
  }
}

/** A PEP 440 python specifier set as a marker: ">=3.8,<4.0" → python_version >= "3.8" and python_version < "4.0". */
export function pythonSpecToMarker(spec: string): string {
  return spec
    .split(",")
    .filter(Boolean)
    .map((clause) => {
      const m = /^(===|==|!=|<=|>=|~=|<|>)(.+)$/.exec(clause)!;
      const [op, ver] = [m[1]!, m[2]!];
      if (ver.endsWith(".*")) return `python_version ${op} "${ver.slice(0, -2)}"`;
      const field = ver.split(".").length > 2 ? "python_full_version" : "python_version";
      return `${field} ${op} "${ver}"`;
    })
    .join(" and ");
}

function poetryDependency(name: string, spec: unknown, origin: string): Requirement {
  const markers: string[] = [];
  let extras: string[] = [];
  let specifier = "";
  let url: string | undefined;
  let path: string | undefined;
  let editable = false;
  if (typeof spec === "string") specifier = poetryConstraintToPep440(spec, origin);
  else {
    const t = asTable(spec);
    if (!t) throw new DhtError(ExitCode.usage, `${origin}: dependency "${name}" must be a version string or a table`, { subject: origin });
    if (typeof t.version === "string") specifier = poetryConstraintToPep440(t.version, origin);
    if (Array.isArray(t.extras)) extras = t.extras.filter((e): e is string => typeof e === "string");
    if (typeof t.python === "string") {
      // "~2.7 || ^3.4" is a union: each branch becomes a marker, joined with "or".
      const branches = (t.python.includes("||") ? poetryBranchesToPep440(t.python) : undefined) ?? [poetryConstraintToPep440(t.python, origin)];
      const parts = branches.filter(Boolean).map(pythonSpecToMarker);
      if (parts.length === 1) markers.push(parts[0]!);
      else if (parts.length > 1) markers.push(parts.map((m) => (m.includes(" and ") ? `(${m})` : m)).join(" or "));
    }
    if (typeof t.platform === "string") markers.push(`sys_platform == "${t.platform}"`);
    if (typeof t.markers === "string") markers.push(t.markers);
    if (typeof t.git === "string") {
      const ref = [t.rev, t.tag, t.branch].find((x) => typeof x === "string") as string | undefined;
      url = `git+${t.git}${ref ? `@${ref}` : ""}${typeof t.subdirectory === "string" ? `#subdirectory=${t.subdirectory}` : ""}`;
    }
    if (typeof t.url === "string") url = t.url;
    if (typeof t.path === "string") path = t.path;
    if (t.develop === true) editable = true;
  }
  const marker = markers.length > 1 ? markers.map((m) => `(${m})`).join(" and ") : markers[0];
  const text = `${name}${extras.length ? `[${extras.join(",")}]` : ""}${url ? ` @ ${url}` : specifier}${marker ? `${url ? " " : ""}; ${marker}` : ""}`;
  if (path) {
    return { name, normalizedName: normalizeName(name), extras, specifier: "", path, ...(editable ? { editable } : {}), raw: text, origin, ...(marker ? { marker: req(`x; ${marker}`, origin).marker } : {}) };
  }
  const r = req(text, origin);
  return editable ? { ...r, editable } : r;
}

/** One Poetry dependency table; `optional` ones are installed only through [tool.poetry.extras]. */
function poetryTable(deps: Table | undefined, o: Origins, table: string): Array<{ req: Requirement; optional: boolean }> {
  const out: Array<{ req: Requirement; optional: boolean }> = [];
  for (const [name, spec] of Object.entries(deps ?? {})) {
    if (name.toLowerCase() === "python") continue;
    const origin = o.at(table, name);
    // A list is Poetry's "multiple constraints" form: one entry per python/platform.
    for (const s of Array.isArray(spec) ? spec : [spec]) {
      out.push({ req: poetryDependency(name, s, origin), optional: asTable(s)?.optional === true });
    }
  }
  return out;
}

// --------------------------------------------------------------------------------------

/** Read everything dependency-related from a parsed pyproject.toml. */
export function readPyprojectTable(data: Table, text: string, file = "pyproject.toml"): PyprojectFacts {
  const o = new Origins(file, text);
  const facts: PyprojectFacts = {
    hasProjectTable: false,
    buildRequires: [],
    hasBuildSystem: false,
    tools: [],
    dependencies: [],
    optional: {},
    groups: {},
    groupSources: {},
    dynamicDependencies: false,
    dynamicRequirementFiles: [],
    dynamicOptionalFiles: {},
    indexes: [],
    warnings: [],
  };
  const tool = asTable(data.tool) ?? {};

  const build = asTable(data["build-system"]);
  if (build) {
    facts.hasBuildSystem = true;
    if (typeof build["build-backend"] === "string") facts.buildBackend = build["build-backend"];
    facts.buildRequires = stringList(build.requires, o.at("build-system", "requires"), "build-system.requires");
  }

  const project = asTable(data.project);
  if (project) {
    facts.hasProjectTable = true;
    facts.tools.push("pep621");
    if (typeof project.name === "string") facts.name = project.name;
    if (typeof project["requires-python"] === "string") facts.requiresPython = project["requires-python"];
    const minors = pythonMinorsOfClassifiers(project.classifiers);
    if (minors.length) facts.pythonClassifiers = minors;
    facts.dependencies = stringList(project.dependencies, o.at("project", "dependencies"), "project.dependencies").map((d) => req(d, o.at("project", "dependencies")));
    const opt = asTable(project["optional-dependencies"]) ?? {};
    for (const [extra, list] of Object.entries(opt)) {
      const origin = o.at("project.optional-dependencies", extra);
      facts.optional[extra] = stringList(list, origin, `optional-dependencies.${extra}`).map((d) => req(d, origin));
    }
    const dynamic = Array.isArray(project.dynamic) ? (project.dynamic as unknown[]) : [];
    facts.dynamicDependencies = dynamic.includes("dependencies");
    const stDynamic = asTable(asTable(tool.setuptools)?.dynamic);
    if (dynamic.includes("dependencies") && stDynamic) {
      const files = asTable(stDynamic.dependencies)?.file;
      facts.dynamicRequirementFiles.push(...(Array.isArray(files) ? files : typeof files === "string" ? [files] : []).filter((f): f is string => typeof f === "string"));
    }
    // hatch-requirements-txt: [tool.hatch.metadata.hooks.requirements_txt] files = [...]
    // (older `filename`; requirements.txt by default) and optional-dependencies = {extra = [files]}.
    const reqTxtHook = asTable(asTable(asTable(asTable(tool.hatch)?.metadata)?.hooks)?.["requirements_txt"]);
    if (reqTxtHook && dynamic.includes("dependencies")) {
      const files = Array.isArray(reqTxtHook.files) ? reqTxtHook.files : typeof reqTxtHook.filename === "string" ? [reqTxtHook.filename] : ["requirements.txt"];
      facts.dynamicRequirementFiles.push(...files.filter((f): f is string => typeof f === "string"));
    }
    if (reqTxtHook && dynamic.includes("optional-dependencies")) {
      for (const [extra, files] of Object.entries(asTable(reqTxtHook["optional-dependencies"]) ?? {})) {
        const list = (Array.isArray(files) ? files : [files]).filter((x): x is string => typeof x === "string");
        if (list.length) facts.dynamicOptionalFiles[extra] = list;
      }
    }
    if (dynamic.includes("optional-dependencies") && stDynamic) {
      // Each extra's files hold that extra's requirements, not the main ones.
      for (const [extra, spec] of Object.entries(asTable(stDynamic["optional-dependencies"]) ?? {})) {
        const files = asTable(spec)?.file;
        const list = (Array.isArray(files) ? files : [files]).filter((x): x is string => typeof x === "string");
        if (list.length) facts.dynamicOptionalFiles[extra] = list;
      }
    }
  }

  const groups = asTable(data["dependency-groups"]);
  if (groups) Object.assign(facts.groups, resolveDependencyGroups(groups, { at: (k) => o.at("dependency-groups", k) }));
  // A group two tools define keeps the first source (PEP 735 first: uv knows it).
  const sourced = (group: string, source: GroupSource) => (facts.groupSources[group] ??= source);
  for (const g of Object.keys(facts.groups)) sourced(g, "dependency-groups");

  const poetry = asTable(tool.poetry);
  if (poetry) {
    facts.tools.push("poetry");
    if (!facts.name && typeof poetry.name === "string") facts.name = poetry.name;
    if (poetry["package-mode"] === false) facts.packageMode = false;
    const deps = asTable(poetry.dependencies);
    const main = poetryTable(deps, o, "tool.poetry.dependencies");
    if (!facts.requiresPython && typeof deps?.python === "string") facts.requiresPython = poetryConstraintToPep440(deps.python, o.at("tool.poetry.dependencies", "python"));
    if (!facts.pythonClassifiers) {
      const minors = pythonMinorsOfClassifiers(poetry.classifiers);
      if (minors.length) facts.pythonClassifiers = minors;
    }
    // PEP 621 [project] wins for the main list when both exist (Poetry 2 reads [project] first).
    if (!project?.dependencies) facts.dependencies.push(...main.filter((d) => !d.optional).map((d) => d.req));
    for (const [extra, names] of Object.entries(asTable(poetry.extras) ?? {})) {
      const wanted = new Set(stringList(names, o.at("tool.poetry.extras", extra), `tool.poetry.extras.${extra}`).map(normalizeName));
      facts.optional[extra] ??= main.filter((d) => wanted.has(d.req.normalizedName)).map((d) => d.req);
    }
    const dev = asTable(poetry["dev-dependencies"]);
    if (dev) {
      facts.groups.dev = [...(facts.groups.dev ?? []), ...poetryTable(dev, o, "tool.poetry.dev-dependencies").map((d) => d.req)];
      sourced("dev", "poetry");
    }
    for (const [group, body] of Object.entries(asTable(poetry.group) ?? {})) {
      const d = asTable(asTable(body)?.dependencies);
      facts.groups[group] = [...(facts.groups[group] ?? []), ...poetryTable(d, o, `tool.poetry.group.${group}.dependencies`).map((x) => x.req)];
      sourced(group, "poetry");
    }
  }

  const hatch = asTable(tool.hatch);
  if (hatch) {
    facts.tools.push("hatch");
    for (const [name, reqs] of Object.entries(hatchEnvGroups(asTable(hatch.envs) ?? {}, facts.optional, o, "tool.hatch.envs"))) {
      const key = facts.groups[name] ? `hatch:${name}` : name;
      facts.groups[key] = reqs;
      sourced(key, "hatch");
    }
  }

  facts.indexes.push(...poetrySources(poetry, o), ...pdmSources(asTable(tool.pdm), o));

  const pdm = asTable(tool.pdm);
  if (pdm) {
    facts.tools.push("pdm");
    for (const [group, list] of Object.entries(asTable(pdm["dev-dependencies"]) ?? {})) {
      const origin = o.at("tool.pdm.dev-dependencies", group);
      const items = stringList(list, origin, `tool.pdm.dev-dependencies.${group}`).map((d) => pdmDevItem(d, origin));
      facts.groups[group] = [...(facts.groups[group] ?? []), ...items];
      sourced(group, "pdm");
    }
  }

  const flit = asTable(tool.flit);
  const flitMeta = asTable(flit?.metadata);
  if (flit) facts.tools.push("flit");
  if (flitMeta) {
    if (!facts.name) facts.name = (flitMeta["dist-name"] ?? flitMeta.module) as string | undefined;
    if (!facts.requiresPython && typeof flitMeta["requires-python"] === "string") facts.requiresPython = flitMeta["requires-python"];
    facts.dependencies.push(...stringList(flitMeta.requires, o.at("tool.flit.metadata", "requires"), "tool.flit.metadata.requires").map((d) => req(d, o.at("tool.flit.metadata", "requires"))));
    for (const [extra, list] of Object.entries(asTable(flitMeta["requires-extra"]) ?? {})) {
      const origin = o.at("tool.flit.metadata.requires-extra", extra);
      facts.optional[extra] = stringList(list, origin, `requires-extra.${extra}`).map((d) => req(d, origin));
    }
  }
  if (asTable(tool.setuptools)) facts.tools.push("setuptools");
  const uv = asTable(tool.uv);
  if (uv) {
    facts.tools.push("uv");
    if (typeof uv.package === "boolean") facts.packageMode = uv.package;
    // Legacy uv dev-dependencies ([tool.uv] dev-dependencies = [...]) form the "dev" group.
    const dev = uv["dev-dependencies"];
    if (dev !== undefined) {
      const origin = o.at("tool.uv", "dev-dependencies");
      facts.groups.dev = [...(facts.groups.dev ?? []), ...stringList(dev, origin, "tool.uv.dev-dependencies").map((d) => req(d, origin))];
      sourced("dev", "uv");
    }
  }
  return facts;
}

/**
 * Hatch environments as groups: each environment's dependencies + extra-dependencies, plus
 * the project extras it installs (`features`), after those of its template ("default" unless
 * set; its own name or `detached = true` means none). Environments that add nothing are left out.
 */
function hatchEnvGroups(envs: Table, optional: Record<string, Requirement[]>, o: Origins, prefix: string): Record<string, Requirement[]> {
  const envDeps = (name: string, seen: string[]): Requirement[] => {
    const env = asTable(envs[name]) ?? {};
    if (seen.includes(name)) return [];
    const table = `${prefix}.${name}`;
    const origin = o.at(table, "dependencies");
    const own = [
      ...stringList(env.dependencies, origin, `${table}.dependencies`).map((d) => req(d, origin)),
      ...stringList(env["extra-dependencies"], o.at(table, "extra-dependencies"), `${table}.extra-dependencies`).map((d) => req(d, o.at(table, "extra-dependencies"))),
    ];
    const features = env.detached === true || env["skip-install"] === true ? [] : stringList(env.features, o.at(table, "features"), `${table}.features`);
    const fromFeatures = features.flatMap((f) => optional[f] ?? optional[normalizeName(f)] ?? []);
    const template = typeof env.template === "string" ? env.template : name === "default" ? undefined : "default";
    const inherited = env.detached === true || !template || !envs[template] ? [] : envDeps(template, [...seen, name]);
    return [...inherited, ...fromFeatures, ...own];
  };
  const out: Record<string, Requirement[]> = {};
  for (const name of Object.keys(envs)) {
    const reqs = envDeps(name, []);
    if (reqs.length) out[name] = reqs;
  }
  return out;
}

/** hatch.toml beside pyproject.toml: its [envs.<name>] tables, read like [tool.hatch.envs]. */
export function readHatchToml(data: Table, text: string, optional: Record<string, Requirement[]>, file = "hatch.toml"): Record<string, Requirement[]> {
  return hatchEnvGroups(asTable(data.envs) ?? {}, optional, new Origins(file, text), "envs");
}

/** PDM dev-dependency entries may be "-e path" or "-e file:///${PROJECT_ROOT}/sub#egg=name". */
function pdmDevItem(text: string, origin: string): Requirement {
  const m = /^-e\s+(.+)$/.exec(text.trim());
  if (!m) return req(text, origin);
  const target = m[1]!.replace(/\$\{PROJECT_ROOT\}/g, ".");
  const named = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*(.+)$/.exec(target);
  const location = named ? named[2]! : target;
  const egg = /#egg=([^&]+)/.exec(location)?.[1];
  const name = named?.[1] ?? egg ?? "";
  const isFile = /^file:/.test(location) || !/^[a-z+]+:\/\//i.test(location);
  return {
    name,
    normalizedName: normalizeName(name),
    extras: [],
    specifier: "",
    editable: true,
    raw: text,
    origin,
    ...(isFile ? { path: location.replace(/^file:\/\/\/?/, "").replace(/#.*$/, "") || "." } : { url: location }),
  };
}

/**
 * [[tool.poetry.source]]: `priority` primary (the default) / supplemental / explicit, or
 * the older `default = true` / `secondary = true`.
 */
function poetrySources(poetry: Table | undefined, o: Origins): ToolIndex[] {
  const list = Array.isArray(poetry?.source) ? (poetry!.source as unknown[]) : [];
  return list.flatMap((raw) => {
    const t = asTable(raw);
    if (!t || typeof t.url !== "string") return [];
    const priority = typeof t.priority === "string" ? t.priority : t.default === true ? "primary" : t.secondary === true ? "supplemental" : "primary";
    const role: ToolIndex["role"] = priority === "explicit" ? "explicit" : priority === "primary" || priority === "default" ? "primary" : "extra";
    return [{ ...(typeof t.name === "string" ? { name: t.name } : {}), url: t.url, role, verifySsl: true, origin: o.atValue("tool.poetry.source", t.url) }];
  });
}

/** [[tool.pdm.source]]: name "pypi" replaces PyPI; `type = "find_links"`; `verify_ssl = false`. */
function pdmSources(pdm: Table | undefined, o: Origins): ToolIndex[] {
  const list = Array.isArray(pdm?.source) ? (pdm!.source as unknown[]) : [];
  return list.flatMap((raw) => {
    const t = asTable(raw);
    if (!t || typeof t.url !== "string") return [];
    const role: ToolIndex["role"] = t.type === "find_links" ? "find-links" : t.name === "pypi" ? "primary" : "extra";
    return [{ ...(typeof t.name === "string" ? { name: t.name } : {}), url: t.url, role, verifySsl: t.verify_ssl !== false, origin: o.atValue("tool.pdm.source", t.url) }];
  });
}

/**
 * The Python minors a project's trove classifiers claim to support, oldest first
 * ("Programming Language :: Python :: 3.12" → "3.12"; "3", "3 :: Only" and implementation
 * classifiers are not versions). Accepts a list (pyproject) or setup.cfg's one-per-line text.
 */
export function pythonMinorsOfClassifiers(classifiers: unknown): string[] {
  const items = Array.isArray(classifiers) ? classifiers : typeof classifiers === "string" ? classifiers.split("\n") : [];
  const minors = new Set<string>();
  for (const item of items) {
    const m = typeof item === "string" ? /^\s*Programming Language\s*::\s*Python\s*::\s*(\d+)\.(\d+)\s*$/.exec(item) : null;
    if (m) minors.add(`${m[1]}.${m[2]}`);
  }
  return [...minors].sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]) || Number(a.split(".")[0]) - Number(b.split(".")[0]));
}
