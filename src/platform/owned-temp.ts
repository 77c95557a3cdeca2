/**
 * Temporary trees that say who made them, so a later run can clean up after a process that
 * was killed (kill -9, a power cut) without ever touching another live process's work.
 *
 * A temp path is `<parent>/<label>.dhtl-tmp-<pid>-<random>`. `sweepAbandonedTemps(parent)`
 * removes the entries of `parent` carrying that mark whose pid no longer runs. It removes
 * nothing else: not an entry without the mark, not one whose owner is alive (or whose
 * liveness cannot be told, EPERM: another user's live process). A pid reused by an unrelated
 * process keeps its tree until that process ends: a leak for a while, never a wrong removal.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export const TEMP_MARK = ".dhtl-tmp-";
const MARK_RE = /\.dhtl-tmp-(\d+)-[a-z0-9]+$/;

/** A fresh temp path in `parent` (not created). */
export function ownedTempPath(parent: string, label: string): string {
  return join(parent, `${label}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
}

/** Create a fresh owner-marked temp directory in `parent` (mode 0700 until renamed). */
export function makeOwnedTempDir(parent: string, label: string): string {
  mkdirSync(parent, { recursive: true });
  const dir = ownedTempPath(parent, label);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** The owner pid of a marked name, or undefined when the name carries no mark. */
export function ownerPidOf(name: string): number | undefined {
  const m = MARK_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Does `pid` run? ESRCH: no. EPERM: yes, as another user. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove the temp trees in `parent` whose owner died. Returns the names removed. Never
 * throws: cleaning up is a courtesy, a failure to do it must not stop the run.
 */
export function sweepAbandonedTemps(parent: string, alive: (pid: number) => boolean = pidAlive): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = ownerPidOf(name);
    if (pid === undefined || alive(pid)) continue;
    try {
      rmSync(join(parent, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      /* left for the next run */
    }
  }
  return removed;
}
