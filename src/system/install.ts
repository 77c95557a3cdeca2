/**
 * The effects behind `dhtl deps plan|install` and the setup step: ask the managers what is
 * installed, build the plan (plan.ts), then run it — the system manager with one clear line,
 * else (or when it fails) the user-space sources into the environment — and check every
 * tool by running it. What cannot be provided ends with exit 3, naming the package, every
 * source tried and why, and the command an administrator would run.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import type { NetSettings } from "../net/types.ts";
import type { PlatformFacts } from "../platform/types.ts";
import { runTool } from "../process.ts";
import { findOnPath } from "../platform/which.ts";
import { writeFileAtomic } from "../env/checkpoints.ts";
import { installEnv, needsRefresh, parseInstalled, queryCommand, refreshCommand } from "./managers.ts";
import { isManager, type Manager, type MappingEntry } from "./mapping.ts";
import { buildSystemPlan, type PlanItem, type SystemFlags, type SystemPlan, type SystemRequest } from "./plan.ts";
import { checkTool, findTool, globPaths, layWrapper, removeFile, wrapperScript } from "./tools.ts";
import { fromArchive, fromBundleFiles, fromDistro, fromIndexWheel, fromSource, type FetchContext, type Payload } from "./userspace.ts";

export interface BundledPayload {
  source: "index" | "distro";
  paths: string[];
  sha256s: string[];
  bin?: string;
  archive?: string;
  manager?: string;
  detail: string;
}

const toEnv = (env: Record<string, string | undefined>) => Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

/** Installed packages per manager, as its own query says (a missing query tool means "unknown": nothing installed). */
export async function queryInstalled(managers: Manager[], packagesOf: (m: Manager) => string[], env: Record<string, string | undefined>): Promise<Partial<Record<Manager, Set<string>>>> {
  const out: Partial<Record<Manager, Set<string>>> = {};
  await Promise.all(
    managers.map(async (m) => {
      const names = packagesOf(m);
      if (!names.length) return;
      const argv = queryCommand(m, names);
      if (!argv) return;
      const r = await runTool(argv, { env: toEnv(env) });
      out[m] = parseInstalled(m, names, r.stdout);
    }),
  );
  return out;
}

export interface SystemContext {
  env: Record<string, string | undefined>;
  home: string;
  facts: PlatformFacts;
  platformKey: string;
  flags: SystemFlags;
  /** Tool wheels come from these indexes (the project's registries). */
  indexes: Array<{ url: string; auth?: { username: string; password: string } }>;
  net?: NetSettings;
  /** The environment's bin directory: tools are laid there (undefined: plan only). */
  binDir?: string;
  log: (message: string) => void;
  warn: (message: string) => void;
  verbose?: boolean;
  /** Interactive terminal without --yes: the system command is confirmed first. */
  confirm?: (line: string) => Promise<boolean>;
  /** An offline bundle's system payloads, when setup runs from one. */
  bundlePayload?: (name: string) => BundledPayload | undefined;
  progress?: "auto" | "plain" | "none";
}

/** The plan for this machine: the managers' queries and PATH lookups, then the pure planner. */
export async function planSystem(requests: SystemRequest[], sc: SystemContext): Promise<SystemPlan> {
  const managers = sc.facts.packageManagers.filter(isManager);
  const { namesFor } = await import("./mapping.ts");
  const { targetOf } = await import("./plan.ts");
  const t = targetOf(sc.facts);
  const packagesOf = (m: Manager) => [...new Set(requests.flatMap((r) => (r.raw ? (r.raw.manager === m ? r.raw.packages : []) : (namesFor(r.entry!, m, t)?.packages ?? []))))];
  const installed = await queryInstalled(managers, packagesOf, sc.env);
  // Tools on PATH outside the environment (its own wrappers are re-laid on every run).
  const pathEnv = { ...sc.env, PATH: (sc.env.PATH ?? "").split(":").filter((p) => p && p !== sc.binDir).join(":") };
  const onPath: Record<string, string> = {};
  for (const tool of new Set(requests.flatMap((r) => r.entry?.tools ?? []))) {
    const p = await findOnPath(tool, pathEnv, sc.facts.os);
    if (p) onPath[tool] = p;
  }
  return buildSystemPlan({
    requests,
    facts: sc.facts,
    flags: sc.flags,
    installed,
    onPath,
    indexUsable: sc.indexes.length > 0 && !sc.flags.offline,
    platformKey: sc.platformKey,
    // Only a request with a rustup source has its server named in the plan.
    ...(requests.some((r) => r.entry?.userspace?.rustup) ? { rustupDist: await rustupDistLabel(sc.env) } : {}),
    ...(sc.bundlePayload ? { bundleHas: (n: string) => Boolean(sc.bundlePayload!(n)) } : {}),
  });
}

