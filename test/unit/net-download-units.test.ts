import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { artifactLabel, backoffDelayMs, localSourcePath } from "../../src/net/download.ts";
import { caSources, extraCaCertificates, tlsOptionsFor } from "../../src/net/ca.ts";
import { classifyFetchError } from "../../src/net/http.ts";
import { createByteProgress, describeProgress } from "../../src/ui/progress.ts";
import { DhtError } from "../../src/errors.ts";

describe("retry backoff", () => {
  const policy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000 };
  test("doubles per attempt with jitter between half and all of the step", () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(250);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(500);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(1500);
  });
  test("never exceeds the cap", () => {
    for (let attempt = 1; attempt < 30; attempt++) expect(backoffDelayMs(attempt, policy, () => 0.999)).toBeLessThanOrEqual(8000);
  });
});

describe("download sources and labels", () => {
  test("file:// URLs and plain paths are local, http(s) is not, other schemes are refused", () => {
    expect(localSourcePath("file:///srv/a%2Bb.tar.gz")).toBe("/srv/a+b.tar.gz");
    expect(localSourcePath("/srv/x.tar.gz")).toBe("/srv/x.tar.gz");
    expect(localSourcePath("https://h/x")).toBeUndefined();
    expect(() => localSourcePath("ftp://h/x")).toThrow(DhtError);
    if (process.platform !== "win32") expect(() => localSourcePath("file://fileserver/share/x")).toThrow(/not a usable file URL/);
  });
  test("the label defaults to the decoded file name", () => {
    expect(artifactLabel({ url: "https://h/d/cpython-3.11.7%2B2024.tar.gz?token=x", sha256: "" })).toBe("cpython-3.11.7+2024.tar.gz");
  });
});

