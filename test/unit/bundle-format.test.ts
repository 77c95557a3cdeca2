import { describe, expect, test } from "bun:test";
import { canonicalJson, isSafeRelativePath, parseManifest, serializeManifest } from "../../src/bundle/manifest.ts";
import { chooseWheel, parsePylock, parseWheelFilename, wheelSpecificity } from "../../src/bundle/pylock.ts";
import { hostUvPythonPlatform, parseGlibc, parsePlatformKey, parsePlatformList, uvPythonPlatform } from "../../src/bundle/targets.ts";
import { environmentId, normalizeEnvDir, wheelsDirPath } from "../../src/bundle/layout.ts";
import { compareFiles } from "../../src/bundle/verify.ts";
import { kindOfPath } from "../../src/bundle/write.ts";
import { isPlainFileName } from "../../src/bundle/wheels.ts";
import { DhtError } from "../../src/errors.ts";
import { stageFixture } from "../helpers/bundle-fixture.ts";
import type { BundleManifest } from "../../src/bundle/types.ts";

function fixtureManifest(): BundleManifest {
  const { manifest } = stageFixture();
  return {
    ...manifest,
    files: [
      { path: manifest.platforms[0]!.pythons[0]!.path, size: 10, sha256: "a".repeat(64), kind: "python", platform: "linux-x86_64-gnu" },
      { path: manifest.platforms[0]!.uv.path, size: 10, sha256: "b".repeat(64), kind: "uv", platform: "linux-x86_64-gnu" },
      ...manifest.platforms[0]!.wheels["."]!.files.map((f) => ({ path: `${manifest.platforms[0]!.wheels["."]!.dir}/${f}`, size: 1, sha256: "c".repeat(64), kind: "wheel" as const })),
    ],
  };
}

function parseError(bytes: string): DhtError {
  try {
    parseManifest(new TextEncoder().encode(bytes), "b/manifest.json");
  } catch (error) {
    return error as DhtError;
  }
  throw new Error("expected an error");
}

describe("manifest.json", () => {
  test("canonical JSON sorts keys at every level and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{\n  "a": {\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
  });

  test("a serialised manifest parses back to the same value", () => {
    const m = fixtureManifest();
    const bytes = serializeManifest(m);
    expect(parseManifest(bytes, "x")).toEqual(m);
    expect(new TextDecoder().decode(serializeManifest(parseManifest(bytes, "x")))).toBe(new TextDecoder().decode(bytes));
  });

  test("a bad field is reported with its dotted path", () => {
    const m = fixtureManifest() as unknown as { files: Array<{ sha256: string }> };
    m.files[1]!.sha256 = "XYZ";
    const error = parseError(JSON.stringify(m));
    expect(error.message).toContain('"files.1.sha256"');
    expect(error.subject).toBe("b/manifest.json");
  });

  test("file paths that could leave the bundle are rejected", () => {
    for (const bad of ["../x", "/etc/passwd", "a/../../b", "a\\b", "C:/x", "a//b", "./a"]) expect(isSafeRelativePath(bad)).toBe(false);
    expect(isSafeRelativePath("platforms/linux-x86_64-gnu/uv/uv")).toBe(true);
    const m = fixtureManifest();
    m.files[0]!.path = "../../etc/passwd";
    expect(parseError(JSON.stringify(m)).message).toContain("files.0.path");
  });

  test("a platform that refers to an unlisted file is rejected", () => {
    const m = fixtureManifest();
    m.files = m.files.filter((f) => f.kind !== "uv");
    expect(parseError(JSON.stringify(m)).message).toContain("refers to platforms/linux-x86_64-gnu/uv/uv");
  });

  test("a newer schema version asks for the matching dhtl (exit 3), not a generic parse error", () => {
    const m = { ...fixtureManifest(), schemaVersion: 2 };
    const error = parseError(JSON.stringify(m));
    expect(error.code).toBe(3);
    expect(error.message).toContain("schema version 2");
  });

  test("JSON that is not a dhtl manifest says so", () => {
    expect(parseError('{"name": "x"}').message).toContain("not a dhtl offline bundle manifest");
    expect(parseError("{").message).toContain("not valid JSON");
  });
});

