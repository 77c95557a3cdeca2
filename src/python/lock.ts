/**
 * A cross-process lock on a file: created with O_EXCL, holding the owner's pid and host.
 * Used so that concurrent `dhtl python install 3.11.7` runs (two terminals, a CI matrix on
 * one runner) download and extract once; the others wait, then find the install done.
 *
 * A lock whose owner is gone (same host, pid not alive) or that is older than `staleMs`
 * (another host on a shared DHT_HOME) is taken over. Takeover re-reads the file just before
 * removing it, so a lock that changed hands meanwhile is left alone.
 */
import { hostname } from "node:os";
import { dirname } from "node:path";
import { mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { DhtError, ExitCode } from "../errors.ts";

export interface LockOptions {
  /** Give up after this long (default 15 minutes: an install on a slow link). */
  timeoutMs?: number;
  /** A lock older than this is considered abandoned even if its pid cannot be checked. */
  staleMs?: number;
  pollMs?: number;
  /** Called once when we start waiting for another process. */
  onWait?: (owner: LockOwner | undefined) => void;
}

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOwner(path: string): Promise<{ text: string; owner?: LockOwner } | undefined> {
  try {
    const text = await readFile(path, "utf8");
    try {
      return { text, owner: JSON.parse(text) as LockOwner };
    } catch {
      return { text }; // being written right now, or garbage
    }
  } catch {
    return undefined;
  }
}

async function isStale(path: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  if (owner && owner.host === hostname() && Number.isInteger(owner.pid)) return !pidAlive(owner.pid);
  try {
    const s = await stat(path);
    return Date.now() - s.mtimeMs > staleMs;
  } catch {
    return false;
  }
}

/** Acquire, run `fn`, release. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireFileLock(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

export async function acquireFileLock(path: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const staleMs = options.staleMs ?? 60 * 60_000;
  const pollMs = options.pollMs ?? 100;
  const mine: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const text = JSON.stringify(mine);
  await mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let waited = false;
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(text);
      await handle.close();
      return async () => {
        const current = await readOwner(path);
        if (current?.text === text) await unlink(path).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const current = await readOwner(path);
    if (current && (await isStale(path, current.owner, staleMs))) {
      const again = await readOwner(path);
      if (again?.text === current.text) await unlink(path).catch(() => {});
      continue;
    }
    if (!waited) {
      waited = true;
      options.onWait?.(current?.owner);
    }
    if (Date.now() > deadline) {
      const who = current?.owner ? `process ${current.owner.pid} on ${current.owner.host} since ${current.owner.since}` : "another process";
      throw new DhtError(ExitCode.failed, `timed out waiting for a lock held by ${who}`, {
        subject: path,
        hint: "if no dhtl is running any more, delete the lock file and try again",
      });
    }
    await Bun.sleep(pollMs);
  }
}
