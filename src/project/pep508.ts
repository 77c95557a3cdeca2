/**
 * PEP 508 dependency specifiers: `name[extra1,extra2] (>=1.0,<2) ; python_version < "3.11"`
 * and `name[extra] @ https://host/pkg.whl ; sys_platform == "linux"`.
 *
 * The parser is strict on purpose: a requirement dhtl cannot read is reported (with the
 * reason and the column) instead of being passed on to an installer that would fail later
 * with a less helpful message. Markers are parsed into a tree so they can be validated and
 * evaluated against an interpreter's environment.
 */

/** One requirement as dhtl understands it, wherever it was declared. */
export interface Requirement {
  /** The project name as written. */
  name: string;
  /** PEP 503 normalised name (lowercase, runs of `-_.` become `-`). */
  normalizedName: string;
  extras: string[];
  /** PEP 440 specifier set as written (whitespace removed), e.g. ">=1.0,<2"; "" for any version. */
  specifier: string;
  /** Environment marker expression, normalised spacing; absent when unconditional. */
  marker?: string;
  /** Direct reference (`name @ url`, a bare URL, a VCS URL). */
  url?: string;
  /** A local directory or archive (pip's `./pkg`, `-e .`); relative to the declaring file's project. */
  path?: string;
  /** Installed in editable mode (`-e`, poetry `develop = true`, uv `editable = true`). */
  editable?: boolean;
  /** `--hash=sha256:...` values from a requirements file, as `algo:hex`. */
  hashes?: string[];
  /** The text the requirement was parsed from. */
  raw: string;
  /** Where it was declared: "requirements.txt:3", "pyproject.toml [project.dependencies]". */
  origin?: string;
}

/** Raised by the parser; callers turn it into a DhtError naming their file and line. */
export class Pep508Error extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = "Pep508Error";
  }
}

export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const SPEC_OP_RE = /^(===|==|!=|<=|>=|~=|<|>)/;
const VERSION_RE = /^[A-Za-z0-9_.*+!-]+/;

/** Parse one PEP 508 string. Throws Pep508Error with a column on anything malformed. */
export function parseRequirement(text: string, origin?: string): Requirement {
  const s = text;
  let i = 0;
  const skipWs = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  skipWs();
  const nameMatch = NAME_RE.exec(s.slice(i));
  if (!nameMatch) throw new Pep508Error(`expected a package name at "${s.slice(i, i + 20)}"`, i);
  const name = nameMatch[0];
  i += name.length;
  skipWs();

  const extras: string[] = [];
  if (s[i] === "[") {
    i++;
    skipWs();
    if (s[i] !== "]") {
      for (;;) {
        skipWs();
        const m = NAME_RE.exec(s.slice(i));
        if (!m) throw new Pep508Error(`expected an extra name in [...] at column ${i + 1}`, i);
        extras.push(m[0]);
        i += m[0].length;
        skipWs();
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === "]") break;
        throw new Pep508Error(`expected "," or "]" in the extras at column ${i + 1}`, i);
      }
    }
    i++; // ]
    skipWs();
  }

  let specifier = "";
  let url: string | undefined;
  if (s[i] === "@") {
    i++;
    skipWs();
    // The URL runs to whitespace; a marker after a URL must be separated by whitespace
    // (PEP 508), otherwise ";" would be taken as part of the URL.
    const start = i;
    while (i < s.length && !/\s/.test(s[i]!)) i++;
    url = s.slice(start, i);
    if (!url) throw new Pep508Error(`expected a URL after "@"`, start);
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) throw new Pep508Error(`"${url}" is not a URL (expected scheme://...)`, start);
    if (/;\s*[a-z_.]+\s*(==|!=|<|>|~=|in\b|not\b)/.test(url)) {
      throw new Pep508Error(`a marker after a URL needs whitespace before ";" (write "name @ URL ; marker")`, start + url.indexOf(";"));
    }
    skipWs();
  } else {
    const parenthesised = s[i] === "(";
    if (parenthesised) {
      i++;
      skipWs();
    }
    const parts: string[] = [];
    while (i < s.length && SPEC_OP_RE.test(s.slice(i))) {
      const op = SPEC_OP_RE.exec(s.slice(i))![0];
      i += op.length;
      skipWs();
      const v = VERSION_RE.exec(s.slice(i));
      if (!v) throw new Pep508Error(`expected a version after "${op}" at column ${i + 1}`, i);
      validateVersionForOperator(op, v[0], i);
      parts.push(op + v[0]);
      i += v[0].length;
      skipWs();
      if (s[i] === ",") {
        i++;
        skipWs();
        if (!SPEC_OP_RE.test(s.slice(i))) throw new Pep508Error(`expected a version specifier after "," at column ${i + 1}`, i);
      }
    }
    if (parenthesised) {
      if (s[i] !== ")") throw new Pep508Error(`expected ")" at column ${i + 1}`, i);
      i++;
      skipWs();
    }
    specifier = parts.join(",");
  }

  let marker: string | undefined;
  if (s[i] === ";") {
    i++;
    const markerText = s.slice(i).trim();
    if (!markerText) throw new Pep508Error(`expected an environment marker after ";"`, i);
    marker = markerToString(parseMarker(markerText, i));
    i = s.length;
  }
  skipWs();
  if (i < s.length) {
    throw new Pep508Error(`unexpected text "${s.slice(i, i + 30)}" at column ${i + 1}`, i);
  }
  return {
    name,
    normalizedName: normalizeName(name),
    extras,
    specifier,
    ...(marker ? { marker } : {}),
    ...(url ? { url } : {}),
    raw: text.trim(),
    ...(origin ? { origin } : {}),
  };
}

