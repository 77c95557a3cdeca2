import { describe, expect, test } from "bun:test";
import { noProxyMatch, parseIp, parseNoProxy } from "../../src/net/no-proxy.ts";
import { selectProxy } from "../../src/net/proxy.ts";
import { DhtError } from "../../src/errors.ts";

const bypasses = (url: string, noProxy: string) => noProxyMatch(url, parseNoProxy(noProxy)) !== undefined;

describe("NO_PROXY matching", () => {
  test("a plain host matches itself and its subdomains, not look-alikes", () => {
    expect(bypasses("https://example.com/x", "example.com")).toBe(true);
    expect(bypasses("https://pypi.example.com/x", "example.com")).toBe(true);
    expect(bypasses("https://badexample.com/x", "example.com")).toBe(false);
  });
  test(".suffix and *.suffix match subdomains and the domain itself", () => {
    for (const rule of [".corp.local", "*.corp.local"]) {
      expect(bypasses("http://git.corp.local/", rule)).toBe(true);
      expect(bypasses("http://corp.local/", rule)).toBe(true);
      expect(bypasses("http://corp.localhost/", rule)).toBe(false);
    }
  });
  test("matching ignores case and a trailing dot", () => {
    expect(bypasses("https://PyPI.Example.COM./", "pypi.example.com")).toBe(true);
  });
  test("* bypasses everything", () => {
    expect(bypasses("https://anything.test/", "*")).toBe(true);
  });
  test("CIDR ranges match IP literals only", () => {
    expect(bypasses("http://10.1.2.3:8080/", "10.0.0.0/8")).toBe(true);
    expect(bypasses("http://11.1.2.3/", "10.0.0.0/8")).toBe(false);
    expect(bypasses("http://127.0.0.1:3000/", "127.0.0.0/8")).toBe(true);
    expect(bypasses("http://[fd00::5]/", "fd00::/8")).toBe(true);
    expect(bypasses("http://[fe80::1]/", "fd00::/8")).toBe(false);
    expect(bypasses("http://ten.example/", "10.0.0.0/8")).toBe(false);
  });
  test("host:port only matches that port (default ports included)", () => {
    expect(bypasses("http://mirror.local:8080/", "mirror.local:8080")).toBe(true);
    expect(bypasses("http://mirror.local:9090/", "mirror.local:8080")).toBe(false);
    expect(bypasses("https://mirror.local/", "mirror.local:443")).toBe(true);
    expect(bypasses("http://127.0.0.1:5000/", "127.0.0.1:5000")).toBe(true);
    expect(bypasses("http://[::1]:5000/", "[::1]:5000")).toBe(true);
  });
  test("loopback is proxied unless it is listed", () => {
    expect(bypasses("http://127.0.0.1:5000/", "example.com")).toBe(false);
    expect(bypasses("http://localhost:5000/", "")).toBe(false);
    expect(bypasses("http://[::1]/", "::1")).toBe(true);
    expect(bypasses("http://localhost:5000/", "localhost")).toBe(true);
  });
  test("an entry written as a URL is reduced to its host", () => {
    expect(bypasses("https://git.corp.test/x", "http://corp.test/")).toBe(true);
  });
  test("entries may be separated by commas and spaces; junk is ignored", () => {
    const rules = parseNoProxy(" a.test , b.test  c.test,,10.0.0.0/99,*.bad*glob");
    expect(rules.map((r) => r.raw)).toEqual(["a.test", "b.test", "c.test"]);
  });
  test("IPv6 parsing handles :: and embedded IPv4", () => {
    expect(parseIp("::1")).toEqual([...Array(15).fill(0), 1]);
    expect(parseIp("::ffff:10.0.0.1")?.slice(10)).toEqual([0xff, 0xff, 10, 0, 0, 1]);
    expect(parseIp("1::2::3")).toBeUndefined();
    expect(parseIp("example.com")).toBeUndefined();
  });
});

describe("proxy selection", () => {
  const url = "https://files.example.org/a.tar.gz";
  test("HTTPS_PROXY is used for https URLs and HTTP_PROXY for http URLs", () => {
    const env = { HTTPS_PROXY: "http://secure:3128", HTTP_PROXY: "http://plain:3128" };
    expect(selectProxy(url, env).proxy).toBe("http://secure:3128");
    expect(selectProxy("http://files.example.org/", env).proxy).toBe("http://plain:3128");
  });
  test("the lower-case variable wins over the upper-case one", () => {
    const choice = selectProxy(url, { HTTPS_PROXY: "http://upper:1", https_proxy: "http://lower:2" });
    expect(choice.proxy).toBe("http://lower:2");
    expect(choice.source).toBe("env https_proxy");
    expect(noProxyMatch(url, parseNoProxy("x"))).toBeUndefined();
    expect(selectProxy(url, { HTTPS_PROXY: "http://p:1", NO_PROXY: "example.org", no_proxy: "other.test" }).proxy).toBe("http://p:1");
  });
  test("an empty lower-case variable switches the proxy off", () => {
    expect(selectProxy(url, { HTTPS_PROXY: "http://upper:1", https_proxy: "" }).proxy).toBeUndefined();
  });
  test("ALL_PROXY is the fallback for both schemes", () => {
    expect(selectProxy(url, { ALL_PROXY: "http://all:8080" }).proxy).toBe("http://all:8080");
    expect(selectProxy("http://x.test/", { all_proxy: "http://all:8080" }).proxy).toBe("http://all:8080");
  });
  test("environment variables win over the config; config is used when env is silent", () => {
    const settings = { proxy: { https: "http://from-config:3128", no_proxy: ["internal.test"] } };
    expect(selectProxy(url, { HTTPS_PROXY: "http://env:1" }, settings).proxy).toBe("http://env:1");
    const fromConfig = selectProxy(url, {}, settings);
    expect(fromConfig.proxy).toBe("http://from-config:3128");
    expect(fromConfig.source).toBe("config proxy.https");
  });
  test("NO_PROXY from env and config both bypass", () => {
    const settings = { proxy: { https: "http://p:1", no_proxy: ["internal.test"] } };
    expect(selectProxy("https://pypi.internal.test/", { NO_PROXY: "other.test" }, settings)).toEqual({ source: "NO_PROXY entry internal.test" });
    expect(selectProxy("https://a.other.test/", { NO_PROXY: "other.test" }, settings).proxy).toBeUndefined();
  });
  test("a proxy without scheme gets http://", () => {
    expect(selectProxy(url, { HTTPS_PROXY: "proxy.corp:8080" }).proxy).toBe("http://proxy.corp:8080");
  });
  test("a proxy password is kept for fetch but never in the display form", () => {
    const choice = selectProxy(url, { HTTPS_PROXY: "http://alice:s3cret@proxy.corp:8080" });
    expect(choice.proxy).toContain("s3cret");
    expect(choice.display).toBe("http://***@proxy.corp:8080/");
  });
  test("a SOCKS proxy is refused with a clear usage error naming the variable", () => {
    let error: unknown;
    try {
      selectProxy(url, { ALL_PROXY: "socks5://user:pw@127.0.0.1:1080" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DhtError);
    expect((error as DhtError).code).toBe(2);
    expect((error as DhtError).message).toContain("env ALL_PROXY");
    expect((error as DhtError).message).not.toContain("pw");
  });
  test("no proxy configured means a direct connection", () => {
    expect(selectProxy(url, {}).proxy).toBeUndefined();
    expect(selectProxy("file:///tmp/x", { HTTPS_PROXY: "http://p:1" }).proxy).toBeUndefined();
  });
});
