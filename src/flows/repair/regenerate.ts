/**
 * `dhtl regenerate`: rebuild the environment from the configuration alone, ignoring the
 * checkpoints (every step runs) and every cache entry in doubt: DHT_HOME download entries
 * whose bytes do not match their sha256, partial downloads, and uv's cached copies of the
 * distributions whose installed files were damaged (uv hard-links from its cache, so the
 * damage may be in the cache too). Packages installed by hand are dropped, so it asks
 * first, listing them; `--force` or `-y` answer for the user, and without a terminal (or
 * with CI=true) it refuses rather than guess.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { RunContext } from "../../context.ts";
import { DhtError, ExitCode, usageError } from "../../errors.ts";
import { dhtHome, homePaths } from "../../paths.ts";
import { runTool } from "../../process.ts";
import { getLogger } from "../../ui/logger.ts";
import { confirm } from "../../ui/confirm.ts";
import { setupOne, type SetupOptions, type SetupOutcome } from "../setup/execute.ts";
import { commandEnv } from "../setup/steps.ts";
import { cleanCache } from "./actions.ts";
import { diagnose } from "./diagnose.ts";
import { offlineWhenUnreachable } from "./offline.ts";

export interface RegenerateOutcome extends SetupOutcome {
  dropped: Array<{ name: string; version?: string }>;
  cacheRemoved: string[];
  uvCacheCleaned: string[];
}


export async function regenerate(ctx: RunContext, given: SetupOptions & { force?: boolean }, envDir?: string): Promise<RegenerateOutcome> {
  const log = await getLogger(ctx);
  const options = await offlineWhenUnreachable(ctx, given, envDir);
  const d = await diagnose(ctx, { ...options, deep: true }, envDir);
  const c = d.facts.environment.configProblem;
  if (c) throw new DhtError(ExitCode.usage, c.message, { subject: c.subject, hint: c.hint });
  const dropped = d.facts.environment.wanted?.extra ?? [];
  const venv = d.facts.environment.venv?.linkPath ?? ".venv";
  if (!options.force && !ctx.yes) {
    const what = `regenerate replaces ${venv} with a venv built from the configuration${dropped.length ? `, dropping what was installed by hand: ${dropped.map((x) => `${x.name}${x.version ? ` ${x.version}` : ""}`).join(", ")}` : ""}`;
    if (!ctx.interactive) {
      throw usageError(`refusing to regenerate without confirmation in a non-interactive session (${what})`, {
        hint: "pass --force (or -y) to confirm; `dhtl fix-env --deep` rebuilds and keeps the packages installed by hand",
      });
    }
    process.stderr.write(`${what}.\n`);
    if (!(await confirm("Regenerate?"))) throw new DhtError(ExitCode.failed, "nothing was changed", { hint: "dhtl fix-env repairs in place; dhtl fix-env --deep rebuilds and keeps hand-installed packages" });
  }
  // Cache entries in doubt.
  const home = dhtHome(ctx.env);
  const bad = d.facts.home.cache?.bad ?? [];
  cleanCache(home, bad);
  for (const partial of d.facts.home.cache?.partials ?? []) {
    rmSync(join(homePaths(home).downloads, partial), { force: true });
    rmSync(join(homePaths(home).downloads, `${partial}.json`), { force: true });
  }
  if (bad.length) log.info(`removed ${bad.length} download cache entries whose sha256 did not match`);
  const damaged = (d.facts.environment.venv?.dists ?? []).filter((x) => x.mismatched.length || x.missing.length || x.metadataError).map((x) => x.name ?? x.dir);
  if (damaged.length && d.uv?.available && d.uv.path && d.prepared && d.plan) {
    const r = await runTool([d.uv.path, "cache", "clean", ...damaged], { env: commandEnv(d.prepared.services, d.plan, {}), cwd: d.facts.environment.envRoot });
    if (r.code === 0) log.info(`dropped uv's cached copies of ${damaged.join(", ")} (their installed files were damaged)`);
    else log.warn(`uv cache clean ${damaged.join(" ")} failed: ${r.stderr.trim().split("\n").at(-1)}`);
  }
  const outcome = await setupOne(ctx, { ...options, restart: true }, envDir);
  return { ...outcome, dropped, cacheRemoved: bad, uvCacheCleaned: damaged };
}
