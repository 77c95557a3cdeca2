/**
 * The run context: the global flags and the process environment as one value, built once
 * per invocation in src/main.ts and handed to every command. Modules receive what they
 * need from it (never read process.env deep inside), which keeps them testable.
 */
import { resolve } from "node:path";

export interface GlobalFlags {
  cwd?: string;
  verbose?: boolean;
  quiet?: boolean;
  json?: boolean;
  color?: boolean;
  yes?: boolean;
}

export interface RunContext {
  /** Absolute working directory (from --cwd, else process.cwd()). */
  cwd: string;
  verbose: boolean;
  quiet: boolean;
  /** Machine output on stdout; human logs go to stderr. */
  json: boolean;
  color: boolean;
  /** Assume "yes" for confirmations. */
  yes: boolean;
  /** False under CI=true or without a TTY on stdin: never prompt then. */
  interactive: boolean;
  /** stderr is a terminal: progress bars may redraw. */
  stderrIsTTY: boolean;
  env: Record<string, string | undefined>;
}

export function isTruthyEnv(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v !== "" && v !== "0" && v !== "false" && v !== "no" && v !== "off";
}

export function createContext(
  flags: GlobalFlags,
  env: Record<string, string | undefined> = process.env,
  tty = { stdin: Boolean(process.stdin.isTTY), stderr: Boolean(process.stderr.isTTY) },
): RunContext {
  const noColorEnv = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  const forceColor = isTruthyEnv(env.FORCE_COLOR);
  const color = flags.color === false ? false : noColorEnv ? false : forceColor || tty.stderr;
  return {
    cwd: resolve(flags.cwd ?? process.cwd()),
    verbose: Boolean(flags.verbose),
    quiet: Boolean(flags.quiet),
    json: Boolean(flags.json),
    color,
    yes: Boolean(flags.yes),
    interactive: tty.stdin && !isTruthyEnv(env.CI),
    stderrIsTTY: tty.stderr,
    env,
  };
}
