import { describe, expect, test } from "bun:test";
import { classifierPreferences } from "../../src/python/classifier-preference.ts";
import { pythonMinorsOfClassifiers } from "../../src/project/pyproject.ts";

describe("classifier preference for open-ended Python ranges", () => {
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
    expect(classifierPreferences(">=3.8", ["3.8", "3.9", "3.10", "3.11", "3.12"])).toEqual(["3.12", "3.11", "3.10", "3.9", "3.8"]);
    expect(classifierPreferences(">=3.10,<3.12", ["3.9", "3.10", "3.11", "3.12"])).toEqual(["3.11", "3.10"]);
  });
  test("an exact version or a minor is what the user asked for: classifiers do not change it", () => {
    expect(classifierPreferences("3.11", ["3.12"])).toEqual([]);
    expect(classifierPreferences("3.11.7", ["3.12"])).toEqual([]);
    expect(classifierPreferences(">=3.8", [])).toEqual([]);
    expect(classifierPreferences(undefined, ["3.12"])).toEqual([]);
  });
});
