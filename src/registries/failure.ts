/**
 * Turn an installer's failure output (uv or pip stderr) into one clear DhtError when the
 * cause is the package index: refused credentials, unreachable host, untrusted certificate.
 * The message names the index (redacted) and says what to do; output excerpts are
 * redacted too, including any credential value dhtl handed to the installer.
 */
import { DhtError, ExitCode } from "../errors.ts";
import { caSources } from "../net/ca.ts";
import { selectProxy } from "../net/proxy.ts";
import { redactText, redactUrl } from "../net/redact.ts";
import type { Env, NetSettings } from "../net/types.ts";
import type { RegistryCredentials, RegistrySettings } from "./types.ts";
import { hostOf, hostPortOf, sameIndex } from "./url.ts";

type Kind = "proxy-auth" | "unauthorized" | "forbidden" | "tls" | "unreachable";

/** A connection that could not be made (refused, no route, no name, timed out). */
export const NETWORK_FAILURE = /Connection refused|Failed to connect|tcp connect error|Name or service not known|dns error|Could not resolve host|Temporary failure in name resolution|NewConnectionError|Network is unreachable|No route to host|Connection timed out|operation timed out/i;

const PATTERNS: Array<{ kind: Kind; re: RegExp }> = [
  // The proxy, not the index, wants credentials (uv: "407 Proxy Authentication Required",
  // a CONNECT tunnel refused; pip: "Tunnel connection failed: 407").
  { kind: "proxy-auth", re: /407 Proxy Authentication Required|tunnel error: proxy authorization required|\b407\b.*proxy|proxy.*\b407\b|Tunnel connection failed: 407|ProxyError.*407/i },
  // Status numbers only next to their words: "401 kB" in a download line is not a refusal.
  { kind: "unauthorized", re: /401 Unauthori[sz]ed|\b401\b (?:Client )?Error|HTTP (?:status|error) 401\b|status(?: code)?:? 401\b|Missing credentials for|User for \S+:\s*$|credentials? (?:were|was) not (?:found|provided)/im },
  { kind: "forbidden", re: /403 Forbidden|\b403\b (?:Client )?Error|HTTP (?:status|error) 403\b|status(?: code)?:? 403\b/i },
  { kind: "tls", re: /certificate verify failed|invalid peer certificate|UnknownIssuer|SSLCertVerificationError|self[- ]signed certificate|unable to get local issuer certificate/i },
  { kind: "unreachable", re: NETWORK_FAILURE },
];

/** Remove every URL's user info and every known secret value from installer output. */
export function redactOutput(text: string, creds?: RegistryCredentials): string {
  let out = redactText(text);
  for (const c of Object.values(creds ?? {})) {
    for (const secret of [c.password, encodeURIComponent(c.password)]) {
      if (secret.length >= 3) out = out.split(secret).join("***");
    }
  }
  return out;
}

