/**
 * Looking an executable up on PATH the way a shell would, with PATH (and PATHEXT on
 * Windows) taken from the given environment, so tests can use a fixture PATH.
 */
import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import type { OsName } from "./types.ts";

export function pathEntries(env: Record<string, string | undefined>, os: OsName): string[] {
  // Windows env names are case-insensitive: "Path" is the usual spelling there.
  const raw = os === "windows" ? (env.PATH ?? env.Path ?? env.path ?? "") : (env.PATH ?? "");
  const sep = os === "windows" ? ";" : ":";
  const seen = new Set<string>();
  const out: string[] = [];
  for (const entry of raw.split(sep)) {
    const dir = entry.trim().replace(/^"(.*)"$/, "$1");
    // An empty PATH entry means "current directory" to a shell; we never want that for probes.
    if (dir === "" || seen.has(dir)) continue;
    seen.add(dir);
    out.push(dir);
  }
  return out;
}

/** Candidate file names for a command: itself on Unix, name + each PATHEXT on Windows. */
export function executableNames(name: string, env: Record<string, string | undefined>, os: OsName): string[] {
  if (os !== "windows") return [name];
  const exts = (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean);
  // PowerShell scripts are how scoop installs itself: `scoop` resolves to scoop.ps1 in a shell.
  return [...exts.map((e) => name + e.toLowerCase()), `${name}.ps1`];
}

/**
 * Synchronous on purpose: PATH lookups are a hundred or so stat calls of microseconds
 * each, and async fs costs more in scheduling than in the calls themselves.
 */
function isExecutableFile(path: string, os: OsName): boolean {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s?.isFile()) return false;
  if (os === "windows") return true;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First match on PATH, or undefined. */
export async function findOnPath(
  name: string,
  env: Record<string, string | undefined>,
  os: OsName,
): Promise<string | undefined> {
  const names = executableNames(name, env, os);
  for (const dir of pathEntries(env, os)) {
    for (const n of names) {
      const candidate = join(dir, n);
      if (isExecutableFile(candidate, os)) return candidate;
    }
  }
  return undefined;
}
