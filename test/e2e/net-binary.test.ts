/**
 * Network settings in the compiled binary, end to end: `dhtl python install` fetching a
 * python-build-standalone-shaped archive (test/helpers/pbs.ts) from loopback mirrors through
 * a real tinyproxy, over HTTPS signed by a private CA. This proves the compiled executable
 * applies dhtl's own proxy, NO_PROXY and CA decisions (not Bun's env handling).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { dhtl, tempDir } from "../helpers/cli.ts";
import { buildPbsArchive, pyenvVersionFor, writeManifestOverride, type PbsArchive } from "../helpers/pbs.ts";
import { startFileServer, type FileServer } from "../helpers/servers.ts";
import { startTinyproxy, tinyproxyAvailable, type TinyProxy } from "../helpers/tinyproxy.ts";
import { makeTestCa, type TestCa } from "../helpers/tls.ts";

const version = pyenvVersionFor("3.12");
let archive: PbsArchive;
let ca: TestCa;
let https: FileServer;
let http: FileServer;
let proxy: TinyProxy;
let authProxy: TinyProxy;
let httpsManifest: string;
let httpManifest: string;

const ready = () => {
  if (!version || !tinyproxyAvailable()) {
    console.warn("needs pyenv CPython 3.12 and tinyproxy: compiled-binary network tests skipped");
    return false;
  }
  return true;
};

beforeAll(async () => {
  if (!ready()) return;
  archive = await buildPbsArchive(version!);
  ca = makeTestCa();
  https = await startFileServer({ dir: dirname(archive.path), tls: { cert: ca.cert, key: ca.key } });
  http = await startFileServer({ dir: dirname(archive.path) });
  proxy = await startTinyproxy();
  authProxy = await startTinyproxy({ auth: { user: "carol", password: "proxy-S3CRET" } });
  httpsManifest = await writeManifestOverride(join(tempDir(), "https.json"), https.origin, [archive]);
  httpManifest = await writeManifestOverride(join(tempDir(), "http.json"), http.origin, [archive]);
}, 120_000);

afterAll(async () => {
  await Promise.all([https?.stop(), http?.stop(), proxy?.stop(), authProxy?.stop()]);
});

const assetPath = () => `/${encodeURIComponent(archive.filename)}`;
const install = (home: string, manifest: string, extra: Record<string, string>) =>
  dhtl(["python", "install", version!], {
    env: { DHT_HOME: home, DHT_PYTHON_DOWNLOADS: manifest, DHT_PYTHON_DISCOVERY: "none", ...extra },
  });
const partials = (home: string) =>
  existsSync(join(home, "cache/sha256")) ? readdirSync(join(home, "cache/sha256")).filter((f) => f.includes(".")) : [];

describe("compiled dhtl: proxies and private CAs", () => {
  test("HTTPS mirror through HTTPS_PROXY (tinyproxy logs the CONNECT) succeeds when SSL_CERT_FILE holds the CA", async () => {
    if (!ready()) return;
    const home = tempDir();
    const before = https.count(assetPath());
    const r = await install(home, httpsManifest, { HTTPS_PROXY: proxy.url, SSL_CERT_FILE: ca.caFile });
    expect(r.stderr).not.toContain("TLS verification failed");
    expect(r.code).toBe(0);
    expect(https.count(assetPath()) - before).toBe(1);
    expect(proxy.sawRequestFor(`CONNECT 127.0.0.1:${https.port}`)).toBe(true);
  }, 120_000);

  test("without the CA the install fails, names the URL, hints at SSL_CERT_FILE and leaves no partial file", async () => {
    if (!ready()) return;
    const home = tempDir();
    const r = await install(home, httpsManifest, {});
    // python install reports "cannot be satisfied here" (3) after its chain; the cause is ours.
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`TLS verification failed for ${https.url(assetPath())}`);
    expect(r.stderr).toContain("SSL_CERT_FILE");
    expect(partials(home)).toEqual([]);
  }, 120_000);

  test("a mirror listed in NO_PROXY is fetched directly: tinyproxy never sees it", async () => {
    if (!ready()) return;
    const home = tempDir();
    const before = http.count(assetPath());
    const r = await install(home, httpManifest, { HTTP_PROXY: proxy.url, NO_PROXY: `localhost,127.0.0.1:${http.port}` });
    expect(r.code).toBe(0);
    expect(http.count(assetPath()) - before).toBe(1);
    expect(proxy.sawRequestFor(`127.0.0.1:${http.port}`)).toBe(false);
  }, 120_000);

  test("a proxy that wants credentials: the wrong password fails with 407 and is never printed; the right one works", async () => {
    if (!ready()) return;
    const bad = await install(tempDir(), httpManifest, { HTTP_PROXY: authProxy.url.replace("http://", "http://carol:wrong-PW@") });
    expect(bad.code).not.toBe(0);
    // tinyproxy answers 401 to wrong proxy credentials (407 only when they are missing).
    expect(bad.stderr).toMatch(/HTTP 40[17]/);
    expect(bad.stderr + bad.stdout).not.toContain("wrong-PW");
    const good = await install(tempDir(), httpManifest, { HTTP_PROXY: authProxy.url.replace("http://", "http://carol:proxy-S3CRET@") });
    expect(good.stderr + good.stdout).not.toContain("proxy-S3CRET");
    expect(good.code).toBe(0);
    expect(authProxy.sawRequestFor(assetPath().slice(1, 30))).toBe(true);
  }, 120_000);
});
