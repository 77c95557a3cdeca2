/**
 * Human-facing log output. consola costs tens of milliseconds to import (it pulls in
 * node:tty and node:util), so it is loaded on first use only: `dhtl --version` and
 * `dhtl info --json` never pay for it.
 *
 * All log lines go to stderr, so stdout stays clean for --json output and for commands
 * whose output is meant to be piped.
 */
import type { ConsolaInstance } from "consola";
import type { RunContext } from "../context.ts";

export type Logger = ConsolaInstance;

const cache = new WeakMap<RunContext, Promise<Logger>>();

export function logLevelFor(ctx: Pick<RunContext, "quiet" | "verbose">): number {
  // consola levels: 0 fatal/error, 1 warn, 2 log, 3 info/success/start, 4 debug, 5 trace
  if (ctx.quiet) return 1;
  if (ctx.verbose) return 4;
  return 3;
}

export function getLogger(ctx: RunContext): Promise<Logger> {
  let logger = cache.get(ctx);
  if (!logger) {
    logger = Promise.all([import("consola"), import("./terminal-safe.ts")]).then(([{ createConsola }, { terminalSafe }]) => {
      const instance = createConsola({
        level: logLevelFor(ctx),
        stdout: process.stderr,
        stderr: process.stderr,
        formatOptions: { colors: ctx.color, date: false, compact: !ctx.stderrIsTTY },
      });
      // Log lines quote untrusted strings (entry names, server answers): escaped before
      // consola adds its own colours.
      const reporters = instance.options.reporters;
      instance.setReporters(
        reporters.map((reporter) => ({
          log: (entry, context) =>
            reporter.log({ ...entry, args: entry.args.map((a) => (typeof a === "string" ? terminalSafe(a) : a)), ...(typeof entry.message === "string" ? { message: terminalSafe(entry.message) } : {}) }, context),
        })),
      );
      return instance;
    });
    cache.set(ctx, logger);
  }
  return logger;
}
