import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { dhtl, repoRoot, tempDir } from "../helpers/cli.ts";
import { generateFuzzCases } from "../fixtures/config/fuzz-inputs.ts";

const fixtures = join(repoRoot, "test", "fixtures", "config", "projects");

/** A copy of a fixture project in a temp dir, with .git so the root search stays inside. */
function copyFixture(name: string): string {
  const dir = join(tempDir("dhtl-config-e2e-"), name);
  cpSync(join(fixtures, name), dir, { recursive: true });
  mkdirSync(join(dir, ".git"), { recursive: true });
  return dir;
}

const env = () => ({ DHT_HOME: tempDir("dhtl-home-") });

describe("dhtl config show", () => {
  test("--json prints the resolved config and origins for the environment of the current directory", async () => {
    const root = copyFixture("monorepo");
    const r = await dhtl(["config", "show", "--json"], { cwd: join(root, "services", "api"), env: env() });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.projectRoot).toBe(root);
    expect(doc.environment).toEqual({ dir: "services/api", root: join(root, "services", "api") });
    expect(doc.config.python.version).toBe("3.12");
    expect(doc.config.dependencies.files).toEqual(["requirements.txt"]);
    expect(doc.config.dependencies.prefer_binary).toBe(true);
    expect(doc.origins["python.version"]).toBe(".dhtconfig:13 environments.services/api");
    expect(doc.origins["dependencies.prefer_binary"]).toBe(".dhtconfig:8");
    expect(doc.origins["python.venv"]).toBe("default");
  });
  test("--env DIR, DHT_* variables and their origins; credentials in DHT_INDEX_URL never reach stdout", async () => {
    const root = copyFixture("monorepo");
    const r = await dhtl(["config", "show", "--json", "--env", "services/ml-service"], {
      cwd: root,
      env: { ...env(), DHT_OFFLINE: "1", DHT_INDEX_URL: "https://bob:t0psecret@idx.example/simple" },
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.environment.dir).toBe("services/ml-service");
    expect(doc.config.dependencies.prefer_binary).toBe(false);
    expect(doc.config.offline.enabled).toBe(true);
    expect(doc.origins["offline.enabled"]).toBe("env DHT_OFFLINE");
    expect(doc.config.registries.index_url).toBe("https://***@idx.example/simple");
    expect(r.stdout + r.stderr).not.toContain("t0psecret");
  });
  test("the text table lists each setting with its value and origin", async () => {
    const root = copyFixture("pep621");
    const r = await dhtl(["config", "show"], { cwd: root, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^python\.version\s+>=3\.10,<3\.13\s+pyproject\.toml:8$/m);
    expect(r.stdout).toMatch(/^python\.venv\s+\.venv\s+default$/m);
  });
  test("an unknown --env is exit 2 with a suggestion", async () => {
    const root = copyFixture("monorepo");
    const r = await dhtl(["config", "show", "--env", "services/apii"], { cwd: root, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean services/api?");
  });
});

describe("dhtl config validate", () => {
  test("a valid file exits 0 and names its environments", async () => {
    const root = copyFixture("monorepo");
    const r = await dhtl(["config", "validate"], { cwd: root, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(".dhtconfig is valid, 2 environment(s): services/api, services/ml-service");
  });
  test("an invalid field exits 2 with file:line path: message, and --json carries the issues", async () => {
    const root = copyFixture("monorepo");
    const file = join(root, ".dhtconfig");
    writeFileSync(file, readFileSync(file, "utf8").replace('python: "3.12"', 'python: "3.1x"'));
    const r = await dhtl(["config", "validate"], { cwd: root, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: .dhtconfig:13 environments."services/api".python: expected a version like 3.11 or 3.11.7, a range like >=3.10,<3.13, or cpython@3.12, got "3.1x"',
    );
    const j = await dhtl(["config", "validate", "--json"], { cwd: root, env: env() });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.details.issues).toEqual([
      { file: ".dhtconfig", line: 13, path: 'environments."services/api".python', message: expect.stringContaining('got "3.1x"') },
    ]);
  });
  test("a YAML syntax error exits 2 naming file:line:column; from a subdirectory the path is relative", async () => {
    const root = copyFixture("monorepo");
    writeFileSync(join(root, ".dhtconfig"), "python:\n  version: '3.12'\n venv: x\n");
    const r = await dhtl(["config", "validate"], { cwd: join(root, "services", "api"), env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: ../../.dhtconfig:3:2: YAML syntax error");
  });
  test("unknown keys warn with the closest key (exit 0); --fail-on-warnings makes them exit 2", async () => {
    const root = copyFixture("empty");
    writeFileSync(join(root, ".dhtconfig"), "pyhton: '3.12'\n");
    const r = await dhtl(["config", "validate"], { cwd: root, env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('.dhtconfig:1 pyhton: unknown key, ignored; did you mean "python"?');
    expect((await dhtl(["config", "validate", "--fail-on-warnings"], { cwd: root, env: env() })).code).toBe(2);
  });
  test("an invalid DHT_* variable is reported by validate with exit 2", async () => {
    const root = copyFixture("monorepo");
    const r = await dhtl(["config", "validate"], { cwd: root, env: { ...env(), DHT_PREFER_BINARY: "perhaps" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environment variable DHT_PREFER_BINARY");
  });
  test("no .dhtconfig: exit 2 suggesting dhtl init", async () => {
    const root = copyFixture("empty");
    const r = await dhtl(["config", "validate"], { cwd: root, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("dhtl init");
  });
  test("malformed inputs through the binary: exit 2, one error message, no stack trace", async () => {
    const sample = generateFuzzCases().filter((c) => c.mustFail).filter((_, i) => i % 17 === 0);
    expect(sample.length).toBeGreaterThanOrEqual(12);
    const root = copyFixture("empty");
    for (const c of sample) {
      writeFileSync(join(root, ".dhtconfig"), c.source);
      const r = await dhtl(["config", "validate"], { cwd: root, env: env() });
      expect(r.code, c.name).toBe(2);
      expect(r.stderr, c.name).toStartWith("error: ");
      expect(r.stderr, c.name).not.toMatch(/^\s+at .+:\d+/m);
      expect(r.stderr, c.name).not.toContain("unexpected error");
    }
  });
});

describe("dhtl init", () => {
  test("writes a commented .dhtconfig from the project's files, and it validates", async () => {
    const root = copyFixture("requirements-dir");
    writeFileSync(join(root, ".python-version"), "3.11.7\n");
    const r = await dhtl(["init"], { cwd: root, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(root, ".dhtconfig"));
    const written = readFileSync(join(root, ".dhtconfig"), "utf8");
    expect(written).toContain('version: "3.11.7"');
    expect(written).toContain("strategy: requirements");
    expect(written).toContain('- "requirements/base.txt"');
    expect(written).toMatch(/^# /m);
    // No temporary files are left behind.
    expect(readdirSync(root).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const v = await dhtl(["config", "validate"], { cwd: root, env: env() });
    expect(v.code).toBe(0);
    const show = JSON.parse((await dhtl(["config", "show", "--json"], { cwd: root, env: env() })).stdout);
    expect(show.config.dependencies.files).toEqual(["requirements-dev.txt", "requirements.txt", "requirements/base.txt", "requirements/test.txt"]);
  });
  test("refuses to overwrite an existing .dhtconfig (exit 2 naming it) and leaves it unchanged; --force replaces it", async () => {
    const root = copyFixture("poetry");
    writeFileSync(join(root, ".dhtconfig"), "# mine\n");
    const r = await dhtl(["init"], { cwd: root, env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(root, ".dhtconfig")} already exists`);
    expect(r.stderr).toContain("--force");
    expect(readFileSync(join(root, ".dhtconfig"), "utf8")).toBe("# mine\n");
    const forced = await dhtl(["init", "--force"], { cwd: root, env: env() });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(root, ".dhtconfig"), "utf8")).toContain('version: ">=3.9,<4"');
  });
  test("--dry-run prints the file and writes nothing; --python overrides the detected version", async () => {
    const root = copyFixture("pep621");
    const r = await dhtl(["init", "--dry-run", "--python", "3.12"], { cwd: root, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('version: "3.12"');
    expect(r.stdout).toContain('- "uv.lock"');
    expect(existsSync(join(root, ".dhtconfig"))).toBe(false);
    const bad = await dhtl(["init", "--dry-run", "--python", "3.1x"], { cwd: root, env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--python");
  });
});

describe("dhtl init inside a configured repository", () => {
  test("warns that a .dhtconfig above now is shadowed, and still writes", async () => {
    const root = copyFixture("monorepo");
    const r = await dhtl(["init"], { cwd: join(root, "libs", "core"), env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${join(root, ".dhtconfig")} also configures this directory`);
    expect(existsSync(join(root, "libs", "core", ".dhtconfig"))).toBe(true);
  });
});
