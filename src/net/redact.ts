/**
 * Remove secrets from URLs before they reach a log line, an error message or a file:
 * `user:pass@` userinfo and query parameters that carry tokens or signatures.
 * Pure functions; used for every URL dhtl prints (downloads, proxies, index URLs).
 */

/** Query parameters whose values are secrets (compared case-insensitively). */
const SECRET_QUERY_KEYS = new Set([
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "auth",
  "authorization",
  "password",
  "passwd",
  "pass",
  "secret",
  "client_secret",
  "api_key",
  "apikey",
  "api-key",
  "key",
  "sig",
  "signature",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "x-goog-signature",
  "x-goog-credential",
]);

const MASK = "***";

function isSecretKey(key: string): boolean {
  return SECRET_QUERY_KEYS.has(key.toLowerCase());
}

/**
 * `https://user:pw@host/p?token=abc&x=1` → `https://***@host/p?token=***&x=1`.
 * Strings that are not URLs (plain paths) are returned unchanged, except that a
 * `scheme://user:pw@` shape is still masked so a half-parsable URL cannot leak.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactLooseUrl(url);
  }
  if (parsed.protocol === "file:") return url;
  let changed = false;
  if (parsed.username || parsed.password) {
    parsed.username = MASK;
    parsed.password = "";
    changed = true;
  }
  // Rebuild the query by hand: URLSearchParams would re-encode every other parameter.
  if (parsed.search) {
    const parts = parsed.search.slice(1).split("&");
    const redacted = parts.map((part) => {
      const eq = part.indexOf("=");
      const rawKey = eq === -1 ? part : part.slice(0, eq);
      let key = rawKey;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, " "));
      } catch {
        /* keep raw */
      }
      if (eq !== -1 && isSecretKey(key)) {
        changed = true;
        return `${rawKey}=${MASK}`;
      }
      return part;
    });
    parsed.search = redacted.join("&");
  }
  return changed ? parsed.toString().replace(/%2A%2A%2A/g, MASK) : url;
}

function redactLooseUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, `$1${MASK}@`)
    .replace(/([?&])([^=&\s]+)=([^&\s#]*)/g, (m, sep: string, key: string) =>
      isSecretKey(key) ? `${sep}${key}=${MASK}` : m,
    );
}

/** Redact every URL found inside free text (error messages from fetch, subprocess output). */
export function redactText(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (m) => {
    // Do not swallow trailing punctuation of a sentence into the URL.
    const trail = /[).,;:]+$/.exec(m)?.[0] ?? "";
    const core = trail ? m.slice(0, -trail.length) : m;
    return redactUrl(core) + trail;
  });
}
