/**
 * A loopback file server for tests, with faults on demand. Built on node:http/https (not
 * Bun.serve) because faults need control of the socket: cutting a body mid-way must reset
 * the connection after N bytes, which a Response stream cannot do cleanly.
 *
 *   const srv = await startFileServer({ files: { "/a.tar.gz": bytes }, dir: "/some/dir" });
 *   srv.url("/a.tar.gz"); srv.requests (log); srv.fault("/a.tar.gz", { status500: 2 });
 *   await srv.stop();
 *
 * Features: redirects (`redirect(path, location)`); serve a map of path → bytes and/or a directory; HEAD; Range (206/416) unless
 * `ignoreRange`; ETag + Last-Modified; optional basic auth; optional TLS (cert/key PEM);
 * request log (method, path, range, auth user, via proxy?) and per-path counts.
 * Faults (per path, consumed as they fire): `status` N times (e.g. 500, 503, 429),
 * `cutAfter` bytes N times (connection reset mid-body), `wrongContent` (serve other bytes),
 * `delayMs` before headers, `bytesPerSecond` (slow body), `stallAfter` bytes (send part, then
 * stop sending), `ignoreRange`, `wrongRange`.
 * Always binds 127.0.0.1 on a random port.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, normalize } from "node:path";

export interface Fault {
  /** Answer with this HTTP status `times` times (default 500). */
  status?: number;
  /** How many requests the status fault applies to. */
  statusTimes?: number;
  /** Extra headers for the status answer (e.g. Retry-After). */
  statusHeaders?: Record<string, string>;
  /** Reset the connection after this many body bytes... */
  cutAfter?: number;
  /** ...this many times (default 1). */
  cutTimes?: number;
  /** Serve these bytes instead of the real file (always, until cleared). */
  wrongContent?: Uint8Array;
  /** Wait this long before sending headers. */
  delayMs?: number;
  /** Send this many bytes, then hold the connection open without sending more (times: stallTimes, default 1). */
  stallAfter?: number;
  stallTimes?: number;
  /** Send the body at about this many bytes per second (a slow link). */
  bytesPerSecond?: number;
  /** Answer Range requests with the full file (200). */
  ignoreRange?: boolean;
  /** Answer Range requests with a 206 that starts at the wrong offset. */
  wrongRange?: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  range?: string;
  ifRange?: string;
  user?: string;
  /** The request line carried an absolute URL (it came through a forward proxy). */
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

export interface FileServerOptions {
  files?: Record<string, Uint8Array | string>;
  dir?: string;
  /** Require basic auth with these credentials. */
  auth?: { user: string; password: string };
  tls?: { cert: string; key: string };
}

export interface FileServer {
  port: number;
  origin: string;
  url(path: string): string;
  requests: RequestRecord[];
  count(path: string): number;
  fault(path: string, fault: Fault): void;
  clearFaults(): void;
  setFile(path: string, bytes: Uint8Array | string): void;
  /** Answer `path` with a redirect to `location` (absolute or relative). */
  redirect(path: string, location: string, status?: number): void;
  stop(): Promise<void>;
}

const enc = new TextEncoder();

