/**
 * The setup options a repair runs with. Built exactly as `dhtl setup` builds its own from
 * the same flags, so the settings key (and every step hash) of a repaired environment is
 * the one a plain `dhtl setup` computes: after a repair, setup has nothing to redo.
 */
import { buildInfo } from "../../build-info.ts";
import { configFlagsFromArgs } from "../../config/overrides.ts";
import { computeSettingsKey } from "../setup/inputs-hash.ts";
import type { SetupOptions } from "../setup/execute.ts";

export interface RepairArgs {
  offline?: boolean;
  "offline-bundle"?: string;
  env?: string;
}

export function repairSetupOptions(args: RepairArgs, env: Record<string, string | undefined>): SetupOptions {
  const flags = {
    config: configFlagsFromArgs({ offline: args.offline, "offline-bundle": args["offline-bundle"] }),
    python: undefined,
    preferBinary: undefined,
    isolate: undefined,
    localVenv: undefined,
    offline: args.offline,
    offlineBundle: args["offline-bundle"],
    verifyKey: undefined,
    noDev: false,
  };
  return { ...flags, env: args.env, settingsKey: computeSettingsKey(flags, env, buildInfo.version) };
}

/** Flags every repair command takes. */
export const repairArgs = {
  env: { type: "string", description: "Monorepo: the environment directory", valueHint: "DIR" },
  offline: { type: "boolean", description: "Never use the network: repair from uv's cache and DHT_HOME" },
  "offline-bundle": { type: "string", description: "Repair from this offline bundle (no network)", valueHint: "FILE" },
} as const;
