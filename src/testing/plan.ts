/**
 * The test route, planned as pure data: every way the project's own files say its tests
 * run, each with its evidence, in this order of authority:
 *
 *   1. `.dhtconfig` `test:`           (the user's word)
 *   2. tox                            (tox.ini, setup.cfg [tox:tox], [tool.tox], tox.toml)
 *   3. nox                            (noxfile.py, read statically)
 *   4. task runners                   (Makefile, Justfile, taskipy, pdm, poe, Pipfile, Hatch, scripts/test)
 *   5. CI workflows                   (GitHub Actions, GitLab CI, Azure Pipelines, CircleCI)
 *   6. framework conventions          (Django, a runtests.py, pytest, nose2, behave, unittest)
 *
 * A route's commands are classified (commands.ts): test commands become its suites, install
 * commands its needs, hand-overs (`tox -e py311`, `make test`, `nox -s tests`) are followed.
 * The first route with a suite is chosen unless `--route` / `test.route` names another.
 */
import { classify, pytestPluginsFor, type Classified, type NeedDraft } from "./commands.ts";
import { shellWords, splitSegments } from "./shell-words.ts";
import { readAzurePipelines, readCircleCi, readGithubWorkflow, readGitlabCi, readTravis, type CiJob } from "./readers/ci.ts";
import { readBehave, readDjango, readNose2Config, readPytestConfig, readRunTestsScript, runsNoTestsAsProgram, testImports, testStyle, unittestStart, type PytestConfig } from "./readers/conventions.ts";
import { readNoxfile, type NoxSession } from "./readers/nox.ts";
import { TEST_TASK_NAMES, readHatchTomlTasks, readInvokeTasks, readJustfile, readMakefile, readPipfileScripts, readPyprojectTasks, readShellScript, type Task, type TaskLine } from "./readers/tasks.ts";
import { minorOfFactor, substituteToxText, readSetupCfgTox, readToxIni, readToxToml, substituteToxWords, toxEnv, toxEnvNames, type ToxConfig, type ToxEnv } from "./readers/tox.ts";
import type { Evidence, ProjectFiles, PythonSignal, RouteCommand, RouteNeed, TestRoute } from "./types.ts";
import { formatEvidence } from "./types.ts";

type Table = Record<string, unknown>;

export interface RoutePlanInput {
  files: ProjectFiles;
  /** pyproject.toml parsed (undefined when absent). */
  pyproject?: Table;
  /** `.dhtconfig` test: */
  config?: { command?: string; runner?: string; route?: string };
  /** The chosen Python's minor ("3.11"), so a tox env or CI job of that version is preferred. */
  pythonMinor?: string;
  /** What the project declares: its extras (name → requirement texts), groups, and requirement names. */
  declared: { name?: string; extras: Record<string, string[]>; groups: string[]; requirementNames: string[] };
  env: Record<string, string | undefined>;
  /** Absolute environment root (tox's {toxinidir}). */
  root: string;
}

export interface RoutePlan {
  routes: TestRoute[];
  chosen?: TestRoute;
  /** Why the chosen route is the one (or why there is none). */
  why: string;
  signals: PythonSignal[];
  warnings: string[];
}

// ------------------------------------------------------------------ sources

interface Sources {
  tox?: ToxConfig;
  nox?: { file: string; sessions: NoxSession[]; defaults?: string[] };
  tasks: Task[];
  makeDefault?: string;
  ci: CiJob[];
  pytest?: PytestConfig;
  warnings: string[];
}

function parseToml(text: string | undefined): Table | undefined {
  if (text === undefined) return undefined;
  try {
    return Bun.TOML.parse(text) as Table;
  } catch {
    return undefined;
  }
}

function readSources(input: RoutePlanInput): Sources {
  const f = input.files.files;
  const warnings: string[] = [];
  const guard = <T>(file: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      warnings.push(`${file}: could not be read for the test route (${(error as Error).message})`);
      return undefined;
    }
  };
  let tox: ToxConfig | undefined;
  if (f.has("tox.ini")) tox = guard("tox.ini", () => readToxIni(f.get("tox.ini")!));
  if (!hasToxEnvs(tox) && f.has("setup.cfg")) tox = guard("setup.cfg", () => readSetupCfgTox(f.get("setup.cfg")!)) ?? tox;
  if (!hasToxEnvs(tox) && input.pyproject) tox = guard("pyproject.toml", () => readToxToml(input.pyproject!, f.get("pyproject.toml") ?? "", "pyproject.toml", "tool.tox")) ?? tox;
  if (!hasToxEnvs(tox) && f.has("tox.toml")) {
    const data = parseToml(f.get("tox.toml"));
    if (data) tox = guard("tox.toml", () => readToxToml(data, f.get("tox.toml")!, "tox.toml", "")) ?? tox;
  }
  if (!hasToxEnvs(tox)) tox = undefined;

  const noxText = f.get("noxfile.py");
  const nox = noxText !== undefined ? guard("noxfile.py", () => ({ file: "noxfile.py", ...readNoxfile(noxText) })) : undefined;

  const tasks: Task[] = [];
  let makeDefault: string | undefined;
  for (const name of ["Makefile", "makefile", "GNUmakefile"]) {
    const text = f.get(name);
    if (text === undefined) continue;
    const m = guard(name, () => readMakefile(text, name));
    if (m) {
      tasks.push(...m.tasks.values());
      makeDefault = m.defaultTarget;
    }
    break;
  }
  for (const name of ["justfile", "Justfile", ".justfile"]) {
    const text = f.get(name);
    if (text !== undefined) {
      tasks.push(...(guard(name, () => [...readJustfile(text, name).values()]) ?? []));
      break;
    }
  }
  if (input.pyproject) tasks.push(...(guard("pyproject.toml", () => readPyprojectTasks(input.pyproject!, f.get("pyproject.toml") ?? "")) ?? []));
  const hatchToml = parseToml(f.get("hatch.toml"));
  if (hatchToml) tasks.push(...(guard("hatch.toml", () => readHatchTomlTasks(hatchToml, f.get("hatch.toml")!)) ?? []));
  const invokeTasks = f.get("tasks.py");
  if (invokeTasks !== undefined) tasks.push(...(guard("tasks.py", () => readInvokeTasks(invokeTasks, "tasks.py")) ?? []));
  const pipfile = parseToml(f.get("Pipfile"));
  if (pipfile) tasks.push(...(guard("Pipfile", () => readPipfileScripts(pipfile, f.get("Pipfile")!)) ?? []));
  for (const [path, text] of f) if (/^(scripts?|bin|ci|tools)\/(run[-_]?)?tests?(\.sh)?$/.test(path)) tasks.push(readShellScript(text, path));

  const ci: CiJob[] = [];
  for (const [path, text] of f) {
    if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) ci.push(...readGithubWorkflow(text, path));
    else if (path === ".gitlab-ci.yml") ci.push(...readGitlabCi(text, path));
    else if (/^(azure-pipelines\.ya?ml|\.azure-pipelines\/[^/]+\.ya?ml|\.ci\/azure-pipelines\.ya?ml)$/.test(path)) ci.push(...readAzurePipelines(text, path));
    else if (path === ".circleci/config.yml") ci.push(...readCircleCi(text, path));
    else if (path === ".travis.yml") ci.push(...readTravis(text, path));
  }
  const pytest = readPytestConfig(input.files, input.pyproject);
  return { ...(tox ? { tox } : {}), ...(nox ? { nox } : {}), tasks, ...(makeDefault ? { makeDefault } : {}), ci, ...(pytest ? { pytest } : {}), warnings };
}

