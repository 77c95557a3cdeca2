import { describe, expect, test } from "bun:test";
import { dhtl } from "../helpers/cli.ts";

describe("dhtl executable: global behaviour", () => {
  test("--version prints version, commit and target", async () => {
    const r = await dhtl(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dhtl \d+\.\d+\.\d+\S* \([0-9a-f]{7,}(-dirty)? linux-x64\)\n$/);
  });
  test("--help lists commands and exits 0", async () => {
    const r = await dhtl(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Commands:");
    expect(r.stdout).toContain("info");
  });
  test("an unknown command exits 2 with a suggestion", async () => {
    const r = await dhtl(["inof"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "inof"');
    expect(r.stderr).toContain("dhtl info");
  });
  test("an unknown flag exits 2 with a suggestion, and --json puts the error on stdout", async () => {
    const r = await dhtl(["info", "--jsn"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--json");
    const j = await dhtl(["info", "--json", "--bogus"]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.subject).toBe("--bogus");
  });
  test("every command's --help shows an example", async () => {
    const root = await dhtl(["--help"]);
    const names = [...root.stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]!).filter((n) => !n.startsWith("-"));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const r = await dhtl([name, "--help"]);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain("Examples:");
    }
  });
  test("global flags work before the command name", async () => {
    const r = await dhtl(["--json", "info"]);
    expect(r.code).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });
});
