/**
 * Can dhtl install system packages? Root, or sudo that will not ask for a password.
 * `sudo -n` never prompts: it fails at once when a password would be needed, and it is
 * run only when sudo exists and we are not already root.
 */
import { findOnPath } from "./which.ts";
import type { ResolvedProbe } from "./probe.ts";
import type { PrivilegeFacts } from "./types.ts";

export async function detectPrivileges(probe: ResolvedProbe): Promise<PrivilegeFacts> {
  // Windows elevation is not probed (it would need a spawn for little use): report false.
  const root = probe.os !== "windows" && probe.uid === 0;
  const sudo = probe.os === "windows" ? undefined : await findOnPath("sudo", probe.env, probe.os);
  if (root || !sudo) return { root, passwordlessSudo: false, sudoAvailable: Boolean(sudo) };
  const result = await probe.run([sudo, "-n", "true"], probe.env);
  return { root, passwordlessSudo: result.code === 0, sudoAvailable: true };
}
