/**
 * The removal guard (src/env/removal-guard.ts): dhtl deletes only what it can prove is a
 * venv it may replace, never the project, a parent of it, DHT_HOME or the home directory.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkDhtHomeIsSafe } from "../../src/self/uninstall.ts";
import { isSameOrInside, protectedBy, recordVenvOwnership, settingSubject, venvContentsVerdict, venvPathRefusal } from "../../src/env/removal-guard.ts";

const anchors = { projectRoot: "/home/u/work/proj", envRoot: "/home/u/work/proj/svc", dhtHome: "/home/u/.dht", userHome: "/home/u" };

describe("protectedBy (pure)", () => {
  test("the project, the environment, DHT_HOME, home and the file system root are protected", () => {
    expect(protectedBy("/home/u/work/proj", anchors)).toContain("the project");
    expect(protectedBy("/home/u/work/proj/svc", anchors)).toContain("environment");
    expect(protectedBy("/home/u/.dht", anchors)).toContain("DHT_HOME");
    expect(protectedBy("/home/u", anchors)).toContain("home directory");
    expect(protectedBy("/", anchors)).toContain("root of the file system");
  });
  test("every directory that contains one of them is protected too (`venv: ..` named the project's parent)", () => {
    expect(protectedBy("/home/u/work", anchors)).toBe("a directory that contains the project (/home/u/work/proj)");
    expect(protectedBy("/home", anchors)).toContain("contains");
  });
  test("a venv inside the project, under DHT_HOME, or elsewhere is not protected", () => {
    expect(protectedBy("/home/u/work/proj/svc/.venv", anchors)).toBeUndefined();
    expect(protectedBy("/home/u/.dht/venvs/0123", anchors)).toBeUndefined();
    expect(protectedBy("/opt/venvs/proj", anchors)).toBeUndefined();
    expect(protectedBy("/home/u/work/proj-other", anchors)).toBeUndefined();
  });
  test("isSameOrInside compares whole path components", () => {
    expect(isSameOrInside("/a/bc", "/a/b")).toBe(false);
    expect(isSameOrInside("/a/b/c", "/a/b")).toBe(true);
    expect(isSameOrInside("/a/b", "/a/b")).toBe(true);
  });
});

describe("venvContentsVerdict (pure)", () => {
  const dir = (entries: string[], recordedByDhtl = false) => ({ kind: "directory" as const, entries, recordedByDhtl });
  test("absent, a link, an empty directory, a venv layout, dhtl's marker, dhtl's record: replaceable", () => {
    expect(venvContentsVerdict({ kind: "absent", entries: [], recordedByDhtl: false })).toBeUndefined();
    expect(venvContentsVerdict({ kind: "link", entries: [], recordedByDhtl: false })).toBeUndefined();
    expect(venvContentsVerdict(dir([]))).toBeUndefined();
    expect(venvContentsVerdict(dir(["pyvenv.cfg", "bin", "lib", "include"]))).toBeUndefined();
    expect(venvContentsVerdict(dir(["pyvenv.cfg", "Scripts", "Lib"]))).toBeUndefined();
    expect(venvContentsVerdict(dir([".dht-complete", "bin"]))).toBeUndefined();
    expect(venvContentsVerdict(dir(["bin", "lib"], true))).toBeUndefined();
  });
  test("a plain file, a project, a directory with only bin/lib/share (~/.local) are refused with what they hold", () => {
    expect(venvContentsVerdict({ kind: "file", entries: [], recordedByDhtl: false })).toBe("it is a file, not a directory");
    expect(venvContentsVerdict(dir(["pyproject.toml", "src", "tests"]))).toContain("pyproject.toml, src, tests");
    expect(venvContentsVerdict(dir(["bin", "lib", "share"]))).toContain("not a virtual environment");
    expect(venvContentsVerdict(dir(["pyvenv.cfg"]))).toContain("not a virtual environment");
  });
  test("the subject names where the setting came from", () => {
    expect(settingSubject(".dhtconfig:3")).toBe(".dhtconfig:3 python.venv");
    expect(settingSubject("flag --venv")).toBe("--venv");
    expect(settingSubject("env DHT_VENV")).toBe("DHT_VENV");
    expect(settingSubject(undefined)).toBe("python.venv");
  });
});

describe("venvPathRefusal (on disk)", () => {
  const root = mkdtempSync(join(tmpdir(), "dhtl-guard-"));
  const project = join(root, "proj");
  mkdirSync(join(project, ".dht"), { recursive: true });
  writeFileSync(join(project, "pyproject.toml"), "[project]\nname='p'\n");
  const a = { projectRoot: project, envRoot: project, dhtHome: join(root, "dht"), userHome: join(root, "home") };
  const state = join(project, ".dht");

  test("`..`, `.` and a link to the project are refused, through the link", () => {
    expect(venvPathRefusal(join(project, ".."), a, state)).toContain("contains the project");
    expect(venvPathRefusal(join(project, "."), a, state)).toContain("the project");
    symlinkSync(project, join(root, "alias"));
    expect(venvPathRefusal(join(root, "alias"), a, state)).toContain("the project");
  });
  test("a killed creation's half tree is replaceable only when dhtl's record names it", () => {
    const half = join(project, ".venv");
    mkdirSync(join(half, "bin"), { recursive: true });
    mkdirSync(join(half, "lib"));
    expect(venvPathRefusal(half, a, state)).toContain("not a virtual environment");
    recordVenvOwnership(state, half);
    expect(venvPathRefusal(half, a, state)).toBeUndefined();
    expect(venvPathRefusal(join(project, "other"), a, state)).toBeUndefined(); // absent
  });
});

describe("self uninstall --all: DHT_HOME must be provably dhtl's", () => {
  test("a root, the home directory, a parent of home, or a directory with foreign entries is refused", () => {
    expect(() => checkDhtHomeIsSafe("/", "/home/u")).toThrow("refusing to delete /");
    expect(() => checkDhtHomeIsSafe("/home/u", "/home/u")).toThrow("root or home directory");
    expect(() => checkDhtHomeIsSafe("/home", "/home/u")).toThrow("root or home directory");
    expect(() => checkDhtHomeIsSafe("/home/u/projects", "/home/u", ["thesis", "python"])).toThrow("it holds thesis, which dhtl did not make");
  });
  test("dhtl's own layout is removable", () => {
    expect(() => checkDhtHomeIsSafe("/home/u/.dht", "/home/u", ["python", "cache", "tools", "venvs", "locks", ".lock"])).not.toThrow();
  });
});
