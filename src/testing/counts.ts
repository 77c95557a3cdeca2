/**
 * Test counts from the runners' own closing lines: pytest (`3 failed, 10 passed in 1.2s`),
 * pytest-pretty (`Results (1.2s):` then `N passed` lines), unittest / nose2 / Django (`Ran N
 * tests` then `OK (skipped=2)` / `FAILED (failures=1, errors=2, expected failures=1)`),
 * trial (`PASSED (successes=10)`), behave (`3 scenarios passed, 1 failed, 0 skipped`),
 * zope.testrunner (`Ran 176 tests with 0 failures, 0 errors and 0 skipped in 0.04 seconds.`
 * per layer, `Total: …` over several). Every
 * summary in the output is summed (a command that runs two suites, tox running two envs).
 * One parser for `dhtl test --json` and for scripts/real-projects' by-hand routes. Pure.
 */

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  /** How many closing lines were summed: 0 means the output had none (a crash, a hang). */
  suites: number;
}

export const noCounts = (): TestCounts => ({ passed: 0, failed: 0, skipped: 0, errors: 0, suites: 0 });

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

/** trial: `PASSED (successes=10)` / `FAILED (failures=1, successes=9)`. */
const trialLine = /^(PASSED|FAILED) \((.*successes=\d+.*)\)$/;

/** behave: `5 scenarios passed, 1 failed, 0 error, 2 skipped, 0 untested`. */
const behaveLine = /^(\d+) scenarios? passed, (\d+) failed(?:, (\d+) errors?)?, (\d+) skipped/;

/**
 * zope.testrunner: one `Ran N tests with F failures, E errors and S skipped in …` line per layer
 * (`, S skipped` in colour; no skipped part before 4.x), then `Total: N tests, …` when a run
 * had several layers. N counts the skipped tests, as unittest's testsRun does.
 */
const zopeLayerLine = /^Ran (\d+) tests with (\d+) failures,? (?:and )?(\d+) errors(?:,? (?:and )?(\d+) skipped)? in /;
const zopeTotalLine = /^Total: (\d+) tests, (\d+) failures,? (?:and )?(\d+) errors(?:,? (?:and )?(\d+) skipped)? in /;
/** Printed once at the end of each zope.testrunner run, before its `Total:` line (if any). */
const zopeRunEnd = /^Tearing down left over layers:$/;

function zopeCounts(m: RegExpExecArray): TestCounts {
  const [ran, failed, errors, skipped] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number];
  return { passed: Math.max(0, ran - failed - errors - skipped), failed, errors, skipped, suites: 1 };
}

function addPytest(total: TestCounts, parts: string): void {
  addPytestParts(total, parts);
  total.suites += 1;
}

function addPytestParts(total: TestCounts, parts: string): void {
  for (const m of parts.matchAll(pytestPart)) {
    const n = Number(m[1]);
    const word = m[2] ?? "";
    if (word === "passed" || word === "xpassed") total.passed += n;
    else if (word === "failed") total.failed += n;
    else if (word === "skipped" || word === "xfailed") total.skipped += n;
    else if (word.startsWith("error")) total.errors += n;
  }
}

function addUnittest(total: TestCounts, ran: number, detail: string, skipsInRan: boolean): void {
  const field = (name: string): number => Number(new RegExp(`(?:^|, )${name}=(\\d+)`).exec(detail)?.[1] ?? 0);
  const failed = field("failures");
  const errors = field("errors");
  const skipped = field("skipped") + field("expected failures");
  total.failed += failed;
  total.errors += errors;
  total.skipped += skipped;
  total.passed += Math.max(0, ran - failed - errors - (skipsInRan ? skipped : 0));
  total.suites += 1;
}

/**
 * CPython 3.12.0 and 3.12.1 leave skipped tests out of unittest's "Ran N tests" (every other
 * version counts them): the Python that ran the tests, when known, says which.
 */
export const unittestCountsSkips = (pythonVersion?: string): boolean => !/^3\.12\.[01](\D|$)/.test(pythonVersion ?? "");

/** Sum every closing line in a runner's output. */
export function parseCounts(output: string, opts: { pythonVersion?: string } = {}): TestCounts {
  const skipsInRan = unittestCountsSkips(opts.pythonVersion);
  const total = noCounts();
  let pendingRan: number | undefined;
  let inPretty = false;
  // zope.testrunner's layer lines wait: a `Total:` line after them replaces their sum.
  let zopeLayers: TestCounts | undefined;
  let zopeRunEnded = false;
  const flushZope = () => {
    if (zopeLayers) Object.assign(total, addCounts(total, zopeLayers));
    zopeLayers = undefined;
    zopeRunEnded = false;
  };
  for (const raw of output.replace(ansi, "").split(/\r?\n/)) {
    const line = raw.trim();
    const layer = zopeLayerLine.exec(line);
    if (layer) {
      // A layer line after a finished run without `Total:` starts the next run.
      if (zopeRunEnded) flushZope();
      zopeLayers = addCounts(zopeLayers, zopeCounts(layer));
      continue;
    }
    if (zopeRunEnd.test(line)) {
      zopeRunEnded = zopeLayers !== undefined;
      continue;
    }
    const zopeTotal = zopeTotalLine.exec(line);
    if (zopeTotal) {
      zopeLayers = zopeCounts(zopeTotal);
      flushZope();
      continue;
    }
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
      addUnittest(total, pendingRan, verdict[2] ?? "", skipsInRan);
      pendingRan = undefined;
      continue;
    }
    const trial = trialLine.exec(line);
    if (trial) {
      const field = (name: string): number => Number(new RegExp(`(?:^|, )${name}=(\\d+)`).exec(trial[2]!)?.[1] ?? 0);
      total.passed += field("successes");
      total.failed += field("failures") + field("unexpectedSuccesses");
      total.errors += field("errors");
      total.skipped += field("skips") + field("expectedFailures");
      total.suites += 1;
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
  flushZope();
  return total;
}

/** Two results added up (several suites of one route). */
export function addCounts(a: TestCounts | undefined, b: TestCounts | undefined): TestCounts | undefined {
  if (!a || !a.suites) return b;
  if (!b || !b.suites) return a;
  return { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped, errors: a.errors + b.errors, suites: a.suites + b.suites };
}
