/** The Markdown table written into docs/real-projects.md between the markers. */
import { readFileSync, writeFileSync } from "node:fs";
import { type Counts, formatCounts } from "./counts.ts";
import type { Project } from "./corpus.ts";

export interface RouteResult {
  route: "by-hand" | "dhtl";
  /** The Python the route's environment ran (pyvenv.cfg's version), when there is one. */
  python?: string;
  setupOk: boolean;
  setupExit: number | null;
  testExit: number | null;
  counts: Counts;
  seconds: number;
  timedOut: boolean;
  log: string;
  at: string;
}

export interface ProjectResult {
  name: string;
  commit: string;
  byHand?: RouteResult;
  dhtl?: RouteResult;
}

export const beginMarker = "<!-- real-projects:begin -->";
export const endMarker = "<!-- real-projects:end -->";

/** dhtl reached the by-hand route: at least its passes, no more failures and errors. */
export function matches(r: ProjectResult): boolean | undefined {
  if (!r.byHand || !r.dhtl) return undefined;
  const b = r.byHand.counts;
  const d = r.dhtl.counts;
  if (d.suites === 0) return false;
  return d.passed >= b.passed && d.failed + d.errors <= b.failed + b.errors;
}

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function routeCells(r: RouteResult | undefined): string[] {
  if (!r) return ["–", "–", "–", "–"];
  const setup = r.setupOk ? "yes" : r.timedOut ? "timeout" : `no (exit ${r.setupExit})`;
  const counts = r.timedOut && r.counts.suites === 0 ? "timeout" : formatCounts(r.counts);
  return [r.python ?? "?", setup, counts, `${Math.round(r.seconds)} s`];
}

export function renderTable(projects: Project[], results: Record<string, ProjectResult>, misses: Record<string, string>): string {
  const head = [
    "| project | commit | shapes | by-hand Python | installed | by-hand result | time | dhtl Python | setup ok | dhtl result | time | match | notes |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  let reached = 0;
  let compared = 0;
  const rows = projects.map((p) => {
    const r = results[p.name] ?? { name: p.name, commit: p.commit };
    const m = matches(r);
    if (m !== undefined) compared += 1;
    if (m) reached += 1;
    const note = m === false ? (misses[p.name] ?? "not yet explained: see the dhtl log") : (p.notes ?? "");
    const cells = [
      `[${p.name}](https://github.com/${p.repo})`,
      `\`${p.commit.slice(0, 10)}\``,
      p.shapes.join(", "),
      ...routeCells(r.byHand),
      ...routeCells(r.dhtl),
      m === undefined ? "–" : m ? "yes" : "**no**",
      cell(note),
    ];
    return `| ${cells.join(" | ")} |`;
  });
  const untried = projects.length - compared;
  const summary = `dhtl reached the by-hand pass count on ${reached} of ${compared}${untried ? ` (${untried} of the ${projects.length} projects not yet run both ways)` : ""}.`;
  return [summary, "", ...head, ...rows].join("\n");
}

/** Replace what lies between the markers (appending the markers when the file has none). */
export function writeDocs(path: string, table: string): void {
  const text = readFileSync(path, "utf8");
  const block = `${beginMarker}\n${table}\n${endMarker}`;
  const start = text.indexOf(beginMarker);
  const end = text.indexOf(endMarker);
  const next =
    start >= 0 && end > start
      ? text.slice(0, start) + block + text.slice(end + endMarker.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