export async function startFileServer(options: FileServerOptions = {}): Promise<FileServer> {
  const files = new Map<string, Uint8Array>();
  for (const [p, v] of Object.entries(options.files ?? {})) files.set(p, typeof v === "string" ? enc.encode(v) : v);
  const faults = new Map<string, Fault>();
  const redirects = new Map<string, { location: string; status: number }>();
  const requests: RequestRecord[] = [];
  const sockets = new Set<import("node:net").Socket>();

  const lookup = (path: string): Uint8Array | undefined => {
    const direct = files.get(path);
    if (direct) return direct;
    if (options.dir) {
      const abs = normalize(join(options.dir, decodeURIComponent(path)));
      if (abs.startsWith(normalize(options.dir)) && existsSync(abs) && statSync(abs).isFile()) return readFileSync(abs);
    }
    return undefined;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://placeholder");
    const path = url.pathname;
    const record: RequestRecord = {
      method: req.method ?? "GET",
      path,
      range: req.headers.range,
      ifRange: req.headers["if-range"] as string | undefined,
      status: 0,
      headers: req.headers,
    };
    requests.push(record);
    const send = (status: number, body: Uint8Array | string, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { "content-length": String(typeof body === "string" ? enc.encode(body).length : body.length), ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const fault = faults.get(path);
    if (fault?.delayMs) await Bun.sleep(fault.delayMs);
    if (options.auth) {
      const header = req.headers.authorization ?? "";
      const [user, password] = header.startsWith("Basic ")
        ? Buffer.from(header.slice(6), "base64").toString().split(":")
        : [];
      record.user = user;
      if (user !== options.auth.user || password !== options.auth.password) {
        return send(401, "unauthorized\n", { "www-authenticate": 'Basic realm="test"' });
      }
    }
    if (fault?.status && (fault.statusTimes ?? 1) > 0) {
      fault.statusTimes = (fault.statusTimes ?? 1) - 1;
      return send(fault.status, `fault ${fault.status}\n`, fault.statusHeaders);
    }
    const redirect = redirects.get(path);
    if (redirect) return send(redirect.status, "", { location: redirect.location });
    let body = lookup(path);
    if (!body) return send(404, "not found\n");
    if (fault?.wrongContent) body = fault.wrongContent;
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    const common = { etag, "last-modified": new Date(0).toUTCString(), "accept-ranges": "bytes", "content-type": "application/octet-stream" };
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const ifRangeOk = !req.headers["if-range"] || req.headers["if-range"] === etag || req.headers["if-range"] === common["last-modified"];
    if (range && !fault?.ignoreRange && ifRangeOk) {
      start = Number(range[1]);
      if (start >= body.length) return send(416, "", { "content-range": `bytes */${body.length}` });
      status = 206;
      if (fault?.wrongRange) start = Math.max(0, start - 1);
    }
    const slice = body.subarray(start);
    const headers: Record<string, string> = { ...common, "content-length": String(slice.length) };
    if (status === 206) headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
    record.status = status;
    res.writeHead(status, headers);
    if (req.method === "HEAD") return res.end();
    if (fault?.cutAfter !== undefined && (fault.cutTimes ?? 1) > 0) {
      fault.cutTimes = (fault.cutTimes ?? 1) - 1;
      res.write(slice.subarray(0, fault.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (fault?.stallAfter !== undefined && (fault.stallTimes ?? 1) > 0) {
      fault.stallTimes = (fault.stallTimes ?? 1) - 1;
      res.write(slice.subarray(0, fault.stallAfter));
      return; // never ends: the client must time out
    }
    if (fault?.bytesPerSecond) {
      const step = Math.max(1, Math.floor(fault.bytesPerSecond / 20));
      for (let at = 0; at < slice.length; at += step) {
        if (res.destroyed) return;
        res.write(slice.subarray(at, at + step));
        await Bun.sleep(50);
      }
      res.end();
      return;
    }
    res.end(slice);
  };

  // A bug in a test must not become an unhandled rejection that kills the test runner.
  const safeHandler = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`test server error: ${String(error)}\n`);
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, safeHandler)
    : createHttpServer(safeHandler);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const origin = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
  return {
    port,
    origin,
    url: (path) => `${origin}${path.startsWith("/") ? path : `/${path}`}`,
    requests,
    count: (path) => requests.filter((r) => r.path === path).length,
    fault: (path, fault) => faults.set(path, { ...fault }),
    clearFaults: () => faults.clear(),
    redirect: (path, location, status = 302) => redirects.set(path, { location, status }),
    setFile: (path, bytes) => files.set(path, typeof bytes === "string" ? enc.encode(bytes) : bytes),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** sha256 hex of bytes (test convenience). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}
