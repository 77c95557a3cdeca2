#!/usr/bin/env bun
/**
 * Generate src/data/python-downloads.json (embedded in dhtl) from the shared build list
 * (/work/shared/data/python-downloads.json, a trimmed copy of uv's download-metadata.json).
 *
 *   bun scripts/gen-python-manifest.ts [SOURCE] [--check]
 *
 * The output keeps only what dhtl needs, one tuple per build:
 *   [version, platform, build, flavor, format, sha256, url?]
 * The URL is left out when python-build-standalone's naming rule (src/python/manifest.ts
 * buildUrl) reproduces it exactly; every derived URL is checked against the source here.
 * --check exits 1 when the committed file differs from what would be generated.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildUrl, expandManifest, PBS_URL_BASE, type CompactBuild, type CompactManifest } from "../src/python/manifest.ts";

interface SourceDownload {
  version: string;
  os: string;
  arch: string;
  libc: string;
  build: string;
  format: string;
  flavor: string;
  url: string;
  sha256: string;
}

export function compact(source: { source?: Record<string, string>; downloads: SourceDownload[] }): CompactManifest {
  const builds: CompactBuild[] = source.downloads.map((d) => {
    const platform = `${d.os}-${d.arch}-${d.libc}`;
    const row: CompactBuild = [d.version, platform, d.build, d.flavor, d.format, d.sha256.toLowerCase()];
    if (buildUrl(PBS_URL_BASE, d.version, platform, d.build, d.flavor, d.format) !== d.url) {
      row.push(d.url.startsWith(PBS_URL_BASE) ? d.url.slice(PBS_URL_BASE.length) : d.url);
    }
    return row;
  });
  return { schema: 1, source: source.source, url_base: PBS_URL_BASE, builds };
}

/** One build per line: small diffs when the list is refreshed. */
export function render(m: CompactManifest): string {
  const head = JSON.stringify({ schema: m.schema, source: m.source, url_base: m.url_base });
  return `${head.slice(0, -1)},"builds":[\n${m.builds.map((b) => JSON.stringify(b)).join(",\n")}\n]}\n`;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const sourcePath = args.find((a) => !a.startsWith("--")) ?? "/work/shared/data/python-downloads.json";
  const out = join(import.meta.dir, "..", "src", "data", "python-downloads.json");
  const source = JSON.parse(await readFile(sourcePath, "utf8"));
  const m = compact(source);
  // Round trip: every expanded build must equal its source entry.
  const expanded = expandManifest(m, out);
  expanded.forEach((b, i) => {
    const d = source.downloads[i] as SourceDownload;
    if (b.url !== d.url || b.sha256 !== d.sha256.toLowerCase() || b.version !== d.version) throw new Error(`round trip differs at ${i}: ${b.url} vs ${d.url}`);
  });
  const text = render(m);
  if (args.includes("--check")) {
    const current = await readFile(out, "utf8").catch(() => "");
    if (current !== text) {
      console.error(`${out} is out of date: run bun scripts/gen-python-manifest.ts`);
      process.exit(1);
    }
    console.error(`${out} is up to date (${m.builds.length} builds)`);
  } else {
    await writeFile(out, text);
    const explicit = m.builds.filter((b) => b.length > 6).length;
    console.error(`wrote ${out}: ${m.builds.length} builds, ${explicit} with explicit URLs, ${text.length} bytes`);
  }
}
