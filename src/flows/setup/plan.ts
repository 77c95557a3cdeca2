/**
 * The setup plan: pure data computed from what was gathered (config, declared project,
 * registries, the chosen Python, how uv is obtained, where the venv goes). `--dry-run`
 * prints it; a real run executes exactly these commands, step by step (steps.ts).
 *
 * Nothing in here touches the disk or spawns anything, so every decision is unit-tested
 * with plain objects.
 */
import { uvExportArgs } from "../../uv/lock-export.ts";
import { isAbsolute, join, win32 } from "node:path";
import { redactUrl } from "../../net/redact.ts";
import { sameIndex } from "../../registries/url.ts";
import { venvBinDir, venvPython, type VenvOs } from "../../env/venv.ts";
import type { VenvLocation } from "../../env/local-venv.ts";
import { exportLock, markerEnvironment, pinsText, type LockExport, type LockFreshness, type LockGraph } from "../../project/lock-pins.ts";
import { needsVirtualenv, seededPip, virtualenvCommand, VIRTUALENV_VERSION, type VirtualenvPaths } from "../../env/virtualenv.ts";
import type { RouteInstall } from "../../testing/install-needs.ts";
import { importNameOf } from "../../testing/plan.ts";

/** The requirement shape setup needs (src/project/pep508.ts Requirement fits it). */
export interface PlanRequirement {
  name: string;
  raw: string;
  url?: string;
  path?: string;
  editable?: boolean;
  /** "requirements.txt:3", "pyproject.toml [project.dependencies]", ".dhtconfig dependencies.packages[0]". */
  origin?: string;
  /** PEP 440 specifier ("==1.2.3", ">=2") and PEP 508 marker, where parsed (the install-fit check reads them). */
  specifier?: string;
  marker?: string;
}

/** What setup needs of the declared project (src/project/declared.ts DeclaredProject fits it). */
export interface PlanProject {
  root: string;
  name?: string;
  isPackage: boolean;
  requiresPython?: string;
  requirements: PlanRequirement[];
  optional: Record<string, PlanRequirement[]>;
  groups: Record<string, PlanRequirement[]>;
  requirementFiles: string[];
  /** The parsed requirement files: their requirements reach the installer through -r, not one by one. */
  requirementSets?: Array<{ path?: string; files?: string[]; requirements: PlanRequirement[] }>;
  /** Requirement files chosen by their names alone (src/project/declared.ts DeclaredProject.detectedRequirementFiles). */
  detectedRequirementFiles?: string[];
  /** Where the project declares itself ("pyproject.toml [project]", "setup.py", …); absent for a requirements-only app. */
  metadata?: string;
  lockFile?: { kind: string; path: string };
  /**
   * What the lock file pins (src/project/lockfiles.ts LockFile fits it): uv.lock's registry
   * URLs; for poetry.lock, pdm.lock and Pipfile.lock the dependency graph and whether the lock
   * still matches its project file.
   */
  locked?: { packages: Array<{ registry?: string }>; graph?: LockGraph; freshness?: LockFreshness; /** The parsed file (uv.lock: walked by the install-fit check). */ data?: Record<string, unknown> };
  /** Which tool declares each group (dependency-groups, uv, poetry, hatch, pdm, pipenv). */
  groupSources?: Record<string, string>;
  /** A uv workspace member: the workspace's uv.lock installs it as `--package <package>`. */
  workspace?: { root: string; member: string; package: string };
}

export interface PlanRegistries {
  indexUrl: string;
  extraIndexUrls: string[];
  trustedHosts: string[];
  findLinks: string[];
  noIndex?: boolean;
  indexStrategy?: string;
  origins: Record<string, string>;
}

export interface PythonChoice {
  request?: string;
  requestOrigin?: string;
  executable?: string;
  version?: string;
  source?: string;
  chain: Array<{ step: string; outcome: string; why: string }>;
  /** Set when no interpreter could be chosen (dry-run shows it; a real run fails with it). */
  problem?: string;
  /** Python 2.7 / 3.6: the Python >= 3.8 that runs virtualenv to make the venv (src/env/virtualenv.ts). */
  venvHost?: { executable: string; version: string };
}

export interface UvChoice {
  /** uv can be had: the venv and installs use it. Otherwise `python -m venv` + pip. */
  available: boolean;
  path?: string;
  version?: string;
  /** How it is (or will be) obtained: "DHT_HOME/tools/uv/0.13.9 (cached)", "from the index https://…". */
  how: string;
}

export interface BinarySwap {
  from: string;
  to: string;
  why?: string;
}

export interface PlanInput {
  os: VenvOs;
  /** The machine's CPU ("x86_64", "aarch64"): lock markers are evaluated for it. */
  arch?: string;
  envRoot: string;
  /** Environment directory relative to the project root ("." when not a monorepo entry). */
  envDir: string;
  projectRoot: string;
  project: PlanProject;
  registries: PlanRegistries;
  python: PythonChoice;
  uv: UvChoice;
  venv: VenvLocation;
  strategy: "uv" | "requirements" | "pip";
  /** Config extras / groups (added to the default dev/test ones). */
  extras: string[];
  groups: string[];
  /** Leave dev/test groups and extras out (--no-dev). */
  noDev?: boolean;
  preferBinary: boolean;
  swaps: BinarySwap[];
  /** Requirements after binary swaps (same order as collected); undefined = unchanged. */
  swappedRequirements?: Record<string, string>;
  isolate: boolean;
  prompt?: string;
  /** Names of env vars passed to installers for the registries (values stay out of the plan). */
  registryEnvNames: string[];
  /** Where virtualenv is unpacked (DHT_HOME/tools/virtualenv): used for Pythons older than 3.7. */
  virtualenv?: VirtualenvPaths;
  /**
   * Which groups/extras must work and which may fail (src/flows/setup/selection below):
   * `required` replaces the default selection (today's dev/test + configured, + the test
   * route's); `optional` ones are installed when they can be, and left out with a warning
   * naming them and the reason when they cannot install or import on the chosen Python.
   * `required.packages` names what the test route needs: never optional, wherever declared.
   * Default: the default selection, where groups/extras whose names mean docs/lint/typing
   * are optional, and so are known docs/lint/typing tools inside the other selected groups.
   */
  selection?: SelectionInput;
  /**
   * Put pip into the venv (`uv venv --seed`), as `python -m venv` does: test suites and tools
   * call `python -m pip`. Off when offline (uv would need pip's wheel from an index).
   */
  seedPip?: boolean;
  /** The test route the environment is for (src/testing): what it needs is installed too (absent with --no-dev). */
  testRoute?: { name: string; summary: string; install: RouteInstall; /** Top-level modules the test files import. */ imports?: string[] };
}

export interface PlannedCommand {
  step: "create-venv" | "install-dependencies" | "verify";
  /** Exact argv with credentials redacted (what the plan prints). */
  argv: string[];
  /** Extra environment (names → redacted values) the command runs with. */
  env: Record<string, string>;
  why: string;
  /** Where it runs when not in the environment's directory (a uv workspace's root: its lock's paths are relative to it). */
  cwd?: string;
}

