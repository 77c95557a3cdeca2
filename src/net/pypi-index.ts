/**
 * A PEP 503 / PEP 691 "simple" index client: the files of one project, with their sha256.
 *
 * Asks for the JSON form (`application/vnd.pypi.simple.v1+json`) and accepts HTML (PEP 503,
 * what pypiserver, devpi, Artifactory and Nexus serve) as a fallback; relative file URLs
 * are resolved against the page's final URL (after redirects). Credentials in the index URL
 * (`https://user:token@host/simple`) are sent as a Basic Authorization header and never
 * appear in messages.
 */
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import type { Env, NetSettings } from "./types.ts";

export interface IndexFile {
  filename: string;
  /** Absolute URL, fragment removed. */
  url: string;
  /** Lowercase hex, from `hashes.sha256` (JSON) or a `#sha256=` fragment (HTML); "" when the index gives none. */
  sha256: string;
  requiresPython?: string;
  yanked: boolean;
}

export interface ListFilesOptions {
  env: Env;
  net?: NetSettings;
  /** Credentials for this index (else taken from the URL's user info). */
  auth?: { username: string; password: string };
}

export const SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/** PEP 503 name normalisation. */
export const normalizeProjectName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** `https://user:pw@host/simple` → URL without user info, plus the decoded credentials. */
export function splitCredentials(url: string): { url: string; auth?: { username: string; password: string } } {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return { url };
    const auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    u.username = "";
    u.password = "";
    return { url: u.toString(), auth };
  } catch {
    return { url };
  }
}

/** The project page URL: `<index>/<normalized name>/`. */
export function projectUrl(indexUrl: string, project: string): string {
  return `${indexUrl.replace(/\/+$/, "")}/${normalizeProjectName(project)}/`;
}

const decodeEntities = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_m, e: string) => {
    const x = e.toLowerCase();
    if (x.startsWith("#x")) return String.fromCodePoint(Number.parseInt(x.slice(2), 16));
    if (x.startsWith("#")) return String.fromCodePoint(Number.parseInt(x.slice(1), 10));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[x] ?? "";
  });

function splitFragment(href: string, base: string): { url: string; sha256: string } {
  const abs = new URL(href, base);
  const fragment = abs.hash.slice(1);
  abs.hash = "";
  const m = /(?:^|&)sha256=([0-9a-f]{64})/i.exec(fragment);
  return { url: abs.toString(), sha256: m ? m[1]!.toLowerCase() : "" };
}

/** Parse a PEP 691 JSON project page. */
export function parseSimpleJson(text: string, pageUrl: string): IndexFile[] {
  const data = JSON.parse(text) as { files?: Array<{ filename: string; url: string; hashes?: Record<string, string>; "requires-python"?: string; yanked?: boolean | string }> };
  if (!Array.isArray(data.files)) throw new Error("no files[] in the JSON page");
  return data.files.map((f) => {
    const { url, sha256 } = splitFragment(f.url, pageUrl);
    return {
      filename: f.filename,
      url,
      sha256: (f.hashes?.sha256 ?? sha256).toLowerCase(),
      requiresPython: f["requires-python"] || undefined,
      yanked: f.yanked !== undefined && f.yanked !== false,
    };
  });
}

/** Parse a PEP 503 HTML project page. */
export function parseSimpleHtml(html: string, pageUrl: string): IndexFile[] {
  const base = /<base\s+href=["']([^"']+)["']/i.exec(html)?.[1];
  const baseUrl = base ? new URL(decodeEntities(base), pageUrl).toString() : pageUrl;
  const out: IndexFile[] = [];
  for (const m of html.matchAll(/<a\s([^>]*)>([\s\S]*?)<\/a>/gi)) {
    const attrs = m[1]!;
    const attr = (name: string) => {
      const a = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(attrs);
      return a ? decodeEntities(a[1] ?? a[2] ?? a[3] ?? "") : undefined;
    };
    const href = attr("href");
    if (!href) continue;
    const { url, sha256 } = splitFragment(href, baseUrl);
    const text = decodeEntities(m[2]!.replace(/<[^>]+>/g, "").trim());
    const filename = text || decodeURIComponent(new URL(url).pathname.split("/").at(-1) ?? "");
    const yanked = attr("data-yanked");
    out.push({ filename, url, sha256, requiresPython: attr("data-requires-python") || undefined, yanked: yanked !== undefined });
  }
  return out;
}

/** List the files of `project` on the index. */
export async function listFiles(indexUrl: string, project: string, opts: ListFilesOptions): Promise<IndexFile[]> {
  const [{ httpStatusError }, { fetchPage }] = await Promise.all([import("./http.ts"), import("./api.ts")]);
  const { redactUrl } = await import("./redact.ts");
  const split = splitCredentials(indexUrl);
  const auth = opts.auth ?? split.auth;
  const page = projectUrl(split.url, project);
  const shown = redactUrl(page);
  const headers: Record<string, string> = { Accept: SIMPLE_ACCEPT };
  if (auth) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  const { response, text } = await fetchPage(page, { env: opts.env, net: opts.net, headers });
  if (response.status === 404) {
    throw new DhtError(ExitCode.failed, `the index has no project "${project}"`, {
      subject: shown,
      hint: "check the index URL (PIP_INDEX_URL / UV_INDEX_URL / .dhtconfig registries.index_url); it must be a PEP 503 \"simple\" URL",
    });
  }
  if (!response.ok) throw httpStatusError(page, response);
  const type = response.headers.get("content-type") ?? "";
  const finalUrl = response.url || page;
  try {
    if (/json/i.test(type) || (!/html/i.test(type) && text.trimStart().startsWith("{"))) return parseSimpleJson(text, finalUrl);
    return parseSimpleHtml(text, finalUrl);
  } catch (error) {
    if (isDhtError(error)) throw error;
    throw new DhtError(ExitCode.failed, `the index page is neither PEP 691 JSON nor PEP 503 HTML: ${(error as Error).message}`, {
      subject: shown,
      hint: "point the index URL at the /simple root of a package index",
    });
  }
}
