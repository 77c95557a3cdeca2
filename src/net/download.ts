/**
 * downloadVerified: fetch an artifact into the content-addressed cache and return its path,
 * only once its sha256 matches. See cache.ts for the cache layout and hit policy.
 *
 *  - streams to `<hex>.partial` while hashing (Bun.CryptoHasher); renames on a match only;
 *    a mismatch deletes the partial file and names URL, expected and actual hash
 *  - an interrupted transfer is resumed with `Range` (+ `If-Range` when the server gave a
 *    validator); a 206 whose Content-Range does not start where we are, or a 200, restarts
 *  - retries with bounded exponential backoff and jitter on timeouts, resets, refused
 *    connections, 408/429 and 5xx; never on other 4xx (401/403/404 get a clear message)
 *  - `offline` never touches the network; file:// URLs and plain paths are copied (and
 *    verified) in any mode
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, renameSync, statSync, writeSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import { createByteProgress, type ByteProgress, type ProgressMode } from "../ui/progress.ts";
import {
  cacheEntryPaths,
  discardPartial,
  lockEntry,
  readPartialState,
  sha256File,
  verifiedCacheHit,
  type CacheEntryPaths,
} from "./cache.ts";
import { classifyFetchError, httpFetch, httpStatusError, isRetryableKind, networkError } from "./http.ts";
import { selectProxy } from "./proxy.ts";
import { redactUrl } from "./redact.ts";
import { terminalSafe } from "../ui/terminal-safe.ts";
import type { Env, NetSettings } from "./types.ts";

export interface DownloadSpec {
  url: string;
  sha256: string;
  size?: number;
  /** Human name of the artifact ("CPython 3.11.7 for linux-x86_64-gnu"). */
  label?: string;
}

export interface RetryPolicy {
  /** Total attempts, first included (default 5). */
  attempts?: number;
  /** First backoff step in ms (default 500); doubles per attempt. */
  baseDelayMs?: number;
  /** Upper bound of one wait in ms (default 8000). */
  maxDelayMs?: number;
}

export interface DownloadOptions {
  env: Env;
  /** DHT_HOME */
  home: string;
  offline: boolean;
  progress: ProgressMode;
  net?: NetSettings;
  /** Notes for the user (retries, resumes); defaults to stderr unless progress is "none". */
  log?: (message: string) => void;
  retry?: RetryPolicy;
  /** Abort when no body bytes arrive for this long (default 30 s, or DHT_HTTP_TIMEOUT seconds). */
  stallTimeoutMs?: number;
  /** Stream for the progress display (default process.stderr). */
  progressStream?: { write(text: string): unknown; isTTY?: boolean };
}

/** Backoff before attempt `attempt + 1` (attempt ≥ 1): full doubling, "equal jitter", capped. Pure. */
export function backoffDelayMs(attempt: number, policy: Required<RetryPolicy>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function retryPolicy(p?: RetryPolicy): Required<RetryPolicy> {
  return { attempts: p?.attempts ?? 5, baseDelayMs: p?.baseDelayMs ?? 500, maxDelayMs: p?.maxDelayMs ?? 8000 };
}

export function artifactLabel(spec: DownloadSpec): string {
  if (spec.label) return spec.label;
  // The decoded name may hold anything a URL can encode (%1b…): escaped for the terminal.
  try {
    return terminalSafe(decodeURIComponent(basename(new URL(spec.url).pathname)) || redactUrl(spec.url));
  } catch {
    return terminalSafe(basename(spec.url));
  }
}

/** A local source (file:// URL or plain path) or undefined for http(s). */
export function localSourcePath(url: string): string | undefined {
  if (/^file:/i.test(url)) {
    try {
      return fileURLToPath(url);
    } catch (error) {
      throw new DhtError(ExitCode.usage, `${redactUrl(url)} is not a usable file URL: ${(error as Error).message}`, {
        subject: redactUrl(url),
        hint: "Use file:///absolute/path (three slashes) or a plain path.",
      });
    }
  }
  if (/^https?:\/\//i.test(url)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new DhtError(ExitCode.usage, `Unsupported URL scheme in ${redactUrl(url)}.`, {
      subject: redactUrl(url),
      hint: "Use https://, http://, file:// or a plain path.",
    });
  }
  return isAbsolute(url) ? url : resolve(url);
}

