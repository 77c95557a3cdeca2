/**
 * An index certificate rejected behind a proxy: the explanation names the proxy that
 * re-signed it (and where it was set) and the CA files already in use, so the user knows the
 * fix is the proxy's CA, not the index. Output excerpt from the real uv 0.13.9 behind
 * mitmproxy (test/e2e/setup-mitm.test.ts reproduces it end to end).
 */
import { describe, expect, test } from "bun:test";
import { explainIndexFailure } from "../../src/registries/failure.ts";
import { registrySettings } from "../../src/registries/types.ts";

const UV_BEHIND_MITM = [
  "error: Failed to fetch: `https://127.0.0.1:37901/simple/six/`",
  "  cause: error sending request for url (https://127.0.0.1:37901/simple/six/)",
  "  cause: client error (Connect)",
  "  cause: invalid peer certificate: UnknownIssuer",
  "",
  "hint: Consider enabling use of system TLS certificates with the `--system-certs` command-line flag",
].join("\n");

const settings = registrySettings("https://127.0.0.1:37901/simple", { origins: { indexUrl: "env PIP_INDEX_URL" } });

describe("an untrusted index certificate behind a proxy", () => {
  test("names the proxy from HTTPS_PROXY (credentials hidden) and says to trust the proxy's CA", () => {
    const e = explainIndexFailure(UV_BEHIND_MITM, settings, undefined, { env: { HTTPS_PROXY: "http://bob:s3cret@proxy.corp:3128", NO_PROXY: "" } })!;
    expect(e.message).toBe("the certificate of package index https://127.0.0.1:37901/simple is not trusted (reached through proxy http://***@proxy.corp:3128/, env HTTPS_PROXY)");
    expect(e.hint).toContain("the proxy re-signs TLS with its own CA: set SSL_CERT_FILE (or proxy.ca_bundle in .dhtconfig)");
    expect(JSON.stringify(e.toJSON())).not.toContain("s3cret");
    expect(e.details).toMatchObject({ proxy: "http://***@proxy.corp:3128/", proxySource: "env HTTPS_PROXY" });
  });

  test("a proxy from .dhtconfig and a CA file already configured: both named, so the wrong CA file is spotted", () => {
    const e = explainIndexFailure(UV_BEHIND_MITM, settings, undefined, {
      env: {},
      net: { proxy: { https: "http://proxy.corp:3128", no_proxy: [] }, caBundle: "/etc/corp/old-ca.pem" },
    })!;
    expect(e.message).toContain("(reached through proxy http://proxy.corp:3128, config proxy.https)");
    expect(e.hint).toContain("the CA files in use (config proxy.ca_bundle=/etc/corp/old-ca.pem) do not include the one that signed it");
  });

  test("an index exempted by NO_PROXY is reached directly: no proxy is blamed, the generic CA advice stays", () => {
    const e = explainIndexFailure(UV_BEHIND_MITM, settings, undefined, { env: { HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: "127.0.0.1" } })!;
    expect(e.message).toBe("the certificate of package index https://127.0.0.1:37901/simple is not trusted");
    expect(e.hint).toContain("if a proxy re-signs TLS, point proxy.ca_bundle in .dhtconfig (or SSL_CERT_FILE)");
    expect(e.hint).toContain("registries.trusted_hosts: [127.0.0.1:37901]");
  });
});
