/**
 * Which Python a project asks for when it has no `.dhtconfig`, read from the files other
 * tools use, most specific first:
 *
 *   .python-version   pyenv / uv: first usable line ("3.11.7", "3.12", "cpython@3.12")
 *   pyproject.toml    [project] requires-python, else [tool.poetry.dependencies] python
 *                     (Poetry's ^ and ~ forms converted to PEP 440)
 *   setup.cfg         [options] python_requires (setuptools' declarative metadata)
 *   setup.py          python_requires, read statically (src/project/setup-py.ts)
 *   .tool-versions    asdf / mise: the first version on the `python` line
 *   runtime.txt       Heroku-style "python-3.11.7"
 *
 * The last two are the request only when the metadata states no range; otherwise they are
 * preferences inside it (src/python/preferences.ts), below the classifiers, tox and CI.
 *
 * The origin names the file and line, so `dhtl config show` can say where a value came from.
 */
import { basename, join } from "node:path";
import { readProjectText } from "./read-project-file.ts";
import { usageError } from "../errors.ts";
import { isValidPythonRequest } from "../config/python-request-syntax.ts";
import { locateSyntaxError } from "../config/syntax-position.ts";
import { parseIni } from "../registries/pip-conf.ts";
import { readSetupPy } from "./setup-py.ts";

export interface PythonRequestFact {
  /** A request in the syntax .dhtconfig accepts; absent when the project states none. */
  request?: string;
  /** "file:line" it came from, e.g. ".python-version:2" or "pyproject.toml:5". */
  origin?: string;
}

/** A project file's text (bounded, regular files only: read-project-file.ts), undefined when absent. */
async function readText(path: string): Promise<string | undefined> {
  return readProjectText(path, { display: basename(path) })?.text;
}

