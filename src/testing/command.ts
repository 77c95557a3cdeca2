/**
 * `dhtl test`: find the environment, say whether the last setup finished, plan the route for
 * the venv's Python, then list it or run it. Kept out of src/commands/test.ts so the
 * command file stays a declaration.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { RunContext } from "../context.ts";
import { DhtError, ExitCode } from "../errors.ts";
import { resolveConfig } from "../config/resolve.ts";
import { readDeclaredProject } from "../project/declared.ts";
import { readCheckpoint } from "../env/checkpoints.ts";
import { usableVenv, venvRunEnv, runInVenv, dhtlToolDirs } from "../env/run-in-venv.ts";
import { dhtHome } from "../paths.ts";
import { hostOs, readPyvenvCfg, venvBinDir, venvSitePackages } from "../env/venv.ts";
import { minorOf } from "../python/version.ts";
import { getLogger } from "../ui/logger.ts";
import { printJson, printText } from "../ui/output.ts";
import { planTestRoute } from "./index.ts";
import { ENV_SUBSTITUTIONS, pathIn, planRun, routePlaces, runRoute, type PlannedRun } from "./run.ts";
import { RUNNER_MODULE, RUNNER_PACKAGE } from "./commands.ts";
import { formatEvidence, type RouteCommand, type TestRoute } from "./types.ts";

export interface TestCommandOptions {
  list: boolean;
  route?: string;
  userArgs: string[];
}

/** Where the last setup stopped, when it did not finish. */
function setupState(envRoot: string, complete: boolean): string | undefined {
  const cp = readCheckpoint(join(envRoot, ".dht", "setup-progress.json"));
  if (complete && (!cp || cp.complete)) return undefined;
  const done = cp?.steps.map((s) => s.id) ?? [];
  const order = ["resolve-python", "obtain-uv", "create-venv", "install-dependencies", "verify", "finalize"];
  const next = order.find((id) => !done.includes(id));
  return `the environment is incomplete: the last dhtl setup did not finish${next ? ` (it stopped before ${next})` : ""}; run \`dhtl setup\` to complete it`;
}


function missingRunners(route: TestRoute, venv: string, pythonVersion: string | undefined, os: ReturnType<typeof hostOs>): string[] {
  if (!pythonVersion) return [];
  const site = venvSitePackages(venv, pythonVersion, os);
  let entries: string[];
  try {
    entries = readdirSync(site).map((e) => e.toLowerCase());
  } catch {
    return [];
  }
  const norm = (n: string) => n.toLowerCase().replace(/[-.]+/g, "_");
  // Installed as a module, or as a distribution (an editable install of the runner itself has no module directory here).
  const installed = (mod: string, pkg: string) =>
    entries.includes(mod) || entries.includes(`${mod}.py`) || entries.some((e) => e.startsWith(`${norm(pkg)}-`) && (e.endsWith(".dist-info") || e.endsWith(".egg-info")));
  const missing = new Set<string>();
  for (const s of [...route.pre, ...route.suites]) {
    const mod = RUNNER_MODULE[s.runner];
    const pkg = RUNNER_PACKAGE[s.runner as keyof typeof RUNNER_PACKAGE] ?? mod;
    if (mod && pkg && !installed(mod, pkg)) missing.add(pkg);
  }
  return [...missing];
}

/** A route's commands as `dhtl test` would run them (substitutions filled, {posargs} defaults or the user's arguments placed). */
function plannedFor(r: TestRoute, userArgs: string[], envRoot: string, venv: string | undefined, os: ReturnType<typeof hostOs>, pythonVersion: string | undefined) {
  // Without a venv yet there is nothing to fill {envbindir} and the like with: they are shown as written.
  const places = venv ? routePlaces(r, envRoot, venv, os, pythonVersion) : Object.fromEntries(ENV_SUBSTITUTIONS.map((k) => [k, `{${k}}`]));
  return planRun(r, userArgs, places, pathIn(envRoot));
}

function describeRoute(r: TestRoute, chosen: boolean, planned: PlannedRun): string[] {
  const lines = [`${chosen ? "*" : " "} ${r.name}  [${r.source}]  ${r.summary}`];
  for (const p of planned.pre) lines.push(`      first: ${p.words.join(" ")}   (${formatEvidence(p.cmd.evidence)})`);
  // A suite's own variables are part of what it runs (`MSGPACK_PUREPYTHON=1 pytest` beside `pytest`).
  const envPrefix = (c: RouteCommand) => Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
  for (const p of planned.suites) lines.push(`      runs:  ${envPrefix(p.cmd)}${p.words.join(" ")}${p.cmd.cwd ? `   in ${p.cmd.cwd}` : ""}   (${formatEvidence(p.cmd.evidence)})`);
  for (const n of r.needs) lines.push(`      needs: ${n.kind === "requirement" ? n.text : n.kind === "all-extras" ? "all extras" : n.kind === "no-lock" ? "no lock file (installs resolve fresh)" : n.kind === "system" ? `${n.name} (${n.manager})` : `${n.kind} ${n.name}`}   (${formatEvidence(n.evidence)})`);
  for (const k of r.skipped) lines.push(`      not run: ${k}`);
  for (const k of planned.notRun) lines.push(`      not run: ${k}`);
  return lines;
}

/** The interpreter `dhtl setup` would take, without downloading anything; undefined when it would need one. */
async function pythonSetupWouldChoose(ctx: RunContext): Promise<{ version: string; executable: string } | undefined> {
  try {
    const { findProjectPython } = await import("../flows/setup/execute.ts");
    const r = await findProjectPython(ctx, {});
    return { version: r.version, executable: r.executable };
  } catch {
    return undefined;
  }
}

