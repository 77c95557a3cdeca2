/**
 * Reading Python source without running it: `noxfile.py`, `setup.py`, `manage.py`,
 * `runtests.py`. dhtl never executes a project's code to learn how to set it up, so these
 * files are tokenized and the few shapes that matter are recognised statically:
 *
 *  - module-level constants (`TEST_DEPS = ["pytest", "mock"]`, `PY = ("3.11", "3.12")`),
 *  - decorated functions with their body (`@nox.session(python=[...])\ndef tests(session):`),
 *  - calls with their arguments as literal values where they are literal
 *    (`session.install("-r", "requirements.txt", *TEST_DEPS)`, `setup(tests_require=[...])`).
 *
 * Anything else becomes an `unknown` value carrying its source text, so callers can say
 * what they could not read instead of guessing. Linear in the input: one pass to tokenize,
 * one to parse each call.
 */

export type PyToken =
  | { kind: "name"; text: string; line: number; indent: number }
  | { kind: "string"; text: string; value: string; fstring: boolean; line: number; indent: number }
  | { kind: "number"; text: string; line: number; indent: number }
  | { kind: "op"; text: string; line: number; indent: number }
  | { kind: "newline"; text: ""; line: number; indent: number };

/** A value as far as it can be known statically. */
export type PyValue =
  | { kind: "str"; value: string; fstring?: boolean }
  | { kind: "num"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "none" }
  | { kind: "list"; items: PyValue[] }
  | { kind: "dict"; entries: Array<[PyValue, PyValue]> }
  | { kind: "star"; value: PyValue }
  | { kind: "name"; path: string }
  /** `NAME["key"]`: an entry of a dict constant. */
  | { kind: "item"; path: string; key: string }
  | { kind: "call"; callee: string; args: PyValue[]; kwargs: Record<string, PyValue> }
  | { kind: "unknown"; text: string };

export interface PyCall {
  callee: string;
  line: number;
  args: PyValue[];
  kwargs: Record<string, PyValue>;
}

export interface PyFunction {
  name: string;
  line: number;
  params: string[];
  decorators: PyCall[];
  /** Token range of the body (exclusive end). */
  body: [number, number];
}

