/**
 * Where a project says which Node.js it wants, first hit wins: `.dhtconfig`
 * `languages.node` (passed in), then in the environment's directory and the project root:
 * `.nvmrc`, `.node-version`, `.tool-versions` (`nodejs 20.10.0`), `package.json`
 * `engines.node`. Pure apart from reading those files.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface NodeRequestSource {
  request: string;
  /** ".dhtconfig:12", ".nvmrc:1", "package.json engines.node". */
  origin: string;
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** The first meaningful line of .nvmrc / .node-version (comments and blank lines skipped). */
export function versionFileLine(text: string): { value: string; line: number } | undefined {
  const lines = text.split(/\r?\n/);
  for (const [i, l] of lines.entries()) {
    const value = l.replace(/#.*/, "").trim();
    if (value) return { value, line: i + 1 };
  }
  return undefined;
}

/** `.tool-versions`: `nodejs 20.10.0` (asdf) or `node 20.10.0` (mise). */
export function toolVersionsNode(text: string): { value: string; line: number } | undefined {
  for (const [i, l] of text.split(/\r?\n/).entries()) {
    const m = /^\s*(nodejs|node)\s+(\S+)/.exec(l.replace(/#.*/, ""));
    if (m) return { value: m[2]!, line: i + 1 };
  }
  return undefined;
}

export function packageJsonEngine(text: string): string | undefined {
  try {
    const pkg = JSON.parse(text) as { engines?: { node?: unknown } };
    return typeof pkg.engines?.node === "string" && pkg.engines.node.trim() ? pkg.engines.node.trim() : undefined;
  } catch {
    return undefined;
  }
}

export function detectNodeRequest(dirs: string[], configured?: NodeRequestSource): NodeRequestSource | undefined {
  if (configured) return configured;
  for (const dir of [...new Set(dirs)]) {
    for (const name of [".nvmrc", ".node-version"]) {
      const text = read(join(dir, name));
      const hit = text ? versionFileLine(text) : undefined;
      if (hit) return { request: hit.value, origin: `${join(dir, name)}:${hit.line}` };
    }
    const tv = read(join(dir, ".tool-versions"));
    const hit = tv ? toolVersionsNode(tv) : undefined;
    if (hit) return { request: hit.value, origin: `${join(dir, ".tool-versions")}:${hit.line}` };
    const pkg = read(join(dir, "package.json"));
    const engine = pkg ? packageJsonEngine(pkg) : undefined;
    if (engine) return { request: engine, origin: `${join(dir, "package.json")} engines.node` };
  }
  return undefined;
}