export interface SetupPlan {
  envDir: string;
  envRoot: string;
  projectRoot: string;
  python: PythonChoice;
  venv: VenvLocation & { python: string; bin: string };
  uv: UvChoice;
  installer: "uv" | "pip";
  mode: "uv-sync" | "uv-pip" | "pip";
  /** What makes the venv: uv, the standard library's venv (no uv), or virtualenv (Python < 3.7). */
  venvCreator: "uv" | "venv" | "virtualenv";
  lockFile?: LockChoice;
  /** Files the install step writes before its commands (the exact pins of a lock file). */
  files: Array<{ path: string; text: string; why: string }>;
  registries: { indexUrl: string; extraIndexUrls: string[]; findLinks: string[]; trustedHosts: string[]; noIndex: boolean; indexStrategy?: string; origins: Record<string, string> };
  extras: string[];
  groups: string[];
  preferBinary: boolean;
  swaps: BinarySwap[];
  /** Distribution names whose import is checked after install. */
  importChecks: string[];
  commands: PlannedCommand[];
  postInstall: string[];
  isolate: boolean;
  notes: string[];
  /** What the environment parts (system packages, Node.js) will do; filled in by the dry run. */
  parts?: Array<{ id: string; text: string; data: unknown }>;
  /** What the user must hear even without --dry-run (a lock that no longer matches its project). */
  warnings: string[];
  /**
   * The parts of the selection that may fail (docs/lint/typing): when the full install fails,
   * `required` installs without them, then each part is tried on its own and left out with a
   * warning if it fails; their distributions failing the import check is a warning too.
   */
  optional?: {
    parts: OptionalPart[];
    required: PlannedCommand[];
    each: Array<{ part: OptionalPart; commands: PlannedCommand[] }>;
    /** Distribution names that only optional parts bring (their import failures are warnings). */
    dists: string[];
  };
  /**
   * Dev/test-group packages that neither the project, the test route nor the test files
   * import (a docs builder's pinned Jinja2): one that fails to import is a warning, since
   * the tests do not need it. Only set when the test route's imports are known.
   */
  softImports?: string[];
  /** The test route and what setup adds for it, each with its evidence. */
  testRoute?: {
    name: string;
    summary: string;
    additions: Array<{ item: string; origin: string }>;
    system: Array<{ manager: string; name: string; origin: string }>;
    unknown: string[];
  };
}

const DEV_NAMES = /^(dev|devel|develop|development|test|tests|testing)$/i;

export interface SelectionInput {
  required?: { extras: string[]; groups: string[]; packages?: string[] };
  optional?: { extras: string[]; groups: string[] };
}

/** Group/extra names that mean docs, lint, formatting or typing: never what a test run needs. */
const OPTIONAL_NAMES = /^(docs?|documentation|sphinx|mkdocs|lint|linting|linters?|style|codestyle|format|formatting|fmt|typing|types|typecheck|type-?check(ing)?|mypy|pre-?commit|qa|static|static-?analysis)$/i;
/** Packages that only build docs or check code (their failure never stops a test run). */
const DOCS_LINT_TOOLS = /^(sphinx(-.*)?|sphinxcontrib-.*|.*-sphinx-theme|furo|myst-parser|numpydoc|nbsphinx|mkdocs(-.*)?|mkdocstrings(-.*)?|mypy|types-.+|.+-stubs|pyright|pytype|flake8(-.*)?|pylint(-.*)?|pycodestyle|pydocstyle|pyflakes|black|isort|ruff|autopep8|yapf|pre-commit|bandit|codespell|doc8|rstcheck|blacken-docs|docformatter|darglint|interrogate)$/;
const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");

/**
 * One part of the selection that may fail: a group, an extra, one package inside a required
 * one, or a requirement file the test route does not use.
 */
export interface OptionalPart {
  kind: "group" | "extra" | "package" | "file";
  /** For a file: its path relative to the environment root ("requirements.txt"). */
  name: string;
  /** For a file: its absolute path. */
  path?: string;
  /** For a package: the group/extra holding it ("group dev"). */
  in?: string;
  /** The requirement texts it adds. */
  requirements: string[];
  why: string;
}

/** Required vs optional parts of the selection (pure; see PlanInput.selection). */
export function splitSelection(input: PlanInput): { required: { extras: string[]; groups: string[]; omit: string[]; omitFiles: string[] }; optional: OptionalPart[] } {
  const { project } = input;
  const full = input.selection?.required ?? selectionWithRoute(input);
  const routeNames = new Set([...(input.selection?.required?.packages ?? []), ...(input.testRoute?.install.requirements ?? []).map((r) => /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(r.text)?.[0] ?? "")].map(norm));
  const routeGroups = new Set([...(input.testRoute?.install.groups ?? []).map((g) => g.name), ...(input.testRoute?.install.extras ?? []).map((e) => e.name)]);
  const explicit = Boolean(input.selection?.required);
  const byName = (kind: "group" | "extra", name: string) => !explicit && !routeGroups.has(name) && OPTIONAL_NAMES.test(name.replace(/^hatch:/, ""));
  const optGroups = new Set([...(input.selection?.optional?.groups ?? []), ...full.groups.filter((g) => byName("group", g))]);
  const optExtras = new Set([...(input.selection?.optional?.extras ?? []), ...full.extras.filter((e) => byName("extra", e))]);
  const required = { extras: full.extras.filter((e) => !optExtras.has(e)), groups: full.groups.filter((g) => !optGroups.has(g)), omit: [] as string[], omitFiles: [] as string[] };
  const parts: OptionalPart[] = [];
  const raws = (list: PlanRequirement[] | undefined) => (list ?? []).map((r) => r.raw);
  for (const g of optGroups) if (project.groups[g]) parts.push({ kind: "group", name: g, requirements: raws(project.groups[g]), why: `the ${g} group is for docs/lint/typing by its name` });
  for (const e of optExtras) if (project.optional[e]) parts.push({ kind: "extra", name: e, requirements: raws(project.optional[e]), why: `the ${e} extra is for docs/lint/typing by its name` });
  // Docs/lint tools inside the required dev/test groups and extras (not the main dependencies).
  const mainNames = new Set(project.requirements.map((r) => norm(r.name)));
  const inside: Array<[string, PlanRequirement[] | undefined]> = [...required.groups.map((g) => [`group ${g}`, project.groups[g]] as [string, PlanRequirement[] | undefined]), ...required.extras.map((e) => [`extra ${e}`, project.optional[e]] as [string, PlanRequirement[] | undefined])];
  for (const [where, reqs] of inside) {
    for (const r of reqs ?? []) {
      const n = norm(r.name);
      if (explicit || r.path || r.url || !DOCS_LINT_TOOLS.test(n) || routeNames.has(n) || mainNames.has(n) || required.omit.includes(r.raw)) continue;
      required.omit.push(r.raw);
      parts.push({ kind: "package", name: r.name, in: where, requirements: [r.raw], why: `${r.name} in the ${where} is a docs/lint/typing tool` });
    }
  }
  if (!explicit) {
    for (const file of unusedRequirementFiles(input)) {
      required.omitFiles.push(file.path);
      parts.push({ kind: "file", name: file.name, path: file.path, requirements: file.requirements.map((r) => r.raw), why: file.why });
    }
  }
  return { required, optional: parts };
}

/**
 * The requirement files a failure may leave out (pure): found by their names alone (not
 * configured, not named by the package metadata), in a project that declares itself
 * (pyproject [project], Poetry, setup.py, setup.cfg), with a test route that does not use
 * them: neither its `-r`/`-c` files (tox deps, CI's pip install, nox's session.install) nor
 * a file those include. A root requirements.txt of benchmark or release tooling is then not
 * what the tests need. A requirements-only application keeps its files required.
 */
