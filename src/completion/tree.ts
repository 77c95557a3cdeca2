/**
 * Shell completions for dhtl, with @bomb.sh/tab: `dhtl completion bash|zsh|fish|powershell`
 * prints the script for that shell; the script calls `dhtl completion complete -- WORDS…` at
 * each TAB, which loads the command table (every command definition, lazily imported as
 * usual) and answers with the matching commands, flags and enumerated values.
 *
 * The tree is built from the same definitions --help and the flag check use, so a new
 * command or flag completes without anything to maintain here.
 */
import type { ArgsDef } from "citty";
import type { DhtCommand, Lazy } from "../commands/define.ts";
import { globalArgs } from "../commands/define.ts";

export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
export type Shell = (typeof SHELLS)[number];

/** Values to offer after a flag, where the flag takes one of a few. */
const FLAG_VALUES: Record<string, string[]> = {
  strategy: ["uv", "requirements", "pip"],
};

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

type TabRoot = import("@bomb.sh/tab").RootCommand;
type TabCommand = import("@bomb.sh/tab").Command;

function addFlags(target: TabCommand, args: ArgsDef): void {
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const flag = kebab(name);
    const description = (def as { description?: string }).description ?? "";
    const alias = "alias" in def && typeof def.alias === "string" && def.alias.length === 1 ? def.alias : undefined;
    const values = FLAG_VALUES[flag] ?? (def.type === "enum" && "options" in def ? [...((def as { options?: string[] }).options ?? [])] : undefined);
    if (values) target.option(flag, description, (complete) => values.forEach((v) => complete(v, "")), alias);
    else if (def.type === "string") target.option(flag, description, () => {}, alias);
    else if (alias) target.option(flag, description, alias);
    else target.option(flag, description);
  }
}

/** Register `table` (and nested sub-commands) under `prefix` in the tab tree. */
async function addCommands(root: TabRoot, table: Record<string, Lazy<DhtCommand<any>>>, prefix: string): Promise<void> {
  for (const [name, load] of Object.entries(table)) {
    const command = await load();
    const path = prefix ? `${prefix} ${name}` : name;
    const node = root.command(path, command.meta.description);
    addFlags(node, { ...globalArgs, ...(command.args ?? {}) });
    if (command.subCommands) await addCommands(root, command.subCommands, path);
  }
}

export async function completionTree(): Promise<TabRoot> {
  const [{ RootCommand }, { commands }] = await Promise.all([import("@bomb.sh/tab"), import("../commands/index.ts")]);
  const root = new RootCommand();
  addFlags(root, globalArgs);
  await addCommands(root, commands, "");
  return root;
}
