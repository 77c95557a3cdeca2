/**
 * The content-addressed download cache: DHT_HOME/cache/sha256/<hex>. A file lives under the
 * name of its own sha256, so any URL (or mirror) that serves the same bytes shares one entry
 * and nothing is fetched twice.
 *
 * Cache hits are RE-HASHED, not trusted by name: sha256 runs at well over 1 GB/s here (a 30 MB
 * Python archive costs ~20 ms), which is nothing next to extracting it, and it catches a file
 * truncated by a full disk or edited by hand. A corrupt entry is deleted and fetched again.
 *
 * In-flight downloads keep `<hex>.partial` (the bytes so far) and `<hex>.partial.json`
 * (validators for resuming) beside the final name, and `<hex>.lock` while a process works on it.
 */
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { homePaths } from "../paths.ts";

export interface CacheEntryPaths {
  dir: string;
  final: string;
  partial: string;
  state: string;
  lock: string;
}

export function cacheEntryPaths(home: string, sha256: string): CacheEntryPaths {
  const dir = homePaths(home).downloads;
  const final = join(dir, sha256);
  return { dir, final, partial: `${final}.partial`, state: `${final}.partial.json`, lock: `${final}.lock` };
}

/** sha256 of a file, streamed (never the whole file in memory). */
export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/** The cached path when present and intact; a corrupt entry is removed. */
export async function verifiedCacheHit(paths: CacheEntryPaths, sha256: string, size?: number): Promise<string | undefined> {
  if (!existsSync(paths.final)) return undefined;
  const st = statSync(paths.final);
  if (st.isFile() && (size === undefined || st.size === size) && (await sha256File(paths.final)) === sha256) {
    return paths.final;
  }
  rmSync(paths.final, { force: true });
  return undefined;
}

export interface PartialState {
  sha256: string;
  /** Redacted: files never hold credentials. */
  url: string;
  etag?: string;
  lastModified?: string;
}

export function readPartialState(paths: CacheEntryPaths, sha256: string): PartialState | undefined {
  try {
    const state = JSON.parse(readFileSync(paths.state, "utf8")) as PartialState;
    return state.sha256 === sha256 ? state : undefined;
  } catch {
    return undefined;
  }
}

export function discardPartial(paths: CacheEntryPaths): void {
  rmSync(paths.partial, { force: true });
  rmSync(paths.state, { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/**
 * A per-entry lock so two dhtl processes do not write the same partial file. A lock whose
 * owner is dead is taken over. Returns a release function.
 */
export async function lockEntry(
  paths: CacheEntryPaths,
  onWait?: (ownerPid: number) => void,
  waitMs = 15 * 60_000,
): Promise<() => void> {
  mkdirSync(paths.dir, { recursive: true });
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(paths.lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      // Also on an interrupted run (process.exit from the SIGINT handler); the partial file stays for resuming.
      const release = () => rmSync(paths.lock, { force: true });
      process.once("exit", release);
      return () => {
        process.off("exit", release);
        release();
      };
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(paths.lock, "utf8"));
    } catch {
      continue; // released between our open and read
    }
    if (!Number.isInteger(owner) || owner <= 0 || !pidAlive(owner) || owner === process.pid) {
      rmSync(paths.lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new DhtError(ExitCode.failed, `Another dhtl process (pid ${owner}) has been downloading into ${paths.final} for too long.`, {
        subject: paths.lock,
        hint: `If no dhtl process ${owner} is running, delete ${paths.lock} and retry.`,
      });
    }
    if (!announced) {
      announced = true;
      onWait?.(owner);
    }
    await Bun.sleep(200);
  }
}
