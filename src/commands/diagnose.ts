import { defineDhtCommand } from "./define.ts";
import { repairArgs } from "../flows/repair/options.ts";

export default defineDhtCommand({
  meta: { name: "diagnose", description: "Check the environment, its state, the machine, the network and DHT_HOME; say what fixes each problem" },
  examples: ["dhtl diagnose", "dhtl diagnose --deep", "dhtl diagnose --json", "dhtl diagnose --env services/api", "dhtl diagnose --offline"],
  args: {
    ...repairArgs,
    deep: { type: "boolean", description: "Also re-hash every installed file against RECORD and every DHT_HOME cache entry against its sha256" },
  },
  async run({ args, ctx }) {
    const [{ diagnose }, { repairSetupOptions }, { buildReport, renderReport }, { printJson, printText }, style] = await Promise.all([
      import("../flows/repair/diagnose.ts"),
      import("../flows/repair/options.ts"),
      import("../repair/report.ts"),
      import("../ui/output.ts"),
      import("../ui/style.ts"),
    ]);
    const { facts, findings } = await diagnose(ctx, { ...repairSetupOptions(args, ctx.env), deep: Boolean(args.deep) }, args.env);
    const report = buildReport(findings, facts.environment.envRoot, facts.environment.venv?.linkPath, Boolean(args.deep));
    if (ctx.json) printJson(report);
    else {
      const c = ctx.color;
      printText(renderReport(report, { ok: (s) => style.green(c, s), warn: (s) => style.yellow(c, s), fail: (s) => style.red(c, s), dim: (s) => style.dim(c, s), bold: (s) => style.bold(c, s) }), { styled: true });
    }
    return report.ok ? 0 : 1;
  },
});