export async function runTestCommand(ctx: RunContext, opts: TestCommandOptions): Promise<number> {
  const log = await getLogger(ctx);
  const resolved = await resolveConfig({ cwd: ctx.cwd, env: ctx.env });
  const envRoot = resolved.environment?.root ?? resolved.projectRoot;
  const os = hostOs();
  const config = resolved.config;
  let declared;
  try {
    declared = await readDeclaredProject(envRoot, config, ctx.env);
  } catch (error) {
    if (!(error instanceof DhtError)) throw error;
    log.warn(`${error.message}: the test route is planned without the project's declarations`);
    declared = { optional: {}, groups: {}, requirements: [] };
  }
  // The venv is optional for --list; required to run.
  let venvInfo: { venv: string; complete: boolean } | undefined;
  try {
    venvInfo = usableVenv(envRoot, config.python?.venv, os);
  } catch (error) {
    if (!opts.list) throw error;
  }
  const cfg = venvInfo ? readPyvenvCfg(venvInfo.venv) : undefined;
  // Before any setup, --list names the routes for the Python setup would choose (a tox env
  // per Python: py311 here, not the newest the project lists), found as setup finds it.
  const wouldChoose = cfg ? undefined : opts.list ? await pythonSetupWouldChoose(ctx) : undefined;
  const pythonVersion = cfg?.version_info ?? cfg?.version ?? wouldChoose?.version;
  if (opts.list && !cfg) log.info(wouldChoose ? `no environment yet: routes as they would run on Python ${wouldChoose.version}, the one dhtl setup would choose (${wouldChoose.executable})` : `no environment yet, and no Python on this machine fits the project without a download: routes are named for the newest Python the project lists`);
  const plan = planTestRoute({
    root: envRoot,
    declared,
    config: { ...config.test, ...(opts.route ? { route: opts.route } : {}) },
    ...(pythonVersion ? { pythonMinor: minorOf(pythonVersion) } : {}),
    env: ctx.env,
  });
  for (const w of plan.warnings) log.warn(w);

  if (opts.list) {
    const planned = new Map(plan.routes.map((r) => [r, plannedFor(r, opts.userArgs, envRoot, venvInfo?.venv, os, pythonVersion)]));
    if (ctx.json) {
      // `runs`: the exact command lines, in order (preparation first), with the user's arguments placed.
      const routes = plan.routes.map((r) => {
        const p = planned.get(r)!;
        return { ...r, runs: [...p.pre.map((c) => ({ argv: c.words, runner: c.cmd.runner, pre: true })), ...p.suites.map((c) => ({ argv: c.words, runner: c.cmd.runner, ...(c.cmd.cwd ? { cwd: c.cmd.cwd } : {}) }))], ...(p.notRun.length ? { notRun: p.notRun } : {}) };
      });
      printJson({ chosen: plan.chosen?.name ?? null, why: plan.why, python: pythonVersion ? { version: pythonVersion, from: cfg ? "the environment" : "what dhtl setup would choose" } : null, routes, signals: plan.signals });
    } else {
      printText(plan.routes.length ? plan.routes.flatMap((r) => describeRoute(r, r === plan.chosen, planned.get(r)!)).join("\n") : "no test route found");
      printText(`\n${plan.chosen ? `runs: ${plan.chosen.name} — ${plan.why}` : plan.why}`);
    }
    return 0;
  }
  const { venv, complete } = venvInfo!;
  const state = setupState(envRoot, complete);
  if (state) log.warn(state);

  // A runner the configuration names: tox or nox themselves, when the user wants them.
  if (config.test?.runner === "tox" || config.test?.runner === "nox") {
    const env = venvRunEnv({ venv, os, baseEnv: ctx.env, configEnv: config.env as Record<string, string>, isolate: Boolean(config.isolation?.enabled) });
    log.info(`running ${config.test.runner} (test.runner: ${config.test.runner} in the configuration)`);
    return runInVenv([config.test.runner, ...opts.userArgs], env, envRoot, os);
  }
  const route = plan.chosen;
  if (!route) {
    throw new DhtError(ExitCode.failed, opts.route ? plan.why : `no way to run the tests of ${envRoot} was found`, {
      subject: opts.route ? "--route" : envRoot,
      hint: opts.route ? "`dhtl test --list` shows the routes found" : "set test.command in .dhtconfig (e.g. `test: {command: pytest -q}`), or add a tox.ini / Makefile test target",
    });
  }
  const missing = missingRunners(route, venv, pythonVersion, os);
  if (missing.length) {
    throw new DhtError(ExitCode.failed, `the test route ${route.name} needs ${missing.join(", ")}, which is not installed in ${venv}`, {
      subject: route.name,
      hint: "run `dhtl setup`: it installs what the test route needs (it was left out with --no-dev, or the last setup did not finish)",
    });
  }
  log.info(`test route ${route.name}: ${plan.why}`);
  const isolate = Boolean(config.isolation?.enabled) || existsSync(join(venvBinDir(venv, os), "activate.isolated.ps1"));
  const env = venvRunEnv({ venv, os, baseEnv: ctx.env, configEnv: config.env as Record<string, string>, isolate, toolDirs: dhtlToolDirs(ctx.env, dhtHome(ctx.env)) });
  const result = await runRoute({
    route,
    venv,
    ...(pythonVersion ? { pythonVersion } : {}),
    envRoot,
    os,
    env,
    userArgs: opts.userArgs,
    capture: ctx.json,
    announce: (line) => log.info(line),
  });
  if (ctx.json) {
    printJson({ route: route.name, source: route.source, why: plan.why, exitCode: result.exitCode, suites: result.suites, counts: result.counts ?? null, ...(state ? { warning: state } : {}) });
  }
  return result.exitCode;
}
