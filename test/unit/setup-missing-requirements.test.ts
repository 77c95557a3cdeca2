import { describe, expect, test } from "bun:test";
import { missingRequirements } from "../../src/flows/setup/missing-requirements.ts";

describe("missing requirements in dependency-check output", () => {
  test("uv pip check: a requirement the editable's build added (pytkdocs 0.16.1 with pdm-pep517 editables) is found", () => {
    const out = "Checked 22 packages in 0.57ms\nFound 1 incompatibility\nThe package `pytkdocs` requires `editables`, but it's not installed\n";
    expect(missingRequirements(out)).toEqual([{ by: "pytkdocs", requirement: "editables" }]);
  });
  test("pip check: the same, in pip's words", () => {
    expect(missingRequirements("pytkdocs 0.16.1 requires editables, which is not installed.\n")).toEqual([{ by: "pytkdocs", requirement: "editables" }]);
  });
  test("a version conflict is not a missing requirement: it stays an error", () => {
    const out = "The package `black` requires `click>=8.0.0`, but `7.1.2` is installed\nblack 24.10.0 has requirement click>=8.0.0, but you have click 7.1.2.\n";
    expect(missingRequirements(out)).toEqual([]);
  });
});
