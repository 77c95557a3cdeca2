/**
 * Writes docs/diagnose.schema.json (JSON Schema of `dhtl diagnose --json`) from the valibot
 * schema in src/repair/report.ts, so the published schema is the one the code is checked
 * against. test/unit/repair-report.test.ts fails when the file is stale.
 *
 *   bun scripts/gen-diagnose-schema.ts
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import { join } from "node:path";
import { DiagnoseReportSchema } from "../src/repair/report.ts";

export function diagnoseJsonSchema(): Record<string, unknown> {
  return {
    title: "dhtl diagnose --json",
    description: "One document on stdout: every check of `dhtl diagnose`, with its status, what it found and the command that fixes it.",
    ...toJsonSchema(DiagnoseReportSchema, { target: "draft-2020-12" } as never),
  };
}

if (import.meta.main) {
  const out = join(import.meta.dir, "..", "docs", "diagnose.schema.json");
  await Bun.write(out, `${JSON.stringify(diagnoseJsonSchema(), null, 2)}\n`);
  console.log(`wrote ${out}`);
}
