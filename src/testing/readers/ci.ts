/**
 * CI workflows as jobs of command lines: GitHub Actions (`.github/workflows/*.yml`), GitLab
 * CI (`.gitlab-ci.yml`), Azure Pipelines (`azure-pipelines.yml`, `.azure-pipelines/*.yml`),
 * CircleCI (`.circleci/config.yml`) and Travis CI (`.travis.yml`, still what many older
 * projects document). For each job: its steps' lines with their file
 * lines, the environment it sets, and the Pythons it names (setup-python's
 * `python-version`, the matrix, `image: python:3.11`). The planner finds the step that runs
 * the tests and the install steps before it. Pure.
 */
import type { TaskLine } from "./tasks.ts";

export interface CiStep {
  lines: TaskLine[];
  env: Record<string, string>;
  /** `working-directory:` of the step. */
  cwd?: string;
  /**
   * The step's own condition as written (GitHub's `if:`, Azure's `condition:`), `${{ }}` and
   * spacing taken off: steps under the same condition run in the same CI runs.
   */
  condition?: string;
}

export interface CiJob {
  file: string;
  name: string;
  line: number;
  steps: CiStep[];
  /** Python versions the job names ("3.11", or expressions left out). */
  pythons: string[];
  env: Record<string, string>;
  /**
   * Every value of each matrix key (GitHub), the axis's values then the include entries', in
   * order: the first is what `${{ matrix.KEY }}` is in the job's main run. Python axes are
   * left out (the chosen Python is not the matrix's first).
   */
  matrixAxes?: Record<string, string[]>;
  /**
   * GitHub: does the workflow run on every proposed change (pull requests, pushes to the main
   * branch)? False for one run only on a schedule, by hand, on release, on tags or on pushes
   * to side branches (`branches: [ci, staging]`): not the check every change passes.
   */
  gatesChanges?: boolean;
}

type Table = Record<string, unknown>;
const asTable = (v: unknown): Table | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : undefined);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** Where each line of a `run:` block sits in the file (first match at or after `from`). */
class LineFinder {
  private readonly lines: string[];
  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }
  find(needle: string, from = 0): number {
    const t = needle.trim();
    if (!t) return from + 1;
    for (let i = Math.max(0, from); i < this.lines.length; i++) if (this.lines[i]!.includes(t)) return i + 1;
    for (let i = 0; i < this.lines.length; i++) if (this.lines[i]!.includes(t)) return i + 1;
    return 1;
  }
}

/** A multi-line shell script into logical lines (backslash continuations joined), with file lines. */
export function scriptLines(script: string, finder: LineFinder, from: number): TaskLine[] {
  const out: TaskLine[] = [];
  let pending = "";
  let pendingLine = 0;
  let cursor = from;
  for (const raw of script.split(/\r?\n/)) {
    const t = raw.trim();
    if (!t) continue;
    const line = finder.find(t, cursor);
    cursor = line;
    if (!pending && t.startsWith("#")) continue;
    if (/\\$/.test(t)) {
      if (!pending) pendingLine = line;
      pending += `${t.slice(0, -1)} `;
      continue;
    }
    out.push({ text: pending + t, line: pending ? pendingLine : line });
    pending = "";
  }
  if (pending) out.push({ text: pending.trim(), line: pendingLine });
  return out;
}

/** A step condition, normalised so `${{ ! contains(matrix.py, 't') }}` and `!contains(matrix.py,'t')` are one. */
const conditionOf = (v: unknown): string | undefined => {
  const text = scalar(v)?.trim();
  return text ? text.replace(/^\$\{\{([\s\S]*)\}\}$/, "$1").replace(/\s+/g, "") : undefined;
};

const envOf = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asTable(v) ?? {})) if (typeof val === "string" || typeof val === "number" || typeof val === "boolean") out[k] = String(val);
  return out;
};

/** Versions in a matrix value or setup-python input; `${{ matrix.x }}` resolved against the matrix. */
function versionsOf(value: unknown, matrix: Table | undefined): string[] {
  const out: string[] = [];
  for (const v of asList(value)) {
    if (typeof v === "number") out.push(v === Math.floor(v) ? `${v}.0` : String(v));
    else if (typeof v === "string") {
      const ref = /\$\{\{\s*matrix\.([\w-]+)\s*\}\}/.exec(v);
      if (ref && matrix) out.push(...versionsOf(matrix[ref[1]!], undefined));
      else out.push(...v.split(/[\s,]+/).filter(Boolean));
    }
  }
  return out.map((s) => s.replace(/^(?:pypy-?|cpython-?)/i, "").replace(/-dev$/, "")).filter((s) => /^\d+\.\d+/.test(s));
}

/** A YAML number 3.10 is read as 3.1: take the text of the matrix value where it is one. */
function fixFloatVersions(text: string, versions: string[]): string[] {
  return versions.map((v) => (/^3\.1$/.test(v) && /\b3\.10\b/.test(text) ? "3.10" : v));
}

function parseYaml(text: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch {
    return undefined;
  }
}

