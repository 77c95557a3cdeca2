import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { explainInstallFailure, registrySettings } from "../../src/registries/index.ts";

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dir, "..", "fixtures", dir, name), "utf8");
const settings = (indexUrl: string) => registrySettings(indexUrl, { origins: { indexUrl: ".dhtconfig:2" } });

// A loopback index that wants a password, to prove the probe step for real.
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => (req.headers.get("authorization") === `Basic ${btoa("u:right")}` ? new Response("<html></html>") : new Response("no", { status: 401 })),
  });
});
afterAll(() => server.stop(true));

describe("explainInstallFailure picks the most certain explanation", () => {
  test("a build failure names the package, the system packages and the binary stand-in", async () => {
    const e = await explainInstallFailure(fixture("build-failures", "uv-psycopg2-no-pg-config.log"), ["uv", "pip", "install", "-r", "requirements.txt"], {
      settings: settings("https://pypi.org/simple"),
      env: {},
      facts: { os: "linux", packageManagers: ["apt"], root: true },
    });
    expect(e.message).toBe("installing psycopg2 2.9.9 failed: it could not be built from source");
    expect(e.hint).toContain("apt-get install -y libpq-dev");
    expect(e.hint).toContain("psycopg2-binary");
    expect(e.details).toMatchObject({ package: "psycopg2", cause: "missing-system-library" });
  });
  test("a build backend that cannot download Rust (maturin → rustup-init, real uv output) is not blamed on the package index", async () => {
    const e = await explainInstallFailure(fixture("build-failures", "uv-maturin-rustup-unreachable.log"), ["uv", "pip", "install", "/tmp/rustproj"], {
      settings: settings("https://pypi.org/simple"),
      env: {},
      facts: { os: "linux", packageManagers: ["apt"], root: false },
    });
    expect(e.message).toBe(
      "building rusty-add failed: its build backend tried to download https://static.rust-lang.org/rustup/dist/x86_64-unknown-linux-gnu/rustup-init, which cannot be reached (it needs Rust, none is on PATH, and it went to fetch one)",
    );
    expect(e.message).not.toContain("pypi.org");
    expect(e.hint).toContain("the package index is not at fault");
    expect(e.hint).toContain("Name or service not known");
    expect(e.details).toMatchObject({ cause: "build-download", buildCause: "missing-rust" });
  });
  test("a build hook that downloads without printing a URL (coherent.licensed's urlopen, real uv output) is the build's failure, not the index's", async () => {
    const e = await explainInstallFailure(fixture("build-failures", "uv-build-hook-download-no-url.log"), ["uv", "pip", "install", "-e", "/tmp/proj"], { settings: settings("https://pypi.org/simple"), env: {}, probe: false });
    expect(e.message).toBe("building zipp failed: its build backend tried to download something (from coherent/licensed/__init__.py) and the network could not reach it");
    expect(e.hint).toContain("the package index is not at fault");
    expect(e.details).toMatchObject({ cause: "build-download" });
  });
  test("the project itself failing to build from its checkout is not blamed on the Python: the missing generated source is named", async () => {
    const out = fixture("build-failures", "uv-msgpack-generated-source-missing.log");
    const ctx = { settings: settings("https://pypi.org/simple"), env: {}, facts: { os: "linux" as const, packageManagers: ["apt"], root: true }, pythonVersion: "3.13.0", probe: false };
    const own = await explainInstallFailure(out, ["uv", "pip", "install", "-e", "/p/msgpack-python"], { ...ctx, project: "msgpack" });
    expect(own.message).toBe("installing msgpack failed: it could not be built from source");
    expect(own.hint).toContain("msgpack is the project itself, built from this checkout");
    expect(own.hint).toContain("its build needs msgpack/_cmsgpack.c, which the checkout does not have");
    expect(own.hint).toContain("Cython generates it from msgpack/_cmsgpack.pyx");
    expect(own.hint).not.toContain("a release that predates it");
    // A dependency that fails the same way may well build in a newer release.
    const dep = await explainInstallFailure(out, ["uv", "pip", "install", "-e", "/p/other"], { ...ctx, project: "other" });
    expect(dep.hint).toContain("a release that predates it often does not build on it");
  });
  test("a build hook that downloads with urllib and names no URL (coherent.licensed, real uv output) is the build's download, not the index's", async () => {
    const e = await explainInstallFailure(fixture("build-failures", "uv-coherent-licensed-urlerror.log"), ["uv", "pip", "install", "-e", "/p/inflect"], { settings: settings("https://pypi.org/simple"), env: {}, probe: false });
    expect(e.message).toMatch(/^building inflect failed: its build backend tried to download something (\(from coherent\/licensed\/[^)]+\) )?and the network could not reach it$/);
    expect(e.message).not.toContain("pypi.org");
    expect(e.hint).toContain("the package index is not at fault");
    expect(e.details).toMatchObject({ cause: "build-download" });
  });
  test("a build whose requirements cannot be fetched from the index is still the index's failure", async () => {
    const out = "error: Failed to build `app @ file:///p`\n  cause: Failed to resolve requirements from `build-system.requires`\n  cause: Failed to fetch: `https://pypi.org/simple/maturin/`\n  cause: dns error: Name or service not known";
    const e = await explainInstallFailure(out, ["uv", "pip", "install", "/p"], { settings: settings("https://pypi.org/simple"), env: {}, probe: false });
    expect(e.message).toBe("package index https://pypi.org/simple cannot be reached");
  });
  test("a TLS failure in the output wins over everything else", async () => {
    const e = await explainInstallFailure(fixture("index-failures", "pip-tls-self-signed.log"), ["pip", "install", "psycopg2"], { settings: settings("https://pypi.org/simple"), env: {} });
    expect(e.message).toBe("the certificate of package index https://pypi.org/simple is not trusted");
  });
  test("'No matching distribution' hides a 401: the index is asked with the same credentials", async () => {
    const url = `http://127.0.0.1:${server.port}/simple`;
    const out = "ERROR: Could not find a version that satisfies the requirement six (from versions: none)\nERROR: No matching distribution found for six";
    const anonymous = await explainInstallFailure(out, ["pip", "install", "six"], { settings: settings(url), env: {} });
    expect(anonymous.message).toBe(`package index ${url} refused access (HTTP 401 Unauthorized)`);
    const wrong = await explainInstallFailure(out, ["pip", "install", "six"], { settings: settings(url), env: {}, creds: { [url]: { username: "u", password: "wrong-pw", source: "env IDX_PASS" } } });
    expect(wrong.hint).toContain("credentials from env IDX_PASS were rejected");
    // With working credentials the index is fine: the package really is not there, and the
    // error names it.
    const right = await explainInstallFailure(out, ["pip", "install", "six"], { settings: settings(url), env: {}, creds: { [url]: { username: "u", password: "right", source: "netrc" } } });
    expect(right.message).toBe("no installable version of six was found on the package indexes in use");
    expect(right.hint).toContain("No matching distribution found for six");
  });
  test("credential values never reach the message, hint or subject", async () => {
    const url = "https://pkgs.corp/simple";
    const out = "Looking in indexes: https://u:hunter2-pw@pkgs.corp/simple\nsomething odd happened with hunter2-pw";
    const e = await explainInstallFailure(out, ["pip", "install", "--index-url", "https://u:hunter2-pw@pkgs.corp/simple", "x"], { settings: settings(url), env: {}, creds: { [url]: { username: "u", password: "hunter2-pw", source: "url" } }, probe: false });
    expect(JSON.stringify(e.toJSON())).not.toContain("hunter2");
  });
});

