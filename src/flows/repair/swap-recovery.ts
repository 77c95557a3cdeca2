/**
 * A `fix-env --deep` killed between the two renames of its fallback swap (no atomic
 * exchange: src/repair/swap.ts) leaves the venv path empty and a journal saying where the
 * old venv is. The next `dhtl setup` or `dhtl fix-env` puts that right before anything else,
 * holding the project lock, so the run that wrote the journal is certainly gone (one that is
 * still running holds the lock: this waits, as setup does).
 */
import { join } from "node:path";
import type { RunContext } from "../../context.ts";
import { acquireLock } from "../../env/lock.ts";
import { projectStateDir } from "../../paths.ts";
import { readSwapJournal, recoverSwap } from "../../repair/swap.ts";
import { getLogger } from "../../ui/logger.ts";

export async function recoverInterruptedSwap(ctx: RunContext, envRoot: string, options: { noWait?: boolean } = {}): Promise<string | undefined> {
  const stateDir = projectStateDir(envRoot);
  if (!readSwapJournal(stateDir)) return undefined;
  const log = await getLogger(ctx);
  const lock = await acquireLock(join(stateDir, "lock"), {
    purpose: "setup",
    noWait: options.noWait,
    onWait: (o) => log.info(`waiting for the dhtl run as pid ${o.pid}${o.host ? ` on ${o.host}` : ""} (it may be the repair that is swapping the venv)`),
  });
  try {
    const done = recoverSwap(stateDir);
    if (done) log.info(done);
    return done;
  } finally {
    lock.release();
  }
}