/** The event names that check proposed changes, and the branch names that are a repository's main line. */
const CHANGE_EVENTS = new Set(["pull_request", "pull_request_target", "merge_group"]);
const MAIN_BRANCH = /^(main|master|trunk|develop|dev|default)$|\*/;

/** Whether a workflow's `on:` runs it on every proposed change (see CiJob.gatesChanges); undefined when it says nothing. */
export function workflowGatesChanges(on: unknown): boolean | undefined {
  if (on === undefined || on === null) return undefined;
  if (typeof on === "string" || Array.isArray(on)) return asList(on).some((e) => e === "push" || CHANGE_EVENTS.has(String(e)) || e === "workflow_call");
  const events = asTable(on);
  if (!events) return undefined;
  // A reusable workflow runs with its caller's triggers.
  if ([...CHANGE_EVENTS, "workflow_call"].some((e) => e in events)) return true;
  if (!("push" in events)) return false;
  const push = asTable(events.push);
  const branches = asList(push?.branches).map(String);
  if (branches.length) return branches.some((b) => MAIN_BRANCH.test(b));
  // `push: {tags: [...]}` alone runs on releases only.
  return !(push && ("tags" in push) && !("branches-ignore" in push));
}

export function readGithubWorkflow(text: string, file: string): CiJob[] {
  const doc = asTable(parseYaml(text));
  if (!doc) return [];
  const finder = new LineFinder(text);
  const jobs: CiJob[] = [];
  const topEnv = envOf(doc.env);
  const gatesChanges = workflowGatesChanges(doc.on);
  for (const [name, value] of Object.entries(asTable(doc.jobs) ?? {})) {
    const job = asTable(value);
    if (!job) continue;
    const jobLine = finder.find(`${name}:`);
    const matrix = asTable(asTable(job.strategy)?.matrix);
    const pythons = new Set<string>();
    for (const key of ["python-version", "python", "python_version", "py", "python-versions"]) for (const v of versionsOf(matrix?.[key], undefined)) pythons.add(v);
    for (const inc of asList(matrix?.include)) for (const key of ["python-version", "python", "python_version"]) for (const v of versionsOf(asTable(inc)?.[key], undefined)) pythons.add(v);
    const steps: CiStep[] = [];
    let cursor = jobLine;
    for (const s of asList(job.steps)) {
      const step = asTable(s);
      if (!step) continue;
      if (typeof step.uses === "string" && /setup-python|setup-uv|setup-pdm|setup-micromamba|provision-with-micromamba/.test(step.uses)) {
        for (const v of versionsOf(asTable(step.with)?.["python-version"], matrix)) pythons.add(v);
      }
      if (typeof step.run === "string") {
        const lines = scriptLines(step.run, finder, cursor);
        if (lines.length) cursor = lines[lines.length - 1]!.line;
        const condition = conditionOf(step.if);
        steps.push({ lines, env: envOf(step.env), ...(typeof step["working-directory"] === "string" ? { cwd: step["working-directory"] as string } : {}), ...(condition ? { condition } : {}) });
      }
    }
    const matrixAxes = allMatrixValues(matrix);
    jobs.push({ file, name, line: jobLine, steps, pythons: fixFloatVersions(text, [...pythons]), env: { ...topEnv, ...envOf(job.env) }, ...(Object.keys(matrixAxes).length ? { matrixAxes } : {}), ...(gatesChanges !== undefined ? { gatesChanges } : {}) });
  }
  return jobs;
}

const scalar = (v: unknown): string | undefined => (typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);

/** Each non-Python matrix key's values: the axis's, then the include entries' (first = the main run's). */
function allMatrixValues(matrix: Table | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!matrix) return out;
  const isPython = (k: string) => /python|^py$/i.test(k);
  const add = (k: string, value: string | undefined) => {
    if (isPython(k) || value === undefined || value.includes("${{")) return;
    const list = (out[k] ??= []);
    if (!list.includes(value)) list.push(value);
  };
  for (const [k, v] of Object.entries(matrix)) if (k !== "include" && k !== "exclude") for (const x of asList(v)) add(k, scalar(x));
  for (const inc of asList(matrix.include)) for (const [k, v] of Object.entries(asTable(inc) ?? {})) add(k, scalar(v));
  return out;
}

const GITLAB_RESERVED = new Set(["stages", "variables", "default", "include", "workflow", "image", "services", "before_script", "after_script", "cache", "pages"]);

