/**
 * The command table. Every entry is imported only when that command runs, so start-up
 * cost does not grow with the number of commands.
 */
import type { DhtCommand, Lazy } from "./define.ts";

const load = <T extends { default: DhtCommand<any> }>(p: Promise<T>) => p.then((m) => m.default);

export const commands: Record<string, Lazy<DhtCommand<any>>> = {
  info: () => load(import("./info.ts")),
};

/** Short descriptions for the root --help, without importing every command. */
export const commandSummaries: Record<string, string> = {
  info: "Show what dhtl knows about this machine",
};