function hasToxEnvs(cfg: ToxConfig | undefined): boolean {
  return Boolean(cfg && (cfg.envlist.length || [...cfg.sections.keys()].length));
}

// ------------------------------------------------------------------ building routes

const NOT_TESTS = /(^|[-_:])(lint|flake8|pylint|mypy|pyright|typing|types?|typecheck|docs?|sphinx|style|format|fmt|black|isort|ruff|pre-?commit|coverage|cov-?report|report|clean|build|release|publish|package|packaging|check-?manifest|readme|spell|bandit|safety|audit|bench(mark)?s?|docstrings?|mkdocs|changelog|towncrier|manifest|twine|dist|upgrade|update|deps|install|venv|dev|shell|serve)($|[-_:])/i;

/**
 * Whether a tox env, nox session, task or CI job is named for something other than the tests.
 * Measuring coverage is still running them: a name with a test word whose only other such
 * word is about coverage (`test:with-coverage`, `tests-cov`) names the tests; a bare
 * `coverage` env (which usually combines reports) does not.
 */
export function namedNotTests(name: string): boolean {
  if (!NOT_TESTS.test(name)) return false;
  if (!/(^|[-_:])(tests?|unit|unittests?|pytest)($|[-_:])/i.test(name)) return true;
  return NOT_TESTS.test(name.replace(/(^|[-_:])(with[-_])?(coverage|cov)(?=$|[-_:])/gi, "$1"));
}

interface Builder {
  needs: RouteNeed[];
  pre: RouteCommand[];
  suites: RouteCommand[];
  env: Record<string, string>;
  unread: string[];
  skipped: string[];
  evidence: Evidence[];
}

const newBuilder = (): Builder => ({ needs: [], pre: [], suites: [], env: {}, unread: [], skipped: [], evidence: [] });

const toNeed = (d: NeedDraft, evidence: Evidence): RouteNeed => ({ ...d, evidence }) as RouteNeed;

class RouteBuilder {
  private depth = 0;
  constructor(
    private readonly src: Sources,
    private readonly input: RoutePlanInput,
  ) {}

  /** Classify the segments of one command line into the builder. */
  line(b: Builder, text: string, evidence: Evidence, opts: { cwd?: string; pre?: boolean } = {}): void {
    let cwd = opts.cwd;
    for (const seg of splitSegments(text)) {
      const c = classify(seg.words);
      this.take(b, c, seg.words, evidence, { ...opts, cwd, shell: seg.needsShell });
      if (c.kind === "cd") cwd = joinRel(cwd, c.dir);
    }
  }

