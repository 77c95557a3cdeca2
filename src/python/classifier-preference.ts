/**
 * A project that says `requires-python = ">=3.8"` accepts every future Python, but its pins
 * often stop working on the newest one (FastAPI 0.115's test pins import an old trio that
 * breaks on 3.13). Its trove classifiers say which versions it is actually tested on. For
 * an open-ended range, dhtl first looks for an interpreter of the newest classified minor
 * that the range allows, then the older classified ones, and only then takes the range as
 * it is. Pure: which minors to try, in order.
 */
import { parsePythonRequest, requestMatches } from "./request.ts";

export function classifierPreferences(request: string | undefined, classifiers: readonly string[] | undefined): string[] {
  if (!request || !classifiers?.length) return [];
  let parsed;
  try {
    parsed = parsePythonRequest(request);
  } catch {
    return [];
  }
  if (parsed.kind !== "range" && parsed.kind !== "any" && parsed.kind !== "major") return [];
  return [...classifiers]
    .filter((minor) => requestMatches(parsed, `${minor}.0`))
    .sort((a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1]));
}
