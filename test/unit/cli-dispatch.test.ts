import { describe, expect, test } from "bun:test";
import { checkFlags, knownFlags, splitPassthrough } from "../../src/main.ts";
import { globalArgs } from "../../src/commands/define.ts";
import { closest, editDistance } from "../../src/ui/suggest.ts";
import { DhtError, ExitCode } from "../../src/errors.ts";

const args = { ...globalArgs, offline: { type: "boolean" }, python: { type: "string" } } as const;

function flagError(tokens: string[], passthrough = false): DhtError | undefined {
  try {
    checkFlags(tokens, args, passthrough);
    return undefined;
  } catch (e) {
    return e as DhtError;
  }
}

describe("flag checking", () => {
  test("accepts known long, short, negated and valued flags", () => {
    expect(flagError(["--offline", "-v", "--no-color", "--python", "3.11", "--cwd=/x", "-y"])).toBeUndefined();
  });
  test("a valued flag's value is not mistaken for a flag", () => {
    expect(flagError(["--python", "-3.11-odd"])).toBeUndefined();
  });
  test("an unknown long flag is a usage error (exit 2) naming the flag and a suggestion", () => {
    const e = flagError(["--ofline"])!;
    expect(e.code).toBe(ExitCode.usage);
    expect(e.subject).toBe("--ofline");
    expect(e.hint).toContain("--offline");
  });
  test("an unknown short flag is rejected", () => {
    expect(flagError(["-z"])!.subject).toBe("-z");
  });
  test("everything after -- is left alone", () => {
    expect(flagError(["--", "--whatever"])).toBeUndefined();
  });
  test("passthrough commands stop checking at the first positional", () => {
    expect(flagError(["pytest", "-x", "--tb=short"], true)).toBeUndefined();
    expect(flagError(["pytest", "-x"], false)?.subject).toBe("-x");
  });
  test("kebab-case names are derived from camelCase keys", () => {
    const { long } = knownFlags({ dryRun: { type: "boolean" } });
    expect(long.has("dry-run")).toBe(true);
  });
});

describe("suggestions", () => {
  test("a swap of neighbouring letters is one edit", () => {
    expect(editDistance("inof", "info")).toBe(1);
  });
  test("suggests close names and stays quiet for far ones", () => {
    expect(closest("stup", ["setup", "info", "python"])).toBe("setup");
    expect(closest("pyhton", ["setup", "info", "python"])).toBe("python");
    expect(closest("zzzzzz", ["setup", "info", "python"])).toBeUndefined();
  });
});

describe("passthrough commands (dhtl run; dhtl test: test/unit/testing-user-args.test.ts)", () => {
  test("the user's words from the first positional on are passed through verbatim, flags included", () => {
    expect(splitPassthrough(["pytest", "-x", "--json"], args)).toEqual({ own: [], passthrough: ["pytest", "-x", "--json"] });
    expect(splitPassthrough(["--cwd", "p", "-v", "python", "-c", "print(1)"], args)).toEqual({
      own: ["--cwd", "p", "-v"],
      passthrough: ["python", "-c", "print(1)"],
    });
  });
  test("after -- everything is the user's, even words that look like dhtl flags", () => {
    expect(splitPassthrough(["--", "--weird", "--help"], args)).toEqual({ own: [], passthrough: ["--weird", "--help"] });
    expect(splitPassthrough(["--json", "--", "-x"], args)).toEqual({ own: ["--json"], passthrough: ["-x"] });
  });
});

describe("only dhtl test passes unknown flags on", () => {
  test("test takes every unknown word for the runner, run from its first word; other commands have no passthrough", async () => {
    const { commands } = await import("../../src/commands/index.ts");
    expect((await commands.test!()).passthrough).toBe("unknown");
    expect((await commands.run!()).passthrough).toBe(true);
    expect((await commands.setup!()).passthrough).toBeUndefined();
  });
  test("an unknown flag of another command is still a usage error (exit 2)", async () => {
    const { main } = await import("../../src/main.ts");
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(["setup", "-x"])).toBe(ExitCode.usage);
      expect(await main(["info", "--bogus-flag-for-runner"])).toBe(ExitCode.usage);
    } finally {
      process.stderr.write = write;
    }
  });
});
