/**
 * Installing exactly what poetry.lock, pdm.lock and Pipfile.lock pin: each lock read into one
 * dependency graph (name, version, sha256 of every file, dependencies with their markers and
 * extras, local/VCS sources), walked from the requirements the setup selects (the main
 * dependencies, the chosen groups and extras) with the markers evaluated for the chosen
 * Python on this platform, and written as a requirements file of `name==version --hash=…`
 * lines that the installer takes with --no-deps (`uv pip sync` / `pip install --no-deps`):
 * nothing is resolved again, every file is checked against the lock's hash.
 *
 * Also whether a lock still matches its project: Poetry's and PDM's `content-hash` and
 * Pipfile.lock's `_meta.hash` recomputed the way those tools compute them (a sha256 of
 * Python's `json.dumps(..., sort_keys=True)` of the relevant tables; the algorithms were
 * checked against locks the real tools wrote: poetry 2.5, pdm 2.29, pipenv 2026.10).
 *
 * Pure: data in, data out; src/flows/setup/plan.ts plans with it.
 */
import { parseRequirement, evaluateMarker, normalizeName, type MarkerEnvironment } from "./pep508.ts";
import { poetryConstraintToPep440, pythonSpecToMarker } from "./pyproject.ts";
import { parseSpecifiers, specifierMatches } from "../python/request.ts";
import { parseVersion } from "../python/version.ts";

export type GraphLockKind = "poetry.lock" | "pdm.lock" | "Pipfile.lock";

export interface GraphDep {
  /** Normalized name. */
  name: string;
  extras: string[];
  marker?: string;
  /** PEP 440 specifier ("" = any). */
  specifier?: string;
  /** Poetry: only through one of the parent's extras. */
  optional?: boolean;
}

export interface GraphNode {
  name: string;
  normalizedName: string;
  version?: string;
  /** "sha256:<hex>" of every file the lock lists (wheels and sdist): the installer accepts any. */
  hashes: string[];
  deps: GraphDep[];
  /** Poetry: extra name → normalized names of the optional dependencies it turns on. */
  extras?: Record<string, string[]>;
  /** PDM: this entry stands for `name[extras]` (its deps add what those extras need). */
  forExtras?: string[];
  /** Not from an index: a directory (editable or not), a file, a VCS checkout, an archive URL. */
  local?: { kind: "directory" | "file" | "git" | "url"; ref: string; editable?: boolean; rev?: string; subdirectory?: string };
  /** Pipfile.lock: the categories that hold it ("default", "develop", …) and its marker. */
  categories?: string[];
  marker?: string;
}

export interface LockGraph {
  kind: GraphLockKind;
  nodes: GraphNode[];
}

/** A graph exportLock walks: uv.lock's too (only walked, by src/flows/setup/fit-pins.ts: uv itself installs from uv.lock). */
export interface WalkableGraph {
  kind: GraphLockKind | "uv.lock";
  nodes: GraphNode[];
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

function hashesOf(files: unknown): string[] {
  if (!Array.isArray(files)) return [];
  return files.map((f) => (isTable(f) ? str(f.hash) : undefined)).filter((h): h is string => Boolean(h && /^sha(256|384|512):[0-9a-f]+$/i.test(h)));
}

function poetrySpecifier(version: unknown): string | undefined {
  if (typeof version !== "string") return undefined;
  try {
    return poetryConstraintToPep440(version, "poetry.lock");
  } catch {
    return undefined;
  }
}

/** One `[package.dependencies]` value of poetry.lock: a constraint, a table, or a list of tables. */
function poetryDeps(name: string, value: unknown): GraphDep[] {
  const n = normalizeName(name);
  const one = (v: unknown): GraphDep => {
    if (!isTable(v)) return { name: n, extras: [], specifier: poetrySpecifier(v) };
    const markers = [str(v.markers)].filter(Boolean) as string[];
    if (typeof v.python === "string" && v.python !== "*") {
      const spec = poetrySpecifier(v.python);
      if (spec) markers.push(pythonSpecToMarker(spec));
    }
    return {
      name: n,
      extras: Array.isArray(v.extras) ? v.extras.filter((e): e is string => typeof e === "string") : [],
      ...(markers.length ? { marker: markers.map((m) => `(${m})`).join(" and ") } : {}),
      specifier: poetrySpecifier(v.version),
      ...(v.optional === true ? { optional: true } : {}),
    };
  };
  return Array.isArray(value) ? value.map(one) : [one(value)];
}

/** `"PySocks (>=1.5.6,!=1.5.7)"`, `"foo[bar] (>=1) ; python_version < '3.8'"` → the normalized name. */
const nameOfListed = (text: string) => normalizeName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(text)?.[1] ?? text);

