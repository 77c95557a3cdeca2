import { describe, expect, test } from "bun:test";
import { DhtError } from "../../src/errors.ts";
import { describeRequest, exactVersion, nearestPatch, newestMatch, parsePythonRequest, parseSpecifiers, requestMatches, requestMinor } from "../../src/python/request.ts";
import { compareVersions, parseVersion } from "../../src/python/version.ts";

const versions = ["3.8.20", "3.9.18", "3.10.13", "3.10.21", "3.11.2", "3.11.7", "3.11.16", "3.12.0", "3.12.14", "3.13.0rc1", "3.13.0", "3.13.15", "3.14.7"];
const pick = (req: string) => newestMatch(parsePythonRequest(req), versions, (v) => v);

describe("PEP 440 versions", () => {
  test("orders dev < pre < final < post and pads release segments", () => {
    const order = ["3.13.0.dev1", "3.13.0a1", "3.13.0b2", "3.13.0rc1", "3.13.0", "3.13.0.post1", "3.13.1"];
    const parsed = order.map((v) => parseVersion(v)!);
    for (let i = 1; i < parsed.length; i++) expect(compareVersions(parsed[i - 1]!, parsed[i]!)).toBe(-1);
    expect(compareVersions(parseVersion("3.11")!, parseVersion("3.11.0")!)).toBe(0);
  });
  test("normalises spellings (3.13.0-RC1 is 3.13.0rc1)", () => {
    expect(parseVersion("3.13.0-RC1")!.text).toBe("3.13.0rc1");
    expect(parseVersion("v3.12.1")!.text).toBe("3.12.1");
    expect(parseVersion("three")).toBeUndefined();
  });
});

describe("request parsing", () => {
  test("recognises minor, exact, compact, implementation-prefixed and key forms", () => {
    expect(parsePythonRequest("3.11")).toMatchObject({ kind: "minor", major: 3, minor: 11 });
    expect(parsePythonRequest("3.11.7")).toMatchObject({ kind: "exact", patch: 7 });
    expect(parsePythonRequest("311")).toMatchObject({ kind: "minor", minor: 11 });
    expect(parsePythonRequest("cpython@3.12")).toMatchObject({ kind: "minor", implementation: "cpython", minor: 12 });
    expect(parsePythonRequest("python3.12")).toMatchObject({ kind: "minor", minor: 12 });
    expect(parsePythonRequest("pypy@3.10")).toMatchObject({ implementation: "pypy", minor: 10 });
    expect(parsePythonRequest("cpython-3.11.7-macos-aarch64-none")).toMatchObject({ kind: "exact", platform: "darwin-aarch64-none" });
    expect(parsePythonRequest("")).toMatchObject({ kind: "any" });
    expect(parsePythonRequest(">=3.10, <3.13")).toMatchObject({ kind: "range" });
  });
  test("rejects nonsense with a usage error naming the request", () => {
    for (const bad of ["3.x", ">>3.10", "~=3", "jython@3.10", "2.6", "1.5", "3.11.*.1", ">=3.10.*"]) {
      let error: unknown;
      try {
        parsePythonRequest(bad, ".python-version:1");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DhtError);
      expect((error as DhtError).code).toBe(2);
      expect((error as DhtError).subject).toBe(".python-version:1");
    }
  });
  test("Python 2.7 is a request dhtl serves (virtualenv makes its venv); older 2.x is refused", () => {
    expect(requestMinor(parsePythonRequest("2.7"))).toBe("2.7");
    expect(exactVersion(parsePythonRequest("2.7.18"))).toBe("2.7.18");
    expect(() => parsePythonRequest("2.6")).toThrow(/Python 2\.6 is not supported/);
  });
  test("describes and extracts the exact version and the minor", () => {
    expect(describeRequest(parsePythonRequest(">=3.10,<3.13"))).toBe(">=3.10,<3.13");
    expect(exactVersion(parsePythonRequest("cpython@3.11.7"))).toBe("3.11.7");
    expect(exactVersion(parsePythonRequest("3.11"))).toBeUndefined();
    expect(requestMinor(parsePythonRequest("3.11.7"))).toBe("3.11");
  });
});

describe("matching: newest stable match wins", () => {
  test("minor picks the newest patch", () => expect(pick("3.11")).toBe("3.11.16"));
  test("exact needs that exact release", () => {
    expect(pick("3.11.7")).toBe("3.11.7");
    expect(pick("3.11.8")).toBeUndefined();
  });
  test("ranges and compatible release", () => {
    expect(pick(">=3.10,<3.13")).toBe("3.12.14");
    expect(pick("~=3.11.0")).toBe("3.11.16");
    expect(pick("~=3.11")).toBe("3.14.7");
    expect(pick("==3.10.*")).toBe("3.10.21");
    expect(pick("!=3.14.*,>=3.12")).toBe("3.13.15");
    expect(pick("<=3.11.7,>3.9")).toBe("3.11.7");
  });
  test("pre-releases match only when named", () => {
    expect(requestMatches(parsePythonRequest(">=3.13"), "3.13.0rc1")).toBe(false);
    expect(requestMatches(parsePythonRequest("<3.13"), "3.13.0rc1")).toBe(false);
    expect(requestMatches(parsePythonRequest(">=3.13.0rc1"), "3.13.0rc1")).toBe(true);
    expect(requestMatches(parsePythonRequest("3.13.0rc1"), "3.13.0rc1")).toBe(true);
    expect(requestMatches(parsePythonRequest("3.13"), "3.13.0rc1")).toBe(false);
  });
  test("implementation must match", () => {
    expect(requestMatches(parsePythonRequest("pypy@3.10"), "3.10.13", "cpython")).toBe(false);
    expect(requestMatches(parsePythonRequest("pypy@3.10"), "3.10.13", "pypy")).toBe(true);
  });
  test("specifier parser rejects a missing operator with the offending part", () => {
    expect(() => parseSpecifiers("3.10,<3.13")).toThrow(/"3.10" has no comparison operator/);
  });
});

describe("nearest patch (patch fallback)", () => {
  test("smallest distance within the minor, newer on a tie", () => {
    const req = parsePythonRequest("3.11.9");
    expect(nearestPatch(req, ["3.11.7", "3.11.16", "3.12.9"], (v) => v)).toBe("3.11.7");
    expect(nearestPatch(req, ["3.11.7", "3.11.11"], (v) => v)).toBe("3.11.11");
    expect(nearestPatch(req, ["3.12.9"], (v) => v)).toBeUndefined();
  });
});
