/**
 * How a dhtl command is declared. Each file in src/commands/ default-exports one
 * `defineDhtCommand({...})`; the table in src/commands/index.ts imports them lazily.
 *
 * Arguments use citty's ArgsDef shape (parsed with citty's parseArgs, usage rendered with
 * citty's renderUsage); the dispatcher in src/main.ts adds the global flags, rejects
 * unknown flags with a suggestion, and hands the command a RunContext.
 */
import type { ArgsDef, ParsedArgs } from "citty";
import type { RunContext } from "../context.ts";

export type Lazy<T> = () => Promise<T>;

export interface DhtCommand<A extends ArgsDef = ArgsDef> {
  meta: { name: string; description: string };
  /** Shown under "Examples" in --help: full command lines. */
  examples?: string[];
  args?: A;
  /**
   * `true`: arguments from the first positional on are the user's (dhtl run pytest -x).
   * `"unknown"`: every word that is not one of this command's (or the global) flags is the
   * user's, wherever it stands (dhtl test -x tests/test_a.py --json): nothing is rejected.
   * Either way, everything after `--` is the user's.
   */
  passthrough?: boolean | "unknown";
  /** Nested commands (`dhtl python install`), each loaded on demand. */
  subCommands?: Record<string, Lazy<DhtCommand<any>>>;
  /** Returns nothing, or an exit status to use instead of 0. */
  run?: (input: {
    args: ParsedArgs<A & typeof globalArgs>;
    ctx: RunContext;
    /** For passthrough commands: the user's words (from the first one, or every unknown one; and after `--`). */
    passthrough: string[];
  }) => Promise<number | void> | number | void;
}

export function defineDhtCommand<const A extends ArgsDef>(command: DhtCommand<A>): DhtCommand<A> {
  return command;
}

/** Flags every command accepts (before or after the command name). */
export const globalArgs = {
  cwd: { type: "string", description: "Run as if started in DIR", valueHint: "DIR" },
  verbose: { type: "boolean", alias: "v", description: "Show debug output" },
  quiet: { type: "boolean", alias: "q", description: "Only show warnings and errors" },
  json: { type: "boolean", description: "Machine-readable output on stdout (logs stay on stderr)" },
  color: { type: "boolean", default: true, description: "Colour output (also off with NO_COLOR)", negativeDescription: "Disable colour output" },
  yes: { type: "boolean", alias: "y", description: "Answer yes to confirmations" },
  help: { type: "boolean", alias: "h", description: "Show help" },
} as const satisfies ArgsDef;
