/**
 * Which proxy (if any) a request goes through: a pure function of the URL, the environment
 * and the config, so the decision is testable and never depends on Bun's own env handling
 * (httpFetch passes the result to fetch explicitly, `proxy: false` when bypassed).
 *
 * Precedence, per scheme of the target URL:
 *   1. `https_proxy` / `http_proxy`   (lower case wins over upper case, as in curl)
 *   2. `HTTPS_PROXY` / `HTTP_PROXY`
 *   3. `all_proxy`, then `ALL_PROXY`
 *   4. config `proxy.https` / `proxy.http`
 * NO_PROXY: `no_proxy` wins over `NO_PROXY`; its entries are added to config `proxy.no_proxy`
 * (both name hosts that must be reached directly).
 * A variable set to the empty string counts as set: `https_proxy=` switches the proxy off even
 * when HTTPS_PROXY is exported by a login script.
 */
import { DhtError, ExitCode } from "../errors.ts";
import { noProxyMatch, parseNoProxy, type NoProxyRule } from "./no-proxy.ts";
import { redactUrl } from "./redact.ts";
import type { Env, NetSettings } from "./types.ts";

export interface ProxyChoice {
  /** Proxy URL (with credentials, for fetch only: never print it; use `display`). */
  proxy?: string;
  /** Where the choice came from: "env HTTPS_PROXY", "config proxy.https", "NO_PROXY entry .corp", "none". */
  source: string;
  /** Redacted proxy URL for messages. */
  display?: string;
}

function envValue(env: Env, name: string): { value: string; name: string } | undefined {
  const lower = name.toLowerCase();
  if (env[lower] !== undefined) return { value: env[lower]!, name: lower };
  if (env[name] !== undefined) return { value: env[name]!, name };
  return undefined;
}

export function noProxyRules(env: Env, settings?: NetSettings): NoProxyRule[] {
  const fromEnv = envValue(env, "NO_PROXY");
  return [...parseNoProxy(fromEnv?.value), ...parseNoProxy(settings?.proxy?.no_proxy ?? [])];
}

/** Normalise a proxy value: `proxy:3128` → `http://proxy:3128`; SOCKS is refused clearly. */
export function normaliseProxyUrl(value: string, origin: string): string {
  const trimmed = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DhtError(ExitCode.usage, `The proxy URL in ${origin} is not a valid URL.`, {
      subject: origin,
      hint: "Use the form http://host:port (credentials as http://user:password@host:port).",
      details: { proxy: redactUrl(trimmed) },
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DhtError(ExitCode.usage, `${origin} uses a ${url.protocol.replace(":", "")} proxy, which dhtl cannot use.`, {
      subject: origin,
      hint: "Use an HTTP(S) proxy (http://host:port); for SOCKS run a local HTTP bridge such as privoxy.",
    });
  }
  return withScheme;
}

export function selectProxy(target: string | URL, env: Env, settings?: NetSettings): ProxyChoice {
  const url = typeof target === "string" ? new URL(target) : target;
  if (url.protocol !== "http:" && url.protocol !== "https:") return { source: "none (not HTTP)" };
  const scheme = url.protocol === "https:" ? "https" : "http";
  const candidates: Array<{ value: string; name: string } | undefined> = [
    envValue(env, `${scheme.toUpperCase()}_PROXY`),
    envValue(env, "ALL_PROXY"),
  ];
  let chosen = candidates.find((c) => c !== undefined);
  let origin = chosen ? `env ${chosen.name}` : undefined;
  if (!chosen) {
    const fromConfig = settings?.proxy?.[scheme];
    if (fromConfig !== undefined) {
      chosen = { value: fromConfig, name: `proxy.${scheme}` };
      origin = `config proxy.${scheme}`;
    }
  }
  if (!chosen || chosen.value.trim() === "") return { source: chosen ? `${origin} (empty: direct)` : "none" };
  const rule = noProxyMatch(url, noProxyRules(env, settings));
  if (rule) return { source: `NO_PROXY entry ${rule.raw}` };
  const proxy = normaliseProxyUrl(chosen.value, origin!);
  return { proxy, source: origin!, display: redactUrl(proxy) };
}
