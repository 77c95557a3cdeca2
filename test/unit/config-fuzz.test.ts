import { describe, expect, test } from "bun:test";
import { DhtError } from "../../src/errors.ts";
import { loadConfigSource } from "../../src/config/load.ts";
import { generateFuzzCases, VALID_CONFIG } from "../fixtures/config/fuzz-inputs.ts";

const cases = generateFuzzCases();

/** Run the loader; return the error it threw (undefined when the input loaded). */
function attempt(source: string): unknown {
  try {
    loadConfigSource(source);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("config loader fuzz: malformed input never crashes, every error is a DhtError with exit 2", () => {
  test("the generator is deterministic and produces at least 200 must-fail inputs", () => {
    expect(generateFuzzCases().map((c) => c.source)).toEqual(cases.map((c) => c.source));
    expect(cases.filter((c) => c.mustFail).length).toBeGreaterThanOrEqual(200);
    expect(attempt(VALID_CONFIG)).toBeUndefined();
  });

  test(`all ${cases.length} generated inputs: loaded, or rejected with a one-message DhtError (exit 2)`, () => {
    const problems: string[] = [];
    for (const c of cases) {
      const error = attempt(c.source);
      if (error === undefined) {
        if (c.mustFail) problems.push(`${c.name}: accepted ${JSON.stringify(c.source.slice(0, 200))}`);
        continue;
      }
      if (!(error instanceof DhtError)) {
        problems.push(`${c.name}: threw ${String(error)} for ${JSON.stringify(c.source.slice(0, 200))}`);
        continue;
      }
      if (error.code !== 2) problems.push(`${c.name}: exit ${error.code}`);
      // The message names the file (and a line) and carries no stack frames.
      if (!error.message.includes(".dhtconfig")) problems.push(`${c.name}: message does not name the file: ${error.message}`);
      if (/\n\s+at .+:\d+/.test(error.message)) problems.push(`${c.name}: stack trace in message`);
    }
    expect(problems).toEqual([]);
  });

  test("every rejected input's error message names a line (file:line) unless it is about the whole file", () => {
    for (const c of cases.filter((x) => x.mustFail)) {
      const error = attempt(c.source) as DhtError;
      expect(error.message, c.name).toMatch(/\.dhtconfig(:\d+|: (the YAML is nested|contains several)| is \d+ bytes)/);
    }
  });
});
