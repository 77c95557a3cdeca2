/**
 * Where things are in a YAML source. Bun.YAML.parse returns plain values without
 * positions, so error messages could not say "line 14". This module reads the same source
 * a second time, shallowly: it builds an outline of mappings and sequences with the line
 * of every key and item, the raw text of scalars, and the duplicate keys YAML forbids but
 * Bun.YAML silently resolves (last one wins).
 *
 * It is a locator, not a parser: it runs only on sources Bun.YAML already accepted, it
 * understands block mappings/sequences, compact "- key: value" items, flow collections
 * (also over several lines), block scalars, quoted and multi-line plain scalars, anchors,
 * aliases and tags well enough to place keys. Anything it cannot follow (merge keys,
 * aliases, complex keys) makes `lineOf` fall back to the nearest parent it knows.
 * It never throws.
 */

export type PathSegment = string | number;

export interface OutlineNode {
  kind: "map" | "seq" | "scalar" | "alias";
  /** 1-based line where the node's content starts. */
  line: number;
  entries?: Map<string, OutlineEntry>;
  items?: OutlineEntry[];
  /** Scalars: the text as written (quotes removed, escapes not interpreted). */
  raw?: string;
  quoted?: boolean;
}

export interface OutlineEntry {
  /** 1-based line of the key (mappings) or of the "-" (sequences). */
  line: number;
  node: OutlineNode;
}

export interface DuplicateKey {
  path: PathSegment[];
  line: number;
  firstLine: number;
}

export interface YamlOutline {
  root?: OutlineNode;
  duplicates: DuplicateKey[];
}

interface SourceLine {
  /** 1-based line number. */
  no: number;
  /** Columns of leading spaces. */
  indent: number;
  /** Content after the indentation, comment removed, trailing space trimmed. */
  text: string;
}

/** Remove a trailing `# comment` (a # that starts a token, outside quotes). */
export function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (quote === '"' && c === "\\") i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    const prev = i === 0 ? " " : text[i - 1]!;
    if (c === "#" && /\s/.test(prev)) return text.slice(0, i).trimEnd();
    if ((c === '"' || c === "'") && /[\s[{,:-]/.test(prev)) quote = c;
  }
  return text.trimEnd();
}

function significantLines(source: string): SourceLine[] {
  const out: SourceLine[] = [];
  const lines = source.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.replace(/^ +/, "").length;
    let text = stripComment(line.slice(indent));
    if (indent === 0 && /^(---|\.\.\.)(\s|$)/.test(text)) text = text.slice(3).trim();
    if (indent === 0 && text.startsWith("%")) continue;
    if (text === "" || text.startsWith("#")) continue;
    out.push({ no: i + 1, indent, text });
  }
  return out;
}

interface KeyMatch {
  key: string;
  /** The value text after the colon, trimmed. */
  rest: string;
  /** Offset of `rest` in the line text. */
  restOffset: number;
}

