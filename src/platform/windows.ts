/**
 * Windows-only facts. Paths over 260 characters fail in many tools unless the
 * LongPathsEnabled policy is on — venvs nested in deep project paths hit this first.
 */
import type { ResolvedProbe } from "./probe.ts";
import type { WindowsFacts } from "./types.ts";

export const LONG_PATHS_REG_QUERY = ["reg", "query", "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem", "/v", "LongPathsEnabled"];

/**
 * Read `reg query ... /v LongPathsEnabled` output: "    LongPathsEnabled    REG_DWORD    0x1".
 * A missing value means the default (off); output we can't read means unknown.
 */
export function parseLongPathsEnabled(stdout: string, exitCode = 0): boolean | undefined {
  const m = /^\s*LongPathsEnabled\s+REG_DWORD\s+0x([0-9a-f]+)\s*$/im.exec(stdout);
  if (m) return Number.parseInt(m[1]!, 16) !== 0;
  // reg exits 1 with "ERROR: The system was unable to find the specified registry key or value."
  if (exitCode === 1 && /unable to find/i.test(stdout)) return false;
  return undefined;
}

export async function detectWindowsFacts(probe: ResolvedProbe): Promise<WindowsFacts> {
  const out = await probe.run(LONG_PATHS_REG_QUERY, probe.env);
  const longPathsEnabled = parseLongPathsEnabled(out.stdout + out.stderr, out.code);
  return longPathsEnabled === undefined ? {} : { longPathsEnabled };
}
