/**
 * Small requests whose whole answer is wanted at once — package-index pages (PEP 503/691),
 * release metadata — made with ofetch (its retries for idempotent requests on 408/429/5xx
 * and network errors, and its response handling) over httpFetch, so proxies, extra CAs and
 * error wording are the same as everywhere in dhtl. Large files go through
 * downloadVerified instead: it streams into the hasher and resumes with Range, which a
 * whole-request retry cannot do.
 */
import type { Env, NetSettings } from "./types.ts";

export interface PageOptions {
  env: Env;
  net?: NetSettings;
  headers?: Record<string, string>;
  /** Retries after the first attempt (default 2). */
  retry?: number;
  /** Milliseconds between attempts (default 300). */
  retryDelay?: number;
}

export interface Page {
  /** The final response (after redirects and retries), any status. */
  response: Response;
  text: string;
}

const RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];

export async function fetchPage(url: string, opts: PageOptions): Promise<Page> {
  const [{ createFetch, FetchError }, { httpFetch }] = await Promise.all([import("ofetch"), import("./http.ts")]);
  // ofetch retries every failure to get a response; a failure that asking again cannot change
  // (a redirect to another scheme, a TLS rejection) is remembered and rethrown at once.
  let final: unknown;
  const fetchThroughDhtl = (async (input: string | URL | Request, init?: RequestInit) => {
    if (final) throw final;
    try {
      return await httpFetch(input instanceof Request ? input.url : String(input), { ...(init ?? {}), redirect: "follow" }, { env: opts.env, net: opts.net });
    } catch (error) {
      if ((error as { details?: { retryable?: boolean } })?.details?.retryable === false) final = error;
      throw error;
    }
  }) as typeof fetch;
  const $fetch = createFetch({ fetch: fetchThroughDhtl });
  try {
    const response = await $fetch.raw<string, "text">(url, {
      headers: opts.headers,
      responseType: "text",
      retry: opts.retry ?? 2,
      retryDelay: opts.retryDelay ?? 300,
      retryStatusCodes: RETRY_STATUSES,
    });
    return { response, text: response._data ?? "" };
  } catch (error) {
    if (error instanceof FetchError) {
      // An HTTP status the caller should explain (404 for a missing project, 401, …).
      if (error.response) return { response: error.response, text: typeof error.data === "string" ? error.data : "" };
      // A network failure: httpFetch's own DhtError says what failed and how to fix it.
      if (error.cause) throw error.cause;
    }
    throw error;
  }
}