const OPS3 = new Set(["**=", "//=", ">>=", "<<=", "...", "!="]);
const OPS2 = new Set(["**", "//", "==", "!=", "<=", ">=", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", ":=", "<<", ">>"]);
const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;

/** Tokenize Python source: logical lines (NEWLINE tokens), each token tagged with its line's indent. */
export function tokenizePython(source: string): PyToken[] {
  const out: PyToken[] = [];
  let i = 0;
  let line = 1;
  let depth = 0;
  let atLineStart = true;
  let indent = 0;
  const n = source.length;
  const push = (t: PyToken) => out.push(t);
  while (i < n) {
    const c = source[i]!;
    if (atLineStart) {
      // Measure indentation; blank and comment-only lines do not count.
      let j = i;
      let width = 0;
      while (j < n && (source[j] === " " || source[j] === "\t")) {
        width += source[j] === "\t" ? 8 - (width % 8) : 1;
        j++;
      }
      if (j < n && (source[j] === "\n" || source[j] === "\r" || source[j] === "#")) {
        i = j;
        while (i < n && source[i] !== "\n") i++;
        if (i < n) {
          i++;
          line++;
        }
        continue;
      }
      indent = width;
      i = j;
      atLineStart = false;
      continue;
    }
    if (c === "\n") {
      if (depth === 0) {
        if (out.length && out[out.length - 1]!.kind !== "newline") push({ kind: "newline", text: "", line, indent });
        atLineStart = true;
      }
      line++;
      i++;
      continue;
    }
    if (c === "\\" && (source[i + 1] === "\n" || (source[i + 1] === "\r" && source[i + 2] === "\n"))) {
      i += source[i + 1] === "\r" ? 3 : 2;
      line++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    // Strings, with an optional prefix.
    let prefixEnd = i;
    while (prefixEnd < n && prefixEnd - i < 2 && /[rRbBuUfF]/.test(source[prefixEnd]!)) prefixEnd++;
    const quoteAt = source[prefixEnd] === '"' || source[prefixEnd] === "'" ? prefixEnd : source[i] === '"' || source[i] === "'" ? i : -1;
    if (quoteAt >= 0 && (quoteAt === i || STRING_PREFIX.test(source.slice(i, quoteAt)))) {
      const prefix = source.slice(i, quoteAt);
      const q = source[quoteAt]!;
      const triple = source.startsWith(q.repeat(3), quoteAt);
      const delim = triple ? q.repeat(3) : q;
      let j = quoteAt + delim.length;
      const startLine = line;
      let value = "";
      const raw = /[rR]/.test(prefix);
      while (j < n) {
        if (source.startsWith(delim, j)) break;
        const ch = source[j]!;
        if (ch === "\n") {
          line++;
          if (!triple) break; // an unterminated one-line string: stop at the line's end
        }
        if (ch === "\\" && j + 1 < n) {
          const next = source[j + 1]!;
          if (next === "\n") line++;
          if (raw) value += ch + next;
          else value += next === "n" ? "\n" : next === "t" ? "\t" : next === "\n" ? "" : next;
          j += 2;
          continue;
        }
        value += ch;
        j++;
      }
      const end = Math.min(n, j + delim.length);
      push({ kind: "string", text: source.slice(i, end), value, fstring: /[fF]/.test(prefix), line: startLine, indent });
      i = end;
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w\u0080-\uffff]/.test(source[j]!)) j++;
      push({ kind: "name", text: source.slice(i, j), line, indent });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(source[j]!)) j++;
      push({ kind: "number", text: source.slice(i, j), line, indent });
      i = j;
      continue;
    }
    const three = source.slice(i, i + 3);
    const two = source.slice(i, i + 2);
    const op = OPS3.has(three) ? three : OPS2.has(two) ? two : c;
    if (op === "(" || op === "[" || op === "{") depth++;
    else if ((op === ")" || op === "]" || op === "}") && depth > 0) depth--;
    push({ kind: "op", text: op, line, indent });
    i += op.length;
  }
  if (out.length && out[out.length - 1]!.kind !== "newline") push({ kind: "newline", text: "", line, indent });
  return out;
}

const CLOSE: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** For every opening bracket, the index of its closing one (one pass; unclosed ones close at the end). */
const closers = new WeakMap<PyToken[], Int32Array>();
function closerTable(tokens: PyToken[]): Int32Array {
  let table = closers.get(tokens);
  if (table) return table;
  table = new Int32Array(tokens.length).fill(tokens.length - 1);
  const stack: number[] = [];
  tokens.forEach((t, k) => {
    if (t.kind !== "op") return;
    if (t.text in CLOSE) stack.push(k);
    else if ((t.text === ")" || t.text === "]" || t.text === "}") && stack.length) table![stack.pop()!] = k;
  });
  closers.set(tokens, table);
  return table;
}

/** Index just past the bracket that closes the one at `open` (linear overall: the table is built once). */
export function skipBracket(tokens: PyToken[], open: number): number {
  return Math.min(tokens.length, closerTable(tokens)[open]! + 1);
}

/** A dotted name starting at `at` (`nox.session`, `session.install`), and the index after it. */
function dottedName(tokens: PyToken[], at: number): { path: string; end: number } | undefined {
  const first = tokens[at];
  if (first?.kind !== "name") return undefined;
  let path = first.text;
  let k = at + 1;
  while (tokens[k]?.kind === "op" && tokens[k]!.text === "." && tokens[k + 1]?.kind === "name") {
    path += `.${tokens[k + 1]!.text}`;
    k += 2;
  }
  return { path, end: k };
}

const textOf = (tokens: PyToken[], from: number, to: number) =>
  tokens
    .slice(from, to)
    .map((t) => t.text)
    .join(" ");

