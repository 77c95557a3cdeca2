/**
 * Where a syntax error is, for parsers that do not say (Bun.YAML and Bun.TOML report only
 * a reason). The error is on the line after the longest prefix of whole lines that still
 * parses, at the column after the longest prefix of that line that still parses. Exact for
 * the common mistakes (bad indentation, a stray colon, an unterminated quote or bracket);
 * for a construct left open it points at where the construct starts.
 */

export interface SyntaxPosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** Beyond this many lines the line is found by bisection instead of a linear scan. */
const LINEAR_SCAN_LIMIT = 2000;
/** Columns beyond this are not searched (minified one-line inputs). */
const COLUMN_SCAN_LIMIT = 500;

/** `parses(text)` must return false for the whole `source`. */
export function locateSyntaxError(source: string, parses: (text: string) => boolean): SyntaxPosition {
  const lines = source.split(/\r\n|\r|\n/);
  const prefix = (n: number) => lines.slice(0, n).join("\n");
  // good = how many leading lines still parse.
  let good = 0;
  if (lines.length <= LINEAR_SCAN_LIMIT) {
    for (let n = lines.length - 1; n >= 1; n--) {
      if (parses(prefix(n))) {
        good = n;
        break;
      }
    }
  } else {
    let lo = 0;
    let hi = lines.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (parses(prefix(mid))) lo = mid;
      else hi = mid;
    }
    good = lo;
  }
  const bad = lines[good] ?? "";
  const tab = /^ *\t/.exec(bad);
  if (tab) return { line: good + 1, column: tab[0].length };
  const head = good === 0 ? "" : `${prefix(good)}\n`;
  for (let c = Math.min(bad.length, COLUMN_SCAN_LIMIT); c >= 1; c--) {
    if (parses(head + bad.slice(0, c))) return { line: good + 1, column: Math.min(c + 1, Math.max(bad.length, 1)) };
  }
  return { line: good + 1, column: 1 };
}
