/**
 * httpFetch: the one door to the network for every HTTP client in dhtl.
 *
 * It is Bun's fetch called directly, not ofetch: callers need the raw streaming Response
 * (downloads hash and write chunk by chunk), the Bun-only per-request `proxy` and `tls`
 * options, and their own retry policy (the downloader resumes with Range, which ofetch's
 * retry, re-issuing the same request, cannot do). Responses with any status are returned
 * as they are; failures to get a response at all become a DhtError that says what kind of
 * failure it was (TLS, proxy, refused, DNS, timeout, reset) and whether retrying may help.
 */
import { DhtError, ExitCode } from "../errors.ts";
import { tlsOptionsFor } from "./ca.ts";
import { selectProxy, type ProxyChoice } from "./proxy.ts";
import { redactText, redactUrl } from "./redact.ts";
import type { Env, NetSettings } from "./types.ts";

export interface HttpOptions {
  env: Env;
  net?: NetSettings;
  /** Abort when no response headers arrived within this many ms (default 30 s, DHT_HTTP_TIMEOUT in seconds). */
  timeoutMs?: number;
}

export type NetFailureKind = "tls" | "proxy" | "refused" | "unreachable" | "dns" | "timeout" | "reset" | "other";

const TLS_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ALTNAME|TLS|SSL|HANDSHAKE|DEPTH_ZERO|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i;

/** Classify an error thrown by fetch (Bun codes as of 1.4.5). */
export function classifyFetchError(error: unknown): NetFailureKind {
  const e = error as { code?: unknown; name?: string; message?: string } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  const text = `${code} ${e?.name ?? ""} ${e?.message ?? ""}`;
  if (e?.name === "TimeoutError" || /timed? ?out|ETIMEDOUT/i.test(text)) return "timeout";
  if (TLS_CODES.test(code) || /certificate/i.test(e?.message ?? "")) return "tls";
  if (/ENOTFOUND|EAI_AGAIN|DNS/i.test(text)) return "dns";
  if (/ECONNREFUSED|ConnectionRefused|FailedToOpenSocket/i.test(text)) return "refused";
  // No route at all (no network interface up, a network namespace without network).
  if (/ENETUNREACH|EHOSTUNREACH|ENETDOWN/i.test(text)) return "unreachable";
  if (/ECONNRESET|ConnectionClosed|EPIPE|socket connection was closed|ECONNABORTED/i.test(text)) return "reset";
  if (/proxy/i.test(text)) return "proxy";
  return "other";
}

export function isRetryableKind(kind: NetFailureKind): boolean {
  return kind === "timeout" || kind === "reset" || kind === "refused" || kind === "unreachable" || kind === "dns" || kind === "other";
}

function defaultTimeoutMs(env: Env): number {
  const s = Number(env.DHT_HTTP_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

/** A DhtError describing why `url` could not be reached. */
export function networkError(url: string, error: unknown, proxy: ProxyChoice): DhtError {
  const kind = classifyFetchError(error);
  const shown = redactUrl(url);
  const via = proxy.display ? ` through proxy ${proxy.display} (${proxy.source})` : "";
  const raw = error as { code?: unknown; message?: string };
  const code = typeof raw?.code === "string" ? raw.code : undefined; // DOMException codes are numbers
  const message = raw?.message?.replace(/\s*For more information, pass `verbose: true`.*$/s, "") ?? String(error);
  const detail = redactText(code && !message.includes(code) ? `${message} (${code})` : message);
  const hints: Record<NetFailureKind, string> = {
    tls:
      "The server's certificate is not trusted. If a corporate proxy re-signs TLS, point SSL_CERT_FILE " +
      "(or proxy.ca_bundle in .dhtconfig) at your organisation's CA bundle (PEM).",
    proxy: "Check the proxy address and credentials (HTTPS_PROXY / HTTP_PROXY / proxy.* in .dhtconfig).",
    refused: proxy.proxy
      ? "The proxy refused the connection: check HTTPS_PROXY / HTTP_PROXY, or list the host in NO_PROXY."
      : "Nothing is listening there. Check the URL, or set HTTPS_PROXY if you must go through a proxy.",
    unreachable: "This machine has no route to that address: no network connection, or a firewall. Connect, or set HTTPS_PROXY if a proxy is the way out.",
    dns: "The host name does not resolve. Check the URL, your DNS, or set HTTPS_PROXY if a proxy does the lookups.",
    timeout: "The server did not answer in time. Retry, raise DHT_HTTP_TIMEOUT (seconds), or check the proxy.",
    reset: "The connection was cut. Retry; if it persists, a proxy or firewall may be interfering.",
    other: "Check the URL and your network settings (docs/network.md).",
  };
  const what = kind === "tls" ? "TLS verification failed for" : "Could not reach";
  // The fix for TLS failures goes into the message itself: callers that wrap this error in
  // their own (a resolution chain, a step list) often show only the message.
  const fix = kind === "tls" ? "; if a proxy re-signs TLS, set SSL_CERT_FILE to its CA bundle" : "";
  return new DhtError(ExitCode.failed, `${what} ${shown}${via}: ${detail}${fix}`, {
    subject: shown,
    hint: hints[kind],
    cause: error,
    details: { kind, retryable: isRetryableKind(kind), url: shown, ...(proxy.display ? { proxy: proxy.display } : {}) },
  });
}

/**
 * fetch with the proxy chosen by selectProxy (passed explicitly, `false` when direct, so Bun's
 * own env handling never decides) and extra CAs added to the default roots.
 * Redirects are followed here, hop by hop, so each hop gets its own proxy decision: GitHub
 * release assets redirect to a CDN host that NO_PROXY may treat differently.
 */
export async function httpFetch(url: string, init: BunFetchRequestInit = {}, options: HttpOptions): Promise<Response> {
  if (init.redirect === "manual" || init.redirect === "error") return fetchOnce(url, init, options);
  let current = url;
  let currentInit: BunFetchRequestInit = { ...init, redirect: "manual" };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetchOnce(current, currentInit, options);
    const location = response.headers.get("location");
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) return response;
    await response.body?.cancel().catch(() => {});
    const next = redirectTarget(location, current, url);
    const headers = new Headers(currentInit.headers);
    // Never forward credentials to another origin.
    if (next.origin !== new URL(current).origin) {
      headers.delete("authorization");
      headers.delete("cookie");
    }
    const method = (currentInit.method ?? "GET").toUpperCase();
    const toGet = response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST");
    currentInit = { ...currentInit, headers, ...(toGet ? { method: "GET", body: undefined } : {}) };
    current = next.href;
  }
  throw new DhtError(ExitCode.failed, `Too many redirects starting at ${redactUrl(url)}.`, {
    subject: redactUrl(url),
    hint: "The server (or a captive portal) redirects in a loop; check the URL and the proxy.",
  });
}

