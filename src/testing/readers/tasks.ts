/**
 * Task runners, read as data: a task is a name and the command lines it runs, with the
 * file and line each came from. Makefile (variables expanded, prerequisites first),
 * Justfile, taskipy, pdm scripts, poethepoet, Pipfile `[scripts]`, Hatch env scripts, Invoke's
 * `tasks.py` (read statically), and shell scripts such as `scripts/test`. The planner classifies the lines
 * (src/testing/commands.ts) and follows hand-overs between tasks. Pure.
 */
import { findCalls, flattenStrings, functions, tokenizePython, assignments, type PyFunction, type PyToken, type PyValue } from "../../project/python-source.ts";

export interface TaskLine {
  text: string;
  line: number;
}

export interface Task {
  runner: "make" | "just" | "taskipy" | "pdm" | "poe" | "pipenv" | "hatch" | "invoke" | "script";
  name: string;
  file: string;
  line: number;
  /** Command lines, in order (prerequisites' lines first for make and just). */
  lines: TaskLine[];
  env: Record<string, string>;
  /** Hatch: the environment whose dependencies the script runs with. */
  hatchEnv?: string;
  /** just: the variadic parameter's default (`test *args="-x tests":`), what runs without arguments. */
  argsDefault?: string;
  /**
   * Invoke: the task does more than `c.run("…")` lines that can be read (it hands its context
   * to an imported helper such as invocations' `pytest.test(c, …)`, or builds a command at run
   * time): what it runs is only known by running it, so the route runs `invoke NAME` itself.
   * Says what could not be read.
   */
  opaque?: string;
}

/** Names a test task is given, best first. */
export const TEST_TASK_NAMES = ["test", "tests", "unit", "unittest", "unit-test", "unit-tests", "test-unit", "pytest", "check-tests", "test-all", "testall"];

// ---------------------------------------------------------------- Makefile

const PYTHON_VARS = /^(PYTHON\d*|PY|PYBIN|PYTHON_BIN|PYTHON_EXE|PYTHON_INTERPRETER|PYTHON_EXECUTABLE|PYEXE)$/;

/** Expand make's `$(VAR)` / `${VAR}` and `$$`; `$(shell cmd)` becomes sh's `$(cmd)`. */
export function expandMake(text: string, vars: Map<string, string>, depth = 0): string {
  if (depth > 10) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    if (next === "(" || next === "{") {
      const close = next === "(" ? ")" : "}";
      let d = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === next) d++;
        else if (text[j] === close && --d === 0) break;
      }
      const inner = text.slice(i + 2, j);
      i = j;
      const fn = /^(\w+)\s+([\s\S]*)$/.exec(inner);
      if (fn && fn[1] === "shell") out += `$(${expandMake(fn[2]!, vars, depth + 1)})`;
      else if (fn && ["wildcard", "patsubst", "subst", "addprefix", "addsuffix", "dir", "notdir", "basename", "filter", "sort", "strip", "word", "firstword", "if", "or", "and", "realpath", "abspath"].includes(fn[1]!)) {
        out += fn[1] === "strip" ? expandMake(fn[2]!, vars, depth + 1).trim() : "";
      } else if (vars.has(inner)) out += expandMake(vars.get(inner)!, vars, depth + 1);
      else if (PYTHON_VARS.test(inner)) out += "python";
      else if (inner === "MAKE") out += "make";
      continue;
    }
    // $@, $<, $X: automatic and one-letter variables.
    if (next && /[A-Za-z]/.test(next) && vars.has(next)) out += vars.get(next);
    i++;
  }
  return out;
}

interface MakeRule {
  targets: string[];
  prereqs: string[];
  line: number;
  recipe: TaskLine[];
}

