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

/** Any parameter named like a credential: private_token, access-token, X-Api-Key, session_id … */
const SECRET_KEY_PATTERN = /token|secret|passw|pwd|credential|signature|api[-_]?key|auth|session|cookie|jwt|bearer/i;

function isSecretKey(key: string): boolean {
  return SECRET_QUERY_KEYS.has(key.toLowerCase()) || SECRET_KEY_PATTERN.test(key);
}

/** Prefixes of well-known token formats (GitHub, GitLab, Slack, npm, PyPI, AWS, Google, Stripe…). */
const TOKEN_PREFIX = /^(gh[pousr]_|github_pat_|glpat-|gldt-|glrt-|xox[abposr]-|npm_|pypi-|AKIA|ASIA|AIza|sk_live_|rk_live_|sk-)/;

/**
 * Does a URL path segment look like a credential? Known token formats, or a long random-looking
 * run of base62/base64url characters (mixed case and digits: hashes in lower-case hex, version
 * numbers and words are not). Some indexes carry the token in the path (Gemfury
 * `https://pypi.fury.io/<token>/<user>/`, `/t/<token>/simple/`).
 */
export function looksLikeToken(segment: string): boolean {
  let s = segment;
  try {
    s = decodeURIComponent(segment);
  } catch {
    /* keep raw */
  }
  if (TOKEN_PREFIX.test(s) && s.length >= 12) return true;
  if (s.length < 20 || !/^[A-Za-z0-9_\-.~+/=]+$/.test(s)) return false;
  if (/^[0-9a-f]+$/.test(s)) return false; // a hash, lower-case hex
  return /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s);
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
  const segments = parsed.pathname.split("/");
  if (segments.some(looksLikeToken)) {
    parsed.pathname = segments.map((seg) => (looksLikeToken(seg) ? MASK : seg)).join("/");
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

/**
 * A value that may hold a secret of any shape (an `env:` value in .dhtconfig): URLs inside
 * are redacted, and a value that is itself token-shaped is masked whole.
 */
export function redactValue(value: string): string {
  if (looksLikeToken(value.trim())) return MASK;
  return redactText(value).replace(/(?<![A-Za-z0-9])[A-Za-z0-9_\-]{12,}(?![A-Za-z0-9])/g, (word) => (looksLikeToken(word) ? MASK : word));
}

function redactLooseUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, `$1${MASK}@`)
    .replace(/(?<=\/)[^/?#\s]+/g, (seg) => (looksLikeToken(seg) ? MASK : seg))
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
