import { defineDhtCommand } from "./define.ts";
import { repairArgs } from "../flows/repair/options.ts";

export default defineDhtCommand({
  meta: { name: "fix-env", description: "Repair the environment in place (--deep: rebuild beside it, keep hand-installed packages, swap atomically)" },
  examples: ["dhtl fix-env", "dhtl fix-env --deep", "dhtl fix-env --offline", "dhtl fix-env --deep --offline-bundle bundle.tar.gz", "dhtl fix-env --env services/api --json"],
  args: {
    ...repairArgs,
    deep: { type: "boolean", description: "Record every installed distribution, build a fresh venv beside the old one, reinstall the recorded extras, verify, then swap atomically" },
    wait: { type: "boolean", default: true, description: "Wait for another dhtl run on this project", negativeDescription: "Fail at once (exit 1) if another run holds the project lock" },
  },
  async run({ args, ctx }) {
    const [{ fixEnv }, { repairSetupOptions }, { printJson, printText }] = await Promise.all([import("../flows/repair/fix-env.ts"), import("../flows/repair/options.ts"), import("../ui/output.ts")]);
    const outcome = await fixEnv(ctx, { ...repairSetupOptions(args, ctx.env), deep: Boolean(args.deep), noWait: args.wait === false }, args.env);
    if (ctx.json) printJson(outcome);
    else if (outcome.ok) printText(`Repaired and verified: ${outcome.venv}${outcome.repairs.length ? "" : " (nothing needed repair)"}`);
    else {
      printText(`Still failing after the repair:\n${outcome.remaining.map((f) => `  ✖ ${f.title}: ${f.found}${f.fix ? `\n      fix: ${f.fix.command}` : ""}`).join("\n")}`);
    }
    return outcome.ok ? 0 : 1;
  },
});
