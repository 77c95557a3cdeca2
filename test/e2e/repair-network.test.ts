/**
 * The network checks of `dhtl diagnose` against real components on loopback: a real
 * mitmproxy re-signing TLS for an HTTPS index (the interceptor check: issuer not among
 * public roots, and which CA bundle fixes it), a real tinyproxy (and a dead proxy), a real
 * pypiserver behind a password (credentials present or not, never printed). The last test
 * judges this machine's own egress, which re-signs TLS, when pypi.org answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { dhtl } from "../helpers/cli.ts";
import { mitmdumpPath, startMitmproxy, type MitmProxy } from "../helpers/mitmproxy.ts";
import { pypiServerMissing, startPypiServer, type PypiServer } from "../helpers/pypiserver.ts";
import { SMALL_PROJECT, seededHome, setupEnv, startWheelIndex, wheelsDir, writeProject } from "../helpers/setup-project.ts";
import { startTinyproxy, tinyproxyAvailable, type TinyProxy } from "../helpers/tinyproxy.ts";
import { makeTestCa } from "../helpers/tls.ts";
import { DiagnoseReportSchema, type DiagnoseReport } from "../../src/repair/report.ts";

let httpsIndex: Awaited<ReturnType<typeof startWheelIndex>>;
let httpIndex: Awaited<ReturnType<typeof startWheelIndex>>;
let mitm: MitmProxy | undefined;
let tiny: TinyProxy | undefined;
let pypi: PypiServer | undefined;
const project = writeProject(SMALL_PROJECT);
const home = seededHome();

beforeAll(async () => {
  const origin = makeTestCa("private index CA (untrusted by clients)");
  httpsIndex = await startWheelIndex([wheelsDir], undefined, { cert: origin.cert, key: origin.key });
  httpIndex = await startWheelIndex([wheelsDir]);
  if (mitmdumpPath()) mitm = await startMitmproxy({ upstreamCa: origin.caFile });
  else console.warn("mitmdump is not installed (.ci/pip-packages.txt): the interceptor test is skipped");
  if (tinyproxyAvailable()) tiny = await startTinyproxy();
  else console.warn("tinyproxy is not installed (.ci/apt-packages.txt): the proxy test is skipped");
  if (!pypiServerMissing()) pypi = await startPypiServer({ wheelsDir });
  else console.warn(`pypiserver cannot run (${pypiServerMissing()}): the credentials test is skipped`);
}, 90_000);

afterAll(async () => {
  httpsIndex?.stop();
  httpIndex?.stop();
  await Promise.all([mitm?.stop(), tiny?.stop(), pypi?.stop()]);
});

/** An environment that reaches packages only through the given index (no find-links). */
function netEnv(extra: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...setupEnv(home, ["3.11"]), NO_PROXY: "", no_proxy: "", ...extra };
  delete env.PIP_NO_INDEX;
  delete env.PIP_FIND_LINKS;
  return env;
}

async function diagnoseJson(env: Record<string, string | undefined>): Promise<{ report: DiagnoseReport; raw: string }> {
  const r = await dhtl(["diagnose", "--json", "--cwd", project], { env });
  return { report: v.parse(DiagnoseReportSchema, JSON.parse(r.stdout)), raw: r.stdout + r.stderr };
}

const index = (report: DiagnoseReport) => report.checks.find((c) => c.id === "network.index.0")!;

