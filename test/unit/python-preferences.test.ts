import { describe, expect, test } from "bun:test";
import { pythonPreference } from "../../src/python/preferences.ts";
import { pythonMinorsOfClassifiers } from "../../src/project/pyproject.ts";

const hint = (kind: string, minors: string[], origin = `${kind} file`) => ({ kind, minors, origin });

describe("the Python a project's own files name, inside its range", () => {
  test("trove classifiers give the minors a project claims, oldest first; '3' and '3 :: Only' are not versions", () => {
    expect(
      pythonMinorsOfClassifiers([
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: Implementation :: CPython",
      ]),
    ).toEqual(["3.8", "3.10", "3.12"]);
    expect(pythonMinorsOfClassifiers("Programming Language :: Python :: 3.9\nProgramming Language :: Python :: 3.11\n")).toEqual(["3.9", "3.11"]);
    expect(pythonMinorsOfClassifiers(undefined)).toEqual([]);
  });
  test("a range is tried with the classified minors it allows, newest first (FastAPI: >=3.8, classified up to 3.12)", () => {
    expect(pythonPreference(">=3.8", [hint("classifiers", ["3.8", "3.9", "3.10", "3.11", "3.12"])])?.minors).toEqual(["3.12", "3.11", "3.10", "3.9", "3.8"]);
    expect(pythonPreference(">=3.10,<3.12", [hint("classifiers", ["3.9", "3.10", "3.11", "3.12"])])?.minors).toEqual(["3.11", "3.10"]);
  });
  test("a project that lists only 3.12 gets 3.12", () => {
    expect(pythonPreference(">=3.8", [hint("classifiers", ["3.12"])])).toEqual({ kind: "classifiers", minors: ["3.12"], origin: "classifiers file" });
  });
  test("classifiers outrank the tox env list, which outranks the CI matrix, nox, a Dockerfile, runtime.txt and .tool-versions", () => {
    const all = [hint(".tool-versions", ["3.9"]), hint("dockerfile", ["3.6"]), hint("ci-matrix", ["3.10", "3.11"]), hint("tox-envlist", ["3.8", "3.12"]), hint("classifiers", ["3.11"])];
    expect(pythonPreference(">=3.6", all)?.kind).toBe("classifiers");
    expect(pythonPreference(">=3.6", all.filter((h) => h.kind !== "classifiers"))?.minors).toEqual(["3.12", "3.8"]);
    expect(pythonPreference(">=3.6", all.filter((h) => !["classifiers", "tox-envlist", "ci-matrix"].includes(h.kind)))).toMatchObject({ kind: "dockerfile", minors: ["3.6"] });
  });
  test("with no request at all, a Dockerfile's FROM python:3.6 is the preference", () => {
    expect(pythonPreference(undefined, [hint("dockerfile", ["3.6"])])?.minors).toEqual(["3.6"]);
  });
  test("a kind whose versions the range excludes is passed over, not obeyed", () => {
    expect(pythonPreference(">=3.10", [hint("ci-matrix", ["3.8", "3.9"]), hint("dockerfile", ["3.11"])])).toMatchObject({ kind: "dockerfile", minors: ["3.11"] });
    expect(pythonPreference(">=3.9.2", [hint("tox-envlist", ["3.9"])])?.minors).toEqual(["3.9"]);
  });
  test("an exact version or a minor is what the user asked for: nothing changes it", () => {
    expect(pythonPreference("3.11", [hint("classifiers", ["3.12"])])).toBeUndefined();
    expect(pythonPreference("3.11.7", [hint("tox-envlist", ["3.12"])])).toBeUndefined();
    expect(pythonPreference(">=3.8", [])).toBeUndefined();
  });
});
