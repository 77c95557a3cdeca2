import { homedir } from "node:os";
import { defineDhtCommand } from "../define.ts";
import { usageError } from "../../errors.ts";
import { dhtHome } from "../../paths.ts";
import { printJson, printText } from "../../ui/output.ts";
import { confirm } from "../../ui/confirm.ts";
import type { UninstallPlan } from "../../self/uninstall.ts";

function describe(plan: UninstallPlan): string[] {
  return [
    `  ${plan.executable}`,
    ...plan.files.map((f) => `  ${f}`),
    ...plan.rcEdits.map((e) => `  ${e.lines} line(s) in ${e.file}`),
    ...(plan.windowsPathEntry ? [`  ${plan.windowsPathEntry} from your user PATH`] : []),
    ...(plan.dhtHome ? [`  ${plan.dhtHome} (Pythons, tools, caches)`] : []),
  ];
}


export default defineDhtCommand({
  meta: { name: "uninstall", description: "Remove dhtl and the PATH lines its installer added (--all: also DHT_HOME)" },
  examples: ["dhtl self uninstall", "dhtl self uninstall --yes", "dhtl self uninstall --all --yes"],
  args: {
    all: { type: "boolean", description: "Also delete DHT_HOME (managed Pythons, uv, caches)" },
  },
  async run({ args, ctx }) {
    if (!Bun.isStandaloneExecutable) {
      throw usageError("self uninstall removes an installed dhtl executable, but this is running from source", {
        hint: "nothing to uninstall; delete the checkout instead",
      });
    }
    const { planUninstall, performUninstall } = await import("../../self/uninstall.ts");
    const home = ctx.env.HOME?.trim() || homedir();
    const plan = planUninstall({
      executable: process.execPath,
      env: ctx.env,
      home,
      dhtHome: dhtHome(ctx.env, home),
      all: args.all === true,
      windows: process.platform === "win32",
    });
    if (!ctx.yes) {
      if (!ctx.interactive) {
        throw usageError("refusing to uninstall without confirmation in a non-interactive session", {
          hint: "pass --yes (-y) to confirm: dhtl self uninstall --yes",
        });
      }
      process.stderr.write(`This removes:\n${describe(plan).join("\n")}\n`);
      if (!(await confirm("Uninstall dhtl?"))) {
        process.stderr.write("nothing was removed\n");
        return 1;
      }
    }
    await performUninstall(plan, ctx.env, home);
    if (ctx.json) printJson({ ok: true, removed: plan });
    else printText(`removed:\n${describe(plan).join("\n")}`);
  },
});