/** Parse one expression from `at` to `end` (exclusive) into a PyValue. */
export function parseValue(tokens: PyToken[], at: number, end: number): PyValue {
  if (at >= end) return { kind: "unknown", text: "" };
  const t = tokens[at]!;
  // Implicit concatenation of adjacent string literals ("a" "b").
  if (t.kind === "string") {
    let k = at;
    let value = "";
    let fstring = false;
    while (k < end && tokens[k]!.kind === "string") {
      const s = tokens[k] as Extract<PyToken, { kind: "string" }>;
      value += s.value;
      fstring ||= s.fstring;
      k++;
    }
    if (k === end) return fstring ? { kind: "str", value, fstring } : { kind: "str", value };
    return binary({ kind: "str", value, ...(fstring ? { fstring } : {}) }, tokens, k, end);
  }
  if (t.kind === "op" && t.text === "*" && at + 1 < end) return { kind: "star", value: parseValue(tokens, at + 1, end) };
  if (t.kind === "op" && (t.text === "[" || t.text === "(")) {
    const close = skipBracket(tokens, at);
    const items = splitArgs(tokens, at + 1, close - 1).map(([a, b]) => parseValue(tokens, a, b));
    // (x) is x, (x,) is a tuple: close enough for literal lists of strings.
    const inner = t.text === "(" && items.length === 1 && !hasTopLevelComma(tokens, at + 1, close - 1) ? items[0]! : { kind: "list" as const, items };
    return close === end ? inner : binary(inner, tokens, close, end);
  }
  if (t.kind === "op" && t.text === "{") {
    const close = skipBracket(tokens, at);
    const entries: Array<[PyValue, PyValue]> = [];
    const items: PyValue[] = [];
    for (const [a, b] of splitArgs(tokens, at + 1, close - 1)) {
      const colon = findTopLevel(tokens, a, b, ":");
      if (colon >= 0) entries.push([parseValue(tokens, a, colon), parseValue(tokens, colon + 1, b)]);
      else items.push(parseValue(tokens, a, b));
    }
    const value: PyValue = items.length && !entries.length ? { kind: "list", items } : { kind: "dict", entries };
    return close === end ? value : binary(value, tokens, close, end);
  }
  if (t.kind === "number" && at + 1 === end) return { kind: "num", value: Number(t.text.replace(/_/g, "")) };
  if (t.kind === "name") {
    if (at + 1 === end && (t.text === "True" || t.text === "False")) return { kind: "bool", value: t.text === "True" };
    if (at + 1 === end && t.text === "None") return { kind: "none" };
    const dotted = dottedName(tokens, at)!;
    if (dotted.end === end) return { kind: "name", path: dotted.path };
    if (tokens[dotted.end]?.text === "+") return binary({ kind: "name", path: dotted.path }, tokens, dotted.end, end);
    const sub = tokens[dotted.end + 1];
    if (tokens[dotted.end]?.text === "[" && sub?.kind === "string" && tokens[dotted.end + 2]?.text === "]") {
      const item: PyValue = { kind: "item", path: dotted.path, key: sub.value };
      return dotted.end + 3 === end ? item : binary(item, tokens, dotted.end + 3, end);
    }
    if (tokens[dotted.end]?.text === "(") {
      const close = skipBracket(tokens, dotted.end);
      const call = parseCallArgs(tokens, dotted.end, close, dotted.path);
      const value: PyValue = { kind: "call", callee: dotted.path, args: call.args, kwargs: call.kwargs };
      return close === end ? value : binary(value, tokens, close, end);
    }
  }
  return { kind: "unknown", text: textOf(tokens, at, end) };
}

/** `a + b` for lists and strings; anything else is unknown. */
function binary(left: PyValue, tokens: PyToken[], at: number, end: number): PyValue {
  const op = tokens[at];
  if (op?.kind === "op" && op.text === "+") {
    const right = parseValue(tokens, at + 1, end);
    if (left.kind === "list" && right.kind === "list") return { kind: "list", items: [...left.items, ...right.items] };
    if (left.kind === "str" && right.kind === "str") return { kind: "str", value: left.value + right.value };
    return { kind: "list", items: [{ kind: "star", value: left }, { kind: "star", value: right }] };
  }
  return { kind: "unknown", text: textOf(tokens, at - 1, end) };
}

function findTopLevel(tokens: PyToken[], from: number, to: number, op: string): number {
  for (let k = from; k < to; k++) {
    const t = tokens[k]!;
    if (t.kind === "op" && t.text in CLOSE) {
      k = skipBracket(tokens, k) - 1;
      continue;
    }
    if (t.kind === "op" && t.text === op) return k;
  }
  return -1;
}

