/**
 * The distributions installed in a venv, read from site-packages by dhtl itself (no Python):
 * `*.dist-info` (METADATA, RECORD, INSTALLER, REQUESTED, direct_url.json) and legacy
 * `*.egg-info`. Reading them without the venv's interpreter means a venv whose Python no
 * longer runs can still be diagnosed, and its hand-installed packages still recorded.
 *
 * Parsers are pure (METADATA headers, RECORD's CSV, direct_url.json); `scanSitePackages`
 * reads the disk and, with `deep`, re-hashes every file RECORD lists.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const normalizeName = (name: string) => name.replace(/[-_.]+/g, "-").toLowerCase();

export interface RecordEntry {
  path: string;
  /** "sha256=<urlsafe b64>" as RECORD writes it, or undefined for unhashed entries. */
  hash?: string;
  size?: number;
}

/** PEP 610 direct_url.json. */
export interface DirectUrl {
  url: string;
  editable?: boolean;
  /** dir_info present: a local directory (editable or not). */
  dir?: boolean;
  vcs?: { vcs: string; commit?: string; requestedRevision?: string };
  /** archive_info present: a wheel or sdist file or URL. */
  archive?: boolean;
  subdirectory?: string;
}

export interface InstalledDist {
  /** The metadata directory's name (six-1.17.0.dist-info). */
  dir: string;
  kind: "dist-info" | "egg-info";
  name?: string;
  version?: string;
  /** Why the metadata cannot be trusted: METADATA missing, unreadable, without Name/Version. */
  metadataError?: string;
  installer?: string;
  /** REQUESTED present: installed by name (not only as someone's dependency). */
  requested: boolean;
  directUrl?: DirectUrl;
  /** Names (normalised) of Requires-Dist, markers and extras ignored. */
  requires: string[];
  /** Files RECORD lists (0 when there is no RECORD). */
  files: number;
  /** RECORD entries not on disk (bytecode caches left out: they come and go). */
  missing: string[];
  /** With deep: files whose sha256 or size differs from RECORD. */
  mismatched: string[];
  /** Top-level entries of site-packages this distribution owns (from RECORD). */
  topLevel: string[];
}

/** RFC 822 headers of METADATA / PKG-INFO, up to the first blank line. Repeated keys are kept in order. */
export function parseMetadataHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if (/^[ \t]/.test(line) && last) {
      const values = out.get(last)!;
      values[values.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    const values = out.get(last) ?? [];
    values.push(line.slice(colon + 1).trim());
    out.set(last, values);
  }
  return out;
}

/** One CSV record per line, fields may be double-quoted (paths with commas). */
export function parseRecord(text: string): RecordEntry[] {
  const entries: RecordEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") {
        fields.push(field);
        field = "";
      } else field += c;
    }
    fields.push(field);
    const [path, hash, size] = fields;
    if (!path) continue;
    entries.push({ path, ...(hash ? { hash } : {}), ...(size && /^\d+$/.test(size) ? { size: Number(size) } : {}) });
  }
  return entries;
}

export function parseDirectUrl(text: string): DirectUrl | undefined {
  try {
    const j = JSON.parse(text) as { url?: unknown; dir_info?: { editable?: unknown }; vcs_info?: { vcs?: unknown; commit_id?: unknown; requested_revision?: unknown }; archive_info?: unknown; subdirectory?: unknown };
    if (typeof j.url !== "string") return undefined;
    return {
      url: j.url,
      ...(j.dir_info ? { dir: true, editable: j.dir_info.editable === true } : {}),
      ...(j.vcs_info && typeof j.vcs_info.vcs === "string"
        ? { vcs: { vcs: j.vcs_info.vcs, ...(typeof j.vcs_info.commit_id === "string" ? { commit: j.vcs_info.commit_id } : {}), ...(typeof j.vcs_info.requested_revision === "string" ? { requestedRevision: j.vcs_info.requested_revision } : {}) } }
        : {}),
      ...(j.archive_info ? { archive: true } : {}),
      ...(typeof j.subdirectory === "string" ? { subdirectory: j.subdirectory } : {}),
    };
  } catch {
    return undefined;
  }
}

/** `Requires-Dist: tomli>=1; python_version < "3.11"` → "tomli". */
export function requirementName(value: string): string | undefined {
  const m = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(value);
  return m ? normalizeName(m[1]!) : undefined;
}

/** `six-1.17.0.dist-info` → name and version as the directory spells them (for a dist whose METADATA is broken). */
export function nameFromDirName(dir: string): { name?: string; version?: string } {
  const m = /^(.+?)-([^-]+?)\.(dist|egg)-info$/.exec(dir);
  return m ? { name: m[1], version: m[2] } : {};
}