function readQuoted(text: string, start: number): { value: string; end: number } | undefined {
  const q = text[start]!;
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (q === '"' && c === "\\") {
      value += c + (text[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === q) {
      if (q === "'" && text[i + 1] === "'") {
        value += "'";
        i++;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
  }
  return undefined;
}

/** `key: value` / `"key": value` / `key:` at the start of a block line, else undefined. */
export function matchKey(text: string): KeyMatch | undefined {
  if (text === "" || /^[-?]( |$)/.test(text) || /^[[{*|>!&%@`]/.test(text)) return undefined;
  let key: string;
  let after: number;
  if (text[0] === '"' || text[0] === "'") {
    const q = readQuoted(text, 0);
    if (!q) return undefined;
    const colon = /^\s*:(\s|$)/.exec(text.slice(q.end));
    if (!colon) return undefined;
    key = q.value;
    after = q.end + colon[0].length;
  } else {
    const m = /:(\s|$)/.exec(text);
    if (!m) return undefined;
    key = text.slice(0, m.index).trimEnd();
    if (key === "") return undefined;
    after = m.index + m[0].length;
  }
  const rest = text.slice(after).trim();
  return { key, rest, restOffset: text.length - text.slice(after).trimStart().length };
}

const isSeqItem = (text: string) => /^-( |$)/.test(text);

class OutlineBuilder {
  private i = 0;
  readonly duplicates: DuplicateKey[] = [];

  constructor(private readonly lines: SourceLine[]) {}

  build(): OutlineNode | undefined {
    const first = this.lines[0];
    if (!first) return undefined;
    return this.nodeAt(first.indent, -1, []);
  }

  private peek(): SourceLine | undefined {
    return this.lines[this.i];
  }

  /** Skip lines that continue the value of an entry owned at `ownerIndent`. */
  private skipDeeper(ownerIndent: number): void {
    while (this.peek() && this.peek()!.indent > ownerIndent) this.i++;
  }

  /** A block node whose first line is the current line, at column `indent`. */
  private nodeAt(indent: number, ownerIndent: number, path: PathSegment[]): OutlineNode {
    const line = this.peek()!;
    if (isSeqItem(line.text)) return this.seqAt(indent, path);
    if (matchKey(line.text)) return this.mapAt(indent, path);
    this.i++;
    return this.value(line.text, line, ownerIndent, path);
  }

  private mapAt(indent: number, path: PathSegment[]): OutlineNode {
    const node: OutlineNode = { kind: "map", line: this.peek()!.no, entries: new Map() };
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      const m = matchKey(line.text);
      if (!m) {
        this.i++;
        this.skipDeeper(indent);
        continue;
      }
      this.i++;
      const childPath = [...path, m.key];
      const child = this.entryValue(m.rest, line, indent, childPath);
      const existing = node.entries!.get(m.key);
      if (existing && m.key !== "<<") this.duplicates.push({ path: childPath, line: line.no, firstLine: existing.line });
      node.entries!.set(m.key, { line: line.no, node: child });
    }
    return node;
  }

  private seqAt(indent: number, path: PathSegment[]): OutlineNode {
    const node: OutlineNode = { kind: "seq", line: this.peek()!.no, items: [] };
    for (let line = this.peek(); line && line.indent === indent && isSeqItem(line.text); line = this.peek()) {
      const childPath = [...path, node.items!.length];
      const rest = line.text.slice(1).trimStart();
      const offset = indent + (line.text.length - rest.length);
      let child: OutlineNode;
      if (rest === "") {
        this.i++;
        const next = this.peek();
        child = next && next.indent > indent ? this.nodeAt(next.indent, indent, childPath) : { kind: "scalar", line: line.no, raw: "" };
      } else if (isSeqItem(rest) || matchKey(rest)) {
        // "- key: v" / "- - x": the rest is a block node starting at its own column.
        this.lines[this.i] = { no: line.no, indent: offset, text: rest };
        child = this.nodeAt(offset, indent, childPath);
      } else {
        this.i++;
        child = this.value(rest, line, indent, childPath);
      }
      node.items!.push({ line: line.no, node: child });
    }
    return node;
  }

  /** The value of `key: rest` on `line`, whose key sits at `indent`. */
  private entryValue(rest: string, line: SourceLine, indent: number, path: PathSegment[]): OutlineNode {
    const bare = stripProperties(rest);
    if (bare === "") {
      const next = this.peek();
      if (next && next.indent > indent) return this.nodeAt(next.indent, indent, path);
      if (next && next.indent === indent && isSeqItem(next.text)) return this.seqAt(indent, path);
      return { kind: "scalar", line: line.no, raw: "" };
    }
    return this.value(bare, line, indent, path);
  }

  /** A value written inline on `line` (the line itself is already consumed). */
  private value(text: string, line: SourceLine, ownerIndent: number, path: PathSegment[]): OutlineNode {
    const bare = stripProperties(text);
    if (bare.startsWith("[") || bare.startsWith("{")) {
      const chunks = [{ no: line.no, text: bare }];
      while (!flowBalanced(chunks.map((c) => c.text).join("\n")) && this.peek()) {
        const next = this.peek()!;
        chunks.push({ no: next.no, text: next.text });
        this.i++;
      }
      const node = new FlowParser(chunks, this.duplicates).parse(path);
      this.skipDeeper(ownerIndent);
      return node;
    }
    this.skipDeeper(ownerIndent);
    if (bare.startsWith("*")) return { kind: "alias", line: line.no, raw: bare };
    if (bare.startsWith('"') || bare.startsWith("'")) {
      const q = readQuoted(bare, 0);
      return { kind: "scalar", line: line.no, raw: q ? q.value : bare.slice(1), quoted: true };
    }
    return { kind: "scalar", line: line.no, raw: bare };
  }
}

/** Drop leading `&anchor` and `!tag` properties from a value. */
function stripProperties(text: string): string {
  let t = text.trim();
  for (;;) {
    const m = /^([&!][^\s]*)(\s+|$)/.exec(t);
    if (!m) return t;
    t = t.slice(m[0].length);
  }
}

function flowBalanced(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (quote === '"' && c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
  }
  return depth <= 0;
}

/** Flow collections (`[a, b]`, `{k: v}`), possibly spread over several lines. */
class FlowParser {
  private readonly text: string;
  private readonly lineAt: number[];
  private p = 0;

  constructor(chunks: Array<{ no: number; text: string }>, private readonly duplicates: DuplicateKey[]) {
    let text = "";
    const lineAt: number[] = [];
    for (const chunk of chunks) {
      text += `${chunk.text}\n`;
      for (let k = 0; k <= chunk.text.length; k++) lineAt.push(chunk.no);
    }
    this.text = text;
    this.lineAt = lineAt;
  }

  parse(path: PathSegment[]): OutlineNode {
    return this.value(path);
  }

  private line(): number {
    return this.lineAt[Math.min(this.p, this.lineAt.length - 1)] ?? 1;
  }

  private ws(): void {
    while (this.p < this.text.length && /\s/.test(this.text[this.p]!)) this.p++;
  }

  private value(path: PathSegment[]): OutlineNode {
    this.ws();
    while (this.text[this.p] === "&" || this.text[this.p] === "!") {
      while (this.p < this.text.length && !/[\s,[\]{}]/.test(this.text[this.p]!)) this.p++;
      this.ws();
    }
    const c = this.text[this.p];
    if (c === "[") return this.seq(path);
    if (c === "{") return this.map(path);
    return this.scalar();
  }

  private scalar(): OutlineNode {
    const line = this.line();
    const c = this.text[this.p];
    if (c === '"' || c === "'") {
      const q = readQuoted(this.text, this.p);
      if (!q) {
        this.p = this.text.length;
        return { kind: "scalar", line, raw: "", quoted: true };
      }
      this.p = q.end;
      return { kind: "scalar", line, raw: q.value, quoted: true };
    }
    const start = this.p;
    while (this.p < this.text.length) {
      const ch = this.text[this.p]!;
      if (ch === "," || ch === "]" || ch === "}") break;
      // ": " ends a plain scalar in flow context (a key, or a single-pair map in a sequence).
      if (ch === ":" && /[\s,[\]{}]/.test(this.text[this.p + 1] ?? " ")) break;
      this.p++;
    }
    const raw = this.text.slice(start, this.p).replace(/\s+/g, " ").trim();
    return { kind: raw.startsWith("*") ? "alias" : "scalar", line, raw };
  }

  private seq(path: PathSegment[]): OutlineNode {
    const node: OutlineNode = { kind: "seq", line: this.line(), items: [] };
    this.p++; // [
    for (let guard = 0; guard < 100_000; guard++) {
      this.ws();
      if (this.p >= this.text.length || this.text[this.p] === "]") break;
      const line = this.line();
      const item = this.value([...path, node.items!.length]);
      this.ws();
      if (this.text[this.p] === ":") {
        // A single-pair mapping inside a sequence: [a: 1]
        this.p++;
        const pairValue = this.value([...path, node.items!.length, item.raw ?? ""]);
        node.items!.push({ line, node: { kind: "map", line, entries: new Map([[item.raw ?? "", { line, node: pairValue }]]) } });
      } else node.items!.push({ line, node: item });
      this.ws();
      if (this.text[this.p] === ",") this.p++;
      else break;
    }
    this.ws();
    if (this.text[this.p] === "]") this.p++;
    return node;
  }

  private map(path: PathSegment[]): OutlineNode {
    const node: OutlineNode = { kind: "map", line: this.line(), entries: new Map() };
    this.p++; // {
    for (let guard = 0; guard < 100_000; guard++) {
      this.ws();
      if (this.p >= this.text.length || this.text[this.p] === "}") break;
      const line = this.line();
      const key = this.scalar().raw ?? "";
      this.ws();
      let child: OutlineNode = { kind: "scalar", line, raw: "" };
      if (this.text[this.p] === ":") {
        this.p++;
        child = this.value([...path, key]);
      }
      const existing = node.entries!.get(key);
      if (existing && key !== "<<") this.duplicates.push({ path: [...path, key], line, firstLine: existing.line });
      node.entries!.set(key, { line, node: child });
      this.ws();
      if (this.text[this.p] === ",") this.p++;
      else break;
    }
    this.ws();
    if (this.text[this.p] === "}") this.p++;
    return node;
  }
}

/** Build the outline of a YAML source (one document). Never throws. */
export function outlineYaml(source: string): YamlOutline {
  const builder = new OutlineBuilder(significantLines(source));
  try {
    return { root: builder.build(), duplicates: builder.duplicates };
  } catch {
    // A shape this locator does not follow: no positions rather than a crash.
    return { root: undefined, duplicates: builder.duplicates };
  }
}

function step(node: OutlineNode | undefined, segment: PathSegment): OutlineEntry | undefined {
  if (!node) return undefined;
  if (node.kind === "map") return node.entries!.get(String(segment));
  if (node.kind === "seq") {
    const index = typeof segment === "number" ? segment : /^\d+$/.test(segment) ? Number(segment) : NaN;
    return node.items![index];
  }
  return undefined;
}

/**
 * The 1-based line of the key (or item) at `path`. When the path cannot be followed all
 * the way, the line of the deepest parent found, with `exact: false`.
 */
export function lineOf(outline: YamlOutline, path: readonly PathSegment[]): { line: number; exact: boolean } {
  let node = outline.root;
  let line = node?.line ?? 1;
  for (const segment of path) {
    const entry = step(node, segment);
    if (!entry) return { line, exact: false };
    line = entry.line;
    node = entry.node;
  }
  return { line, exact: true };
}

/** The scalar text at `path` as written in the source (e.g. "3.10", which YAML reads as 3.1). */
export function scalarText(outline: YamlOutline, path: readonly PathSegment[]): string | undefined {
  let node = outline.root;
  for (const segment of path) node = step(node, segment)?.node;
  return node?.kind === "scalar" ? node.raw : undefined;
}