function hasTopLevelComma(tokens: PyToken[], from: number, to: number): boolean {
  return findTopLevel(tokens, from, to, ",") >= 0;
}

/** Split `from..to` at top-level commas into [start, end) ranges (empty trailing item dropped). */
export function splitArgs(tokens: PyToken[], from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = from;
  for (let k = from; k < to; k++) {
    const t = tokens[k]!;
    if (t.kind === "newline") continue;
    if (t.kind === "op" && t.text in CLOSE) {
      k = skipBracket(tokens, k) - 1;
      continue;
    }
    if (t.kind === "op" && t.text === ",") {
      if (k > start) out.push([start, k]);
      start = k + 1;
    }
  }
  if (to > start) out.push([start, to]);
  return out;
}

/** The arguments of a call whose "(" is at `open` and whose ")" ends before `close`. */
function parseCallArgs(tokens: PyToken[], open: number, close: number, callee: string): PyCall {
  const args: PyValue[] = [];
  const kwargs: Record<string, PyValue> = {};
  for (const [a, b] of splitArgs(tokens, open + 1, close - 1)) {
    const t = tokens[a]!;
    if (t.kind === "name" && tokens[a + 1]?.kind === "op" && tokens[a + 1]!.text === "=") kwargs[t.text] = parseValue(tokens, a + 2, b);
    else if (t.kind === "op" && t.text === "**") kwargs[`**${textOf(tokens, a + 1, b)}`] = parseValue(tokens, a + 1, b);
    else args.push(parseValue(tokens, a, b));
  }
  return { callee, line: tokens[open]!.line, args, kwargs };
}

/** Every call in `range` whose dotted callee satisfies `match` (nested calls included). */
export function findCalls(tokens: PyToken[], match: (callee: string) => boolean, range: [number, number] = [0, tokens.length]): PyCall[] {
  const out: PyCall[] = [];
  for (let k = range[0]; k < range[1]; k++) {
    const t = tokens[k]!;
    if (t.kind !== "name" || (k > 0 && tokens[k - 1]!.kind === "op" && tokens[k - 1]!.text === ".")) continue;
    const dotted = dottedName(tokens, k)!;
    if (tokens[dotted.end]?.text === "(" && match(dotted.path)) {
      const close = skipBracket(tokens, dotted.end);
      out.push(parseCallArgs(tokens, dotted.end, close, dotted.path));
    }
    k = dotted.end - 1;
  }
  return out;
}

/** `NAME = value` statements at one indentation level of a range (module level by default). */
export function assignments(tokens: PyToken[], range: [number, number] = [0, tokens.length], indent = 0): Map<string, PyValue> {
  const out = new Map<string, PyValue>();
  let k = range[0];
  while (k < range[1]) {
    let end = k;
    while (end < range[1] && tokens[end]!.kind !== "newline") end++;
    const t = tokens[k]!;
    if (t.indent === indent && t.kind === "name" && tokens[k + 1]?.text === "=" && end > k + 2) out.set(t.text, parseValue(tokens, k + 2, end));
    // NAME["key"] = value: an entry added to a dict constant (setup.py's EXTRAS_REQUIRE["dev"] = …).
    else if (t.indent === indent && t.kind === "name" && tokens[k + 1]?.text === "[" && tokens[k + 2]?.kind === "string" && tokens[k + 3]?.text === "]" && tokens[k + 4]?.text === "=") {
      const dict = out.get(t.text);
      const key = (tokens[k + 2] as Extract<PyToken, { kind: "string" }>).value;
      if (dict?.kind === "dict") dict.entries.push([{ kind: "str", value: key }, parseValue(tokens, k + 5, end)]);
    }
    // Annotated constants: NAME: list[str] = [...]
    else if (t.indent === indent && t.kind === "name" && tokens[k + 1]?.text === ":") {
      const eq = findTopLevel(tokens, k + 2, end, "=");
      if (eq > 0) out.set(t.text, parseValue(tokens, eq + 1, end));
    }
    k = end + 1;
  }
  return out;
}

