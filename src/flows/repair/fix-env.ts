/**
 * `dhtl fix-env`: repair in place what diagnose finds, then verify by diagnosing again.
 *
 * The findings name their repairs (src/repair/checks.ts); this flow runs them in an order
 * where each one can rely on the previous: unfinished setup steps first (they may create
 * the venv), then uv, links and pyvenv.cfg, then reinstalling damaged distributions at their
 * recorded versions (dropping uv's cached copy when it is the damaged file itself), then
 * whatever the configuration wants and is missing. Packages installed by hand are recorded
 * before and put back after, whatever a step removed. `--deep` (or a finding only a rebuild
 * fixes, when called from setup) rebuilds beside the old venv instead (deep.ts).
 */
import { join } from "node:path";
import type { RunContext } from "../../context.ts";
import { DhtError, ExitCode } from "../../errors.ts";
import { readCheckpoint, writeCheckpoint } from "../../env/checkpoints.ts";
import { acquireLock } from "../../env/lock.ts";
import { venvPython, venvSitePackages } from "../../env/venv.ts";
import { dhtHome } from "../../paths.ts";
import { getLogger } from "../../ui/logger.ts";
import { baseInterpreterFiles, takeBaseline } from "../../repair/baseline.ts";
import { normalizeName, scanSitePackages } from "../../repair/dists.ts";
import { takeInventory, type InventoryEntry } from "../../repair/inventory.ts";
import { repairsNeeded } from "../../repair/checks.ts";
import type { Finding, RepairKind } from "../../repair/types.ts";
import { CHECKPOINT_NAME } from "../setup/noop-check.ts";
import { setupOne, type SetupOptions } from "../setup/execute.ts";
import { runImportChecks } from "../setup/import-check.ts";
import { commandEnv } from "../setup/steps.ts";
import { cleanCache, ensurePip, entriesFor, installMissing, reinstall, relink, type RepairContext } from "./actions.ts";
import { deepRepair, type DeepOutcome } from "./deep.ts";
import { diagnose, type Diagnosis } from "./diagnose.ts";
import { offlineWhenUnreachable } from "./offline.ts";
import { recoverInterruptedSwap } from "./swap-recovery.ts";

export interface FixOptions extends SetupOptions {
  deep?: boolean;
  /** Called by `dhtl setup` on a damaged venv: a rebuild is done when only a rebuild helps. */
  auto?: boolean;
}

export interface FixOutcome {
  ok: boolean;
  envRoot: string;
  venv?: string;
  /** What was done, in order. */
  repairs: string[];
  /** Findings still failing after the repair (the environment area and state ones matter). */
  remaining: Finding[];
  deep?: DeepOutcome;
}

/** Findings a repair is responsible for: the environment and its state (not the machine or the network). */
const ours = (f: Finding) => f.status === "fail" && (f.area === "environment" || f.area === "state" || f.id === "home.uv" || f.id === "home.cache");

const distsOf = (findings: Finding[], ...ids: string[]) => findings.filter((f) => ids.includes(f.id) && f.status !== "ok").flatMap((f) => (f.details?.dists as string[] | undefined) ?? []);

