/**
 * src/system's public face for commands and flows: building the requests and the context
 * from a resolved configuration, and rendering a plan.
 */
import type { RunContext } from "../context.ts";
import type { PlatformDepsConfig } from "../config/schema.ts";
import type { NetSettings } from "../net/types.ts";
import type { PlatformFacts } from "../platform/types.ts";
import { BUILTIN_MAPPING, mergeMapping, type Mapping } from "./mapping.ts";
import { systemRequests, type SystemFlags, type SystemPlan, type SystemRequest } from "./plan.ts";
import type { SystemContext } from "./install.ts";

export { installSystem, planSystem, readSystemRecord, type SystemResult, type ProvidedTool } from "./install.ts";
export type { SystemPlan, SystemRequest, SystemFlags } from "./plan.ts";

export function requestsFromConfig(deps: PlatformDepsConfig | undefined, os: PlatformFacts["os"]): SystemRequest[] {
  return systemRequests(deps, os, mergeMapping(BUILTIN_MAPPING, deps?.mapping as Mapping | undefined));
}

export interface ContextInput {
  ctx: RunContext;
  home: string;
  facts: PlatformFacts;
  flags: SystemFlags;
  registries?: { indexUrl: string; extraIndexUrls?: string[]; noIndex?: boolean };
  net?: NetSettings;
  binDir?: string;
  log: (m: string) => void;
  warn: (m: string) => void;
  bundlePayload?: (name: string) => import("../system/install.ts").BundledPayload | undefined;
}

/** Confirm the system command on an interactive terminal unless --yes (CI and pipes never prompt). */
async function confirmOnTty(line: string): Promise<boolean> {
  process.stderr.write(`dhtl will run: ${line}\nRun it? [Y/n] `);
  for await (const chunk of process.stdin) {
    const answer = String(chunk).trim().toLowerCase();
    return answer === "" || answer === "y" || answer === "yes";
  }
  return false;
}

export async function systemContext(input: ContextInput): Promise<SystemContext> {
  const { pythonPlatformKey } = await import("../platform/index.ts");
  let indexes: SystemContext["indexes"] = [];
  if (!input.flags.offline && !input.registries?.noIndex) {
    const { indexesToTry } = await import("../uv/ensure.ts");
    indexes = await indexesToTry({ ctx: input.ctx, ...(input.registries ? { registries: input.registries } : {}) }, input.ctx.env);
  }
  return {
    env: input.ctx.env,
    home: input.home,
    facts: input.facts,
    platformKey: pythonPlatformKey(input.facts),
    flags: input.flags,
    indexes,
    ...(input.net ? { net: input.net } : {}),
    ...(input.binDir ? { binDir: input.binDir } : {}),
    log: input.log,
    warn: input.warn,
    verbose: input.ctx.verbose,
    ...(input.ctx.interactive && !input.ctx.yes ? { confirm: confirmOnTty } : {}),
    ...(input.bundlePayload ? { bundlePayload: input.bundlePayload } : {}),
    progress: input.ctx.json || input.ctx.quiet ? "none" : "auto",
  };
}

/** The plan as text (what `dhtl deps plan` and `dhtl setup --dry-run` print). */
export function renderSystemPlan(plan: SystemPlan, facts: Pick<PlatformFacts, "distro" | "packageManagers" | "os">): string {
  const lines: string[] = [];
  lines.push(`System packages for ${facts.distro?.name ?? facts.os} (package managers: ${facts.packageManagers.join(", ") || "none found"})`);
  lines.push(`  route: ${plan.mode === "system" ? "system package manager" : "user space"} — ${plan.why}`);
  for (const item of plan.items) {
    const names = item.manager ? `${item.manager}: ${item.packages.join(" ") || "(none needed)"}` : "no names for this machine's managers";
    lines.push(`  ${item.name} (${item.kind}, ${item.origin}) — ${names}`);
    lines.push(`      ${item.route === "present" ? "present" : item.route === "skip" ? "skipped" : item.route === "system" ? "install" : "user space"}: ${item.why}`);
    if (item.route === "userspace") {
      for (const s of item.userspace) lines.push(`      ${s.usable ? "try" : "no "} ${s.source}: ${s.why}`);
    }
  }
  for (const c of plan.commands) lines.push(`  will run: ${c.argv.join(" ")}`);
  for (const n of plan.notes) lines.push(`  note: ${n}`);
  if (!plan.items.length) lines.push("  nothing: platform_deps is empty");
  return lines.join("\n");
}

export interface DepsCommandOptions {
  envDir?: string;
  system?: boolean;
  offline?: boolean;
}

/** What `dhtl deps plan|install` start from: the configuration of the environment at cwd, the facts, the context. */
export async function prepareDepsCommand(ctx: RunContext, opts: DepsCommandOptions) {
  const [{ resolveConfig }, { getPlatformFacts }, { dhtHome }, { getLogger }, { netSettingsOf }] = await Promise.all([
    import("../config/resolve.ts"),
    import("../platform/index.ts"),
    import("../paths.ts"),
    import("../ui/logger.ts"),
    import("../flows/setup/gather.ts"),
  ]);
  const resolved = await resolveConfig({ cwd: ctx.cwd, env: ctx.env, ...(opts.envDir ? { envDir: opts.envDir } : {}) });
  const log = await getLogger(ctx);
  for (const w of resolved.warnings) log.warn(w);
  const facts = await getPlatformFacts({ env: ctx.env });
  const envRoot = resolved.environment?.root ?? resolved.projectRoot;
  let binDir: string | undefined;
  try {
    const [{ usableVenv }, { venvBinDir, hostOs }] = await Promise.all([import("../env/run-in-venv.ts"), import("../env/venv.ts")]);
    binDir = venvBinDir(usableVenv(envRoot, resolved.config.python?.venv, hostOs()).venv, hostOs());
  } catch {
    // No venv yet: a plan works without one; user-space installs then say to run dhtl setup.
    binDir = undefined;
  }
  const offline = Boolean(opts.offline || resolved.config.offline?.enabled);
  const flags: SystemFlags = { ...(opts.system === true ? { system: true } : {}), ...(opts.system === false ? { noSystem: true } : {}), ...(offline ? { offline: true } : {}) };
  const requests = requestsFromConfig(resolved.config.platform_deps, facts.os);
  const sc = await systemContext({ ctx, home: dhtHome(ctx.env), facts, flags, net: netSettingsOf(resolved.config), ...(binDir ? { binDir } : {}), log: (m) => log.info(m), warn: (m) => log.warn(m) });
  return { resolved, facts, envRoot, requests, sc, log };
}