/** RECORD's hash of a file's bytes: "sha256=" + urlsafe base64 without padding. */
export function recordHash(bytes: Uint8Array): string {
  const b64 = Buffer.from(new Bun.CryptoHasher("sha256").update(bytes).digest()).toString("base64");
  return `sha256=${b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

const isBytecode = (path: string) => /(^|[\\/])__pycache__[\\/]/.test(path) || /\.py[co]$/.test(path);

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Top-level names in site-packages a RECORD's paths occupy (six.py, tabulate, six-1.17.0.dist-info). */
export function topLevelOf(entries: RecordEntry[]): string[] {
  const tops = new Set<string>();
  for (const e of entries) {
    const first = e.path.split(/[\\/]/)[0]!;
    if (first && first !== ".." && first !== "__pycache__") tops.add(first);
  }
  return [...tops].sort();
}

function readDistInfo(site: string, dir: string, deep: boolean): InstalledDist {
  const base = join(site, dir);
  const kind = dir.endsWith(".egg-info") ? "egg-info" : "dist-info";
  const dist: InstalledDist = { dir, kind, requested: existsSync(join(base, "REQUESTED")), requires: [], files: 0, missing: [], mismatched: [], topLevel: [] };
  const metaFile = kind === "dist-info" ? "METADATA" : "PKG-INFO";
  // An egg-info may be a single file (distutils) rather than a directory.
  const metaText = readText(join(base, metaFile)) ?? (kind === "egg-info" ? readText(base) : undefined);
  if (metaText === undefined) dist.metadataError = `${metaFile} is missing or unreadable`;
  else {
    const headers = parseMetadataHeaders(metaText);
    const name = headers.get("name")?.[0];
    const version = headers.get("version")?.[0];
    if (!name || !version) dist.metadataError = `${metaFile} has no ${!name ? "Name" : "Version"}`;
    if (name) dist.name = name;
    if (version) dist.version = version;
    dist.requires = [...new Set((headers.get("requires-dist") ?? []).map(requirementName).filter((n): n is string => Boolean(n)))];
  }
  if (dist.metadataError) {
    const fromDir = nameFromDirName(dir);
    dist.name ??= fromDir.name;
    dist.version ??= fromDir.version;
  }
  dist.installer = readText(join(base, "INSTALLER"))?.trim() || undefined;
  const direct = readText(join(base, "direct_url.json"));
  if (direct) dist.directUrl = parseDirectUrl(direct);
  const recordText = readText(join(base, "RECORD"));
  if (recordText !== undefined) {
    const entries = parseRecord(recordText);
    dist.files = entries.length;
    dist.topLevel = topLevelOf(entries);
    for (const entry of entries) {
      if (isBytecode(entry.path)) continue;
      const path = resolve(site, entry.path);
      if (!exists(path)) {
        dist.missing.push(entry.path);
        continue;
      }
      if (deep && entry.hash?.startsWith("sha256=")) {
        let bytes: Uint8Array;
        try {
          bytes = readFileSync(path);
        } catch {
          dist.mismatched.push(entry.path);
          continue;
        }
        if ((entry.size !== undefined && bytes.length !== entry.size) || recordHash(bytes) !== entry.hash) dist.mismatched.push(entry.path);
      }
    }
  } else if (kind === "dist-info") {
    dist.missing.push(`${dir}/RECORD`);
  } else {
    const listed = readText(join(base, "installed-files.txt"));
    if (listed) {
      const paths = listed.split(/\r?\n/).filter(Boolean);
      dist.files = paths.length;
      for (const p of paths) if (!isBytecode(p) && !exists(resolve(base, p))) dist.missing.push(p);
    }
  }
  return dist;
}

/** Every distribution in `site`, sorted by name. */
export function scanSitePackages(site: string, options: { deep?: boolean } = {}): InstalledDist[] {
  let names: string[];
  try {
    names = readdirSync(site);
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.(dist|egg)-info$/.test(n))
    .map((n) => readDistInfo(site, n, Boolean(options.deep)))
    .sort((a, b) => normalizeName(a.name ?? a.dir).localeCompare(normalizeName(b.name ?? b.dir)));
}

/** site-packages of a venv: the one pyvenv.cfg's version names, else whichever lib/python3.* has. */
export function findSitePackages(venv: string, version: string | undefined, windows: boolean): string | undefined {
  if (windows) return join(venv, "Lib", "site-packages");
  const minor = version?.split(".").slice(0, 2).join(".");
  if (minor && existsSync(join(venv, "lib", `python${minor}`, "site-packages"))) return join(venv, "lib", `python${minor}`, "site-packages");
  try {
    const dir = readdirSync(join(venv, "lib")).find((d) => /^python\d+\.\d+t?$/.test(d) && existsSync(join(venv, "lib", d, "site-packages")));
    return dir ? join(venv, "lib", dir, "site-packages") : minor ? join(venv, "lib", `python${minor}`, "site-packages") : undefined;
  } catch {
    return minor ? join(venv, "lib", `python${minor}`, "site-packages") : undefined;
  }
}
