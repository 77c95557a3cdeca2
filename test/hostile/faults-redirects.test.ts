/**
 * Hostile family "faults": redirects. A mirror or index may answer with a redirect to any
 * scheme; only http(s) may be followed, and the refusal is final (no retries, no read of a
 * local file, no hang on a fifo).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchPage } from "../../src/net/api.ts";
import { downloadVerified } from "../../src/net/download.ts";
import { DhtError } from "../../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "dhtl-redirect-"));
const secret = join(dir, "secret.txt");
writeFileSync(secret, "root:x:0:0:secret line\n");
const fifo = join(dir, "fifo");
Bun.spawnSync(["mkfifo", fifo]);
const secretSha = new Bun.CryptoHasher("sha256").update("root:x:0:0:secret line\n").digest("hex");

/** Locations a hostile server redirects to; none of them may be followed. */
export const REDIRECT_CASES: string[] = [
  `file://${secret}`,
  `file://${fifo}`,
  "file:///etc/passwd",
  "file:///dev/zero",
  "FILE:///etc/passwd",
  "file://localhost/etc/passwd",
  "ftp://127.0.0.1/pub/x.tar.gz",
  "ftps://127.0.0.1/x",
  "data:text/plain,hello",
  "data:application/octet-stream;base64,AAAA",
  "javascript:alert(1)",
  "blob:http://127.0.0.1/x",
  "gopher://127.0.0.1:70/x",
  "ws://127.0.0.1/x",
  "s3://bucket/key",
  "http://[::1",
];

let hits = 0;
let target = "";
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    hits++;
    const path = new URL(req.url).pathname;
    if (path === "/ok") return new Response("fine");
    if (path === "/hop") return new Response(null, { status: 302, headers: { location: "/ok" } });
    return new Response(null, { status: 302, headers: { location: target } });
  },
});
afterAll(() => server.stop(true));
const env = { NO_PROXY: "127.0.0.1" };
const base = `http://127.0.0.1:${server.port}`;

describe("redirects lead only to http(s)", () => {
  test("an http redirect is still followed", async () => {
    const page = await fetchPage(`${base}/hop`, { env, retryDelay: 1 });
    expect(page.text).toBe("fine");
  });

  test.each(REDIRECT_CASES)("a page redirected to %s is refused at once, without retries", async (location) => {
    target = location;
    hits = 0;
    const error = await fetchPage(`${base}/evil/`, { env, retryDelay: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect((error as DhtError).message).toContain("follows redirects only to http:// and https://");
    expect((error as DhtError).message).not.toContain("secret line");
    expect(hits).toBe(1);
  });

  test.each(REDIRECT_CASES)("a download redirected to %s is refused, not read, not retried", async (location) => {
    target = location;
    hits = 0;
    const home = mkdtempSync(join(dir, "home-"));
    const error = await downloadVerified(
      { url: `${base}/evil.tar.gz`, sha256: secretSha },
      { env, home, offline: false, progress: "none", retry: { baseDelayMs: 1 } },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect((error as DhtError).message).toContain("follows redirects only to http:// and https://");
    expect((error as DhtError).message).not.toContain(secretSha);
    expect(hits).toBe(1);
  });
});

describe("a server that stalls", () => {
  test("never answering: the download gives up after two timeouts, not five", async () => {
    let requests = 0;
    const { createServer } = await import("node:http");
    const silent = createServer(() => {
      requests++; // never answers
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const home = mkdtempSync(join(dir, "stall-"));
    const started = Date.now();
    const error = await downloadVerified(
      { url: `http://127.0.0.1:${port}/x.tar.gz`, sha256: "0".repeat(64) },
      { env: { NO_PROXY: "127.0.0.1", DHT_HTTP_TIMEOUT: "0.3" }, home, offline: false, progress: "none", retry: { baseDelayMs: 1 } },
    ).catch((e) => e);
    silent.closeAllConnections();
    silent.close();
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("gave up after 2 attempts");
    expect(requests).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