const MAX_REDIRECTS = 10;

/**
 * Where a redirect leads, refused unless it is http(s). Bun's fetch reads file:// URLs (and
 * a fifo there hangs it): a mirror answering `302 Location: file:///etc/passwd` must not
 * make dhtl read a local file. file:// works only where the user configured it, as the URL
 * itself. The refusal is final (not retryable): asking again gives the same answer.
 */
export function redirectTarget(location: string, current: string, first: string): URL {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    next = new URL("invalid:");
  }
  if (next.protocol === "http:" || next.protocol === "https:") return next;
  const shown = redactUrl(current);
  const where = next.protocol === "invalid:" ? "an invalid location" : `a ${next.protocol.replace(/:$/, "")}:// URL`;
  throw new DhtError(ExitCode.failed, `${shown} redirected to ${where}; dhtl follows redirects only to http:// and https://`, {
    subject: redactUrl(first),
    hint: "The server (or a mirror) is misconfigured or hostile. A local mirror must be configured as file:// itself, never reached through a redirect.",
    details: { kind: "redirect", retryable: false, url: shown },
  });
}

async function fetchOnce(url: string, init: BunFetchRequestInit, options: HttpOptions): Promise<Response> {
  const proxy = selectProxy(url, options.env, options.net);
  const tls = tlsOptionsFor(options.env, options.net);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(options.env);
  // Only the wait for response headers is timed here: a long body must not be cut by it.
  // (The downloader watches for stalls between body chunks itself.)
  const headers = new AbortController();
  const timer = setTimeout(
    () => headers.abort(new DOMException(`no response within ${timeoutMs / 1000} s`, "TimeoutError")),
    timeoutMs,
  );
  const signal = init.signal ? AbortSignal.any([init.signal, headers.signal]) : headers.signal;
  const bunInit: BunFetchRequestInit = {
    ...init,
    signal,
    // respectNoProxy: false: NO_PROXY was already applied by selectProxy (with config entries).
    proxy: proxy.proxy ? { url: proxy.proxy, respectNoProxy: false } : false,
    ...(tls ? { tls } : {}),
  };
  try {
    return await fetch(url, bunInit);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw networkError(url, headers.signal.aborted ? headers.signal.reason : error, proxy);
  } finally {
    clearTimeout(timer);
  }
}

/** Clear errors for statuses that retrying cannot fix. */
export function httpStatusError(url: string, response: Response, proxy?: ProxyChoice): DhtError {
  const shown = redactUrl(url);
  const status = response.status;
  const hints: Record<number, string> = {
    401: "The server wants credentials. For package indexes set them in the environment (docs/network.md); never put them in .dhtconfig.",
    403: "Access is denied. Check the credentials or token, and that your proxy allows this host.",
    404: "Nothing is published at this URL. Check the version, the platform, and the mirror (DHT_PYTHON_MIRROR).",
    407: "The proxy wants credentials: use http://user:password@proxy:port in HTTPS_PROXY (it is never printed).",
  };
  return new DhtError(ExitCode.failed, `HTTP ${status} ${response.statusText || ""}`.trim() + ` from ${shown}`, {
    subject: shown,
    hint:
      (hints[status] ?? (status >= 500 ? "The server failed; retry later or use a mirror." : "Check the URL.")) +
      (proxy?.display && (status === 401 || status === 403)
        ? ` A proxy is in use (${proxy.display}, ${proxy.source}): some proxies answer ${status} for wrong proxy credentials.`
        : ""),
    details: { status, url: shown, ...(proxy?.display ? { proxy: proxy.display } : {}) },
  });
}
