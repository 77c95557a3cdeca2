/**
 * Hostile family "project files": every file dhtl reads from a project, replaced by
 * something hostile (a link to /dev/zero, a fifo, a directory, a symlink loop, a file far
 * too large, deep nesting, binary garbage, a link to a secret outside the project). Each must
 * end in one DhtError (exit 2) naming the file, in bounded time and memory, and never quote
 * the contents of a file outside the project.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync, closeSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/resolve.ts";
import { readDeclaredProject } from "../../src/project/declared.ts";
import { parseRequirementsFile } from "../../src/project/requirements.ts";
import { DhtError } from "../../src/errors.ts";

const base = mkdtempSync(join(tmpdir(), "dhtl-hostile-files-"));
const SECRET = "root:$6$SECRETHASH:19000:0:99999:7:::";
const secretFile = join(base, "shadow");
writeFileSync(secretFile, `${SECRET}\n`);

/** The files dhtl reads, with the call that reads them. */
const FILES: Record<string, "config" | "declared"> = {
  ".dhtconfig": "config",
  ".python-version": "config",
  ".tool-versions": "config",
  "runtime.txt": "config",
  "pyproject.toml": "declared",
  "requirements.txt": "declared",
  "Pipfile": "declared",
  "Pipfile.lock": "declared",
  "setup.cfg": "declared",
  "hatch.toml": "declared",
  "uv.lock": "declared",
  "poetry.lock": "declared",
};

type Maker = (path: string) => void;
/** Hostile replacements: each must be refused with the file named. */
const HOSTILE: Record<string, Maker> = {
  "a link to /dev/zero": (p) => symlinkSync("/dev/zero", p),
  "a link to /dev/urandom": (p) => symlinkSync("/dev/urandom", p),
  "a fifo": (p) => Bun.spawnSync(["mkfifo", p]),
  "a directory": (p) => mkdirSync(p),
  "a symlink loop": (p) => symlinkSync(p, p),
  "a 17 MiB file": (p) => {
    closeSync(openSync(p, "w"));
    truncateSync(p, 17 * 1024 * 1024);
  },
};

function project(name: string, make: Maker): string {
  const dir = mkdtempSync(join(base, "p-"));
  mkdirSync(join(dir, ".git"));
  // A pyproject that asks for nothing, so the file under test is the one that decides.
  if (name !== "pyproject.toml") writeFileSync(join(dir, "pyproject.toml"), '[project]\nname = "x"\nversion = "0"\n');
  if (name === "uv.lock" || name === "poetry.lock") writeFileSync(join(dir, "pyproject.toml"), `[project]\nname = "x"\nversion = "0"\n[tool.${name === "uv.lock" ? "uv" : "poetry"}]\n`);
  make(join(dir, name));
  return dir;
}

async function read(kind: "config" | "declared", dir: string): Promise<unknown> {
  if (kind === "config") return resolveConfig({ cwd: dir, env: {} });
  return readDeclaredProject(dir, {}, {});
}

const cases: Array<[string, string, Maker, "config" | "declared"]> = [];
for (const [file, kind] of Object.entries(FILES)) for (const [what, make] of Object.entries(HOSTILE)) cases.push([file, what, make, kind]);

export const PROJECT_FILE_CASES = cases.length;

describe("hostile project files are refused by name, never read whole, never hang", () => {
  test.each(cases)("%s as %s", async (file, _what, make, kind) => {
    const dir = project(file, make);
    const error = await read(kind, dir).catch((e) => e);
    // Some readers never open some files (uv.lock only when chosen): then nothing was read.
    if (!(error instanceof DhtError)) return expect(error).not.toBeInstanceOf(Error);
    expect(error.code).toBe(2);
    expect(`${error.message} ${error.subject}`).toContain(file);
  }, 10_000);
});

/** Lines of requirement files that once took seconds to minutes (quadratic regexes). */
const SLOW_LINES: Record<string, string> = {
  "one 1 MiB token": "a".repeat(1 << 20),
  "200k spaces inside a line": `x${" ".repeat(200_000)}y`,
  "200k leading spaces": " ".repeat(200_000),
  "a name, 200k spaces, a marker": `a;${" ".repeat(200_000)}x`,
  "a 1 MiB URL": `a @ https://${"a".repeat(1 << 20)}`,
  "a 1 MiB hash": `a --hash=${"a".repeat(1 << 20)}`,
  "a name followed by 200k spaces and @": `a${" ".repeat(200_000)}@`,
  "1 MiB of dots": ".".repeat(1 << 20),
  "1 MiB of dashes": `a${"-".repeat(1 << 20)}`,
  "300k lines": "six\n".repeat(300_000),
  "100k continuation lines": `six${"\\\n".repeat(100_000)}`,
  "200k '#' after spaces": " #".repeat(200_000),
  "200k '${' references": "${A".repeat(200_000),
  "200k scheme-like words": "a://".repeat(200_000),
  "deep marker parentheses": `a; ${"(".repeat(50_000)}python_version>'3'${")".repeat(50_000)}`,
  "200k extras": `a[${"x,".repeat(200_000)}x]`,
  "200k version clauses": `a${">=1,".repeat(200_000)}>=1`,
  "200k quotes": `a --config-settings ${'"'.repeat(200_001)}`,
};
export const SLOW_LINE_CASES = Object.keys(SLOW_LINES).length;