describe("comparing files with the manifest", () => {
  test("every kind of difference is reported once, sorted by path", () => {
    const m = fixtureManifest();
    const [python, uv, w1] = m.files;
    const checks = compareFiles(m, {
      files: [
        { path: python!.path, size: 10, sha256: "a".repeat(64) },
        { path: uv!.path, size: 10, sha256: "f".repeat(64) },
        { path: w1!.path, size: 2, sha256: "c".repeat(64) },
        { path: "manifest.json", size: 5, sha256: "0".repeat(64) },
        { path: "platforms/linux-x86_64-gnu/wheels/root/extra.whl", size: 1, sha256: "d".repeat(64) },
      ],
      oddEntries: [],
    });
    const problems = Object.fromEntries(checks.map((c) => [c.path, c.problem ?? "ok"]));
    expect(problems).toEqual({
      [python!.path]: "ok",
      [uv!.path]: "sha256",
      [w1!.path]: "size",
      [m.files[3]!.path]: "missing",
      "platforms/linux-x86_64-gnu/wheels/root/extra.whl": "unlisted",
    });
    expect(checks.map((c) => c.path)).toEqual([...checks.map((c) => c.path)].sort());
  });
});

describe("bundle layout", () => {
  test("environment directories map to distinct, flat wheel directories", () => {
    expect(environmentId(".")).toBe("root");
    expect(environmentId("./services/api/")).toBe("env-services%2Fapi");
    expect(environmentId("root")).toBe("env-root");
    expect(wheelsDirPath("linux-x86_64-gnu", "services/api")).toBe("platforms/linux-x86_64-gnu/wheels/env-services%2Fapi");
    expect(normalizeEnvDir(undefined)).toBe(".");
    expect(normalizeEnvDir("a\\b")).toBe("a/b");
  });

  test("staged paths are classified by where they sit, strays are not", () => {
    expect(kindOfPath("platforms/windows-x86_64-none/uv/uv.exe")).toEqual({ kind: "uv", platform: "windows-x86_64-none" });
    expect(kindOfPath("platforms/linux-x86_64-gnu/wheels/root/a.whl")).toEqual({ kind: "wheel", platform: "linux-x86_64-gnu" });
    expect(kindOfPath("platforms/linux-x86_64-gnu/python-bytecode/cpython-3.11.7.tar.gz")).toEqual({ kind: "python-bytecode", platform: "linux-x86_64-gnu" });
    expect(kindOfPath("project/pyproject.toml")).toEqual({ kind: "project" });
    expect(kindOfPath("notes.txt")).toBeUndefined();
  });
});

describe("target platforms", () => {
  test("platform lists are comma-separated, deduplicated, default to the host, and accept short darwin/windows keys", () => {
    expect(parsePlatformList([], "linux-x86_64-gnu").map((p) => p.key)).toEqual(["linux-x86_64-gnu"]);
    expect(parsePlatformList(["linux-x86_64-gnu,windows-x86_64,macos-aarch64-none", "linux-x86_64-gnu"], "x").map((p) => p.key)).toEqual([
      "linux-x86_64-gnu",
      "windows-x86_64-none",
      "darwin-aarch64-none",
    ]);
  });

  test("an unknown platform is a usage error listing the valid ones", () => {
    expect(() => parsePlatformList(["linux-riscv64-gnu"], "x")).toThrow(/unknown platform "linux-riscv64-gnu"/);
    expect(parsePlatformKey("windows-x86_64-gnu")).toBeUndefined();
  });

  test("each platform maps to the uv --python-platform that picks its wheels", () => {
    const uv = (key: string, glibc?: string) => uvPythonPlatform(parsePlatformKey(key)!, glibc);
    expect(uv("linux-x86_64-gnu")).toBe("x86_64-manylinux_2_28");
    expect(uv("linux-aarch64-gnu", "2.17")).toBe("aarch64-manylinux_2_17");
    expect(uv("linux-x86_64-musl")).toBe("x86_64-unknown-linux-musl");
    expect(uv("darwin-aarch64-none")).toBe("aarch64-apple-darwin");
    expect(uv("windows-x86_64-none")).toBe("x86_64-pc-windows-msvc");
  });

  test("this machine's --python-platform names the highest manylinux level its glibc satisfies", () => {
    const host = (key: string, glibc?: string) => hostUvPythonPlatform(parsePlatformKey(key)!, glibc);
    expect(host("linux-x86_64-gnu", "2.36")).toBe("x86_64-manylinux_2_36");
    expect(host("linux-x86_64-gnu", "2.30")).toBe("x86_64-manylinux_2_28"); // 2.29/2.30 are no uv level
    expect(host("linux-aarch64-gnu", "2.17")).toBe("aarch64-manylinux_2_17");
    expect(host("linux-x86_64-gnu", "2.99")).toBe("x86_64-manylinux_2_40");
    expect(host("linux-x86_64-gnu", undefined)).toBe("x86_64-manylinux_2_28"); // unknown: the bundle default
    expect(host("linux-x86_64-musl", "1.2.4")).toBe("x86_64-unknown-linux-musl");
    expect(host("darwin-aarch64-none", undefined)).toBe("aarch64-apple-darwin");
  });

  test("--glibc accepts only the manylinux levels uv knows", () => {
    expect(parseGlibc(undefined)).toBe("2.28");
    expect(parseGlibc("2.17")).toBe("2.17");
    expect(() => parseGlibc("2.20")).toThrow(/unsupported glibc/);
    expect(() => parseGlibc("3.1")).toThrow(/unsupported glibc/);
  });
});

