/**
 * downloadVerified and httpFetch against real loopback components: the fault-injecting file
 * server (test/helpers/servers.ts), a real tinyproxy, and a private CA made with openssl.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { downloadVerified, type DownloadOptions } from "../../src/net/download.ts";
import { httpFetch } from "../../src/net/http.ts";
import { pythonMirrorUrl, PYTHON_BUILD_STANDALONE_PREFIX } from "../../src/net/mirror.ts";
import { DhtError } from "../../src/errors.ts";
import { sha256Hex, startFileServer, type FileServer } from "../helpers/servers.ts";
import { startTinyproxy, tinyproxyAvailable, type TinyProxy } from "../helpers/tinyproxy.ts";
import { makeTestCa, type TestCa } from "../helpers/tls.ts";

const payload = crypto.getRandomValues(new Uint8Array(300_000));
const sha = sha256Hex(payload);

function home() {
  return mkdtempSync(join(tmpdir(), "dhtl-net-home-"));
}

function opts(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { env: {}, home: home(), offline: false, progress: "none", retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 }, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<DhtError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof DhtError) return e;
    throw e;
  }
  throw new Error("expected a DhtError, got success");
}

const cacheFiles = (h: string) => (existsSync(join(h, "cache/sha256")) ? readdirSync(join(h, "cache/sha256")) : []);

let server: FileServer;
beforeAll(async () => {
  server = await startFileServer({ files: { "/a.bin": payload } });
});
afterAll(async () => {
  await server.stop();
});

describe("downloadVerified over plain HTTP", () => {
  test("stores the file under its sha256 and serves the second request from the cache", async () => {
    const o = opts();
    const url = server.url("/a.bin?first");
    const path = await downloadVerified({ url, sha256: sha }, o);
    expect(path).toBe(join(o.home, "cache/sha256", sha));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    const before = server.requests.length;
    expect(await downloadVerified({ url, sha256: sha }, o)).toBe(path);
    expect(server.requests.length).toBe(before);
    expect(cacheFiles(o.home)).toEqual([sha]);
  });

  test("500s are retried with backoff, then the download succeeds", async () => {
    server.fault("/a.bin", { status: 500, statusTimes: 2 });
    const before = server.count("/a.bin");
    const lines: string[] = [];
    const path = await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, opts({ log: (m) => lines.push(m), progress: "plain", progressStream: { write: (t: string) => lines.push(t) } }));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    expect(server.count("/a.bin") - before).toBe(3);
    expect(lines.join("")).toMatch(/HTTP 500.*retrying in .* s \(attempt 2 of 4\)/);
    server.clearFaults();
  });

  test("a persistent 503 gives up after the attempt budget and says so", async () => {
    server.fault("/a.bin", { status: 503, statusTimes: 99 });
    const e = await failure(downloadVerified({ url: server.url("/a.bin"), sha256: sha }, opts()));
    expect(e.message).toMatch(/HTTP 503 .* from http:\/\/127\.0\.0\.1:\d+\/a\.bin \(gave up after 4 attempts\)/);
    server.clearFaults();
  });

  test("429 with Retry-After is retried after the server's delay", async () => {
    server.fault("/a.bin", { status: 429, statusTimes: 1, statusHeaders: { "retry-after": "0" } });
    const before = server.count("/a.bin");
    const path = await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, opts({ retry: { attempts: 2, baseDelayMs: 60_000 } }));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    expect(server.count("/a.bin") - before).toBe(2);
    server.clearFaults();
  });

  test("a server that does not answer in time gives a timeout error naming the URL", async () => {
    server.fault("/slow.bin", { delayMs: 1500 });
    server.setFile("/slow.bin", "slow");
    const e = await failure(httpFetch(server.url("/slow.bin"), {}, { env: {}, timeoutMs: 200 }));
    expect(e.message).toBe(`Could not reach ${server.url("/slow.bin")}: no response within 0.2 s`);
    expect(e.details?.kind).toBe("timeout");
    server.clearFaults();
  });

  test("a lock left by a dead process is taken over; a live holder is waited for", async () => {
    const { mkdirSync } = await import("node:fs");
    const o = opts();
    const dir = join(o.home, "cache/sha256");
    mkdirSync(dir, { recursive: true });
    const dead = Bun.spawnSync(["true"]).pid;
    writeFileSync(join(dir, `${sha}.lock`), String(dead));
    expect(sha256Hex(readFileSync(await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, o)))).toBe(sha);
    expect(cacheFiles(o.home)).toEqual([sha]);

    const o2 = opts();
    const dir2 = join(o2.home, "cache/sha256");
    mkdirSync(dir2, { recursive: true });
    const holder = Bun.spawn(["sleep", "0.6"]);
    writeFileSync(join(dir2, `${sha}.lock`), String(holder.pid));
    const notes: string[] = [];
    const started = Date.now();
    await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, { ...o2, log: (m) => notes.push(m) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(notes.join("\n")).toContain(`another dhtl process (pid ${holder.pid}) is downloading it; waiting`);
  });

  test("two concurrent requests for the same file share one transfer", async () => {
    const o = opts();
    const before = server.count("/a.bin");
    const [p1, p2] = await Promise.all([
      downloadVerified({ url: server.url("/a.bin"), sha256: sha }, o),
      downloadVerified({ url: server.url("/a.bin"), sha256: sha }, o),
    ]);
    expect(p1).toBe(p2);
    expect(server.count("/a.bin") - before).toBe(1);
  });

  test("404 is not retried and names the URL", async () => {
    const before = server.count("/missing.bin");
    const e = await failure(downloadVerified({ url: server.url("/missing.bin"), sha256: sha }, opts()));
    expect(e.message).toContain(`HTTP 404`);
    expect(e.message).toContain(server.url("/missing.bin"));
    expect(e.hint).toMatch(/Nothing is published/);
    expect(server.count("/missing.bin") - before).toBe(1);
  });

  test("a body cut mid-way is resumed with Range and verified", async () => {
    server.fault("/a.bin", { cutAfter: 100_000 });
    const before = server.requests.length;
    const o = opts();
    const path = await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, o);
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    const mine = server.requests.slice(before).filter((r) => r.path === "/a.bin");
    expect(mine.length).toBe(2);
    expect(mine[0]!.range).toBeUndefined();
    expect(mine[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(mine[1]!.range!)![0])).toBeGreaterThan(0);
    expect(mine[1]!.status).toBe(206);
    expect(mine[1]!.ifRange).toBeDefined();
    expect(cacheFiles(o.home)).toEqual([sha]);
    server.clearFaults();
  });

  test("a server that ignores Range (200) makes the download restart and still verify", async () => {
    server.fault("/a.bin", { cutAfter: 50_000, ignoreRange: true });
    const before = server.requests.length;
    const lines: string[] = [];
    const path = await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, opts({ progress: "plain", progressStream: { write: (t: string) => lines.push(t) } }));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    const mine = server.requests.slice(before);
    expect(mine[1]!.range).toBeDefined();
    expect(mine[1]!.status).toBe(200);
    expect(lines.join("")).toMatch(/did not resume/);
    server.clearFaults();
  });

  test("a 206 that starts at the wrong offset is discarded and the file fetched whole", async () => {
    server.fault("/a.bin", { cutAfter: 50_000, wrongRange: true });
    const path = await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, opts());
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    server.clearFaults();
  });

  test("a stalled body times out and the transfer resumes", async () => {
    server.fault("/a.bin", { stallAfter: 20_000 });
    const path = await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, opts({ stallTimeoutMs: 300 }));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    server.clearFaults();
  });

  test("a wrong checksum is refused with URL, expected and actual hash, and nothing is left in the cache", async () => {
    const wrong = new TextEncoder().encode("tampered by a proxy");
    server.fault("/a.bin", { wrongContent: wrong });
    const o = opts();
    const e = await failure(downloadVerified({ url: server.url("/a.bin"), sha256: sha, label: "CPython test" }, o));
    expect(e.message).toContain("Checksum mismatch for CPython test");
    expect(e.message).toContain(server.url("/a.bin"));
    expect(e.message).toContain(`expected sha256 ${sha}`);
    expect(e.message).toContain(`got ${sha256Hex(wrong)}`);
    expect(cacheFiles(o.home)).toEqual([]);
    server.clearFaults();
  });

  test("a corrupted cache entry is detected on reuse and fetched again", async () => {
    const o = opts();
    const path = await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, o);
    writeFileSync(path, "bit rot");
    const before = server.count("/a.bin");
    await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, o);
    expect(server.count("/a.bin") - before).toBe(1);
    expect(sha256Hex(readFileSync(path))).toBe(sha);
  });

  test("offline with an empty cache names the artifact and URL, exits 3, and makes no request", async () => {
    const before = server.requests.length;
    const e = await failure(
      downloadVerified({ url: server.url("/a.bin"), sha256: sha, label: "CPython 3.11.7 (linux-x86_64-gnu)" }, opts({ offline: true })),
    );
    expect(e.code).toBe(3);
    expect(e.message).toContain("CPython 3.11.7 (linux-x86_64-gnu) is not in the download cache");
    expect(e.message).toContain(server.url("/a.bin"));
    expect(server.requests.length).toBe(before);
  });

  test("offline with the file cached succeeds without touching the network", async () => {
    const o = opts();
    await downloadVerified({ url: server.url("/a.bin"), sha256: sha }, o);
    const before = server.requests.length;
    const path = await downloadVerified({ url: "https://unreachable.invalid/a.bin", sha256: sha }, { ...o, offline: true });
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    expect(server.requests.length).toBe(before);
  });

  test("a file:// python mirror is copied and verified, also offline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-mirror-"));
    const asset = "20240107/cpython-3.11.7+20240107-x86_64-unknown-linux-gnu-install_only.tar.gz";
    await Bun.write(join(dir, asset), payload);
    const url = pythonMirrorUrl(`${PYTHON_BUILD_STANDALONE_PREFIX}20240107/cpython-3.11.7%2B20240107-x86_64-unknown-linux-gnu-install_only.tar.gz`, {
      DHT_PYTHON_MIRROR: pathToFileURL(dir).href,
    });
    const path = await downloadVerified({ url, sha256: sha }, opts({ offline: true }));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
  });

  test("credentials in URLs never reach error messages", async () => {
    const secretServer = await startFileServer({ files: { "/p.bin": payload }, auth: { user: "alice", password: "hunter2" } });
    try {
      const url = secretServer.url("/p.bin").replace("http://", "http://alice:wrongpass@") + "?token=tok-SECRET&plain=1";
      const e = await failure(downloadVerified({ url, sha256: sha }, opts()));
      expect(e.message).toContain("HTTP 401");
      const everything = JSON.stringify(e.toJSON()) + e.message + (e.hint ?? "");
      expect(everything).not.toContain("wrongpass");
      expect(everything).not.toContain("tok-SECRET");
      expect(e.subject).toBe(secretServer.url("/p.bin").replace("http://", "http://***@") + "?token=***&plain=1");
      // The same with the right password succeeds (basic auth from the URL is sent).
      const ok = secretServer.url("/p.bin").replace("http://", "http://alice:hunter2@");
      expect(sha256Hex(readFileSync(await downloadVerified({ url: ok, sha256: sha }, opts())))).toBe(sha);
    } finally {
      await secretServer.stop();
    }
  });

  test("a proxy password is not printed when the proxy cannot be reached", async () => {
    const e = await failure(
      downloadVerified({ url: server.url("/a.bin"), sha256: sha }, opts({ env: { HTTP_PROXY: "http://bob:pr0xy-pw@127.0.0.1:9" }, retry: { attempts: 1 } })),
    );
    const everything = JSON.stringify(e.toJSON()) + e.message + (e.hint ?? "");
    expect(everything).toContain("through proxy http://***@127.0.0.1:9");
    expect(everything).not.toContain("pr0xy-pw");
  });

  test("plain progress prints sparse lines with the label and size", async () => {
    const lines: string[] = [];
    await downloadVerified(
      { url: server.url("/a.bin?progress"), sha256: sha, size: payload.length, label: "demo.bin" },
      opts({ progress: "plain", progressStream: { write: (t: string) => lines.push(t) } }),
    );
    const text = lines.join("");
    expect(text).toMatch(/demo\.bin .*100%.*done/);
    expect(lines.length).toBeLessThanOrEqual(5);
  });
});

describe("proxies (a real tinyproxy)", () => {
  let proxy: TinyProxy | undefined;
  beforeAll(async () => {
    if (!tinyproxyAvailable()) {
      console.warn("tinyproxy is not installed (apt-get install tinyproxy): proxy tests skipped");
      return;
    }
    proxy = await startTinyproxy();
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  test("HTTP_PROXY routes the download through the proxy (its log shows the request)", async () => {
    if (!proxy) return;
    const path = await downloadVerified({ url: server.url("/a.bin?via-proxy"), sha256: sha }, opts({ env: { HTTP_PROXY: proxy.url } }));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    expect(proxy.sawRequestFor(`127.0.0.1:${server.port}/a.bin?via-proxy`)).toBe(true);
  });

  test("a host in NO_PROXY bypasses the proxy (its log does not show the request)", async () => {
    if (!proxy) return;
    const path = await downloadVerified(
      { url: server.url("/a.bin?direct"), sha256: sha },
      opts({ env: { HTTP_PROXY: proxy.url, NO_PROXY: `example.com,127.0.0.1:${server.port}` } }),
    );
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    expect(proxy.sawRequestFor("a.bin?direct")).toBe(false);
    expect(server.requests.at(-1)!.path).toBe("/a.bin");
  });

  test("each redirect hop gets its own proxy decision (NO_PROXY origin direct, CDN via proxy)", async () => {
    if (!proxy) return;
    const origin = await startFileServer();
    try {
      origin.redirect("/release.bin", server.url("/a.bin?cdn-hop"));
      const path = await downloadVerified(
        { url: origin.url("/release.bin"), sha256: sha },
        opts({ env: { HTTP_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${origin.port}` } }),
      );
      expect(sha256Hex(readFileSync(path))).toBe(sha);
      expect(origin.count("/release.bin")).toBe(1);
      expect(proxy.sawRequestFor("/release.bin")).toBe(false);
      expect(proxy.sawRequestFor("a.bin?cdn-hop")).toBe(true);
    } finally {
      await origin.stop();
    }
  });

  test("the config proxy is used when no proxy variable is set", async () => {
    if (!proxy) return;
    const res = await httpFetch(server.url("/a.bin?config-proxy"), {}, { env: {}, net: { proxy: { http: proxy.url } } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(proxy.sawRequestFor("a.bin?config-proxy")).toBe(true);
  });
});

describe("HTTPS with a private CA", () => {
  let ca: TestCa;
  let tlsServer: FileServer;
  beforeAll(async () => {
    ca = makeTestCa();
    tlsServer = await startFileServer({ files: { "/t.bin": payload }, tls: { cert: ca.cert, key: ca.key } });
  });
  afterAll(async () => {
    await tlsServer.stop();
  });

  test("without the CA the download fails clearly and is not retried", async () => {
    const e = await failure(downloadVerified({ url: tlsServer.url("/t.bin"), sha256: sha }, opts()));
    expect(e.message).toContain(`TLS verification failed for ${tlsServer.url("/t.bin")}`);
    expect(e.hint).toContain("SSL_CERT_FILE");
    expect(tlsServer.count("/t.bin")).toBe(0);
  });

  test("SSL_CERT_FILE adds the CA and the download succeeds", async () => {
    const path = await downloadVerified({ url: tlsServer.url("/t.bin"), sha256: sha }, opts({ env: { SSL_CERT_FILE: ca.caFile } }));
    expect(sha256Hex(readFileSync(path))).toBe(sha);
  });

  test("config proxy.ca_bundle and SSL_CERT_DIR work too", async () => {
    const viaConfig = await httpFetch(tlsServer.url("/t.bin"), {}, { env: {}, net: { caBundle: ca.caFile } });
    expect(viaConfig.status).toBe(200);
    await viaConfig.arrayBuffer();
    const viaDir = await httpFetch(tlsServer.url("/t.bin"), {}, { env: { SSL_CERT_DIR: ca.dir } });
    expect(viaDir.status).toBe(200);
    await viaDir.arrayBuffer();
  });

  test("a child process (Python's urllib, OpenSSL) trusts the server through subprocessNetEnv's combined bundle", async () => {
    const { subprocessNetEnv } = await import("../../src/net/subprocess-env.ts");
    const script = "import sys, urllib.request; sys.stdout.write(str(len(urllib.request.urlopen(sys.argv[1]).read())))";
    const url = tlsServer.url("/t.bin");
    // Async spawn: the test server lives in this process and must keep serving meanwhile.
    const python = async (env: Record<string, string>) => {
      const proc = Bun.spawn(["python3", "-c", script, url], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      return { out, err, code };
    };
    const bare = await python({});
    expect(bare.code).not.toBe(0);
    expect(bare.err).toContain("CERTIFICATE_VERIFY_FAILED");
    const ok = await python(subprocessNetEnv({}, { caBundle: ca.caFile }, home()));
    expect(ok.err).toBe("");
    expect(ok.out).toBe(String(payload.length));
  });

  test("a CA variable pointing at a missing file is a usage error naming the variable", async () => {
    const e = await failure(httpFetch(tlsServer.url("/t.bin"), {}, { env: { REQUESTS_CA_BUNDLE: "/nonexistent/ca.pem" } }));
    expect(e.code).toBe(2);
    expect(e.message).toBe("env REQUESTS_CA_BUNDLE points to /nonexistent/ca.pem, which does not exist.");
  });
});
