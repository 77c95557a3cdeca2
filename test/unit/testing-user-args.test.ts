import { describe, expect, test } from "bun:test";
import { globalArgs } from "../../src/commands/define.ts";
import testCommand from "../../src/commands/test.ts";
import { knownFlags } from "../../src/main.ts";
import { narrowCommand, positionalIndexes, splitRunnerArgs, userSelection } from "../../src/testing/user-args.ts";
import { planRun } from "../../src/testing/run.ts";
import type { RouteCommand, TestRoute } from "../../src/testing/types.ts";

const flags = knownFlags({ ...globalArgs, ...(testCommand.args ?? {}) });
const split = (tokens: string[]) => splitRunnerArgs(tokens, flags);

describe("dhtl test: dhtl's flags and the runner's", () => {
  test("flags dhtl test does not know go to the runner, in order, without --", () => {
    expect(split(["-x", "-k", "foo", "tests/test_api.py"])).toEqual({ own: [], runner: ["-x", "-k", "foo", "tests/test_api.py"] });
    expect(split(["--ignore=tests/slow", "--tb", "short"])).toEqual({ own: [], runner: ["--ignore=tests/slow", "--tb", "short"] });
  });
  test("dhtl's own and global flags are taken wherever they stand, with their values", () => {
    expect(split(["--json", "tests/test_api.py", "-x", "--route", "make:test", "--cwd=/p", "-v", "--no-color", "--list"])).toEqual({
      own: ["--json", "--route", "make:test", "--cwd=/p", "-v", "--no-color", "--list"],
      runner: ["tests/test_api.py", "-x"],
    });
    expect(split(["-h"]).own).toEqual(["-h"]);
    expect(split(["-vq", "-vx"])).toEqual({ own: ["-vq"], runner: ["-vx"] });
  });
  test("after -- everything is the runner's, dhtl's flag names too", () => {
    expect(split(["--json", "--", "-v", "--json", "--"])).toEqual({ own: ["--json"], runner: ["-v", "--json", "--"] });
  });
  test("an unknown flag is the runner's, not an error", () => {
    expect(split(["--bogus-flag-for-runner"])).toEqual({ own: [], runner: ["--bogus-flag-for-runner"] });
  });
});

const ev = { file: "tox.ini", what: "commands" };
const pytest = (...rest: string[]): RouteCommand => ({ argv: ["python", "-m", "pytest", ...rest], runner: "pytest", evidence: ev });
const exists = (paths: string[]) => (w: string) => paths.includes(w.replace(/\/$/, ""));
const files = exists(["tests", "tests/test_api.py", "src", "docs"]);

describe("the user's paths narrow a route", () => {
  test("positionals of a pytest line skip option values", () => {
    const words = ["-q", "-k", "not slow", "--cov", "src", "-n", "auto", "-ra", "--tb=short", "-p", "no:cacheprovider", "tests", "--deselect", "tests/test_x.py::t", "docs"];
    expect(positionalIndexes(words, { valued: new Set(["k", "n", "p", "r", "--deselect"]), optional: new Map([["--cov", /^[^-]/]]) }).map((i) => words[i])).toEqual(["tests", "docs"]);
  });
  test("pytest: the user's existing paths (node ids too) are a selection; -k values and missing paths are not", () => {
    expect(userSelection("pytest", ["-x", "tests/test_api.py::test_dumps", "-k", "tests"], files)).toEqual(["tests/test_api.py::test_dumps"]);
    expect(userSelection("pytest", ["-x", "-k", "tests", "nowhere.py"], files)).toEqual([]);
  });
  test("pytest: the route's own test paths give way to the user's, its flags stay", () => {
    expect(narrowCommand(pytest("-q", "tests", "--cov", "src", "-n", "auto"), ["tests/test_api.py", "-k", "dumps"], files).argv).toEqual(["python", "-m", "pytest", "-q", "--cov", "src", "-n", "auto"]);
    // Only flags: the route's paths stay.
    const cmd = pytest("-q", "tests");
    expect(narrowCommand(cmd, ["-x", "-k", "dumps"], files)).toBe(cmd);
    // Shell variables are never taken out.
    expect(narrowCommand(pytest("$TEST_DIR", "tests"), ["tests/test_api.py"], files).argv).toEqual(["python", "-m", "pytest", "$TEST_DIR"]);
  });
  test("the {posargs} place moves with the words taken out before it", () => {
    const cmd = { ...pytest("tests", "--basetemp=x"), posargs: { index: 4, default: [] } };
    expect(narrowCommand(cmd, ["tests/test_api.py"], files)).toMatchObject({ argv: ["python", "-m", "pytest", "--basetemp=x"], posargs: { index: 3 } });
  });
  test("unittest: test files or dotted labels replace discovery (its -s/-p/-t), -v stays; a directory only adds", () => {
    const cmd: RouteCommand = { argv: ["python", "-m", "unittest", "-v", "discover", "-s", "tests", "-p", "test_*.py"], runner: "unittest", evidence: ev };
    expect(narrowCommand(cmd, ["tests/test_api.py"], files).argv).toEqual(["python", "-m", "unittest", "-v"]);
    expect(narrowCommand(cmd, ["tests.test_api.T.test_x"], files).argv).toEqual(["python", "-m", "unittest", "-v"]);
    expect(narrowCommand(cmd, ["tests"], files)).toBe(cmd);
    const labels: RouteCommand = { argv: ["python", "-m", "unittest", "tests.test_a", "tests.test_b"], runner: "unittest", evidence: ev };
    expect(narrowCommand(labels, ["tests.test_api"], files).argv).toEqual(["python", "-m", "unittest"]);
  });
  test("Django: the user's labels replace the route's; options with values stay", () => {
    const cmd: RouteCommand = { argv: ["python", "manage.py", "test", "--settings", "site.test", "shop", "cart", "-v", "2"], runner: "django", evidence: ev };
    expect(narrowCommand(cmd, ["shop.tests.T"], files).argv).toEqual(["python", "manage.py", "test", "--settings", "site.test", "-v", "2"]);
  });
  test("other runners only add the user's arguments", () => {
    const cmd: RouteCommand = { argv: ["python", "-m", "nose2", "-s", "tests"], runner: "nose2", evidence: ev };
    expect(narrowCommand(cmd, ["tests/test_api.py"], files)).toBe(cmd);
  });
});