export function unusedRequirementFiles(input: PlanInput): Array<{ path: string; name: string; requirements: PlanRequirement[]; why: string }> {
  const { project } = input;
  const route = input.testRoute;
  if (!route || !project.metadata || !project.detectedRequirementFiles?.length) return [];
  const sets = project.requirementSets ?? [];
  const abs = (p: string) => (isAbsolute(p) || win32.isAbsolute(p) ? join(p) : join(input.envRoot, p));
  const used = new Set<string>();
  for (const f of [...route.install.requirementFiles, ...route.install.constraintFiles]) {
    const path = abs(f.path);
    used.add(path);
    // A route file dhtl also read as one of the project's sets: what it includes is used too.
    for (const inc of sets.find((s) => s.path && join(s.path) === path)?.files ?? []) used.add(join(inc));
  }
  const rel = (p: string) => (p.startsWith(`${input.envRoot}/`) ? p.slice(input.envRoot.length + 1) : p);
  const out: Array<{ path: string; name: string; requirements: PlanRequirement[]; why: string }> = [];
  for (const path of project.detectedRequirementFiles) {
    if (!project.requirementFiles.includes(path) || used.has(join(path))) continue;
    const set = sets.find((s) => s.path === path);
    out.push({ path, name: rel(path), requirements: set?.requirements ?? [], why: `the test route ${route.name} does not use ${rel(path)}, and the project declares itself in ${project.metadata}` });
  }
  return out;
}
/** Hatch's own development environments: `default` (hatch shell) and `hatch-test` (hatch test). */
const HATCH_DEV_NAMES = /^(hatch:)?(default|hatch-test)$/i;

function isDevGroup(name: string, source: string | undefined): boolean {
  // setup.py's tests_require exists only for the tests.
  if (source === "setup.py" && name === "tests_require") return true;
  return DEV_NAMES.test(name.replace(/^hatch:/, "")) || (source === "hatch" && HATCH_DEV_NAMES.test(name));
}

/** Groups `uv sync` knows: PEP 735 [dependency-groups] (and uv's legacy dev-dependencies). */
export function isUvSyncGroup(project: PlanProject, group: string): boolean {
  const source = project.groupSources?.[group] ?? "dependency-groups";
  return source === "dependency-groups" || source === "uv";
}

/** Extras and groups to include: the dev/test ones the project declares, plus the configured ones. */
export function selectExtrasAndGroups(project: PlanProject, extras: string[], groups: string[], noDev = false) {
  const pick = (declared: string[], configured: string[], sourceOf: (name: string) => string | undefined) => {
    const out = new Set<string>();
    if (!noDev) for (const name of declared) if (isDevGroup(name, sourceOf(name))) out.add(name);
    for (const name of configured) out.add(name);
    return [...out];
  };
  return {
    extras: pick(Object.keys(project.optional), extras, () => undefined),
    groups: pick(Object.keys(project.groups), groups, (name) => project.groupSources?.[name]),
  };
}

/** The installer command lines, with real paths; `uv` is the uv executable ("uv" in a dry-run without one). */
export interface CommandContext {
  uv: string;
  basepython: string;
  venvPath: string;
  os: VenvOs;
}

export function requirementText(req: PlanRequirement, swapped?: Record<string, string>): string {
  return swapped?.[req.raw] ?? req.raw;
}

/**
 * Installer arguments for one requirement. Local paths and editables are rebuilt from the
 * parsed fields (their raw text may be a Pipfile table or `-e file:///${PROJECT_ROOT}/…`);
 * everything else is the PEP 508 text as declared (or its binary swap).
 */
export function requirementArgs(req: PlanRequirement & { url?: string }, projectRoot: string, swapped?: Record<string, string>): string[] {
  if (swapped?.[req.raw]) return [swapped[req.raw]!];
  if (req.path) {
    const abs = isAbsolute(req.path) || win32.isAbsolute(req.path) ? req.path : join(projectRoot, req.path);
    return req.editable ? ["-e", abs] : [abs];
  }
  if (req.editable && req.url) return ["-e", req.url];
  return [req.raw];
}

/**
 * How the lock file is used:
 *  - "uv-sync": uv.lock with uv installing (`uv sync --frozen`, or its export, see plannedCommands);
 *  - "uv-export": uv.lock where pip installs (Python 2.7 / 3.6): `uv export` writes the pins, pip installs them --no-deps;
 *  - "pins": poetry.lock, pdm.lock, Pipfile.lock: dhtl writes the pins with their hashes (src/project/lock-pins.ts);
 *  - not honoured: the declared requirements are resolved fresh, and `note` says why.
 */
export interface LockChoice {
  kind: string;
  path: string;
  honoured: boolean;
  how?: "uv-sync" | "uv-export" | "pins";
  note: string;
  /** A lock that no longer matches its project: shown as a warning, not only a note. */
  stale?: boolean;
}

const RELOCK: Record<string, string> = { "poetry.lock": "poetry lock", "pdm.lock": "pdm lock", "Pipfile.lock": "pipenv lock", "uv.lock": "uv lock" };

export function lockDecision(project: PlanProject, strategy: PlanInput["strategy"], installer: "uv" | "pip", uvAvailable: boolean, routeSkipsLock?: string): LockChoice | undefined {
  const lock = project.lockFile;
  if (!lock) return undefined;
  // The project's own test route installs without the lock (CI's `pipenv install --skip-lock`):
  // its lock is not what its tests run against.
  if (routeSkipsLock) return { ...lock, honoured: false, note: `the test route installs without ${lock.kind} (${routeSkipsLock}): dhtl resolves the declarations fresh, as it does` };
  if (lock.kind === "uv.lock") {
    if (strategy === "uv" && installer === "uv") return { ...lock, honoured: true, how: "uv-sync", note: "uv sync --frozen installs exactly what uv.lock pins" };
    if (strategy === "uv" && uvAvailable) return { ...lock, honoured: true, how: "uv-export", note: "uv export writes uv.lock's exact pins (with hashes); pip installs them without resolving again" };
    return { ...lock, honoured: false, note: uvAvailable ? `dependencies.strategy is "${strategy}": installing the declared requirements instead` : "uv is not available: pip installs the declared requirements instead" };
  }
  const locked = project.locked;
  if (strategy === "requirements") return { ...lock, honoured: false, note: `dependencies.strategy is "requirements": installing the declared requirements instead of ${lock.kind}` };
  if (!locked?.graph) return { ...lock, honoured: false, note: `${lock.kind} could not be read as a dependency graph: dhtl installs the declared requirements` };
  if (locked.freshness?.fresh === false) {
    return { ...lock, honoured: false, stale: true, note: `${locked.freshness.why}; dhtl installs the declared requirements, resolved fresh, instead of the lock's pins (run \`${RELOCK[lock.kind]}\` to update ${lock.kind})` };
  }
  return { ...lock, honoured: true, how: "pins", note: `exactly what ${lock.kind} pins (versions and sha256 hashes), installed without resolving again${locked.freshness ? `; ${locked.freshness.why}` : ""}` };
}

/** Where the requirements are lock-covered: declared in the file the lock was made from. */
function lockCovers(kind: string, r: PlanRequirement): boolean {
  const origin = r.origin ?? "pyproject.toml";
  return kind === "Pipfile.lock" ? origin.startsWith("Pipfile") : origin.startsWith("pyproject.toml");
}

export interface LockPins {
  export: LockExport;
  /** .dht/<kind>-pins.txt: the pins with their hashes. */
  file: string;
  text: string;
  /** Selected requirements the lock does not cover (requirement files, .dhtconfig packages): installed on top. */
  uncovered: PlanRequirement[];
}

