/**
 * The report of `dhtl diagnose`: one JSON document (schema below, published as
 * docs/diagnose.schema.json and checked against real output in the tests) or text grouped
 * by area, each line ok / warn / fail with what was found and the fixing command.
 */
import * as v from "valibot";
import type { Finding } from "./types.ts";

export const REPORT_SCHEMA_ID = "dhtl.diagnose/1";

const FindingSchema = v.strictObject({
  id: v.pipe(v.string(), v.description("Stable id of the check, e.g. venv.interpreter, dists.files, network.index.0")),
  area: v.picklist(["environment", "state", "machine", "network", "dht-home"]),
  status: v.picklist(["ok", "warn", "fail"]),
  title: v.pipe(v.string(), v.description("What was checked")),
  found: v.pipe(v.string(), v.description("What was found (paths, versions; never a secret)")),
  fix: v.optional(
    v.strictObject({
      command: v.pipe(v.string(), v.description("The exact command that fixes it")),
      repair: v.pipe(v.picklist(["resume-setup", "relink", "reinstall", "install-missing", "clear-lock", "clean-cache", "obtain-uv", "deep", "manual"]), v.description("What `dhtl fix-env` does about it: deep needs --deep, manual is for the user")),
    }),
  ),
  details: v.optional(v.record(v.string(), v.unknown())),
});

export const DiagnoseReportSchema = v.strictObject({
  schema: v.literal(REPORT_SCHEMA_ID),
  ok: v.pipe(v.boolean(), v.description("No check failed (the exit status is 0 exactly then)")),
  deep: v.boolean(),
  envRoot: v.string(),
  venv: v.optional(v.string()),
  summary: v.strictObject({ ok: v.number(), warn: v.number(), fail: v.number() }),
  checks: v.array(FindingSchema),
});

export type DiagnoseReport = v.InferOutput<typeof DiagnoseReportSchema>;

export function buildReport(findings: Finding[], envRoot: string, venv: string | undefined, deep: boolean): DiagnoseReport {
  const count = (s: Finding["status"]) => findings.filter((f) => f.status === s).length;
  return {
    schema: REPORT_SCHEMA_ID,
    ok: count("fail") === 0,
    deep,
    envRoot,
    ...(venv ? { venv } : {}),
    summary: { ok: count("ok"), warn: count("warn"), fail: count("fail") },
    checks: findings,
  };
}

const AREA_TITLES: Record<Finding["area"], string> = {
  environment: "Environment",
  state: "State",
  machine: "Machine",
  network: "Network",
  "dht-home": "DHT_HOME",
};

export function renderReport(report: DiagnoseReport, paint: { ok: (s: string) => string; warn: (s: string) => string; fail: (s: string) => string; dim: (s: string) => string; bold: (s: string) => string }): string {
  const lines: string[] = [];
  const mark = { ok: paint.ok("✔"), warn: paint.warn("!"), fail: paint.fail("✖") };
  for (const area of Object.keys(AREA_TITLES) as Finding["area"][]) {
    const own = report.checks.filter((c) => c.area === area);
    if (!own.length) continue;
    lines.push(paint.bold(AREA_TITLES[area]));
    const width = Math.min(28, Math.max(...own.map((c) => c.title.length)));
    for (const c of own) {
      lines.push(`  ${mark[c.status]} ${c.title.padEnd(width)}  ${c.found}`);
      if (c.fix && c.status !== "ok") lines.push(`      ${paint.dim("fix:")} ${c.fix.command}`);
    }
    lines.push("");
  }
  const { ok, warn, fail } = report.summary;
  lines.push(`${fail ? paint.fail(`${fail} failed`) : paint.ok("nothing failed")}, ${warn} warning${warn === 1 ? "" : "s"}, ${ok} ok${fail ? `: run ${paint.bold(nextStep(report))}` : ""}`);
  return lines.join("\n");
}

/** The one command to run next: --deep when any failure needs it, else fix-env, else the first manual fix. */
export function nextStep(report: DiagnoseReport): string {
  const failing = report.checks.filter((c) => c.status === "fail" && c.fix);
  const deep = failing.find((c) => c.fix!.repair === "deep");
  if (deep) return deep.fix!.command;
  const own = failing.find((c) => c.fix!.repair !== "manual");
  return (own ?? failing[0])?.fix!.command ?? "dhtl fix-env";
}
