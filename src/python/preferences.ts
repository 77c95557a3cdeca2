/**
 * Which Python to prefer when the project's request is a range (or absent): the versions its
 * own files name, strongest first — the trove classifiers, then the tox env list, the CI
 * matrix, nox sessions, a Dockerfile's `FROM python:X`, `runtime.txt`, `.tool-versions`.
 * The first kind that names a version the range allows decides, newest of its versions
 * first; a request that already names a version (3.11, 3.11.7) is never second-guessed.
 * Pure: the setup flow tries the result in order (src/flows/setup/execute.ts).
 */
import { parsePythonRequest, requestMatches } from "./request.ts";

export interface VersionHint {
  /** "classifiers", "tox-envlist", "ci-matrix", "nox-session", "dockerfile", "runtime.txt", ".tool-versions". */
  kind: string;
  /** Minors such as "3.12". */
  minors: string[];
  /** "tox.ini:3 envlist". */
  origin: string;
}

export interface PythonPreference {
  kind: string;
  /** Minors to try, newest first, all inside the request. */
  minors: string[];
  origin: string;
}

const HINT_ORDER = ["classifiers", "tox-envlist", "ci-matrix", "nox-session", "dockerfile", "runtime.txt", ".tool-versions"];

const newestFirst = (minors: string[]) =>
  [...new Set(minors)].sort((a, b) => Number(b.split(".")[0]) - Number(a.split(".")[0]) || Number(b.split(".")[1]) - Number(a.split(".")[1]));

export function pythonPreference(request: string | undefined, hints: VersionHint[]): PythonPreference | undefined {
  let parsed: ReturnType<typeof parsePythonRequest> | undefined;
  if (request) {
    try {
      parsed = parsePythonRequest(request);
    } catch {
      return undefined;
    }
    if (parsed.kind !== "range" && parsed.kind !== "any" && parsed.kind !== "major") return undefined;
  }
  const ordered = [...hints].sort((a, b) => HINT_ORDER.indexOf(a.kind) - HINT_ORDER.indexOf(b.kind));
  for (const hint of ordered) {
    const allowed = newestFirst(hint.minors.filter((m) => /^\d+\.\d+$/.test(m) && (!parsed || requestMatches(parsed, `${m}.0`) || requestMatches(parsed, `${m}.99`))));
    if (allowed.length) return { kind: hint.kind, minors: allowed, origin: hint.origin };
  }
  return undefined;
}
