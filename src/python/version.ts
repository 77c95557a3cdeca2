/**
 * PEP 440 versions, the subset Python interpreters use: a release ("3.11.7"), an optional
 * pre-release ("3.13.0rc1"), and tolerated local/dev/post parts. Pure functions only.
 */

export interface Version {
  /** Release segments: [3, 11, 7]. */
  release: number[];
  /** Pre-release: ["rc", 1]; absent for a final release. */
  pre?: [kind: "a" | "b" | "rc", number: number];
  post?: number;
  dev?: number;
  /** The text it was parsed from (normalised: "3.11.7"). */
  text: string;
}

const VERSION_RE =
  /^\s*v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:(?:-(\d+))|(?:[-_.]?(?:post|rev|r)[-_.]?(\d*)))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$/i;

export function parseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  const release = m[1]!.split(".").map((s) => Number.parseInt(s, 10));
  const v: Version = { release, text: "" };
  if (m[2]) {
    const kind = m[2].toLowerCase();
    const norm = kind === "alpha" ? "a" : kind === "beta" ? "b" : kind === "a" || kind === "b" ? kind : "rc";
    v.pre = [norm, m[3] ? Number.parseInt(m[3], 10) : 0];
  }
  const post = m[4] ?? m[5];
  if (post !== undefined) v.post = post === "" ? 0 : Number.parseInt(post, 10);
  if (m[6] !== undefined) v.dev = m[6] === "" ? 0 : Number.parseInt(m[6], 10);
  v.text = formatVersion(v);
  return v;
}

export function formatVersion(v: Omit<Version, "text">): string {
  let s = v.release.join(".");
  if (v.pre) s += `${v.pre[0]}${v.pre[1]}`;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  return s;
}

const PRE_ORDER = { a: 0, b: 1, rc: 2 } as const;

/** PEP 440 ordering (release padded with zeros; dev < pre < final < post). */
export function compareVersions(a: Version, b: Version): number {
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  // Pre-release key: a dev release without pre sorts before any pre-release of that release.
  const preKey = (v: Version): [number, number] =>
    v.pre ? [PRE_ORDER[v.pre[0]], v.pre[1]] : v.dev !== undefined && v.post === undefined ? [-1, 0] : [3, 0];
  const [pa, pb] = [preKey(a), preKey(b)];
  if (pa[0] !== pb[0]) return Math.sign(pa[0] - pb[0]);
  if (pa[1] !== pb[1]) return Math.sign(pa[1] - pb[1]);
  const postA = a.post ?? -1;
  const postB = b.post ?? -1;
  if (postA !== postB) return Math.sign(postA - postB);
  const devA = a.dev ?? Number.POSITIVE_INFINITY;
  const devB = b.dev ?? Number.POSITIVE_INFINITY;
  return devA === devB ? 0 : devA < devB ? -1 : 1;
}

export const isPrerelease = (v: Version) => v.pre !== undefined || v.dev !== undefined;

/** "3.11.7" → "3.11". */
export function minorOf(version: string): string {
  const [major, minor] = version.split(".");
  return `${major}.${minor}`;
}

/** Sort version strings newest first (invalid ones last). */
export function sortNewestFirst<T>(items: T[], versionOf: (item: T) => string): T[] {
  const parsed = items.map((item) => ({ item, v: parseVersion(versionOf(item)) }));
  parsed.sort((x, y) => (x.v && y.v ? compareVersions(y.v, x.v) : x.v ? -1 : y.v ? 1 : 0));
  return parsed.map((p) => p.item);
}
