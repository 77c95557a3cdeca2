/**
 * The CLI edge: find the command in argv, check its flags, build the RunContext, run it,
 * and turn whatever it throws into one clear message and a documented exit status.
 * This is the only place that prints errors or decides the exit code.
 */
import { parseArgs, renderUsage, type ArgsDef, type CommandDef } from "citty";
import { buildInfo, versionLine } from "./build-info.ts";
import { commands, commandSummaries } from "./commands/index.ts";
import { globalArgs, type DhtCommand } from "./commands/define.ts";
import { createContext, type RunContext } from "./context.ts";
import { describeFileSystemError } from "./platform/fs-errors.ts";
import { DhtError, ExitCode, isDhtError, usageError } from "./errors.ts";
import { closest } from "./ui/suggest.ts";
import { splitRunnerArgs } from "./testing/user-args.ts";
import { terminalSafe } from "./ui/terminal-safe.ts";
import { bold, cyan, dim, red } from "./ui/style.ts";

interface Resolved {
  command: DhtCommand<any>;
  /** Names from the root, e.g. ["python", "install"]. */
  path: string[];
  /** argv with the command-name tokens removed. */
  rest: string[];
  parent?: DhtCommand<any>;
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Flag names (long, without dashes) and single-letter aliases a command accepts. */
export function knownFlags(args: ArgsDef): { long: Set<string>; short: Set<string>; valued: Set<string>; booleans: Set<string> } {
  const long = new Set<string>();
  const short = new Set<string>();
  const valued = new Set<string>();
  const booleans = new Set<string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const names = [name, kebab(name)];
    const aliases = "alias" in def && def.alias ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
    for (const a of aliases) (a.length === 1 ? short : long).add(a);
    for (const n of names) {
      long.add(n);
      if (def.type === "string" || def.type === "enum") valued.add(n);
      if (def.type === "boolean" || def.type === undefined) booleans.add(n);
    }
    for (const a of aliases) if (def.type === "string" || def.type === "enum") valued.add(a);
  }
  return { long, short, valued, booleans };
}

/**
 * Reject flags the command does not know, with a suggestion. Stops at `--`, and, for
 * commands that pass arguments through (dhtl run), at the first positional argument.
 */
export function checkFlags(tokens: string[], args: ArgsDef, passthrough: boolean): void {
  const { long, short, valued, booleans } = knownFlags(args);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") return;
    if (!token.startsWith("-") || token === "-") {
      if (passthrough) return;
      continue;
    }
    if (token.startsWith("--")) {
      const name = token.slice(2).split("=")[0]!;
      const negated = name.startsWith("no-") ? name.slice(3) : undefined;
      if (long.has(name) || (negated !== undefined && booleans.has(negated))) {
        if (valued.has(name) && !token.includes("=")) i++;
        checkFlagValue(name, token, tokens[i], args, booleans);
        continue;
      }
      const suggestion = closest(name, [...long]);
      throw usageError(`unknown flag --${name}`, {
        subject: `--${name}`,
        hint: suggestion ? `did you mean --${suggestion}? See --help for the flags this command takes.` : "see --help for the flags this command takes",
      });
    }
    const letters = token.slice(1).split("=")[0]!;
    for (const letter of letters) {
      if (!short.has(letter)) {
        throw usageError(`unknown flag -${letter}`, { subject: `-${letter}`, hint: "see --help for the flags this command takes" });
      }
    }
    if (letters.length === 1 && valued.has(letters) && !token.includes("=")) i++;
  }
}

const BOOLEAN_WORDS = ["true", "false", "1", "0", "yes", "no", "on", "off"];

/**
 * Enumerated values are checked at the edge, with the valid ones listed: `--isolate=banana`
 * for a boolean, a value outside an enum flag's options. Nothing is accepted silently.
 */
function checkFlagValue(name: string, token: string, next: string | undefined, args: ArgsDef, booleans: Set<string>): void {
  const eq = token.indexOf("=");
  if (booleans.has(name) && eq >= 0) {
    const value = token.slice(eq + 1);
    if (!BOOLEAN_WORDS.includes(value.toLowerCase())) {
      throw usageError(`--${name} is a switch; ${JSON.stringify(value)} is not one of its values`, {
        subject: `--${name}`,
        hint: `write --${name} (on) or --no-${name} (off); with a value: ${BOOLEAN_WORDS.join(", ")}`,
      });
    }
    return;
  }
  const def = Object.entries(args).find(([key]) => key === name || kebab(key) === name)?.[1] as { type?: string; options?: readonly string[] } | undefined;
  if (def?.type === "enum" && def.options) {
    const value = eq >= 0 ? token.slice(eq + 1) : next;
    if (value !== undefined && !def.options.includes(value)) {
      throw usageError(`--${name} ${JSON.stringify(value)} is not one of its values`, { subject: `--${name}`, hint: `valid values: ${def.options.join(", ")}` });
    }
  }
}

