import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  childEnv,
  describeRegistries,
  discoverRegistries,
  explainIndexFailure,
  netrcLookup,
  parseIni,
  parseNetrc,
  pipConfigLocations,
  readPipFileOptions,
  registriesView,
  registryArgsForPip,
  registryArgsForUv,
  registryEnvForPip,
  registryEnvForUv,
  resolveCredentials,
  registrySettings,
  type RegistrySettings,
} from "../../src/registries/index.ts";
import { DhtError, ExitCode } from "../../src/errors.ts";

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dhtl-reg-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A machine: system root (etc/), home and project, all under one temp dir. */
function machine(files: Record<string, string>) {
  const dir = tree(files);
  return { dir, home: join(dir, "home"), root: join(dir, "project"), systemRoot: join(dir, "sys") };
}

const settings = (over: Partial<RegistrySettings> = {}): RegistrySettings => registrySettings("https://pypi.org/simple", { origins: { indexUrl: "default" }, ...over });

describe("pip configuration files", () => {
  test("every standard location, lowest priority first (Linux, XDG dirs, virtualenv, PIP_CONFIG_FILE)", () => {
    const locs = pipConfigLocations({ env: { XDG_CONFIG_DIRS: "/a:/b", XDG_CONFIG_HOME: "/h/cfg", VIRTUAL_ENV: "/venv", PIP_CONFIG_FILE: "/x/pip.conf" }, home: "/h", os: "linux" });
    expect(locs.map((l) => `${l.kind} ${l.path}`)).toEqual([
      "global /b/pip/pip.conf",
      "global /a/pip/pip.conf",
      "global /etc/pip.conf",
      "user /h/.pip/pip.conf",
      "user /h/cfg/pip/pip.conf",
      "site /venv/pip.conf",
      "env /x/pip.conf",
    ]);
  });
  test("Windows locations: %ProgramData% and %APPDATA% pip.ini", () => {
    const locs = pipConfigLocations({ env: { APPDATA: "C:/Users/u/AppData/Roaming", ProgramData: "C:/ProgramData" }, home: "C:/Users/u", os: "windows" });
    expect(locs.map((l) => l.path.replace(/\\/g, "/"))).toEqual(["C:/ProgramData/pip/pip.ini", "C:/Users/u/AppData/Roaming/pip/pip.ini"]);
  });
  test("INI parsing: sections, key spellings, continuation lines for several values", () => {
    const ini = parseIni("[global]\nindex_url = https://a/simple\nextra-index-url =\n    https://b/simple\n    https://c/simple\n; comment\n[install]\ntrusted-host: b\n", "pip.conf");
    expect(ini.global!["index-url"]!.value).toBe("https://a/simple");
    expect(ini.global!["extra-index-url"]!.value.trim().split(/\s+/)).toEqual(["https://b/simple", "https://c/simple"]);
    expect(ini.install!["trusted-host"]).toEqual({ value: "b", line: 8, lines: [8] });
  });
  test("a line that is not INI is an error naming file:line", () => {
    expect(() => parseIni("[global]\nthis is not ini\n", "/etc/pip.conf")).toThrow(expect.objectContaining({ subject: "/etc/pip.conf:2", code: ExitCode.usage }));
  });
  test("the user file overrides the site-wide one key by key, and [install] beats [global]", () => {
    const m = machine({
      "sys/etc/pip.conf": "[global]\nindex-url = https://global.example/simple\ntrusted-host = global.example\n",
      "home/.config/pip/pip.conf": "[global]\nindex-url = https://user.example/simple\n[install]\nindex-url = https://user-install.example/simple\nfind-links =\n  /opt/wheels\n  https://links.example/\n",
    });
    const { options, filesRead } = readPipFileOptions({ env: {}, home: m.home, os: "linux", systemRoot: m.systemRoot });
    expect(options.indexUrl).toEqual({ value: "https://user-install.example/simple", origin: `${m.home}/.config/pip/pip.conf:4` });
    expect(options.trustedHosts?.value).toEqual(["global.example"]);
    expect(options.findLinks?.value).toEqual(["/opt/wheels", "https://links.example/"]);
    expect(filesRead).toHaveLength(2);
  });
  test("PIP_CONFIG_FILE=/dev/null turns every file off", () => {
    const m = machine({ "sys/etc/pip.conf": "[global]\nindex-url = https://global.example/simple\n" });
    expect(readPipFileOptions({ env: { PIP_CONFIG_FILE: "/dev/null" }, home: m.home, os: "linux", systemRoot: m.systemRoot }).options).toEqual({});
  });
});

