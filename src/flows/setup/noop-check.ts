/**
 * The cheap "nothing changed" check that runs before anything else in `dhtl setup`: read
 * the checkpoint, re-hash the few recorded input files, compare the settings key, and look
 * for the venv's completion marker and interpreter. No Python, no uv, no config parsing,
 * no consola: a no-op setup costs a few stats and hashes.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { readCheckpoint, type Checkpoint } from "../../env/checkpoints.ts";
import { readMarker, venvPython } from "../../env/venv.ts";
import { probesUnchanged } from "./inputs-hash.ts";
import { asBaseline, baselineDamage } from "../../repair/baseline.ts";
import { SWAP_JOURNAL } from "../../repair/swap.ts";

export const CHECKPOINT_NAME = join(".dht", "setup-progress.json");

export type NoopVerdict =
  | { upToDate: true; envRoot: string; checkpoint: Checkpoint; venvPath: string }
  /**
   * `damaged`: nothing changed, but the venv broke since it was verified (setup repairs it).
   * `interruptedSwap`: a `fix-env --deep` was killed between the two renames of its swap
   * (src/repair/swap.ts): setup finishes or undoes that first, never builds over it.
   */
  | { upToDate: false; reason: string; envRoot?: string; damaged?: boolean; interruptedSwap?: boolean };

/** The nearest directory at or above `cwd` holding a setup checkpoint. */
export function findCheckpointRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, CHECKPOINT_NAME))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

export function checkUpToDate(cwd: string, settingsKey: string, startRoot?: string): NoopVerdict {
  const envRoot = startRoot ?? findCheckpointRoot(cwd);
  if (!envRoot) return { upToDate: false, reason: "no previous setup" };
  if (existsSync(join(envRoot, ".dht", SWAP_JOURNAL))) return { upToDate: false, reason: "a repair was interrupted while swapping the venv", envRoot, interruptedSwap: true };
  const checkpoint = readCheckpoint(join(envRoot, CHECKPOINT_NAME));
  if (!checkpoint) return { upToDate: false, reason: "no readable checkpoint", envRoot };
  if (!checkpoint.complete) return { upToDate: false, reason: "the previous setup did not finish", envRoot };
  if (checkpoint.settingsKey !== settingsKey) return { upToDate: false, reason: "flags or environment changed", envRoot };
  // In a monorepo, a subdirectory that is its own environment is not covered by this checkpoint.
  const others = checkpoint.otherEnvironments ?? [];
  if (others.some((o) => inside(resolve(cwd), o))) return { upToDate: false, reason: "another environment", envRoot };
  if (!probesUnchanged(checkpoint.probes)) return { upToDate: false, reason: "project files changed", envRoot };
  const venvPath = checkpoint.venvPath;
  if (!venvPath) return { upToDate: false, reason: "no venv recorded", envRoot };
  if (readMarker(venvPath) !== checkpoint.inputsHash) return { upToDate: false, reason: "the venv is not marked complete", envRoot };
  try {
    statSync(venvPython(venvPath));
  } catch {
    return { upToDate: false, reason: "the venv's interpreter is missing", envRoot, damaged: true };
  }
  // Common breakage since verification: a package's directory deleted, the base Python
  // removed or replaced, the venv's python replaced (a few stats and one readdir).
  const baseline = asBaseline(checkpoint.steps.find((s) => s.id === "finalize")?.output?.baseline);
  const damage = baseline && baselineDamage(venvPath, baseline);
  if (damage) return { upToDate: false, reason: damage, envRoot, damaged: true };
  return { upToDate: true, envRoot, checkpoint, venvPath };
}
