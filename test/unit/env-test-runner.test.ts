import { describe, expect, test } from "bun:test";
import { chooseTestCommand } from "../../src/env/test-runner.ts";

const base = { venvTools: new Set<string>(), rootFiles: new Set<string>(), os: "linux" as const, args: [] as string[] };

describe("dhtl test runner choice", () => {
  test("test.command runs through the shell with the arguments quoted", () => {
    expect(chooseTestCommand({ ...base, command: "make check", args: ["it's"] }).argv).toEqual(["sh", "-c", "make check 'it'\\''s'"]);
  });
  test("a configured runner wins over discovery", () => {
    expect(chooseTestCommand({ ...base, runner: "unittest", venvTools: new Set(["pytest"]) }).argv).toEqual(["python", "-m", "unittest", "discover"]);
  });
  test("pytest when it is installed in the venv, with the user's arguments", () => {
    const c = chooseTestCommand({ ...base, venvTools: new Set(["pytest", "python"]), args: ["-x"] });
    expect(c.argv).toEqual(["python", "-m", "pytest", "-x"]);
    expect(c.why).toContain("pytest is installed");
  });
  test("tox.ini alone is not enough: tox must be installed; otherwise unittest", () => {
    expect(chooseTestCommand({ ...base, rootFiles: new Set(["tox.ini"]) }).argv[2]).toBe("unittest");
    expect(chooseTestCommand({ ...base, rootFiles: new Set(["tox.ini"]), venvTools: new Set(["tox"]) }).argv).toEqual(["tox"]);
  });
});