describe("discoverRegistries precedence and origins", () => {
  const files = {
    "sys/etc/pip.conf": "[global]\nindex-url = https://pipconf.example/simple\nextra-index-url = https://pipconf-extra.example/simple\n",
    "sys/etc/uv/uv.toml": 'index-url = "https://uv-system.example/simple"\n',
    "home/.config/uv/uv.toml": '[[index]]\nname = "user-default"\nurl = "https://uv-user.example/simple"\ndefault = true\n',
    "project/uv.toml": 'extra-index-url = ["https://uv-project.example/simple"]\nallow-insecure-host = ["uv-project.example"]\n',
    "project/pyproject.toml": '[project]\nname = "p"\nversion = "0"\n\n[tool.uv]\nindex-url = "https://pyproject.example/simple"\n\n[[tool.uv.index]]\nname = "torch"\nurl = "https://download.pytorch.org/whl/cpu"\n\n[[tool.uv.index]]\nname = "corp"\nurl = "https://corp.example/simple"\nexplicit = true\n\n[[tool.uv.index]]\nname = "flat"\nurl = "https://flat.example/links/"\nformat = "flat"\n',
    "project/requirements.txt": "-i https://reqs.example/simple\n--extra-index-url https://reqs-extra.example/simple\n--trusted-host reqs-extra.example\nsix\n",
  };
  const discover = (env: Record<string, string>, config?: object) => {
    const m = machine(files);
    return discoverRegistries({ root: m.root, env, home: m.home, os: "linux", systemRoot: m.systemRoot, ...(config ? { config } : {}) }).then((s) => ({ s, m }));
  };

  test("uv env wins over pip env, which wins over .dhtconfig, requirement files, pyproject, uv.toml and pip.conf", async () => {
    const { s } = await discover({ UV_INDEX_URL: "https://uv-env.example/simple", PIP_INDEX_URL: "https://pip-env.example/simple" }, { registries: { index_url: "https://dhtconfig.example/simple" } });
    expect(s.indexUrl).toBe("https://uv-env.example/simple");
    expect(s.origins.indexUrl).toBe("env UV_INDEX_URL");
  });
  test("each level in turn when the ones above are absent", async () => {
    expect((await discover({ PIP_INDEX_URL: "https://pip-env.example/simple" })).s.origins.indexUrl).toBe("env PIP_INDEX_URL");
    const cfg = (await discover({}, { registries: { index_url: "https://dhtconfig.example/simple" } })).s;
    expect([cfg.indexUrl, cfg.origins.indexUrl]).toEqual(["https://dhtconfig.example/simple", ".dhtconfig registries.index_url"]);
    const { s, m } = await discover({});
    // No env, no .dhtconfig: the requirements file's -i (read through readDeclaredProject needs config) is
    // not consulted without config, so pyproject [tool.uv] is next.
    expect([s.indexUrl, s.origins.indexUrl]).toEqual(["https://pyproject.example/simple", `${m.root}/pyproject.toml:6`]);
    const withReqs = (await discover({}, { registries: {} })).s;
    expect([withReqs.indexUrl, withReqs.origins.indexUrl]).toEqual(["https://reqs.example/simple", "requirements.txt:1"]);
  });
  test("extra indexes, trusted hosts and find-links are gathered from every level in precedence order, without duplicates", async () => {
    const { s, m } = await discover({ UV_INDEX: "envidx=https://uv-index.example/simple https://download.pytorch.org/whl/cpu", PIP_TRUSTED_HOST: "pip-env.example" }, { registries: {} });
    expect(s.extraIndexUrls).toEqual([
      "https://uv-index.example/simple",
      "https://download.pytorch.org/whl/cpu",
      "https://reqs-extra.example/simple",
      "https://uv-project.example/simple",
      "https://pipconf-extra.example/simple",
    ]);
    expect(s.origins["extraIndexUrls.1"]).toBe("env UV_INDEX");
    expect(s.origins["extraIndexUrls.2"]).toBe("requirements.txt:2");
    expect(s.origins["extraIndexUrls.3"]).toBe(`${m.root}/uv.toml:1`);
    expect(s.trustedHosts).toEqual(["pip-env.example", "reqs-extra.example", "uv-project.example"]);
    expect(s.findLinks).toEqual(["https://flat.example/links/"]);
    // Names survive (uv's [tool.uv.sources] refer to indexes by name); the first definition wins.
    expect(s.indexNames).toMatchObject({ "https://uv-index.example/simple": "envidx", "https://download.pytorch.org/whl/cpu": "torch" });
    expect(s.explicitIndexes.map((e) => e.name)).toEqual(["corp"]);
  });
  test("UV_DEFAULT_INDEX with a name, UV_NO_CONFIG and UV_CONFIG_FILE", async () => {
    const { s } = await discover({ UV_DEFAULT_INDEX: "mirror=https://mirror.example/simple" });
    expect(s.indexUrl).toBe("https://mirror.example/simple");
    expect(s.indexNames["https://mirror.example/simple"]).toBe("mirror");
    const m = machine(files);
    const noUvFiles = await discoverRegistries({ root: m.dir, env: { UV_NO_CONFIG: "1" }, home: m.home, os: "linux", systemRoot: m.systemRoot });
    expect(noUvFiles.indexUrl).toBe("https://pipconf.example/simple");
    const only = tree({ "only.toml": 'index-url = "https://only.example/simple"\n' });
    const viaFile = await discoverRegistries({ root: m.dir, env: { UV_CONFIG_FILE: join(only, "only.toml") }, home: m.home, os: "linux", systemRoot: m.systemRoot });
    expect([viaFile.indexUrl, viaFile.origins.indexUrl]).toEqual(["https://only.example/simple", `${join(only, "only.toml")}:1`]);
    await expect(discoverRegistries({ root: m.dir, env: { UV_CONFIG_FILE: "/nope/uv.toml" } })).rejects.toMatchObject({ subject: "env UV_CONFIG_FILE=/nope/uv.toml" });
  });
  test("extra indexes named in pip's vocabulary make uv search every index like pip does; uv's own keep uv's rule; UV_INDEX_STRATEGY wins", async () => {
    const onlyPip = machine({ "sys/etc/pip.conf": "[global]\nextra-index-url = file:///opt/pypi/simple\n" });
    const pipStyle = await discoverRegistries({ root: onlyPip.dir, env: {}, home: onlyPip.home, os: "linux", systemRoot: onlyPip.systemRoot });
    expect(pipStyle.indexStrategy).toBe("unsafe-best-match");
    expect(pipStyle.origins.indexStrategy).toContain("pip.conf");
    expect(registryEnvForUv(pipStyle).UV_INDEX_STRATEGY).toBe("unsafe-best-match");
    const onlyUv = machine({ "project/uv.toml": 'extra-index-url = ["https://uv-project.example/simple"]\n' });
    const uvStyle = await discoverRegistries({ root: onlyUv.root, env: {}, home: onlyUv.home, os: "linux", systemRoot: onlyUv.systemRoot });
    expect(uvStyle.extraIndexUrls).toEqual(["https://uv-project.example/simple"]);
    expect(uvStyle.indexStrategy).toBeUndefined();
    // The overlay removes an inherited value rather than passing a stale one through.
    expect("UV_INDEX_STRATEGY" in registryEnvForUv(uvStyle)).toBe(true);
    expect(registryEnvForUv(uvStyle).UV_INDEX_STRATEGY).toBeUndefined();
    const userChoice = await discoverRegistries({ root: onlyPip.dir, env: { UV_INDEX_STRATEGY: "first-index" }, home: onlyPip.home, os: "linux", systemRoot: onlyPip.systemRoot });
    expect([userChoice.indexStrategy, userChoice.origins.indexStrategy]).toEqual(["first-index", "env UV_INDEX_STRATEGY"]);
  });
  test("user uv.toml [[index]] default = true is used when the project says nothing", async () => {
    const m = machine(files);
    const s = await discoverRegistries({ root: m.dir, env: {}, home: m.home, os: "linux", systemRoot: m.systemRoot });
    expect([s.indexUrl, s.indexNames["https://uv-user.example/simple"]]).toEqual(["https://uv-user.example/simple", "user-default"]);
  });
  test("nothing configured anywhere: PyPI, origin default", async () => {
    const empty = tree({ "x": "" });
    const s = await discoverRegistries({ root: empty, env: { PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" }, home: empty });
    expect([s.indexUrl, s.origins.indexUrl, s.extraIndexUrls.length]).toEqual(["https://pypi.org/simple", "default", 0]);
  });
  test("${VAR} in a .dhtconfig index host is expanded; a missing one is a usage error naming the variable", async () => {
    const empty = tree({ "x": "" });
    const base = { root: empty, home: empty, os: "linux" as const };
    const s = await discoverRegistries({ ...base, env: { PIP_CONFIG_FILE: "/dev/null", ART_HOST: "art.corp" }, config: { registries: { index_url: "https://${ART_HOST}/api/pypi/simple" } } });
    expect(s.indexUrl).toBe("https://art.corp/api/pypi/simple");
    await expect(discoverRegistries({ ...base, env: { PIP_CONFIG_FILE: "/dev/null" }, config: { registries: { index_url: "https://${ART_HOST}/simple" } } })).rejects.toMatchObject({ subject: "env ART_HOST", code: ExitCode.usage });
  });
});

describe("netrc", () => {
  test("machine, default and macdef entries", () => {
    const entries = parseNetrc("machine pkgs.corp login alice password 's3'\n# comment\nmacdef init\ncd /pub\n\nmachine other.corp\n  login bob\n  password hunter2\ndefault login anon password guest\n");
    expect(netrcLookup(entries, "other.corp")).toMatchObject({ login: "bob", password: "hunter2" });
    expect(netrcLookup(entries, "PKGS.CORP")?.login).toBe("alice");
    expect(netrcLookup(entries, "elsewhere")).toMatchObject({ machine: null, login: "anon" });
  });
});

describe("credentials", () => {
  const corp = settings({ indexUrl: "https://pkgs.corp/simple", extraIndexUrls: ["https://pypi.org/simple"] });

  test("URL-embedded ${VAR} references are resolved from the environment", async () => {
    const s = settings({ indexUrl: "https://${ART_USER}:${ART_TOKEN}@art.corp/simple" });
    const c = await resolveCredentials(s, { env: { ART_USER: "alice", ART_TOKEN: "t0k" } });
    expect(c[s.indexUrl]).toEqual({ username: "alice", password: "t0k", source: "url" });
    await expect(resolveCredentials(s, { env: { ART_USER: "alice" } })).rejects.toMatchObject({ subject: "env ART_TOKEN", code: ExitCode.usage });
  });
  test("registries.credentials username_env/password_env name the variables; public PyPI gets none", async () => {
    const s = { ...corp, credentialsConfig: { source: "env" as const, username_env: "IDX_USER", password_env: "IDX_PASS" } };
    const c = await resolveCredentials(s, { env: { IDX_USER: "bob", IDX_PASS: "pw" } });
    expect(c).toEqual({ "https://pkgs.corp/simple": { username: "bob", password: "pw", source: "env IDX_USER/IDX_PASS" } });
    const e = (await resolveCredentials(s, { env: { IDX_USER: "bob" } }).catch((x) => x)) as DhtError;
    expect([e.subject, e.code]).toEqual(["env IDX_PASS", ExitCode.usage]);
    expect(e.hint).toContain("export IDX_PASS=");
  });
  test("the default source (env with no variables named) falls back to netrc", async () => {
    const home = tree({ ".netrc": "machine pkgs.corp login carol password fromnetrc\n" });
    const c = await resolveCredentials({ ...corp, credentialsConfig: { source: "env" } }, { env: {}, home });
    expect(c["https://pkgs.corp/simple"]).toEqual({ username: "carol", password: "fromnetrc", source: `netrc ${home}/.netrc` });
  });
  test("source netrc with no entry for the host is an error telling what to add; NETRC points elsewhere", async () => {
    const dir = tree({ "my-netrc": "machine other.host login x password y\n" });
    const e = (await resolveCredentials({ ...corp, credentialsConfig: { source: "netrc" } }, { env: { NETRC: join(dir, "my-netrc") } }).catch((x) => x)) as DhtError;
    expect(e.message).toContain("no netrc entry for pkgs.corp");
    expect(e.hint).toContain("machine pkgs.corp login USER password TOKEN");
  });
  test("source keyring runs `keyring get <url> <user>` without a terminal", async () => {
    const dir = tree({ keyring: '#!/bin/sh\n[ "$1" = get ] && [ "$2" = "https://pkgs.corp/simple" ] && [ "$3" = dave ] && { echo "kr-secret"; exit 0; }\nexit 1\n' });
    chmodSync(join(dir, "keyring"), 0o755);
    const c = await resolveCredentials({ ...corp, credentialsConfig: { source: "keyring", username_env: "KR_USER" } }, { env: { KR_USER: "dave", PATH: dir } });
    expect(c["https://pkgs.corp/simple"]).toEqual({ username: "dave", password: "kr-secret", source: "keyring" });
  });
  test("a keyring that hangs is stopped by the timeout with a clear error", async () => {
    const dir = tree({ keyring: "#!/bin/sh\nexec /bin/sleep 30\n" });
    chmodSync(join(dir, "keyring"), 0o755);
    const started = Date.now();
    const e = (await resolveCredentials({ ...corp, credentialsConfig: { source: "keyring", username_env: "KR_USER" } }, { env: { KR_USER: "dave", PATH: dir }, keyringTimeoutMs: 300 }).catch((x) => x)) as DhtError;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.message).toContain("keyring did not answer");
  });
  test("source keyring without the keyring command says how to get it", async () => {
    const e = (await resolveCredentials({ ...corp, credentialsConfig: { source: "keyring", username_env: "U" } }, { env: { U: "x", PATH: "/nonexistent" } }).catch((x) => x)) as DhtError;
    expect([e.code, e.subject]).toEqual([ExitCode.unsatisfiable, "registries.credentials.source"]);
  });
});

describe("passing indexes to uv and pip", () => {
  const s = settings({
    indexUrl: "https://pkgs.corp/simple",
    extraIndexUrls: ["https://download.pytorch.org/whl/cpu", "https://other.corp/simple"],
    trustedHosts: ["other.corp"],
    findLinks: ["/opt/wheels", "https://links.corp/wheels/"],
    indexNames: { "https://download.pytorch.org/whl/cpu": "pytorch" },
    explicitIndexes: [{ name: "internal", url: "https://internal.corp/simple", explicit: true, origin: "pyproject.toml:12" }],
  });
  const creds = {
    "https://pkgs.corp/simple": { username: "alice", password: "p@ss word", source: "env X" },
    "https://internal.corp/simple": { username: "svc", password: "int-secret", source: "netrc" },
  };

  test("uv: named indexes with UV_INDEX_<NAME>_USERNAME/PASSWORD, conflicting variables removed", () => {
    const env = registryEnvForUv(s, creds);
    expect(env.UV_DEFAULT_INDEX).toBe("dht-index-1=https://pkgs.corp/simple");
    expect(env.UV_INDEX).toBe("pytorch=https://download.pytorch.org/whl/cpu https://other.corp/simple");
    expect(env.UV_INDEX_DHT_INDEX_1_USERNAME).toBe("alice");
    expect(env.UV_INDEX_DHT_INDEX_1_PASSWORD).toBe("p@ss word");
    expect(env.UV_INDEX_INTERNAL_PASSWORD).toBe("int-secret");
    expect(env.UV_INSECURE_HOST).toBe("other.corp");
    expect(env.UV_FIND_LINKS).toBe("/opt/wheels,https://links.corp/wheels/");
    expect("UV_INDEX_URL" in env && env.UV_INDEX_URL === undefined).toBe(true);
    const child = childEnv({ UV_INDEX_URL: "https://old/simple", HOME: "/h" }, env);
    expect(child.UV_INDEX_URL).toBeUndefined();
    expect(child.HOME).toBe("/h");
  });
  test("pip: credentials percent-encoded into the URLs of the child environment only", () => {
    const env = registryEnvForPip(s, creds);
    expect(env.PIP_INDEX_URL).toBe("https://alice:p%40ss%20word@pkgs.corp/simple");
    expect(env.PIP_EXTRA_INDEX_URL).toBe("https://download.pytorch.org/whl/cpu https://other.corp/simple");
    expect(env.PIP_TRUSTED_HOST).toBe("other.corp");
    expect(env.PIP_FIND_LINKS).toBe("/opt/wheels https://links.corp/wheels/");
  });
  test("pip command-line flags never carry credentials (a command line is visible in ps)", () => {
    const args = registryArgsForPip({ ...s, indexUrl: "https://u:secret@pkgs.corp/simple" });
    expect(args.slice(0, 2)).toEqual(["--index-url", "https://pkgs.corp/simple"]);
    expect(args.join(" ")).not.toContain("secret");
  });
  test("--no-index goes to uv as a flag (uv has no variable for it) and to pip as PIP_NO_INDEX", () => {
    expect(registryArgsForUv({ ...s, noIndex: true })).toEqual(["--no-index"]);
    expect(registryArgsForUv(s)).toEqual([]);
    expect(registryEnvForUv({ ...s, noIndex: true }).UV_DEFAULT_INDEX).toBeUndefined();
    expect(registryEnvForPip({ ...s, noIndex: true }).PIP_NO_INDEX).toBe("1");
  });
});

describe("describe and explain never show a secret", () => {
  const s = settings({ indexUrl: "https://alice:hunter2-secret@pkgs.corp/simple?token=tok-secret", extraIndexUrls: ["https://x.corp/simple"], origins: { indexUrl: "env PIP_INDEX_URL", "extraIndexUrls.0": "requirements.txt:2" } });
  const creds = { [s.indexUrl]: { username: "alice", password: "hunter2-secret", source: "netrc /home/a/.netrc" } };

  test("describeRegistries shows URLs redacted with their origin and the credentials' source", () => {
    const text = describeRegistries(s, creds).join("\n");
    expect(text).toContain("https://***@pkgs.corp/simple?token=***");
    expect(text).toContain("(env PIP_INDEX_URL; credentials: netrc /home/a/.netrc)");
    expect(text).toContain("extra index   https://x.corp/simple  (requirements.txt:2)");
    expect(text).not.toContain("hunter2");
    expect(JSON.stringify(registriesView(s, creds))).not.toContain("secret");
  });
  test("a 401 from uv becomes an error naming the index and how to give credentials", () => {
    const out = "error: Failed to fetch: `http://127.0.0.1:4040/simple/iniconfig/`\n  Caused by: HTTP status client error (401 Unauthorized) for url (http://127.0.0.1:4040/simple/iniconfig/)";
    const e = explainIndexFailure(out, settings({ indexUrl: "http://127.0.0.1:4040/simple" }))!;
    expect(e.code).toBe(ExitCode.failed);
    expect(e.message).toBe("package index http://127.0.0.1:4040/simple refused access (HTTP 401 Unauthorized)");
    expect(e.hint).toContain("registries.credentials.username_env");
    expect(e.hint).toContain("machine 127.0.0.1 login USER password TOKEN");
  });
  test("with credentials given, a 401 says they were rejected (from where) and never repeats them", () => {
    const out = "WARNING: 401 Error, Credentials not correct for https://alice:hunter2-secret@pkgs.corp/simple/six/\nhunter2-secret";
    const e = explainIndexFailure(out, s, creds)!;
    expect(e.hint).toContain("rejected");
    expect(JSON.stringify(e.toJSON())).not.toContain("hunter2");
    expect(JSON.stringify(e.toJSON())).not.toContain("tok-secret");
  });
  test("a real pip TLS failure behind an intercepting proxy is explained with the CA fix", () => {
    const log = readFileSync(join(import.meta.dir, "..", "fixtures", "index-failures", "pip-tls-self-signed.log"), "utf8");
    const e = explainIndexFailure(log, settings())!;
    expect(e.message).toBe("the certificate of package index https://pypi.org/simple is not trusted");
    expect(e.hint).toContain("proxy.ca_bundle");
  });
  test("connection refused names the index and its origin; unrelated failures are not claimed", () => {
    const e = explainIndexFailure("error: Request failed after 3 retries\n  Caused by: tcp connect error: Connection refused (os error 111)", settings({ indexUrl: "https://m.corp/simple", origins: { indexUrl: "/etc/pip.conf:2" } }))!;
    expect(e.message).toBe("package index https://m.corp/simple cannot be reached");
    expect(e.hint).toContain("/etc/pip.conf:2");
    expect(explainIndexFailure("error: Failed to build `psycopg2==2.9.9`", settings())).toBeUndefined();
  });
});

test("status numbers count only next to their words (a 401 kB download is not a refusal)", () => {
  expect(explainIndexFailure("  Downloading foo-1.0.tar.gz (401 kB)\nerror: Failed to build `foo==1.0`", settings())).toBeUndefined();
  expect(explainIndexFailure("hint: An index (https://m.corp/simple) returned a 403 Forbidden error.", settings({ indexUrl: "https://m.corp/simple" }))?.message).toBe("package index https://m.corp/simple refused access (HTTP 403 Forbidden)");
});

test("a user name in the URL with the password from netrc for that user", async () => {
  const home = tree({ ".netrc": "machine pkgs.corp login svc password from-netrc\n" });
  const s = settings({ indexUrl: "https://svc@pkgs.corp/simple" });
  expect((await resolveCredentials(s, { env: {}, home }))[s.indexUrl]).toEqual({ username: "svc", password: "from-netrc", source: `netrc ${home}/.netrc` });
  const other = settings({ indexUrl: "https://someone-else@pkgs.corp/simple" });
  expect(await resolveCredentials(other, { env: {}, home })).toEqual({});
});

test("the pep621-groups fixture project: [tool.uv] index, named extra index, explicit index kept for credentials only", async () => {
  const root = join(import.meta.dir, "..", "fixtures", "projects", "pep621-groups");
  const s = await discoverRegistries({ root, env: { PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" }, config: { registries: {} } });
  expect([s.indexUrl, s.origins.indexUrl]).toEqual(["https://mirror.acme.example/simple", `${root}/pyproject.toml:25`]);
  expect(s.extraIndexUrls).toEqual(["https://download.pytorch.org/whl/cpu"]);
  expect(s.explicitIndexes.map((e) => `${e.name} ${e.url}`)).toEqual(["acme-internal https://pkgs.acme.example/simple"]);
  const lines = describeRegistries(s);
  expect(lines[0]).toBe(`index         https://mirror.acme.example/simple  (${root}/pyproject.toml:25)`);
  expect(registryEnvForUv(s).UV_INDEX).toBe("pytorch-cpu=https://download.pytorch.org/whl/cpu");
});

test("a Poetry source's POETRY_HTTP_BASIC_<NAME>_* variables give its credentials, and uv gets them under the same name", async () => {
  const root = join(import.meta.dir, "..", "fixtures", "projects", "poetry");
  const s = await discoverRegistries({ root, env: { PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" }, config: { registries: {} } });
  expect(s.indexUrl).toBe("https://nexus.corp.example/repository/pypi-all/simple");
  const creds = await resolveCredentials(s, { env: { POETRY_HTTP_BASIC_CORP_MIRROR_USERNAME: "ci", POETRY_HTTP_BASIC_CORP_MIRROR_PASSWORD: "pt", POETRY_HTTP_BASIC_CORP_PRIVATE_PASSWORD: "pp" }, home: "/nonexistent" });
  expect(creds[s.indexUrl]).toEqual({ username: "ci", password: "pt", source: "env POETRY_HTTP_BASIC_CORP_MIRROR_USERNAME/POETRY_HTTP_BASIC_CORP_MIRROR_PASSWORD" });
  const env = registryEnvForUv(s, creds);
  expect(env.UV_DEFAULT_INDEX).toBe("corp-mirror=https://nexus.corp.example/repository/pypi-all/simple");
  expect([env.UV_INDEX_CORP_MIRROR_USERNAME, env.UV_INDEX_CORP_MIRROR_PASSWORD, env.UV_INDEX_CORP_PRIVATE_PASSWORD]).toEqual(["ci", "pt", "pp"]);
});
