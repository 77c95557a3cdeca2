/**
 * The other registry settings reach the real uv 0.13.9 as dhtl writes them:
 *  - trusted hosts (UV_INSECURE_HOST): an HTTPS index on 127.0.0.1 with a certificate from a
 *    CA nobody trusts works only when its host is trusted; without it the TLS failure is
 *    explained;
 *  - find-links with --no-index (UV_FIND_LINKS, comma-separated; --no-index as a flag, uv has
 *    no variable for it): a wheel in
 *    the second of two directories is found with no index at all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { startPypiIndex, type PypiIndex } from "../helpers/pypi-index.ts";
import { makeTestCa } from "../helpers/tls.ts";
import { childEnv, discoverRegistries, explainIndexFailure, registryArgsForUv, registryEnvForUv, type RegistrySettings } from "../../src/registries/index.ts";

const repo = join(import.meta.dir, "..", "..");
const uvBin = join(repo, ".cache", "test-assets", "bin", "uv");
const wheel = join(repo, ".cache", "test-assets", "wheels", "iniconfig-2.0.0-py3-none-any.whl");
const python = ["3.11.7", "3.12.1", "3.10.13"].map((v) => join(homedir(), ".pyenv", "versions", v, "bin", "python3")).find(existsSync);
const missing = !existsSync(uvBin) || !existsSync(wheel) ? "uv binary or iniconfig wheel missing: run `bun scripts/fetch-test-assets.ts`" : !python ? "no pyenv CPython 3.10-3.12" : !Bun.which("openssl") ? "openssl missing" : undefined;
if (missing) console.warn(`skipping uv registry option tests: ${missing}`);

let work: string;
let plain: PypiIndex;
let tlsFront: ReturnType<typeof Bun.serve>;

function baseEnv(name: string): Record<string, string> {
  return { PATH: "/usr/bin:/bin", HOME: join(work, `home-${name}`), UV_CACHE_DIR: join(work, `cache-${name}`), UV_NO_CONFIG: "1", NO_COLOR: "1", UV_PYTHON_DOWNLOADS: "never" };
}

async function uvInstall(settings: RegistrySettings, name: string): Promise<{ code: number; out: string; venv: string }> {
  const env = childEnv(baseEnv(name), registryEnvForUv(settings));
  const venv = join(work, `venv-${name}`);
  const run = async (args: string[]) => {
    const p = Bun.spawn([uvBin, ...args], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 120_000 });
    const [o, e, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, out: `${o}\n${e}` };
  };
  await run(["venv", "--python", python!, venv]);
  return { ...(await run(["pip", "install", ...registryArgsForUv(settings), "--python", join(venv, "bin", "python"), "iniconfig==2.0.0"])), venv };
}

const installed = (venv: string) => readdirSync(join(venv, "lib")).some((py) => existsSync(join(venv, "lib", py, "site-packages", "iniconfig")));

describe.skipIf(Boolean(missing))("registry options reach the real uv", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "dhtl-uv-options-"));
    plain = await startPypiIndex({ projects: { iniconfig: [wheel] }, mode: "html" });
    const ca = makeTestCa("dhtl untrusted test CA");
    // An HTTPS front for the plain index, with a certificate no client trusts.
    tlsFront = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: ca.cert, key: ca.key },
      fetch: (req) => {
        const u = new URL(req.url);
        return fetch(`${plain.origin}${u.pathname}${u.search}`, { headers: req.headers });
      },
    });
  });
  afterAll(() => {
    tlsFront?.stop(true);
    plain?.stop();
  });

  test("an HTTPS index with an untrusted certificate fails with an explained TLS error, and works once its host is a trusted host", async () => {
    const url = `https://127.0.0.1:${tlsFront.port}/simple`;
    const untrusted = await discoverRegistries({ root: work, env: { PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" }, home: work, config: { registries: { index_url: url } }, project: { indexOptions: { extraIndexUrls: [], findLinks: [], trustedHosts: [] } } });
    const denied = await uvInstall(untrusted, "tls-denied");
    expect(denied.code).not.toBe(0);
    const e = explainIndexFailure(denied.out, untrusted)!;
    expect(e.message).toBe(`the certificate of package index ${url} is not trusted`);
    expect(e.hint).toContain(`registries.trusted_hosts: [127.0.0.1:${tlsFront.port}]`);

    const trusted = await discoverRegistries({ root: work, env: { PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" }, home: work, config: { registries: { index_url: url, trusted_hosts: [`127.0.0.1:${tlsFront.port}`] } }, project: { indexOptions: { extraIndexUrls: [], findLinks: [], trustedHosts: [] } } });
    expect(registryEnvForUv(trusted).UV_INSECURE_HOST).toBe(`127.0.0.1:${tlsFront.port}`);
    const ok = await uvInstall(trusted, "tls-trusted");
    expect(ok.code, ok.out).toBe(0);
    expect(installed(ok.venv)).toBe(true);
  }, 120_000);

  test("--no-index with two find-links directories: uv finds the wheel in the second one", async () => {
    const empty = mkdtempSync(join(tmpdir(), "dhtl-fl-empty-"));
    const wheels = mkdtempSync(join(tmpdir(), "dhtl-fl-wheels-"));
    copyFileSync(wheel, join(wheels, "iniconfig-2.0.0-py3-none-any.whl"));
    // As a requirements file would say it: --no-index, -f dir1, -f dir2.
    const settings = await discoverRegistries({
      root: work,
      env: { PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" },
      home: work,
      project: { indexOptions: { extraIndexUrls: [], findLinks: [empty, wheels], trustedHosts: [], noIndex: true, origins: { noIndex: "requirements.txt:1" } } },
    });
    expect(settings.noIndex).toBe(true);
    const env = registryEnvForUv(settings);
    expect([registryArgsForUv(settings), env.UV_FIND_LINKS, env.UV_DEFAULT_INDEX]).toEqual([["--no-index"], `${empty},${wheels}`, undefined]);
    const indexRequestsBefore = plain.count("/simple");
    const r = await uvInstall(settings, "find-links");
    expect(r.code, r.out).toBe(0);
    expect(installed(r.venv)).toBe(true);
    expect(plain.count("/simple")).toBe(indexRequestsBefore);
  }, 120_000);
});