describe("what a route runs with the user's arguments", () => {
  const route = (suites: RouteCommand[], pre: RouteCommand[] = []): TestRoute => ({ name: "tox:py", source: "tox", summary: "", evidence: [], needs: [], pre, suites, env: {}, unread: [], skipped: [] });
  const isPath = (_cwd: string | undefined, w: string) => files(w.split("::")[0]!);
  test("tox {posargs:-n auto}: the default shows and runs; the user's arguments replace it", () => {
    const r = route([{ ...pytest(), posargs: { index: 3, default: ["-n", "auto"] } }]);
    expect(planRun(r, [], {}, isPath).suites.map((s) => s.words)).toEqual([["python", "-m", "pytest", "-n", "auto"]]);
    expect(planRun(r, ["tests/test_api.py", "-x"], {}, isPath).suites.map((s) => s.words)).toEqual([["python", "-m", "pytest", "tests/test_api.py", "-x"]]);
  });
  test("the example from a real project: pytest -q tests + the user's file and -k", () => {
    const r = route([pytest("-q", "tests")]);
    expect(planRun(r, ["tests/test_api.py", "-k", "dumps"], {}, isPath).suites[0]!.words).toEqual(["python", "-m", "pytest", "-q", "tests/test_api.py", "-k", "dumps"]);
    expect(planRun(r, ["-x"], {}, isPath).suites[0]!.words).toEqual(["python", "-m", "pytest", "-q", "tests", "-x"]);
  });
  test("with paths, other runners' suites are left out and suites narrowed to the same command run once", () => {
    const behave: RouteCommand = { argv: ["python", "-m", "behave"], runner: "behave", evidence: ev };
    const r = route([pytest("tests/unit"), pytest("tests/e2e"), behave]);
    const p = planRun(r, ["tests/test_api.py"], {}, isPath);
    expect(p.suites.map((s) => s.words)).toEqual([["python", "-m", "pytest", "tests/test_api.py"]]);
    expect(p.notRun).toHaveLength(2);
    // Flags only: every suite runs, the flags go to pytest's.
    expect(planRun(r, ["-x"], {}, isPath).suites.map((s) => s.words)).toEqual([["python", "-m", "pytest", "tests/unit", "-x"], ["python", "-m", "pytest", "tests/e2e", "-x"], ["python", "-m", "behave"]]);
  });
  test("placeholders are filled in the listed lines, preparation commands get no user arguments", () => {
    const r = route([{ ...pytest("--basetemp={envtmpdir}"), posargs: { index: 3, default: ["tests"] } }], [{ argv: ["python", "-m", "pip", "list"], runner: "other", evidence: ev }]);
    const p = planRun(r, [], { envtmpdir: "/t" }, isPath);
    expect(p.pre[0]!.words).toEqual(["python", "-m", "pip", "list"]);
    expect(p.suites[0]!.words).toEqual(["python", "-m", "pytest", "tests", "--basetemp=/t"]);
  });
});

describe("from a tox.ini to the lines --list shows and dhtl test runs", () => {
  test("attrs-style `pytest {posargs:-n auto}`: -n auto without arguments, the user's path instead of it", async () => {
    const { planTestRoutes } = await import("../../src/testing/plan.ts");
    const plan = planTestRoutes({
      files: { files: new Map([["tox.ini", "[tox]\nenvlist = py311\n[testenv]\nextras = tests\ncommands = pytest {posargs:-n auto}\n"]]), dirs: new Set(), testFiles: [] },
      declared: { extras: {}, groups: [], requirementNames: [] },
      env: {},
      root: "/p",
    });
    const isPath = (_cwd: string | undefined, w: string) => files(w.split("::")[0]!);
    expect(planRun(plan.chosen!, [], {}, isPath).suites[0]!.words).toEqual(["python", "-m", "pytest", "-n", "auto"]);
    expect(planRun(plan.chosen!, ["tests/test_api.py", "-x"], {}, isPath).suites[0]!.words).toEqual(["python", "-m", "pytest", "tests/test_api.py", "-x"]);
  });
});
