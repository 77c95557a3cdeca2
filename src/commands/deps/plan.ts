import { defineDhtCommand } from "../define.ts";
import { depsArgs } from "./args.ts";

export default defineDhtCommand({
  meta: { name: "plan", description: "Show how platform_deps would be provided on this machine (changes nothing)" },
  examples: ["dhtl deps plan", "dhtl deps plan --json", "dhtl deps plan --system", "dhtl deps plan --list"],
  args: {
    ...depsArgs,
    list: { type: "boolean", description: "List the logical package names dhtl knows (postgresql-client, redis, libpq, ...)" },
  },
  async run({ args, ctx }) {
    const { printJson, printText } = await import("../../ui/output.ts");
    if (args.list) {
      const { BUILTIN_MAPPING } = await import("../../system/mapping.ts");
      if (ctx.json) printJson(BUILTIN_MAPPING);
      else printText(Object.entries(BUILTIN_MAPPING).map(([name, e]) => `${name.padEnd(18)} ${e.description ?? ""}`).join("\n"));
      return;
    }
    const { prepareDepsCommand, planSystem, renderSystemPlan } = await import("../../system/index.ts");
    const p = await prepareDepsCommand(ctx, { envDir: args.env, system: args.system, offline: args.offline });
    const plan = await planSystem(p.requests, p.sc);
    if (ctx.json) printJson({ ok: true, platform: p.sc.platformKey, distro: p.facts.distro ?? null, packageManagers: p.facts.packageManagers, ...plan });
    else printText(renderSystemPlan(plan, p.facts));
  },
});