export async function fixEnv(ctx: RunContext, given: FixOptions, envDir?: string): Promise<FixOutcome> {
  const log = await getLogger(ctx);
  const options = await offlineWhenUnreachable(ctx, given, envDir);
  const done: string[] = [];
  const note = (m: string) => {
    done.push(m);
    log.success(m);
  };
  let d = await diagnose(ctx, { ...options, deep: true }, envDir);
  const envRoot = d.facts.environment.envRoot;
  const recovered = await recoverInterruptedSwap(ctx, envRoot, { noWait: options.noWait });
  if (recovered) {
    done.push(recovered);
    d = await diagnose(ctx, { ...options, deep: true }, envDir);
  }
  if (d.facts.environment.configProblem || !d.prepared) {
    const c = d.facts.environment.configProblem ?? d.facts.network.credentialsError;
    throw new DhtError(ExitCode.usage, c?.message ?? "the environment's configuration cannot be read", { subject: c?.subject, hint: c?.hint });
  }
  const needed = repairsNeeded(d.findings.filter(ours));
  const rebuild = d.findings.filter((f) => ours(f) && f.fix?.repair === "deep");
  if (options.deep || (options.auto && rebuild.length)) {
    if (!options.deep) log.info(`rebuilding the venv beside the old one: ${rebuild.map((f) => f.found).join("; ")}`);
    const outcome = await deepRepair(ctx, options, d.prepared);
    note(`rebuilt ${outcome.venv} (Python ${outcome.python}) and swapped it in${outcome.atomicSwap ? " atomically" : ""}; ${outcome.kept.length ? `kept ${outcome.kept.map((e) => `${e.name} ${e.version}`).join(", ")}` : "nothing installed by hand to keep"}`);
    return verify(ctx, options, envDir, done, outcome);
  }
  if (rebuild.length) {
    throw new DhtError(ExitCode.failed, `only a rebuild repairs this environment: ${rebuild.map((f) => f.found).join("; ")}`, {
      subject: d.facts.environment.venv?.linkPath,
      hint: `run ${rebuild[0]!.fix!.command} (keeps the packages installed by hand; the old venv stays until the new one verifies)`,
    });
  }
  if (!needed.length) {
    log.success("nothing to repair");
    return verify(ctx, options, envDir, done);
  }
  await repairInPlace(ctx, options, envDir, d, needed, note);
  return verify(ctx, options, envDir, done);
}