/** Lines without comments and surrounding space, with their 1-based numbers. */
function meaningfulLines(text: string): Array<{ no: number; text: string }> {
  return text
    .split(/\r\n|\r|\n/)
    .map((line, i) => ({ no: i + 1, text: line.replace(/#.*$/, "").trim() }))
    .filter((l) => l.text !== "");
}

/** pyenv names a few things that are not requests dhtl can act on. */
const NOT_A_REQUEST = /^(system|latest)$/i;

/** `.python-version`: the first line that is a request dhtl understands. */
export function parsePythonVersionFile(text: string): { request: string; line: number } | undefined {
  for (const line of meaningfulLines(text)) {
    const candidate = line.text.split(/\s+/)[0]!;
    if (NOT_A_REQUEST.test(candidate)) continue;
    if (isValidPythonRequest(candidate)) return { request: candidate, line: line.no };
  }
  return undefined;
}

/** `.tool-versions`: `python 3.11.7 3.10.4` → the first usable version. */
export function parseToolVersions(text: string): { request: string; line: number } | undefined {
  for (const line of meaningfulLines(text)) {
    const [tool, ...versions] = line.text.split(/\s+/);
    if (tool !== "python") continue;
    for (const version of versions) {
      if (NOT_A_REQUEST.test(version) || version.startsWith("ref:") || version.startsWith("path:")) continue;
      if (isValidPythonRequest(version)) return { request: version, line: line.no };
    }
  }
  return undefined;
}

/** `runtime.txt`: `python-3.11.7`. */
export function parseRuntimeTxt(text: string): { request: string; line: number } | undefined {
  for (const line of meaningfulLines(text)) {
    const m = /^python-(\d+(\.\d+){0,2})$/.exec(line.text);
    if (m) return { request: m[1]!, line: line.no };
  }
  return undefined;
}

function bumpAt(parts: number[], index: number): string {
  const upper = parts.slice(0, index + 1);
  upper[index] = (upper[index] ?? 0) + 1;
  return upper.join(".");
}

/** One Poetry constraint (no `,` or `||`) as PEP 440 clauses. */
function poetryClause(raw: string): string[] | undefined {
  const c = raw.trim();
  if (c === "" || c === "*") return [];
  let m = /^\^\s*(\d+(?:\.\d+){0,2})$/.exec(c);
  if (m) {
    // ^X.Y.Z: up to the next change of the leftmost non-zero part.
    const parts = m[1]!.split(".").map(Number);
    const first = parts.findIndex((p) => p !== 0);
    const index = first < 0 ? parts.length - 1 : first;
    return [`>=${m[1]}`, `<${bumpAt(parts, index)}`];
  }
  m = /^~(?!=)\s*(\d+(?:\.\d+){0,2})$/.exec(c);
  if (m) {
    // ~X.Y(.Z): patch updates; ~X: minor updates.
    const parts = m[1]!.split(".").map(Number);
    return [`>=${m[1]}`, `<${bumpAt(parts, parts.length === 1 ? 0 : 1)}`];
  }
  m = /^(\d+(?:\.\d+){0,2})(\.\*)?$/.exec(c);
  if (m) {
    const parts = m[1]!.split(".");
    // A bare "3.11" means any 3.11.x, as Poetry treats it; a full "3.11.7" means exactly that.
    return [parts.length === 3 && !m[2] ? `==${m[1]}` : `==${m[1]}.*`];
  }
  m = /^(~=|===|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+){0,2}(\.\*)?)$/.exec(c);
  if (m) return [`${m[1]}${m[2]}`];
  return undefined;
}

/** One Poetry branch (no `||`) as a PEP 440 specifier set; undefined when it cannot be read. */
function poetryBranchToPep440(branch: string): string | undefined {
  // "^ 3.8" and ">= 3.8" are allowed in Poetry; glue operators to their versions first.
  const glued = branch.replace(/(~=|===|==|!=|<=|>=|<|>|\^|~)\s+/g, "$1");
  const clauses: string[] = [];
  for (const part of glued.split(",").flatMap((p) => p.trim().split(/\s+(?=[<>=!~^\d])/))) {
    const converted = poetryClause(part);
    if (!converted) return undefined;
    clauses.push(...converted);
  }
  if (clauses.length === 0) return undefined;
  return clauses.join(",");
}

/** The lower / upper version bound of a specifier set, as numbers (undefined when unbounded). */
function bound(spec: string, side: "lower" | "upper"): number[] | undefined {
  const re = side === "lower" ? /(?:^|,)(?:>=|>|==|~=|===)(\d+(?:\.\d+)*)/ : /(?:^|,)(?:<=|<|==|===)(\d+(?:\.\d+)*)/;
  const m = re.exec(spec);
  return m ? m[1]!.split(".").map(Number) : undefined;
}

/** Is branch `a` a better pick than `b`: reaches newer Pythons, then (same reach) admits more of them. */
function reachesFurther(a: string, b: string): boolean {
  const [ua, ub] = [bound(a, "upper"), bound(b, "upper")];
  if (ua === undefined || ub === undefined) {
    if (ua !== ub) return ua === undefined;
  } else if (compareReleases(ua, ub) !== 0) return compareReleases(ua, ub) > 0;
  return compareReleases(bound(a, "lower") ?? [], bound(b, "lower") ?? []) < 0;
}

function compareReleases(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Each `||` branch of a Poetry constraint as PEP 440 (undefined when any branch cannot be read). */
export function poetryBranchesToPep440(constraint: string): string[] | undefined {
  const out: string[] = [];
  for (const branch of constraint.split("||")) {
    const converted = poetryBranchToPep440(branch);
    if (converted === undefined) return undefined;
    out.push(converted);
  }
  return out;
}

/**
 * Convert a Poetry python constraint ("^3.8", "~3.9", ">=3.8 <3.12", "3.10.*") to PEP 440.
 * An alternative ("~2.7 || ^3.5") cannot be written as one PEP 440 specifier set: the branch
 * that reaches the newest Pythons is used (the widest of those on a tie), because a
 * development environment is wanted on the current line, not on a legacy 2.7 branch.
 * Undefined when the constraint cannot be read.
 */
export function poetryToPep440(constraint: string): string | undefined {
  const branches = poetryBranchesToPep440(constraint);
  if (!branches) return undefined;
  return branches.reduce((best, b) => (reachesFurther(b, best) ? b : best));
}

/** Read a TOML file; syntax errors are DhtErrors naming file:line:column. */
export async function readTomlFile(path: string, displayName: string): Promise<{ data: Record<string, unknown>; text: string } | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  return { data: parseTomlText(text, displayName), text };
}

/**
 * Bun.TOML.parse with the error placed at file:line:column. Nesting beyond the parser's
 * stack ("Maximum call stack size exceeded") is named as what it is.
 */
export function parseTomlText(text: string, displayName: string, hint?: string): Record<string, unknown> {
  try {
    return Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof RangeError) {
      throw usageError(`${displayName}: arrays or tables are nested too deeply to read`, {
        subject: displayName,
        hint: hint ?? `no real ${displayName} nests that deep: check that it is the file you meant`,
      });
    }
    const parses = (t: string) => {
      try {
        Bun.TOML.parse(t);
        return true;
      } catch {
        return false;
      }
    };
    const { line, column } = locateSyntaxError(text, parses);
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^TOML Parse error:\s*/i, "");
    throw usageError(`${displayName}:${line}:${column}: TOML syntax error: ${reason}`, {
      subject: `${displayName}:${line}:${column}`,
      hint: hint ?? `fix ${displayName}; dhtl reads it to learn the project's Python and dependencies`,
    });
  }
}

/** The 1-based line where `key =` is written inside `[table]` (1 when not found). */
function tomlKeyLine(text: string, table: string, key: string): number {
  const lines = text.split(/\r\n|\r|\n/);
  let current = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[([^\]]+)\]\s*(#.*)?$/.exec(line);
    if (header) current = header[1]!.replace(/\s+/g, "").replace(/"/g, "");
    else if (current === table && new RegExp(`^"?${key.replace(/[-.]/g, "\\$&")}"?\\s*=`).test(line)) return i + 1;
  }
  return 1;
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** A project file names a Python dhtl cannot act on: exit 2 at file:line, never an unpinned Python. */
function unusableRequest(origin: string, value: string, expected: string, key?: string): Error {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return usageError(`${origin}: ${key ? `${key} ` : ""}${JSON.stringify(shown)} is not a Python version dhtl understands`, {
    subject: origin,
    hint: `write ${expected}, or set python.version in .dhtconfig (it wins over this file)`,
  });
}

/** The Python request a project states without a .dhtconfig (most specific file first). */
export async function detectPythonRequest(root: string): Promise<PythonRequestFact> {
  const pythonVersion = await readText(join(root, ".python-version"));
  if (pythonVersion !== undefined) {
    const found = parsePythonVersionFile(pythonVersion);
    if (found) return { request: found.request, origin: `.python-version:${found.line}` };
    // A file that names something, but nothing dhtl can use, is not silently skipped.
    const bad = meaningfulLines(pythonVersion).find((l) => !NOT_A_REQUEST.test(l.text.split(/\s+/)[0]!));
    if (bad) throw unusableRequest(`.python-version:${bad.no}`, bad.text, "a version such as 3.11.7, 3.12 or cpython@3.12");
  }
  const pyproject = await readTomlFile(join(root, "pyproject.toml"), "pyproject.toml");
  if (pyproject) {
    const requires = asRecord(pyproject.data.project)?.["requires-python"];
    if (requires !== undefined) {
      const origin = `pyproject.toml:${tomlKeyLine(pyproject.text, "project", "requires-python")}`;
      const request = typeof requires === "string" ? requires.replace(/\s+/g, "") : "";
      if (isValidPythonRequest(request)) return { request, origin };
      throw unusableRequest(origin, typeof requires === "string" ? requires : JSON.stringify(requires), 'a PEP 440 specifier such as ">=3.10" or ">=3.9,<3.13"', "requires-python");
    }
    const poetryPython = asRecord(asRecord(asRecord(pyproject.data.tool)?.poetry)?.dependencies)?.python;
    if (poetryPython !== undefined) {
      const origin = `pyproject.toml:${tomlKeyLine(pyproject.text, "tool.poetry.dependencies", "python")}`;
      const request = typeof poetryPython === "string" ? poetryToPep440(poetryPython) : undefined;
      if (request && isValidPythonRequest(request)) return { request, origin };
      throw unusableRequest(origin, typeof poetryPython === "string" ? poetryPython : JSON.stringify(poetryPython), 'a Poetry constraint such as "^3.10" or ">=3.9,<3.13"', "tool.poetry.dependencies.python");
    }
  }
  const setupCfg = await readText(join(root, "setup.cfg"));
  if (setupCfg !== undefined && /^\[options\]/m.test(setupCfg)) {
    let entry: { value: string; line: number } | undefined;
    try {
      entry = parseIni(setupCfg, "setup.cfg").options?.["python-requires"];
    } catch {
      // An unreadable setup.cfg states no Python here; reading its dependencies reports it.
    }
    const request = entry?.value.replace(/\s+/g, "");
    if (entry && request && isValidPythonRequest(request)) return { request, origin: `setup.cfg:${entry.line}` };
  }
  // setup.py's python_requires (read statically: `python_requires="==3.7.*"`).
  const setupPy = await readText(join(root, "setup.py"));
  if (setupPy !== undefined) {
    const facts = readSetupPy(setupPy.slice(0, 1024 * 1024));
    const request = facts?.pythonRequires?.value.replace(/\s+/g, "");
    if (request && isValidPythonRequest(request)) return { request, origin: `setup.py:${facts!.pythonRequires!.line}` };
  }
  // With no range in the metadata, an asdf/mise or Heroku pin is the request; with one, it is
  // only a preference inside it (versionFileHints), so a stale pin cannot break the range.
  const [hint] = await versionFileHints(root);
  return hint ? { request: hint.request, origin: hint.origin } : {};
}

/** `.tool-versions` and `runtime.txt` pins, in that order, as preferences for the Python choice. */
export async function versionFileHints(root: string): Promise<Array<{ kind: ".tool-versions" | "runtime.txt"; request: string; origin: string }>> {
  const out: Array<{ kind: ".tool-versions" | "runtime.txt"; request: string; origin: string }> = [];
  const toolVersions = await readText(join(root, ".tool-versions"));
  const tv = toolVersions !== undefined ? parseToolVersions(toolVersions) : undefined;
  if (tv) out.push({ kind: ".tool-versions", request: tv.request, origin: `.tool-versions:${tv.line}` });
  const runtime = await readText(join(root, "runtime.txt"));
  const rt = runtime !== undefined ? parseRuntimeTxt(runtime) : undefined;
  if (rt) out.push({ kind: "runtime.txt", request: rt.request, origin: `runtime.txt:${rt.line}` });
  return out;
}