  take(b: Builder, c: Classified, words: string[], evidence: Evidence, opts: { cwd?: string; pre?: boolean; shell?: boolean; posargs?: { index: number; default: string[] }; ignoreExit?: boolean }): void {
    if (c.kind === "test") {
      const script = c.runner === "script" && /\.py$/.test(c.argv[1] ?? "") ? joinRel(opts.cwd, c.argv[1]!) : undefined;
      if (script && runsNoTestsAsProgram(this.input.files.files.get(script))) {
        // `coverage run tests.py` of a module with no __main__ block ran nothing, whatever CI says.
        b.skipped.push(`${c.argv.join(" ")} (${formatEvidence(evidence)}: ${script} has no __main__ block, so run as a program it defines its tests and runs none)`);
        return;
      }
      for (const n of c.needs) b.needs.push(toNeed(n, evidence));
      const cmd: RouteCommand = {
        argv: c.argv,
        runner: c.runner,
        evidence,
        ...(opts.shell ? { shell: true } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(Object.keys(c.env).length ? { env: c.env } : {}),
        ...(opts.posargs ? { posargs: { index: Math.max(0, opts.posargs.index - (words.length - c.argv.length)), default: opts.posargs.default } } : {}),
        ...(opts.ignoreExit ? { ignoreExit: true } : {}),
      };
      (opts.pre ? b.pre : b.suites).push(cmd);
      return;
    }
    if (c.kind === "install") {
      for (const n of c.needs) b.needs.push(toNeed(n, evidence));
      b.unread.push(...c.unread.map((u) => `${u} (${formatEvidence(evidence)})`));
      return;
    }
    if (c.kind === "env") {
      Object.assign(b.env, c.env);
      return;
    }
    if (c.kind === "delegate") {
      for (const n of c.needs) b.needs.push(toNeed(n, evidence));
      if (this.depth > 4) return;
      this.depth++;
      try {
        const inner = this.delegate(c, evidence);
        if (inner) merge(b, inner, opts.cwd);
        else b.skipped.push(`${words.join(" ")} (${formatEvidence(evidence)}: nothing found to follow)`);
      } finally {
        this.depth--;
      }
      return;
    }
    if (c.kind === "other" && c.argv.length) {
      // Django's preparation commands are part of the route; other programs are reported.
      if (c.argv[0] === "python" && /manage\.py$/.test(c.argv[1] ?? "") && /^(migrate|collectstatic|compilemessages|check)$/.test(c.argv[2] ?? "")) {
        b.pre.push({ argv: c.argv, runner: "other", evidence, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
        return;
      }
      b.skipped.push(`${c.argv.join(" ")} (${formatEvidence(evidence)})`);
    }
  }

  private delegate(c: Extract<Classified, { kind: "delegate" }>, evidence: Evidence): Builder | undefined {
    switch (c.tool) {
      case "tox": {
        if (!this.src.tox) return undefined;
        const wanted = c.target?.split(",").map((e) => e.trim()).filter(Boolean);
        const mapped = wanted?.length ? undefined : ciMappedEnvs(this.src.tox, this.input.pythonMinor);
        const all = mapped && mapped.length > 1 ? this.fromToxEnvs(this.src.tox, mapped) : undefined;
        if (all) return all;
        const env = chooseToxEnv(this.src.tox, this.input.pythonMinor, wanted);
        return env ? this.fromToxEnv(this.src.tox, env) : undefined;
      }
      case "nox": {
        const session = this.src.nox && chooseNoxSession(this.src.nox, c.target);
        return session ? this.fromNoxSession(session) : undefined;
      }
      case "make":
      case "just":
      case "taskipy":
      case "poe":
      case "pdm":
      case "pipenv":
      case "invoke":
      case "hatch-run": {
        const runner = c.tool === "hatch-run" ? "hatch" : c.tool;
        const target = c.tool === "make" ? (c.target ?? this.src.makeDefault) : c.target;
        if (!target) return undefined;
        const [envName, script] = runner === "hatch" && target.includes(":") ? target.split(":", 2) : ["default", target];
        // Invoke names `unit_tests` `unit-tests`, and accepts either spelling.
        const taskName = runner === "invoke" ? script!.replace(/_/g, "-") : script;
        const task = this.src.tasks.find((t) => t.runner === runner && t.name === taskName && (runner !== "hatch" || t.hatchEnv === envName));
        if (!task) {
          // `hatch run pytest`, `pdm run pytest`: not a script, a plain command.
          if (runner === "hatch" || runner === "pdm" || runner === "pipenv") {
            const b = newBuilder();
            this.take(b, classify([target!, ...c.args]), [target!, ...c.args], evidence, {});
            if (runner === "hatch" && envName !== "default") b.needs.push({ kind: "group", name: envName!, evidence });
            return b.suites.length ? b : undefined;
          }
          return undefined;
        }
        // A just recipe's words are its parameters and make's are targets or variables, not arguments.
        return this.fromTask(task, runner === "just" || runner === "make" ? [] : c.args);
      }
      case "hatch-test":
        return this.fromHatchTest(c.args, evidence);
      case "script": {
        const text = this.input.files.files.get(c.target ?? "");
        return text !== undefined ? this.fromTask(readShellScript(text, c.target!), c.args) : undefined;
      }
    }
  }

  fromToxEnv(cfg: ToxConfig, env: ToxEnv): Builder {
    const b = newBuilder();
    const ev = (line: number, key: string): Evidence => ({ file: cfg.file, line, what: `${env.sectionName} ${key}` });
    b.evidence.push({ file: cfg.file, line: env.sectionLine, what: `${env.sectionName} (env ${env.name})` });
    for (const dep of env.deps) {
      // Each line is one requirement (`coverage >= 3.3`, spaces and all) or pip options (`-r file`).
      const text = dep.text.replace(/\s+#.*$/, "").trim();
      const words = text.startsWith("-")
        ? substituteToxWords(text, { toxinidir: ".", env: this.input.env }).words.map((w) => w.replace(/^\.\/(?=.)/, ""))
        : [substituteToxText(text, { toxinidir: ".", env: this.input.env })];
      this.take(b, classify(["pip", "install", ...words]), words, ev(dep.line, "deps"), {});
    }
    for (const e of env.extras) b.needs.push({ kind: "extra", name: e.text, evidence: ev(e.line, "extras") });
    for (const g of env.dependencyGroups) b.needs.push({ kind: "group", name: g.text, evidence: ev(g.line, "dependency_groups") });
    for (const [k, v] of Object.entries(env.setenv)) b.env[k] = substituteToxWords(v.text, { toxinidir: this.input.root, env: this.input.env }).words.join(" ");
    const cwd = env.changedir ? relTox(env.changedir.text) : undefined;
    // With a changedir, `{toxinidir}` must still name the project root, not ".", which would
    // be the changedir (`changedir = .tox` + `{tox_root}/tests`).
    const toxinidir = cwd && cwd !== "." ? this.input.root : ".";
    for (const [list, pre] of [[env.commandsPre, true], [env.commands, false]] as const) {
      for (const cmd of list) {
        const ignoreExit = cmd.text.startsWith("- ") || cmd.text.startsWith("-");
        const text = cmd.text.replace(/^-\s*/, "");
        const { words, posargs } = substituteToxWords(text, { toxinidir, env: this.input.env });
        this.take(b, classify(words), words, ev(cmd.line, pre ? "commands_pre" : "commands"), { ...(cwd ? { cwd } : {}), pre, ...(posargs ? { posargs } : {}), ...(ignoreExit ? { ignoreExit } : {}) });
      }
    }
    // tox filters the caller's environment for its commands (pass_env): so does dhtl test.
    b.pre = b.pre.map((c) => ({ ...c, passEnv: env.passEnv }));
    b.suites = b.suites.map((c) => ({ ...c, passEnv: env.passEnv }));
    return b;
  }

  /**
   * Several tox envs run one after another (a bare `tox` under tox-gh-actions runs every env
   * mapped to the job's Python): each env's suites carry that env's setenv, so variants that
   * differ only in their variables (`disable-extensions: WRAPT_DISABLE_EXTENSIONS = true`) are
   * separate suites, not one.
   */
  fromToxEnvs(cfg: ToxConfig, envs: ToxEnv[]): Builder | undefined {
    const built = envs.map((env) => this.fromToxEnv(cfg, env));
    // One environment holds one set of packages: envs that install different things
    // (py311-django42, py311-django50) cannot share it: then one env is chosen as usual.
    const needsKey = (x: Builder) => JSON.stringify(dedupeNeeds(x.needs).map((n) => ({ ...n, evidence: undefined })));
    if (built.some((x) => needsKey(x) !== needsKey(built[0]!))) return undefined;
    const b = newBuilder();
    for (const one of built) {
      const withEnv = (c: RouteCommand): RouteCommand => (Object.keys(one.env).length ? { ...c, env: { ...one.env, ...(c.env ?? {}) } } : c);
      merge(b, { ...one, env: {}, pre: one.pre.map(withEnv), suites: one.suites.map(withEnv) });
    }
    return b;
  }

  fromNoxSession(session: NoxSession): Builder {
    const b = newBuilder();
    const file = this.src.nox!.file;
    b.evidence.push({ file, line: session.line, what: `session ${session.name}` });
    for (const call of session.installs) {
      const ev: Evidence = { file, line: call.line, what: `session ${session.name} install` };
      const words = /^(uv|pip|python)$/.test(call.args[0] ?? "") ? call.args : ["pip", "install", ...call.args];
      this.take(b, classify(words), words, ev, {});
      b.unread.push(...call.unread.map((u) => `${u} (${file}:${call.line})`));
    }
    for (const call of session.runs) {
      const ev: Evidence = { file, line: call.line, what: `session ${session.name} run` };
      Object.assign(b.env, call.env);
      const posargs = call.posargsIndex !== undefined ? { index: call.posargsIndex, default: [] } : undefined;
      this.take(b, classify(call.args), call.args, ev, posargs ? { posargs } : {});
      // An argument the reader could not resolve is said, not silently dropped.
      b.unread.push(...call.unread.map((u) => `${u} (${file}:${call.line}, an argument of session.run)`));
    }
    return b;
  }

  /**
   * A task's lines. `args` are the words the caller wrote after the task's name (`hatch run
   * test:default --color=yes`, `scripts/test -x`): they stand where the task takes its
   * arguments (`{args}`, `$@`), in place of its default; a one-command script of pdm, poe,
   * taskipy or Hatch without such a place gets them at its end, as those tools append them.
   */
  fromTask(task: Task, args: string[] = []): Builder {
    const b = newBuilder();
    const what = task.runner === "make" ? `target ${task.name}` : task.runner === "just" ? `recipe ${task.name}` : task.runner === "script" ? "script" : `${task.runner} task ${task.name}`;
    b.evidence.push({ file: task.file, line: task.line, what });
    Object.assign(b.env, task.env);
    if (task.hatchEnv && task.hatchEnv !== "default") b.needs.push({ kind: "group", name: task.hatchEnv, evidence: { file: task.file, line: task.line, what: `hatch env ${task.hatchEnv}` } });
    if (task.opaque) return this.fromOpaqueTask(b, task, what);
    const argsPlace = new RegExp(ARGS_PLACE.source, "g");
    const appendsArgs = args.length > 0 && task.lines.length === 1 && APPENDS_ARGS.has(task.runner) && !ARGS_PLACE.test(task.lines[0]!.text);
    for (const l of task.lines) {
      // What runs without arguments: Hatch's `{args:default}`, a just recipe's `*args="default"`.
      let dflt: string[] | undefined;
      const posargsText = `${l.text}${appendsArgs ? " {args}" : ""}`.replace(argsPlace, (m: string, hatchDefault?: string) => {
        dflt = args.length ? args : hatchDefault !== undefined ? shellWords(hatchDefault) : m === "\u0000ARGS\u0000" && task.argsDefault ? shellWords(task.argsDefault) : dflt;
        return " \u0001 ";
      });
      const ev: Evidence = { file: task.file, line: l.line, what };
      this.lineWithArgs(b, posargsText, ev, dflt ?? []);
    }
    return b;
  }

  /**
   * An Invoke task whose body cannot be read to the end (it hands its context to an imported
   * helper, or builds its command at run time): only Invoke knows what it runs, with which
   * options, under a pty or not, so the route runs the task itself. The lines that could be
   * read still say what it needs (`c.run("pytest --cov")` → pytest-cov). Unread, only its
   * name says it runs tests: CI's `inv regression` (a shell loop of `parallel`) is no suite.
   */
  private fromOpaqueTask(b: Builder, task: Task, what: string): Builder {
    const evidence: Evidence = { file: task.file, line: task.line, what };
    if (testTaskRank(task.name) < 0) {
      b.skipped.push(`invoke ${task.name} (${formatEvidence(evidence)}: not named as a test task, and what it runs cannot be read: ${task.opaque})`);
      return b;
    }
    for (const l of task.lines) this.line(newBuilderInto(b), l.text, { file: task.file, line: l.line, what });
    b.needs.push({ kind: "requirement", text: "invoke", evidence });
    b.suites.push({ argv: ["python", "-m", "invoke", task.name], runner: "script", evidence });
    return b;
  }

  /** A task line where `\u0001` marks where the user's arguments go (`{args}`, `$@`), `dflt` what goes there without any. */
  private lineWithArgs(b: Builder, text: string, evidence: Evidence, dflt: string[] = []): void {
    let cwd: string | undefined;
    for (const seg of splitSegments(text)) {
      const at = seg.words.indexOf("\u0001");
      const words = seg.words.filter((w) => w !== "\u0001");
      const c = classify(words);
      this.take(b, c, words, evidence, { ...(cwd ? { cwd } : {}), shell: seg.needsShell, ...(at >= 0 ? { posargs: { index: at, default: dflt } } : {}) });
      if (c.kind === "cd") cwd = joinRel(cwd, c.dir);
    }
  }

  /** `hatch test`: pytest in the hatch-test environment (its extra dependencies, or Hatch's defaults). */
  fromHatchTest(args: string[], evidence: Evidence): Builder {
    const b = newBuilder();
    const hatchTest = this.input.declared.groups.find((g) => g === "hatch-test" || g === "hatch:hatch-test");
    if (hatchTest) b.needs.push({ kind: "group", name: hatchTest, evidence });
    // Hatch's own test environment always has these (hatch's src/hatch/env/internal/test.py).
    for (const r of ["pytest", "pytest-mock", "pytest-randomly", "pytest-rerunfailures", "pytest-xdist[psutil]", "coverage[toml]"]) b.needs.push({ kind: "requirement", text: r, evidence: { ...evidence, what: `${evidence.what} (hatch test's default environment)` } });
    b.suites.push({ argv: ["python", "-m", "pytest", ...args], runner: "pytest", evidence });
    return b;
  }
}

/** Where a task line takes its caller's arguments: Hatch's `{args}` / `{args:default}`, a just recipe's variadic, a script's `$@`. */
const ARGS_PLACE = /\{args(?::([^}]*))?\}|\u0000ARGS\u0000|"\$@"|\$@|\$\*/;

/** Runners that append the words after a script's name to its command (no `{args}` needed). */
const APPENDS_ARGS = new Set<Task["runner"]>(["pdm", "poe", "taskipy", "hatch", "pipenv"]);

function merge(into: Builder, from: Builder, cwd?: string): void {
  into.needs.push(...from.needs);
  into.pre.push(...from.pre.map((c) => (cwd && !c.cwd ? { ...c, cwd } : c)));
  into.suites.push(...from.suites.map((c) => (cwd && !c.cwd ? { ...c, cwd } : c)));
  Object.assign(into.env, from.env);
  into.unread.push(...from.unread);
  into.skipped.push(...from.skipped);
  into.evidence.push(...from.evidence);
}

function joinRel(base: string | undefined, dir: string): string | undefined {
  if (dir.startsWith("/") || dir.startsWith("$")) return base;
  const parts = [...(base ? base.split("/") : []), ...dir.split("/")].filter((p) => p && p !== ".");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "..") out.pop();
    else out.push(p);
  }
  return out.length ? out.join("/") : undefined;
}

const relTox = (dir: string) => joinRel(undefined, dir.replace(/\{(toxinidir|tox_root)\}\/?/g, ""));

// ------------------------------------------------------------------ choosing within a tool

const hasTestCommand = (cfg: ToxConfig, env: string) =>
  toxEnv(cfg, env).commands.some((c) => {
    const k = classify(substituteToxWords(c.text.replace(/^-\s*/, ""), { toxinidir: ".", env: {} }).words);
    return k.kind === "test" || (k.kind === "delegate" && k.tool !== "tox");
  });

/** The env names tox-gh(-actions) maps to the chosen Python, else to the newest mapped one. */
function mappedEnvNames(cfg: ToxConfig, pythonMinor: string | undefined): string[] | undefined {
  if (!cfg.ciEnvs) return undefined;
  const keys = [...cfg.ciEnvs.byMinor.keys()].sort((a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1]));
  return (pythonMinor && cfg.ciEnvs.byMinor.get(pythonMinor)) || cfg.ciEnvs.byMinor.get(keys[0]!);
}