function normaliseSha(spec: DownloadSpec): string {
  const sha = spec.sha256.trim().toLowerCase().replace(/^sha256:/, "");
  if (!/^[0-9a-f]{64}$/.test(sha)) {
    throw new DhtError(ExitCode.usage, `The expected sha256 for ${artifactLabel(spec)} is not a 64-digit hex digest.`, {
      subject: redactUrl(spec.url),
      hint: "Every download must be pinned to its sha256; check the manifest that listed it.",
    });
  }
  return sha;
}

function mismatchError(spec: DownloadSpec, expected: string, actual: string): DhtError {
  const shown = redactUrl(spec.url);
  return new DhtError(
    ExitCode.failed,
    `Checksum mismatch for ${artifactLabel(spec)} from ${shown}: expected sha256 ${expected}, got ${actual}.`,
    {
      subject: shown,
      hint: "Nothing was kept. The file changed or was altered in transit (a proxy rewriting downloads, a stale mirror); retry or fix the mirror.",
      details: { url: shown, expected, actual },
    },
  );
}

const inFlight = new Map<string, Promise<string>>();

export async function downloadVerified(spec: DownloadSpec, opts: DownloadOptions): Promise<string> {
  const sha = normaliseSha(spec);
  const key = `${opts.home}\0${sha}`;
  const running = inFlight.get(key);
  if (running) return running;
  const job = downloadUnlocked(spec, sha, opts).finally(() => inFlight.delete(key));
  inFlight.set(key, job);
  return job;
}

async function downloadUnlocked(spec: DownloadSpec, sha: string, opts: DownloadOptions): Promise<string> {
  const paths = cacheEntryPaths(opts.home, sha);
  const hit = await verifiedCacheHit(paths, sha, spec.size);
  if (hit) return hit;
  const local = localSourcePath(spec.url);
  if (!local && opts.offline) {
    throw new DhtError(
      ExitCode.unsatisfiable,
      `${artifactLabel(spec)} is not in the download cache and offline mode forbids fetching ${redactUrl(spec.url)}.`,
      {
        subject: redactUrl(spec.url),
        hint: "Run once with network access, use an offline bundle (--offline-bundle), or point the mirror at a local directory (DHT_PYTHON_MIRROR=file:///...).",
        details: { artifact: artifactLabel(spec), sha256: sha, cache: paths.final },
      },
    );
  }
  mkdirSync(paths.dir, { recursive: true });
  const release = await lockEntry(paths, (pid) =>
    userLog(opts)(`${artifactLabel(spec)}: another dhtl process (pid ${pid}) is downloading it; waiting`),
  );
  try {
    // Another process may have finished it while we waited for the lock.
    const done = await verifiedCacheHit(paths, sha, spec.size);
    if (done) return done;
    return local ? await copyVerified(local, spec, sha, paths, opts) : await fetchWithRetries(spec, sha, paths, opts);
  } finally {
    release();
  }
}

function userLog(opts: DownloadOptions): (message: string) => void {
  if (opts.log) return opts.log;
  if (opts.progress === "none") return () => {};
  return (message) => process.stderr.write(`${message}\n`);
}

