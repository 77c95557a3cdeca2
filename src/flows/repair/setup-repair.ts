/**
 * `dhtl setup` on a venv that broke since it was verified (the no-op check's baseline says
 * so): repair instead of rebuilding, so packages installed by hand survive. In place when
 * that suffices, a rebuild beside the old venv when only that helps (the base Python gone).
 */
import type { RunContext } from "../../context.ts";
import { ExitCode } from "../../errors.ts";
import { getLogger } from "../../ui/logger.ts";
import { printJson, printText } from "../../ui/output.ts";
import type { SetupOptions } from "../setup/execute.ts";
import { activationText } from "../setup/summary.ts";
import { fixEnv } from "./fix-env.ts";

export async function repairFromSetup(ctx: RunContext, options: SetupOptions, reason: string): Promise<number> {
  const log = await getLogger(ctx);
  log.info(`the environment broke since it was verified: ${reason}; repairing it`);
  const outcome = await fixEnv(ctx, { ...options, auto: true });
  if (ctx.json) printJson({ ...outcome, repaired: true, reason });
  else if (outcome.ok) printText(activationText(outcome.venv!, { windows: process.platform === "win32" }));
  else printText(`Still failing after the repair:\n${outcome.remaining.map((f) => `  ✖ ${f.title}: ${f.found}${f.fix ? `\n      fix: ${f.fix.command}` : ""}`).join("\n")}`);
  return outcome.ok ? ExitCode.ok : ExitCode.failed;
}
