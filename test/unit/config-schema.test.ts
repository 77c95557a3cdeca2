import { describe, expect, test } from "bun:test";
import { DhtError } from "../../src/errors.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile, loadConfigSource } from "../../src/config/load.ts";
import { isValidPythonRequest } from "../../src/config/python-request-syntax.ts";
import { locateYamlError } from "../../src/config/yaml-parse.ts";

/** The DhtError a source produces (fails the test when it loads). */
function errorOf(source: string): DhtError {
  try {
    loadConfigSource(source);
  } catch (error) {
    expect(error).toBeInstanceOf(DhtError);
    return error as DhtError;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be rejected`);
}

describe("config schema: valid files", () => {
  test("a file using every section loads with its values", () => {
    const loaded = loadConfigSource(`
version: 1
python: {version: ">=3.10,<3.13", implementation: cpython, venv: .venv, prompt: demo, allow_patch_fallback: false}
dependencies:
  strategy: requirements
  files: [requirements.txt]
  packages: ["numpy>=1.26"]
  lock_files: [uv.lock]
  extras: [dev]
  groups: [test]
  prefer_binary: true
platform_deps: {apt: [libpq-dev], brew: [libpq], windows: [vcredist]}
languages: {node: "20"}
registries:
  index_url: https://pypi.example.com/simple
  extra_index_urls: [https://mirror.example.com/simple]
  trusted_hosts: [pypi.example.com, "10.0.0.1:8080"]
  find_links: [./wheels]
  credentials: {source: env, username_env: INDEX_USER, password_env: INDEX_TOKEN}
proxy: {http: "http://proxy:3128", https: "http://proxy:3128", no_proxy: [localhost, .corp], ca_bundle: certs/corp.pem}
offline: {enabled: false, bundle: bundle.tar.gz, require_signature: true, verify_key: keys/pub.pem}
isolation: {enabled: true}
build: {command: make}
test: {command: pytest -q, runner: pytest}
env: {APP_ENV: dev}
environments:
  services/api: {python: "3.12", dependencies: {files: [api.txt]}}
`);
    expect(loaded.config.python?.version).toBe(">=3.10,<3.13");
    expect(loaded.config.registries?.credentials?.password_env).toBe("INDEX_TOKEN");
    expect(loaded.config.environments?.["services/api"]?.python?.version).toBe("3.12");
    expect(loaded.warnings).toEqual([]);
  });
  test("an empty file and a comment-only file are valid (all defaults)", () => {
    expect(loadConfigSource("").config).toEqual({});
    expect(loadConfigSource("# nothing yet\n").config).toEqual({});
  });
  test("shorthands expand: python string, offline/isolation booleans, build/test strings, single list values", () => {
    const { config } = loadConfigSource("python: '3.11'\noffline: true\nisolation: false\nbuild: make\ntest: pytest -x\ndependencies: {files: req.txt}\nproxy: {no_proxy: 'a, b'}\nplatform_deps: {apt: libpq-dev gcc}\n");
    expect(config.python).toEqual({ version: "3.11" });
    expect(config.offline).toEqual({ enabled: true });
    expect(config.isolation).toEqual({ enabled: false });
    expect(config.build).toEqual({ command: "make" });
    expect(config.test).toEqual({ command: "pytest -x" });
    expect(config.dependencies?.files).toEqual(["req.txt"]);
    expect(config.proxy?.no_proxy).toEqual(["a", "b"]);
    expect(config.platform_deps?.apt).toEqual(["libpq-dev", "gcc"]);
  });
  test("an unquoted 3.10 stays 3.10 (YAML would read the number 3.1)", () => {
    expect(loadConfigSource("python:\n  version: 3.10\n").config.python?.version).toBe("3.10");
    expect(loadConfigSource("python: 3.10\n").config.python?.version).toBe("3.10");
    expect(loadConfigSource("languages:\n  node: 20.10\nenv:\n  PORT: 8080\n").config.env?.PORT).toBe("8080");
  });
  test("an empty section is unset, and an environment with nothing below it uses the top level", () => {
    const { config } = loadConfigSource("python:\n  # version: '3.12'\nenvironments:\n  services/api:\n  services/web:\n");
    expect(config.python).toBeUndefined();
    expect(config.environments).toEqual({ "services/api": {}, "services/web": {} });
  });
  test("a UTF-8 byte order mark is accepted", () => {
    expect(loadConfigSource("\uFEFFpython: '3.12'\n").config.python?.version).toBe("3.12");
  });
});

describe("config schema: every invalid field is reported with file:line and path", () => {
  test("the issue's example message, exactly", () => {
    const src = "version: 1\n".repeat(1) + "\n".repeat(10) + "environments:\n  services/ml-service:\n    python: \"3.1x\"\n";
    const e = errorOf(src);
    expect(e.code).toBe(2);
    expect(e.message).toBe(
      '.dhtconfig:14 environments."services/ml-service".python: expected a version like 3.11 or 3.11.7, a range like >=3.10,<3.13, or cpython@3.12, got "3.1x"',
    );
    expect(e.subject).toBe(".dhtconfig:14");
  });
  test("several problems are all listed, in line order, and in details for --json", () => {
    const e = errorOf("dependencies:\n  strategy: poetry\n  files:\n    - ok.txt\n    - 12\nisolation: {enabled: maybe}\nversion: 3\n");
    expect(e.message).toContain(".dhtconfig has 4 problems:");
    expect(e.message).toContain('.dhtconfig:2 dependencies.strategy: expected one of uv, requirements, pip, got "poetry"');
    expect(e.message).toContain(".dhtconfig:5 dependencies.files[1]: expected text, got 12");
    expect(e.message).toContain('.dhtconfig:6 isolation.enabled: expected true or false, got "maybe"');
    expect(e.message).toContain('.dhtconfig:7 version: expected 1 or "2.0" (the configuration formats this dhtl reads), got "3"');
    const issues = (e.details as { issues: Array<{ line: number }> }).issues;
    expect(issues.map((i) => i.line)).toEqual([2, 5, 6, 7]);
  });
  test("wrong shapes name what was expected: a list where a mapping belongs, a mapping where text belongs", () => {
    expect(errorOf("python: [3.11]\n").message).toContain(".dhtconfig:1 python: expected a mapping (version, implementation, venv, prompt, allow_patch_fallback)");
    expect(errorOf("test:\n  command: {a: 1}\n").message).toBe(".dhtconfig:2 test.command: expected a command line, got a mapping");
    expect(errorOf("- a\n- b\n").message).toContain("expected a mapping of settings");
  });
  test("URLs with passwords in the file are rejected without echoing the secret", () => {
    const e = errorOf("registries:\n  index_url: https://user:s3cret@pypi.example.com/simple\n");
    expect(e.message).toContain(".dhtconfig:2 registries.index_url: contains a password or token");
    expect(e.message).not.toContain("s3cret");
  });
  test("an index URL whose credentials are only ${VAR} references is accepted: the secret stays in the environment", () => {
    const loaded = loadConfigSource("registries:\n  index_url: https://${ART_USER}:${ART_TOKEN}@art.example.com/simple\n");
    expect(loaded.config.registries?.index_url).toBe("https://${ART_USER}:${ART_TOKEN}@art.example.com/simple");
    expect(errorOf("registries:\n  index_url: https://${ART_USER}:tok${X}@art.example.com/simple\n").message).toContain("contains a password or token");
  });
  test("URLs without a scheme, bad environment directories and bad variable names are rejected", () => {
    expect(errorOf("registries: {index_url: pypi.example.com/simple}\n").message).toContain("registries.index_url: expected an http(s):// or file:// URL");
    expect(errorOf("environments:\n  ../outside: {}\n").message).toContain('environments."../outside": expected a relative directory inside the project');
    expect(errorOf("env:\n  1BAD: x\n").message).toContain('.dhtconfig:2 env."1BAD": expected an environment variable name');
  });
  test("two environment keys naming the same directory are an error", () => {
    expect(errorOf("environments:\n  services/api: {}\n  ./services/api/: {}\n").message).toBe(
      '.dhtconfig:3 environments."./services/api/": names the same directory as "services/api" (line 2); merge the two entries',
    );
  });
  test("duplicate keys are errors naming both lines", () => {
    expect(errorOf("python:\n  version: '3.11'\npython:\n  venv: x\n").message).toBe(
      ".dhtconfig:3 python: duplicate key (first set on line 1); YAML would keep only this one",
    );
  });
  test("several YAML documents, NUL bytes and oversized files are refused", () => {
    expect(errorOf("a: 1\n---\nb: 2\n").message).toContain("several YAML documents");
    expect(errorOf("python: x\u0000\n").message).toContain(".dhtconfig:1: contains a NUL byte");
    expect(errorOf(`# ${"x".repeat(1024 * 1024)}\n`).message).toContain("a configuration is expected to be far smaller");
  });
});

