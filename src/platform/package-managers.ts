/**
 * Which system package managers are present: the names dhtl can offer install commands
 * for (platform_deps, Python install guides). Found on PATH only — presence, not health.
 */
import { findOnPath } from "./which.ts";
import type { OsName } from "./types.ts";

/** In the order reports list them: Linux distro managers, then macOS, then Windows. */
export const KNOWN_PACKAGE_MANAGERS = [
  "apt",
  "dnf",
  "yum",
  "zypper",
  "pacman",
  "apk",
  "brew",
  "port",
  "winget",
  "choco",
  "scoop",
] as const;

export async function detectPackageManagers(env: Record<string, string | undefined>, os: OsName): Promise<string[]> {
  const found = await Promise.all(KNOWN_PACKAGE_MANAGERS.map(async (name) => ((await findOnPath(name, env, os)) ? name : undefined)));
  return found.filter((n): n is (typeof KNOWN_PACKAGE_MANAGERS)[number] => n !== undefined);
}