describe("fetch error classification", () => {
  test("Bun's error codes map to kinds", () => {
    expect(classifyFetchError({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" })).toBe("tls");
    expect(classifyFetchError({ code: "SELF_SIGNED_CERT_IN_CHAIN" })).toBe("tls");
    expect(classifyFetchError({ code: "ECONNREFUSED" })).toBe("refused");
    expect(classifyFetchError({ code: "ECONNRESET" })).toBe("reset");
    expect(classifyFetchError({ code: "ENOTFOUND" })).toBe("dns");
    expect(classifyFetchError({ name: "TimeoutError" })).toBe("timeout");
    expect(classifyFetchError({ code: "ERR_PROXY_TUNNEL", message: "Proxy refused to open a tunnel" })).toBe("proxy");
  });
});

describe("CA bundles", () => {
  const pem = (n: number) => `-----BEGIN CERTIFICATE-----\nMIIB${n}\n-----END CERTIFICATE-----`;
  test("sources are read from every variable and the config, in order", () => {
    const sources = caSources(
      { SSL_CERT_FILE: "/a.pem", SSL_CERT_DIR: "/d1:/d2", REQUESTS_CA_BUNDLE: "/r.pem", NODE_EXTRA_CA_CERTS: "/n.pem" },
      { caBundle: "/c.pem" },
    );
    expect(sources.map((s) => `${s.origin}=${s.path}`)).toEqual([
      "env SSL_CERT_FILE=/a.pem",
      "env SSL_CERT_DIR=/d1",
      "env SSL_CERT_DIR=/d2",
      "env REQUESTS_CA_BUNDLE=/r.pem",
      "env NODE_EXTRA_CA_CERTS=/n.pem",
      "config proxy.ca_bundle=/c.pem",
    ]);
  });
  test("certificates are deduplicated and added to the default roots (Bun's tls.ca replaces them)", () => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-ca-"));
    writeFileSync(join(dir, "one.pem"), `${pem(1)}\n${pem(2)}\n`);
    writeFileSync(join(dir, "two.crt"), pem(2));
    writeFileSync(join(dir, "notes.txt"), pem(3));
    expect(extraCaCertificates({ SSL_CERT_DIR: dir })).toEqual([pem(1), pem(2)]);
    const tls = tlsOptionsFor({ SSL_CERT_FILE: join(dir, "one.pem") });
    expect(tls!.ca.length).toBe(rootCertificates.length + 2);
    expect(tlsOptionsFor({})).toBeUndefined();
  });
  test("a file without certificates is a usage error naming the source", () => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-ca-"));
    writeFileSync(join(dir, "empty.pem"), "nothing here");
    expect(() => extraCaCertificates({}, { caBundle: join(dir, "empty.pem") })).toThrow(/config proxy\.ca_bundle points to .*contains no PEM certificate/);
  });
});

describe("progress display", () => {
  test("describeProgress shows percent, bytes, rate and ETA", () => {
    expect(describeProgress("py.tar.gz", 512 * 1024, 1024 * 1024, 1000)).toBe("py.tar.gz   50%  512 KiB / 1.0 MiB  512 KiB/s  ETA 0:01");
    expect(describeProgress("x", 2048, undefined, 2000)).toBe("x  2.0 KiB  1.0 KiB/s");
  });
  test("plain mode prints at most one line per quarter plus the final line", () => {
    const out: string[] = [];
    let t = 0;
    const p = createByteProgress({ mode: "plain", label: "f", total: 1000, stream: { write: (s) => out.push(s) }, now: () => t });
    for (let b = 10; b <= 1000; b += 10) {
      t += 1;
      p.update(b);
    }
    p.done();
    expect(out.length).toBe(4);
    expect(out.at(-1)).toMatch(/100%.*done\n$/);
  });
  test("a total learned later (Content-Length) enables percentages", () => {
    const out: string[] = [];
    const p = createByteProgress({ mode: "plain", label: "f", stream: { write: (s) => out.push(s) }, now: () => 0 });
    p.setTotal(200);
    p.update(100);
    expect(out.join("")).toContain(" 50%");
  });
  test("plain mode without a total prints every 10 s", () => {
    const out: string[] = [];
    let t = 0;
    const p = createByteProgress({ mode: "plain", label: "f", stream: { write: (s) => out.push(s) }, now: () => t });
    for (let i = 1; i <= 25; i++) {
      t = i * 1000;
      p.update(i * 100);
    }
    expect(out.length).toBe(2);
  });
  test("tty mode shortens a long label to fit the terminal, keeping the numbers", () => {
    const out: string[] = [];
    let t = 0;
    const stream = { write: (s: string) => out.push(s), isTTY: true, columns: 60 };
    const p = createByteProgress({ mode: "auto", label: "cpython-3.12.1+20240107-x86_64-unknown-linux-gnu-install_only.tar.gz", total: 100, stream, now: () => (t += 200) });
    p.update(50);
    const line = out[0]!.replace("\r\x1b[2K", "");
    expect(line.length).toBeLessThanOrEqual(59);
    expect(line).toContain("…");
    expect(line).toMatch(/ETA \d+:\d\d$/);
  });
  test("tty mode redraws one line in place on the stream; none prints nothing", () => {
    const out: string[] = [];
    let t = 0;
    const p = createByteProgress({ mode: "auto", label: "f", total: 100, stream: { write: (s) => out.push(s), isTTY: true }, now: () => (t += 200) });
    p.update(50);
    p.done();
    expect(out[0]).toStartWith("\r\x1b[2K");
    expect(out.at(-1)).toBe("\n");
    const silent: string[] = [];
    const q = createByteProgress({ mode: "none", label: "f", total: 100, stream: { write: (s) => silent.push(s) } });
    q.update(100);
    q.done();
    expect(silent).toEqual([]);
  });
});

describe("progress mode from the run context", () => {
  test("--quiet and --json silence progress; otherwise auto", async () => {
    const { progressModeFor } = await import("../../src/ui/progress.ts");
    expect(progressModeFor({ quiet: true, json: false })).toBe("none");
    expect(progressModeFor({ quiet: false, json: true })).toBe("none");
    expect(progressModeFor({ quiet: false, json: false })).toBe("auto");
  });
});

describe("network environment for child processes (uv, pip)", () => {
  test("config proxies fill gaps, env wins, NO_PROXY lists are merged", async () => {
    const { subprocessNetEnv } = await import("../../src/net/subprocess-env.ts");
    const home = mkdtempSync(join(tmpdir(), "dhtl-sub-"));
    const net = { proxy: { https: "http://cfg:3128", http: "http://cfg:3128", no_proxy: ["internal.test", "a.test"] } };
    const out = subprocessNetEnv({ https_proxy: "http://env:1", NO_PROXY: "a.test,localhost" }, net, home);
    expect(out.HTTPS_PROXY).toBeUndefined();
    expect(out.HTTP_PROXY).toBe("http://cfg:3128");
    expect(out.NO_PROXY).toBe("a.test,localhost,internal.test");
    expect(out.SSL_CERT_FILE).toBeUndefined();
  });
  test("extra CAs become one combined bundle (default roots + extras) for SSL_CERT_FILE, REQUESTS_CA_BUNDLE and PIP_CERT", async () => {
    const { subprocessNetEnv } = await import("../../src/net/subprocess-env.ts");
    const { readFileSync } = await import("node:fs");
    const home = mkdtempSync(join(tmpdir(), "dhtl-sub-"));
    const dir = mkdtempSync(join(tmpdir(), "dhtl-ca-"));
    const corp = `-----BEGIN CERTIFICATE-----\nMIIBcorp\n-----END CERTIFICATE-----`;
    writeFileSync(join(dir, "corp.pem"), corp);
    const out = subprocessNetEnv({}, { caBundle: join(dir, "corp.pem") }, home, []);
    expect(out.SSL_CERT_FILE).toStartWith(join(home, "cache", "ca"));
    expect(out.REQUESTS_CA_BUNDLE).toBe(out.SSL_CERT_FILE);
    expect(out.PIP_CERT).toBe(out.SSL_CERT_FILE);
    const bundle = readFileSync(out.SSL_CERT_FILE!, "utf8");
    expect(bundle).toContain(corp);
    expect(bundle.split("-----BEGIN CERTIFICATE-----").length - 1).toBe(rootCertificates.length + 1);
    // Same inputs, same file: nothing rewritten per run.
    expect(subprocessNetEnv({}, { caBundle: join(dir, "corp.pem") }, home, []).SSL_CERT_FILE).toBe(out.SSL_CERT_FILE);
  });
  test("the OS trust store joins the bundle (uv and OpenSSL read SSL_CERT_FILE instead of it), each certificate once however it is wrapped", async () => {
    const { subprocessNetEnv } = await import("../../src/net/subprocess-env.ts");
    const { readFileSync } = await import("node:fs");
    const home = mkdtempSync(join(tmpdir(), "dhtl-sub-"));
    const dir = mkdtempSync(join(tmpdir(), "dhtl-ca-"));
    const corp = `-----BEGIN CERTIFICATE-----\nMIIBcorp\n-----END CERTIFICATE-----`;
    const itInstalled = `-----BEGIN CERTIFICATE-----\nMIIBinstalledByIT\n-----END CERTIFICATE-----`;
    // A public root as the system store holds it, re-wrapped at 76 columns: still one entry.
    const rewrapped = rootCertificates[0]!.replace(/-----[A-Z ]+-----|\s+/g, "").match(/.{1,76}/g)!.join("\n");
    writeFileSync(join(dir, "corp.pem"), corp);
    writeFileSync(join(dir, "system.crt"), `${itInstalled}\n-----BEGIN CERTIFICATE-----\n${rewrapped}\n-----END CERTIFICATE-----\n`);
    const out = subprocessNetEnv({}, { caBundle: join(dir, "corp.pem") }, home, [join(dir, "absent.crt"), join(dir, "system.crt")]);
    const bundle = readFileSync(out.SSL_CERT_FILE!, "utf8");
    expect(bundle).toContain(itInstalled);
    expect(bundle).toContain(corp);
    expect(bundle.split("-----BEGIN CERTIFICATE-----").length - 1).toBe(rootCertificates.length + 2);
  });
});
