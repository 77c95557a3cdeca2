#!/usr/bin/env bun
/**
 * Syntax-check PowerShell scripts without PowerShell.
 *
 *   bun scripts/lint-ps1.ts install.ps1 [more.ps1 …]
 *
 * PowerShell cannot be installed on the Linux CI host (no package, the npm `pwsh` shim
 * downloads from GitHub), so we parse with the tree-sitter PowerShell grammar instead and
 * fail on ERROR / MISSING nodes, printing line and column. This proves the script parses;
 * behaviour tests need a Windows runner (docs/install.md).
 *
 * The parser is dev tooling only: scripts/test-prereqs.sh installs web-tree-sitter and
 * tree-sitter-powershell with `npm i --ignore-scripts` into .cache/ps1-lint (never a
 * runtime dependency of dhtl).
 */
import { join } from "node:path";
import { existsSync, readFileSync } from "node:fs";

export const toolDir = join(import.meta.dir, "..", ".cache", "ps1-lint");

export interface Ps1Problem {
  line: number;
  column: number;
  kind: "ERROR" | "MISSING";
  text: string;
}

interface TsNode {
  type: string;
  isMissing: boolean;
  hasError: boolean;
  startPosition: { row: number; column: number };
  text: string;
  childCount: number;
  child(i: number): TsNode | null;
}

let parserPromise: Promise<{ parse(src: string): { rootNode: TsNode } | null }> | undefined;

async function parser() {
  parserPromise ??= (async () => {
    const lib = join(toolDir, "node_modules", "web-tree-sitter", "tree-sitter.js");
    const grammar = join(toolDir, "node_modules", "tree-sitter-powershell", "tree-sitter-powershell.wasm");
    if (!existsSync(lib) || !existsSync(grammar)) {
      throw new Error(`the PowerShell parser is not installed in ${toolDir}: run \`bash scripts/test-prereqs.sh\``);
    }
    const { Parser, Language } = (await import(lib)) as any;
    await Parser.init();
    const p = new Parser();
    p.setLanguage(await Language.load(grammar));
    return p;
  })();
  return parserPromise;
}

/** Every ERROR or MISSING node of the parse tree, in source order. */
export async function lintPs1Source(source: string): Promise<Ps1Problem[]> {
  const tree = (await parser()).parse(source);
  if (!tree) throw new Error("tree-sitter returned no tree");
  const problems: Ps1Problem[] = [];
  const walk = (node: TsNode) => {
    if (node.type === "ERROR" || node.isMissing) {
      problems.push({
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        kind: node.isMissing ? "MISSING" : "ERROR",
        text: node.isMissing ? node.type : node.text.split("\n")[0]!.slice(0, 60),
      });
      if (node.type === "ERROR") return; // its children are noise
    }
    if (!node.hasError && !node.isMissing) return; // clean subtree
    for (let i = 0; i < node.childCount; i++) walk(node.child(i)!);
  };
  walk(tree.rootNode);
  return problems;
}

if (import.meta.main) {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error("usage: bun scripts/lint-ps1.ts FILE.ps1 [...]");
    process.exit(2);
  }
  let bad = 0;
  for (const file of files) {
    const problems = await lintPs1Source(readFileSync(file, "utf8"));
    for (const p of problems) console.error(`${file}:${p.line}:${p.column}: ${p.kind} ${JSON.stringify(p.text)}`);
    if (problems.length) bad++;
    else console.error(`${file}: ok`);
  }
  process.exit(bad ? 1 : 0);
}