/** "https://mirror.example/rust (env RUSTUP_DIST_SERVER)": the server a rustup source would use, for the plan's words. */
async function rustupDistLabel(env: Record<string, string | undefined>): Promise<string> {
  const [{ rustupServers }, { redactUrl }] = await Promise.all([import("./rustup.ts"), import("../net/redact.ts")]);
  const s = rustupServers(env);
  return `${redactUrl(s.dist)} (${s.origin})`;
}

export interface ProvidedTool {
  name: string;
  route: "present" | "system" | "userspace" | "skip";
  source?: string;
  detail: string;
  /** Wrapper paths laid into the environment, by tool. */
  laid: Record<string, string>;
  /** The check's first output line ("psql (PostgreSQL) 15.19"). */
  version?: string;
}

export interface SystemResult {
  plan: SystemPlan;
  provided: ProvidedTool[];
}

const RECORD = "dht-system.json";
export const systemRecordPath = (binDir: string) => join(binDir, "..", RECORD);

/** What an earlier run laid into the environment (so a changed plan removes stale wrappers). */
export function readSystemRecord(binDir: string): { provided: ProvidedTool[] } | undefined {
  try {
    return JSON.parse(readFileSync(systemRecordPath(binDir), "utf8")) as { provided: ProvidedTool[] };
  } catch {
    return undefined;
  }
}

/** Execute the plan. Throws DhtError(3) naming everything that could not be provided. */
export async function installSystem(requests: SystemRequest[], sc: SystemContext, planned?: SystemPlan): Promise<SystemResult> {
  const plan = planned ?? (await planSystem(requests, sc));
  const provided: ProvidedTool[] = [];
  const failures: Array<{ item: PlanItem; tried: string[] }> = [];
  const fallbacks: Array<{ item: PlanItem; tried: string[] }> = [];

  // The system route: one command per manager, said in one line before it runs.
  for (const cmd of plan.commands) {
    const items = plan.items.filter((i) => i.route === "system" && i.manager === cmd.manager);
    const line = `${cmd.argv.join(" ")}`;
    if (sc.confirm && !(await sc.confirm(line))) {
      for (const item of items) fallbacks.push({ item, tried: [`system (${cmd.manager}): declined at the prompt`] });
      continue;
    }
    sc.log(`installing system packages: ${line}`);
    let r = await runTool(cmd.argv, { env: { ...toEnv(sc.env), ...installEnv(cmd.manager) }, stream: sc.verbose });
    if (r.code !== 0 && needsRefresh(cmd.manager, `${r.stdout}\n${r.stderr}`) && refreshCommand(cmd.manager)) {
      const refresh = [...(cmd.argv[0] === "sudo" ? ["sudo", "-n"] : []), ...refreshCommand(cmd.manager)!];
      sc.log(`the package lists are missing or stale: ${refresh.join(" ")}, then again`);
      await runTool(refresh, { env: { ...toEnv(sc.env), ...installEnv(cmd.manager) }, stream: sc.verbose });
      r = await runTool(cmd.argv, { env: { ...toEnv(sc.env), ...installEnv(cmd.manager) }, stream: sc.verbose });
    }
    if (r.code !== 0) {
      const why = `${cmd.manager} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split(/\r?\n/).filter((l) => /^E:|error|denied/i.test(l)).slice(0, 2).join(" | ") || "see --verbose"}`;
      sc.warn(`${why}; trying user space`);
      for (const item of items) fallbacks.push({ item, tried: [`system: ${line}: ${why}`] });
      continue;
    }
    for (const item of items) provided.push(await afterSystemInstall(item, sc));
  }

  for (const item of plan.items) {
    if (item.route === "present") {
      provided.push({ name: item.name, route: "present", detail: item.why, laid: sc.binDir ? await layPostInstall(item, sc) : {} });
    } else if (item.route === "skip") {
      provided.push({ name: item.name, route: "skip", detail: item.why, laid: {} });
    }
  }
  const userspaceItems = [...plan.items.filter((i) => i.route === "userspace").map((item) => ({ item, tried: [] as string[] })), ...fallbacks];
  for (const { item, tried } of userspaceItems) {
    const result = await provideInUserSpace(item, requests.find((r) => r.name === item.name)!, sc, tried);
    if (result) provided.push(result);
    else failures.push({ item, tried });
  }
  if (sc.binDir) writeRecord(sc.binDir, provided);
  if (failures.length) throw unsatisfied(failures, plan, sc);
  return { plan, provided };
}

