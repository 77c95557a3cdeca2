/**
 * Hostile family "faults": proxies that refuse or are down, as uv 0.13.9 reports them (the
 * outputs below were captured from uv against a loopback proxy answering 407, and against a
 * closed port). Each gets its own message naming the proxy, not "installing the dependencies
 * failed" nor a blame on the index.
 */
import { describe, expect, test } from "bun:test";
import { explainInstallFailure } from "../../src/registries/install-failure.ts";
import { registrySettings } from "../../src/registries/index.ts";

const PROXY_407 = `error: Request failed after 3 retries in 8.5s
  cause: Failed to fetch: https://pypi.org/simple/six/
  cause: error sending request for url (https://pypi.org/simple/six/)
  cause: client error (Connect)
  cause: tunnel error: proxy authorization required`;
const PROXY_DOWN = `  cause: Failed to fetch: https://pypi.org/simple/six/
  cause: error sending request for url (https://pypi.org/simple/six/)
  cause: client error (Connect)
  cause: tunnel error: failed to create underlying connection
  cause: tcp connect error
  cause: Connection refused (os error 111)`;
const PIP_407 = "ProxyError('Cannot connect to proxy.', OSError('Tunnel connection failed: 407 Proxy Authentication Required'))";

const settings = registrySettings("https://pypi.org/simple", { origins: { indexUrl: "default" } });
const withProxy = { HTTPS_PROXY: "http://user:hunter2@proxy.corp:3128" };

describe("proxy faults are named as such", () => {
  test.each([["uv", PROXY_407], ["pip", PIP_407]])("a proxy answering 407 (%s): the proxy wants credentials", async (_tool, output) => {
    const e = await explainInstallFailure(output, ["uv", "pip", "install", "six"], { settings, env: withProxy, probe: false });
    expect(e.message).toContain("the proxy http://***@proxy.corp:3128/ (env HTTPS_PROXY) refused to carry the request");
    expect(e.message).toContain("HTTP 407");
    expect(JSON.stringify(e)).not.toContain("hunter2");
  });

  test("a proxy that is down: the proxy is blamed, not the index", async () => {
    const e = await explainInstallFailure(PROXY_DOWN, ["uv", "pip", "install", "six"], { settings, env: withProxy, probe: false });
    expect(e.message).toContain("the proxy http://***@proxy.corp:3128/ (env HTTPS_PROXY) cannot be reached");
    expect(e.hint).toContain("NO_PROXY");
  });

  test("without a proxy, the same connection failure is the index's", async () => {
    const e = await explainInstallFailure(PROXY_DOWN, ["uv", "pip", "install", "six"], { settings, env: {}, probe: false });
    expect(e.message).toBe("package index https://pypi.org/simple cannot be reached");
  });
});