function poetryGraph(data: Table): LockGraph {
  const nodes: GraphNode[] = [];
  for (const p of Array.isArray(data.package) ? (data.package as unknown[]) : []) {
    if (!isTable(p) || typeof p.name !== "string") continue;
    const deps = isTable(p.dependencies) ? Object.entries(p.dependencies).flatMap(([n, v]) => poetryDeps(n, v)) : [];
    const extras = isTable(p.extras)
      ? Object.fromEntries(Object.entries(p.extras).map(([e, list]) => [normalizeName(e), Array.isArray(list) ? list.filter((x): x is string => typeof x === "string").map(nameOfListed) : []]))
      : undefined;
    const source = isTable(p.source) ? p.source : undefined;
    let local: GraphNode["local"];
    const type = str(source?.type);
    if (type === "directory" || type === "file") local = { kind: type, ref: str(source!.url) ?? "", ...(p.develop === true ? { editable: true } : {}) };
    else if (type === "git") local = { kind: "git", ref: str(source!.url) ?? "", rev: str(source!.resolved_reference) ?? str(source!.reference), ...(str(source!.subdirectory) ? { subdirectory: str(source!.subdirectory) } : {}) };
    else if (type === "url") local = { kind: "url", ref: str(source!.url) ?? "" };
    nodes.push({ name: p.name, normalizedName: normalizeName(p.name), ...(typeof p.version === "string" ? { version: p.version } : {}), hashes: hashesOf(p.files), deps, ...(extras ? { extras } : {}), ...(local ? { local } : {}) });
  }
  return { kind: "poetry.lock", nodes };
}

function pdmGraph(data: Table): LockGraph {
  const nodes: GraphNode[] = [];
  for (const p of Array.isArray(data.package) ? (data.package as unknown[]) : []) {
    if (!isTable(p) || typeof p.name !== "string") continue;
    const deps: GraphDep[] = [];
    for (const text of Array.isArray(p.dependencies) ? p.dependencies : []) {
      if (typeof text !== "string") continue;
      try {
        const r = parseRequirement(text);
        deps.push({ name: r.normalizedName, extras: r.extras.map(normalizeName), ...(r.marker ? { marker: r.marker } : {}), specifier: r.specifier });
      } catch {
        // A dependency line dhtl cannot read leaves that edge out; the install then reports what is missing.
      }
    }
    let local: GraphNode["local"];
    if (typeof p.path === "string") local = { kind: "directory", ref: p.path, ...(p.editable === true ? { editable: true } : {}) };
    else if (typeof p.git === "string") local = { kind: "git", ref: p.git, rev: str(p.revision) ?? str(p.ref), ...(str(p.subdirectory) ? { subdirectory: str(p.subdirectory) } : {}) };
    else if (typeof p.url === "string") local = { kind: "url", ref: p.url };
    const forExtras = Array.isArray(p.extras) ? p.extras.filter((e): e is string => typeof e === "string").map(normalizeName) : [];
    nodes.push({
      name: p.name,
      normalizedName: normalizeName(p.name),
      ...(typeof p.version === "string" ? { version: p.version } : {}),
      hashes: hashesOf(p.files),
      deps,
      ...(forExtras.length ? { forExtras } : {}),
      ...(local ? { local } : {}),
    });
  }
  return { kind: "pdm.lock", nodes };
}

