import { describe, expect, test } from "bun:test";
import { lineOf, matchKey, outlineYaml, scalarText, stripComment } from "../../src/config/yaml-outline.ts";

const at = (source: string, ...path: (string | number)[]) => lineOf(outlineYaml(source), path);

describe("yaml outline: lines of keys in block style", () => {
  const source = [
    "# header comment", //                1
    "version: 1", //                      2
    "", //                                3
    "python:", //                         4
    "  version: \"3.11\"  # pinned", //   5
    "  venv: .venv", //                   6
    "dependencies:", //                   7
    "  files:", //                        8
    "    - requirements.txt", //          9
    "    - requirements-dev.txt", //      10
    "  packages:", //                     11
    "  - numpy", //                       12
    "  - name: weird", //                 13
    "    extra: x", //                    14
    "environments:", //                   15
    "  \"services/ml-service\":", //      16
    "    python: \"3.1x\"", //            17
    "  'services/api':", //               18
    "    env:", //                        19
    "      KEY: value", //                20
  ].join("\n");

  test("top-level and nested keys map to their own line", () => {
    expect(at(source, "version")).toEqual({ line: 2, exact: true });
    expect(at(source, "python", "version")).toEqual({ line: 5, exact: true });
    expect(at(source, "python", "venv")).toEqual({ line: 6, exact: true });
  });
  test("sequence items (indented and at the parent's column) map to their dash line", () => {
    expect(at(source, "dependencies", "files", 1)).toEqual({ line: 10, exact: true });
    expect(at(source, "dependencies", "packages", 0)).toEqual({ line: 12, exact: true });
  });
  test("compact mappings inside sequence items keep every key's line", () => {
    expect(at(source, "dependencies", "packages", 1, "name")).toEqual({ line: 13, exact: true });
    expect(at(source, "dependencies", "packages", 1, "extra")).toEqual({ line: 14, exact: true });
  });
  test("double- and single-quoted keys with slashes are found", () => {
    expect(at(source, "environments", "services/ml-service", "python")).toEqual({ line: 17, exact: true });
    expect(at(source, "environments", "services/api", "env", "KEY")).toEqual({ line: 20, exact: true });
  });
  test("a path that is not written falls back to its nearest parent's line", () => {
    expect(at(source, "python", "prompt")).toEqual({ line: 4, exact: false });
    expect(at(source, "environments", "services/api", "python", "version")).toEqual({ line: 18, exact: false });
  });
});

describe("yaml outline: flow style, scalars and odd shapes", () => {
  test("flow mappings and sequences on one line and over several lines", () => {
    const src = "registries: {index_url: https://x.example/simple, trusted_hosts: [a, b]}\ndeps: [\n  one,\n  two,\n  {name: three}\n]\nlast: 1\n";
    expect(at(src, "registries", "trusted_hosts", 1)).toEqual({ line: 1, exact: true });
    expect(at(src, "deps", 1)).toEqual({ line: 4, exact: true });
    expect(at(src, "deps", 2, "name")).toEqual({ line: 5, exact: true });
    expect(at(src, "last")).toEqual({ line: 7, exact: true });
  });
  test("block scalars and multi-line plain scalars do not hide the keys after them", () => {
    const src = "build:\n  command: |\n    make all\n    key: not-a-key\n  other: 1\ntest: >-\n  folded\n  text\nenv:\n  A: plain\n    continued\n  B: 2\n";
    expect(at(src, "build", "other")).toEqual({ line: 5, exact: true });
    expect(at(src, "env", "B")).toEqual({ line: 12, exact: true });
    expect(at(src, "build", "key").exact).toBe(false);
  });
  test("anchors, tags and aliases: keys are placed, paths through an alias fall back", () => {
    const src = "base: &b\n  venv: .v\npython: !!map\n  <<: *b\n  version: '3.12'\n";
    expect(at(src, "python", "version")).toEqual({ line: 5, exact: true });
    expect(at(src, "python", "venv")).toEqual({ line: 3, exact: false });
  });
  test("document markers and CRLF line endings keep line numbers right", () => {
    expect(at("---\r\na: 1\r\nb:\r\n  c: 2\r\n", "b", "c")).toEqual({ line: 4, exact: true });
  });
  test("raw scalar text is kept, so 3.10 is not read as 3.1", () => {
    const o = outlineYaml("python:\n  version: 3.10\nlanguages: {node: 20.10}\nq: '3.10'\n");
    expect(scalarText(o, ["python", "version"])).toBe("3.10");
    expect(scalarText(o, ["languages", "node"])).toBe("20.10");
    expect(scalarText(o, ["q"])).toBe("3.10");
  });
  test("duplicate keys are reported with both lines, in block and flow style", () => {
    const o = outlineYaml("python:\n  version: 3\n  version: 4\nx: {a: 1, a: 2}\npython: {}\n");
    expect(o.duplicates).toEqual([
      { path: ["python", "version"], line: 3, firstLine: 2 },
      { path: ["x", "a"], line: 4, firstLine: 4 },
      { path: ["python"], line: 5, firstLine: 1 },
    ]);
  });
  test("merge keys (<<) repeated are not duplicates", () => {
    expect(outlineYaml("a:\n  <<: *x\n  <<: *y\n").duplicates).toEqual([]);
  });
  test("comments are stripped only outside quotes and after whitespace", () => {
    expect(stripComment('url: "http://x/#frag" # c')).toBe('url: "http://x/#frag"');
    expect(stripComment("a: b#c")).toBe("a: b#c");
    expect(stripComment("a: 'it''s # not' # yes")).toBe("a: 'it''s # not'");
  });
  test("key matching: plain, quoted, and things that are not keys", () => {
    expect(matchKey("python: 3")).toEqual({ key: "python", rest: "3", restOffset: 8 });
    expect(matchKey('"a: b": x')?.key).toBe("a: b");
    expect(matchKey("- item")).toBeUndefined();
    expect(matchKey("http://example.com")).toBeUndefined();
    expect(matchKey("[a, b]")).toBeUndefined();
  });
  test("an empty document has no root and everything maps to line 1", () => {
    expect(at("", "python")).toEqual({ line: 1, exact: false });
    expect(at("# only a comment\n", "python")).toEqual({ line: 1, exact: false });
  });
});