/** The exact pins of a poetry/pdm/Pipfile lock for this selection, Python and platform (pure). */
export function lockPins(input: PlanInput, sel: { extras: string[]; groups: string[]; omit?: string[] }, suffix = ""): LockPins | undefined {
  const { project } = input;
  const graph = project.locked?.graph;
  if (!graph || !project.lockFile || !input.python.version) return undefined;
  const selected = [...project.requirements, ...sel.extras.flatMap((e) => project.optional[e] ?? []), ...sel.groups.flatMap((g) => project.groups[g] ?? [])].filter((r) => !sel.omit?.includes(r.raw));
  const roots = selected.filter((r) => lockCovers(graph.kind, r));
  const uncovered = selected.filter((r) => !lockCovers(graph.kind, r) && !(project.requirementSets ?? []).some((set) => set.requirements.includes(r)));
  const categories = ["default", ...sel.groups.map((g) => (g === "dev" ? "develop" : g))];
  const env = markerEnvironment(input.python.version, input.os, input.arch ?? "x86_64");
  const exp = exportLock(graph, roots as Parameters<typeof exportLock>[1], env, input.envRoot, categories);
  const file = join(input.envRoot, ".dht", `${graph.kind.replace(/\.lock$/i, "").toLowerCase()}-lock-pins${suffix}.txt`);
  return { export: exp, file, text: pinsText(exp, project.lockFile.kind), uncovered };
}

/**
 * The index URLs uv.lock resolved packages against that none of the configured indexes is.
 * `uv sync --frozen` downloads each package from the URL the lock recorded, not through the
 * configured index: a lock made against pypi.org, installed where only a corporate mirror is
 * reachable (or the other way round), would fail or bypass the mirror. Local registries
 * (find-links paths) are not indexes and are left out.
 */
