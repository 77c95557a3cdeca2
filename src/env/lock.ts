/**
 * The project lock: `.dht/lock`, created with O_EXCL, holding the owner's pid and host.
 * Two `dhtl setup` runs on one project never touch the environment at the same time; the
 * second waits (saying for whom) or, with --no-wait, fails at once.
 *
 * A lock left by a dead process on this host is taken over: a run killed with SIGKILL
 * cannot release its lock, and the next run must not wait forever for it. A lock from
 * another host (a project on a network file system) is never judged stale here, because
 * we cannot see that host's processes.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** What holds it ("setup"), for the waiting message. */
  purpose: string;
}

export interface LockOptions {
  purpose: string;
  /** Fail at once instead of waiting when the lock is held. */
  noWait?: boolean;
  /** Called once when we start waiting (and again if the owner changes). */
  onWait?: (owner: LockOwner) => void;
  /** Give up after this long (ms). Default: wait forever, like a user would expect of `make`. */
  timeoutMs?: number;
  pollMs?: number;
  /** Injectable for tests. */
  isAlive?: (pid: number) => boolean;
  host?: string;
  pid?: number;
}

export interface HeldLock {
  path: string;
  owner: LockOwner;
  release(): void;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readLockOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string") {
      return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? ""), purpose: String(parsed.purpose ?? "") };
    }
  } catch {
    /* absent, or being written right now */
  }
  return undefined;
}

/** Decide whether an existing lock may be taken over. Pure given `isAlive`. */
export function lockIsStale(owner: LockOwner | undefined, host: string, isAlive: (pid: number) => boolean): boolean {
  if (!owner) return false; // unreadable: maybe half-written by a live process; check again later
  if (owner.host !== host) return false;
  return !isAlive(owner.pid);
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Take the stale lock over without racing another run doing the same: rename it to a
 * unique name (only one renamer wins), check that what we moved is still the stale lock,
 * then delete it.
 */
function removeStale(path: string, stale: LockOwner, pid: number): void {
  const aside = `${path}.stale-${pid}-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else took it over first
  }
  const moved = readLockOwner(aside);
  if (moved && (moved.pid !== stale.pid || moved.host !== stale.host)) {
    // We moved a fresh lock that replaced the stale one between our read and rename: put it back.
    try {
      renameSync(aside, path);
    } catch {
      /* it is gone either way */
    }
    return;
  }
  try {
    unlinkSync(aside);
  } catch {
    /* ignore */
  }
}

export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processIsAlive;
  const pollMs = options.pollMs ?? 150;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  mkdirSync(dirname(path), { recursive: true });
  const owner: LockOwner = { pid, host, since: new Date().toISOString(), purpose: options.purpose };
  let announced: string | undefined;
  let unreadableSince: number | undefined;
  for (;;) {
    if (tryCreate(path, owner)) {
      let released = false;
      // Ctrl-C / SIGTERM end the process with process.exit (src/main.ts): release on the way out.
      const onExit = () => lock.release();
      const lock: HeldLock = {
        path,
        owner,
        release() {
          if (released) return;
          released = true;
          process.off("exit", onExit);
          const current = readLockOwner(path);
          if (current && current.pid === pid && current.host === host) {
            try {
              unlinkSync(path);
            } catch {
              /* already gone */
            }
          }
        },
      };
      process.on("exit", onExit);
      return lock;
    }
    const holder = readLockOwner(path);
    if (lockIsStale(holder, host, isAlive)) {
      removeStale(path, holder!, pid);
      continue;
    }
    if (!holder) {
      // A lock file that stays unreadable (empty: its writer was killed between create and
      // write) is stale after a grace period.
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince > 2000) {
        removeStale(path, { pid: -1, host: "", since: "", purpose: "" }, pid);
        unreadableSince = undefined;
        continue;
      }
    } else {
      unreadableSince = undefined;
    }
    if (options.noWait) {
      throw new DhtError(ExitCode.failed, `another dhtl ${holder?.purpose || "run"} is working on this project${holder ? ` (pid ${holder.pid} on ${holder.host})` : ""}`, {
        subject: path,
        hint: "wait for it to finish (run again without --no-wait to wait), or, if no such process exists, delete the lock file",
      });
    }
    const key = holder ? `${holder.host}:${holder.pid}` : "?";
    if (holder && announced !== key) {
      announced = key;
      options.onWait?.(holder);
    }
    if (Date.now() > deadline) {
      throw new DhtError(ExitCode.failed, `timed out waiting for the lock held by pid ${holder?.pid ?? "?"}`, {
        subject: path,
        hint: "if no such process exists, delete the lock file",
      });
    }
    await Bun.sleep(pollMs);
  }
}