/** Functions (at any level) with their decorators and body range. */
export function functions(tokens: PyToken[]): PyFunction[] {
  const out: PyFunction[] = [];
  let pendingDecorators: PyCall[] = [];
  let k = 0;
  while (k < tokens.length) {
    let end = k;
    while (end < tokens.length && tokens[end]!.kind !== "newline") end++;
    const t = tokens[k]!;
    if (t.kind === "op" && t.text === "@") {
      const dotted = dottedName(tokens, k + 1);
      if (dotted) {
        const hasArgs = tokens[dotted.end]?.text === "(";
        const call = hasArgs ? parseCallArgs(tokens, dotted.end, skipBracket(tokens, dotted.end), dotted.path) : { callee: dotted.path, line: t.line, args: [], kwargs: {} };
        pendingDecorators.push(call);
      }
    } else if (t.kind === "name" && (t.text === "def" || (t.text === "async" && tokens[k + 1]?.text === "def"))) {
      const at = t.text === "async" ? k + 1 : k;
      const name = tokens[at + 1];
      if (name?.kind === "name") {
        const open = at + 2;
        const close = tokens[open]?.text === "(" ? skipBracket(tokens, open) : open;
        const params = splitArgs(tokens, open + 1, close - 1)
          .map(([a]) => tokens[a])
          .filter((p): p is Extract<PyToken, { kind: "name" }> => p?.kind === "name")
          .map((p) => p.text);
        // The body: the rest of a one-line def, or the following lines indented deeper.
        let bodyStart = end + 1;
        let bodyEnd = bodyStart;
        const colon = findTopLevel(tokens, close, end, ":");
        if (colon >= 0 && colon + 1 < end) {
          bodyStart = colon + 1;
          bodyEnd = end;
        } else {
          // Every token carries its logical line's indent (NEWLINE tokens too).
          while (bodyEnd < tokens.length && tokens[bodyEnd]!.indent > t.indent) bodyEnd++;
        }
        out.push({ name: name.text, line: name.line, params, decorators: pendingDecorators, body: [bodyStart, bodyEnd] });
      }
      pendingDecorators = [];
    } else pendingDecorators = [];
    k = end + 1;
  }
  return out;
}

/**
 * Resolve names and stars against known constants into a flat list of strings where
 * possible. `unresolved` collects what could not be read statically.
 */
export function flattenStrings(values: PyValue[], scope: Map<string, PyValue>, unresolved: string[] = [], depth = 0): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (depth > 8) {
      unresolved.push("(too deeply nested)");
      continue;
    }
    if (v.kind === "str") {
      if (v.fstring && /\{[^}]*\}/.test(v.value)) unresolved.push(`f"${v.value}"`);
      else out.push(v.value);
    } else if (v.kind === "list") out.push(...flattenStrings(v.items, scope, unresolved, depth + 1));
    else if (v.kind === "star") out.push(...flattenStrings([v.value], scope, unresolved, depth + 1));
    else if (v.kind === "name" && scope.has(v.path)) out.push(...flattenStrings([scope.get(v.path)!], scope, unresolved, depth + 1));
    else if (v.kind === "item") {
      const entry = dictEntries({ kind: "name", path: v.path }, scope).get(v.key);
      if (entry) out.push(...flattenStrings([entry], scope, unresolved, depth + 1));
      else unresolved.push(`${v.path}[${JSON.stringify(v.key)}]`);
    }
    else if (v.kind === "name") unresolved.push(v.path);
    else if (v.kind === "unknown") unresolved.push(v.text);
    else if (v.kind === "call") unresolved.push(`${v.callee}(…)`);
  }
  return out;
}

/** A dict literal's string-keyed entries. */
export function dictEntries(value: PyValue | undefined, scope: Map<string, PyValue>): Map<string, PyValue> {
  const out = new Map<string, PyValue>();
  const v = value?.kind === "name" ? scope.get(value.path) : value;
  // Later entries win, as a later `d["k"] = …` does.
  if (v?.kind === "dict") for (const [k, val] of v.entries) if (k.kind === "str") out.set(k.value, val);
  if (v?.kind === "call" && v.callee === "dict") for (const [k, val] of Object.entries(v.kwargs)) out.set(k, val);
  return out;
}
