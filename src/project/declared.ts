/**
 * Everything a project declares about its dependencies, from whichever files it has,
 * as one value the setup flow plans from: the project's own requirements, extras,
 * dependency groups, requirement files (with their index options), the lock file, and
 * whether the project itself is a package to install in editable mode.
 *
 * Readers by file: pyproject.ts (PEP 621/735, Poetry, Hatch, PDM, Flit), setuptools.ts
 * (setup.cfg), pipfile.ts, requirements.ts, lockfiles.ts. setup.py is never executed.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import type { DhtConfig } from "../config/schema.ts";
import { chooseRequirementFiles, detectDependencySources, type DependencySource } from "./sources.ts";
import { readTomlFile } from "./python-version.ts";
import { readProjectText } from "./read-project-file.ts";
import { pythonMinorsOfClassifiers, readHatchToml, readPyprojectTable, type GroupSource, type PyprojectFacts } from "./pyproject.ts";
import { readSetupCfg } from "./setuptools.ts";
import { readSetupPy } from "./setup-py.ts";
import { readPipfile } from "./pipfile.ts";
import { parseRequirementsFile, type RequirementsFile } from "./requirements.ts";
import { findLockFiles, lockKindOf, readLockFile, type LockFile, type LockKind } from "./lockfiles.ts";
import { parseRequirement, Pep508Error, type Requirement } from "./pep508.ts";
import { lockFreshness } from "./lock-pins.ts";
import type { NamedIndex } from "../registries/types.ts";

export type { Requirement } from "./pep508.ts";
export type { DependencySource } from "./sources.ts";
export { chooseRequirementFiles, requirementFilePurpose } from "./sources.ts";

export interface DeclaredIndexOptions {
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  trustedHosts: string[];
  /** Pre-releases allowed (--pre in a requirements file, Pipfile allow_prereleases). */
  pre: boolean;
  noIndex: boolean;
  /** "indexUrl" / "extraIndexUrls.0" → "requirements.txt:2" (for discoverRegistries' origins). */
  origins: Record<string, string>;
  /** Named indexes (Poetry/PDM sources, Pipfile sources): names carry credentials (UV_INDEX_<NAME>_*, POETRY_HTTP_BASIC_<NAME>_*). */
  named: NamedIndex[];
}

export interface DeclaredProject {
  root: string;
  name?: string;
  /** The project itself is installable (the setup flow installs it editable). */
  isPackage: boolean;
  /** Why isPackage is what it is: "pyproject.toml [build-system]", "setup.py", "tool.poetry package-mode = false". */
  packageEvidence: string;
  requiresPython?: string;
  /** Python minors the project's classifiers name, oldest first (a hint for open-ended ranges). */
  pythonClassifiers?: string[];
  sources: DependencySource[];
  /** Main requirements: [project] / Poetry / Flit / setup.cfg / Pipfile [packages], requirement files, .dhtconfig packages. */
  requirements: Requirement[];
  /** Extras: name → requirements. */
  optional: Record<string, Requirement[]>;
  /** Dependency groups (PEP 735, Poetry groups, PDM dev groups, Hatch envs, Pipfile dev-packages as "dev"). */
  groups: Record<string, Requirement[]>;
  /**
   * Which tool defines each group: "dependency-groups" (PEP 735) and "uv" ([tool.uv]
   * dev-dependencies) are the ones `uv sync --group` knows; Poetry, Hatch, PDM and Pipfile
   * groups are installed from their requirements.
   */
  groupSources: Record<string, GroupSource>;
  /** Absolute paths of the requirement files in use (installers read them with -r, keeping hashes and options). */
  requirementFiles: string[];
  /** The parsed requirement files, one per entry of requirementFiles. */
  requirementSets: RequirementsFile[];
  /**
   * The requirement files chosen by their names alone (absolute): neither configured
   * (dependencies.files) nor named by the package metadata (dynamic dependencies, a setup.py
   * that reads them). With `metadata` set, they are not the project's dependency declaration.
   */
  detectedRequirementFiles: string[];
  /**
   * Where the project declares itself, when it does: "pyproject.toml [project]",
   * "pyproject.toml [tool.poetry]", "setup.py", "setup.cfg [metadata]". Absent for a
   * requirements-only application.
   */
  metadata?: string;
  /** Constraints from -c files. */
  constraints: Requirement[];
  lockFile?: { kind: LockKind; path: string };
  /** What the lock file pins (names and versions). */
  locked?: LockFile;
  /** A uv workspace member: installed from the workspace's uv.lock as `--package <package>`. */
  workspace?: { root: string; member: string; package: string };
  indexOptions: DeclaredIndexOptions;
  /** Tools whose configuration was found: "pep621", "poetry", "hatch", "pdm", "flit", "setuptools", "uv", "pipenv", "setup.py". */
  tools: string[];
  buildBackend?: string;
  /** Things worth telling the user that are not errors. */
  warnings: string[];
}