function pipfileGraph(data: Table): LockGraph {
  const nodes: GraphNode[] = [];
  for (const [category, entries] of Object.entries(data)) {
    if (category === "_meta" || !isTable(entries)) continue;
    for (const [name, e] of Object.entries(entries)) {
      if (!isTable(e)) continue;
      const existing = nodes.find((n) => n.normalizedName === normalizeName(name) && n.version === str(e.version)?.replace(/^==/, ""));
      if (existing) {
        existing.categories!.push(category);
        continue;
      }
      let local: GraphNode["local"];
      if (typeof e.path === "string") local = { kind: "directory", ref: e.path, ...(e.editable === true ? { editable: true } : {}) };
      else if (typeof e.file === "string") local = { kind: "url", ref: e.file };
      else if (typeof e.git === "string") local = { kind: "git", ref: e.git, rev: str(e.ref), ...(str(e.subdirectory) ? { subdirectory: str(e.subdirectory) } : {}) };
      nodes.push({
        name,
        normalizedName: normalizeName(name),
        ...(typeof e.version === "string" ? { version: e.version.replace(/^==/, "") } : {}),
        hashes: Array.isArray(e.hashes) ? e.hashes.filter((h): h is string => typeof h === "string") : [],
        deps: [],
        categories: [category],
        ...(typeof e.markers === "string" && e.markers ? { marker: e.markers } : {}),
        ...(Array.isArray(e.extras) ? { forExtras: e.extras.filter((x): x is string => typeof x === "string") } : {}),
        ...(local ? { local } : {}),
      });
    }
  }
  return { kind: "Pipfile.lock", nodes };
}

/** One uv.lock dependency edge (`{ name, version?, marker?, extra? }`). */
function uvEdge(e: unknown): GraphDep | undefined {
  if (!isTable(e) || typeof e.name !== "string") return undefined;
  const extras = Array.isArray(e.extra) ? e.extra.filter((x): x is string => typeof x === "string").map(normalizeName) : [];
  // Two versions of one package (a fork by Python version or platform): the edge names its version.
  return { name: normalizeName(e.name), extras, ...(str(e.marker) ? { marker: str(e.marker) } : {}), ...(str(e.version) ? { specifier: `==${str(e.version)}` } : {}) };
}
const uvEdges = (list: unknown): GraphDep[] => (Array.isArray(list) ? list.map(uvEdge).filter((d): d is GraphDep => Boolean(d)) : []);

/**
 * uv.lock as a graph: each `[[package]]` with its `dependencies` and its
 * `[package.optional-dependencies]` (walked like Poetry's extras: optional edges turned on by
 * the extra). The project's own groups (`[package.dev-dependencies]`) are roots, see uvLockRoots.
 */
export function uvLockGraph(data: Table): WalkableGraph {
  const nodes: GraphNode[] = [];
  for (const p of Array.isArray(data.package) ? (data.package as unknown[]) : []) {
    if (!isTable(p) || typeof p.name !== "string") continue;
    const deps = uvEdges(p.dependencies);
    const extras: Record<string, string[]> = {};
    for (const [extra, list] of Object.entries(isTable(p["optional-dependencies"]) ? p["optional-dependencies"] : {})) {
      const edges = uvEdges(list);
      extras[normalizeName(extra)] = edges.map((d) => d.name);
      deps.push(...edges.map((d) => ({ ...d, optional: true })));
    }
    const source = isTable(p.source) ? p.source : {};
    const kind = Object.keys(source)[0];
    const ref = str(source[kind ?? ""]) ?? "";
    let local: GraphNode["local"];
    if (kind === "editable" || kind === "virtual" || kind === "directory") local = { kind: "directory", ref, ...(kind === "editable" ? { editable: true } : {}) };
    else if (kind === "path") local = { kind: "file", ref };
    else if (kind === "git") local = { kind: "git", ref };
    else if (kind === "url") local = { kind: "url", ref };
    const hashes = [...(isTable(p.sdist) && str(p.sdist.hash) ? [str(p.sdist.hash)!] : []), ...hashesOf(p.wheels)];
    nodes.push({ name: p.name, normalizedName: normalizeName(p.name), ...(typeof p.version === "string" ? { version: p.version } : {}), hashes, deps, ...(Object.keys(extras).length ? { extras } : {}), ...(local ? { local } : {}) });
  }
  return { kind: "uv.lock", nodes };
}

