import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { loadConfigSource } from "../../src/config/load.ts";
import { chooseStrategy, renderInitConfig } from "../../src/config/init-template.ts";
import { writeFileAtomic, TargetExistsError } from "../../src/config/write-atomic.ts";
import { detectPythonRequest } from "../../src/project/python-version.ts";
import { detectDependencySources } from "../../src/project/sources.ts";

const fixtures = join(import.meta.dir, "..", "fixtures", "config", "projects");

describe("dhtl init template", () => {
  test.each(["pyenv-multi", "tool-versions", "runtime-txt", "pep621", "poetry", "requirements-dir", "setup-cfg-tools-only", "empty"])(
    "the file written for fixture %p validates and keeps the detected facts",
    async (name) => {
      const root = join(fixtures, name);
      const python = await detectPythonRequest(root);
      const sources = await detectDependencySources(root);
      const text = renderInitConfig({ python, sources });
      const { config, warnings } = loadConfigSource(text);
      expect(warnings).toEqual([]);
      expect(config.python?.version).toBe(python.request);
      expect(config.dependencies?.strategy).toBe(chooseStrategy(sources));
      expect(config.dependencies?.files ?? []).toEqual(sources.filter((s) => s.kind === "requirements").map((s) => s.path));
      // Commented, and says where the Python came from.
      expect(text).toStartWith("# dhtl project configuration");
      if (python.origin) expect(text).toContain(`found in ${python.origin}`);
    },
  );
  test("strategy: requirements only when requirement files are all there is", () => {
    expect(chooseStrategy([{ kind: "requirements", path: "requirements.txt" }])).toBe("requirements");
    expect(chooseStrategy([{ kind: "requirements", path: "requirements.txt" }, { kind: "setup.py", path: "setup.py" }])).toBe("uv");
    expect(chooseStrategy([])).toBe("uv");
  });
  test("odd file names are quoted so the YAML stays valid", () => {
    const text = renderInitConfig({ python: {}, sources: [{ kind: "requirements", path: "requirements #1: 'x'.txt" }] });
    expect(loadConfigSource(text).config.dependencies?.files).toEqual(["requirements #1: 'x'.txt"]);
  });
});

describe("atomic writes", () => {
  test("writes the file and leaves no temporary file behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-write-"));
    await writeFileAtomic(join(dir, ".dhtconfig"), "a: 1\n", { overwrite: false });
    expect(readFileSync(join(dir, ".dhtconfig"), "utf8")).toBe("a: 1\n");
    expect(readdirSync(dir)).toEqual([".dhtconfig"]);
  });
  test("without overwrite an existing file is kept and TargetExistsError is thrown; with overwrite it is replaced", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dhtl-write-"));
    const target = join(dir, ".dhtconfig");
    writeFileSync(target, "mine\n");
    await expect(writeFileAtomic(target, "new\n", { overwrite: false })).rejects.toBeInstanceOf(TargetExistsError);
    expect(readFileSync(target, "utf8")).toBe("mine\n");
    await writeFileAtomic(target, "new\n", { overwrite: true });
    expect(readFileSync(target, "utf8")).toBe("new\n");
    expect(readdirSync(dir)).toEqual([".dhtconfig"]);
  });
});
