/**
 * Is there a network to the configured indexes at all? A fast probe (a few seconds at most,
 * every URL at once, one HEAD request each, through the configured proxies and CAs:
 * httpFetch) that tells "no network" apart from every other trouble. Only failures to reach
 * anything count: a refused connection, no route, a name that does not resolve, no answer in
 * time, a proxy that cannot be reached. Any HTTP answer (401, 404, 500) or a TLS failure
 * means something is out there, and the installer's own error is the one to show.
 */
import { isDhtError } from "../errors.ts";
import { httpFetch, type NetFailureKind } from "./http.ts";
import { redactUrl } from "./redact.ts";
import type { Env, NetSettings } from "./types.ts";

export interface ReachProbe {
  /** Redacted. */
  url: string;
  reachable: boolean;
  kind?: NetFailureKind;
  error?: string;
}

/** The failures that mean "no network to there" (everything else means something answered). */
const NO_NETWORK: ReadonlySet<NetFailureKind> = new Set(["refused", "unreachable", "dns", "timeout", "reset", "proxy"]);

export const DEFAULT_PROBE_TIMEOUT_MS = 3000;

/** The http(s) URLs among these (file:// and plain directories need no network). */
export function networkUrls(urls: string[]): string[] {
  return [...new Set(urls.filter((u) => /^https?:\/\//i.test(u)))];
}

/** One request per URL, all at once; a response of any status is "reachable". */
export async function probeReachable(urls: string[], options: { env: Env; net?: NetSettings; timeoutMs?: number }): Promise<ReachProbe[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  return Promise.all(
    urls.map(async (url): Promise<ReachProbe> => {
      // Credentials in the URL are dropped: an answer without them (401) still says the host is there.
      const plain = url.replace(/^(https?:\/\/)[^@/]*@/i, "$1");
      try {
        const res = await httpFetch(`${plain.replace(/\/+$/, "")}/`, { method: "HEAD" }, { env: options.env, ...(options.net ? { net: options.net } : {}), timeoutMs });
        await res.body?.cancel().catch(() => {});
        return { url: redactUrl(url), reachable: true };
      } catch (error) {
        const kind = isDhtError(error) && typeof error.details?.kind === "string" ? (error.details.kind as NetFailureKind) : "other";
        return { url: redactUrl(url), reachable: !NO_NETWORK.has(kind), kind, error: (error as Error).message };
      }
    }),
  );
}

/** No network: every probed URL failed to be reached (none probed: nothing needs the network). */
export function noNetwork(probes: ReachProbe[]): boolean {
  return probes.length > 0 && probes.every((p) => !p.reachable);
}

/** "http://…/simple (no route to it)", for the one line a caller prints. */
export function describeUnreachable(probes: ReachProbe[]): string {
  const why: Record<string, string> = { refused: "connection refused", unreachable: "no route to it", dns: "the name does not resolve", timeout: "no answer in time", reset: "the connection was cut", proxy: "the proxy cannot be reached" };
  return probes.map((p) => `${p.url} (${why[p.kind ?? ""] ?? p.kind ?? "unreachable"})`).join(", ");
}