export function lockIndexesNotConfigured(project: PlanProject, registries: PlanRegistries): string[] {
  if (project.lockFile?.kind !== "uv.lock") return [];
  const configured = [registries.indexUrl, ...registries.extraIndexUrls];
  const out: string[] = [];
  for (const p of project.locked?.packages ?? []) {
    const url = p.registry;
    if (!url || !/^https?:\/\//i.test(url) || configured.some((c) => sameIndex(c, url)) || out.some((o) => sameIndex(o, url))) continue;
    out.push(url);
  }
  return out;
}

/** The dev selection plus what the test route asks for (its extras and groups, when declared). */
export function selectionWithRoute(input: PlanInput): { extras: string[]; groups: string[] } {
  const sel = selectExtrasAndGroups(input.project, input.extras, input.groups, input.noDev);
  const route = input.testRoute?.install;
  if (!route) return sel;
  return {
    extras: [...new Set([...sel.extras, ...route.extras.map((e) => e.name)])],
    groups: [...new Set([...sel.groups, ...route.groups.map((g) => g.name)])],
  };
}

/** What the plan shows of the test route: each addition with its evidence. */
function routeSummary(input: PlanInput, base: { extras: string[]; groups: string[] }): SetupPlan["testRoute"] {
  const route = input.testRoute;
  if (!route) return undefined;
  const { install } = route;
  const additions = [
    ...install.requirements.map((r) => ({ item: r.text, origin: r.origin })),
    ...install.requirementFiles.map((f) => ({ item: `-r ${f.path}`, origin: f.origin })),
    ...install.constraintFiles.map((f) => ({ item: `-c ${f.path}`, origin: f.origin })),
    ...install.extras.filter((e) => !base.extras.includes(e.name)).map((e) => ({ item: `extra ${e.name}`, origin: e.origin })),
    ...install.groups.filter((g) => !base.groups.includes(g.name)).map((g) => ({ item: `group ${g.name}`, origin: g.origin })),
  ];
  return { name: route.name, summary: route.summary, additions, system: install.system, unknown: install.unknown };
}

/**
 * How this setup installs (pure): the selection, the installer, how the lock is used (for
 * poetry/pdm/Pipfile locks, its pins for this Python) and the mode. buildPlan and the
 * install-fit check (fit-pins.ts) both decide through this.
 */
export function installDecision(input: PlanInput) {
  const { project } = input;
  const { extras, groups } = selectionWithRoute(input);
  // Python 2.7 and 3.6: virtualenv makes the venv and its pip installs (src/env/virtualenv.ts says why).
  const legacy = needsVirtualenv(input.python.version);
  // strategy "requirements" is the design's "not yet on uv": pip installs the declared requirements.
  const installer: "uv" | "pip" = input.uv.available && input.strategy === "uv" && !legacy ? "uv" : "pip";
  let lock = lockDecision(project, input.strategy, installer, input.uv.available, input.testRoute?.install.skipLock);
  let pins = lock?.how === "pins" ? lockPins(input, { extras, groups }) : undefined;
  if (lock?.how === "pins" && pins?.export.missing.length) {
    // A selected requirement the lock has no entry for: the lock predates it.
    lock = { ...lock, honoured: false, how: undefined, stale: true, note: `${lock.kind} has no entry for ${pins.export.missing.join(", ")} (declared in the project): it is out of date; dhtl installs the declared requirements, resolved fresh (run \`${RELOCK[lock.kind]}\` to update it)` };
    pins = undefined;
  }
  const mode: SetupPlan["mode"] = lock?.how === "uv-sync" ? "uv-sync" : installer === "uv" ? "uv-pip" : "pip";
  return { extras, groups, legacy, installer, lock, pins, mode };
}

export function buildPlan(input: PlanInput): SetupPlan {
  const { project } = input;
  const base = selectExtrasAndGroups(project, input.extras, input.groups, input.noDev);
  const { extras, groups, legacy, installer, lock, pins, mode } = installDecision(input);
  const ctx: CommandContext = {
    uv: input.uv.path ?? "uv",
    basepython: input.python.executable ?? "python3",
    venvPath: input.venv.venvPath,
    os: input.os,
  };
  const commands = plannedCommands(input, { extras, groups, mode, lock }, ctx);
  const optional = optionalPlan(input, { mode, lock }, ctx);
  const pinFiles = (variant: string, sel: { extras: string[]; groups: string[]; omit?: string[] }) => {
    const p = lock?.how === "pins" ? lockPins(input, sel, variant) : undefined;
    return p ? [{ path: p.file, text: p.text, why: `${p.export.pins.length} exact pins from ${lock!.kind}${variant ? ` (${variant.slice(1)})` : ""}` }] : [];
  };
  const importChecks = importCheckNames(input, { extras, groups, mode });
  const notes: string[] = [];
  if (input.venv.placement !== "in-project") notes.push(input.venv.why);
  if (input.venv.enableLongPaths) notes.push(`to keep venvs in projects, enable long paths (elevated): ${input.venv.enableLongPaths}`);
  if (project.workspace && lock?.honoured) notes.push(`${project.workspace.member} is a member (${project.workspace.package}) of the uv workspace at ${project.workspace.root}: installed from the workspace's uv.lock, not resolved on its own`);
  if (lock && !lock.stale && (!lock.honoured || lock.how === "pins" || lock.how === "uv-export")) notes.push(lock.note);
  if (lock?.how === "pins" && !input.python.version) notes.push(`${lock.kind}: the pins are chosen once the Python is known (their markers depend on it)`);
  const lockIndexes = mode === "uv-sync" && !input.registries.noIndex ? lockIndexesNotConfigured(project, input.registries) : [];
  if (lockIndexes.length) {
    notes.push(`uv.lock was resolved against ${lockIndexes.map(redactUrl).join(", ")}, not the configured index ${redactUrl(input.registries.indexUrl)}: its exact pins are exported and installed through the configured index (uv sync --frozen would download from the lock's URLs)`);
  }
  if (legacy) {
    const host = input.python.venvHost;
    notes.push(`Python ${input.python.version}: uv cannot install into its venvs (2.7: uv refuses it; 3.6: the newest setuptools for it has no PEP 660 editable builds), so virtualenv ${VIRTUALENV_VERSION}${host ? `, run by Python ${host.version} (${host.executable}),` : ""} makes the venv and seeds ${seededPip(input.python.version!)}; pip installs`);
  } else if (!input.uv.available) notes.push(`uv cannot be had (${input.uv.how}): using python -m venv and pip`);
  for (const swap of input.swaps) notes.push(`prefer-binary: ${swap.from} → ${swap.to}${swap.why ? ` (${swap.why})` : ""}`);
  const testRoute = routeSummary(input, base);
  const softImports = softImportNames(input, { extras, groups });
  if (testRoute?.unknown.length) notes.push(`the test route ${testRoute.name} names what the project does not declare: ${testRoute.unknown.join(", ")}`);
  if (testRoute?.system.length) notes.push(`the test route's CI installs system packages: ${testRoute.system.map((p) => `${p.name} (${p.manager}, ${p.origin})`).join(", ")}`);
  const activate = input.os === "windows" ? `${venvBinDir(input.venv.linkPath, input.os)}\\Activate.ps1` : `. ${venvBinDir(input.venv.linkPath, input.os)}/activate`;
  const postInstall = [`mark the venv complete (${input.venv.venvPath}/.dht-complete) after verification`];
  if (input.isolate) postInstall.push("write activate.isolated (sh, fish, PowerShell) and copy uv into the venv's bin");
  postInstall.push(`activate with: ${activate}   or run commands with: dhtl run CMD`);
  return {
    envDir: input.envDir,
    envRoot: input.envRoot,
    projectRoot: input.projectRoot,
    python: input.python,
    venv: { ...input.venv, python: venvPython(input.venv.venvPath, input.os), bin: venvBinDir(input.venv.venvPath, input.os) },
    uv: input.uv,
    installer,
    mode,
    venvCreator: legacy ? "virtualenv" : mode === "pip" ? "venv" : "uv",
    lockFile: lock,
    files: [
      ...(pins ? [{ path: pins.file, text: pins.text, why: `${pins.export.pins.length} exact pins from ${lock!.kind}${pins.export.local.length ? ` (+${pins.export.local.length} local)` : ""}` }] : []),
      ...(optional && pins ? [...pinFiles(".required", optional.selection), ...optional.plan.each.filter((e) => e.part.kind !== "file").flatMap((e) => pinFiles(`.${optional.variantOf(e.part)}`, optional.selectionWith(e.part)))] : []),
    ],
    registries: {
      indexUrl: redactUrl(input.registries.indexUrl),
      extraIndexUrls: input.registries.extraIndexUrls.map(redactUrl),
      findLinks: input.registries.findLinks.map(redactUrl),
      trustedHosts: input.registries.trustedHosts,
      noIndex: Boolean(input.registries.noIndex),
      ...(input.registries.indexStrategy ? { indexStrategy: input.registries.indexStrategy } : {}),
      origins: input.registries.origins,
    },
    extras,
    groups,
    preferBinary: input.preferBinary,
    swaps: input.swaps,
    importChecks,
    commands: commands.map((c) => ({ ...c, argv: c.argv.map(redactArg) })),
    postInstall,
    isolate: input.isolate,
    notes,
    warnings: lock?.stale ? [lock.note] : [],
    ...(optional ? { optional: { ...optional.plan, required: optional.plan.required.map(redactCommand), each: optional.plan.each.map((e) => ({ ...e, commands: e.commands.map(redactCommand) })) } } : {}),
    ...(testRoute ? { testRoute } : {}),
    ...(softImports.length ? { softImports } : {}),
  };
}

/**
 * The plan input without some of the test route's requirements (pure): what setup installs
 * once a need is left out (one that wants another release of the project itself).
 */
export function withoutRouteNeeds(input: PlanInput, texts: string[]): PlanInput {
  const route = input.testRoute;
  if (!route) return input;
  return { ...input, testRoute: { ...route, install: { ...route.install, requirements: route.install.requirements.filter((r) => !texts.includes(r.text)) } } };
}

/** See SetupPlan.softImports. Pure. */
export function softImportNames(input: PlanInput, sel: { extras: string[]; groups: string[] }): string[] {
  const imports = input.testRoute?.imports;
  if (!imports) return [];
  const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");
  const imported = new Set(imports.map((m) => m.toLowerCase()));
  const hard = new Set([...input.project.requirements.map((r) => norm(r.name)), ...(input.testRoute?.install.requirements ?? []).map((r) => norm(/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(r.text)?.[0] ?? r.text)), ...(input.project.name ? [norm(input.project.name)] : [])]);
  const devOnly = [...sel.groups.flatMap((g) => input.project.groups[g] ?? []), ...sel.extras.flatMap((e) => input.project.optional[e] ?? [])];
  return [...new Set(devOnly.filter((r) => r.name && !hard.has(norm(r.name)) && !imported.has(importNameOf(r.name).toLowerCase())).map((r) => r.name))];
}

/**
 * The optional parts' fallback (pure): the install without them, then each on top. uv sync
 * cannot leave one package of a group out, so there only whole groups/extras are parts.
 */
export function optionalPlan(input: PlanInput, base: { mode: SetupPlan["mode"]; lock?: LockChoice }, ctx: CommandContext) {
  const split = splitSelection(input);
  // uv.lock installs (uv sync, or its export for pip) do not install requirement files at all.
  const lockOnly = base.mode === "uv-sync" || base.lock?.how === "uv-export";
  const parts = split.optional.filter((p) => !(base.mode === "uv-sync" && p.kind === "package") && !(lockOnly && p.kind === "file"));
  if (!parts.length) return undefined;
  const selection = {
    extras: split.required.extras,
    groups: split.required.groups,
    omit: base.mode === "uv-sync" ? [] : split.required.omit,
    omitFiles: parts.filter((p) => p.kind === "file").map((p) => p.path!),
  };
  const variantOf = (part: OptionalPart) => `${part.kind}-${part.name}`.replace(/[^A-Za-z0-9_.-]+/g, "_");
  const selectionWith = (part: OptionalPart) => ({
    extras: part.kind === "extra" ? [...selection.extras, part.name] : selection.extras,
    groups: part.kind === "group" ? [...selection.groups, part.name] : selection.groups,
    omit: selection.omit.filter((r) => !part.requirements.includes(r)),
    omitFiles: selection.omitFiles.filter((f) => f !== part.path),
  });
  const installs = (sel: ReturnType<typeof selectionWith>, variant: string) => plannedCommands(input, { ...sel, ...base, variant }, ctx).filter((c) => c.step === "install-dependencies");
  const required = installs(selection, ".required");
  const py = venvPython(ctx.venvPath, ctx.os);
  const each = parts.map((part) => {
    let commands: PlannedCommand[];
    const noIndex = input.registries.noIndex ? ["--no-index"] : [];
    const installArgs = (args: string[]): PlannedCommand =>
      base.mode === "pip"
        ? { step: "install-dependencies", argv: [py, "-m", "pip", "install", "--disable-pip-version-check", ...args], env: { PIP_NO_INPUT: "1", ...registryEnvDisplay(input) }, why: `the optional ${part.kind} ${part.name}` }
        : { step: "install-dependencies", argv: [ctx.uv, "pip", "install", ...noIndex, "--python", py, ...args], env: { UV_PYTHON_DOWNLOADS: "never", ...registryEnvDisplay(input) }, why: `the optional ${part.kind} ${part.name}` };
    if (part.kind === "file") {
      // The file on top of what is there, with -r (hashes and options intact), or its
      // requirements one by one when one of them is swapped for a binary stand-in.
      const set = (input.project.requirementSets ?? []).find((s) => s.path === part.path);
      const swapped = set?.requirements.some((r) => input.swappedRequirements?.[r.raw]);
      commands = [installArgs(swapped ? set!.requirements.flatMap((r) => requirementArgs(r, input.project.root, input.swappedRequirements)) : ["-r", part.path!])];
    } else if (base.mode === "uv-sync" || base.lock?.how === "pins") {
      // The required set plus this part, added to what is there (uv sync --inexact; the
      // lock's pins installed, not synced, so earlier parts stay).
      commands = installs(selectionWith(part), `.${variantOf(part)}`)
        .filter((c) => c.argv[1] === "sync" || (c.argv[1] === "pip" && c.argv[2] === "sync"))
        .map((c) => ({ ...c, argv: c.argv[1] === "sync" ? [...c.argv.slice(0, 3), "--inexact", ...c.argv.slice(3)] : [c.argv[0]!, "pip", "install", "--no-deps", ...c.argv.slice(3)], why: `the optional ${part.kind} ${part.name}` }));
    } else {
      const reqs = part.requirements.map((raw) => [...Object.values(input.project.groups).flat(), ...Object.values(input.project.optional).flat()].find((r) => r.raw === raw)!).filter(Boolean);
      commands = [installArgs(reqs.flatMap((r) => requirementArgs(r, input.project.root, input.swappedRequirements)))];
    }
    return { part, commands };
  });
  const { project } = input;
  // What a left-out file brings is not required (its requirements are among the project's).
  const inOmittedFile = new Set((project.requirementSets ?? []).filter((s) => s.path && selection.omitFiles.includes(s.path)).flatMap((s) => s.requirements));
  const requiredReqs = [...project.requirements.filter((r) => !inOmittedFile.has(r)), ...selection.extras.flatMap((e) => project.optional[e] ?? []), ...selection.groups.flatMap((g) => project.groups[g] ?? [])];
  const routeNames = (input.testRoute?.install.requirements ?? []).map((r) => /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(r.text)?.[0] ?? r.text);
  const requiredNames = new Set([...requiredReqs.filter((r) => !selection.omit.includes(r.raw)).map((r) => r.name), ...routeNames].map(norm));
  const partNames = (p: OptionalPart) =>
    p.kind === "file" ? [...inOmittedFile].filter((r) => p.requirements.includes(r.raw) && r.name && !r.path && !r.url).map((r) => r.name) : p.requirements.map((raw) => /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(raw)?.[0] ?? raw);
  const dists = [...new Set(parts.flatMap(partNames))].filter((n) => !requiredNames.has(norm(n)));
  return { plan: { parts, required, each, dists }, selection, selectionWith, variantOf };
}

const redactCommand = (c: PlannedCommand): PlannedCommand => ({ ...c, argv: c.argv.map(redactArg) });

/** Redact URLs inside an argument (`--index-url=https://u:p@h`, a bare URL). */
export function redactArg(arg: string): string {
  return arg.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s]+/gi, (m) => redactUrl(m));
}