describe("version-control dependencies", () => {
  test("a git fetch that fails in uv is blamed on the repository's host, not on the package index", async () => {
    const { explainInstallFailure, vcsFetchFailure } = await import("../../src/registries/install-failure.ts");
    // uv 0.13.9's output for celery 5.4.0's requirements/dev.txt with github.com unreachable (captured here).
    const out = [
      "   Updating https://github.com/celery/py-amqp.git (HEAD)",
      "error: Git operation failed",
      "  Caused by: failed to fetch into: /root/.cache/uv/git-v2/db/139307b9aa05b653",
      "  Caused by: process didn't exit successfully: `/usr/bin/git fetch --force --update-head-ok 'https://github.com/celery/py-amqp.git' '+HEAD:refs/remotes/origin/HEAD'` (exit status: 128)",
      "--- stderr",
      "fatal: unable to access 'https://github.com/celery/py-amqp.git/': Could not resolve host: github.com",
    ].join("\n");
    expect(vcsFetchFailure(out)).toEqual({ url: "https://github.com/celery/py-amqp.git", reason: "Could not resolve host: github.com" });
    const e = await explainInstallFailure(out, ["uv", "pip", "install"], { settings: registrySettings(), env: {}, probe: false });
    expect(e.message).toBe("a dependency from version control could not be fetched: https://github.com/celery/py-amqp.git");
    expect(e.hint).toContain("Could not resolve host: github.com");
  });
  test("pip's git clone failure, with a token in the URL, is named without the token", async () => {
    const { explainInstallFailure } = await import("../../src/registries/install-failure.ts");
    const out = "  Running command git clone --filter=blob:none --quiet 'https://x-token:ghp_SECRET123@git.corp/lib.git' /tmp/pip-req-build-1\n  fatal: unable to access 'https://x-token:ghp_SECRET123@git.corp/lib.git/': Failed to connect to git.corp port 443\n  error: subprocess-exited-with-error";
    const e = await explainInstallFailure(out, ["pip", "install"], { settings: registrySettings(), env: {}, probe: false });
    expect(e.message).toContain("git.corp/lib.git");
    expect(JSON.stringify(e.toJSON())).not.toContain("ghp_SECRET123");
  });
});

