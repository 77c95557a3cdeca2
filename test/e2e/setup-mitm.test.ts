/**
 * `dhtl setup` behind a corporate proxy that re-signs TLS, end to end with real components:
 * the compiled dhtl, the real uv 0.13.9, pyenv's CPython 3.11, a real mitmproxy.
 *
 * The private index is HTTPS on 127.0.0.1, its certificate from a test CA that NO client
 * trusts (only mitmproxy does, through ssl_verify_upstream_trusted_ca). The only way to the
 * index is therefore through the proxy, which presents certificates signed by its own CA:
 * exactly what a TLS-inspecting corporate proxy does. A request that bypassed the proxy would
 * fail on the origin CA, so a success proves uv's traffic went through mitmproxy (and its
 * flow log shows the index requests too).
 *
 * Loopback and proxies: uv 0.13.9 (reqwest) does NOT exempt 127.0.0.1/localhost from
 * HTTPS_PROXY on its own; only NO_PROXY does. With NO_PROXY set to "" (measured here: the
 * mitmproxy log shows "GET https://127.0.0.1:<port>/simple/six/"), the plain 127.0.0.1 URL
 * works, so no hostname tricks or reverse mode are needed.
 *
 * uv itself is pre-seeded in DHT_HOME (seededHome), so only the package installs cross the
 * proxy; the last test seeds nothing, so dhtl's own uv lookup and then pip (the fallback)
 * cross it too. Each run gets a fresh uv cache so nothing is served from an earlier run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { mitmdumpPath, startMitmproxy, type MitmProxy } from "../helpers/mitmproxy.ts";
import { SMALL_PROJECT, seededHome, setupEnv, startWheelIndex, wheelsDir, writeProject } from "../helpers/setup-project.ts";
import { makeTestCa, type TestCa } from "../helpers/tls.ts";

let origin: TestCa;
let index: Awaited<ReturnType<typeof startWheelIndex>>;
let mitm: MitmProxy | undefined;

beforeAll(async () => {
  origin = makeTestCa("private index CA (untrusted by clients)");
  index = await startWheelIndex([wheelsDir], undefined, { cert: origin.cert, key: origin.key });
  if (!mitmdumpPath()) {
    console.warn("mitmdump is not installed (.ci/pip-packages.txt: mitmproxy): setup-behind-TLS-inspection tests skipped");
    return;
  }
  mitm = await startMitmproxy({ upstreamCa: origin.caFile });
}, 60_000);

afterAll(async () => {
  index?.stop();
  await mitm?.stop();
});

/** A setup environment that reaches the index only by its HTTPS URL: no find-links, no offline mode. */
function proxiedEnv(home: string, extra: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = setupEnv(home, ["3.11"], {
    UV_CACHE_DIR: mkdtempSync(join(tmpdir(), "dht-uv-cache-")),
    NO_PROXY: "",
    no_proxy: "",
  });
  delete env.PIP_NO_INDEX;
  delete env.PIP_FIND_LINKS;
  return { ...env, ...extra };
}

const importsOk = (project: string) => Bun.spawnSync([join(project, ".venv", "bin", "python"), "-c", "import six, tabulate; print('ok')"]).stdout.toString().trim();

/** mitmdump prints its flow lines asynchronously: wait (up to 5 s) until `seen` holds for its output. */
async function proxyLogged(proxy: MitmProxy, seen: (output: string) => boolean): Promise<boolean> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await Bun.sleep(50)) if (seen(proxy.output())) return true;
  return seen(proxy.output());
}

/** Paths mitmproxy logged for flows to the index (lines like "GET https://127.0.0.1:PORT/simple/six/"). */
function proxiedIndexPaths(proxy: MitmProxy): string[] {
  const prefix = `https://127.0.0.1:${new URL(index.indexUrl).port}`;
  return [...proxy.output().matchAll(/\b(?:GET|HEAD) (\S+)/g)].map((m) => m[1]!).filter((u) => u.startsWith(prefix)).map((u) => u.slice(prefix.length));
}