async function copyVerified(source: string, spec: DownloadSpec, sha: string, paths: CacheEntryPaths, opts: DownloadOptions): Promise<string> {
  if (!existsSync(source) || !statSync(source).isFile()) {
    throw new DhtError(
      opts.offline ? ExitCode.unsatisfiable : ExitCode.failed,
      `${artifactLabel(spec)} is not at ${source}.`,
      { subject: source, hint: "Check the mirror directory (DHT_PYTHON_MIRROR) or the bundle it came from." },
    );
  }
  discardPartial(paths);
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = openSync(paths.partial, "w");
  try {
    for await (const chunk of Bun.file(source).stream()) {
      hasher.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  const actual = hasher.digest("hex");
  if (actual !== sha) {
    discardPartial(paths);
    throw mismatchError(spec, sha, actual);
  }
  renameSync(paths.partial, paths.final);
  return paths.final;
}

/**
 * A host that does not resolve, or where nothing listens, almost always stays that way: one
 * retry covers a blip, and the caller (a resolution chain, a list of mirrors) moves on within
 * a second instead of spending the full backoff on a dead mirror or an unreachable host.
 */
const FAST_FAILING_KINDS = new Set(["dns", "refused", "unreachable"]);
function attemptsFor(error: DhtError, policy: Required<RetryPolicy>): number {
  const kind = error.details?.kind;
  return typeof kind === "string" && FAST_FAILING_KINDS.has(kind) ? Math.min(policy.attempts, 2) : policy.attempts;
}

class RetryableError extends Error {
  constructor(
    readonly error: DhtError,
    readonly retryAfterMs?: number,
    /** The attempt received bytes before it failed (a stall after progress is worth resuming). */
    readonly progressed = false,
  ) {
    super(error.message);
  }
}

/**
 * A server that stalls without sending anything new twice in a row will not start: give up
 * then (about twice DHT_HTTP_TIMEOUT) instead of five full timeouts plus backoff (156 s).
 */
const MAX_IDLE_TIMEOUTS = 2;

async function fetchWithRetries(spec: DownloadSpec, sha: string, paths: CacheEntryPaths, opts: DownloadOptions): Promise<string> {
  const policy = retryPolicy(opts.retry);
  const log = userLog(opts);
  const label = artifactLabel(spec);
  const progress = createByteProgress({
    mode: opts.progress,
    label,
    total: spec.size,
    stream: opts.progressStream,
  });
  let restartedAfterMismatch = false;
  let idleTimeouts = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const { actual, resumed } = await fetchOnce(spec, sha, paths, opts, progress, log);
        if (actual !== sha) {
          discardPartial(paths);
          if (resumed && !restartedAfterMismatch) {
            // The resumed bytes may come from a different file version: one clean retry.
            restartedAfterMismatch = true;
            log(`${label}: checksum mismatch after resuming; downloading again from the start`);
            attempt--;
            continue;
          }
          throw mismatchError(spec, sha, actual);
        }
        renameSync(paths.partial, paths.final);
        discardPartial(paths);
        progress.done(true);
        return paths.final;
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        if (error.error.details?.kind === "timeout") idleTimeouts = error.progressed ? 0 : idleTimeouts + 1;
        if (attempt >= attemptsFor(error.error, policy) || idleTimeouts >= MAX_IDLE_TIMEOUTS) {
          throw new DhtError(error.error.code, `${error.error.message} (gave up after ${attempt} attempts)`, {
            subject: error.error.subject,
            hint: error.error.hint,
            details: error.error.details,
            cause: error.error,
          });
        }
        const wait = Math.min(error.retryAfterMs ?? backoffDelayMs(attempt, policy), Math.max(policy.maxDelayMs, 30_000));
        progress.note(`${error.error.message}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attemptsFor(error.error, policy)})`);
        await Bun.sleep(wait);
      }
    }
  } catch (error) {
    progress.done(false);
    if (isDhtError(error)) throw error;
    // File-system trouble (a full disk, a read-only DHT_HOME) while writing the partial file.
    const message = (error as Error)?.message ?? String(error);
    throw new DhtError(ExitCode.failed, `Could not save ${label} into the download cache ${paths.dir}: ${message}`, {
      subject: paths.dir,
      hint: "Check free space and permissions there, or point DHT_HOME at a writable disk.",
      cause: error,
    });
  }
}

function parseContentRange(header: string | null): { start: number; end: number; total?: number } | undefined {
  const m = header && /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(header.trim());
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? undefined : Number(m[3]) };
}