describe("an offline install that misses something in the cache", () => {
  const offlineCtx = { settings: settings("http://127.0.0.1:9/simple"), env: {}, offline: {} };
  test("uv sync --frozen (a file it would download): exit 3 naming the distribution and version", async () => {
    const e = await explainInstallFailure(fixture("offline-misses", "uv-sync-frozen.log"), ["uv", "sync", "--frozen"], offlineCtx);
    expect(e.code).toBe(3);
    expect(e.message).toBe("offline, and not in uv's cache: six==1.17.0");
    expect(e.hint).toContain("--offline-bundle FILE");
  });
  test("uv pip install (its resolver): exit 3 naming the package", async () => {
    const e = await explainInstallFailure(fixture("offline-misses", "uv-pip-install.log"), ["uv", "pip", "install", "six>=1.16"], offlineCtx);
    expect([e.code, e.message]).toEqual([3, "offline, and not in uv's cache: six"]);
  });
  test("pip with no index, from an offline bundle: exit 3 blaming the bundle", async () => {
    const e = await explainInstallFailure(fixture("offline-misses", "pip-no-index.log"), ["pip", "install", "six==1.16.0"], { ...offlineCtx, offline: { bundle: true } });
    expect([e.code, e.message]).toEqual([3, "offline, and not in the offline bundle: six==1.16.0"]);
    expect(e.hint).toContain("dhtl prepare-offline");
  });
  test("the same output from a connected install is not called a cache miss", async () => {
    const e = await explainInstallFailure(fixture("offline-misses", "pip-no-index.log"), ["pip", "install", "six==1.16.0"], { settings: settings("http://127.0.0.1:9/simple"), env: {}, probe: false });
    expect(e.code).toBe(1);
    expect(e.message).not.toContain("offline");
  });
});

describe("a resolution that fails on a conflict (real uv output, test/fixtures/install-conflicts)", () => {
  test("the package is the one uv names, never a word of its sentence ('Because only the following versions of pyflakes are available')", async () => {
    const { resolutionFailurePackage } = await import("../../src/registries/install-failure.ts");
    expect(resolutionFailurePackage(fixture("install-conflicts", "uv-flake8-pins-older-pyflakes.log"))).toBe("pyflakes");
    expect(resolutionFailurePackage(fixture("install-conflicts", "uv-flake8-isort-transitive.log"))).toBe("pyflakes");
    expect(resolutionFailurePackage("Because only six==1.16.0 is available and you require six>=2, we can conclude that your requirements are unsatisfiable.")).toBe("six");
    expect(resolutionFailurePackage("Because only the following versions of attrs are available:\n    attrs<21\n and you require attrs>=22")).toBe("attrs");
    // No pattern ever yields a sentence word.
    for (const line of ["Because only the most recent is available", "Because the was not found", "Because there is no version of the"]) {
      expect(["the", "most"]).not.toContain(resolutionFailurePackage(line) ?? "");
    }
  });
  test("the error says what conflicts with what instead of 'no installable version of the was found'", async () => {
    const e = await explainInstallFailure(fixture("install-conflicts", "uv-flake8-pins-older-pyflakes.log"), ["uv", "pip", "install", "flake8==6.1.0", "-e", "/p"], { settings: settings("https://pypi.org/simple"), env: {}, probe: false });
    expect(e.message).toBe("the requirements conflict: flake8==6.1.0 depends on pyflakes>=3.1.0,<3.2.0, and no version of pyflakes that satisfies it can be installed with the rest");
    expect(e.message).not.toContain(" the was ");
    expect(e.hint).not.toContain("version of the,");
    expect(e.details).toMatchObject({ package: "pyflakes", cause: "conflict" });
  });
});