describe("dhtl diagnose: network checks against real components", () => {
  test("mitmproxy re-signing TLS: fail naming the interceptor's issuer and the CA bundle that fixes it; trusted once SSL_CERT_FILE names it", async () => {
    if (!mitm) return;
    const userHome = mkdtempSync(join(tmpdir(), "dht-user-"));
    mkdirSync(join(userHome, ".mitmproxy"));
    copyFileSync(mitm.caFile, join(userHome, ".mitmproxy", "mitmproxy-ca-cert.pem"));
    const base = { PIP_INDEX_URL: httpsIndex.indexUrl, HTTPS_PROXY: mitm.url, HOME: userHome };
    const untrusted = index((await diagnoseJson(netEnv(base))).report);
    expect(untrusted.status).toBe("fail");
    expect(untrusted.found).toContain('re-signed by an interceptor: the certificate is issued by "CN=mitmproxy, O=mitmproxy"');
    expect(untrusted.found).toContain(`via ${mitm.url}`);
    expect(untrusted.fix!.command).toBe(`export SSL_CERT_FILE=${join(userHome, ".mitmproxy", "mitmproxy-ca-cert.pem")}   # or proxy.ca_bundle in .dhtconfig`);

    const { report } = await diagnoseJson(netEnv({ ...base, SSL_CERT_FILE: mitm.caFile }));
    const trusted = index(report);
    expect(trusted.status).toBe("ok");
    expect(trusted.found).toContain('TLS re-signed by "CN=mitmproxy, O=mitmproxy", trusted through env SSL_CERT_FILE');
    expect(report.checks.find((c) => c.id === "network.proxy.0")).toMatchObject({ status: "ok", title: `proxy ${mitm.url}` });
    // The request really went through the interceptor.
    for (const deadline = Date.now() + 5000; Date.now() < deadline && !mitm.output().includes("/simple/"); ) await Bun.sleep(50);
    expect(mitm.output()).toContain("/simple/");
  }, 60_000);

  test("tinyproxy: the index answers through it; a proxy nobody listens on fails, naming the variable", async () => {
    if (!tiny) return;
    const { report } = await diagnoseJson(netEnv({ PIP_INDEX_URL: httpIndex.indexUrl, HTTP_PROXY: tiny.url }));
    expect(index(report)).toMatchObject({ status: "ok" });
    expect(index(report).found).toContain(`via ${tiny.url} (env HTTP_PROXY)`);
    expect(tiny.sawRequestFor("/simple/")).toBe(true);

    const dead = (await diagnoseJson(netEnv({ PIP_INDEX_URL: httpIndex.indexUrl, HTTP_PROXY: "http://127.0.0.1:9" }))).report;
    expect(dead.ok).toBe(false);
    expect(dead.checks.find((c) => c.id === "network.proxy.0")).toMatchObject({ status: "fail", fix: { command: "check HTTP_PROXY (or unset it when no proxy is needed)" } });
    expect(index(dead).status).toBe("fail");
  }, 60_000);

  test("pypiserver with a password: 401 without credentials; ok with them, and the password never printed", async () => {
    if (!pypi) return;
    const anonymous = index((await diagnoseJson(netEnv({ PIP_INDEX_URL: pypi.url }))).report);
    expect(anonymous).toMatchObject({ status: "fail" });
    expect(anonymous.found).toContain("answers 401: the credentials are missing");

    const withCreds = pypi.url.replace("http://", `http://${pypi.username}:${pypi.password}@`);
    const { report, raw } = await diagnoseJson(netEnv({ PIP_INDEX_URL: withCreds }));
    expect(index(report).status).toBe("ok");
    expect(index(report).found).toContain("credentials from url");
    expect(raw).not.toContain(pypi.password);
  }, 60_000);

  test("this machine's egress: pypi.org's chain judged (public, or re-signed and trusted through the configured CA bundle)", async () => {
    const env = netEnv({ PIP_INDEX_URL: "https://pypi.org/simple", SSL_CERT_FILE: process.env.SSL_CERT_FILE, NO_PROXY: undefined, no_proxy: undefined, HTTPS_PROXY: process.env.HTTPS_PROXY });
    const found = index((await diagnoseJson(env)).report);
    if (found.status === "fail" && /not reachable/.test(found.found)) {
      console.warn(`pypi.org is not reachable here (${found.found}): egress check skipped`);
      return;
    }
    expect(found.status).toBe("ok");
    expect(found.found).toMatch(/TLS from a public CA|TLS re-signed by "[^"]+", trusted through env SSL_CERT_FILE/);
  }, 60_000);
});