/**
 * Where a walk of uv.lock starts for a selection: the edges of the project's own package
 * (`name`, else the one at ".") — its dependencies, those of the chosen extras and of the
 * chosen groups (`[package.dev-dependencies]`), each with the selection item it belongs to as
 * its origin ("dependencies", "extra docs", "group dev"). Undefined when uv.lock has no such package.
 */
export function uvLockRoots(data: Table, name: string | undefined, sel: { extras: string[]; groups: string[] }): LockRoot[] | undefined {
  const packages = (Array.isArray(data.package) ? (data.package as unknown[]) : []).filter(isTable);
  const own = (name ? packages.find((p) => typeof p.name === "string" && normalizeName(p.name) === normalizeName(name)) : undefined)
    ?? packages.find((p) => isTable(p.source) && (p.source.editable === "." || p.source.virtual === "."));
  if (!own) return undefined;
  const root = (d: GraphDep, origin: string): LockRoot => ({ name: d.name, extras: d.extras, ...(d.marker ? { marker: d.marker } : {}), ...(d.specifier ? { specifier: d.specifier } : {}), origin });
  const table = (key: string) => (isTable(own[key]) ? (own[key] as Table) : {});
  const pick = (t: Table, wanted: string) => Object.entries(t).find(([k]) => normalizeName(k) === normalizeName(wanted))?.[1];
  return [
    ...uvEdges(own.dependencies).map((d) => root(d, "dependencies")),
    ...sel.extras.flatMap((e) => uvEdges(pick(table("optional-dependencies"), e)).map((d) => root(d, `extra ${e}`))),
    ...sel.groups.flatMap((g) => uvEdges(pick(table("dev-dependencies"), g)).map((d) => root(d, `group ${g}`))),
  ];
}

/** The dependency graph of a lock file's parsed data (TOML for poetry/pdm, JSON for Pipfile.lock). */
export function lockGraph(kind: GraphLockKind, data: Table): LockGraph {
  return kind === "poetry.lock" ? poetryGraph(data) : kind === "pdm.lock" ? pdmGraph(data) : pipfileGraph(data);
}

// ---------------------------------------------------------------------------------------
// Does the lock still match its project?

/**
 * Python's `json.dumps(value, sort_keys=True)` (ensure_ascii, default separators ", " and
 * ": " unless given): the bytes Poetry, PDM and pipenv hash.
 */
export function pythonJsonDumps(value: unknown, separators: [string, string] = [", ", ": "]): string {
  const [item, key] = separators;
  const s = (text: string) =>
    `"${text.replace(/[\\"\u0000-\u001f\u007f-\uffff]/g, (c) => {
      const map: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };
      return map[c] ?? (c === "\u007f" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    })}"`;
  const walk = (v: unknown): string => {
    if (v === null || v === undefined) return "null";
    if (typeof v === "string") return s(v);
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
    if (v instanceof Date) return s(v.toISOString());
    if (Array.isArray(v)) return `[${v.map(walk).join(item)}]`;
    const entries = Object.entries(v as Table).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${s(k)}${key}${walk(x)}`).join(item)}}`;
  };
  return walk(value);
}

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

