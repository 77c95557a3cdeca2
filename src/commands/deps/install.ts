import { defineDhtCommand } from "../define.ts";
import { depsArgs } from "./args.ts";

export default defineDhtCommand({
  meta: { name: "install", description: "Provide platform_deps: the system manager (root/sudo, not in a container) or user space into the environment" },
  examples: ["dhtl deps install", "dhtl deps install --system -y", "dhtl deps install --no-system", "dhtl deps install --json"],
  args: depsArgs,
  async run({ args, ctx }) {
    const { printJson, printText } = await import("../../ui/output.ts");
    const { prepareDepsCommand, installSystem } = await import("../../system/index.ts");
    const p = await prepareDepsCommand(ctx, { envDir: args.env, system: args.system, offline: args.offline });
    const result = await installSystem(p.requests, p.sc);
    if (ctx.json) printJson({ ok: true, mode: result.plan.mode, why: result.plan.why, provided: result.provided });
    else printText(result.provided.map((t) => `${t.name}: ${t.route}${t.version ? ` — ${t.version}` : ""} (${t.detail})`).join("\n") || "nothing to do: platform_deps is empty");
  },
});
