/**
 * The inventory `dhtl fix-env --deep` takes before it rebuilds: every installed distribution
 * with its exact version and where it came from (an index, a local directory — editable or
 * not —, a VCS commit, a URL), so the ones the configuration does not install (put there by
 * hand) can be installed again exactly. Pure: built from `scanSitePackages` results.
 */
import { fileURLToPath } from "node:url";
import { normalizeName, type InstalledDist } from "./dists.ts";

export type Origin =
  | { kind: "index" }
  | { kind: "editable"; path: string }
  | { kind: "directory"; path: string }
  | { kind: "vcs"; url: string; vcs: string; commit?: string; subdirectory?: string }
  | { kind: "url"; url: string };

export interface InventoryEntry {
  name: string;
  version: string;
  installer?: string;
  requested: boolean;
  origin: Origin;
}

const localPath = (url: string) => (url.startsWith("file:") ? fileURLToPath(url) : url);

export function originOf(dist: InstalledDist): Origin {
  const d = dist.directUrl;
  if (!d) return { kind: "index" };
  if (d.vcs) return { kind: "vcs", url: d.url, vcs: d.vcs.vcs, ...(d.vcs.commit ? { commit: d.vcs.commit } : {}), ...(d.subdirectory ? { subdirectory: d.subdirectory } : {}) };
  if (d.dir) return d.editable ? { kind: "editable", path: localPath(d.url) } : { kind: "directory", path: localPath(d.url) };
  return { kind: "url", url: d.url };
}

/** Distributions whose name and version can be read (a broken one cannot be recorded). */
export function takeInventory(dists: InstalledDist[]): InventoryEntry[] {
  return dists
    .filter((d) => d.name && d.version)
    .map((d) => ({ name: d.name!, version: d.version!, ...(d.installer ? { installer: d.installer } : {}), requested: d.requested, origin: originOf(d) }));
}

/** Installer arguments that put exactly this distribution back. */
export function reinstallArgs(entry: InventoryEntry): string[] {
  const o = entry.origin;
  switch (o.kind) {
    case "index":
      return [`${entry.name}==${entry.version}`];
    case "editable":
      return ["-e", o.path];
    case "directory":
      return [o.path];
    case "vcs": {
      const url = `${o.vcs}+${o.url}${o.commit ? `@${o.commit}` : ""}${o.subdirectory ? `#subdirectory=${o.subdirectory}` : ""}`;
      return [`${entry.name} @ ${url}`];
    }
    case "url":
      return [`${entry.name} @ ${o.url}`];
  }
}

export function describeOrigin(entry: InventoryEntry): string {
  const o = entry.origin;
  const by = entry.installer ? ` by ${entry.installer}` : "";
  switch (o.kind) {
    case "index":
      return `from a package index${by}`;
    case "editable":
      return `editable from ${o.path}${by}`;
    case "directory":
      return `from the directory ${o.path}${by}`;
    case "vcs":
      return `from ${o.vcs} ${o.url}${o.commit ? ` at ${o.commit.slice(0, 12)}` : ""}${by}`;
    case "url":
      return `from ${o.url}${by}`;
  }
}

/**
 * What a rebuild from the configuration would not bring back: entries of `old` whose name
 * the fresh venv lacks. Entries present in both at another version are listed apart (the
 * configuration decides those).
 */
export function extrasOver(old: InventoryEntry[], fresh: InventoryEntry[]): { extras: InventoryEntry[]; changed: Array<{ name: string; from: string; to: string }> } {
  const now = new Map(fresh.map((e) => [normalizeName(e.name), e]));
  const extras: InventoryEntry[] = [];
  const changed: Array<{ name: string; from: string; to: string }> = [];
  for (const e of old) {
    const f = now.get(normalizeName(e.name));
    if (!f) extras.push(e);
    else if (f.version !== e.version) changed.push({ name: e.name, from: e.version, to: f.version });
  }
  return { extras, changed };
}

/**
 * Installed distributions no declared root leads to through Requires-Dist (markers and
 * extras ignored, so a dependency is never called extra by mistake): what was installed
 * by hand, or left behind.
 */
export function unreachableFrom(dists: InstalledDist[], roots: string[]): InstalledDist[] {
  const byName = new Map(dists.filter((d) => d.name).map((d) => [normalizeName(d.name!), d]));
  const seen = new Set<string>();
  const queue = roots.map(normalizeName);
  while (queue.length) {
    const n = queue.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const r of byName.get(n)?.requires ?? []) queue.push(r);
  }
  return [...byName.entries()].filter(([n]) => !seen.has(n)).map(([, d]) => d);
}