const PYLOCK = `
lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.11"

[[packages]]
name = "charset-normalizer"
version = "3.5.2"
sdist = { url = "https://files.example/charset_normalizer-3.5.2.tar.gz", size = 172659, hashes = { sha256 = "39DE2A259FC954455C57274DC94C79D5842774E1247A016AFF30BC0EFED0F4EF" } }
wheels = [
    { url = "https://files.example/charset_normalizer-3.5.2-py3-none-any.whl", size = 68872, hashes = { sha256 = "b6b751274acb69d77b3323d6b7dbaa3c7fdfc1eb829b7eb61d262f32e1af9685" } },
    { url = "https://files.example/charset_normalizer-3.5.2-cp311-cp311-macosx_10_9_universal2.whl", size = 370642, hashes = { sha256 = "3d21b8b13c7592db2ac5e544a6d83187b995257472b0c9e8351b6d507ae37ed6" } },
    { url = "https://files.example/charset_normalizer-3.5.2-cp37-abi3-macosx_10_9_universal2.whl", size = 331815, hashes = { sha256 = "4275811936e2f06feff5e598fb42a1b7ae852da8e39605211892b56b81a34efd" } },
]

[[packages]]
name = "only-sdist"
version = "1.0"
sdist = { url = "https://files.example/only_sdist-1.0.tar.gz", hashes = { sha256 = "${"1".repeat(64)}" } }

[[packages]]
name = "mylib"
directory = { path = "libs/mylib", editable = true }

[[packages]]
name = "fromgit"
version = "0.1"
vcs = { type = "git", url = "https://github.com/x/fromgit", commit-id = "abc" }
`;

describe("pylock.toml from uv pip compile", () => {
  test("packages, their files (hashes lowercased), and non-index sources are read", () => {
    const pkgs = parsePylock(PYLOCK);
    expect(pkgs.map((p) => p.name)).toEqual(["charset-normalizer", "only-sdist", "mylib", "fromgit"]);
    expect(pkgs[0]!.wheels).toHaveLength(3);
    expect(pkgs[0]!.sdist?.sha256).toBe("39de2a259fc954455c57274dc94c79d5842774e1247a016aff30bc0efed0f4ef");
    expect(pkgs[1]!.wheels).toEqual([]);
    expect(pkgs[2]!.source).toEqual({ kind: "directory", where: "libs/mylib" });
    expect(pkgs[3]!.source?.kind).toBe("vcs");
  });

  test("the most specific compatible wheel is chosen: CPython ABI over abi3 over pure", () => {
    expect(chooseWheel(parsePylock(PYLOCK)[0]!)?.filename).toBe("charset_normalizer-3.5.2-cp311-cp311-macosx_10_9_universal2.whl");
    expect(chooseWheel(parsePylock(PYLOCK)[1]!)).toBeUndefined();
    expect(wheelSpecificity("x-1-cp37-abi3-win_amd64.whl")).toBeGreaterThan(wheelSpecificity("x-1-py3-none-win_amd64.whl"));
    expect(wheelSpecificity("x-1-py3-none-win_amd64.whl")).toBeGreaterThan(wheelSpecificity("x-1-py3-none-any.whl"));
  });

  test("file names from the index are used only when they are one plain path component", () => {
    expect(isPlainFileName("six-1.17.0-py2.py3-none-any.whl")).toBe(true);
    for (const bad of ["../evil.whl", "a/b.whl", "a\\b.whl", ".hidden.whl", ""]) expect(isPlainFileName(bad)).toBe(false);
  });

  test("wheel file names split into compressed tag sets, with or without a build tag", () => {
    expect(parseWheelFilename("uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")).toEqual({
      name: "uv",
      version: "0.13.9",
      python: ["py3"],
      abi: ["none"],
      platform: ["manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    });
    expect(parseWheelFilename("a-1.0-1b-py2.py3-none-any.whl")?.python).toEqual(["py2", "py3"]);
    expect(parseWheelFilename("not-a-wheel.tar.gz")).toBeUndefined();
  });
});
