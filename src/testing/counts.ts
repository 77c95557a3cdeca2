/**
 * Test counts from a runner's own summary lines: pytest (`3 failed, 10 passed, 2 skipped in
 * 1.2s`), unittest / Django / nose2 (`Ran 12 tests` then `OK (skipped=2)` or `FAILED
 * (failures=1, errors=2)`), trial (`PASSED (successes=10)`), behave (`3 scenarios passed, 1
 * failed, 0 skipped`). The last summary in the output wins for each runner; several
 * runners' summaries (pytest and behave) add up. Pure.
 */

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
}

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function pytestSummary(lines: string[]): TestCounts | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.replace(/^=+\s*|\s*=+$/g, "").trim();
    // "10 passed, 2 skipped in 0.5s", "1 failed, 3 passed, 1 error in 2.00s (0:00:02)", "no tests ran in 0.01s"
    if (!/\bin [\d.]+s\b/.test(line) && !/^no tests ran/.test(line)) continue;
    const parts = [...line.matchAll(/(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?|rerun)/g)];
    if (!parts.length && !/^no tests ran/.test(line)) continue;
    const c: TestCounts = { passed: 0, failed: 0, skipped: 0, errors: 0 };
    for (const [, n, what] of parts) {
      const k = Number(n);
      if (what === "passed" || what === "xpassed") c.passed += k;
      else if (what === "failed") c.failed += k;
      else if (what === "skipped" || what === "xfailed") c.skipped += k;
      else if (what!.startsWith("error")) c.errors += k;
    }
    return c;
  }
  return undefined;
}

function unittestSummary(lines: string[]): TestCounts | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const ran = /^Ran (\d+) tests? in /.exec(lines[i]!.trim());
    if (!ran) continue;
    const total = Number(ran[1]);
    const c: TestCounts = { passed: 0, failed: 0, skipped: 0, errors: 0 };
    for (let j = i + 1; j < Math.min(lines.length, i + 6); j++) {
      const l = lines[j]!.trim();
      const m = /^(OK|FAILED|NO TESTS RAN)\b(?:\s*\((.*)\))?/.exec(l);
      if (!m) continue;
      // "FAILED (failures=1, errors=2, skipped=3, expected failures=1, unexpected successes=1)"
      for (const [, key, n] of (m[2] ?? "").matchAll(/([\w ]+?)=(\d+)/g)) {
        const k = Number(n);
        const name = key!.trim().replace(/\s+/g, "_");
        if (name === "failures" || name === "unexpected_successes") c.failed += k;
        else if (name === "errors") c.errors += k;
        else if (name === "skipped" || name === "expected_failures") c.skipped += k;
      }
      break;
    }
    c.passed = Math.max(0, total - c.failed - c.errors - c.skipped);
    return c;
  }
  return undefined;
}

function trialSummary(lines: string[]): TestCounts | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(PASSED|FAILED) \((.*)\)$/.exec(lines[i]!.trim());
    if (!m || !/successes=/.test(m[2]!)) continue;
    const c: TestCounts = { passed: 0, failed: 0, skipped: 0, errors: 0 };
    for (const [, key, n] of m[2]!.matchAll(/(\w+)=(\d+)/g)) {
      const k = Number(n);
      if (key === "successes") c.passed += k;
      else if (key === "failures" || key === "unexpectedSuccesses") c.failed += k;
      else if (key === "errors") c.errors += k;
      else if (key === "skips" || key === "expectedFailures") c.skipped += k;
    }
    return c;
  }
  return undefined;
}

function behaveSummary(lines: string[]): TestCounts | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\d+) scenarios? passed, (\d+) failed, (?:(\d+) error(?:s|ed)?, )?(\d+) skipped/.exec(lines[i]!.trim());
    if (m) return { passed: Number(m[1]), failed: Number(m[2]), errors: Number(m[3] ?? 0), skipped: Number(m[4]) };
  }
  return undefined;
}

/** Counts from one run's output, for the runner that produced it (undefined: no summary found). */
export function parseCounts(output: string, runner?: string): TestCounts | undefined {
  const lines = output.replace(ANSI, "").split(/\r?\n/);
  if (runner === "behave") return behaveSummary(lines);
  if (runner === "trial") return trialSummary(lines) ?? unittestSummary(lines);
  if (runner === "pytest") return pytestSummary(lines);
  if (runner === "unittest" || runner === "django" || runner === "nose2" || runner === "nose") return unittestSummary(lines);
  return pytestSummary(lines) ?? unittestSummary(lines) ?? trialSummary(lines) ?? behaveSummary(lines);
}

export function addCounts(a: TestCounts | undefined, b: TestCounts | undefined): TestCounts | undefined {
  if (!a) return b;
  if (!b) return a;
  return { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped, errors: a.errors + b.errors };
}