function registryEnvDisplay(input: PlanInput): Record<string, string> {
  return Object.fromEntries(input.registryEnvNames.map((n) => [n, "(from the registries above)"]));
}

/** Every requirement `uv pip install` / `pip install` gets, in order (files are passed with -r). */
export function collectRequirements(
  input: PlanInput,
  sel: { extras: string[]; groups: string[]; omit?: string[]; omitFiles?: string[] },
): { files: string[]; requirements: string[]; editable?: string; editableNoDeps: boolean } {
  const { project } = input;
  const reqs: string[] = [];
  const seen = new Set<string>();
  const omit = new Set(sel.omit ?? []);
  // Requirement files left out (optional ones the test route does not use, after a failure).
  const omitFiles = new Set(sel.omitFiles ?? []);
  const add = (r: PlanRequirement) => {
    if (omit.has(r.raw)) return;
    const args = requirementArgs(r, project.root, input.swappedRequirements);
    const key = args.join(" ");
    if (!seen.has(key)) {
      seen.add(key);
      reqs.push(...args);
    }
  };
  const viaFiles = new Set<PlanRequirement>((project.requirementSets ?? []).flatMap((set) => set.requirements));
  // What the package's own metadata declares comes with its editable install.
  const fromMetadata = (r: PlanRequirement) => /^(pyproject\.toml|setup\.cfg|setup\.py)/.test(r.origin ?? "pyproject.toml");
  let editable: string | undefined;
  let editableNoDeps = false;
  if (project.isPackage) {
    editable = sel.extras.length ? `${project.root}[${sel.extras.join(",")}]` : project.root;
    const metadata = [...project.requirements.filter((r) => !viaFiles.has(r) && fromMetadata(r)), ...sel.extras.flatMap((e) => project.optional[e] ?? [])];
    // A binary swap of one of the package's own dependencies: its metadata would pull the
    // source package back in, so the dependencies are installed explicitly (swapped) and
    // the project itself with --no-deps, in a second command.
    editableNoDeps = metadata.some((r) => input.swappedRequirements?.[r.raw]);
    for (const r of project.requirements) if (!viaFiles.has(r) && !fromMetadata(r)) add(r);
    if (editableNoDeps) for (const r of metadata) add(r);
    else if (sel.extras.some((e) => (project.optional[e] ?? []).some((r) => omit.has(r.raw)))) {
      // An extra with a package left out: its other requirements are named one by one and
      // the project installed without the extra (its metadata would bring the package back).
      editable = project.root;
      for (const e of sel.extras) for (const r of project.optional[e] ?? []) add(r);
    }
  } else {
    for (const r of project.requirements) if (!viaFiles.has(r)) add(r);
    for (const e of sel.extras) for (const r of project.optional[e] ?? []) add(r);
  }
  for (const g of sel.groups) for (const r of project.groups[g] ?? []) add(r);
  // A requirement file holding a requirement swapped for its binary stand-in (--prefer-binary)
  // is not passed with -r, or the installer would read psycopg2 from it after all: its
  // requirements go one by one, swapped (its index options are in the registries already).
  const swappedFiles = new Set<string>();
  for (const set of (project.requirementSets ?? []) as Array<{ path?: string; requirements: PlanRequirement[]; constraints?: unknown[] }>) {
    if (!set.path || omitFiles.has(set.path) || set.constraints?.length || !set.requirements.some((r) => input.swappedRequirements?.[r.raw])) continue;
    swappedFiles.add(set.path);
    for (const r of set.requirements) add(r);
  }
  const files = project.requirementFiles.filter((f) => !swappedFiles.has(f) && !omitFiles.has(f));
  const route = routeRequirementArgs(input, sel.omitFiles);
  for (const arg of route.requirements) if (!seen.has(arg)) (seen.add(arg), reqs.push(arg));
  return { files: [...files, ...route.files.filter((f) => !files.includes(f))], requirements: [...reqs, ...route.constraints], editable, editableNoDeps };
}