/** The configured index the output talks about: the first URL in it that matches one, else the primary. */
function indexInOutput(output: string, settings: RegistrySettings): string {
  const all = [settings.indexUrl, ...settings.extraIndexUrls, ...settings.explicitIndexes.map((e) => e.url)];
  for (const m of output.matchAll(/https?:\/\/[^\s"'<>`)]+/gi)) {
    const seen = m[0];
    const hit = all.find((u) => sameIndex(u, seen) || (hostPortOf(u) && hostPortOf(u) === hostPortOf(seen)));
    if (hit) return hit;
  }
  return settings.indexUrl;
}

/**
 * The network settings the installer ran with (the user's environment and .dhtconfig, as
 * dhtl reads them): with them a TLS failure can say which proxy re-signed the certificate
 * and which CA files were already in use, instead of a generic "if a proxy…".
 */
export interface NetworkContext {
  env: Env;
  net?: NetSettings;
}

export function explainIndexFailure(output: string, settings: RegistrySettings, creds?: RegistryCredentials, network?: NetworkContext): DhtError | undefined {
  const match = PATTERNS.find((p) => p.re.test(output));
  if (!match) return undefined;
  const index = indexInOutput(output, settings);
  const evidence = output
    .split(/\r?\n/)
    .filter((l) => match.re.test(l))
    .slice(0, 3)
    .map((l) => redactOutput(l.trim(), creds));
  return indexAccessError(match.kind, index, settings, creds, evidence, network);
}

export type IndexFailureKind = Kind;

/** The error for one index that refused or could not be reached, with the fix. */
export function indexAccessError(
  kind: Kind,
  index: string,
  settings: RegistrySettings,
  creds: RegistryCredentials | undefined,
  evidence: string[] = [],
  network?: NetworkContext,
): DhtError {
  const shown = redactUrl(index);
  const host = hostOf(index) ?? shown;
  const credKey = creds ? Object.keys(creds).find((k) => sameIndex(k, index)) : undefined;
  const cred = credKey ? creds![credKey] : undefined;
  const details = { index: shown, reason: kind, evidence };
  const howToGive = `give dhtl credentials for ${host}: in .dhtconfig set registries.credentials.username_env and password_env to the names of environment variables and export them, or add "machine ${host} login USER password TOKEN" to ~/.netrc (chmod 600)`;
  switch (kind) {
    case "unauthorized":
      return new DhtError(ExitCode.failed, `package index ${shown} refused access (HTTP 401 Unauthorized)`, {
        subject: shown,
        details,
        hint: cred ? `the credentials from ${cred.source} were rejected: check the user name and that the token is valid for ${host}` : howToGive,
      });
    case "forbidden":
      // Some servers (pypiserver, GitLab) answer a wrong password with 403 instead of 401.
      return new DhtError(ExitCode.failed, `package index ${shown} refused access (HTTP 403 Forbidden)`, {
        subject: shown,
        details,
        hint: cred ? `the credentials from ${cred.source} were rejected or have no read access to ${host}: check the user name and token` : howToGive,
      });
    case "tls":
      return untrustedIndexError(index, shown, host, details, network);
    case "proxy-auth": {
      const proxy = network && /^https?:\/\//i.test(index) ? safeProxyChoice(index, network) : undefined;
      const via = proxy?.display ? ` ${proxy.display} (${proxy.source})` : "";
      return new DhtError(ExitCode.failed, `the proxy${via} refused to carry the request to package index ${shown}: it wants proxy credentials (HTTP 407)`, {
        subject: proxy?.display ?? shown,
        details: { ...details, ...(proxy?.display ? { proxy: proxy.display, proxySource: proxy.source } : {}) },
        hint: "put the proxy user and password in the proxy URL (HTTPS_PROXY=http://user:password@proxy:port, never printed), or ask your IT department which credentials the proxy takes",
      });
    }
    case "unreachable": {
      // Through a proxy, the installer only ever connects to the proxy: a connection that
      // fails is the proxy's (an unknown index host would be the proxy's 502, not this).
      const proxy = network && /^https?:\/\//i.test(index) ? safeProxyChoice(index, network) : undefined;
      if (proxy?.display) {
        return new DhtError(ExitCode.failed, `the proxy ${proxy.display} (${proxy.source}) cannot be reached, so package index ${shown} cannot be either`, {
          subject: proxy.display,
          details: { ...details, reason: "proxy-unreachable", proxy: proxy.display, proxySource: proxy.source },
          hint: `check that the proxy runs and its address in ${proxy.source}; if ${host} is reachable directly, list it in NO_PROXY`,
        });
      }
      return new DhtError(ExitCode.failed, `package index ${shown} cannot be reached`, {
        subject: shown,
        details,
        hint: `check the URL (origin: ${settings.origins.indexUrl ?? "unknown"}), your proxy settings (HTTPS_PROXY, proxy.https in .dhtconfig), or use an offline bundle (dhtl setup --offline-bundle)`,
      });
    }
  }
}

/**
 * An index whose certificate the installer rejected. Through a proxy the certificate is
 * almost always the proxy's own (it re-signs TLS), so the message names that proxy and where
 * it was set; the hint says which CA files are already in use, so a wrong file is spotted.
 */
function untrustedIndexError(index: string, shown: string, host: string, details: Record<string, unknown>, network?: NetworkContext): DhtError {
  const proxy = network && /^https?:\/\//i.test(index) ? safeProxyChoice(index, network) : undefined;
  const via = proxy?.display ? ` (reached through proxy ${proxy.display}, ${proxy.source})` : "";
  const sources = network ? caSources(network.env, network.net) : [];
  const inUse = sources.length > 0 ? `; the CA files in use (${sources.map((s) => `${s.origin}=${s.path}`).join(", ")}) do not include the one that signed it` : "";
  const fix = proxy?.display
    ? `the proxy re-signs TLS with its own CA: set SSL_CERT_FILE (or proxy.ca_bundle in .dhtconfig) to that CA's certificate file (PEM, ask your IT department)${inUse}`
    : `if a proxy re-signs TLS, point proxy.ca_bundle in .dhtconfig (or SSL_CERT_FILE) at your organisation's CA file${inUse}`;
  return new DhtError(ExitCode.failed, `the certificate of package index ${shown} is not trusted${via}`, {
    subject: shown,
    details: { ...details, ...(proxy?.display ? { proxy: proxy.display, proxySource: proxy.source } : {}) },
    hint: `${fix}; only for a host you control: registries.trusted_hosts: [${hostPortOf(index) ?? host}]`,
  });
}

/** selectProxy, but a malformed proxy setting must not hide the TLS explanation (it has its own error elsewhere). */
function safeProxyChoice(index: string, network: NetworkContext): ReturnType<typeof selectProxy> | undefined {
  try {
    return selectProxy(index, network.env, network.net);
  } catch {
    return undefined;
  }
}
