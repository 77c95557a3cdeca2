/** The corpus file's shape (corpus.json) and the explanations of dhtl's misses (misses.json). */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ByHandRoute {
  /** Where the route comes from: the project's CI workflow or docs, as file:line. */
  source: string;
  /** Shell lines run in the checkout with bash -e; `$PY` is the chosen Python, its bin dir is first on PATH. */
  steps: string[];
  /** The test command (its exit code is recorded, not required to be 0). */
  test: string;
}

export interface Expected {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
}

export interface Project {
  name: string;
  repo: string;
  commit: string;
  shapes: string[];
  /** The by-hand route's Python, a pyenv version prefix: "3.11", "2.7". */
  python: string;
  byHand: ByHandRoute;
  /** The by-hand route's counts as measured when the project was added. */
  expected: Expected;
  /** Seconds for each route's setup and test together (default 900). */
  timeout?: number;
  notes?: string;
}

const here = import.meta.dir;

export function loadCorpus(): Project[] {
  return JSON.parse(readFileSync(join(here, "corpus.json"), "utf8")) as Project[];
}

export function saveCorpus(projects: Project[]): void {
  writeFileSync(join(here, "corpus.json"), `${JSON.stringify(projects, null, 2)}\n`);
}

/** Why dhtl misses a project today, keyed by project name; shown in the table's notes column. */
export function loadMisses(): Record<string, string> {
  return JSON.parse(readFileSync(join(here, "misses.json"), "utf8")) as Record<string, string>;
}