/** Poetry's content-hash of a pyproject, for Poetry 1.x and 2.x (both are accepted). */
export function poetryContentHashes(pyproject: Table): string[] {
  const tool = (isTable(pyproject.tool) && isTable(pyproject.tool.poetry) ? pyproject.tool.poetry : {}) as Table;
  const legacy = ["dependencies", "source", "extras", "dev-dependencies"];
  const relevantKeys = [...legacy, "group"];
  // Poetry 1.x: [tool.poetry] only.
  const v1: Table = {};
  for (const k of relevantKeys) if (tool[k] !== undefined || legacy.includes(k)) v1[k] = tool[k] ?? null;
  // Poetry 2.x: [project] and [dependency-groups] too.
  const project = (isTable(pyproject.project) ? pyproject.project : {}) as Table;
  const groups = (isTable(pyproject["dependency-groups"]) ? pyproject["dependency-groups"] : {}) as Table;
  const relevantProject: Table = {};
  for (const k of ["requires-python", "dependencies", "optional-dependencies"]) if (project[k] !== undefined) relevantProject[k] = project[k];
  const hasProject = Object.keys(relevantProject).length > 0;
  const hasGroups = Object.keys(groups).length > 0;
  const poetry: Table = {};
  for (const k of relevantKeys) {
    if (tool[k] === undefined && (!legacy.includes(k) || hasProject || hasGroups)) continue;
    poetry[k] = tool[k] ?? null;
  }
  let v2: Table = {};
  if (hasProject) v2.project = relevantProject;
  if (hasGroups) v2["dependency-groups"] = groups;
  if (Object.keys(v2).length) v2.tool = { poetry };
  else v2 = poetry;
  return [...new Set([sha256(pythonJsonDumps(v2)), sha256(pythonJsonDumps(v1))])];
}

/** PDM's content_hash of a pyproject (current and older layouts of what it hashes). */
export function pdmContentHashes(pyproject: Table): string[] {
  const project = (isTable(pyproject.project) ? pyproject.project : {}) as Table;
  const pdm = (isTable(pyproject.tool) && isTable(pyproject.tool.pdm) ? pyproject.tool.pdm : {}) as Table;
  const rawDev = (isTable(pdm["dev-dependencies"]) ? pdm["dev-dependencies"] : {}) as Table;
  const merged: Record<string, unknown[]> = {};
  for (const source of [isTable(pyproject["dependency-groups"]) ? (pyproject["dependency-groups"] as Table) : {}, rawDev]) {
    for (const [g, deps] of Object.entries(source)) (merged[normalizeName(g)] ??= []).push(...(Array.isArray(deps) ? deps : []));
  }
  const base = {
    sources: pdm.source ?? [],
    dependencies: project.dependencies ?? [],
    "optional-dependencies": project["optional-dependencies"] ?? {},
    "requires-python": project["requires-python"] ?? "",
  };
  const out = new Set<string>();
  for (const dev of [merged, rawDev]) {
    out.add(sha256(pythonJsonDumps({ ...base, "dev-dependencies": dev, resolution: pdm.resolution ?? {} })));
    out.add(sha256(pythonJsonDumps({ ...base, "dev-dependencies": dev })));
  }
  return [...out];
}

/** pipenv's `_meta.hash.sha256` of a Pipfile. */
export function pipfileHash(pipfile: Table): string {
  const sections = new Set(["source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"]);
  const data: Table = {
    _meta: { sources: pipfile.source ?? [{ name: "pypi", url: "https://pypi.org/simple", verify_ssl: true }], requires: pipfile.requires ?? {} },
    default: pipfile.packages ?? {},
    develop: pipfile["dev-packages"] ?? {},
  };
  for (const [k, v] of Object.entries(pipfile)) if (!sections.has(k) && k !== "default" && k !== "develop") data[k] = v;
  return sha256(pythonJsonDumps(data, [",", ":"]));
}

export interface LockFreshness {
  /** false: the lock was made for other declarations; undefined: the lock records no hash. */
  fresh?: boolean;
  why: string;
}

