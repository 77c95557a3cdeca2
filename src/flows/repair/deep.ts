/**
 * `dhtl fix-env --deep`: rebuild the venv beside the old one and swap it in.
 *
 *  1. inventory: every installed distribution of the old venv, exact version and origin
 *     (hand-installed ones included), kept in .dht/repair-inventory.json;
 *  2. the setup steps, run against a new venv beside the old one (`.venv.dht-new`, built
 *     relocatable) with their own checkpoint (.dht/repair-progress.json), the hashes naming
 *     the real venv path;
 *  3. the recorded distributions the configuration did not bring back, installed again
 *     exactly (no dependency resolution: the inventory is the whole set);
 *  4. verification of the new venv: dependency check, imports, every recorded distribution
 *     present at its version;
 *  5. what names the build path rewritten to the real one (a venv made by python -m venv and
 *     pip: shebangs, activate scripts, pyvenv.cfg, their RECORD rows; src/repair/relocate.ts),
 *     the swap (src/repair/swap.ts: atomic exchange), a check that the venv runs at its real
 *     path, names nothing of the build path and its pip console script runs (else the old one
 *     goes back), the checkpoint moved into place, and only then the old venv removed
 *     (through the removal guard).
 *
 * Killed at any moment, the venv path holds the old venv or the new one, never neither.
 * Test hooks: DHT_TEST_PAUSE_AFTER_STEP also stops after `repair-inventory`,
 * `repair-extras`, `repair-verify`, `repair-swap` and `repair-commit`, and between the two
 * renames of the fallback swap (`repair-swap-aside`); DHT_TEST_SWAP_FALLBACK=1 makes the
 * swap use that fallback instead of the atomic exchange.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { RunContext } from "../../context.ts";
import { DhtError, ExitCode } from "../../errors.ts";
import { buildInfo } from "../../build-info.ts";
import { acquireLock } from "../../env/lock.ts";
import { writeIsolation } from "../../env/isolation.ts";
import { removeVenvDir, settleRemovals, venvBinDir, venvPython, venvSitePackages, type VenvOs } from "../../env/venv.ts";
import { assertVenvPathUsable } from "../../env/removal-guard.ts";
import { runTool, outputTail } from "../../process.ts";
import { getLogger } from "../../ui/logger.ts";
import { findSitePackages, normalizeName, scanSitePackages } from "../../repair/dists.ts";
import { describeOrigin, extrasOver, takeInventory, type InventoryEntry } from "../../repair/inventory.ts";
import { probeInterpreter } from "../../repair/gather.ts";
import { recoverSwap, swapBack, swapIn } from "../../repair/swap.ts";
import { filesNaming, relocateVenv } from "../../repair/relocate.ts";
import { executeSteps, logEvent, pauseForTest } from "../executor/execute.ts";
import { eventLogger, type Prepared, type SetupOptions } from "../setup/execute.ts";
import { CHECKPOINT_NAME } from "../setup/noop-check.ts";
import { buildPlan } from "../setup/plan.ts";
import { commandEnv, setupSteps, type SetupState } from "../setup/steps.ts";
import { minorOf } from "../../python/version.ts";
import { runImportChecks } from "../setup/import-check.ts";
import { reinstall, type RepairContext } from "./actions.ts";

export interface DeepOutcome {
  venv: string;
  python: string;
  /** Distributions put back that the configuration does not install. */
  kept: InventoryEntry[];
  /** Distributions the configuration installs at another version than the old venv had. */
  changed: Array<{ name: string; from: string; to: string }>;
  /** Recorded distributions that could not be read (broken metadata): rebuilt from the configuration only. */
  unreadable: string[];
  atomicSwap: boolean;
}

/**
 * The swapped-in venv at its real path: its interpreter runs, nothing in bin/ or pyvenv.cfg
 * names the build path, and its pip console script (when it has one) runs by its shebang.
 * Returns what is wrong, or undefined.
 */
