/**
 * Setup checkpoints: `.dht/setup-progress.json` records each completed step with the hash
 * of the inputs it ran with and what it produced. Written atomically (temp file + rename)
 * so a run killed at any instant leaves either the old record or the new one, never half.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";

export const CHECKPOINT_SCHEMA = 1;

export interface StepRecord {
  id: string;
  /** Hash of the inputs this step ran with; a different hash means "run again". */
  hash: string;
  completedAt: string;
  /** What the step produced, for later steps and for a resumed run (paths, versions). */
  output?: Record<string, unknown>;
}

/** A file whose content (or absence) is an input of the setup, for the cheap no-op check. */
export interface ProbeRecord {
  path: string;
  /** sha256 of the content, or null when the file was absent. */
  sha256: string | null;
}

export interface Checkpoint {
  schema: number;
  /** dhtl version that wrote it. */
  dhtVersion: string;
  /** Hash over all inputs of the last run. */
  inputsHash: string;
  /** Key over flags and environment variables that change the setup. */
  settingsKey: string;
  /** True once every step finished and the venv carries its completion marker. */
  complete: boolean;
  /** Absolute path of the venv directory (after any symlink), for the no-op check. */
  venvPath?: string;
  /** The .venv link when the venv lives elsewhere (network FS, long paths). */
  venvLink?: string;
  probes: ProbeRecord[];
  /** Monorepo: absolute dirs of the other environments, which this checkpoint does not cover. */
  otherEnvironments?: string[];
  steps: StepRecord[];
  updatedAt: string;
}

export function readCheckpoint(path: string): Checkpoint | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Checkpoint;
    if (parsed && parsed.schema === CHECKPOINT_SCHEMA && Array.isArray(parsed.steps) && Array.isArray(parsed.probes)) return parsed;
  } catch {
    /* absent or unreadable: behave as if there were none */
  }
  return undefined;
}

export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(tmp, content);
  try {
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    throw error;
  }
}

export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileAtomic(path, `${JSON.stringify({ ...checkpoint, updatedAt: new Date().toISOString() }, null, 2)}\n`);
}

export function removeCheckpoint(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* absent */
  }
}
