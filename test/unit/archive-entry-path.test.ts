import { describe, expect, test } from "bun:test";
import { EntryRefused, entryComponents, layoutComponents, resolveInsideTree } from "../../src/archive/entry-path.ts";

describe("entry names", () => {
  test("dot and empty components are dropped", () => {
    expect(entryComponents("./python//bin/./python3")).toEqual(["python", "bin", "python3"]);
  });
  test("absolute, drive-letter, UNC, '..' and NUL names are refused", () => {
    for (const bad of ["/etc/passwd", "C:/x", "c:evil", "\\\\server\\share", "a/../../b", "..", "a\0b"]) {
      expect(() => entryComponents(bad)).toThrow(EntryRefused);
    }
  });
  test("stripping requires one shared top directory; descendInto keeps only that subtree", () => {
    const state = {};
    expect(layoutComponents(["python"], { stripTopDir: true }, state)).toBeUndefined();
    expect(layoutComponents(["python", "bin", "x"], { stripTopDir: true }, state)).toEqual(["bin", "x"]);
    expect(() => layoutComponents(["other", "x"], { stripTopDir: true }, state)).toThrow(/single top directory 'python\/'/);
    const s2 = {};
    expect(layoutComponents(["python", "install", "bin"], { stripTopDir: true, descendInto: "install" }, s2)).toEqual(["bin"]);
    expect(layoutComponents(["python", "build", "x"], { stripTopDir: true, descendInto: "install" }, s2)).toBeUndefined();
  });
});

describe("symlink targets resolved against the archive's own links", () => {
  test("relative targets inside the tree resolve", () => {
    expect(resolveInsideTree(["bin", "python3"], "python3.11", new Map())).toEqual(["bin", "python3.11"]);
    expect(resolveInsideTree(["share", "man"], "../lib", new Map())).toEqual(["lib"]);
  });
  test("absolute targets and too many '..' escape", () => {
    expect(resolveInsideTree(["a"], "/etc", new Map())).toBeUndefined();
    expect(resolveInsideTree(["a", "b"], "../../x", new Map())).toBeUndefined();
  });
  test("a walk through another link is followed (a -> . then b -> a/.. escapes)", () => {
    const links = new Map([
      ["a", "."],
      ["b", "a/.."],
    ]);
    expect(resolveInsideTree(["b"], "a/..", links)).toBeUndefined();
    expect(resolveInsideTree(["c"], "a/x", links)).toEqual(["x"]);
  });
  test("loops are refused", () => {
    const links = new Map([
      ["a", "b"],
      ["b", "a"],
    ]);
    expect(resolveInsideTree(["a"], "b", links)).toBeUndefined();
  });
});
