/**
 * One parser for the closing lines of the test runners the corpus uses (pytest, pytest-pretty,
 * unittest, nose2, Django, behave), applied alike to the
 * by-hand route's output and to dhtl's. Every suite found in the output is summed (tox running
 * two environments, a Makefile running pytest then behave, …).
 */

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  /** How many closing lines were summed: 0 means the output had none (a crash, a hang). */
  suites: number;
}

export const noCounts = (): Counts => ({ passed: 0, failed: 0, skipped: 0, errors: 0, suites: 0 });

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** pytest: `==== 3 failed, 120 passed, 4 skipped, 1 error, 2 xfailed in 1.23s ====` (also -q's bare line). */
const pytestLine = /^[=\s]*((?:\d+ [a-z]+(?:, )?)+) in \d+(?:\.\d+)?s\b/;
const pytestPart = /(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?|rerun)/g;

/** unittest, nose2, Django: `Ran 42 tests in 0.1s` then `OK (skipped=2)` or `FAILED (failures=1, errors=2)`. */
const ranLine = /^Ran (\d+) tests? in /;
const verdictLine = /^(OK|FAILED)(?: \((.*)\))?\s*$/;

/** pytest-pretty replaces pytest's line with `Results (12.3s):` then one `N passed` line per outcome. */
const prettyHead = /^Results \(\d+(?:\.\d+)?s\):$/;
const prettyItem = /^(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)$/;

/** behave: `5 scenarios passed, 1 failed, 0 error, 2 skipped, 0 untested`. */
const behaveLine = /^(\d+) scenarios? passed, (\d+) failed(?:, (\d+) errors?)?, (\d+) skipped/;

function addPytest(total: Counts, parts: string): void {
  addPytestParts(total, parts);
  total.suites += 1;
}

function addPytestParts(total: Counts, parts: string): void {
  for (const m of parts.matchAll(pytestPart)) {
    const n = Number(m[1]);
    const word = m[2] ?? "";
    if (word === "passed" || word === "xpassed") total.passed += n;
    else if (word === "failed") total.failed += n;
    else if (word === "skipped" || word === "xfailed") total.skipped += n;
    else if (word.startsWith("error")) total.errors += n;
  }
}

function addUnittest(total: Counts, ran: number, detail: string): void {
  const field = (name: string): number => Number(new RegExp(`(?:^|, )${name}=(\\d+)`).exec(detail)?.[1] ?? 0);
  const failed = field("failures");
  const errors = field("errors");
  const skipped = field("skipped") + field("expected failures");
  total.failed += failed;
  total.errors += errors;
  total.skipped += skipped;
  total.passed += Math.max(0, ran - failed - errors - skipped);
  total.suites += 1;
}

/** Sum every closing line in a runner's output. */
export function parseCounts(output: string): Counts {
  const total = noCounts();
  let pendingRan: number | undefined;
  let inPretty = false;
  for (const raw of output.replace(ansi, "").split(/\r?\n/)) {
    const line = raw.trim();
    if (prettyHead.test(line)) {
      inPretty = true;
      total.suites += 1;
      continue;
    }
    if (inPretty) {
      const item = prettyItem.exec(line);
      if (item) {
        addPytestParts(total, line);
        continue;
      }
      inPretty = false;
    }
    const ran = ranLine.exec(line);
    if (ran) {
      pendingRan = Number(ran[1]);
      continue;
    }
    const verdict = pendingRan === undefined ? null : verdictLine.exec(line);
    if (verdict && pendingRan !== undefined) {
      addUnittest(total, pendingRan, verdict[2] ?? "");
      pendingRan = undefined;
      continue;
    }
    const behave = behaveLine.exec(line);
    if (behave) {
      total.passed += Number(behave[1]);
      total.failed += Number(behave[2]);
      total.errors += Number(behave[3] ?? 0);
      total.skipped += Number(behave[4]);
      total.suites += 1;
      continue;
    }
    const pytest = pytestLine.exec(line);
    if (pytest && /\b(passed|failed|skipped|errors?|xfailed|xpassed|deselected)\b/.test(pytest[1] ?? "")) {
      addPytest(total, pytest[1] ?? "");
    }
  }
  return total;
}

export function formatCounts(c: Counts | undefined): string {
  if (!c || c.suites === 0) return "no summary";
  const parts = [`${c.passed} passed`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.errors) parts.push(`${c.errors} errors`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return parts.join(", ");
}
