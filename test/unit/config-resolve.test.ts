import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DhtError } from "../../src/errors.ts";
import { environmentForDirectory, resolveConfig } from "../../src/config/resolve.ts";
import { findProjectRoot } from "../../src/config/project-root.ts";
import { envVarLayer, flagLayer, configFlagsFromArgs } from "../../src/config/overrides.ts";
import { redactConfig, showRows } from "../../src/config/show.ts";

/** A temporary project (a .git marks its root, so the walk never leaves it). */
function project(files: Record<string, string>, git = true): string {
  const root = mkdtempSync(join(tmpdir(), "dhtl-config-"));
  if (git) mkdirSync(join(root, ".git"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const MONOREPO = `version: 1
python:
  version: "3.11"
dependencies:
  files:
    - requirements.txt
    - requirements-dev.txt
  packages: [pytest]
  prefer_binary: true
env:
  APP_ENV: dev
environments:
  services/api:
    python: "3.12"
    dependencies:
      files: [requirements.txt]
    env:
      API_PORT: "8080"
  services/api/worker:
    python:
      venv: .worker-venv
`;

describe("config resolution order: defaults ← project files ← .dhtconfig ← environment ← DHT_* ← flags", () => {
  test("built-in defaults apply with origin 'default' when nothing is configured", async () => {
    const root = project({});
    const r = await resolveConfig({ cwd: root, env: {} });
    expect(r.config.python.venv).toBe(".venv");
    expect(r.config.dependencies.strategy).toBe("uv");
    expect(r.config.python.version).toBeUndefined();
    expect(r.origins["python.venv"]).toBe("default");
    expect(r.configFile).toBeUndefined();
    expect(r.projectRoot).toBe(root);
  });
  test("a project file (.python-version) sets python.version with its file:line", async () => {
    const root = project({ ".python-version": "# comment\n3.11.7\n" });
    const r = await resolveConfig({ cwd: root, env: {} });
    expect(r.config.python.version).toBe("3.11.7");
    expect(r.origins["python.version"]).toBe(".python-version:2");
  });
  test(".dhtconfig overrides project files and defaults, with .dhtconfig:line origins", async () => {
    const root = project({ ".python-version": "3.11.7\n", ".dhtconfig": "python:\n  version: '3.12'\n  venv: env\n" });
    const r = await resolveConfig({ cwd: root, env: {} });
    expect(r.config.python.version).toBe("3.12");
    expect(r.origins["python.version"]).toBe(".dhtconfig:2");
    expect(r.origins["python.venv"]).toBe(".dhtconfig:3");
    expect(r.configFile).toBe(join(root, ".dhtconfig"));
  });
  test("the environment entry overrides the top level; lists replace, mappings merge", async () => {
    const root = project({ ".dhtconfig": MONOREPO });
    const r = await resolveConfig({ cwd: join(root, "services/api"), env: {} });
    expect(r.environment).toEqual({ dir: "services/api", root: join(root, "services/api") });
    expect(r.config.python.version).toBe("3.12");
    expect(r.config.dependencies.files).toEqual(["requirements.txt"]);
    expect(r.config.dependencies.packages).toEqual(["pytest"]);
    expect(r.config.dependencies.prefer_binary).toBe(true);
    expect(r.config.env).toEqual({ APP_ENV: "dev", API_PORT: "8080" });
    expect(r.origins["python.version"]).toBe(".dhtconfig:14 environments.services/api");
    expect(r.origins["dependencies.files"]).toBe(".dhtconfig:16 environments.services/api");
    expect(r.origins["dependencies.packages"]).toBe(".dhtconfig:8");
    expect(r.origins["env.API_PORT"]).toBe(".dhtconfig:18 environments.services/api");
  });
  test("the nearest listed ancestor wins: a subdirectory of an environment uses that environment", async () => {
    const root = project({ ".dhtconfig": MONOREPO, "services/api/src/pkg/x.py": "" });
    expect((await resolveConfig({ cwd: join(root, "services/api/src/pkg"), env: {} })).environment?.dir).toBe("services/api");
    const worker = await resolveConfig({ cwd: join(root, "services/api/worker/jobs"), env: {} });
    expect(worker.environment?.dir).toBe("services/api/worker");
    // Only the nearest entry applies: the worker gets the top-level python version, not services/api's.
    expect(worker.config.python.version).toBe("3.11");
    expect(worker.config.python.venv).toBe(".worker-venv");
    expect((await resolveConfig({ cwd: join(root, "services"), env: {} })).environment).toBeUndefined();
  });
  test("environmentForDirectory ignores directories outside the project and normalises ./ and trailing /", () => {
    expect(environmentForDirectory(["./a/b/"], "/p", "/p/a/b/c")).toBe("./a/b/");
    expect(environmentForDirectory(["a"], "/p", "/other/a")).toBeUndefined();
    expect(environmentForDirectory(["a"], "/p", "/p")).toBeUndefined();
    expect(environmentForDirectory(["ab"], "/p", "/p/a/b")).toBeUndefined();
  });
  test("--env DIR picks an entry from the project root or relative to cwd; an unknown one is exit 2 with a suggestion", async () => {
    const root = project({ ".dhtconfig": MONOREPO });
    expect((await resolveConfig({ cwd: root, env: {}, envDir: "services/api" })).environment?.dir).toBe("services/api");
    expect((await resolveConfig({ cwd: join(root, "services"), env: {}, envDir: "api" })).environment?.dir).toBe("services/api");
    const error = await resolveConfig({ cwd: root, env: {}, envDir: "services/apu" }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.code).toBe(2);
    expect(error.hint).toContain("did you mean services/api?");
  });
  test("DHT_* variables override the environment entry, flags override the variables", async () => {
    const root = project({ ".dhtconfig": MONOREPO });
    const cwd = join(root, "services/api");
    const env = { DHT_PYTHON: "3.13", DHT_OFFLINE: "yes", DHT_EXTRA_INDEX_URLS: "https://a.example/simple https://b.example/simple" };
    const viaEnv = await resolveConfig({ cwd, env });
    expect(viaEnv.config.python.version).toBe("3.13");
    expect(viaEnv.origins["python.version"]).toBe("env DHT_PYTHON");
    expect(viaEnv.config.offline.enabled).toBe(true);
    expect(viaEnv.config.registries.extra_index_urls).toEqual(["https://a.example/simple", "https://b.example/simple"]);
    const viaFlag = await resolveConfig({ cwd, env, flags: { python: "3.10", offline: false, strict: true } });
    expect(viaFlag.config.python.version).toBe("3.10");
    expect(viaFlag.origins["python.version"]).toBe("flag --python");
    expect(viaFlag.config.offline.enabled).toBe(false);
    expect(viaFlag.origins["offline.enabled"]).toBe("flag --offline");
    expect(viaFlag.config.python.allow_patch_fallback).toBe(false);
    expect(viaFlag.origins["python.allow_patch_fallback"]).toBe("flag --strict");
  });
  test("an invalid .dhtconfig makes resolution fail with exit 2 naming file:line", async () => {
    const root = project({ ".dhtconfig": "python:\n  version: 3.1x\n" });
    const error = await resolveConfig({ cwd: root, env: {} }).catch((e) => e);
    expect(error.code).toBe(2);
    expect(error.message).toStartWith(".dhtconfig:2 python.version:");
  });
  test("unknown keys come back as warnings in file:line form", async () => {
    const root = project({ ".dhtconfig": "pyhton: '3.12'\n" });
    const r = await resolveConfig({ cwd: root, env: {} });
    expect(r.warnings).toEqual(['.dhtconfig:1 pyhton: unknown key, ignored; did you mean "python"?']);
  });
});

describe("DHT_* variables and flags", () => {
  test("every variable maps onto its documented path; empty ones count as unset", () => {
    const layer = envVarLayer({
      DHT_PYTHON: "cpython@3.12",
      DHT_VENV: ".v",
      DHT_INDEX_URL: "https://user:tok@idx.example/simple",
      DHT_PREFER_BINARY: "1",
      DHT_ISOLATE: "off",
      DHT_TRUSTED_HOSTS: "a.example, b.example",
      DHT_DEPS_STRATEGY: "pip",
      DHT_OFFLINE: "",
    });
    expect(layer.values).toEqual({
      python: { version: "cpython@3.12", venv: ".v" },
      dependencies: { strategy: "pip", prefer_binary: true },
      registries: { index_url: "https://user:tok@idx.example/simple", trusted_hosts: ["a.example", "b.example"] },
      isolation: { enabled: false },
    });
    expect(layer.origins["registries.index_url"]).toBe("env DHT_INDEX_URL");
  });
  test("a bad variable is exit 2 naming it, without echoing a URL that may hold a token", () => {
    const bad = (env: Record<string, string>) => {
      try {
        envVarLayer(env);
      } catch (e) {
        return e as DhtError;
      }
      throw new Error("accepted");
    };
    const e = bad({ DHT_PYTHON: "3.1x" });
    expect(e.code).toBe(2);
    expect(e.subject).toBe("env DHT_PYTHON");
    expect(bad({ DHT_OFFLINE: "maybe" }).message).toContain('expected true or false (1/0, yes/no, on/off), got "maybe"');
    expect(bad({ DHT_INDEX_URL: "user:secret@host" }).message).not.toContain("secret");
  });
  test("flags are checked and named with their --kebab-case name", () => {
    expect(() => flagLayer({ preferBinary: "x" as unknown as boolean })).toThrow("--prefer-binary: expected true or false");
    expect(flagLayer({ indexUrl: "https://i.example/simple" }).origins["registries.index_url"]).toBe("flag --index-url");
    expect(configFlagsFromArgs({ python: "3.12", offline: true, unrelated: 1, "prefer-binary": true })).toEqual({ python: "3.12", offline: true, preferBinary: true });
  });
});

describe("project root and config show", () => {
  test("the nearest .dhtconfig wins over a nearer pyproject.toml inside the repository", async () => {
    const root = project({ ".dhtconfig": "", "services/api/pyproject.toml": "[project]\nname='a'\n" });
    expect(await findProjectRoot(join(root, "services/api"))).toEqual({ root, configFile: join(root, ".dhtconfig") });
  });
  test("without a .dhtconfig the nearest pyproject.toml is the root; the walk stops at the repository root", async () => {
    const outer = project({ ".dhtconfig": "python: '3.12'\n" }, false);
    const repo = join(outer, "repo");
    mkdirSync(join(repo, ".git"), { recursive: true });
    mkdirSync(join(repo, "pkg", "src"), { recursive: true });
    writeFileSync(join(repo, "pkg", "pyproject.toml"), "[project]\nname='p'\n");
    expect(await findProjectRoot(join(repo, "pkg", "src"))).toEqual({ root: join(repo, "pkg") });
    expect(await findProjectRoot(repo)).toEqual({ root: repo });
  });
  test("show masks URL credentials and secret-looking env values, and lists every value with its origin", async () => {
    const root = project({ ".dhtconfig": "env:\n  API_TOKEN: abc\n  MODE: fast\n" });
    const r = await resolveConfig({ cwd: root, env: { DHT_INDEX_URL: "https://me:hunter2@idx.example/simple" } });
    const masked = redactConfig(r.config);
    expect(masked.registries.index_url).toBe("https://***@idx.example/simple");
    expect(masked.env).toEqual({ API_TOKEN: "***", MODE: "fast" });
    const rows = showRows(r);
    expect(JSON.stringify(rows)).not.toContain("hunter2");
    expect(rows).toContainEqual(["env.MODE", "fast", ".dhtconfig:3"]);
    expect(rows[0]![0]).toBe("version");
  });
});

describe("project facts in resolution", () => {
  test("an environment's own .python-version is used when nothing configures the version", async () => {
    const root = project({ ".dhtconfig": "environments:\n  svc:\n", "svc/.python-version": "3.10.13\n", ".python-version": "3.12\n" });
    const inEnv = await resolveConfig({ cwd: join(root, "svc"), env: {} });
    expect(inEnv.config.python.version).toBe("3.10.13");
    expect(inEnv.origins["python.version"]).toBe("svc/.python-version:1");
    expect((await resolveConfig({ cwd: root, env: {} })).origins["python.version"]).toBe(".python-version:1");
  });
  test("project files are not read when a layer states the version, so a broken pyproject.toml does not block", async () => {
    const root = project({ ".dhtconfig": "python: '3.12'\n", "pyproject.toml": "[project\n" });
    expect((await resolveConfig({ cwd: root, env: {} })).config.python.version).toBe("3.12");
    const bare = project({ "pyproject.toml": "[project\n" });
    expect((await resolveConfig({ cwd: bare, env: { DHT_PYTHON: "3.11" } })).config.python.version).toBe("3.11");
    const error = await resolveConfig({ cwd: bare, env: {} }).catch((e) => e);
    expect(error.code).toBe(2);
    expect(error.message).toStartWith("pyproject.toml:1:");
  });
});

describe("environments.default is the top level (the design's monorepo format)", () => {
  test("its settings apply in every environment and at the root, over the top level; it names no directory", async () => {
    const root = project({
      ".dhtconfig": 'version: "2.0"\npython: "3.10"\nenvironments:\n  default:\n    python: "3.11"\n    platform_deps: {linux: {apt: [redis-tools]}}\n  services/ml:\n    python: "3.12"\n',
      "services/ml/pyproject.toml": "",
    });
    const top = await resolveConfig({ cwd: root, env: {} });
    expect(top.config.python.version).toBe("3.11");
    expect(top.origins["python.version"]).toBe(".dhtconfig:5 environments.default");
    expect(Object.keys(top.config.environments)).toEqual(["services/ml"]);
    const ml = await resolveConfig({ cwd: join(root, "services/ml"), env: {} });
    expect(ml.config.python.version).toBe("3.12");
    expect(ml.config.platform_deps).toEqual({ linux: { apt: ["redis-tools"] } });
    await expect(resolveConfig({ cwd: root, env: {}, envDir: "default" })).rejects.toThrow("--env default: no such entry");
  });
});