/** Every test env tox-gh(-actions) maps to the chosen Python (else to the newest mapped), in the mapping's order. */
export function ciMappedEnvs(cfg: ToxConfig, pythonMinor: string | undefined): ToxEnv[] | undefined {
  const mapped = mappedEnvNames(cfg, pythonMinor);
  // What CI runs, all of it: a factor named like a chore (`install-extensions`) is still a
  // test env when CI maps it; envs without a test command add nothing.
  const names = (mapped ?? []).filter((e) => hasTestCommand(cfg, e));
  return names.length ? names.map((n) => toxEnv(cfg, n)) : undefined;
}

/** The tox env that runs the tests: the one asked for, else one of the chosen Python, else the newest. */
export function chooseToxEnv(cfg: ToxConfig, pythonMinor: string | undefined, wanted?: string[]): ToxEnv | undefined {
  // What CI runs for this Python (tox-gh's [gh] python mapping) comes first.
  if (!wanted?.length && cfg.ciEnvs) {
    const mapped = mappedEnvNames(cfg, pythonMinor);
    const env = mapped?.length ? chooseToxEnv(cfg, pythonMinor, mapped.filter((e) => !namedNotTests(e.replace(/^py\d*-?/, "")))) : undefined;
    if (env && hasTestCommand(cfg, env.name)) return env;
  }
  const names = wanted?.length ? wanted.flatMap((w) => (w === "ALL" || w === "all" ? toxEnvNames(cfg) : [w])) : toxEnvNames(cfg);
  const candidates = names.filter((n) => hasTestCommand(cfg, n) && (wanted?.length || !namedNotTests(n.replace(/^py\d*-?/, ""))));
  if (!candidates.length) {
    // `tox -e py` with no env list, or envs named only by Python: the [testenv] itself.
    if (wanted?.length && cfg.sections.has("")) return toxEnv(cfg, wanted[0]!);
    return undefined;
  }
  const minorOf = (n: string) => n.split("-").map(minorOfFactor).find(Boolean);
  const score = (n: string) => {
    const m = minorOf(n);
    const factors = n.split("-").length;
    return [m && pythonMinor && m === pythonMinor ? 2 : m ? 1 : 0, m ? Number(m.split(".")[1]) : 0, -factors];
  };
  const best = [...candidates].sort((a, b) => {
    const [x, y] = [score(a), score(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
    return 0;
  })[0]!;
  // Keep the list's own order when nothing distinguishes them (the first test env is the main one).
  const plain = candidates.find((n) => score(n).join() === score(best).join());
  return toxEnv(cfg, plain ?? best);
}

const TEST_SESSION = /^(tests?|unit|unittests?|pytest|test[-_]\w+|tests[-_]\w+)$/i;

export function chooseNoxSession(nox: { sessions: NoxSession[]; defaults?: string[] }, target?: string): NoxSession | undefined {
  if (target?.startsWith("tag:")) return nox.sessions.find((s) => s.tags.includes(target.slice(4)));
  if (target) return nox.sessions.find((s) => s.name === target || s.name.split("-")[0] === target);
  const runsTests = (s: NoxSession) => s.runs.some((r) => classify(r.args).kind === "test");
  const named = nox.sessions.filter((s) => TEST_SESSION.test(s.name) && runsTests(s));
  const defaults = nox.sessions.filter((s) => nox.defaults?.includes(s.name) && runsTests(s));
  return named[0] ?? defaults[0] ?? nox.sessions.find((s) => runsTests(s) && !namedNotTests(s.name));
}

const testTaskRank = (name: string) => {
  const i = TEST_TASK_NAMES.indexOf(name.toLowerCase());
  return i >= 0 ? i : /^test/i.test(name) && !namedNotTests(name) ? TEST_TASK_NAMES.length : -1;
};

/** How much a CI job looks like the one that runs this project's tests (higher first). */
function ciJobRank(job: CiJob): number {
  let rank = 0;
  if (/^(tests?|unit|unit-?tests?|pytest|ci|build|main|check)$/i.test(job.name)) rank += 4;
  else if (/test|pytest|unit/i.test(job.name)) rank += 2;
  if (/(^|\/)(tests?|ci|main|build|python|pytest|unit)[^/]*\.ya?ml$/i.test(job.file)) rank += 1;
  // A job that clones another repository tests someone else's code (a downstream check).
  if (job.steps.some((s) => s.lines.some((l) => /\bgit clone\b/.test(l.text)))) rank -= 6;
  // A workflow run only nightly, by hand, on release or on side branches is not the check
  // every change passes (python-slugify's ci.yml on pushes to ci/staging, beside main.yml on PRs).
  if (job.gatesChanges === false) rank -= 3;
  // Travis CI stopped running open-source builds in 2021: a .travis.yml today is usually stale.
  if (job.file === ".travis.yml") rank -= 8;
  if (namedNotTests(job.name)) rank -= 3;
  return rank;
}

// ------------------------------------------------------------------ the plan

export function planTestRoutes(input: RoutePlanInput): RoutePlan {
  const src = readSources(input);
  const rb = new RouteBuilder(src, input);
  const routes: TestRoute[] = [];
  const finish = (name: string, source: TestRoute["source"], summary: string, b: Builder): void => {
    if (!b.suites.length) return;
    addPytestConfigNeeds(b, src.pytest);
    routes.push({
      name,
      source,
      summary,
      evidence: b.evidence,
      needs: dedupeNeeds(b.needs),
      pre: dedupeCommands(b.pre),
      suites: dedupeCommands(b.suites),
      env: b.env,
      unread: [...new Set(b.unread)],
      skipped: [...new Set(b.skipped)],
    });
  };

  // 1. .dhtconfig test:
  const cfg = input.config;
  if (cfg?.command) {
    const b = newBuilder();
    const runner = classify(splitSegments(cfg.command)[0]?.words ?? []);
    b.suites.push({ argv: [], line: cfg.command, shell: true, runner: runner.kind === "test" ? runner.runner : "other", evidence: { file: ".dhtconfig", what: "test.command" } });
    b.evidence.push({ file: ".dhtconfig", what: "test.command" });
    // What the command runs still tells what it needs.
    rb.line(newBuilderInto(b), cfg.command, { file: ".dhtconfig", what: "test.command" });
    finish("config", "config", "test.command in .dhtconfig", b);
  } else if (cfg?.runner && cfg.runner !== "auto" && cfg.runner !== "tox" && cfg.runner !== "nox") {
    const b = newBuilder();
    const ev: Evidence = { file: ".dhtconfig", what: `test.runner: ${cfg.runner}` };
    b.evidence.push(ev);
    rb.take(b, classify(runnerWords(cfg.runner)), runnerWords(cfg.runner), ev, {});
    finish("config", "config", `test.runner: ${cfg.runner} in .dhtconfig`, b);
  }

  // 2. tox
  if (src.tox && cfg?.runner !== "nox") {
    const env = chooseToxEnv(src.tox, input.pythonMinor);
    if (env) finish(`tox:${env.name}`, "tox", `${src.tox.file} env ${env.name} runs the tests`, rb.fromToxEnv(src.tox, env));
  }
  // 3. nox
  if (src.nox) {
    const session = chooseNoxSession(src.nox);
    if (session) finish(`nox:${session.name}`, "nox", `noxfile.py session ${session.name} runs the tests`, rb.fromNoxSession(session));
  }
  // 4. task runners: the best-named test task of each runner.
  const byRunner = new Map<string, Task>();
  for (const t of src.tasks) {
    const rank = testTaskRank(t.name);
    if (rank < 0) continue;
    const key = t.runner === "hatch" ? "hatch" : t.runner;
    const prev = byRunner.get(key);
    if (!prev || rank < testTaskRank(prev.name) || (rank === testTaskRank(prev.name) && t.runner === "hatch" && t.hatchEnv === "default")) byRunner.set(key, t);
  }
  for (const runner of ["make", "just", "invoke", "taskipy", "poe", "pdm", "hatch", "pipenv", "script"]) {
    const task = byRunner.get(runner);
    if (task) finish(`${runner}:${task.name}`, "task", `${task.file} ${runner === "make" ? "target" : "task"} ${task.name} runs the tests`, rb.fromTask(task));
  }
  // `hatch test` is a route of its own when Hatch configures a test environment.
  if (input.declared.groups.some((g) => g === "hatch-test" || g === "hatch:hatch-test")) {
    finish("hatch-test", "task", "pyproject.toml [tool.hatch.envs.hatch-test]: hatch test", rb.fromHatchTest([], { file: "pyproject.toml", what: "[tool.hatch.envs.hatch-test]" }));
  }
  // 5. CI: the first job (test-named first) with a step that runs tests.
  const jobs = [...src.ci].sort((a, b) => ciJobRank(b) - ciJobRank(a));
  for (const job of jobs) {
    const b = ciJobRoute(rb, job);
    if (b?.suites.length) {
      finish(`ci:${job.name}`, "ci", `${job.file} job ${job.name} runs the tests`, b);
      break;
    }
  }
  // 6. conventions
  for (const r of conventionRoutes(input, src, rb)) finish(r.name, "convention", r.summary, r.builder);

  // CI is what the project really runs on every change. When everything a CI job installs
  // could be read, its route comes first: run by CI itself, it outranks a tox env, nox session
  // or task CI never calls (those files are often stale: a tox.ini still listing py27); run
  // through them (`tox -e py`, `make test`), it is that route plus what CI installs before
  // (`uv sync --all-extras`, `pip install -e .[test]`).
  const ci = routes.find((r) => r.source === "ci");
  let ciFirst = false;
  // (Not Travis CI's: a .travis.yml today is usually left over from before GitHub Actions.)
  if (ci && !ci.unread.length && !ci.evidence.some((e) => e.file === ".travis.yml")) {
    const first = routes.findIndex((r) => r.source !== "config");
    const at = routes.indexOf(ci);
    if (first >= 0 && at > first) {
      routes.splice(at, 1);
      routes.splice(first, 0, ci);
      ciFirst = true;
    }
  }
  const wanted = cfg?.route;
  const chosen = wanted ? routes.find((r) => r.name === wanted || r.name.split(":")[0] === wanted) : routes[0];
  const why = wanted
    ? chosen
      ? `test.route / --route names ${wanted}`
      : `no route named ${wanted}; the routes found are ${routes.map((r) => r.name).join(", ") || "none"}`
    : chosen
      ? `${chosen.summary} (${
          chosen.source === "convention"
            ? "a convention: no tox, nox, task runner or CI route runs tests"
            : ciFirst && chosen === ci
              ? chosen.suites.every((x) => isCiFile(x.evidence.file))
                ? "CI runs the tests itself, not through the tox, nox or task route also found, so CI's way is the one in use"
                : "CI runs the tests through the route named in its evidence, after installing what it lists: what CI does comes first"
              : "the first of: .dhtconfig, tox, nox, task runners, CI, conventions"
        })`
      : "the project's files name no way to run its tests, and no test files were found";
  return { routes, ...(chosen ? { chosen } : {}), why, signals: pythonSignals(input, src), warnings: src.warnings };
}

const isCiFile = (file: string) => /^(\.github\/workflows\/|\.gitlab-ci\.yml$|azure-pipelines|\.azure-pipelines\/|\.circleci\/|\.travis\.yml$)/.test(file);

/** A builder whose suites are discarded (only needs are kept): for reading what a shell command needs. */
function newBuilderInto(b: Builder): Builder {
  return { ...newBuilder(), needs: b.needs, env: b.env, unread: b.unread, evidence: [] };
}

const runnerWords = (runner: string): string[] => (runner === "unittest" ? ["python", "-m", "unittest", "discover"] : runner === "nose2" ? ["python", "-m", "nose2"] : runner === "django" ? ["python", "manage.py", "test"] : [runner]);

function ciJobRoute(rb: RouteBuilder, job: CiJob): Builder | undefined {
  const b = newBuilder();
  Object.assign(b.env, stripExpressions(job.env));
  b.evidence.push({ file: job.file, line: job.line, what: `job ${job.name}` });
  let found = false;
  // A job often type-checks or lints through the same tool before it tests (`tox -e
  // py-mypy`, then `tox -e py-tests`): a step that reaches tests only through such an env is
  // kept aside while a later step runs a real test env, and used only if none does.
  let aside: { suites: RouteCommand[]; pre: RouteCommand[]; needs: RouteNeed[]; what: string } | undefined;
  // The condition of the step that ran the tests: later steps under it run in the same CI run.
  let testedUnder: string | undefined;
  job.steps.forEach((step, i) => {
    if (found) {
      if (step.condition === testedUnder) laterTestStep(rb, b, job, step, i);
      return;
    }
    for (const l of step.lines) {
      const before = { suites: b.suites.length, pre: b.pre.length, needs: b.needs.length };
      const env = stripExpressions(step.env);
      Object.assign(b.env, env);
      const text = ciLineText(l.text, job);
      rb.line(b, text, { file: job.file, line: l.line, what: `job ${job.name}, step ${i + 1}` }, step.cwd ? { cwd: step.cwd } : {});
      if (b.suites.length === before.suites) continue;
      const target = nonTestTarget(text);
      if (!target) {
        found = true;
        testedUnder = step.condition;
        continue;
      }
      const taken = { suites: b.suites.splice(before.suites), pre: b.pre.splice(before.pre), needs: b.needs.splice(before.needs), what: `${target} (${job.file}:${l.line})` };
      if (!aside) aside = taken;
      b.skipped.push(`${l.text.trim()} (${job.file}:${l.line}: ${target} is not the job's test env)`);
    }
  });
  if (!found && aside) {
    b.suites.push(...aside.suites);
    b.pre.push(...aside.pre);
    b.needs.push(...aside.needs);
    b.skipped = b.skipped.filter((s) => !s.includes(aside!.what.replace(/ \(.*$/, "")));
    found = true;
  }
  return found ? b : undefined;
}

/**
 * A CI line with its expressions resolved as far as they can be outside the CI run.
 * `${{ matrix.x }}` takes the matrix's first value (`-e .${{ matrix.extras }}` with extras
 * ["[trio]"] is `-e .[trio]`); any other expression has no value outside the CI run: it makes
 * the word unreadable, not a package. A tox env named by the matrix (`tox -e ${{
 * matrix.tox_env }}`) is one of its values: all of them are offered, and the tox env of the
 * chosen Python is taken among them.
 */
function ciLineText(text: string, job: CiJob): string {
  return text
    .replace(/(\s(?:-e|--env)(?:\s+|=))\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g, (m, flag: string, k: string) => (job.matrixAxes?.[k] ? `${flag}${job.matrixAxes[k]!.join(",")}` : m))
    .replace(/\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g, (m, k: string) => job.matrixAxes?.[k]?.[0] ?? m)
    .replace(/\$\{\{[\s\S]*?\}\}/g, "$CI_EXPRESSION"); // `${{ format('py{0}', matrix.python) }}` holds braces
}

/**
 * A step after the one that ran the tests, under the same condition: its tests are the job's
 * too (msgpack's `pytest -v test`, then `MSGPACK_PUREPYTHON=1 pytest -v test` for the
 * pure-Python fallback). Only its suites and what they need (the step's installs included)
 * are taken: what else it does (`python -m build`, an upload) is not the tests'. A step under
 * another condition (`if: contains(matrix.py, 't')`, the free-threading runs) may not run in
 * the CI run this route stands for, and a lint/type env reached through a test command is not
 * a test.
 */
function laterTestStep(rb: RouteBuilder, b: Builder, job: CiJob, step: CiJob["steps"][number], i: number): void {
  const scratch = newBuilder();
  for (const l of step.lines) {
    const text = ciLineText(l.text, job);
    if (nonTestTarget(text)) continue;
    rb.line(scratch, text, { file: job.file, line: l.line, what: `job ${job.name}, step ${i + 1}` }, step.cwd ? { cwd: step.cwd } : {});
  }
  if (!scratch.suites.length) return;
  // The step's own variables are its commands', not the whole route's.
  const env = stripExpressions(step.env);
  const withEnv = (c: RouteCommand): RouteCommand => (Object.keys(env).length ? { ...c, env: { ...env, ...(c.env ?? {}) } } : c);
  b.suites.push(...scratch.suites.map(withEnv));
  b.pre.push(...scratch.pre.map(withEnv));
  b.needs.push(...scratch.needs);
}

/** The tox env, nox session or task a CI line delegates to, when its name says lint/types/docs. */
function nonTestTarget(text: string): string | undefined {
  for (const seg of splitSegments(text)) {
    const c = classify(seg.words);
    if (c.kind !== "delegate" || !c.target) continue;
    const names = c.target.split(",").map((t) => t.trim().replace(/^(?:\$\{?\w+\}?|py\d*|\d+\.\d+)-/, ""));
    if (names.length && names.every((n) => namedNotTests(n))) return c.target;
  }
  return undefined;
}

const stripExpressions = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([, v]) => !/\$\{\{/.test(v)));

/** Framework conventions, as routes (Django, a runtests.py, pytest, nose2, behave, unittest). */
function conventionRoutes(input: RoutePlanInput, src: Sources, rb: RouteBuilder): Array<{ name: string; summary: string; builder: Builder }> {
  const out: Array<{ name: string; summary: string; builder: Builder }> = [];
  const files = input.files;
  const style = testStyle(files);
  const django = readDjango(files);
  const pytestDjango = src.pytest?.plugins.includes("pytest-django") || input.declared.requirementNames.includes("pytest-django");
  const behave = readBehave(files);
  const make = (name: string, summary: string, evidence: Evidence, argv: string[]) => {
    const b = newBuilder();
    b.evidence.push(evidence);
    rb.take(b, classify(argv), argv, evidence, {});
    return { name, summary, builder: b };
  };
  const withBehave = (r: { name: string; summary: string; builder: Builder }) => {
    if (behave) {
      const ev: Evidence = { file: `${behave.dir}/`, what: `${behave.features} .feature file${behave.features > 1 ? "s" : ""}` };
      rb.take(r.builder, classify(["behave"]), ["behave"], ev, {});
      r.builder.evidence.push(ev);
      r.summary += ", and behave runs the features";
    }
    return r;
  };
  if (django && !pytestDjango) {
    out.push(withBehave(make("django", `${django.managePy} names a Django settings module: manage.py test`, { file: django.managePy, line: django.line, what: "DJANGO_SETTINGS_MODULE" }, ["python", django.managePy, "test"])));
  }
  const runtests = readRunTestsScript(files);
  if (runtests) out.push(make("runtests", `${runtests}: the project's own test script`, { file: runtests, what: "the project's test script" }, ["python", runtests]));
  if (src.pytest || style.pytest || (style.files && !style.unittest) || (pytestDjango && django)) {
    const ev: Evidence = src.pytest ? { file: src.pytest.file, line: src.pytest.line, what: "pytest configuration" } : { file: files.testFiles.find((f) => f.endsWith(".py")) ?? "tests/", what: "test files written for pytest" };
    out.push(withBehave(make("pytest", src.pytest ? `pytest, configured in ${src.pytest.file}` : "test files written for pytest", ev, ["pytest"])));
  }
  const nose2 = readNose2Config(files);
  if (nose2 || input.declared.requirementNames.includes("nose2")) {
    out.push(make("nose2", nose2 ? `nose2, configured in ${nose2.file}` : "nose2 is a declared dependency", { file: nose2?.file ?? "pyproject.toml", what: "nose2" }, ["python", "-m", "nose2"]));
  }
  if (style.unittest && !style.pytest) {
    const start = unittestStart(files);
    out.push(withBehave(make("unittest", "test files written with unittest only", { file: files.testFiles.find((f) => f.endsWith(".py")) ?? "tests/", what: "unittest.TestCase tests" }, ["python", "-m", "unittest", "discover", ...start])));
  }
  if (behave && !out.length) out.push(make("behave", `${behave.dir}/ holds behave features`, { file: `${behave.dir}/`, what: "behave features" }, ["behave"]));
  // Extras named after the backends the suite imports (tests/test_redis.py: import redis → [redis] extra).
  const imports = testImports(files);
  for (const r of out) for (const need of extrasForImports(input, imports)) r.builder.needs.push(need);
  return out;
}

/** Requirement name → the module it provides, where they differ. */
const IMPORT_NAMES: Record<string, string> = {
  pyyaml: "yaml", beautifulsoup4: "bs4", pillow: "PIL", "python-dateutil": "dateutil", "scikit-learn": "sklearn", "opencv-python": "cv2",
  "opencv-python-headless": "cv2", protobuf: "google", attrs: "attr", pyzmq: "zmq", pycryptodome: "Crypto", "python-multipart": "multipart",
  "msgpack-python": "msgpack", "typing-extensions": "typing_extensions", "pyjwt": "jwt", "pymysql": "pymysql", "mysqlclient": "MySQLdb",
  "psycopg2-binary": "psycopg2", "psycopg-binary": "psycopg", "redis-py": "redis", "python-magic": "magic", "pyopenssl": "OpenSSL",
  pymongo: "bson", "google-cloud-storage": "google", "python-snappy": "snappy", "pyserial": "serial", "pyusb": "usb", "pygobject": "gi",
  "python-ldap": "ldap", "dnspython": "dns", "pycryptodomex": "Cryptodome", "python-rapidjson": "rapidjson", "ruamel.yaml": "ruamel",
  "python-jose": "jose", "pywin32": "win32api", "faiss-cpu": "faiss", "zope.testrunner": "zope.testrunner",
};

/** The module a requirement most likely provides (`PyYAML` → `yaml`, `python-dateutil` → `dateutil`). */
export const importNameOf = (req: string) => {
  const name = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(req)?.[1]?.toLowerCase() ?? "";
  return IMPORT_NAMES[name] ?? name.replace(/[-.]/g, "_");
};

/** Extras whose packages the test files import: the suite exercises those backends. */
export function extrasForImports(input: RoutePlanInput, imports: Map<string, string>): RouteNeed[] {
  const out: RouteNeed[] = [];
  for (const [extra, reqs] of Object.entries(input.declared.extras)) {
    if (/^(all|full|dev|docs?|doc|lint|typing)$/i.test(extra)) continue;
    for (const req of reqs) {
      const mod = importNameOf(req);
      const at = imports.get(mod);
      if (at && mod !== input.declared.name?.replace(/-/g, "_")) {
        const [file, line] = at.split(":");
        out.push({ kind: "extra", name: extra, evidence: { file: file!, line: Number(line), what: `the tests import ${mod}, which the [${extra}] extra provides` } });
        break;
      }
    }
  }
  return out;
}

/** pytest's configuration may need plugins (`addopts = --cov`, `asyncio_mode = auto`, `required_plugins`). */
function addPytestConfigNeeds(b: Builder, cfg: PytestConfig | undefined): void {
  if (!cfg || !b.suites.some((s) => s.runner === "pytest")) return;
  const ev: Evidence = { file: cfg.file, line: cfg.line, what: "pytest configuration" };
  for (const p of [...pytestPluginsFor(cfg.addopts), ...cfg.plugins]) b.needs.push({ kind: "requirement", text: p, evidence: ev });
  // The runner itself, whatever route runs it.
  b.needs.push({ kind: "requirement", text: "pytest", evidence: ev });
}

/**
 * The same tests reached twice run once: two CI lines calling the same tox env, or a second
 * run of the same runner over the same targets with other options (Travis's `coverage run -m
 * unittest test` after `python -m unittest --verbose test`). Different targets (`pytest
 * src/` then `pytest bench/`) are different suites.
 */
function dedupeCommands(cmds: RouteCommand[]): RouteCommand[] {
  const seen = new Set<string>();
  return cmds.filter((c) => {
    // Targets and the options that select tests (`-m slow` and `-m "not slow"` are two halves).
    const words = c.argv.slice(c.argv[1] === "-m" ? 3 : 1);
    const targets = c.runner === "other" || c.runner === "script" ? c.argv : words.filter((w, i) => !w.startsWith("-") || /^(-m|-k|--ignore|--deselect|--tags|-t)$/.test(w) || /^(-m|-k|--ignore|--deselect|--tags|-t)$/.test(words[i - 1] ?? "") || /^--(ignore|deselect|tags)=/.test(w));
    const key = JSON.stringify([c.runner, targets, c.cwd ?? "", c.line ?? "", c.env ?? {}]);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function dedupeNeeds(needs: RouteNeed[]): RouteNeed[] {
  const seen = new Set<string>();
  const out: RouteNeed[] = [];
  for (const n of needs) {
    const key = n.kind === "requirement" ? `r:${n.text.toLowerCase().replace(/\s+/g, "")}` : n.kind === "system" ? `s:${n.manager}:${n.name}` : n.kind === "all-extras" || n.kind === "no-lock" ? n.kind : `${n.kind}:${n.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(n);
  }
  return out;
}

// ------------------------------------------------------------------ Python signals

/** Pythons the project's test and build files name (tox envlist, CI matrix, nox, Dockerfile). */
function pythonSignals(input: RoutePlanInput, src: Sources): PythonSignal[] {
  const out: PythonSignal[] = [];
  const newestFirst = (minors: Iterable<string>) => [...new Set(minors)].sort((a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1]) || Number(b.split(".")[0]) - Number(a.split(".")[0]));
  if (src.tox) {
    const minors = newestFirst(toxEnvNames(src.tox).flatMap((n) => n.split("-").map(minorOfFactor).filter((m): m is string => Boolean(m))));
    if (minors.length) out.push({ kind: "tox-envlist", minors, evidence: { file: src.tox.file, ...(src.tox.envlistLine ? { line: src.tox.envlistLine } : {}), what: "envlist" } });
  }
  const ciMinors = newestFirst(src.ci.flatMap((j) => j.pythons.map((p) => /^(\d+\.\d+)/.exec(p)?.[1]).filter((m): m is string => Boolean(m))));
  if (ciMinors.length) {
    const job = src.ci.find((j) => j.pythons.length)!;
    out.push({ kind: "ci-matrix", minors: ciMinors, evidence: { file: job.file, line: job.line, what: `job ${job.name} python versions` } });
  }
  if (src.nox) {
    const minors = newestFirst(src.nox.sessions.flatMap((s) => s.pythons.map((p) => /^(\d+\.\d+)/.exec(p)?.[1]).filter((m): m is string => Boolean(m))));
    if (minors.length) out.push({ kind: "nox-session", minors, evidence: { file: src.nox.file, what: "session pythons" } });
  }
  for (const [path, text] of input.files.files) {
    if (!/(^|\/)(Dockerfile|Containerfile)[^/]*$|\.dockerfile$/i.test(path)) continue;
    const lines = text.split(/\r?\n/);
    const idx = lines.findIndex((l) => /^\s*FROM\s+(?:--platform=\S+\s+)?(?:[\w.-]+(?::\d+)?\/)*(?:python|pypy):(\d+\.\d+)/i.test(l));
    if (idx >= 0) {
      const minor = /:(\d+\.\d+)/.exec(lines[idx]!)![1]!;
      out.push({ kind: "dockerfile", minors: [minor], evidence: { file: path, line: idx + 1, what: `FROM python:${minor}` } });
      break;
    }
  }
  return out;
}
