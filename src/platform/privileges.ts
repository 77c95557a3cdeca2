/**
 * Can dhtl install system packages? Root (an elevated token on Windows), or sudo that will
 * not ask for a password. `sudo -n` never prompts: it fails at once when a password would
 * be needed, and it is run only when sudo exists and we are not already root.
 */
import { findOnPath } from "./which.ts";
import type { ResolvedProbe } from "./probe.ts";
import type { PrivilegeFacts } from "./types.ts";

/**
 * `whoami /groups` lists the token's integrity label: High (S-1-16-12288) or System
 * (S-1-16-16384) means elevated; Medium or lower means a filtered admin or a plain user.
 */
export function windowsElevationFromWhoami(stdout: string): boolean | undefined {
  const sid = /S-1-16-(\d+)/.exec(stdout)?.[1];
  return sid === undefined ? undefined : Number(sid) >= 12288;
}

export async function detectPrivileges(probe: ResolvedProbe): Promise<PrivilegeFacts> {
  if (probe.os === "windows") {
    const out = await probe.run(["whoami", "/groups"], probe.env);
    return { root: out.code === 0 && windowsElevationFromWhoami(out.stdout) === true, passwordlessSudo: false, sudoAvailable: false };
  }
  const root = probe.uid === 0;
  const sudo = await findOnPath("sudo", probe.env, probe.os);
  if (root || !sudo) return { root, passwordlessSudo: false, sudoAvailable: Boolean(sudo) };
  const result = await probe.run([sudo, "-n", "true"], probe.env);
  return { root, passwordlessSudo: result.code === 0, sudoAvailable: true };
}