function retryAfterMs(response: Response): number | undefined {
  const v = response.headers.get("retry-after");
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function stallTimeout(opts: DownloadOptions): number {
  if (opts.stallTimeoutMs) return opts.stallTimeoutMs;
  const s = Number(opts.env.DHT_HTTP_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

async function fetchOnce(
  spec: DownloadSpec,
  sha: string,
  paths: CacheEntryPaths,
  opts: DownloadOptions,
  progress: ByteProgress,
  log: (message: string) => void,
): Promise<{ actual: string; resumed: boolean }> {
  const url = spec.url;
  const shown = redactUrl(url);
  const proxy = selectProxy(url, opts.env, opts.net);
  const state = readPartialState(paths, sha);
  let offset = state && existsSync(paths.partial) ? statSync(paths.partial).size : 0;
  if (offset === 0 || (spec.size !== undefined && offset >= spec.size)) {
    discardPartial(paths);
    offset = 0;
  }

  const controller = new AbortController();
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // If-Range: the server sends the whole file (200) when it changed since the partial was written.
    const validator = state?.etag && !state.etag.startsWith("W/") ? state.etag : state?.lastModified;
    if (validator) headers["if-range"] = validator;
  }
  let response: Response;
  try {
    // decompress: false: hash the bytes exactly as served (a server that adds Content-Encoding
    // to a .tar.gz must not make us hash the inner tar).
    response = await httpFetch(url, { headers, signal: controller.signal, decompress: false }, { env: opts.env, net: opts.net });
  } catch (error) {
    if (isDhtError(error) && error.details?.retryable) throw new RetryableError(error);
    throw error;
  }

  const status = response.status;
  if (status === 206) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (!range || range.start !== offset) {
      // Range not honoured as asked: start over with a clean request.
      await response.body?.cancel();
      discardPartial(paths);
      throw new RetryableError(
        new DhtError(ExitCode.failed, `${shown} answered a resume request with the wrong range (${response.headers.get("content-range") ?? "none"})`, {
          subject: shown,
          details: { retryable: true },
        }),
        0,
      );
    }
  } else if (status === 200) {
    if (offset > 0) {
      progress.note(`${artifactLabel(spec)}: the server did not resume (HTTP 200 to a Range request); starting from the beginning`);
      offset = 0;
    }
  } else {
    await response.body?.cancel().catch(() => {});
    const error = httpStatusError(url, response, proxy);
    if (status === 416) {
      discardPartial(paths);
      throw new RetryableError(error, 0);
    }
    if (status >= 500 || status === 408 || status === 429) throw new RetryableError(error, retryAfterMs(response));
    throw error;
  }

  const hasher = new Bun.CryptoHasher("sha256");
  if (offset > 0) {
    for await (const chunk of Bun.file(paths.partial).stream()) hasher.update(chunk);
    log(`${artifactLabel(spec)}: resuming at byte ${offset}`);
  }
  await Bun.write(
    paths.state,
    JSON.stringify({
      sha256: sha,
      url: shown,
      etag: response.headers.get("etag") ?? undefined,
      lastModified: response.headers.get("last-modified") ?? undefined,
    }),
  );
  const lengthHeader = response.headers.get("content-length");
  const expectedEnd = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? offset + Number(lengthHeader) : spec.size;
  if (expectedEnd !== undefined) progress.setTotal(expectedEnd);
  const fd = openSync(paths.partial, offset > 0 ? "r+" : "w");
  if (offset > 0) ftruncateSync(fd, offset);
  let received = offset;
  const stallMs = stallTimeout(opts);
  let stalled = false;
  let timer = setTimeout(() => ((stalled = true), controller.abort()), stallMs);
  try {
    const reader = response.body!.getReader();
    for (;;) {
      let chunk: Bun.ReadableStreamDefaultReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const cause = stalled ? new DOMException(`no data for ${stallMs / 1000} s`, "TimeoutError") : error;
        const wrapped = networkError(url, cause, proxy);
        if (isRetryableKind(classifyFetchError(cause))) throw new RetryableError(wrapped, undefined, received > offset);
        throw wrapped;
      }
      if (chunk.done) break;
      clearTimeout(timer);
      timer = setTimeout(() => ((stalled = true), controller.abort()), stallMs);
      writeSync(fd, chunk.value, 0, chunk.value.length, received);
      hasher.update(chunk.value);
      received += chunk.value.length;
      if (spec.size !== undefined && received > spec.size) {
        controller.abort();
        discardPartial(paths);
        throw new DhtError(ExitCode.failed, `${shown} sent more than the expected ${spec.size} bytes for ${artifactLabel(spec)}.`, {
          subject: shown,
          hint: "The mirror serves a different file than the manifest lists; nothing was kept.",
        });
      }
      progress.update(received);
    }
  } finally {
    clearTimeout(timer);
    closeSync(fd);
  }
  if (expectedEnd !== undefined && received < expectedEnd) {
    // Bun's fetch does not always report a body that ends before Content-Length: check ourselves.
    throw new RetryableError(
      new DhtError(ExitCode.failed, `The connection to ${shown} ended after ${received} of ${expectedEnd} bytes`, {
        subject: shown,
        hint: "The transfer was cut; dhtl resumes it on the next attempt.",
        details: { retryable: true },
      }),
    );
  }
  return { actual: hasher.digest("hex"), resumed: offset > 0 };
}
