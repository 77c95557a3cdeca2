/**
 * Node.js version requests, as projects write them: `20.10.0`, `v20.10.0`, `20`, `20.10`,
 * `20.x`, `>=18 <21`, `^20.10`, `~20.10.1`, `18 || 20`, `lts/*`, `lts/iron`, `node`/`latest`.
 * A small subset of node-semver's ranges, enough for .nvmrc, .node-version, .tool-versions
 * and package.json `engines.node`. Pure.
 */

export type Version = [number, number, number];

export interface NodeRequest {
  /** As written. */
  raw: string;
  /** `20.10.0`: one exact version (the chain's nearest-patch step applies). */
  exact?: Version;
  /** `lts/*` (codename "*") or `lts/iron`. */
  lts?: string;
  /** Otherwise a range: alternatives (||) of comparator sets (all must hold). */
  range?: Array<Array<{ op: "<" | "<=" | ">" | ">=" | "="; v: Version }>>;
}

export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export const formatVersion = (v: Version) => `${v[0]}.${v[1]}.${v[2]}`;

export function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** A partial version (`20`, `20.10`, `20.x`, `*`) → the comparators it stands for. */
function partial(text: string): Array<{ op: "<" | "<=" | ">" | ">=" | "="; v: Version }> | undefined {
  const t = text.replace(/^v/, "");
  if (t === "*" || t === "x" || t === "") return [{ op: ">=", v: [0, 0, 0] }];
  const m = /^(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(t);
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = m[2] === undefined || m[2] === "x" || m[2] === "*" ? undefined : Number(m[2]);
  const patch = m[3] === undefined || m[3] === "x" || m[3] === "*" ? undefined : Number(m[3]);
  if (minor === undefined) return [{ op: ">=", v: [major, 0, 0] }, { op: "<", v: [major + 1, 0, 0] }];
  if (patch === undefined) return [{ op: ">=", v: [major, minor, 0] }, { op: "<", v: [major, minor + 1, 0] }];
  return [{ op: "=", v: [major, minor, patch] }];
}

function comparatorSet(text: string): Array<{ op: "<" | "<=" | ">" | ">=" | "="; v: Version }> | undefined {
  const out: Array<{ op: "<" | "<=" | ">" | ">=" | "="; v: Version }> = [];
  // "1.2.3 - 2.3.4" hyphen ranges
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text.trim());
  if (hyphen) {
    const lo = partial(hyphen[1]!);
    const hi = parseVersion(hyphen[2]!);
    if (!lo || !hi) return undefined;
    return [{ op: ">=", v: lo[0]!.v }, { op: "<=", v: hi }];
  }
  for (const token of text.trim().replace(/([<>=~^]+)\s+/g, "$1").split(/\s+/).filter(Boolean)) {
    const m = /^(<=|>=|<|>|=|\^|~)?(.+)$/.exec(token);
    if (!m) return undefined;
    const op = m[1];
    const body = m[2]!;
    if (op === "^" || op === "~") {
      const parts = body.replace(/^v/, "").split(".").map((p) => (p === "x" || p === "*" ? undefined : Number(p)));
      const [a = 0, b, c] = parts;
      if ([a, b, c].some((n) => n !== undefined && Number.isNaN(n))) return undefined;
      const lo: Version = [a, b ?? 0, c ?? 0];
      const hi: Version = op === "~" ? (b === undefined ? [a + 1, 0, 0] : [a, b + 1, 0]) : a > 0 || b === undefined ? [a + 1, 0, 0] : b > 0 || c === undefined ? [0, b + 1, 0] : [0, 0, c + 1];
      out.push({ op: ">=", v: lo }, { op: "<", v: hi });
      continue;
    }
    if (op && op !== "=") {
      const v = parseVersion(body) ?? (partial(body)?.[0]?.v as Version | undefined);
      if (!v) return undefined;
      out.push({ op: op as "<" | "<=" | ">" | ">=", v });
      continue;
    }
    const p = partial(body);
    if (!p) return undefined;
    out.push(...p);
  }
  return out.length ? out : undefined;
}

/** Parse a request, or undefined when it is not one this module understands. */
export function parseNodeRequest(text: string): NodeRequest | undefined {
  const raw = text.trim();
  if (!raw) return undefined;
  const lower = raw.toLowerCase();
  if (lower === "node" || lower === "latest" || lower === "current" || lower === "stable") return { raw, range: [[{ op: ">=", v: [0, 0, 0] }]] };
  const lts = /^lts\/(\*|[a-z]+)$/.exec(lower) ?? (lower === "lts" ? ["lts", "*"] : null);
  if (lts) return { raw, lts: lts[1]! };
  const exact = parseVersion(raw);
  if (exact) return { raw, exact };
  const alternatives = raw.split("||").map((alt) => comparatorSet(alt));
  if (alternatives.some((a) => !a)) return undefined;
  return { raw, range: alternatives as NonNullable<NodeRequest["range"]> };
}

export function satisfies(v: Version, req: NodeRequest, ltsOf?: (v: Version) => string | false): boolean {
  if (req.exact) return compare(v, req.exact) === 0;
  if (req.lts) {
    const codename = ltsOf?.(v);
    return Boolean(codename) && (req.lts === "*" || String(codename).toLowerCase() === req.lts);
  }
  return (req.range ?? []).some((set) =>
    set.every(({ op, v: w }) => {
      const c = compare(v, w);
      return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : op === ">=" ? c >= 0 : c === 0;
    }),
  );
}

/** The newest of `versions` the request accepts. */
export function best(versions: Version[], req: NodeRequest, ltsOf?: (v: Version) => string | false): Version | undefined {
  return [...versions].sort((a, b) => compare(b, a)).find((v) => satisfies(v, req, ltsOf));
}

/** For an exact request, the nearest other patch of the same major.minor (newest first: patches fix things). */
export function nearestPatch(versions: Version[], req: NodeRequest): Version | undefined {
  if (!req.exact) return undefined;
  const [a, b] = req.exact;
  return [...versions].filter((v) => v[0] === a && v[1] === b && compare(v, req.exact!) !== 0).sort((x, y) => compare(y, x))[0];
}