/** Does the lock's recorded hash match the project file it was made from? */
export function lockFreshness(kind: GraphLockKind, lock: Table, project: Table | undefined, projectFile: string): LockFreshness {
  const meta = (isTable(lock.metadata) ? lock.metadata : isTable(lock._meta) ? lock._meta : {}) as Table;
  let recorded: string | undefined;
  let expected: string[] = [];
  if (kind === "poetry.lock") {
    recorded = str(meta["content-hash"]);
    if (project) expected = poetryContentHashes(project);
  } else if (kind === "pdm.lock") {
    const h = str(meta.content_hash);
    recorded = h?.startsWith("sha256:") ? h.slice("sha256:".length) : h;
    if (project) expected = pdmContentHashes(project);
  } else {
    recorded = isTable(meta.hash) ? str(meta.hash.sha256) : undefined;
    if (project) expected = [pipfileHash(project)];
  }
  if (!recorded) return { why: `${kind} records no content hash, so whether it matches ${projectFile} cannot be told` };
  if (!project) return { fresh: false, why: `${kind} was made from a ${projectFile} that is not there` };
  if (expected.includes(recorded.toLowerCase())) return { fresh: true, why: `${kind} matches ${projectFile} (content hash ${recorded.slice(0, 12)}…)` };
  return { fresh: false, why: `${kind} does not match ${projectFile}: its content hash is ${recorded.slice(0, 12)}…, ${projectFile} now hashes to ${expected[0]!.slice(0, 12)}… (it changed since the lock was made)` };
}

// ---------------------------------------------------------------------------------------
// Walking the graph from what the setup selects.

/** The marker variables of a CPython of `pythonVersion` on this platform (what pip would see there). */
export function markerEnvironment(pythonVersion: string, os: "linux" | "darwin" | "windows", arch: string): MarkerEnvironment {
  const [major = "3", minor = "0"] = pythonVersion.split(".");
  const machine = os === "windows" ? (arch === "aarch64" ? "ARM64" : "AMD64") : os === "darwin" && arch === "aarch64" ? "arm64" : arch;
  return {
    python_version: `${major}.${minor}`,
    python_full_version: pythonVersion,
    implementation_name: "cpython",
    implementation_version: pythonVersion,
    platform_python_implementation: "CPython",
    os_name: os === "windows" ? "nt" : "posix",
    sys_platform: os === "windows" ? "win32" : os === "darwin" ? "darwin" : "linux",
    platform_system: os === "windows" ? "Windows" : os === "darwin" ? "Darwin" : "Linux",
    platform_machine: machine,
    extra: "",
  };
}

/** A requirement the walk starts from (src/project/pep508.ts Requirement fits). */
export interface LockRoot {
  name: string;
  extras?: string[];
  marker?: string;
  specifier?: string;
  path?: string;
  url?: string;
  editable?: boolean;
  origin?: string;
}

export interface LockPin {
  name: string;
  version: string;
  hashes: string[];
  /** The first requirement that pulled it in ("pyproject.toml [tool.poetry.group.dev]", "requires by rich"). */
  via: string;
  /** The origin of the selected requirement it was reached from (itself or through its dependencies). */
  root?: string;
}

export interface LockExport {
  /** Index packages, exactly as locked. */
  pins: LockPin[];
  /** Local directories, files, VCS and URL sources: installer arguments (`-e /abs/dir`, `name @ git+…@rev`). */
  local: Array<{ name: string; args: string[] }>;
  /** Selected requirements (or their dependencies) the lock has no entry for: the lock is out of date. */
  missing: string[];
}

function matches(version: string | undefined, specifier: string | undefined): boolean {
  if (!specifier || !version) return true;
  const v = parseVersion(version);
  if (!v) return true;
  try {
    return parseSpecifiers(specifier).every((s) => specifierMatches(s, v));
  } catch {
    return true;
  }
}

const joinPath = (root: string, p: string) => (/^([A-Za-z]:)?[\\/]/.test(p) ? p : `${root.replace(/[\\/]+$/, "")}/${p.replace(/^\.\//, "")}`);

