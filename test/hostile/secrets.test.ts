/**
 * Hostile family "secrets": credentials in every place a URL or a value can carry one —
 * userinfo, path segments, query parameters, `.dhtconfig` env values — never reach a message,
 * a log line or `dhtl config show`.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactText, redactUrl } from "../../src/net/redact.ts";
import { fetchPage } from "../../src/net/api.ts";
import { downloadVerified } from "../../src/net/download.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { showRows } from "../../src/config/show.ts";

const SECRET = "S3cr3tT0kenXyZ9876abcDEF";
const TOKENS = [
  SECRET,
  "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
  "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
  "glpat-AbCdEf0123456789xyz",
  "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZjAx",
  "npm_AbCdEf0123456789AbCdEf0123456789",
  "AKIAIOSFODNN7EXAMPLE",
  "xoxb-123456789012-abcdefghijkl",
];
const QUERY_KEYS = ["token", "private_token", "private-token", "access-token", "access_token", "X-Api-Key", "api_key", "apikey", "auth", "authToken", "password", "passwd", "secret", "client_secret", "sig", "signature", "X-Amz-Signature", "X-Amz-Security-Token", "session_id", "jwt", "key"];

const urls: Array<[string, string, string]> = [];
for (const token of TOKENS) {
  urls.push([`userinfo user:${token}`, `https://user:${token}@pkgs.example.com/simple/`, token]);
  urls.push([`userinfo token only ${token.slice(0, 6)}…`, `https://${token}@pkgs.example.com/simple/`, token]);
  urls.push([`path segment ${token.slice(0, 6)}…`, `https://pypi.fury.io/${token}/acme/simple/`, token]);
  urls.push([`/t/<token>/ ${token.slice(0, 6)}…`, `https://pkgs.example.com/t/${token}/simple/six/`, token]);
}
for (const key of QUERY_KEYS) urls.push([`query ${key}=`, `https://gitlab.example.com/api/v4/projects/1/packages/pypi/simple?${key}=${SECRET}&page=2`, SECRET]);

describe("URLs with secrets are redacted wherever they are printed", () => {
  test.each(urls)("%s: redactUrl and redactText mask it", (_name, url, secret) => {
    expect(redactUrl(url)).not.toContain(secret);
    expect(redactText(`failed: ${url}, retrying`)).not.toContain(secret);
    expect(redactUrl(url)).toContain("***");
  });

  test("hashes, versions and names in paths are kept (only token-shaped segments go)", () => {
    const url = "https://files.pythonhosted.org/packages/4a/0b/8b6c1f3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5/six-1.17.0-py2.py3-none-any.whl";
    expect(redactUrl(url)).toBe(url);
    expect(redactUrl("https://github.com/astral-sh/python-build-standalone/releases/download/20240107/cpython-3.11.7+20240107-x86_64-unknown-linux-gnu-install_only.tar.gz")).not.toContain("***");
  });

  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = closed.port;
  closed.stop(true);
  test.each(urls.slice(0, 12))("%s: an unreachable index's error never carries it", async (_name, url, secret) => {
    const local = url.replace(/https:\/\/([^/]*@)?[^/]+/, (_m, info: string | undefined) => `http://${info ?? ""}127.0.0.1:${port}`);
    const error = await fetchPage(local, { env: { NO_PROXY: "127.0.0.1" }, retry: 0 }).catch((e) => e);
    expect(JSON.stringify({ message: error.message, subject: error.subject, hint: error.hint, details: error.details })).not.toContain(secret);
  });

  test.each(urls.slice(12, 24))("%s: a failed download's error never carries it", async (_name, url, secret) => {
    const local = url.replace(/https:\/\/([^/]*@)?[^/]+/, (_m, info: string | undefined) => `http://${info ?? ""}127.0.0.1:${port}`);
    const home = mkdtempSync(join(tmpdir(), "dhtl-secret-home-"));
    const error = await downloadVerified({ url: local, sha256: "0".repeat(64) }, { env: { NO_PROXY: "127.0.0.1" }, home, offline: false, progress: "none", retry: { attempts: 1 } }).catch((e) => e);
    expect(JSON.stringify({ message: error.message, subject: error.subject, hint: error.hint, details: error.details })).not.toContain(secret);
  });
});

describe("config show masks secret env values", () => {
  const env: Record<string, string> = {
    DB_PASS: "hunter2hunter2",
    GITHUB_PAT: "plainvaluewithoutshape",
    API_TOKEN: "abc",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    SSH_KEY: "keymaterial",
    SENTRY_DSN: "https://publickey@o0.ingest.sentry.io/0",
    DATABASE_URL: "postgres://app:Sup3rS3cretPw@db.internal:5432/app",
    REDIS_URL: "redis://:R3disPassw0rdXYZ@cache:6379/0",
    HOOK: `https://hooks.example.com/services/${SECRET}`,
    PLAIN_TOKENISH: "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    MESSAGE: "hello world",
  };
  test.each(Object.entries(env))("env %s never shows its secret", async (name, value) => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-secret-cfg-"));
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".dhtconfig"), `version: 1\npython: {version: "3.11"}\nenv:\n  ${name}: ${JSON.stringify(value)}\n`);
    const resolved = await resolveConfig({ cwd: dir, env: {} });
    const shown = showRows(resolved).map((r) => r.join(" ")).join("\n");
    const secretPart = name === "MESSAGE" ? undefined : /:\/\/[^@]*:([^@]+)@/.exec(value)?.[1] ?? (name === "HOOK" ? SECRET : name === "SENTRY_DSN" ? "publickey" : value);
    if (secretPart) expect(shown).not.toContain(secretPart);
    else expect(shown).toContain("hello world");
  });
});
