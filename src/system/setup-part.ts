/**
 * The system-packages part of `dhtl setup`: a step after create-venv (src/flows/setup/steps.ts
 * EnvironmentPart) that provides platform_deps, and its preview for `--dry-run`.
 */
import { existsSync } from "node:fs";
import type { RunContext } from "../context.ts";
import type { PlatformDepsConfig } from "../config/schema.ts";
import type { NetSettings } from "../net/types.ts";
import type { PlatformFacts } from "../platform/types.ts";
import { sha256Hex } from "../flows/setup/inputs-hash.ts";
import { installSystem, planSystem, readSystemRecord } from "./install.ts";
import { renderSystemPlan, requestsFromConfig, systemContext } from "./index.ts";
import type { SystemFlags } from "./plan.ts";

export interface SystemPartInput {
  ctx: RunContext;
  home: string;
  facts: PlatformFacts;
  platformDeps: PlatformDepsConfig | undefined;
  registries: { indexUrl: string; extraIndexUrls?: string[]; noIndex?: boolean };
  net?: NetSettings;
  flags: SystemFlags;
  log: (m: string) => void;
  warn: (m: string) => void;
  bundlePayload?: (name: string) => import("./install.ts").BundledPayload | undefined;
  /**
   * System packages the test route's CI installs (src/testing: `apt-get install …` in a CI
   * step): provided when they can be, a warning when not — a hint from CI, not something the
   * user configured, so it never fails setup.
   */
  routeHints?: { deps: PlatformDepsConfig; origin: string };
}

export async function systemSetupPart(input: SystemPartInput) {
  const requests = requestsFromConfig(input.platformDeps, input.facts.os);
  const configured = new Set(requests.map((r) => JSON.stringify(r)));
  const hinted = input.routeHints ? requestsFromConfig(input.routeHints.deps, input.facts.os).filter((r) => !configured.has(JSON.stringify(r))) : [];
  if (!requests.length && !hinted.length) return undefined;
  const contextFor = (binDir?: string) => systemContext({ ...input, ...(binDir ? { binDir } : {}) });
  return {
    part: {
      id: "system-packages",
      title: "Providing system packages (platform_deps)",
      hash: sha256Hex(JSON.stringify([input.platformDeps, input.routeHints?.deps ?? null, input.flags, input.facts.distro ?? null, input.facts.packageManagers])),
      async run(binDir: string) {
        const sc = await contextFor(binDir);
        const result = requests.length ? await installSystem(requests, sc) : undefined;
        const provided = [...(result?.provided ?? [])];
        for (const hint of hinted) {
          try {
            provided.push(...(await installSystem([hint], sc)).provided);
          } catch (error) {
            input.warn(`${input.routeHints!.origin} installs ${hint.name}, which could not be provided here (${(error as Error).message.split("\n")[0]}): tests that need it may fail or skip`);
          }
        }
        return { mode: result?.plan.mode ?? "hint", provided };
      },
      stillValid(binDir: string) {
        const record = readSystemRecord(binDir);
        return Boolean(record) && record!.provided.every((p) => Object.values(p.laid).every((path) => existsSync(path)));
      },
    },
    async preview() {
      const sc = await contextFor();
      const plan = await planSystem([...requests, ...hinted], sc);
      return { id: "system-packages", text: renderSystemPlan(plan, input.facts), data: plan };
    },
  };
}