function writeRecord(binDir: string, provided: ProvidedTool[]): void {
  const before = readSystemRecord(binDir);
  const now = new Set(provided.flatMap((p) => Object.values(p.laid)));
  // Wrappers an earlier run laid that this plan no longer asks for.
  for (const old of before?.provided ?? []) for (const path of Object.values(old.laid)) if (!now.has(path)) removeFile(path);
  if (!existsSync(join(binDir, ".."))) return;
  writeFileAtomic(systemRecordPath(binDir), `${JSON.stringify({ provided }, null, 2)}\n`);
}

/** Post-install steps of a system install (Alpine's psql, Homebrew's keg-only libpq), then the tool check. */
async function afterSystemInstall(item: PlanItem, sc: SystemContext): Promise<ProvidedTool> {
  const laid = sc.binDir ? await layPostInstall(item, sc) : {};
  const check = item.check ? await checkTool(item.check, sc.binDir ?? "", sc.env) : undefined;
  if (check && !check.ok) {
    throw new DhtError(ExitCode.failed, `${item.name} was installed by ${item.manager}, but \`${item.check!.join(" ")}\` fails: ${check.output}`, { subject: item.name, hint: "see the manager's output with --verbose" });
  }
  return { name: item.name, route: "system", source: item.manager, detail: `${item.manager}: ${item.missing.join(", ")}`, laid, ...(check ? { version: check.output } : {}) };
}

/** Tools a system install put off PATH (post_install path/link steps): wrappers in the environment. */
async function layPostInstall(item: PlanItem, sc: SystemContext): Promise<Record<string, string>> {
  const laid: Record<string, string> = {};
  if (!sc.binDir) return laid;
  for (const step of item.postInstall) {
    for (const tool of item.tools) {
      if (laid[tool] || (await findOnPath(tool, sc.env, sc.facts.os))) continue;
      const candidates = step.link ? globPaths("/", step.link).filter((p) => p.endsWith(`/${tool}`)) : step.path ? globPaths("/", step.path).map((d) => join(d, tool)).filter(existsSync) : [];
      if (candidates[0]) laid[tool] = layWrapper(sc.binDir, tool, wrapperScript(candidates[0], [], `${tool} of ${item.name} (post-install ${step.link ? "link" : "path"} step)`));
    }
  }
  return laid;
}

