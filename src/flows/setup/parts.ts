/**
 * The parts of the environment other modules provide once the venv exists: system packages
 * (src/system) and Node.js (src/languages/node). The setup flow only asks them for their
 * step and their dry-run preview; the work is theirs.
 */
import type { RunContext } from "../../context.ts";
import type { Gathered, SetupFlags } from "./gather.ts";
import type { EnvironmentPart } from "./steps.ts";
import type { OpenedBundle } from "../../bundle/types.ts";
import { pythonPlatformKey } from "../../platform/index.ts";

export interface PartPreview {
  id: string;
  text: string;
  data: unknown;
}

export async function environmentParts(
  g: Gathered,
  ctx: RunContext,
  flags: SetupFlags,
  log: { info(m: string): void; warn(m: string): void },
  bundle?: OpenedBundle,
): Promise<Array<{ part: EnvironmentPart; preview(): Promise<PartPreview> }>> {
  const out: Array<{ part: EnvironmentPart; preview(): Promise<PartPreview> }> = [];
  const key = pythonPlatformKey(g.facts);
  // What an offline bundle carries for this platform (prepare-offline: src/system/offline.ts).
  const bundlePayload = bundle
    ? (name: string) => {
        const p = bundle.systemPayload(key, name);
        return p && { source: p.source, paths: p.paths, sha256s: p.files, detail: p.detail, ...(p.bin ? { bin: p.bin } : {}), ...(p.archive ? { archive: p.archive } : {}), ...(p.manager ? { manager: p.manager } : {}) };
      }
    : undefined;
  const bundledNode = bundle?.node(key);
  const common = { ctx, home: g.home, facts: g.facts, registries: g.registries, net: g.net, log: (m: string) => log.info(m), warn: (m: string) => log.warn(m), ...(bundlePayload ? { bundlePayload } : {}) };
  const { systemSetupPart } = await import("../../system/setup-part.ts");
  const system = await systemSetupPart({
    ...common,
    platformDeps: g.config.platform_deps,
    ...routeSystemHints(g, Boolean(flags.noDev)),
    flags: { ...(flags.system === true ? { system: true } : {}), ...(flags.system === false ? { noSystem: true } : {}), ...(g.offline ? { offline: true } : {}) },
  });
  if (system) out.push(system);
  const { nodeSetupPart } = await import("../../languages/node/setup-part.ts");
  const node = await nodeSetupPart({
    env: ctx.env,
    home: g.home,
    facts: g.facts,
    net: g.net,
    offline: g.offline,
    strict: Boolean(flags.strict),
    envRoot: g.envRoot,
    projectRoot: g.projectRoot,
    ...(g.config.languages?.node ? { config: g.config.languages.node } : {}),
    ...(g.resolved.origins["languages.node.version"] ? { configOrigin: g.resolved.origins["languages.node.version"] } : {}),
    indexes: async () => (await import("../../uv/ensure.ts")).indexesToTry({ ctx, registries: g.registries }, ctx.env),
    log: (m) => log.info(m),
    warn: (m) => log.warn(m),
    verbose: ctx.verbose,
    progress: ctx.json || ctx.quiet ? "none" : "auto",
    ...(bundledNode ? { bundle: { version: bundledNode.version, file: bundledNode.file, format: bundledNode.format } } : {}),
  });
  if (node) out.push(node);
  return out;
}

/** The apt packages the test route's CI step installs, as hints for the system step (never with --no-dev). */
function routeSystemHints(g: Gathered, noDev: boolean): { routeHints?: { deps: import("../../config/schema.ts").PlatformDepsConfig; origin: string } } {
  const needs = noDev ? [] : (g.test.chosen?.needs ?? []).filter((n): n is Extract<typeof n, { kind: "system" }> => n.kind === "system");
  const byManager: Record<string, string[]> = {};
  for (const n of needs) (byManager[n.manager] ??= []).push(n.name);
  if (!needs.length) return {};
  return { routeHints: { deps: { linux: byManager } as import("../../config/schema.ts").PlatformDepsConfig, origin: `the test route's CI (${needs[0]!.evidence.file})` } };
}