export function readGitlabCi(text: string, file = ".gitlab-ci.yml"): CiJob[] {
  const doc = asTable(parseYaml(text));
  if (!doc) return [];
  const finder = new LineFinder(text);
  const defaults = asTable(doc.default) ?? {};
  const topBefore = asList(defaults.before_script ?? doc.before_script);
  const topImage = defaults.image ?? doc.image;
  const jobs: CiJob[] = [];
  for (const [name, value] of Object.entries(doc)) {
    const job = asTable(value);
    if (!job || GITLAB_RESERVED.has(name) || name.startsWith(".")) continue;
    const jobLine = finder.find(`${name}:`);
    const script = [...asList(job.before_script ?? topBefore), ...asList(job.script)].filter((l): l is string => typeof l === "string");
    const image = job.image ?? topImage;
    const imageName = typeof image === "string" ? image : typeof asTable(image)?.name === "string" ? (asTable(image)!.name as string) : "";
    const py = /(?:^|\/)python:(\d+\.\d+)/.exec(imageName)?.[1];
    const matrixPy = asList(asTable(job.parallel)?.matrix).flatMap((m) => versionsOf(asTable(m)?.PYTHON_VERSION ?? asTable(m)?.PYTHON, undefined));
    jobs.push({
      file,
      name,
      line: jobLine,
      steps: [{ lines: scriptLines(script.join("\n"), finder, jobLine), env: envOf(job.variables) }],
      pythons: [...(py ? [py] : []), ...matrixPy],
      env: envOf(doc.variables),
    });
  }
  return jobs;
}

export function readAzurePipelines(text: string, file = "azure-pipelines.yml"): CiJob[] {
  const doc = asTable(parseYaml(text));
  if (!doc) return [];
  const finder = new LineFinder(text);
  const jobs: CiJob[] = [];
  const visitJob = (job: Table, name: string) => {
    const pythons = new Set<string>();
    const matrix = asTable(asTable(job.strategy)?.matrix);
    for (const entry of Object.values(matrix ?? {})) for (const [k, v] of Object.entries(asTable(entry) ?? {})) if (/python/i.test(k)) for (const x of versionsOf(v, undefined)) pythons.add(x);
    const steps: CiStep[] = [];
    for (const s of asList(job.steps)) {
      const step = asTable(s);
      if (!step) continue;
      if (typeof step.task === "string" && /UsePythonVersion/i.test(step.task)) for (const v of versionsOf(asTable(step.inputs)?.versionSpec, undefined)) pythons.add(v);
      const script = step.script ?? step.bash ?? step.pwsh ?? step.powershell;
      const condition = conditionOf(step.condition);
      if (typeof script === "string") steps.push({ lines: scriptLines(script, finder, 0), env: envOf(step.env), ...(condition ? { condition } : {}) });
    }
    jobs.push({ file, name, line: finder.find(`${name}`), steps, pythons: [...pythons], env: envOf(job.variables) });
  };
  const visit = (node: Table, name: string) => {
    if (asList(node.steps).length) visitJob(node, name);
    for (const j of asList(node.jobs)) {
      const t = asTable(j);
      if (t) visit(t, typeof t.job === "string" ? t.job : name);
    }
    for (const st of asList(node.stages)) {
      const t = asTable(st);
      if (t) visit(t, typeof t.stage === "string" ? t.stage : name);
    }
  };
  visit(doc, "pipeline");
  return jobs;
}

export function readCircleCi(text: string, file = ".circleci/config.yml"): CiJob[] {
  const doc = asTable(parseYaml(text));
  if (!doc) return [];
  const finder = new LineFinder(text);
  const jobs: CiJob[] = [];
  for (const [name, value] of Object.entries(asTable(doc.jobs) ?? {})) {
    const job = asTable(value);
    if (!job) continue;
    const jobLine = finder.find(`${name}:`);
    const pythons = asList(job.docker).flatMap((d) => {
      const image = asTable(d)?.image;
      const m = typeof image === "string" ? /python:(\d+\.\d+)/.exec(image) : undefined;
      return m ? [m[1]!] : [];
    });
    const steps: CiStep[] = [];
    for (const s of asList(job.steps)) {
      const step = asTable(s);
      const run = step?.run;
      const command = typeof run === "string" ? run : typeof asTable(run)?.command === "string" ? (asTable(run)!.command as string) : undefined;
      if (command) steps.push({ lines: scriptLines(command, finder, jobLine), env: envOf(asTable(run)?.environment) });
    }
    jobs.push({ file, name, line: jobLine, steps, pythons, env: envOf(job.environment) });
  }
  return jobs;
}

/** Travis CI: one job of before_install/install/before_script/script lines, its `python:` versions. */
export function readTravis(text: string, file = ".travis.yml"): CiJob[] {
  const doc = asTable(parseYaml(text));
  if (!doc) return [];
  const finder = new LineFinder(text);
  const lines = (key: string) => asList(doc[key]).filter((l): l is string => typeof l === "string");
  const pythons = new Set(versionsOf(doc.python, undefined));
  for (const inc of [...asList(asTable(doc.matrix)?.include), ...asList(asTable(doc.jobs)?.include)]) for (const v of versionsOf(asTable(inc)?.python, undefined)) pythons.add(v);
  const script = [...lines("before_install"), ...lines("install"), ...lines("before_script"), ...lines("script")];
  if (!script.length) return [];
  return [{ file, name: "travis", line: finder.find("script:"), steps: [{ lines: scriptLines(script.join("\n"), finder, 0), env: {} }], pythons: fixFloatVersions(text, [...pythons]), env: {} }];
}