/** Index of the first token that is not a flag (or a global flag's value), or -1. */
function firstWord(tokens: string[], args: ArgsDef): number {
  const { valued } = knownFlags(args);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "--") return -1;
    if (t.startsWith("-") && t !== "-") {
      const name = t.replace(/^-{1,2}/, "").split("=")[0]!;
      if (valued.has(name) && !t.includes("=")) i++;
      continue;
    }
    return i;
  }
  return -1;
}

async function resolveCommand(argv: string[]): Promise<Resolved | undefined> {
  const idx = firstWord(argv, globalArgs);
  if (idx < 0) return undefined;
  const name = argv[idx]!;
  const loader = commands[name];
  if (!loader) throw unknownCommand(name, Object.keys(commands), "dhtl");
  let resolved: Resolved = { command: await loader(), path: [name], rest: [...argv.slice(0, idx), ...argv.slice(idx + 1)] };
  while (resolved.command.subCommands) {
    const subs = resolved.command.subCommands;
    const argsDef = { ...globalArgs, ...(resolved.command.args ?? {}) };
    const j = firstWord(resolved.rest, argsDef);
    if (j < 0) break;
    const subName = resolved.rest[j]!;
    const subLoader = subs[subName];
    if (!subLoader) {
      if (resolved.command.run) break; // a positional argument of a command that also runs itself
      throw unknownCommand(subName, Object.keys(subs), `dhtl ${resolved.path.join(" ")}`);
    }
    resolved = {
      command: await subLoader(),
      path: [...resolved.path, subName],
      rest: [...resolved.rest.slice(0, j), ...resolved.rest.slice(j + 1)],
      parent: resolved.command,
    };
  }
  return resolved;
}

function unknownCommand(name: string, known: string[], where: string): DhtError {
  const suggestion = closest(name, known);
  return usageError(`unknown command "${name}"`, {
    subject: name,
    hint: suggestion ? `did you mean \`${where} ${suggestion}\`? Run \`${where} --help\` for the list.` : `run \`${where} --help\` for the list of commands`,
  });
}

function asCittyCommand(command: DhtCommand<any>, name: string): CommandDef<any> {
  return {
    meta: { name, description: command.meta.description },
    args: { ...(command.args ?? {}), ...globalArgs },
    subCommands: command.subCommands
      ? Object.fromEntries(Object.entries(command.subCommands).map(([k, load]) => [k, async () => asCittyCommand(await load(), k)]))
      : undefined,
  };
}

export async function renderHelp(resolved: Resolved | undefined, color: boolean): Promise<string> {
  if (!resolved) {
    const names = Object.keys(commandSummaries);
    const width = Math.max(...names.map((n) => n.length));
    const lines = [
      `${bold(color, "dhtl")} ${buildInfo.version}: a Python development environment on any machine`,
      "",
      `${bold(color, "Usage:")} dhtl <command> [flags]`,
      "",
      bold(color, "Commands:"),
      ...names.map((n) => `  ${cyan(color, n.padEnd(width))}  ${commandSummaries[n]}`),
      "",
      bold(color, "Global flags:"),
      "  --cwd DIR        Run as if started in DIR",
      "  -v, --verbose    Show debug output",
      "  -q, --quiet      Only show warnings and errors",
      "  --json           Machine-readable output on stdout",
      "  --no-color       Disable colour (also NO_COLOR=1)",
      "  -y, --yes        Answer yes to confirmations",
      "  -V, --version    Print version, commit and target",
      "",
      `${bold(color, "Examples:")}`,
      "  dhtl setup                 # the right Python, a .venv and the dependencies",
      "  dhtl info --json           # what dhtl sees on this machine",
      "",
      dim(color, "Run `dhtl <command> --help` for a command's flags and examples."),
    ];
    return lines.join("\n");
  }
  const name = resolved.path.join(" ");
  const parent = resolved.parent ? asCittyCommand(resolved.parent, resolved.path.slice(0, -1).join(" ")) : undefined;
  const own = asCittyCommand(resolved.command, resolved.path.at(-1)!);
  let text = await renderUsage(own, parent ?? ({ meta: { name: "dhtl" } } as CommandDef<any>));
  if (!color) text = Bun.stripANSI(text);
  // citty pads every option line to the widest; trailing blanks only get in the way of a pipe.
  text = text.replace(/[ \t]+$/gm, "");
  const examples = resolved.command.examples ?? [];
  if (examples.length) text += `\n\n${bold(color, "Examples:")}\n${examples.map((e) => `  ${e}`).join("\n")}`;
  return text.replace(/^(.*?)\(dhtl [^)]*\)/, `$1(${name})`);
}

/** Global flags are read before the command is known, so `dhtl --json info` works too. */
function readGlobalFlags(argv: string[]) {
  const cut = argv.indexOf("--");
  const head = cut < 0 ? argv : argv.slice(0, cut);
  try {
    return parseArgs(head, globalArgs as ArgsDef) as Record<string, unknown>;
  } catch {
    return {} as Record<string, unknown>;
  }
}