describe("requirement files parse in time linear in their size", () => {
  test.each(Object.entries(SLOW_LINES))("%s", async (_name, line) => {
    const dir = mkdtempSync(join(base, "slow-"));
    writeFileSync(join(dir, "requirements.txt"), `${line}\n`);
    await parseRequirementsFile(join(dir, "requirements.txt")).catch((e) => {
      expect(e).toBeInstanceOf(DhtError);
    });
  }, 5_000);
});

describe("files from outside the project", () => {
  test("-r /etc/passwd (or any file outside the project) is refused, naming the line", async () => {
    const dir = mkdtempSync(join(base, "out-"));
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, "requirements.txt"), `six\n-r ${secretFile}\n`);
    const error = await parseRequirementsFile(join(dir, "requirements.txt")).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.code).toBe(2);
    expect(error.message).toContain("requirements.txt:2");
    expect(error.message).toContain("outside the project");
    expect(JSON.stringify(error)).not.toContain("SECRETHASH");
  });

  test("an include inside the repository (a monorepo's shared file) is still read", async () => {
    const repo = mkdtempSync(join(base, "mono-"));
    mkdirSync(join(repo, ".git"));
    mkdirSync(join(repo, "services", "api"), { recursive: true });
    writeFileSync(join(repo, "common.txt"), "six\n");
    writeFileSync(join(repo, "services", "api", "requirements.txt"), "-r ../../common.txt\n");
    const parsed = await parseRequirementsFile(join(repo, "services", "api", "requirements.txt"));
    expect(parsed.requirements.map((r) => r.name)).toEqual(["six"]);
  });

  test("requirements.txt linked to a secret file: the error never quotes its lines", async () => {
    const dir = mkdtempSync(join(base, "link-"));
    mkdirSync(join(dir, ".git"));
    symlinkSync(secretFile, join(dir, "requirements.txt"));
    const error = await parseRequirementsFile(join(dir, "requirements.txt")).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("requirements.txt:1");
    expect(JSON.stringify({ ...error, message: error.message, hint: error.hint })).not.toContain("SECRETHASH");
  });
});

describe("corrupt values are errors, never silently ignored", () => {
  const stated: Array<[string, string, string]> = [
    [".python-version", "garbage!!\n", ".python-version:1"],
    [".python-version", "\u0000\u0001\u0002\n", ".python-version:1"],
    [".python-version", "# comment\nmy-virtualenv\n", ".python-version:2"],
    ["pyproject.toml", '[project]\nname = "x"\nrequires-python = ">=3.x"\n', "pyproject.toml:3"],
    ["pyproject.toml", '[project]\nname = "x"\nrequires-python = 3\n', "pyproject.toml:3"],
    ["pyproject.toml", '[tool.poetry.dependencies]\npython = "^^3.10"\n', "pyproject.toml:2"],
    ["pyproject.toml", '[tool.poetry.dependencies]\npython = "banana"\n', "pyproject.toml:2"],
  ];
  test.each(stated)("%s holding %j names file:line (exit 2)", async (file, text, where) => {
    const dir = mkdtempSync(join(base, "bad-"));
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, file), text);
    const error = await resolveConfig({ cwd: dir, env: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.code).toBe(2);
    expect(error.message).toContain(where);
  });

  test("an unknown .dhtconfig key with no value is warned about, not dropped silently", async () => {
    const { loadConfigSource } = await import("../../src/config/load.ts");
    const loaded = loadConfigSource('version: 1\nbanana:\npython:\n  version: "3.11"\n');
    expect(loaded.warnings.map((w) => `${w.line} ${w.message}`)).toContain("2 unknown key, ignored");
  });

  test("deeply nested TOML is named as such, not 'Maximum call stack size exceeded'", async () => {
    const dir = mkdtempSync(join(base, "deep-"));
    writeFileSync(join(dir, "pyproject.toml"), `a = ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`);
    const error = await readDeclaredProject(dir, {}, {}).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("nested too deeply");
  });

  test("a -r symlink loop is named as a loop, not as a missing file", async () => {
    const dir = mkdtempSync(join(base, "loop-"));
    mkdirSync(join(dir, ".git"));
    symlinkSync(join(dir, "loop.txt"), join(dir, "loop.txt"));
    writeFileSync(join(dir, "requirements.txt"), "-r loop.txt\n");
    const error = await parseRequirementsFile(join(dir, "requirements.txt")).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("symlink loop");
  });
});
