/**
 * Mirrors for python-build-standalone archives. Users behind a firewall host the release
 * assets themselves; the variable replaces the GitHub release prefix, so
 *   https://github.com/astral-sh/python-build-standalone/releases/download/20240107/cpython-...
 * becomes <mirror>/20240107/cpython-... . Precedence: DHT_PYTHON_MIRROR, then
 * UV_PYTHON_INSTALL_MIRROR (same meaning in uv, so existing setups keep working), then the
 * config value. A mirror may be https://, http://, file:// or a plain directory path.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Env } from "./types.ts";

export const PYTHON_BUILD_STANDALONE_PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download/";

export function pythonMirrorBase(env: Env, configMirror?: string): { base: string; origin: string } | undefined {
  const candidates: Array<[string | undefined, string]> = [
    [env.DHT_PYTHON_MIRROR, "env DHT_PYTHON_MIRROR"],
    [env.UV_PYTHON_INSTALL_MIRROR, "env UV_PYTHON_INSTALL_MIRROR"],
    [configMirror, "config python mirror"],
  ];
  for (const [value, origin] of candidates) {
    const v = value?.trim();
    if (v) return { base: normaliseBase(v), origin };
  }
  return undefined;
}

function normaliseBase(value: string): string {
  let base = value;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) {
    // A plain path (absolute or relative to the current directory) → file:// URL.
    base = pathToFileURL(isAbsolute(base) ? base : resolve(base)).href;
  }
  return base.endsWith("/") ? base : `${base}/`;
}

/** Apply the mirror to a python-build-standalone URL; other URLs are returned unchanged. */
export function pythonMirrorUrl(url: string, env: Env, configMirror?: string): string {
  const mirror = pythonMirrorBase(env, configMirror);
  if (!mirror || !url.startsWith(PYTHON_BUILD_STANDALONE_PREFIX)) return url;
  return mirror.base + url.slice(PYTHON_BUILD_STANDALONE_PREFIX.length);
}
