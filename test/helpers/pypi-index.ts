/**
 * A loopback PEP 503 / PEP 691 package index serving real wheel files (from
 * .cache/test-assets, fetched by scripts/fetch-test-assets.ts).
 *
 *   const idx = await startPypiIndex({ projects: { uv: [wheelPath] }, mode: "negotiate" });
 *   idx.simpleUrl  // http://127.0.0.1:PORT/simple
 *
 * Project pages are served as JSON when the client's Accept asks for
 * application/vnd.pypi.simple.v1+json (mode "negotiate", like PyPI), always as HTML (mode
 * "html", like pypiserver), or always as JSON. File links are relative
 * (`../../files/<name>#sha256=<hex>`), as many real indexes write them, so clients must
 * resolve them. `corruptSha` advertises a wrong hash; `auth` requires basic auth.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";

export interface PypiIndexOptions {
  projects: Record<string, string[]>;
  mode?: "negotiate" | "html" | "json";
  corruptSha?: boolean;
  auth?: { user: string; password: string };
}

export interface PypiIndex {
  origin: string;
  simpleUrl: string;
  /** Requests seen: "GET /simple/uv/ json" etc. */
  log: string[];
  count(pathPrefix: string): number;
  stop(): void;
}

export function existingWheels(dir: string, pattern: RegExp): string[] {
  try {
    return require("node:fs")
      .readdirSync(dir)
      .filter((f: string) => pattern.test(f))
      .map((f: string) => `${dir}/${f}`);
  } catch {
    return [];
  }
}

export async function startPypiIndex(options: PypiIndexOptions): Promise<PypiIndex> {
  const files = new Map<string, { bytes: Uint8Array; sha256: string; project: string }>();
  for (const [project, paths] of Object.entries(options.projects)) {
    for (const p of paths) {
      const bytes = readFileSync(p);
      files.set(basename(p), { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), project });
    }
  }
  const log: string[] = [];
  const shaOf = (sha: string) => (options.corruptSha ? sha.replace(/^./, (c) => (c === "0" ? "1" : "0")) : sha);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      if (options.auth) {
        const h = req.headers.get("authorization") ?? "";
        const [u, p] = h.startsWith("Basic ") ? Buffer.from(h.slice(6), "base64").toString().split(":") : [];
        if (u !== options.auth.user || p !== options.auth.password) {
          log.push(`GET ${url.pathname} 401`);
          return new Response("unauthorized", { status: 401, headers: { "www-authenticate": 'Basic realm="idx"' } });
        }
      }
      const page = /^\/simple\/([^/]+)\/$/.exec(url.pathname);
      if (page) {
        const project = page[1]!;
        const own = [...files.entries()].filter(([, f]) => f.project.toLowerCase() === project);
        if (!own.length) {
          log.push(`GET ${url.pathname} 404`);
          return new Response("not found", { status: 404 });
        }
        const wantsJson = options.mode === "json" || (options.mode !== "html" && (req.headers.get("accept") ?? "").includes("application/vnd.pypi.simple.v1+json"));
        log.push(`GET ${url.pathname} ${wantsJson ? "json" : "html"}`);
        if (wantsJson) {
          const body = { meta: { "api-version": "1.1" }, name: project, files: own.map(([name, f]) => ({ filename: name, url: `../../files/${name}`, hashes: { sha256: shaOf(f.sha256) }, "requires-python": ">=3.8" })) };
          return Response.json(body, { headers: { "content-type": "application/vnd.pypi.simple.v1+json" } });
        }
        const links = own.map(([name, f]) => `<a href="../../files/${encodeURIComponent(name)}#sha256=${shaOf(f.sha256)}" data-requires-python="&gt;=3.8">${name}</a><br/>`);
        return new Response(`<!DOCTYPE html><html><body><h1>Links for ${project}</h1>\n${links.join("\n")}\n</body></html>`, { headers: { "content-type": "text/html" } });
      }
      const file = /^\/files\/(.+)$/.exec(url.pathname);
      if (file) {
        const f = files.get(decodeURIComponent(file[1]!));
        log.push(`GET ${url.pathname} ${f ? 200 : 404}`);
        if (f) return new Response(f.bytes, { headers: { "content-type": "application/octet-stream" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    origin,
    simpleUrl: `${origin}/simple`,
    log,
    count: (prefix) => log.filter((l) => l.split(" ")[1]!.startsWith(prefix)).length,
    stop: () => server.stop(true),
  };
}