/** Try each user-space source in order; the first whose tools all run wins. */
async function provideInUserSpace(item: PlanItem, req: SystemRequest, sc: SystemContext, tried: string[]): Promise<ProvidedTool | undefined> {
  if (!sc.binDir) {
    for (const c of item.userspace) tried.push(`${c.source}: ${c.why}${c.usable ? " (not tried: there is no environment to put it in yet)" : ""}`);
    if (item.userspace.some((c) => c.usable)) tried.push("user space needs the environment: run dhtl setup (it runs this step too)");
    return undefined;
  }
  const entry: MappingEntry = req.entry ?? {};
  const fx: FetchContext = { env: sc.env, home: sc.home, offline: Boolean(sc.flags.offline), net: sc.net, platformKey: sc.platformKey, facts: sc.facts, indexes: sc.indexes, log: sc.log, progress: sc.progress };
  for (const [index, candidate] of item.userspace.entries()) {
    if (!candidate.usable) {
      tried.push(`${candidate.source}: ${candidate.why}`);
      continue;
    }
    // A source that fails before a later one works is said, not only kept for the failure report.
    const moveOn = (why: string) => {
      if (item.userspace.slice(index + 1).some((c) => c.usable)) sc.log(`${item.name}: ${candidate.source} did not work (${why}); trying the next source`);
    };
    let payload: Payload;
    try {
      payload = await fetchPayload(candidate.source, item, entry, sc, fx);
    } catch (error) {
      const why = isDhtError(error) ? error.message : (error as Error).message;
      tried.push(`${candidate.source}: ${why}`);
      moveOn(why);
      continue;
    }
    const laid: Record<string, string> = {};
    const missing: string[] = [];
    // A wheel's commands (zig run as cc) are tools too, with their fixed first arguments.
    const commands = candidate.source === "index" ? (entry.userspace?.wheel?.commands ?? {}) : {};
    for (const tool of [...new Set([...item.tools, ...Object.keys(commands)])]) {
      const [binary, ...args] = commands[tool] ?? [tool];
      const path = findTool(payload.root, binary!, payload.bin);
      if (!path) {
        missing.push(binary === tool ? tool : `${binary} (for ${tool})`);
        continue;
      }
      laid[tool] = layWrapper(sc.binDir, tool, wrapperScript(path, payload.libDirs, `${tool} of ${item.name}, ${payload.detail}`, args));
    }
    const fail = (why: string) => {
      for (const p of Object.values(laid)) removeFile(p);
      tried.push(`${candidate.source}: ${payload.detail}: ${why}`);
      moveOn(why);
    };
    if (missing.length) {
      fail(`${missing.join(", ")} not found in it`);
      continue;
    }
    const check = item.check ?? (item.tools[0] ? [item.tools[0], "--version"] : undefined);
    const result = check ? await checkTool(check, sc.binDir, sc.env) : { ok: true, output: "" };
    if (!result.ok) {
      fail(`\`${check!.join(" ")}\` does not run here: ${result.output}`);
      continue;
    }
    sc.log(`${item.name}: ${result.output ? `${result.output}, ` : ""}from ${payload.detail}${payload.stored ? " (already stored)" : ""}`);
    return { name: item.name, route: "userspace", source: candidate.source, detail: payload.detail, laid, ...(result.output ? { version: result.output } : {}) };
  }
  return undefined;
}

async function fetchPayload(source: string, item: PlanItem, entry: MappingEntry, sc: SystemContext, fx: FetchContext): Promise<Payload> {
  const us = entry.userspace ?? {};
  switch (source) {
    case "bundle": {
      const payload = sc.bundlePayload?.(item.name);
      if (!payload) throw new DhtError(ExitCode.unsatisfiable, "not in the offline bundle");
      return fromBundleFiles(item.name, payload, fx);
    }
    case "index":
      return fromIndexWheel(item.name, us.wheel!, fx);
    case "rustup": {
      const { fromRustup } = await import("./rustup.ts");
      return fromRustup(item.name, us.rustup!, fx);
    }
    case "distro":
      return fromDistro(item.name, item.manager!, item.packages, fx, async (names) => (await queryInstalled([item.manager!], () => names, sc.env))[item.manager!] ?? new Set());
    case "mirror":
      return fromArchive(item.name, us.archives![sc.platformKey]!, fx);
    case "source":
      return fromSource(item.name, us.source!, fx);
    default:
      throw new DhtError(ExitCode.failed, `unknown source ${source}`);
  }
}

function unsatisfied(failures: Array<{ item: PlanItem; tried: string[] }>, plan: SystemPlan, sc: SystemContext): DhtError {
  const names = failures.map((f) => f.item.name);
  const admin = failures.map((f) => f.item.adminCommand).filter(Boolean) as string[];
  const lines = failures.map((f) => `  ${f.item.name} (${f.item.origin}):\n${f.tried.map((t) => `    - ${t}`).join("\n")}`);
  return new DhtError(ExitCode.unsatisfiable, `system packages cannot be provided on this machine: ${names.join(", ")}`, {
    subject: failures[0]!.item.origin,
    hint: `${plan.why}.\nwhat was tried:\n${lines.join("\n")}\n${admin.length ? `an administrator can install ${names.length > 1 ? "them" : "it"} with:\n  ${[...new Set(admin)].join("\n  ")}\nthen run dhtl setup again${sc.flags.system ? "" : " (or, as root in a container: dhtl setup --system)"}` : "no package manager on this machine has it: install it by hand, or describe a source under platform_deps.mapping"}`,
    details: { failures: failures.map((f) => ({ name: f.item.name, origin: f.item.origin, tried: f.tried, adminCommand: f.item.adminCommand })) },
  });
}
