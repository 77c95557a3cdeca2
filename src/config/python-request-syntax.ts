/**
 * The syntax a `.dhtconfig` accepts for a Python request, checked while the file is
 * validated. This is deliberately only a syntax check (the full request parser and matcher
 * belong to src/python/): it keeps config validation free of the Python-resolution code.
 *
 * Accepted, as in uv and pyenv files:
 *   3 | 3.11 | 3.11.7 | 3.13.0rc1 | 3.13t            a version or version prefix
 *   >=3.10,<3.13 | ~=3.11.0 | ==3.12.* | !=3.11.2     PEP 440 specifier sets
 *   cpython@3.12 | pypy@3.10 | cpython3.12 | pypy3.10 an implementation with a version or range
 *   cpython | pypy                                     an implementation, any version
 */

const IMPLEMENTATIONS = ["cpython", "pypy", "graalpy", "cp", "pp"] as const;

/** A release like 3, 3.11, 3.11.7 with an optional pre-release (a1, b2, rc1) and free-threaded "t". */
const VERSION = /^\d{1,3}(\.\d{1,4}){0,2}((a|b|rc)\d{1,3})?t?$/;
/** One PEP 440 clause; `.*` only after == and !=, as PEP 440 says. */
const CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)\s*(\d{1,3}(\.\d{1,4}){0,3}((a|b|rc)\d{1,3})?)(\.\*)?$/;

function isSpecifierSet(text: string): boolean {
  const clauses = text.split(",").map((c) => c.trim());
  if (clauses.length === 0 || clauses.some((c) => c === "")) return false;
  return clauses.every((clause) => {
    const m = CLAUSE.exec(clause);
    if (!m) return false;
    const [, op, version, , , , star] = m;
    if (star && op !== "==" && op !== "!=") return false;
    // ~= needs at least two release segments (PEP 440: "~=3" is invalid).
    if (op === "~=" && !version!.includes(".")) return false;
    return true;
  });
}

function isVersionOrRange(text: string): boolean {
  return VERSION.test(text) || isSpecifierSet(text);
}

/** True when `text` is a Python request dhtl understands. */
export function isValidPythonRequest(input: string): boolean {
  const text = input.trim();
  if (text === "" || text.length > 100) return false;
  if (isVersionOrRange(text)) return true;
  const lower = text.toLowerCase();
  const at = lower.indexOf("@");
  if (at >= 0) {
    const impl = lower.slice(0, at);
    return (IMPLEMENTATIONS as readonly string[]).includes(impl) && isVersionOrRange(text.slice(at + 1).trim());
  }
  for (const impl of IMPLEMENTATIONS) {
    if (lower === impl) return true;
    if (lower.startsWith(impl) && VERSION.test(lower.slice(impl.length).replace(/^-/, ""))) return true;
  }
  return false;
}

export const PYTHON_REQUEST_EXPECTED = "expected a version like 3.11 or 3.11.7, a range like >=3.10,<3.13, or cpython@3.12";