describe("config schema: unknown keys are warnings with the closest valid key", () => {
  test("a typo at the top level and inside a section", () => {
    const { warnings } = loadConfigSource("pyhton: '3.11'\npython:\n  venvv: .venv\ndependencies:\n  prefer_binaries: true\n");
    expect(warnings.map((w) => [w.line, w.path.join("."), w.message])).toEqual([
      [1, "pyhton", 'unknown key, ignored; did you mean "python"?'],
      [3, "python.venvv", 'unknown key, ignored; did you mean "venv"?'],
      [5, "dependencies.prefer_binaries", 'unknown key, ignored; did you mean "prefer_binary"?'],
    ]);
  });
  test("unknown keys inside environments and unknown package managers are warned about too", () => {
    const { warnings, config } = loadConfigSource("platform_deps:\n  aptt: [x]\nenvironments:\n  a:\n    environments: {}\n    isolaton: true\n");
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('unknown package manager or OS, ignored; did you mean "apt"?'),
      "unknown key (only allowed at the top level), ignored",
      'unknown key, ignored; did you mean "isolation"?',
    ]);
    expect(config.environments?.a).toEqual({});
  });
  test("__proto__ keys are ignored and never reach Object.prototype", () => {
    const { warnings } = loadConfigSource("__proto__: {polluted: true}\nenv:\n  __proto__: x\n");
    expect(warnings.length).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("config YAML syntax errors give file:line:column", () => {
  test("bad indentation points at the offending line", () => {
    expect(errorOf("python:\n  version: '3'\n venv: x\n").message).toBe(".dhtconfig:3:2: YAML syntax error: unexpected token");
  });
  test("tabs for indentation name the tab's position and suggest spaces", () => {
    const e = errorOf("python:\n\tversion: '3'\n");
    expect(e.message).toBe(".dhtconfig:2:1: YAML syntax error: tab characters cannot be used as indentation");
    expect(e.hint).toContain("spaces");
  });
  test("an unterminated quote and an unclosed bracket point at where they start", () => {
    expect(locateYamlError("a: 1\nb: 'open\nc: 2\n")).toEqual({ line: 2, column: 4 });
    expect(locateYamlError("a: 1\nb: [x, y\nc: 2\n").line).toBe(2);
  });
  test("long files are searched by bisection and still give the exact line", () => {
    const lines = Array.from({ length: 2500 }, (_, i) => `k${i}: ${i}`);
    lines[2299] = "k2299: [unclosed";
    lines[2300] = " bad: indent";
    expect(locateYamlError(lines.join("\n")).line).toBe(2300);
  });
  test("an unresolved alias is a syntax error with a position", () => {
    expect(errorOf("a: 1\nb: *nowhere\n").message).toMatch(/^\.dhtconfig:2:\d+: YAML syntax error: unresolved alias$/);
  });
});

describe("python request syntax accepted in .dhtconfig", () => {
  test.each(["3", "3.11", "3.11.7", "3.13.0rc1", ">=3.10,<3.13", ">=3.10, <3.13", "~=3.11.0", "==3.12.*", "!=3.11.2", "cpython@3.12", "pypy@3.10", "cpython3.12", "pypy3.10", "cpython", "cpython@>=3.11"])(
    "accepts %p",
    (request) => expect(isValidPythonRequest(request)).toBe(true),
  );
  test.each(["3.1x", "", "latest", ">=", "~=3", ">=3.10.*", "3..1", "cobra@3.12", "3.11,", "x3.11"])("rejects %p", (request) =>
    expect(isValidPythonRequest(request)).toBe(false),
  );
});

describe("config files that cannot be read", () => {
  test("a missing file, a directory and non-UTF-8 bytes are exit 2 naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-load-"));
    writeFileSync(join(dir, "latin1"), Buffer.from([0x70, 0x3a, 0x20, 0xe9, 0x0a]));
    const cases: Array<[string, string]> = [
      [join(dir, "missing"), "cannot read x.yaml: no such file"],
      [dir, "x.yaml is a directory; dhtl reads project files only when they are regular files"],
      [join(dir, "latin1"), "x.yaml is not UTF-8 text"],
    ];
    for (const [path, message] of cases) {
      const error = await loadConfigFile(path, "x.yaml").catch((e) => e);
      expect(error).toBeInstanceOf(DhtError);
      expect(error.code).toBe(2);
      expect(error.message).toBe(message);
    }
  });
});
