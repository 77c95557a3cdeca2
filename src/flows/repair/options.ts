/**
 * The setup options a repair runs with. Built exactly as a plain `dhtl setup` builds its own,
 * so the settings key (and every step hash) of a repaired environment is the one `dhtl setup`
 * computes: after a repair, setup has nothing to redo. `--offline` and `--offline-bundle` say
 * how the repair gets its packages (`workOffline`), not what the environment is: an offline
 * repair records the setup the configuration describes, like one that had the network.
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
    config: configFlagsFromArgs({}),
    python: undefined,
    preferBinary: undefined,
    isolate: undefined,
    localVenv: undefined,
    offline: undefined,
    offlineBundle: undefined,
    verifyKey: undefined,
    noDev: false,
  };
  const bundle = args["offline-bundle"];
  return {
    ...flags,
    env: args.env,
    settingsKey: computeSettingsKey(flags, env, buildInfo.version),
    ...(args.offline || bundle ? { workOffline: bundle ? { bundle } : {} } : {}),
  };
}

/** Flags every repair command takes. */
export const repairArgs = {
  env: { type: "string", description: "Monorepo: the environment directory", valueHint: "DIR" },
  offline: { type: "boolean", description: "Never use the network: repair from uv's cache and DHT_HOME" },
  "offline-bundle": { type: "string", description: "Repair from this offline bundle (no network)", valueHint: "FILE" },
} as const;