/** The part of the resolved configuration this reads (DhtConfig fits). */
export interface DeclaredConfigInput {
  dependencies?: Partial<Pick<DhtConfig["dependencies"], "files" | "packages" | "lock_files">>;
}

function rel(root: string, p: string): string {
  const r = relative(root, p);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r.split("\\").join("/") : p;
}

/** Does the project install itself? (never runs setup.py) */
export function decideIsPackage(facts: {
  pyproject?: Pick<PyprojectFacts, "hasBuildSystem" | "packageMode" | "buildBackend">;
  hasSetupPy: boolean;
  setupCfgName?: string;
}): { isPackage: boolean; evidence: string } {
  if (facts.pyproject?.packageMode === false) return { isPackage: false, evidence: "pyproject.toml says the project is not a package (package-mode / package = false)" };
  if (facts.pyproject?.packageMode === true) return { isPackage: true, evidence: "pyproject.toml [tool.uv] package = true" };
  if (facts.pyproject?.hasBuildSystem) return { isPackage: true, evidence: `pyproject.toml [build-system]${facts.pyproject.buildBackend ? ` (${facts.pyproject.buildBackend})` : ""}` };
  if (facts.hasSetupPy) return { isPackage: true, evidence: "setup.py (not executed)" };
  if (facts.setupCfgName) return { isPackage: true, evidence: `setup.cfg [metadata] name = ${facts.setupCfgName}` };
  return { isPackage: false, evidence: "no [build-system], setup.py or setup.cfg metadata: dependencies only" };
}

function emptyIndexOptions(): DeclaredIndexOptions {
  return { extraIndexUrls: [], findLinks: [], trustedHosts: [], pre: false, noIndex: false, origins: {}, named: [] };
}

function mergeRequirementOptions(into: DeclaredIndexOptions, set: RequirementsFile): void {
  const o = set.options;
  if (o.indexUrl && !into.indexUrl) {
    into.indexUrl = o.indexUrl;
    into.origins.indexUrl = o.origins.indexUrl ?? set.path;
  }
  const addAll = (key: "extraIndexUrls" | "findLinks" | "trustedHosts", values: string[]) => {
    values.forEach((v, i) => {
      if (into[key].includes(v)) return;
      into.origins[`${key}.${into[key].length}`] = o.origins[`${key}.${i}`] ?? set.path;
      into[key].push(v);
    });
  };
  addAll("extraIndexUrls", o.extraIndexUrls);
  addAll("findLinks", o.findLinks);
  addAll("trustedHosts", o.trustedHosts);
  if (o.pre) into.pre = true;
  if (o.noIndex) {
    into.noIndex = true;
    into.origins.noIndex = o.origins.noIndex ?? set.path;
  }
}

