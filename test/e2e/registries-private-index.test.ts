/**
 * The private-index path for real: pypiserver with a password on 127.0.0.1, a real wheel
 * (iniconfig), the real uv 0.13.9 and a real pip. dhtl's discovery + credential resolution
 * + registryEnvForUv / registryEnvForPip must let them install; without credentials the
 * failure must become a clear 401 error; the password must never show up in what dhtl
 * prints or in any file under the test's directories.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pypiServerMissing, startPypiServer, type PypiServer } from "../helpers/pypiserver.ts";
import {
  checkIndexAccess,
  childEnv,
  describeRegistries,
  discoverRegistries,
  explainIndexFailure,
  registryEnvForPip,
  registryEnvForUv,
  resolveCredentials,
  type RegistryCredentials,
  type RegistrySettings,
} from "../../src/registries/index.ts";

const repo = join(import.meta.dir, "..", "..");
const uvBin = join(repo, ".cache", "test-assets", "bin", "uv");
const wheel = join(repo, ".cache", "test-assets", "wheels", "iniconfig-2.0.0-py3-none-any.whl");
const python = ["3.11.7", "3.12.1", "3.10.13"].map((v) => join(homedir(), ".pyenv", "versions", v, "bin", "python3")).find(existsSync);

const missing =
  pypiServerMissing() ??
  (existsSync(uvBin) ? undefined : `${uvBin} is missing: run \`bun scripts/fetch-test-assets.ts\``) ??
  (existsSync(wheel) ? undefined : `${wheel} is missing: run \`bun scripts/fetch-test-assets.ts\``) ??
  (python ? undefined : "no pyenv CPython 3.10-3.12 found");
if (missing) console.warn(`skipping private-index e2e tests: ${missing}`);

let server: PypiServer;
let work: string;
let settings: RegistrySettings;
const USER_VAR = "DHT_TEST_INDEX_USER";
const PASS_VAR = "DHT_TEST_INDEX_PASSWORD";

/** A clean environment for the installers: no user config, no proxies, a private HOME and cache. */
function baseEnv(name: string): Record<string, string> {
  const home = join(work, `home-${name}`);
  return { PATH: "/usr/bin:/bin", HOME: home, UV_CACHE_DIR: join(work, `uv-cache-${name}`), UV_NO_CONFIG: "1", PIP_CONFIG_FILE: "/dev/null", NO_COLOR: "1", UV_PYTHON_DOWNLOADS: "never" };
}

async function run(cmd: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 120_000 });
  const [o, e, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: `${o}\n${e}` };
}

