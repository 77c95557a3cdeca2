/** Small URL helpers for index URLs that may carry `${VAR}` references and user info. */
import { DhtError, ExitCode } from "../errors.ts";
import { redactUrl } from "../net/redact.ts";

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The `${VAR}` names a string refers to. */
export function referencedVars(text: string): string[] {
  return [...text.matchAll(VAR_RE)].map((m) => m[1]!);
}

/**
 * Replace `${VAR}` with the variable's value. A missing variable is a configuration error
 * naming the variable and where it was used (never its value).
 */
export function expandVars(text: string, env: Record<string, string | undefined>, where: string): string {
  return text.replace(VAR_RE, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === "") {
      throw new DhtError(ExitCode.usage, `environment variable ${name} is not set (needed by ${redactUrl(where)})`, {
        subject: `env ${name}`,
        hint: `export ${name}=... before running dhtl (it holds an index credential; dhtl never stores it)`,
      });
    }
    return v;
  });
}

/** Split `scheme://user:pass@host/...` into the URL without user info and the raw (still encoded) parts. */
export function splitUserInfo(url: string): { url: string; username?: string; password?: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/@?#]*)@(.*)$/i.exec(url);
  if (!m) return { url };
  const info = m[2]!;
  const colon = info.indexOf(":");
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return {
    url: m[1]! + m[3]!,
    username: dec(colon < 0 ? info : info.slice(0, colon)),
    ...(colon < 0 ? {} : { password: dec(info.slice(colon + 1)) }),
  };
}

/** Put credentials into a URL (percent-encoded), for a child process's environment only. */
export function withUserInfo(url: string, username: string, password: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/i.exec(url);
  if (!m) return url;
  return `${m[1]}${encodeURIComponent(username)}:${encodeURIComponent(password)}@${m[2]}`;
}

/** host (lowercase, without port) of a URL, or undefined for paths. */
export function hostOf(url: string): string | undefined {
  try {
    const u = new URL(splitUserInfo(url).url);
    return u.hostname ? u.hostname.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** host:port as pip's --trusted-host wants it (port only when explicit). */
export function hostPortOf(url: string): string | undefined {
  try {
    const u = new URL(splitUserInfo(url).url);
    return u.host ? u.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** Public PyPI never needs credentials: don't offer them any. */
export function isPublicPypi(url: string): boolean {
  const h = hostOf(url);
  return h === "pypi.org" || h === "files.pythonhosted.org" || h === "test.pypi.org";
}

/** Compare index URLs ignoring user info and a trailing slash. */
export function sameIndex(a: string, b: string): boolean {
  const norm = (u: string) => splitUserInfo(u).url.replace(/\/+$/, "").toLowerCase();
  return norm(a) === norm(b);
}
