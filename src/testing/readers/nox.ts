/**
 * `noxfile.py`, read statically (never executed): its sessions, each with the Pythons it
 * names, what it installs (`session.install(...)`, `session.run_install(...)`), what it
 * runs (`session.run(...)`), and the environment it sets. Arguments resolve through the
 * module's constants and the session's own (`TEST_DEPS = ["pytest", "mock"]`,
 * `session.install(*TEST_DEPS)`); helper functions the session calls with its `session`
 * are followed one level. Whatever stays unknown is reported, not guessed. Pure.
 */
import { assignments, dictEntries, findCalls, flattenStrings, functions, tokenizePython, type PyCall, type PyFunction, type PyToken, type PyValue } from "../../project/python-source.ts";

export interface NoxCall {
  args: string[];
  line: number;
  /** `*session.posargs` / `session.posargs` was passed: where it went. */
  posargsIndex?: number;
  env: Record<string, string>;
  /** Arguments that could not be read statically. */
  unread: string[];
}

export interface NoxSession {
  name: string;
  line: number;
  pythons: string[];
  tags: string[];
  installs: NoxCall[];
  runs: NoxCall[];
}

export interface Noxfile {
  sessions: NoxSession[];
  /** `nox.options.sessions = [...]`: what `nox` alone runs. */
  defaults?: string[];
}

const isSessionDecorator = (callee: string) => callee === "nox.session" || callee === "session" || callee === "nox_uv.session" || callee.endsWith(".session");

function toCall(call: PyCall, scope: Map<string, PyValue>, param: string): NoxCall {
  const unread: string[] = [];
  const args: string[] = [];
  let posargsIndex: number | undefined;
  for (const a of call.args) {
    const target = a.kind === "star" ? a.value : a;
    if (target.kind === "name" && target.path === `${param}.posargs`) {
      posargsIndex = args.length;
      continue;
    }
    args.push(...flattenStrings([a], scope, unread));
  }
  const env: Record<string, string> = {};
  for (const [k, v] of dictEntries(call.kwargs.env, scope)) if (v.kind === "str") env[k] = v.value;
  return { args, line: call.line, ...(posargsIndex !== undefined ? { posargsIndex } : {}), env, unread };
}

function sessionCalls(tokens: PyToken[], fn: PyFunction, byName: Map<string, PyFunction>, moduleScope: Map<string, PyValue>, depth = 0): { installs: NoxCall[]; runs: NoxCall[] } {
  const param = fn.params[0] ?? "session";
  const local = new Map(moduleScope);
  const bodyIndent = tokens[fn.body[0]]?.indent ?? 4;
  for (const [k, v] of assignments(tokens, fn.body, bodyIndent)) local.set(k, v);
  const installs: NoxCall[] = [];
  const runs: NoxCall[] = [];
  const calls = findCalls(tokens, (c) => c.startsWith(`${param}.`) || byName.has(c), fn.body);
  for (const call of calls) {
    const method = call.callee.slice(param.length + 1);
    if (call.callee.startsWith(`${param}.`)) {
      if (method === "install" || method === "conda_install") installs.push(toCall(call, local, param));
      else if (method === "run_install" || method === "run_always") {
        const c = toCall(call, local, param);
        // `session.run_install("uv", "sync", …)` / ("pip", "install", …) are installs.
        if (/^(uv|pip|python)$/.test(c.args[0] ?? "")) installs.push(c);
        else runs.push(c);
      } else if (method === "run") runs.push(toCall(call, local, param));
    } else if (depth < 1 && call.args.some((a) => a.kind === "name" && a.path === param)) {
      // A helper such as install_deps(session): its calls count as this session's.
      const helper = byName.get(call.callee)!;
      const inner = sessionCalls(tokens, { ...helper, params: [helper.params[call.args.findIndex((a) => a.kind === "name" && a.path === param)] ?? param] }, byName, moduleScope, depth + 1);
      installs.push(...inner.installs);
      runs.push(...inner.runs);
    }
  }
  return { installs, runs };
}

/**
 * Module constants that are paths of the project (`ROOT = Path(__file__).parent`,
 * `TESTS = ROOT / "tests"`, `os.path.join(HERE, "tests")`) become project-relative strings, so
 * `session.run("pytest", TESTS)` keeps its test path instead of losing it.
 */
const PROJECT_DIR = /^(?:pathlib\.)?Path\(__file__\)(?:\.(?:resolve|absolute)\(\))?\.parent$|^os\.path\.dirname\((?:os\.path\.(?:abspath|realpath)\()?__file__\)?\)$|^(?:pathlib\.)?Path\.cwd\(\)$/;