function localArgs(node: GraphNode, root: string): string[] {
  const l = node.local!;
  if (l.kind === "directory" || l.kind === "file") {
    const path = joinPath(root, l.ref.replace(/^file:\/\//, ""));
    return l.editable ? ["-e", path] : [path];
  }
  if (l.kind === "git") {
    const url = l.ref.startsWith("git+") ? l.ref : `git+${l.ref}`;
    return [`${node.name} @ ${url}${l.rev ? `@${l.rev}` : ""}${l.subdirectory ? `#subdirectory=${l.subdirectory}` : ""}`];
  }
  return [`${node.name} @ ${l.ref}`];
}

/**
 * Walk poetry.lock / pdm.lock from the selected requirements: each reached package once (with
 * the union of the extras asked of it), its dependencies followed where their markers hold
 * for `env`. Pipfile.lock has no edges: the entries of the selected categories whose markers
 * hold. `root` resolves relative local paths.
 */
export function exportLock(graph: WalkableGraph, roots: LockRoot[], env: MarkerEnvironment, root: string, categories: string[] = ["default"]): LockExport {
  const out: LockExport = { pins: [], local: [], missing: [] };
  const holds = (marker: string | undefined) => {
    if (!marker) return true;
    try {
      return evaluateMarker(marker, env);
    } catch {
      return true; // a marker dhtl cannot read: let the installer decide with the pin in
    }
  };
  const emit = (node: GraphNode, via: string, from?: string) => {
    if (node.local) out.local.push({ name: node.name, args: localArgs(node, root) });
    else if (node.version) out.pins.push({ name: node.name, version: node.version, hashes: node.hashes, via, ...(from ? { root: from } : {}) });
  };
  if (graph.kind === "Pipfile.lock") {
    for (const node of graph.nodes) if (node.categories?.some((c) => categories.includes(c)) && holds(node.marker)) emit(node, `Pipfile.lock [${node.categories!.find((c) => categories.includes(c))}]`);
    return out;
  }
  const byName = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) byName.set(n.normalizedName, [...(byName.get(n.normalizedName) ?? []), n]);
  const seen = new Map<GraphNode, Set<string>>();
  const queue: Array<{ dep: GraphDep; via: string; isRoot: boolean; from: string }> = roots.map((r) => ({
    dep: { name: normalizeName(r.name), extras: (r.extras ?? []).map(normalizeName), ...(r.marker ? { marker: r.marker } : {}), ...(r.path || r.url ? {} : { specifier: r.specifier }) },
    via: r.origin ?? "the project",
    isRoot: true,
    from: r.origin ?? "the project",
  }));
  while (queue.length) {
    const { dep, via, isRoot, from } = queue.shift()!;
    if (!holds(dep.marker)) continue;
    const candidates = (byName.get(dep.name) ?? []).filter((n) => !n.forExtras?.length);
    const node = candidates.find((n) => matches(n.version, dep.specifier)) ?? candidates[0];
    if (!node) {
      if (!out.missing.includes(dep.name)) out.missing.push(isRoot ? dep.name : `${dep.name} (needed by ${via.replace(/^needed by /, "")})`);
      continue;
    }
    let asked = seen.get(node);
    const follow: GraphDep[] = [];
    if (!asked) {
      asked = new Set();
      seen.set(node, asked);
      emit(node, via, from);
      follow.push(...node.deps.filter((d) => !d.optional));
    }
    for (const extra of dep.extras.filter((e) => !asked!.has(e))) {
      asked.add(extra);
      if (graph.kind === "poetry.lock" || graph.kind === "uv.lock") {
        const names = node.extras?.[extra] ?? [];
        follow.push(...node.deps.filter((d) => d.optional && names.includes(d.name)));
      } else {
        // PDM writes `name[extra]` as its own entry whose dependencies add the extra's packages.
        for (const entry of (byName.get(dep.name) ?? []).filter((n) => n.forExtras?.includes(extra) && n.version === node.version)) follow.push(...entry.deps);
      }
    }
    for (const d of follow) if (d.name !== node.normalizedName) queue.push({ dep: d, via: `needed by ${node.name}`, isRoot: false, from });
  }
  return out;
}

/** The requirements file the installer gets: one `name==version` line with its hashes per pin. */
export function pinsText(exp: LockExport, source: string): string {
  const lines = [`# Exactly what ${source} pins for this Python and platform, written by dhtl setup (do not edit).`];
  for (const p of exp.pins) {
    lines.push([`${p.name}==${p.version}`, ...p.hashes.map((h) => `--hash=${h}`)].join(" \\\n    "));
  }
  return `${lines.join("\n")}\n`;
}