/** The test route's own requirements and files as installer arguments (paths made absolute). */
export function routeRequirementArgs(input: PlanInput, omitFiles: string[] = []): { requirements: string[]; files: string[]; constraints: string[] } {
  const install = input.testRoute?.install;
  if (!install) return { requirements: [], files: [], constraints: [] };
  const abs = (p: string) => (isAbsolute(p) || win32.isAbsolute(p) ? p : join(input.envRoot, p));
  const local = (text: string) => /^(\.{1,2}[\\/]|[\\/])/.test(text) || /^[\w.-]+[\\/]/.test(text) && !/[<>=!~;@]/.test(text);
  // A runner the project already declares (pytest==4.6.11 in requirements-test.txt) keeps the
  // project's own pin; passing both is also refused by the legacy pip of Python 2.7
  // ("Double requirement given").
  // A file left out does not declare anything any more.
  const leftOut = new Set((input.project.requirementSets ?? []).filter((s) => s.path && omitFiles.includes(s.path)).flatMap((s) => s.requirements));
  const project = leftOut.size ? { ...input.project, requirements: input.project.requirements.filter((r) => !leftOut.has(r)) } : input.project;
  const declared = new Set(directDependencyNames(project, selectionWithRoute(input)).map((n) => n.toLowerCase().replace(/[-_.]+/g, "-")));
  const nameOf = (text: string) => /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(text)?.[0].toLowerCase().replace(/[-_.]+/g, "-");
  return {
    requirements: install.requirements.filter((r) => local(r.text) || !declared.has(nameOf(r.text) ?? "")).map((r) => (local(r.text) ? abs(r.text) : r.text)),
    files: install.requirementFiles.map((f) => abs(f.path)),
    constraints: install.constraintFiles.flatMap((f) => ["-c", abs(f.path)]),
  };
}

