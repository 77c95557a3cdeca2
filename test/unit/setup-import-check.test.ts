/**
 * The verify step's import check against a real interpreter (pyenv's CPython 3.11, or the
 * machine's python3), with distributions made on the fly on PYTHONPATH.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runImportChecks } from "../../src/flows/setup/import-check.ts";

const python = Bun.which("python3.11") ?? Bun.which("python3") ?? "python3";

/** A site directory holding fake installed distributions: name → module source. */
function site(dists: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dht-imports-"));
  for (const [name, source] of Object.entries(dists)) {
    const info = join(dir, `${name}-1.0.dist-info`);
    mkdirSync(info);
    writeFileSync(join(info, "METADATA"), `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n`);
    writeFileSync(join(info, "RECORD"), `${name}.py,,\n${name}-1.0.dist-info/METADATA,,\n`);
    writeFileSync(join(dir, `${name}.py`), source);
  }
  return dir;
}

describe("import check", () => {
  test("checks, failures and missing distributions are all reported, whatever the number of workers", async () => {
    const dir = site({ good_a: "X = 1\n", good_b: "import json\n", bad_c: "raise RuntimeError('needs a display')\n" });
    for (const workers of [1, 2, 4]) {
      const r = await runImportChecks(python, ["good_a", "bad_c", "good_b", "not_installed"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir, workers });
      expect(r.broken).toBeUndefined();
      expect(r.checked.sort()).toEqual([["good_a", "good_a"], ["good_b", "good_b"]]);
      expect(r.failed).toEqual([["bad_c", "bad_c", "RuntimeError: needs a display"]]);
      expect(r.missing).toEqual(["not_installed"]);
    }
  });
  test("a secondary module that needs an extra is a warning; the distribution's own module failing is an error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dht-imports-"));
    const info = join(dir, "tool-1.0.dist-info");
    mkdirSync(info);
    writeFileSync(join(info, "METADATA"), "Metadata-Version: 2.1\nName: tool\nVersion: 1.0\n");
    writeFileSync(join(info, "RECORD"), "tool.py,,\ntoold.py,,\n");
    writeFileSync(join(dir, "tool.py"), "X = 1\n");
    writeFileSync(join(dir, "toold.py"), "import aiohttp_not_installed\n");
    const ok = await runImportChecks(python, ["tool"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir });
    expect(ok.failed).toEqual([]);
    expect(ok.warned.map(([d, m]) => [d, m])).toEqual([["tool", "toold"]]);
    writeFileSync(join(dir, "tool.py"), "raise ImportError('broken build')\n");
    const bad = await runImportChecks(python, ["tool"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir });
    expect(bad.failed.map(([d, m]) => [d, m])).toContainEqual(["tool", "tool"]);
  });
  test("a module that prints on import does not confuse the report", async () => {
    const dir = site({ chatty: "print('hello from chatty')\nprint('{\"checked\": []}')\n", quiet: "" });
    const r = await runImportChecks(python, ["chatty", "quiet"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir, workers: 1 });
    expect(r.checked).toEqual([["chatty", "chatty"], ["quiet", "quiet"]]);
  });
  test("an interpreter that does not run is reported as broken, not as a pass", async () => {
    const r = await runImportChecks("/bin/false", ["anything"], { env: {}, cwd: tmpdir() });
    expect(r.broken?.code).toBe(1);
    expect(r.checked).toEqual([]);
  });
  test("with nothing to import, the interpreter still has to start and exit cleanly", async () => {
    expect((await runImportChecks(python, [], { env: { PATH: process.env.PATH }, cwd: tmpdir() })).broken).toBeUndefined();
    expect((await runImportChecks("/bin/false", [], { env: {}, cwd: tmpdir() })).broken?.code).toBe(1);
  });
});
