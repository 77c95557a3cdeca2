/**
 * Windows path limits, as pure functions. Without LongPathsEnabled, most Windows programs
 * (and pip/uv writing deep package trees) fail beyond MAX_PATH = 260 characters. When the
 * deepest path a venv is likely to hold would pass that, the venv goes under a short
 * directory (DHT_HOME\v\<short-hash>) and `.venv` becomes a junction to it.
 */
import { win32 } from "node:path";

export const MAX_PATH = 260;

/**
 * Characters a venv needs below its own path for the deepest files of common packages
 * (`Lib\site-packages\` plus e.g. jupyterlab/static, sklearn test data, botocore data:
 * paths of 140+ characters are common).
 */
export const DEEP_FILE_ALLOWANCE = 150;

export function deepestVenvPathLength(venvPath: string, allowance = DEEP_FILE_ALLOWANCE): number {
  return win32.join(venvPath, "Lib", "site-packages").length + 1 + allowance;
}

export interface LongPathDecision {
  /** Move the venv to a short path. */
  shorten: boolean;
  deepest: number;
  why: string;
}

export function decideLongPaths(input: {
  os: string;
  longPathsEnabled: boolean | undefined;
  venvPath: string;
  allowance?: number;
}): LongPathDecision {
  const deepest = deepestVenvPathLength(input.venvPath, input.allowance);
  if (input.os !== "windows") return { shorten: false, deepest, why: "not Windows: no 260-character limit" };
  if (input.longPathsEnabled === true) return { shorten: false, deepest, why: "LongPathsEnabled is on" };
  if (deepest <= MAX_PATH) {
    return { shorten: false, deepest, why: `deepest expected path ${deepest} ≤ ${MAX_PATH} characters` };
  }
  return {
    shorten: true,
    deepest,
    why: `LongPathsEnabled is ${input.longPathsEnabled === false ? "off" : "unknown"} and the deepest expected venv path would be ${deepest} characters (> ${MAX_PATH})`,
  };
}

/** Short venv location: DHT_HOME\v\<first 8 hex of the project hash>. */
export function shortVenvPath(dhtHome: string, projectHash: string): string {
  return win32.join(dhtHome, "v", projectHash.slice(0, 8));
}

/** The commands that turn long paths on (need an elevated shell; take effect for new processes). */
export const ENABLE_LONG_PATHS_COMMANDS = {
  cmd: 'reg add "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem" /v LongPathsEnabled /t REG_DWORD /d 1 /f',
  powershell:
    'New-ItemProperty -Path "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\FileSystem" -Name LongPathsEnabled -Value 1 -PropertyType DWORD -Force',
} as const;