export function renderError(error: DhtError, color: boolean): string {
  // Messages quote entry names, file lines and server answers: escaped before styling.
  const lines = [`${red(color, "error:")} ${terminalSafe(error.message)}`];
  if (error.subject) lines.push(`  ${dim(color, "in:")}   ${terminalSafe(error.subject)}`);
  if (error.hint) lines.push(`  ${dim(color, "hint:")} ${terminalSafe(error.hint)}`);
  return lines.join("\n");
}

function toDhtError(error: unknown, ctx: RunContext): DhtError {
  if (isDhtError(error)) return error;
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === "CLIError" || e?.code === "EARG") {
    return usageError(Bun.stripANSI(String(e.message)), { hint: "see --help" });
  }
  // A file-system fault (read-only project, full disk, permissions) is named for what it is.
  const fsProblem = describeFileSystemError(error);
  if (fsProblem) {
    const where = fsProblem.path ? ` (${fsProblem.path})` : "";
    return new DhtError(ExitCode.failed, `could not write${where}: ${fsProblem.what}`, {
      ...(fsProblem.path ? { subject: fsProblem.path } : {}),
      hint: fsProblem.hint,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DhtError(ExitCode.failed, `unexpected error: ${message}`, {
    hint: ctx.verbose ? undefined : "run again with --verbose for details, and report it if it persists",
    cause: error,
  });
}

/**
 * For commands that pass arguments through (dhtl run pytest -x): dhtl's own flags are the
 * tokens before the first positional word; that word and everything after it (or after
 * `--`) belong to the user's command.
 */
export function splitPassthrough(tokens: string[], args: ArgsDef): { own: string[]; passthrough: string[] } {
  const cut = tokens.indexOf("--");
  const head = cut < 0 ? tokens : tokens.slice(0, cut);
  const first = firstWord(head, args);
  if (first >= 0) return { own: head.slice(0, first), passthrough: tokens.slice(first).filter((_, i) => first + i !== cut) };
  return { own: head, passthrough: cut < 0 ? [] : tokens.slice(cut + 1) };
}

function contextFrom(flags: Record<string, unknown>): RunContext {
  return createContext({
    cwd: typeof flags.cwd === "string" ? flags.cwd : undefined,
    verbose: flags.verbose === true,
    quiet: flags.quiet === true,
    json: flags.json === true,
    color: flags.color !== false,
    yes: flags.yes === true,
  });
}

export async function main(argv: string[]): Promise<number> {
  let flags = readGlobalFlags(argv);
  let ctx = contextFrom(flags);
  const onSignal = () => process.exit(ExitCode.interrupted);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const resolved = await resolveCommand(argv);
    if (!resolved) {
      if (flags.version) {
        process.stdout.write(`${versionLine()}\n`);
        return ExitCode.ok;
      }
      checkFlags(argv, { ...globalArgs, version: { type: "boolean", alias: "V" } }, false);
      process.stdout.write(`${await renderHelp(undefined, ctx.color)}\n`);
      return flags.help || argv.length === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const { command } = resolved;
    const argsDef = { ...globalArgs, ...(command.args ?? {}) } as ArgsDef;
    let own = resolved.rest;
    let passthrough: string[] = [];
    if (command.passthrough === "unknown") {
      // dhtl test: dhtl's own flags wherever they stand; every other word is the runner's.
      ({ own, runner: passthrough } = splitRunnerArgs(resolved.rest, knownFlags(argsDef)));
      flags = readGlobalFlags(own);
      ctx = contextFrom(flags);
    } else if (command.passthrough) {
      ({ own, passthrough } = splitPassthrough(resolved.rest, argsDef));
      flags = readGlobalFlags(own);
      ctx = contextFrom(flags);
    }
    if (flags.help) {
      process.stdout.write(`${await renderHelp(resolved, ctx.color)}\n`);
      return ExitCode.ok;
    }
    checkFlags(own, argsDef, false);
    if (!command.run) {
      process.stderr.write(`${await renderHelp(resolved, ctx.color)}\n`);
      throw usageError(`\`dhtl ${resolved.path.join(" ")}\` needs a subcommand`, {
        hint: `one of: ${Object.keys(command.subCommands ?? {}).join(", ")}`,
      });
    }
    const args = parseArgs(own, argsDef);
    const status = await command.run({ args: args as never, ctx, passthrough });
    return typeof status === "number" ? status : ExitCode.ok;
  } catch (error) {
    const dhtError = toDhtError(error, ctx);
    if (ctx.json) process.stdout.write(`${JSON.stringify({ ok: false, error: dhtError.toJSON() }, null, 2)}\n`);
    process.stderr.write(`${renderError(dhtError, ctx.color)}\n`);
    if (ctx.verbose && error instanceof Error && !isDhtError(error)) process.stderr.write(`${error.stack}\n`);
    if (ctx.verbose && isDhtError(error) && error.cause instanceof Error) process.stderr.write(`cause: ${error.cause.stack}\n`);
    return dhtError.code;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
