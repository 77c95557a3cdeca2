/**
 * The corpus reads counts with dhtl's own parser (src/testing/counts.ts), so both routes are
 * counted alike and the parser `dhtl test --json` uses is the one measured here.
 */
import type { TestCounts } from "../../src/testing/counts.ts";

export { parseCounts, noCounts } from "../../src/testing/counts.ts";
export type Counts = TestCounts;

export function formatCounts(c: TestCounts | undefined): string {
  if (!c || c.suites === 0) return "no summary";
  const parts = [`${c.passed} passed`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.errors) parts.push(`${c.errors} errors`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return parts.join(", ");
}