async function runsInPlace(venv: string, staged: string, os: VenvOs, env: Record<string, string | undefined>): Promise<string | undefined> {
  const probe = await probeInterpreter(venvPython(venv, os), env);
  if (!probe.runs) return probe.error ?? "its interpreter does not run";
  const stale = filesNaming(venv, staged, os === "windows");
  if (stale.length) return `these still name the build path ${staged}: ${stale.join(", ")}`;
  const pip = join(venvBinDir(venv, os), os === "windows" ? "pip.exe" : "pip");
  if (existsSync(pip)) {
    const r = await runTool([pip, "--version"], { env: { PATH: env.PATH ?? "" }, cwd: dirname(venv) });
    if (r.code !== 0) return `its console script ${pip} does not run: ${outputTail(r, 4)}`;
  }
  return undefined;
}

export const stagingPath = (venv: string) => join(dirname(venv), `.${basename(venv)}.dht-new`);

async function hook(ctx: RunContext, id: string): Promise<void> {
  logEvent(ctx.env, `done ${id}`);
  await pauseForTest(ctx.env, id);
}

export async function deepRepair(ctx: RunContext, options: SetupOptions, p: Prepared): Promise<DeepOutcome> {
  const log = await getLogger(ctx);
  const { g } = p;
  const venv = g.venv.venvPath;
  const stateDir = g.venvGuard.stateDir;
  const os = g.facts.os;
  mkdirSync(stateDir, { recursive: true });
  const lock = await acquireLock(join(g.envRoot, ".dht", "lock"), {
    purpose: "repair",
    noWait: options.noWait,
    onWait: (o) => log.info(`waiting for the dhtl run as pid ${o.pid}${o.host ? ` on ${o.host}` : ""}`),
  });
  try {
    const recovered = recoverSwap(stateDir);
    if (recovered) log.info(recovered);
    // 1. What the old venv holds, readable without its interpreter.
    const oldSite = existsSync(venv) ? findSitePackages(venv, undefined, os === "windows") : undefined;
    const oldDists = oldSite ? scanSitePackages(oldSite) : [];
    const inventory = takeInventory(oldDists);
    const unreadable = oldDists.filter((d) => !d.name || !d.version).map((d) => d.dir);
    writeFileSync(join(stateDir, "repair-inventory.json"), `${JSON.stringify({ venv, at: new Date().toISOString(), distributions: inventory }, null, 2)}\n`);
    log.info(`recorded ${inventory.length} installed distributions of ${g.venv.linkPath} (.dht/repair-inventory.json)`);
    await hook(ctx, "repair-inventory");

    // 2. A fresh venv from the configuration, beside the old one.
    const staged = stagingPath(venv);
    const services = { ...p.services, buildAt: staged };
    const state: SetupState = {};
    const progress = join(stateDir, "repair-progress.json");
    await executeSteps(setupSteps(services), state, {
      checkpointFile: progress,
      inputsHash: p.inputsHash,
      settingsKey: options.settingsKey,
      dhtVersion: buildInfo.version,
      probes: p.probes,
      venvPath: venv,
      venvLink: g.venv.linkPath !== venv ? g.venv.linkPath : undefined,
      otherEnvironments: g.otherEnvironments,
      restart: true,
      env: ctx.env,
      onEvent: eventLogger(log, ctx.quiet),
    });
    const python = state.python!;
    const plan = state.plan ?? buildPlan(p.services.planInput(python, state.uv!));
    const repair: RepairContext = { p, plan, python, uv: state.uv!, venv: staged, log: (m) => log.info(m), debug: (m) => log.debug(m) };

    // 3. What the configuration did not bring back, exactly as it was.
    const stagedSite = venvSitePackages(staged, python.version, os);
    const fresh = takeInventory(scanSitePackages(stagedSite));
    const { extras, changed } = extrasOver(inventory, fresh);
    for (const c of changed) log.info(`${c.name}: ${c.from} before, ${c.to} now (the configuration decides)`);
    const oldMinor = oldSite?.match(/python(\d+\.\d+)/)?.[1];
    const sameMinor = !oldMinor || oldMinor === minorOf(python.version);
    if (extras.length) {
      log.info(`installing again what was installed by hand: ${extras.map((e) => `${e.name} ${e.version} (${describeOrigin(e)})`).join(", ")}`);
      if (!sameMinor) log.warn(`the new venv's Python is ${python.version}: packages built for the old one's Python are installed at the same versions where the index or cache has them`);
      await reinstall(repair, extras);
    }
    await hook(ctx, "repair-extras");

    // 4. The new venv, verified as a whole.
    const env = commandEnv(p.services, plan, {});
    const stagedPy = venvPython(staged, os);
    const checkArgv = plan.mode === "pip" ? [stagedPy, "-m", "pip", "check"] : [state.uv!.path!, "pip", "check", "--python", stagedPy];
    const [check, imports] = await Promise.all([
      runTool(checkArgv, { env, cwd: g.envRoot }),
      runImportChecks(stagedPy, [...new Set([...plan.importChecks, ...extras.filter((e) => e.origin.kind !== "directory").map((e) => e.name)])], { env, cwd: g.envRoot }),
    ]);
    const after = new Map(takeInventory(scanSitePackages(stagedSite)).map((e) => [normalizeName(e.name), e.version]));
    const lost = extras.filter((e) => after.get(normalizeName(e.name)) !== e.version);
    const problems = [
      ...(check.code !== 0 ? [`dependency check: ${outputTail(check, 6)}`] : []),
      ...(imports.broken ? [`the new venv's interpreter does not run: ${imports.broken.output.split("\n").at(-1)}`] : []),
      ...imports.failed.map(([d, m, e]) => `${m} (from ${d}) does not import: ${e.split("\n")[0]}`),
      ...lost.map((e) => `${e.name} ${e.version} is not in the new venv`),
    ];
    if (problems.length) {
      throw new DhtError(ExitCode.failed, "the rebuilt venv did not verify; the old one is unchanged", {
        subject: staged,
        hint: `${problems.join("\n")}\nthe old venv at ${g.venv.linkPath} was not touched; the new one is left at ${staged} to look at`,
      });
    }
    await hook(ctx, "repair-verify");
    // A venv made by python -m venv and pip names its build path (shebangs, activate scripts,
    // pyvenv.cfg): from here on it names the path it is about to take (src/repair/relocate.ts).
    const relocated = relocateVenv(staged, venv, stagedSite, os === "windows");
    if (relocated.length) log.debug(`rewrote ${relocated.length} files of the new venv to name ${venv} instead of ${staged}`);

    // 5. Swap, check in place, commit, and only then remove the old venv.
    const aside = join(dirname(venv), `.${basename(venv)}.dht-old`);
    const guard = (path: string) => assertVenvPathUsable(path, g.venvGuard.anchors, stateDir, g.venvGuard.origin);
    // An old venv an interrupted swap left there (recoverSwap keeps it) would stop the first rename.
    if (existsSync(aside)) removeVenvDir(aside, guard);
    let swapped: Awaited<ReturnType<typeof swapIn>>;
    if (existsSync(venv)) swapped = await swapIn(venv, staged, stateDir, aside, { exchange: ctx.env.DHT_TEST_SWAP_FALLBACK !== "1", between: () => hook(ctx, "repair-swap-aside") });
    else {
      renameSync(staged, venv);
      swapped = { old: "", atomic: true };
    }
    await hook(ctx, "repair-swap");
    const inPlace = await runsInPlace(venv, staged, os, ctx.env);
    if (inPlace) {
      if (swapped.old) swapBack(venv, staged, swapped.old, stateDir);
      throw new DhtError(ExitCode.failed, "the rebuilt venv does not run at its real path; the old one was put back", { subject: venv, hint: inPlace });
    }
    renameSync(progress, join(g.envRoot, CHECKPOINT_NAME));
    if (plan.isolate) writeIsolation({ venv, os, extraEnv: p.services.extraEnv, tools: state.uv?.available && state.uv.path ? [state.uv.path] : [] });
    await hook(ctx, "repair-commit");
    if (swapped.old) {
      // The old venv is a venv dhtl made (pyvenv.cfg beside bin/): the guard lets it go.
      removeVenvDir(swapped.old, guard);
      await settleRemovals();
    }
    return { venv: g.venv.linkPath, python: python.version, kept: extras, changed, unreadable, atomicSwap: swapped.atomic };
  } finally {
    lock.release();
  }
}