function dedupe(reqs: Requirement[]): Requirement[] {
  const seen = new Set<string>();
  return reqs.filter((r) => {
    const key = `${r.origin ?? ""}|${r.raw}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function chooseLockFile(root: string, configured: string[] | undefined, tools: string[]): { kind: LockKind; path: string } | undefined {
  if (configured?.length) {
    const path = resolve(root, configured[0]!);
    const kind = lockKindOf(path);
    if (!kind) {
      throw new DhtError(ExitCode.usage, `dependencies.lock_files: ${configured[0]} is not a lock file dhtl can use`, {
        subject: "dependencies.lock_files",
        hint: "name one of uv.lock, poetry.lock, pdm.lock, Pipfile.lock",
      });
    }
    if (!existsSync(path)) {
      throw new DhtError(ExitCode.usage, `dependencies.lock_files: ${configured[0]} does not exist`, {
        subject: "dependencies.lock_files",
        hint: "create it with the tool that owns it (uv lock, poetry lock, pdm lock, pipenv lock) or remove the entry",
      });
    }
    return { kind, path };
  }
  const present = findLockFiles(root);
  const byTool: Record<string, LockKind> = { uv: "uv.lock", poetry: "poetry.lock", pdm: "pdm.lock", pipenv: "Pipfile.lock" };
  for (const tool of tools) {
    const kind = byTool[tool];
    const hit = present.find((p) => p.kind === kind);
    if (hit) return hit;
  }
  return present[0];
}

/** Read what the project at `root` declares. Errors are DhtErrors naming file:line. */
export async function readDeclaredProject(root: string, config: DeclaredConfigInput = {}, env: Record<string, string | undefined> = process.env): Promise<DeclaredProject> {
  const absRoot = resolve(root);
  const sources = await detectDependencySources(absRoot);
  const warnings: string[] = [];
  const tools: string[] = [];
  const requirements: Requirement[] = [];
  const optional: Record<string, Requirement[]> = {};
  const groups: Record<string, Requirement[]> = {};
  const groupSources: Record<string, GroupSource> = {};
  const indexOptions = emptyIndexOptions();
  let name: string | undefined;
  let requiresPython: string | undefined;
  let pythonClassifiers: string[] | undefined;
  const extraRequirementFiles: string[] = [];
  const optionalFiles: Record<string, string[]> = {};

  const pyprojectFile = await readTomlFile(join(absRoot, "pyproject.toml"), "pyproject.toml");
  let pyproject: PyprojectFacts | undefined;
  if (pyprojectFile) {
    pyproject = readPyprojectTable(pyprojectFile.data, pyprojectFile.text, "pyproject.toml");
    tools.push(...pyproject.tools);
    name = pyproject.name;
    requiresPython = pyproject.requiresPython;
    pythonClassifiers = pyproject.pythonClassifiers;
    requirements.push(...pyproject.dependencies);
    Object.assign(optional, pyproject.optional);
    Object.assign(groups, pyproject.groups);
    Object.assign(groupSources, pyproject.groupSources);
    extraRequirementFiles.push(...pyproject.dynamicRequirementFiles);
    Object.assign(optionalFiles, pyproject.dynamicOptionalFiles);
    warnings.push(...pyproject.warnings);
  }

  // Hatch reads environments from hatch.toml too; its tables win over pyproject.toml's.
  const hatchToml = await readTomlFile(join(absRoot, "hatch.toml"), "hatch.toml");
  if (hatchToml) {
    if (!tools.includes("hatch")) tools.push("hatch");
    for (const [env, reqs] of Object.entries(readHatchToml(hatchToml.data, hatchToml.text, optional))) {
      const key = groups[env] && groupSources[env] !== "hatch" ? `hatch:${env}` : env;
      groups[key] = reqs;
      groupSources[key] = "hatch";
    }
  }

  const hasSetupPy = existsSync(join(absRoot, "setup.py"));
  if (hasSetupPy) tools.push("setup.py");
  let setupCfgName: string | undefined;
  const setupCfgText = readProjectText(join(absRoot, "setup.cfg"), { display: "setup.cfg" })?.text;
  if (setupCfgText !== undefined) {
    const text = setupCfgText;
    if (/^\[(metadata|options)\]/m.test(text)) {
      const cfg = readSetupCfg(text, "setup.cfg");
      if (!tools.includes("setuptools")) tools.push("setuptools");
      setupCfgName = cfg.name;
      name ??= cfg.name;
      requiresPython ??= cfg.requiresPython;
      pythonClassifiers ??= cfg.pythonClassifiers;
      // [project] in pyproject.toml overrides setup.cfg metadata when both exist (setuptools does the same).
      if (!pyproject?.hasProjectTable) {
        requirements.push(...cfg.dependencies);
        for (const [extra, reqs] of Object.entries(cfg.optional)) optional[extra] ??= reqs;
        extraRequirementFiles.push(...cfg.requirementFiles);
        for (const [extra, files] of Object.entries(cfg.optionalFiles)) optionalFiles[extra] ??= files;
      }
    }
  }

  // setup.py, read statically: its extras (by name at least: `.[test]` is then installable),
  // tests_require (a group of its own: no installer reads it any more), python_requires.
  if (hasSetupPy) {
    const text = (readProjectText(join(absRoot, "setup.py"), { display: "setup.py" })?.text ?? "").slice(0, 1024 * 1024);
    const facts = readSetupPy(text);
    if (facts) {
      name ??= facts.name;
      requiresPython ??= facts.pythonRequires?.value;
      if (!pythonClassifiers?.length && facts.classifiers) {
        const minors = pythonMinorsOfClassifiers(facts.classifiers);
        if (minors.length) pythonClassifiers = minors;
      }
      const origin = `setup.py:${facts.line}`;
      const parseAll = (texts: string[]) =>
        texts.flatMap((t) => {
          try {
            return [parseRequirement(t, origin)];
          } catch {
            warnings.push(`${origin}: "${t}" is not a PEP 508 requirement; left out`);
            return [];
          }
        });
      if (!pyproject?.hasProjectTable) for (const [extra, reqs] of Object.entries(facts.extras)) optional[extra] ??= parseAll(reqs);
      if (facts.testsRequire?.length) {
        groups.tests_require = parseAll(facts.testsRequire);
        groupSources.tests_require = "setup.py";
      }
    }
  }

  // setup.py is never executed: what it declares reaches the environment when the installer
  // builds the project itself (editable install), through the build backend.
  // [project] with dynamic dependencies that no file names is the same case (scikit-build,
  // custom backends, setup.py filling install_requires).
  const computedByBackend = pyproject?.dynamicDependencies && requirements.length === 0 && extraRequirementFiles.length === 0;
  const declaredElsewhere = (pyproject?.hasProjectTable && !computedByBackend) || requirements.length > 0 || extraRequirementFiles.length > 0;
  if (hasSetupPy && !declaredElsewhere) {
    warnings.push("setup.py: dependencies declared in setup.py are read by the build backend at install time (dhtl does not run it); they are installed with the project itself");
  } else if (computedByBackend && !hasSetupPy) {
    warnings.push(`pyproject.toml: [project] dynamic dependencies are computed by the build backend${pyproject?.buildBackend ? ` (${pyproject.buildBackend})` : ""} at install time; they are installed with the project itself`);
  }

  const pipfileData = await readTomlFile(join(absRoot, "Pipfile"), "Pipfile");
  if (pipfileData) {
    tools.push("pipenv");
    const pip = readPipfile(pipfileData.data, pipfileData.text, "Pipfile");
    requirements.push(...pip.packages);
    for (const [cat, reqs] of Object.entries(pip.categories)) {
      groups[cat] = [...(groups[cat] ?? []), ...reqs];
      groupSources[cat] ??= "pipenv";
    }
    requiresPython ??= pip.requiresPython;
    pip.sources.forEach((s, i) => {
      if (s.name) indexOptions.named.push({ name: s.name, url: s.url, origin: s.origin });
      if (i === 0 && !indexOptions.indexUrl) {
        indexOptions.indexUrl = s.url;
        indexOptions.origins.indexUrl = s.origin;
      } else if (!indexOptions.extraIndexUrls.includes(s.url)) {
        indexOptions.origins[`extraIndexUrls.${indexOptions.extraIndexUrls.length}`] = s.origin;
        indexOptions.extraIndexUrls.push(s.url);
      }
      if (!s.verifySsl) {
        try {
          const host = new URL(s.url.replace(/\$\{[^}]+\}@/, "")).host;
          indexOptions.origins[`trustedHosts.${indexOptions.trustedHosts.length}`] = s.origin;
          indexOptions.trustedHosts.push(host);
        } catch {
          /* a URL with ${VAR} in the host: nothing to trust yet */
        }
      }
    });
    const settings = pipfileData.data.pipenv as Record<string, unknown> | undefined;
    if (settings?.allow_prereleases === true) indexOptions.pre = true;
  }

  for (const idx of pyproject?.indexes ?? []) {
    if (idx.name) indexOptions.named.push({ name: idx.name, url: idx.url, origin: idx.origin, ...(idx.role === "explicit" ? { explicit: true } : {}) });
    if (idx.role === "explicit") continue;
    if (idx.role === "find-links") {
      indexOptions.origins[`findLinks.${indexOptions.findLinks.length}`] = idx.origin;
      indexOptions.findLinks.push(idx.url);
    } else if (idx.role === "primary" && !indexOptions.indexUrl) {
      indexOptions.indexUrl = idx.url;
      indexOptions.origins.indexUrl = idx.origin;
    } else if (!indexOptions.extraIndexUrls.includes(idx.url)) {
      indexOptions.origins[`extraIndexUrls.${indexOptions.extraIndexUrls.length}`] = idx.origin;
      indexOptions.extraIndexUrls.push(idx.url);
    }
    if (!idx.verifySsl) {
      try {
        indexOptions.trustedHosts.push(new URL(idx.url).host);
        indexOptions.origins[`trustedHosts.${indexOptions.trustedHosts.length - 1}`] = idx.origin;
      } catch {
        /* ${VAR} in the host: nothing to trust yet */
      }
    }
  }

  // Requirement files: the configured ones; else the ones the package metadata names, plus
  // the detected ones whose names say they are for running or testing the project.
  const configuredFiles = config.dependencies?.files ?? [];
  const parseFile = (abs: string) => parseRequirementsFile(abs, { env, cwd: absRoot, displayRoot: absRoot });
  // setuptools skips a file its dynamic metadata names but cannot find (with a warning): so do we.
  const existingMetadataFile = (f: string, what: string) => {
    if (existsSync(resolve(absRoot, f))) return true;
    warnings.push(`${f}: named by the package metadata (${what}) but missing; skipped, as setuptools does`);
    return false;
  };
  // Extras the metadata reads from files are those extras, whichever files are installed.
  const optionalAbs = new Set<string>();
  for (const [extra, files] of Object.entries(optionalFiles)) {
    for (const f of files.filter((x) => existingMetadataFile(x, `extra "${extra}"`))) {
      const abs = resolve(absRoot, f);
      optionalAbs.add(abs);
      optional[extra] = [...(optional[extra] ?? []), ...(await parseFile(abs)).requirements];
    }
  }
  const requirementSets: RequirementsFile[] = [];
  const detectedFiles = new Set<string>();
  const useSet = (set: RequirementsFile) => {
    if (!requirementSets.some((s) => s.path === set.path)) requirementSets.push(set);
  };
  if (configuredFiles.length) {
    for (const f of configuredFiles) {
      const abs = resolve(absRoot, f);
      if (!existsSync(abs)) {
        throw new DhtError(ExitCode.usage, `requirement file ${f} does not exist`, { subject: "dependencies.files", hint: "fix dependencies.files in .dhtconfig" });
      }
      useSet(await parseFile(abs));
    }
  } else {
    const metadataFiles = extraRequirementFiles.filter((f) => existingMetadataFile(f, "dependencies")).map((f) => resolve(absRoot, f));
    for (const abs of metadataFiles) useSet(await parseFile(abs));
    // An unreadable detected file only matters when it is chosen.
    const detected = new Map<string, RequirementsFile | unknown>();
    for (const s of sources.filter((x) => x.kind === "requirements")) {
      const abs = resolve(absRoot, s.path);
      if (optionalAbs.has(abs) || metadataFiles.includes(abs)) continue;
      detected.set(abs, await parseFile(abs).catch((e: unknown) => e));
    }
    const isSet = (v: unknown): v is RequirementsFile => typeof v === "object" && v !== null && "requirements" in v;
    const declaresDependencies = requirements.length > 0 || Object.keys(groups).length > 0 || requirementSets.length > 0 || decideIsPackage({ pyproject, hasSetupPy, setupCfgName }).isPackage;
    const choice = chooseRequirementFiles([...detected.keys()].map((abs) => rel(absRoot, abs)), declaresDependencies);
    const chosenSets = choice.chosen.map((f) => {
      const set = detected.get(resolve(absRoot, f));
      if (!isSet(set)) throw set;
      return set;
    });
    // A setup.py (or setup.cfg) that names the file reads it into its metadata
    // (install_requires=open("requirements.txt").read().splitlines()): it is the declaration.
    const metadataTexts = [hasSetupPy ? (readProjectText(join(absRoot, "setup.py"), { display: "setup.py" })?.text ?? "") : "", setupCfgText ?? ""];
    for (const set of chosenSets) {
      const base = set.path.split(/[\\/]/).pop()!;
      if (!metadataTexts.some((t) => t.includes(base))) detectedFiles.add(set.path);
    }
    // A file a chosen one includes (-r base.txt, -c constraints.txt) is read through it: reading
    // it again on its own would turn constraints into requirements.
    const included = new Set([...requirementSets, ...chosenSets].flatMap((set) => set.files.filter((f) => f !== set.path)));
    for (const set of chosenSets) if (!included.has(set.path)) useSet(set);
    const skipped = choice.skipped.filter((f) => !included.has(resolve(absRoot, f)));
    if (skipped.length) {
      warnings.push(`${skipped.join(", ")}: not installed (by their names, not for running or testing the project); list the ones you want in dependencies.files in .dhtconfig`);
    }
  }
  const requirementFiles = requirementSets.map((s) => s.path);
  const constraints: Requirement[] = [];
  for (const set of requirementSets) {
    requirements.push(...set.requirements);
    constraints.push(...set.constraints);
    mergeRequirementOptions(indexOptions, set);
    warnings.push(...set.warnings);
  }

  (config.dependencies?.packages ?? []).forEach((text, i) => {
    const origin = `.dhtconfig dependencies.packages[${i}]`;
    try {
      requirements.push(parseRequirement(text, origin));
    } catch (e) {
      if (!(e instanceof Pep508Error)) throw e;
      throw new DhtError(ExitCode.usage, `dependencies.packages[${i}]: invalid requirement "${text}": ${e.message}`, {
        subject: `dependencies.packages[${i}]`,
        hint: 'write a PEP 508 requirement such as "requests>=2.31"',
      });
    }
  });

  let lockFile = chooseLockFile(absRoot, config.dependencies?.lock_files, tools);
  // A uv workspace member has no lock of its own: the workspace's uv.lock pins it.
  let workspace: DeclaredProject["workspace"];
  if (!lockFile && pyprojectFile) {
    const { findUvWorkspace, memberContaining } = await import("./uv-workspace.ts");
    const ws = findUvWorkspace(absRoot);
    const member = ws && ws.root !== absRoot ? memberContaining(ws, absRoot) : undefined;
    if (ws?.lock && member && resolve(ws.root, member) === absRoot && name) {
      lockFile = { kind: "uv.lock", path: ws.lock };
      workspace = { root: ws.root, member, package: name };
    }
  }
  const locked = lockFile ? readLockFile(lockFile.path) : undefined;
  if (locked?.graph && locked.data) {
    const kind = locked.graph.kind;
    const projectFile = kind === "Pipfile.lock" ? "Pipfile" : "pyproject.toml";
    locked.freshness = lockFreshness(kind, locked.data, kind === "Pipfile.lock" ? pipfileData?.data : pyprojectFile?.data, projectFile);
  }
  const pkg = decideIsPackage({ pyproject, hasSetupPy, setupCfgName });
  const metadata = pyproject?.hasProjectTable
    ? "pyproject.toml [project]"
    : pyproject?.tools.includes("poetry") && sources.some((s) => s.kind === "poetry")
      ? "pyproject.toml [tool.poetry]"
      : hasSetupPy
        ? "setup.py"
        : setupCfgName
          ? "setup.cfg [metadata]"
          : undefined;
  return {
    root: absRoot,
    ...(name ? { name } : {}),
    isPackage: pkg.isPackage,
    packageEvidence: pkg.evidence,
    ...(requiresPython ? { requiresPython } : {}),
    ...(pythonClassifiers ? { pythonClassifiers } : {}),
    sources,
    requirements: dedupe(requirements),
    optional,
    groups,
    groupSources,
    requirementFiles,
    requirementSets,
    detectedRequirementFiles: requirementFiles.filter((f) => detectedFiles.has(f)),
    ...(metadata ? { metadata } : {}),
    constraints: dedupe(constraints),
    ...(lockFile ? { lockFile } : {}),
    ...(locked ? { locked } : {}),
    ...(workspace ? { workspace } : {}),
    indexOptions,
    tools,
    ...(pyproject?.buildBackend ? { buildBackend: pyproject.buildBackend } : {}),
    warnings: warnings.map((w) => w.replace(absRoot + "/", "")),
  };
}

/** Requirement file paths relative to the root, for display. */
export function displayRequirementFiles(p: Pick<DeclaredProject, "root" | "requirementFiles">): string[] {
  return p.requirementFiles.map((f) => rel(p.root, f));
}