export function plannedCommands(input: PlanInput, sel: { extras: string[]; groups: string[]; mode: SetupPlan["mode"]; lock?: LockChoice; omit?: string[]; omitFiles?: string[]; variant?: string }, ctx: CommandContext): PlannedCommand[] {
  const py = venvPython(ctx.venvPath, ctx.os);
  const env = registryEnvDisplay(input);
  const prompt = input.prompt ?? (input.project.name || input.envRoot.split(/[\\/]/).pop() || "venv");
  const out: PlannedCommand[] = [];
  // uv has no environment variable for --no-index (pip reads PIP_NO_INDEX), so it goes in argv.
  const noIndex = input.registries.noIndex ? ["--no-index"] : [];
  if (needsVirtualenv(input.python.version) && input.virtualenv) {
    const host = input.python.venvHost?.executable ?? "python3";
    const cmd = virtualenvCommand({ host, paths: input.virtualenv, basepython: ctx.basepython, prompt, venvPath: ctx.venvPath });
    out.push({ step: "create-venv", argv: cmd.argv, env: cmd.env, why: `virtualenv ${VIRTUALENV_VERSION} (the last that makes Python ${input.python.version} venvs), seeding ${seededPip(input.python.version!)} from its own wheels` });
  } else if (sel.mode === "pip") {
    out.push({ step: "create-venv", argv: [ctx.basepython, "-m", "venv", "--prompt", prompt, ctx.venvPath], env: {}, why: "uv cannot be had: the standard library's venv, with pip" });
  } else {
    out.push({
      step: "create-venv",
      argv: [ctx.uv, "venv", "--no-config", ...(input.seedPip ? ["--seed"] : []), "--python", ctx.basepython, "--prompt", prompt, ctx.venvPath],
      env: { UV_PYTHON_DOWNLOADS: "never" },
      why: `a venv for ${input.python.version ? `Python ${input.python.version}` : "the chosen Python"}`,
    });
  }
  const viaUv = sel.mode !== "pip";
  const installEnv = viaUv ? { UV_PYTHON_DOWNLOADS: "never", ...env } : { PIP_NO_INPUT: "1", ...env };
  /** One installer run: uv pip install, or the venv's pip. */
  const install = (args: string[], why: string): PlannedCommand =>
    viaUv
      ? { step: "install-dependencies", argv: [ctx.uv, "pip", "install", ...noIndex, "--python", py, ...args], env: installEnv, why }
      : { step: "install-dependencies", argv: [py, "-m", "pip", "install", "--disable-pip-version-check", ...(input.preferBinary ? ["--prefer-binary"] : []), ...args], env: installEnv, why };
  if (sel.lock?.how === "pins" && lockPins(input, sel, sel.variant)) {
    // poetry.lock / pdm.lock / Pipfile.lock: dhtl wrote the exact pins (hashes included, the
    // install step writes plan.files first); the installer takes them without resolving.
    const { project } = input;
    const pins = lockPins(input, sel, sel.variant)!;
    const hashed = pins.export.pins.length > 0 && pins.export.pins.every((p) => p.hashes.length > 0) ? ["--require-hashes"] : [];
    if (pins.export.pins.length) {
      out.push(
        viaUv
          ? { step: "install-dependencies", argv: [ctx.uv, "pip", "sync", ...noIndex, ...hashed, "--python", py, pins.file], env: installEnv, why: `exactly what ${sel.lock.kind} pins for Python ${input.python.version}, every file checked against the lock's sha256` }
          : { step: "install-dependencies", argv: [py, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", ...hashed, "-r", pins.file], env: installEnv, why: `exactly what ${sel.lock.kind} pins for Python ${input.python.version}, every file checked against the lock's sha256` },
      );
    }
    const local = [...pins.export.local.flatMap((l) => l.args), ...(project.isPackage ? ["-e", input.envRoot] : [])];
    if (local.length) out.push(install(["--no-deps", ...local], `${project.isPackage ? "the project itself (editable)" : ""}${project.isPackage && pins.export.local.length ? " and " : ""}${pins.export.local.length ? `the lock's local sources (${pins.export.local.map((l) => l.name).join(", ")})` : ""}, without their dependencies (pinned above)`));
    const route = routeRequirementArgs(input, sel.omitFiles);
    const extra = [...project.requirementFiles.filter((f) => !sel.omitFiles?.includes(f)).flatMap((f) => ["-r", f]), ...pins.uncovered.flatMap((r) => requirementArgs(r, project.root, input.swappedRequirements)), ...route.files.flatMap((f) => ["-r", f]), ...route.requirements, ...route.constraints];
    if (extra.length) out.push(install(extra, `what is declared outside ${sel.lock.kind === "Pipfile.lock" ? "the Pipfile" : "pyproject.toml"} (requirement files, .dhtconfig packages${input.testRoute ? `, the test route ${input.testRoute.name}` : ""}), so not in ${sel.lock.kind}`));
  } else if (sel.lock?.how === "uv-export") {
    // uv.lock where pip installs (Python 2.7 / 3.6): uv only writes the pins, pip installs them.
    const { project } = input;
    const syncGroups = sel.groups.filter((g) => isUvSyncGroup(project, g));
    const pins = join(input.envRoot, ".dht", "uv-lock-requirements.txt");
    const ws = project.workspace;
    const at = ws ? { cwd: ws.root } : {};
    out.push({ step: "install-dependencies", argv: [ctx.uv, ...uvExportArgs({ root: ws?.root ?? input.envRoot, ...(ws ? { package: ws.package } : {}), extras: sel.extras, groups: syncGroups, outFile: pins, hashes: true })], env: { UV_PYTHON_DOWNLOADS: "never" }, why: "uv.lock's exact pins with their hashes as a requirements file (no network: it reads only uv.lock)", ...at });
    out.push({ ...install(["--no-deps", "-r", pins], "exactly what uv.lock pins, every file checked against the lock's sha256"), ...at });
    if (project.isPackage) out.push(install(["--no-deps", "-e", input.envRoot], "the project itself (editable)"));
    const route = routeRequirementArgs(input);
    const other = [...sel.groups.filter((g) => !isUvSyncGroup(project, g)).flatMap((g) => (project.groups[g] ?? []).flatMap((r) => requirementArgs(r, project.root, input.swappedRequirements))), ...route.files.flatMap((f) => ["-r", f]), ...route.requirements, ...route.constraints];
    if (other.length) out.push(install(other, `what uv.lock does not hold (groups of other tools${input.testRoute ? `, the test route ${input.testRoute.name}` : ""})`));
  } else if (sel.mode === "uv-sync") {
    const { project } = input;
    const ws = project.workspace;
    const syncGroups = sel.groups.filter((g) => isUvSyncGroup(project, g));
    const otherGroups = sel.groups.filter((g) => !isUvSyncGroup(project, g));
    const installEnv = { UV_PYTHON_DOWNLOADS: "never", ...env };
    const lockIndexes = input.registries.noIndex ? [] : lockIndexesNotConfigured(project, input.registries);
    if (input.registries.noIndex || lockIndexes.length) {
      // No index (an offline bundle, find-links only): `uv sync --frozen` fetches from the
      // URLs recorded in uv.lock and ignores find-links, so a lock made against an index
      // cannot be installed from local wheels that way. The same holds when the lock was made
      // against another index than the configured one (pypi.org vs a mirror). Export the
      // exact pins instead, install them from the local wheels or the configured index, then
      // the project itself (editable) without its deps.
      const pins = join(input.envRoot, ".dht", "uv-lock-requirements.txt");
      // A workspace member's export names the other members it needs as `-e ./packages/x`,
      // relative to the workspace root: both commands run there.
      const at = ws ? { cwd: ws.root } : {};
      out.push({
        step: "install-dependencies",
        argv: [ctx.uv, ...uvExportArgs({ root: ws?.root ?? input.envRoot, ...(ws ? { package: ws.package } : {}), extras: sel.extras, groups: syncGroups, outFile: pins })],
        env: { UV_PYTHON_DOWNLOADS: "never" },
        why: `${ws ? `the workspace's uv.lock, for ${ws.package}: its` : "uv.lock's"} exact pins as a requirements file (no network: it reads only uv.lock)`,
        ...at,
      });
      // `pip sync`, not `pip install`: the venv ends up with exactly the pinned set, as uv sync would leave it.
      out.push({ step: "install-dependencies", argv: [ctx.uv, "pip", "sync", ...noIndex, "--python", py, pins], env: installEnv, why: `exactly what uv.lock pins, from ${input.registries.noIndex ? "the local wheels" : "the configured index"}`, ...at });
      if (project.isPackage) {
        out.push({ step: "install-dependencies", argv: [ctx.uv, "pip", "install", ...noIndex, "--no-deps", "--python", py, "-e", input.envRoot], env: installEnv, why: "the project itself (editable)" });
      }
    } else {
      out.push({
        step: "install-dependencies",
        argv: [ctx.uv, "sync", "--frozen", "--project", ws?.root ?? input.envRoot, ...(ws ? ["--package", ws.package] : []), "--python", py, ...sel.extras.flatMap((e) => ["--extra", e]), ...syncGroups.flatMap((g) => ["--group", g])],
        env: { UV_PROJECT_ENVIRONMENT: ctx.venvPath, ...installEnv },
        why: ws ? `the workspace's uv.lock (${ws.root}) pins ${ws.package} and everything it needs: install exactly that` : "uv.lock pins every package: install exactly that",
      });
    }
    // Groups another tool declares (poetry, hatch, pdm, pipenv) are unknown to uv sync, and
    // so is what the test route adds (tox deps, a CI step's pip install).
    const route = routeRequirementArgs(input);
    const extra = [
      ...otherGroups.flatMap((g) => (project.groups[g] ?? []).map((r) => requirementArgs(r, project.root, input.swappedRequirements))).flat(),
      ...route.files.flatMap((f) => ["-r", f]),
      ...route.requirements,
      ...route.constraints,
    ];
    if (extra.length) {
      const what = [
        ...(otherGroups.length ? [`the ${otherGroups.join(", ")} group${otherGroups.length > 1 ? "s" : ""} (declared outside [dependency-groups], so not in uv.lock)`] : []),
        ...(route.requirements.length || route.files.length ? [`what the test route ${input.testRoute!.name} adds`] : []),
      ];
      out.push({ step: "install-dependencies", argv: [ctx.uv, "pip", "install", ...noIndex, "--python", py, ...extra], env: installEnv, why: what.join("; ") });
    }
  } else {
    const { files, requirements, editable, editableNoDeps } = collectRequirements(input, sel);
    const deps = [...files.flatMap((f) => ["-r", f]), ...requirements];
    const runs: Array<{ args: string[]; why: string }> = [];
    if (editable && editableNoDeps) {
      if (deps.length) runs.push({ args: deps, why: "the declared requirements, binary alternatives swapped in" });
      runs.push({ args: ["--no-deps", "-e", editable], why: "the project itself (editable), without pulling the swapped packages back in" });
    } else {
      const args = [...deps, ...(editable ? ["-e", editable] : [])];
      if (args.length) runs.push({ args, why: "the declared requirements" + (editable ? ", and the project itself (editable)" : "") });
    }
    for (const { args, why } of runs) out.push(install(args, why));
  }
  out.push(
    sel.mode === "pip"
      ? { step: "verify", argv: [py, "-m", "pip", "check"], env: {}, why: "no broken or missing dependencies" }
      : { step: "verify", argv: [ctx.uv, "pip", "check", "--python", py], env: {}, why: "no broken or missing dependencies" },
  );
  return out;
}

/** Distributions whose top-level modules must import after install: the direct dependencies. */
export function importCheckNames(input: PlanInput, sel: { extras: string[]; groups: string[]; mode: SetupPlan["mode"] }): string[] {
  const names = new Set(directDependencyNames(input.project, sel));
  // What the test route installs must import too: a runner that does not import is a route that cannot run.
  for (const r of input.testRoute?.install.requirements ?? []) {
    const name = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?=\s*(\[|[<>=!~;]|$))/.exec(r.text.trim())?.[1];
    if (name) names.add(name);
  }
  if (input.project.isPackage && input.project.name) names.add(input.project.name);
  return [...names];
}

/** The direct dependencies the selection installs (no local paths): what the import check imports. */
export function directDependencyNames(project: Pick<PlanProject, "requirements" | "optional" | "groups">, sel: { extras: string[]; groups: string[] }): string[] {
  const names = new Set<string>();
  const add = (r: PlanRequirement) => {
    if (r.name && !r.path) names.add(r.name);
  };
  for (const r of project.requirements) add(r);
  for (const e of sel.extras) for (const r of project.optional[e] ?? []) add(r);
  for (const g of sel.groups) for (const r of project.groups[g] ?? []) add(r);
  return [...names];
}

/**
 * An old build backend (poetry-core before 1.0.8's PEP 660 hooks, setuptools before 64)
 * cannot build an editable install: the same command with the project installed as a
 * regular package instead, or undefined when the failure is another one. Pure.
 */
export function withoutEditable(argv: string[], output: string): string[] | undefined {
  if (!/has no attribute 'build_editable'|does not support editable|editable mode is not supported|missing the `build_editable` hook|Project file has a 'pyproject\.toml' and its build backend is missing/i.test(output)) return undefined;
  const at = argv.indexOf("-e");
  if (at < 0 || !argv[at + 1]) return undefined;
  return [...argv.slice(0, at), argv[at + 1]!, ...argv.slice(at + 2)];
}