function resolveProjectPaths(scope: Map<string, PyValue>, source: string): void {
  // The project's directory itself, read from the source line (the tokenizer's value for a
  // call followed by an attribute is not kept): `ROOT = Path(__file__).parent`.
  for (const line of source.split(/\r?\n/)) {
    const m = /^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(.+?)\s*(?:#.*)?$/.exec(line);
    if (m && PROJECT_DIR.test(m[2]!.replace(/\s+/g, ""))) scope.set(m[1]!, { kind: "str", value: "." });
  }
  const textOf = (v: PyValue): string | undefined => (v.kind === "unknown" ? v.text.trim() : undefined);
  const pathOf = (text: string, depth = 0): string | undefined => {
    if (depth > 8) return undefined;
    if (PROJECT_DIR.test(text)) return ".";
    const parts = text.split("/").map((p) => p.trim());
    if (parts.length > 1) {
      const head = parts[0]!;
      const base = /^[A-Za-z_]\w*$/.test(head) ? valueOf(head, depth) : PROJECT_DIR.test(head) ? "." : undefined;
      const rest = parts.slice(1).map((p) => /^(["'])([^"']*)\1$/.exec(p)?.[2]);
      if (base !== undefined && rest.every((r) => r !== undefined)) return [base, ...(rest as string[])].filter((x) => x !== ".").join("/") || ".";
    }
    return undefined;
  };
  const valueOf = (name: string, depth: number): string | undefined => {
    const v = scope.get(name);
    if (!v) return undefined;
    if (v.kind === "str") return v.value;
    const t = textOf(v);
    return t ? pathOf(t, depth + 1) : undefined;
  };
  for (const [name, v] of scope) {
    const t = textOf(v);
    const resolved = t ? pathOf(t) : v.kind === "call" && v.callee === "os.path.join" ? joinArgs(v.args) : undefined;
    if (resolved !== undefined) scope.set(name, { kind: "str", value: resolved });
  }
  function joinArgs(args: PyValue[]): string | undefined {
    const parts = args.map((a) => (a.kind === "str" ? a.value : a.kind === "name" ? valueOf(a.path, 0) : undefined));
    return parts.every((p) => p !== undefined) ? (parts as string[]).filter((x) => x !== ".").join("/") || "." : undefined;
  }
}

export function readNoxfile(source: string): Noxfile {
  const tokens = tokenizePython(source);
  const scope = assignments(tokens);
  resolveProjectPaths(scope, source);
  const fns = functions(tokens);
  const byName = new Map(fns.map((f) => [f.name, f]));
  const sessions: NoxSession[] = [];
  for (const fn of fns) {
    const deco = fn.decorators.find((d) => isSessionDecorator(d.callee));
    if (!deco) continue;
    const unread: string[] = [];
    const name = deco.kwargs.name?.kind === "str" ? deco.kwargs.name.value : fn.name;
    const py = deco.kwargs.python ?? deco.kwargs.py;
    const pythons = py ? flattenStrings([py], scope, unread).filter((v) => /^\d+\.\d+/.test(v)) : [];
    const tags = deco.kwargs.tags ? flattenStrings([deco.kwargs.tags], scope, unread) : [];
    const { installs, runs } = sessionCalls(tokens, fn, byName, scope);
    sessions.push({ name, line: fn.line, pythons, tags, installs, runs });
  }
  // nox.options.sessions = [...]
  let defaults: string[] | undefined;
  for (let k = 0; k + 6 < tokens.length; k++) {
    const t = tokens.slice(k, k + 6).map((x) => x.text).join("");
    if (t === "nox.options.sessions=" || t.startsWith("nox.options.sessions=")) {
      let end = k + 6;
      while (end < tokens.length && tokens[end]!.kind !== "newline") end++;
      const value = findListValue(tokens, k + 6, end);
      if (value) defaults = flattenStrings([value], scope);
    }
  }
  return { sessions, ...(defaults ? { defaults } : {}) };
}

function findListValue(tokens: PyToken[], from: number, to: number): PyValue | undefined {
  // Re-use the module-level reader: treat `X = <value>` as if the value were assigned to a name.
  const synthetic: PyToken[] = [{ kind: "name", text: "__v", line: 0, indent: 0 }, { kind: "op", text: "=", line: 0, indent: 0 }, ...tokens.slice(from, to).map((t) => ({ ...t, indent: 0 })), { kind: "newline", text: "", line: 0, indent: 0 }];
  return assignments(synthetic).get("__v");
}