function validateVersionForOperator(op: string, version: string, column: number): void {
  if (op === "===") return; // arbitrary equality: any string
  if (version.includes("*") && !((op === "==" || op === "!=") && /^[^*]*\.\*$/.test(version))) {
    throw new Pep508Error(`"${op}${version}": a wildcard is only allowed as a trailing ".*" with == or !=`, column);
  }
  if (op === "~=" && !/\d+\.\d+/.test(version)) {
    throw new Pep508Error(`"~=${version}": compatible-release needs at least two release segments (e.g. ~=1.4)`, column);
  }
  // PEP 440 public version (+ local label): epoch, release, pre/post/dev in their loose forms.
  const pep440 = /^v?(\d+!)?\d+(\.\d+)*(\.\*)?([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?([-_.]?(post|rev|r)[-_.]?\d*|-\d+)?([-_.]?dev[-_.]?\d*)?(\+[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*)?$/i;
  if (!pep440.test(version)) throw new Pep508Error(`"${version}" is not a valid PEP 440 version`, column);
}

// ---------------------------------------------------------------------------------------
// Markers

export type MarkerNode =
  | { kind: "and" | "or"; left: MarkerNode; right: MarkerNode }
  | { kind: "compare"; left: MarkerValue; op: string; right: MarkerValue };
export type MarkerValue = { kind: "var"; name: string } | { kind: "str"; value: string };

/** Marker variables of PEP 508 plus the dotted legacy spellings pip still accepts. */
const MARKER_VARS = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
  "extras",
  "dependency_groups",
]);
const LEGACY_VARS: Record<string, string> = {
  "os.name": "os_name",
  "sys.platform": "sys_platform",
  "platform.version": "platform_version",
  "platform.machine": "platform_machine",
  "platform.python_implementation": "platform_python_implementation",
  "python_implementation": "platform_python_implementation",
};

type Token = { t: "(" | ")" | "and" | "or" | "op" | "var" | "str"; v: string; pos: number };

function tokenizeMarker(text: string, offset: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      out.push({ t: c, v: c, pos: i });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Pep508Error(`unterminated string in marker at column ${offset + i + 1}`, offset + i);
      out.push({ t: "str", v: text.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    const op = /^(===|==|!=|<=|>=|~=|<|>)/.exec(text.slice(i));
    if (op) {
      out.push({ t: "op", v: op[0], pos: i });
      i += op[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
    if (word) {
      const w = word[0];
      if (w === "and" || w === "or") out.push({ t: w, v: w, pos: i });
      else if (w === "in") out.push({ t: "op", v: "in", pos: i });
      else if (w === "not") {
        const rest = /^not\s+in\b/.exec(text.slice(i));
        if (!rest) throw new Pep508Error(`"not" must be followed by "in" in a marker (column ${offset + i + 1})`, offset + i);
        out.push({ t: "op", v: "not in", pos: i });
        i += rest[0].length;
        continue;
      } else {
        const canonical = LEGACY_VARS[w] ?? w;
        if (!MARKER_VARS.has(canonical)) {
          throw new Pep508Error(`unknown marker variable "${w}" (column ${offset + i + 1})`, offset + i);
        }
        out.push({ t: "var", v: canonical, pos: i });
      }
      i += w.length;
      continue;
    }
    throw new Pep508Error(`unexpected "${c}" in marker at column ${offset + i + 1}`, offset + i);
  }
  return out;
}

/** Parse a marker expression (the text after ";"). */
export function parseMarker(text: string, offset = 0): MarkerNode {
  const tokens = tokenizeMarker(text, offset);
  let p = 0;
  const fail = (what: string): never => {
    const tok = tokens[p];
    const col = offset + (tok ? tok.pos : text.length) + 1;
    throw new Pep508Error(`${what} in marker "${text.length > 200 ? `${text.slice(0, 200)}…` : text}" (column ${col})`, col - 1);
  };
  const value = (): MarkerValue => {
    const tok = tokens[p];
    if (tok?.t === "var") {
      p++;
      return { kind: "var", name: tok.v };
    }
    if (tok?.t === "str") {
      p++;
      return { kind: "str", value: tok.v };
    }
    return fail("expected a marker variable or a quoted string");
  };
  let depth = 0;
  const atom = (): MarkerNode => {
    if (tokens[p]?.t === "(") {
      // Bounded recursion: no real marker nests parentheses 100 deep.
      if (++depth > 100) fail("parentheses nested more than 100 deep");
      p++;
      const inner = orExpr();
      depth--;
      if (tokens[p]?.t !== ")") fail('expected ")"');
      p++;
      return inner;
    }
    const left = value();
    const op = tokens[p];
    if (op?.t !== "op") return fail("expected a comparison operator");
    p++;
    const right = value();
    return { kind: "compare", left, op: op.v, right };
  };
  const andExpr = (): MarkerNode => {
    let left = atom();
    while (tokens[p]?.t === "and") {
      p++;
      left = { kind: "and", left, right: atom() };
    }
    return left;
  };
  const orExpr = (): MarkerNode => {
    let left = andExpr();
    while (tokens[p]?.t === "or") {
      p++;
      left = { kind: "or", left, right: andExpr() };
    }
    return left;
  };
  const tree = orExpr();
  if (p < tokens.length) fail(`unexpected "${tokens[p]!.v}"`);
  return tree;
}

export function markerToString(node: MarkerNode, parentKind?: string): string {
  if (node.kind === "compare") {
    const v = (x: MarkerValue) => (x.kind === "var" ? x.name : JSON.stringify(x.value));
    return `${v(node.left)} ${node.op} ${v(node.right)}`;
  }
  const s = `${markerToString(node.left, node.kind)} ${node.kind} ${markerToString(node.right, node.kind)}`;
  return parentKind === "and" && node.kind === "or" ? `(${s})` : s;
}

/** Values of the marker variables for one interpreter (python -c 'import platform...'). */
export type MarkerEnvironment = Partial<Record<string, string>> & { extra?: string };

/** Evaluate a marker. Version-like variables compare as versions, everything else as strings. */
export function evaluateMarker(marker: string | MarkerNode, env: MarkerEnvironment): boolean {
  const node = typeof marker === "string" ? parseMarker(marker) : marker;
  if (node.kind !== "compare") {
    return node.kind === "and"
      ? evaluateMarker(node.left, env) && evaluateMarker(node.right, env)
      : evaluateMarker(node.left, env) || evaluateMarker(node.right, env);
  }
  const resolve = (v: MarkerValue) => (v.kind === "str" ? v.value : (env[v.name] ?? ""));
  const versionish = (v: MarkerValue) =>
    v.kind === "var" && ["python_version", "python_full_version", "implementation_version", "platform_release"].includes(v.name);
  let left = resolve(node.left);
  let right = resolve(node.right);
  if ((node.left.kind === "var" && node.left.name === "extra") || (node.right.kind === "var" && node.right.name === "extra")) {
    left = normalizeName(left);
    right = normalizeName(right);
  }
  switch (node.op) {
    case "in":
      return right.includes(left);
    case "not in":
      return !right.includes(left);
  }
  if ((versionish(node.left) || versionish(node.right)) && /^\d/.test(left) && /^\d/.test(right.replace(/\.\*$/, ""))) {
    return compareVersions(left, node.op, right);
  }
  switch (node.op) {
    case "==":
    case "===":
      return left === right;
    case "!=":
      return left !== right;
    default:
      // PEP 508: an ordering comparison of non-versions falls back to Python string ordering.
      return compareStrings(left, node.op, right);
  }
}

function compareStrings(a: string, op: string, b: string): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      return false;
  }
}

/** Release-segment comparison, enough for marker versions (python_version is "X.Y"). */
function compareVersions(a: string, op: string, b: string): boolean {
  if (b.endsWith(".*") && (op === "==" || op === "!=")) {
    const prefix = b.slice(0, -2).split(".");
    const match = prefix.every((seg, idx) => (a.split(".")[idx] ?? "0") === seg);
    return op === "==" ? match : !match;
  }
  const seg = (v: string) => v.split(/[^0-9]/)[0] === "" ? [] : v.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const x = seg(a);
  const y = seg(b);
  let cmp = 0;
  for (let k = 0; k < Math.max(x.length, y.length) && cmp === 0; k++) cmp = Math.sign((x[k] ?? 0) - (y[k] ?? 0));
  switch (op) {
    case "==":
    case "===":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case ">":
      return cmp > 0;
    case ">=":
      return cmp >= 0;
    case "~=": {
      if (cmp < 0) return false;
      const head = y.slice(0, Math.max(1, y.length - 1));
      return head.every((v, idx) => x[idx] === v);
    }
    default:
      return false;
  }
}

/** Render a requirement back to PEP 508 text (what an installer receives). */
export function formatRequirement(req: Requirement): string {
  const extras = req.extras.length ? `[${req.extras.join(",")}]` : "";
  let out = req.name + extras;
  // A requirement without a name (a bare VCS URL without #egg=, `-e .[all]`) is its location.
  if (!req.name && req.url) out = req.url;
  else if (!req.name && req.path !== undefined) out = req.path + extras;
  else if (req.url) out += ` @ ${req.url}`;
  else if (req.specifier) out += req.specifier;
  if (req.marker) out += (req.url ? " ; " : "; ") + req.marker;
  return out;
}
