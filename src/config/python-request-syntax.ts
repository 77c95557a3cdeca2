/**
 * Whether a `.dhtconfig` (or DHT_PYTHON, --python, .python-version) value is a Python
 * request dhtl can act on. It defers to the request parser of src/python/request.ts, so
 * the config accepts exactly what Python resolution understands:
 *
 *   3 | 3.11 | 3.11.7 | 3.13.0rc1                     a version or version prefix
 *   >=3.10,<3.13 | ~=3.11.0 | ==3.12.* | !=3.11.2     PEP 440 specifier sets
 *   cpython@3.12 | pypy@3.10 | cpython3.12 | pypy3.10 an implementation with a version or range
 *
 * An empty value is refused here although the parser reads it as "any Python": in a
 * configuration file it is almost always a mistake.
 */
import { parsePythonRequest } from "../python/request.ts";

export function isValidPythonRequest(input: string): boolean {
  const text = input.trim();
  if (text === "" || text.length > 100) return false;
  try {
    parsePythonRequest(text);
    return true;
  } catch {
    return false;
  }
}

export const PYTHON_REQUEST_EXPECTED = "expected a version like 3.11 or 3.11.7, a range like >=3.10,<3.13, or cpython@3.12";