describe("dhtl setup behind a TLS-inspecting proxy (real mitmproxy)", () => {
  test("without the proxy's CA: exit 1 with one message naming the index, the proxy, and SSL_CERT_FILE / proxy.ca_bundle, no venv marked complete", async () => {
    if (!mitm) return;
    const project = writeProject(SMALL_PROJECT);
    const env = proxiedEnv(seededHome(), { PIP_INDEX_URL: index.indexUrl, HTTPS_PROXY: mitm.url });
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: the certificate of package index ${index.indexUrl} is not trusted (reached through proxy ${mitm.url}, env HTTPS_PROXY)`);
    expect(r.stderr.match(/^error:/gm)?.length).toBe(1);
    expect(r.stderr).toContain("SSL_CERT_FILE");
    expect(r.stderr).toContain("proxy.ca_bundle");
    // dhtl's explanation, not uv's advice to use a flag dhtl does not pass through
    expect(r.stderr).not.toContain("--system-certs");
    expect(existsSync(join(project, ".venv", ".dht-complete"))).toBe(false);
    // uv reached the proxy, which refused to be trusted (no request reached the origin through it)
    expect(await proxyLogged(mitm, (o) => o.includes(`Client TLS handshake failed. The client does not trust the proxy's certificate for 127.0.0.1:${new URL(index.indexUrl).port}`))).toBe(true);
  }, 60_000);

  test("SSL_CERT_FILE holding ONLY the proxy's CA: setup succeeds, the index requests went through mitmproxy, the venv imports the packages", async () => {
    if (!mitm) return;
    const project = writeProject(SMALL_PROJECT);
    const before = index.requests.length;
    const env = proxiedEnv(seededHome(), { PIP_INDEX_URL: index.indexUrl, HTTPS_PROXY: mitm.url, SSL_CERT_FILE: mitm.caFile });
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(importsOk(project)).toBe("ok");
    const served = index.requests.slice(before);
    expect(served).toContain("/simple/six/");
    expect(served.some((p) => p.startsWith("/files/tabulate-"))).toBe(true);
    await proxyLogged(mitm, () => proxiedIndexPaths(mitm!).some((p) => p.startsWith("/files/six-")));
    const proxied = proxiedIndexPaths(mitm);
    expect(proxied).toContain("/simple/six/");
    expect(proxied.some((p) => p.startsWith("/files/six-"))).toBe(true);
  }, 60_000);

  test(".dhtconfig proxy.https + proxy.ca_bundle (no proxy or CA variables) and registries.index_url: the same success through the proxy", async () => {
    if (!mitm) return;
    const project = writeProject({
      ...SMALL_PROJECT,
      ".dhtconfig": `proxy:\n  https: ${mitm.url}\n  ca_bundle: ${mitm.caFile}\nregistries:\n  index_url: ${index.indexUrl}\n`,
    });
    const before = index.requests.length;
    const env = proxiedEnv(seededHome(), {});
    for (const k of ["HTTPS_PROXY", "https_proxy", "SSL_CERT_FILE", "PIP_INDEX_URL"]) expect(env[k]).toBeUndefined();
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(importsOk(project)).toBe("ok");
    expect(index.requests.slice(before)).toContain("/simple/tabulate/");
    await proxyLogged(mitm, () => proxiedIndexPaths(mitm!).filter((p) => p === "/simple/tabulate/").length >= 2);
    expect(proxiedIndexPaths(mitm).filter((p) => p === "/simple/tabulate/").length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  test("the proxy's CA in SSL_CERT_FILE does not replace the other trust: an index the proxy does not re-sign (NO_PROXY, own CA from proxy.ca_bundle) still works", async () => {
    if (!mitm) return;
    // An internal index reached directly (NO_PROXY=localhost), signed by a second CA that
    // .dhtconfig names; it alone serves tabulate. uv puts an extra index first, so tabulate
    // must come from it, over a direct TLS connection verified against that second CA.
    const internal = makeTestCa("internal CA");
    const onlyTabulate = mkdtempSync(join(tmpdir(), "dht-wheels-"));
    const wheel = new Bun.Glob("tabulate-*.whl").scanSync(wheelsDir).next().value as string;
    copyFileSync(join(wheelsDir, wheel), join(onlyTabulate, wheel));
    const direct = await startWheelIndex([onlyTabulate], undefined, { cert: internal.cert, key: internal.key });
    try {
      const directUrl = direct.indexUrl.replace("127.0.0.1", "localhost");
      const project = writeProject({
        ...SMALL_PROJECT,
        ".dhtconfig": `proxy:\n  ca_bundle: ${internal.caFile}\nregistries:\n  extra_index_urls: [${directUrl}]\n`,
      });
      const sixLookups = () => proxiedIndexPaths(mitm!).filter((p) => p === "/simple/six/").length;
      const sixBefore = sixLookups();
      const env = proxiedEnv(seededHome(), { PIP_INDEX_URL: index.indexUrl, HTTPS_PROXY: mitm.url, SSL_CERT_FILE: mitm.caFile, NO_PROXY: "localhost", no_proxy: "localhost" });
      const r = await dhtl(["setup", "--cwd", project], { env });
      expect(r.stderr).not.toContain("error");
      expect(r.code).toBe(0);
      expect(importsOk(project)).toBe("ok");
      expect(direct.requests).toContain("/simple/tabulate/");
      expect(direct.requests.some((p) => p.startsWith(`/files/${wheel}`))).toBe(true);
      // six still came through the proxy; once that flow is logged, the log covers this run
      expect(await proxyLogged(mitm, () => sixLookups() > sixBefore)).toBe(true);
      expect(mitm.output()).not.toContain(`localhost:${new URL(directUrl).port}`);
    } finally {
      direct.stop();
    }
  }, 60_000);

  test("without uv (not on the index, release mirror absent) the pip fallback also installs through the proxy with SSL_CERT_FILE holding only its CA", async () => {
    if (!mitm) return;
    const project = writeProject(SMALL_PROJECT);
    const home = mkdtempSync(join(tmpdir(), "dht-home-")); // no uv seeded: setup must look for it and fall back
    const before = index.requests.length;
    const tabulateFetches = () => proxiedIndexPaths(mitm!).filter((p) => p.startsWith("/files/tabulate-")).length;
    const proxiedBefore = tabulateFetches();
    const env = proxiedEnv(home, {
      PIP_INDEX_URL: index.indexUrl,
      DHT_UV_DOWNLOAD_URL: `${index.indexUrl.replace("/simple", "")}/no-uv-here/`,
      HTTPS_PROXY: mitm.url,
      SSL_CERT_FILE: mitm.caFile,
    });
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.stderr).toContain("uv cannot be had");
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);
    expect(existsSync(join(project, ".venv", "bin", "pip"))).toBe(true);
    expect(importsOk(project)).toBe("ok");
    expect(index.requests.slice(before).some((p) => p.startsWith("/files/tabulate-"))).toBe(true);
    expect(await proxyLogged(mitm, () => tabulateFetches() > proxiedBefore)).toBe(true);
  }, 60_000);
});