/** Every file under `dir` whose content contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 50_000_000 && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

describe.skipIf(Boolean(missing))("private index with a password (pypiserver, real uv and pip)", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "dhtl-private-index-"));
    const wheels = mkdtempSync(join(tmpdir(), "dhtl-private-wheels-"));
    copyFileSync(wheel, join(wheels, "iniconfig-2.0.0-py3-none-any.whl"));
    server = await startPypiServer({ wheelsDir: wheels });
    // The index comes from .dhtconfig; the credentials from the variables it names.
    settings = await discoverRegistries({
      root: work,
      env: { PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" },
      home: work,
      config: { registries: { index_url: server.url, credentials: { source: "env", username_env: USER_VAR, password_env: PASS_VAR } } },
      configOrigins: { "registries.index_url": ".dhtconfig:3" },
      project: { indexOptions: { extraIndexUrls: [], findLinks: [], trustedHosts: [] } },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const goodCreds = () => resolveCredentials(settings, { env: { [USER_VAR]: server.username, [PASS_VAR]: server.password }, home: work });

  test("the index is discovered from .dhtconfig and credentials from the named environment variables", async () => {
    expect(settings.indexUrl).toBe(server.url);
    expect(settings.origins.indexUrl).toBe(".dhtconfig:3");
    const creds = await goodCreds();
    expect(creds[server.url]).toMatchObject({ username: server.username, source: `env ${USER_VAR}/${PASS_VAR}` });
  });

  test("real uv installs the wheel from the private index with the credentials dhtl passes", async () => {
    const creds = await goodCreds();
    const env = childEnv(baseEnv("uv-ok"), registryEnvForUv(settings, creds));
    const venv = join(work, "venv-uv-ok");
    expect((await run([uvBin, "venv", "--python", python!, venv], env)).code).toBe(0);
    const r = await run([uvBin, "pip", "install", "--python", join(venv, "bin", "python"), "iniconfig==2.0.0"], env);
    expect(r.code, r.out).toBe(0);
    expect(readdirSync(join(venv, "lib")).some((py) => existsSync(join(venv, "lib", py, "site-packages", "iniconfig")))).toBe(true);
    expect(r.out).not.toContain(server.password);
  }, 120_000);

  test("without credentials uv fails and the failure becomes a clear 401 error naming the index and the fix", async () => {
    const env = childEnv(baseEnv("uv-401"), registryEnvForUv(settings, {}));
    const venv = join(work, "venv-uv-401");
    await run([uvBin, "venv", "--python", python!, venv], env);
    const r = await run([uvBin, "pip", "install", "--python", join(venv, "bin", "python"), "iniconfig==2.0.0"], env);
    expect(r.code).not.toBe(0);
    const e = explainIndexFailure(r.out, settings)!;
    expect(e).toBeDefined();
    expect(e.message).toBe(`package index ${server.url} refused access (HTTP 401 Unauthorized)`);
    expect(e.subject).toBe(server.url);
    expect(e.hint).toContain("registries.credentials.username_env");
    expect(e.hint).toContain("~/.netrc");
  }, 120_000);

  test("with a wrong password the error says the credentials from their source were rejected", async () => {
    const wrong: RegistryCredentials = { [server.url]: { username: server.username, password: "not-the-password", source: `env ${PASS_VAR}` } };
    const env = childEnv(baseEnv("uv-wrong"), registryEnvForUv(settings, wrong));
    const venv = join(work, "venv-uv-wrong");
    await run([uvBin, "venv", "--python", python!, venv], env);
    const r = await run([uvBin, "pip", "install", "--python", join(venv, "bin", "python"), "iniconfig==2.0.0"], env);
    expect(r.code).not.toBe(0);
    const e = explainIndexFailure(r.out, settings, wrong)!;
    expect(e.hint).toContain(`credentials from env ${PASS_VAR} were rejected`);
    expect(JSON.stringify(e.toJSON())).not.toContain("not-the-password");
  }, 120_000);

  test("credentials from ~/.netrc (the default when no variables are named) let real uv install", async () => {
    const netrcHome = mkdtempSync(join(tmpdir(), "dhtl-netrc-home-"));
    writeFileSync(join(netrcHome, ".netrc"), `machine 127.0.0.1 login ${server.username} password ${server.password}\n`, { mode: 0o600 });
    const creds = await resolveCredentials({ ...settings, credentialsConfig: { source: "env" } }, { env: {}, home: netrcHome });
    expect(creds[server.url]?.source).toBe(`netrc ${join(netrcHome, ".netrc")}`);
    // The installer's own HOME has no netrc: the credentials can only come from dhtl.
    const env = childEnv(baseEnv("uv-netrc"), registryEnvForUv(settings, creds));
    const venv = join(work, "venv-uv-netrc");
    await run([uvBin, "venv", "--python", python!, venv], env);
    const r = await run([uvBin, "pip", "install", "--python", join(venv, "bin", "python"), "iniconfig==2.0.0"], env);
    expect(r.code, r.out).toBe(0);
  }, 120_000);

  test("real pip installs from the same settings through registryEnvForPip; without credentials it fails without a prompt and probing the index explains the 401", async () => {
    const venv = join(work, "venv-pip");
    expect((await run([python!, "-m", "venv", venv], baseEnv("pip"))).code).toBe(0);
    const pip = [join(venv, "bin", "python"), "-m", "pip", "install", "--disable-pip-version-check", "iniconfig==2.0.0"];
    const denied = await run(pip, childEnv(baseEnv("pip"), registryEnvForPip(settings, {})));
    expect(denied.code).not.toBe(0);
    // pip reports a 401 only as "No matching distribution": the output alone does not say why,
    // so the index is asked directly with the same (absent) credentials.
    expect(explainIndexFailure(denied.out, settings)).toBeUndefined();
    const probed = await checkIndexAccess(settings, {}, { env: {} });
    expect(probed?.message).toBe(`package index ${server.url} refused access (HTTP 401 Unauthorized)`);
    expect(await checkIndexAccess(settings, await goodCreds(), { env: {} })).toBeUndefined();
    const ok = await run(pip, childEnv(baseEnv("pip"), registryEnvForPip(settings, await goodCreds())));
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).not.toContain(server.password);
  }, 120_000);

  test("the password appears nowhere: not in describeRegistries, not in errors, not in any file under the test's directories", async () => {
    const creds = await goodCreds();
    const described = describeRegistries(settings, creds).join("\n");
    expect(described).toContain(server.url);
    expect(described).toContain(`credentials: env ${USER_VAR}/${PASS_VAR}`);
    expect(described).not.toContain(server.password);
    const e = explainIndexFailure(`401 Unauthorized for http://${server.username}:${server.password}@127.0.0.1:${server.port}/simple/iniconfig/`, settings, creds)!;
    expect(JSON.stringify({ m: e.message, h: e.hint, s: e.subject, d: e.details })).not.toContain(server.password);
    // venvs, uv caches, homes of every run above
    expect(filesContaining(work, server.password)).toEqual([]);
  });
});