/** Evaluate a make conditional (`ifeq (a,b)`, `ifneq "a" "b"`, `ifdef VAR`) against what is known. */
function makeCondition(directive: string, vars: Map<string, string>): boolean {
  const m = /^(ifeq|ifneq|ifdef|ifndef)\s*(.*)$/.exec(directive.trim());
  if (!m) return false;
  const [, kind, rest] = m;
  if (kind === "ifdef" || kind === "ifndef") {
    const defined = Boolean(vars.get(rest!.trim())?.trim());
    return kind === "ifdef" ? defined : !defined;
  }
  const args = /^\((.*),(.*)\)$/.exec(rest!.trim()) ?? /^["'](.*)["']\s+["'](.*)["']$/.exec(rest!.trim());
  if (!args) return false;
  const equal = expandMake(args[1]!, vars).trim() === expandMake(args[2]!, vars).trim();
  return kind === "ifeq" ? equal : !equal;
}

export function readMakefile(text: string, file = "Makefile"): { tasks: Map<string, Task>; defaultTarget?: string } {
  const vars = new Map<string, string>();
  const rules: MakeRule[] = [];
  const lines = text.split(/\r?\n/);
  let current: MakeRule | undefined;
  let continued = "";
  let continuedLine = 0;
  // Conditionals: each frame says whether its branch is taken and whether one was already.
  const frames: Array<{ active: boolean; done: boolean }> = [];
  const active = () => frames.every((f) => f.active);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const lineNo = continued ? continuedLine : i + 1;
    if (/\\$/.test(line)) {
      if (!continued) continuedLine = i + 1;
      continued += `${line.slice(0, -1)} `;
      continue;
    }
    line = continued + line;
    continued = "";
    if (line.startsWith("\t")) {
      if (current && active()) current.recipe.push({ text: line.slice(1).trim(), line: lineNo });
      continue;
    }
    const stripped = line.replace(/(^|[^\\])#.*$/, "$1").trim();
    if (!stripped) continue;
    if (/^(ifeq|ifneq|ifdef|ifndef)\b/.test(stripped)) {
      const taken = active() && makeCondition(stripped, vars);
      frames.push({ active: taken, done: taken });
      continue;
    }
    if (/^else\b/.test(stripped)) {
      const frame = frames[frames.length - 1];
      if (frame) {
        const elseIf = stripped.replace(/^else\s*/, "");
        const taken = !frame.done && (elseIf ? makeCondition(elseIf, vars) : true);
        frame.active = taken;
        frame.done ||= taken;
      }
      continue;
    }
    if (/^endif\b/.test(stripped)) {
      frames.pop();
      continue;
    }
    if (!active()) continue;
    const assign = /^(?:export\s+|override\s+)?([A-Za-z_][\w.-]*)\s*(\?|:|::|\+|!)?=\s*(.*)$/.exec(stripped);
    if (assign) {
      const [, name, op, value] = assign;
      if (op === "?" && vars.has(name!)) continue;
      if (op === "+") vars.set(name!, `${vars.get(name!) ?? ""} ${value}`.trim());
      else if (op === ":" || op === "::") vars.set(name!, expandMake(value!, vars));
      else vars.set(name!, value!);
      current = undefined;
      continue;
    }
    const rule = /^([^:=]+?)\s*::?\s*([^=]*)$/.exec(stripped);
    if (rule && !stripped.startsWith(".")) {
      const [targetsText, rest] = [rule[1]!, rule[2]!];
      const [prereqText, inlineRecipe] = rest.split(";", 2);
      current = { targets: expandMake(targetsText, vars).split(/\s+/).filter(Boolean), prereqs: expandMake(prereqText ?? "", vars).split(/\s+/).filter(Boolean), line: lineNo, recipe: [] };
      if (inlineRecipe?.trim()) current.recipe.push({ text: inlineRecipe.trim(), line: lineNo });
      rules.push(current);
      continue;
    }
    current = undefined; // .PHONY and other special targets, or a line we do not read
  }
  const byTarget = new Map<string, MakeRule>();
  for (const r of rules) for (const t of r.targets) if (!byTarget.has(t) && !t.includes("%")) byTarget.set(t, r);
  const tasks = new Map<string, Task>();
  const linesOf = (target: string, seen: Set<string>): TaskLine[] => {
    if (seen.has(target)) return [];
    seen.add(target);
    const r = byTarget.get(target);
    if (!r) return [];
    const pre = r.prereqs.flatMap((p) => linesOf(p, seen));
    const own = r.recipe.map((l) => ({ text: expandMake(l.text.replace(/^[@+-]+\s*/, ""), vars), line: l.line }));
    return [...pre, ...own];
  };
  for (const [target, r] of byTarget) tasks.set(target, { runner: "make", name: target, file, line: r.line, lines: linesOf(target, new Set()), env: {} });
  const defaultTarget = rules.find((r) => r.targets.some((t) => !t.startsWith(".")))?.targets[0];
  return { tasks, ...(defaultTarget ? { defaultTarget } : {}) };
}

// ---------------------------------------------------------------- Justfile

export function readJustfile(text: string, file = "justfile"): Map<string, Task> {
  const vars = new Map<string, string>();
  type Recipe = { line: number; deps: string[]; body: TaskLine[]; variadic?: string; variadicDefault?: string };
  const recipes = new Map<string, Recipe>();
  let current: Recipe | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    if (/^\s+\S/.test(raw) && current) {
      const t = raw.trim();
      if (!t.startsWith("#")) current.body.push({ text: t.replace(/^[@-]+/, ""), line: lineNo });
      return;
    }
    const line = raw.replace(/#.*$/, "").trimEnd();
    if (!line.trim()) return;
    current = undefined;
    const assign = /^(?:export\s+)?([A-Za-z_][\w-]*)\s*:=\s*(.*)$/.exec(line);
    if (assign) {
      vars.set(assign[1]!, assign[2]!.trim().replace(/^(["'])(.*)\1$/, "$2"));
      return;
    }
    if (/^(set|alias|import|mod)\s/.test(line)) return;
    // Parameters may have defaults, quoted ones with spaces: `test *args="-x --ff tests":`.
    const recipe = /^@?([A-Za-z_][\w-]*)((?:\s+[*+$]?[A-Za-z_][\w-]*(?:=(?:"[^"]*"|'[^']*'|\S+))?)*)\s*:(?!=)\s*(.*)$/.exec(line);
    if (recipe) {
      const params = [...recipe[2]!.matchAll(/([*+$]?)([A-Za-z_][\w-]*)(?:=("[^"]*"|'[^']*'|\S+))?/g)];
      const v = params.find((p) => p[1] === "*" || p[1] === "+");
      const variadicDefault = v?.[3]?.replace(/^(["'])(.*)\1$/, "$2");
      current = { line: lineNo, deps: recipe[3]!.split(/\s+/).filter(Boolean).map((d) => d.replace(/^\(|\)$/g, "")), body: [], ...(v ? { variadic: v[2]! } : {}), ...(variadicDefault ? { variadicDefault } : {}) };
      recipes.set(recipe[1]!, current);
    }
  });
  // `{{ name }}` is a variable or the variadic parameter; any other expression (`{{ if python
  // != '' { '-p ' + python } else { '' } }}`) is dropped: such conditionals add options for
  // variables set on the command line, which dhtl's environment stands in for.
  const interpolate = (text: string, variadic?: string) =>
    text
      .replace(/\{\{\s*([\w-]+)\s*\}\}/g, (_, name: string) => (name === variadic ? "\u0000ARGS\u0000" : (vars.get(name) ?? "")))
      .replace(/\{\{[\s\S]*?\}\}/g, "");
  const tasks = new Map<string, Task>();
  const linesOf = (name: string, seen: Set<string>): TaskLine[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const r = recipes.get(name);
    if (!r) return [];
    const body = r.body[0]?.text.startsWith("#!") ? r.body.slice(1) : r.body;
    return [...r.deps.flatMap((d) => linesOf(d.split(/\s+/)[0]!, seen)), ...body.map((l) => ({ text: interpolate(l.text, r.variadic), line: l.line }))];
  };
  for (const [name, r] of recipes) tasks.set(name, { runner: "just", name, file, line: r.line, lines: linesOf(name, new Set()), env: {}, ...(r.variadicDefault ? { argsDefault: r.variadicDefault } : {}) });
  return tasks;
}

// ---------------------------------------------------------------- pyproject / Pipfile task tables

type Table = Record<string, unknown>;
const asTable = (v: unknown): Table | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Table) : undefined);

/** The line of `key =` (or `[table.key]`) inside a table, searching the text. */
function keyLine(text: string, table: string, key: string): number {
  const lines = text.split(/\r?\n/);
  let inTable = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    const header = /^\[+\s*([^\]]+?)\s*\]+/.exec(l);
    if (header) {
      const h = header[1]!.replace(/["'\s]/g, "");
      if (h === `${table}.${key}`) return i + 1;
      inTable = h === table;
      continue;
    }
    if (inTable && new RegExp(`^["']?${key.replace(/[-.]/g, "\\$&")}["']?\\s*=`).test(l)) return i + 1;
  }
  return 1;
}

/**
 * A task value in the shapes taskipy, pdm, poe and Pipfile write: a string, `{cmd = …}`,
 * `{shell = …}`, `{composite = […]}` / `{sequence = […]}`, `{ref = …}`, or a bare array.
 * What a bare array's strings are depends on the tool: Hatch runs them as commands
 * (`test = ["pytest", "coverage report"]`), poe reads them as a sequence of other tasks
 * (`check = ["test", "docs"]`, its `default_item_type` being `ref`).
 */
function taskCommands(value: unknown, ref: (name: string) => string, arrayItems: "commands" | "refs" = "commands"): { lines: string[]; env: Record<string, string> } {
  if (typeof value === "string") return { lines: [value], env: {} };
  if (Array.isArray(value)) return { lines: value.flatMap((v) => (typeof v === "string" && arrayItems === "refs" ? [ref(v)] : taskCommands(v, ref).lines)), env: {} };
  const t = asTable(value);
  if (!t) return { lines: [], env: {} };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(asTable(t.env) ?? {})) if (typeof v === "string") env[k] = v;
  const cmd = t.cmd ?? t.shell;
  if (typeof cmd === "string") return { lines: [cmd], env };
  if (Array.isArray(cmd)) return { lines: [cmd.filter((w): w is string => typeof w === "string").join(" ")], env };
  const seq = t.composite ?? t.sequence;
  if (Array.isArray(seq)) return { lines: seq.map((s) => (typeof s === "string" ? ref(s) : taskCommands(s, ref).lines.join(" && "))), env };
  if (typeof t.ref === "string") return { lines: [ref(t.ref)], env };
  return { lines: [], env };
}

/** taskipy ([tool.taskipy.tasks]), pdm ([tool.pdm.scripts]), poe ([tool.poe.tasks]), hatch env scripts. */
export function readPyprojectTasks(data: Table, text: string, file = "pyproject.toml"): Task[] {
  const tool = asTable(data.tool) ?? {};
  const out: Task[] = [];
  const add = (runner: Task["runner"], table: Table | undefined, tableName: string, ref: (name: string) => string, extra: Partial<Task> = {}) => {
    for (const [name, value] of Object.entries(table ?? {})) {
      if (name === "_" || (runner === "pdm" && name === "_")) continue;
      const { lines, env } = taskCommands(value, ref, runner === "poe" ? "refs" : "commands");
      const line = keyLine(text, tableName, name);
      out.push({ runner, name, file, line, lines: lines.map((l) => ({ text: l, line })), env, ...extra });
    }
  };
  add("taskipy", asTable(asTable(tool.taskipy)?.tasks), "tool.taskipy.tasks", (n) => `task ${n}`);
  add("pdm", asTable(asTable(tool.pdm)?.scripts), "tool.pdm.scripts", (n) => `pdm run ${n}`);
  add("poe", asTable(asTable(tool.poe)?.tasks), "tool.poe.tasks", (n) => `poe ${n}`);
  for (const [env, def] of Object.entries(asTable(asTable(tool.hatch)?.envs) ?? {})) {
    const scripts = asTable(asTable(def)?.scripts);
    if (!scripts) continue;
    const from = out.length;
    add("hatch", scripts, `tool.hatch.envs.${env}.scripts`, (n) => `hatch run ${env}:${n}`, { hatchEnv: env });
    for (const task of out.slice(from)) task.lines = task.lines.map((l) => ({ ...l, text: hatchScriptReference(l.text, env, scripts) }));
  }
  return out;
}

/**
 * Hatch expands a command that starts with the name of another script of the environment
 * into that script (`with-coverage = "test"`, `cov = ["test-cov", "cov-report"]`): such a
 * line is a hand-over to it, the rest of its words the script's arguments.
 */
function hatchScriptReference(text: string, env: string, scripts: Table): string {
  const first = /^\s*(\S+)/.exec(text)?.[1];
  return first && Object.hasOwn(scripts, first) ? `hatch run ${env}:${text.trim()}` : text;
}

/** hatch.toml's [envs.X.scripts]. */
export function readHatchTomlTasks(data: Table, text: string, file = "hatch.toml"): Task[] {
  return readPyprojectTasks({ tool: { hatch: data } }, text.replace(/^\[(\[?)envs\./gm, "[$1tool.hatch.envs."), file).map((t) => ({ ...t, line: keyLine(text, `envs.${t.hatchEnv}.scripts`, t.name) }));
}

/** Pipfile [scripts]. */
export function readPipfileScripts(data: Table, text: string, file = "Pipfile"): Task[] {
  return Object.entries(asTable(data.scripts) ?? {})
    .filter(([, v]) => typeof v === "string")
    .map(([name, v]) => {
      const line = keyLine(text, "scripts", name);
      return { runner: "pipenv" as const, name, file, line, lines: [{ text: v as string, line }], env: {} };
    });
}

/** A shell script's command lines (comments, blank lines, `set -e` and shebangs dropped). */
export function readShellScript(text: string, file: string): Task {
  const lines: TaskLine[] = [];
  let pending = "";
  let pendingLine = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (!pending && (!t || t.startsWith("#") || /^set\s+-/.test(t))) return;
    if (/\\$/.test(t)) {
      if (!pending) pendingLine = i + 1;
      pending += `${t.slice(0, -1).trimEnd()} `;
      return;
    }
    lines.push({ text: pending + t, line: pending ? pendingLine : i + 1 });
    pending = "";
  });
  return { runner: "script", name: file, file, line: 1, lines, env: {} };
}

// ---------------------------------------------------------------- Invoke (tasks.py)

const isTaskDecorator = (callee: string) => callee === "task" || callee.endsWith(".task");

/**
 * Invoke's `tasks.py`, read statically (never executed): every `@task` function, named as
 * Invoke names it (`unit_tests` → `unit-tests`), with the `c.run("…")` lines its body runs
 * (a local helper given the context is followed one level). A task whose body hands the
 * context to anything else, or runs a command built at run time, is `opaque`.
 */
export function readInvokeTasks(source: string, file = "tasks.py"): Task[] {
  const tokens = tokenizePython(source);
  const scope = assignments(tokens);
  const fns = functions(tokens);
  const local = new Map(fns.map((f) => [f.name, f]));
  const tasks: Task[] = [];
  for (const fn of fns) {
    if (!fn.decorators.some((d) => isTaskDecorator(d.callee))) continue;
    const { lines, opaque } = invokeTaskLines(tokens, fn, local, scope, 0);
    tasks.push({ runner: "invoke", name: fn.name.replace(/_/g, "-"), file, line: fn.line, lines, env: {}, ...(opaque ? { opaque } : {}) });
  }
  return tasks;
}

function invokeTaskLines(tokens: PyToken[], fn: PyFunction, local: Map<string, PyFunction>, scope: Map<string, PyValue>, depth: number): { lines: TaskLine[]; opaque?: string } {
  const ctx = fn.params[0] ?? "c";
  const lines: TaskLine[] = [];
  const unreadable: string[] = [];
  const passesContext = (args: PyValue[]) => args.some((a) => a.kind === "name" && a.path === ctx);
  for (const call of findCalls(tokens, () => true, fn.body)) {
    if (call.callee === `${ctx}.run` || call.callee === `${ctx}.sudo`) {
      const unread: string[] = [];
      const [text] = flattenStrings(call.args.slice(0, 1), scope, unread);
      if (text !== undefined && !unread.length) lines.push({ text, line: call.line });
      else unreadable.push(`${call.callee}(${unread.join(", ") || "…"}) at line ${call.line}`);
      continue;
    }
    if (!passesContext(call.args)) continue;
    const helper = local.get(call.callee);
    if (helper && depth < 1) {
      const inner = invokeTaskLines(tokens, helper, local, scope, depth + 1);
      lines.push(...inner.lines);
      if (inner.opaque) unreadable.push(inner.opaque);
    } else unreadable.push(`${call.callee}(${ctx}, …) at line ${call.line}`);
  }
  return { lines, ...(unreadable.length ? { opaque: unreadable.join("; ") } : {}) };
}
