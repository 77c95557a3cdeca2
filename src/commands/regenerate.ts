import { defineDhtCommand } from "./define.ts";
import { repairArgs } from "../flows/repair/options.ts";

export default defineDhtCommand({
  meta: { name: "regenerate", description: "Rebuild the environment from the configuration, ignoring checkpoints and doubtful cache entries" },
  examples: ["dhtl regenerate", "dhtl regenerate --force", "dhtl regenerate -y --offline", "dhtl regenerate --env services/api --force"],
  args: {
    ...repairArgs,
    force: { type: "boolean", description: "Do not ask (packages installed by hand are dropped)" },
    wait: { type: "boolean", default: true, description: "Wait for another dhtl run on this project", negativeDescription: "Fail at once (exit 1) if another run holds the project lock" },
  },
  async run({ args, ctx }) {
    const [{ regenerate }, { repairSetupOptions }, { printJson, printText }, { activationText }] = await Promise.all([
      import("../flows/repair/regenerate.ts"),
      import("../flows/repair/options.ts"),
      import("../ui/output.ts"),
      import("../flows/setup/summary.ts"),
    ]);
    const outcome = await regenerate(ctx, { ...repairSetupOptions(args, ctx.env), force: Boolean(args.force), noWait: args.wait === false }, args.env);
    if (ctx.json) printJson(outcome);
    else printText(activationText(outcome.venv!, { python: outcome.python, windows: process.platform === "win32" }));
  },
});