async function repairInPlace(ctx: RunContext, options: FixOptions, envDir: string | undefined, first: Diagnosis, needed: RepairKind[], note: (m: string) => void): Promise<void> {
  const log = await getLogger(ctx);
  let d = first;
  const p = d.prepared!;
  const venv = p.g.venv.venvPath;
  const site = () => d.facts.environment.venv?.site ?? venvSitePackages(venv, d.python?.version ?? "3", p.g.facts.os);
  // What is installed now, hand-installed packages included: put back at the end whatever a repair removed.
  const before = takeInventory(d.facts.environment.venv?.dists ?? []);
  if (needed.includes("clean-cache") && d.facts.home.cache?.bad.length) {
    cleanCache(dhtHome(ctx.env), d.facts.home.cache.bad);
    note(`removed ${d.facts.home.cache.bad.length} download cache entr${d.facts.home.cache.bad.length > 1 ? "ies" : "y"} whose sha256 did not match`);
  }
  if (needed.includes("resume-setup") || needed.includes("obtain-uv") || !d.python) {
    // The setup's own steps: they resume where a setup stopped, and take over a stale lock.
    const outcome = await setupOne(ctx, { ...options, restart: false });
    note(outcome.ran?.length ? `redid the setup steps ${outcome.ran.join(", ")}${outcome.resumedFrom ? ` (resumed from ${outcome.resumedFrom})` : ""}` : "the recorded setup steps are all still valid");
    d = await diagnose(ctx, { ...options, deep: true }, envDir);
  }
  if (needed.includes("clear-lock") && d.facts.state.lock?.stale) note(`cleared the lock left by pid ${d.facts.state.lock.pid}, which is not running`);
  const lock = await acquireLock(join(p.g.envRoot, ".dht", "lock"), { purpose: "repair", noWait: options.noWait, onWait: (o) => log.info(`waiting for the dhtl run as pid ${o.pid}`) });
  try {
    if (!d.python || !d.plan) throw new DhtError(ExitCode.failed, "no setup of this environment is recorded, and setting it up did not record one", { hint: "run dhtl setup" });
    const r: RepairContext = { p: d.prepared!, plan: d.plan, python: d.python, uv: d.uv!, venv, log: (m) => log.info(m), debug: (m) => log.debug(m) };
    const failing = (id: string) => d.findings.some((f) => f.id === id && f.status === "fail");
    if (["venv.interpreter", "venv.pyvenv-cfg", "venv.links"].some(failing)) {
      const base = d.facts.environment.venv?.base.exists && d.facts.environment.venv.base.runs !== false ? d.facts.environment.venv.base.executable! : d.python.executable;
      await relink(r, base);
      note(`recreated the venv's links and pyvenv.cfg from ${base}`);
    }
    if (failing("installer") && d.facts.environment.installer?.pip?.expected && !d.facts.environment.installer.pip.installed) {
      await ensurePip(r);
      note("reinstalled pip from the interpreter's bundled wheel (ensurepip)");
    }
    const dists = d.facts.environment.venv?.dists ?? scanSitePackages(site());
    const damaged = [...new Set([...distsOf(d.findings, "dists.metadata", "dists.files"), ...distsOf(d.findings, "dists.hashes")])];
    if (damaged.length) {
      const entries = entriesFor(dists, damaged);
      await reinstall(r, entries);
      // A file changed in place may be uv's cached copy too (hard links): check, and fetch anew.
      const still = entriesFor(scanSitePackages(site(), { deep: true }).filter((x) => x.mismatched.length || x.missing.length || x.metadataError), entries.map((e) => e.name));
      if (still.length) await reinstall(r, still, { refresh: true });
      note(`reinstalled ${entries.map((e) => `${e.name} ${e.version}`).join(", ")}${still.length ? ` (${still.map((e) => e.name).join(", ")} fetched anew: uv's cached copy was damaged too)` : ""}`);
    }
    const project = p.g.declared.name && failing("project.importable") ? [p.g.declared.name] : [];
    if (["deps.check", "deps.wanted", "project.importable", "test.runner"].some(failing)) {
      await installMissing(r, project);
      note(`installed what the configuration wants and was missing${project.length ? `, and ${project[0]} itself again` : ""}`);
    }
    await putBack(r, before, site(), note);
  } finally {
    lock.release();
  }
}

/** Hand-installed distributions a repair step removed (uv sync, a resumed install): installed again. */
async function putBack(r: RepairContext, before: InventoryEntry[], site: string, note: (m: string) => void): Promise<void> {
  const now = new Map(takeInventory(scanSitePackages(site)).map((e) => [normalizeName(e.name), e.version]));
  const lost = before.filter((e) => !now.has(normalizeName(e.name)));
  if (!lost.length) return;
  await reinstall(r, lost);
  note(`put back what a repair step had removed: ${lost.map((e) => `${e.name} ${e.version}`).join(", ")}`);
}

/** Diagnose again; the environment and state must be clean, the imports must work; then refresh the baseline. */
async function verify(ctx: RunContext, options: FixOptions, envDir: string | undefined, repairs: string[], deep?: DeepOutcome): Promise<FixOutcome> {
  const d = await diagnose(ctx, { ...options, deep: true }, envDir);
  const envRoot = d.facts.environment.envRoot;
  const remaining = d.findings.filter(ours);
  const p = d.prepared;
  if (!remaining.length && p && d.plan && d.python) {
    const os = p.g.facts.os;
    const venv = p.g.venv.venvPath;
    const report = await runImportChecks(venvPython(venv, os), d.plan.importChecks, { env: commandEnv(p.services, d.plan, {}), cwd: envRoot });
    for (const [dist, mod, error] of report.failed) remaining.push({ id: "verify.imports", area: "environment", status: "fail", title: "imports", found: `${mod} (from ${dist}) does not import: ${error.split("\n")[0]}`, fix: { command: "dhtl fix-env --deep", repair: "deep" } });
    // The venv as it is now is what the next no-op check compares against.
    const file = join(envRoot, CHECKPOINT_NAME);
    const cp = readCheckpoint(file);
    const fin = cp?.steps.find((s) => s.id === "finalize");
    if (!remaining.length && cp?.complete && fin) {
      fin.output = { ...fin.output, baseline: takeBaseline(venv, venvSitePackages(venv, d.python.version, os), venvPython(venv, os), baseInterpreterFiles(d.python.executable, d.python.version, os === "windows")) };
      writeCheckpoint(file, cp);
    }
  }
  return { ok: remaining.length === 0, envRoot, venv: d.facts.environment.venv?.linkPath, repairs, remaining, ...(deep ? { deep } : {}) };
}
