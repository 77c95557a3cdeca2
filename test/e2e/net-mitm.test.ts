/**
 * The corporate TLS-inspection case with a real mitmproxy: the proxy re-signs every HTTPS
 * connection with its own CA. dhtl must fail clearly until that CA is trusted, then verify
 * the download as usual.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { downloadVerified } from "../../src/net/download.ts";
import { DhtError } from "../../src/errors.ts";
import { mitmdumpPath, startMitmproxy, type MitmProxy } from "../helpers/mitmproxy.ts";
import { sha256Hex, startFileServer, type FileServer } from "../helpers/servers.ts";
import { makeTestCa, type TestCa } from "../helpers/tls.ts";

const payload = crypto.getRandomValues(new Uint8Array(100_000));
const sha = sha256Hex(payload);
let ca: TestCa;
let server: FileServer;
let mitm: MitmProxy | undefined;

beforeAll(async () => {
  ca = makeTestCa("origin CA");
  server = await startFileServer({ files: { "/pkg.tar.gz": payload }, tls: { cert: ca.cert, key: ca.key } });
  if (!mitmdumpPath()) {
    console.warn("mitmdump is not installed (.ci/pip-packages.txt: mitmproxy): TLS-inspection tests skipped");
    return;
  }
  mitm = await startMitmproxy({ upstreamCa: ca.caFile });
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.stop(), mitm?.stop()]);
});

const home = () => mkdtempSync(join(tmpdir(), "dhtl-mitm-home-"));

describe("behind a TLS-inspecting proxy (mitmproxy)", () => {
  test("without the proxy's CA the download fails, naming the URL and the proxy, and is not retried", async () => {
    if (!mitm) return;
    let error: unknown;
    try {
      await downloadVerified(
        { url: server.url("/pkg.tar.gz"), sha256: sha },
        { env: { HTTPS_PROXY: mitm.url, SSL_CERT_FILE: ca.caFile }, home: home(), offline: false, progress: "none", retry: { attempts: 3, baseDelayMs: 10 } },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DhtError);
    const message = (error as DhtError).message;
    expect(message).toContain(`TLS verification failed for ${server.url("/pkg.tar.gz")} through proxy ${mitm.url} (env HTTPS_PROXY)`);
    expect(message).toContain("SSL_CERT_FILE");
    expect(message).not.toContain("gave up after");
    expect(server.count("/pkg.tar.gz")).toBe(0);
  }, 30_000);

  test("trusting the proxy's CA (SSL_CERT_FILE) gets the file through the inspecting proxy, verified", async () => {
    if (!mitm) return;
    const path = await downloadVerified(
      { url: server.url("/pkg.tar.gz"), sha256: sha },
      { env: { HTTPS_PROXY: mitm.url, SSL_CERT_FILE: mitm.caFile }, home: home(), offline: false, progress: "none" },
    );
    expect(sha256Hex(readFileSync(path))).toBe(sha);
    expect(server.count("/pkg.tar.gz")).toBe(1);
    await Bun.sleep(200);
    expect(mitm.output()).toContain(`GET https://127.0.0.1:${server.port}/pkg.tar.gz`);
  }, 30_000);
});
