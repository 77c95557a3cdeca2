/**
 * `dhtl diagnose`: gather the facts of one environment (src/repair/gather.ts) with what the
 * setup flow knows about it (configuration, plan, installer: src/flows/setup/execute.ts
 * prepare), then run the pure checks. Read-only: nothing in the environment is changed
 * (the only write is the lock-export pins file under .dht/ when the plan installs from one).
 */
import { join } from "node:path";
import type { RunContext } from "../../context.ts";
import { isDhtError } from "../../errors.ts";
import { readCheckpoint } from "../../env/checkpoints.ts";
import { venvBinDir, venvPython } from "../../env/venv.ts";
import { dhtHome } from "../../paths.ts";
import { runTool } from "../../process.ts";
import { UV_VERSION } from "../../uv/version.ts";
import { homePaths } from "../../paths.ts";
import { filesystemOf } from "../../platform/index.ts";
import { getLogger } from "../../ui/logger.ts";
import { normalizeName } from "../../repair/dists.ts";
import { unreachableFrom } from "../../repair/inventory.ts";
import { asBaseline } from "../../repair/baseline.ts";
import { gatherHome, gatherMachine, gatherNetwork, gatherState, gatherVenv, parseDryRun, wantedFrom } from "../../repair/gather.ts";
import { plannedTestRoute } from "../../repair/test-route.ts";
import { planTestRoute } from "../../testing/index.ts";
import { minorOf } from "../../python/version.ts";
import { runChecks } from "../../repair/checks.ts";
import type { EnvironmentFacts, Facts, Finding } from "../../repair/types.ts";
import { findCheckpointRoot, CHECKPOINT_NAME } from "../setup/noop-check.ts";
import { prepare, type Prepared, type SetupOptions } from "../setup/execute.ts";
import { buildPlan, directDependencyNames, plannedCommands, type PythonChoice, type SetupPlan, type UvChoice } from "../setup/plan.ts";
import { commandEnv } from "../setup/steps.ts";
import { runImportChecks } from "../setup/import-check.ts";
import { existsSync } from "node:fs";

export interface DiagnoseOptions extends SetupOptions {
  deep?: boolean;
}

export interface Diagnosis {
  facts: Facts;
  findings: Finding[];
  prepared?: Prepared;
  plan?: SetupPlan;
  python?: PythonChoice & { executable: string; version: string };
  uv?: UvChoice;
}

/** The Python and uv the last setup recorded (the checkpoint's step outputs), if still there. */
export function recordedChoices(envRoot: string): { python?: PythonChoice & { executable: string; version: string }; uv?: UvChoice } {
  const cp = readCheckpoint(join(envRoot, CHECKPOINT_NAME));
  const out = (id: string) => cp?.steps.find((s) => s.id === id)?.output;
  const py = out("resolve-python");
  const uv = out("obtain-uv");
  return {
    ...(typeof py?.executable === "string" && typeof py.version === "string"
      ? { python: { executable: py.executable, version: py.version, source: String(py.source ?? ""), chain: [], ...(typeof py.request === "string" ? { request: py.request } : {}) } }
      : {}),
    ...(uv && uv.available === true && typeof uv.path === "string" ? { uv: { available: true, path: uv.path, version: String(uv.version ?? ""), how: String(uv.how ?? "") } } : {}),
  };
}

/** The venv had pip when setup verified it (its baseline lists pip): a setup that seeded it, whatever today's flags. */
function seededAtSetup(envRoot: string): boolean {
  const baseline = asBaseline(readCheckpoint(join(envRoot, CHECKPOINT_NAME))?.steps.find((s) => s.id === "finalize")?.output?.baseline);
  return Boolean(baseline?.entries.some((e) => /^pip-[^-]+\.dist-info$/.test(e)));
}

/** Dry runs of the plan's install commands, read as missing / wrong version / extra. */
async function compareWanted(p: Prepared, plan: SetupPlan, python: NonNullable<Diagnosis["python"]>, uv: UvChoice, venv: NonNullable<EnvironmentFacts["venv"]>, env: Record<string, string>): Promise<EnvironmentFacts["wanted"]> {
  const input = p.services.planInput(python, uv);
  const cmds = plannedCommands(input, { extras: plan.extras, groups: plan.groups, mode: plan.mode }, { uv: uv.path ?? "uv", basepython: python.executable, venvPath: plan.venv.venvPath, os: p.g.facts.os }).filter((c) => c.step === "install-dependencies");
  const source = plan.mode === "uv-sync" ? "uv.lock" : "the declared requirements";
  const installed = new Map(venv.dists.filter((d) => d.name && d.version).map((d) => [normalizeName(d.name!), d.version!]));
  const roots = [...directDependencyNames(p.g.declared, { extras: plan.extras, groups: plan.groups }), ...(p.g.declared.name ? [p.g.declared.name] : []), ...(plan.mode === "pip" ? ["pip", "setuptools", "wheel"] : [])];
  const byReach = unreachableFrom(venv.dists, roots).map((d) => ({ name: d.name!, ...(d.version ? { version: d.version } : {}) }));
  if (!cmds.length) return { source, missing: [], wrongVersion: [], extra: byReach };
  const merged = { add: new Map<string, string>(), remove: new Map<string, string>() };
  let exact = false;
  for (const cmd of cmds) {
    const argv = [...cmd.argv];
    const isUv = argv[0] === uv.path;
    if (isUv && argv[1] === "export") {
      // Writes only .dht/uv-lock-requirements.txt (the pins the next command reads).
      const r = await runTool(argv, { env: commandEnv(p.services, plan, cmd.env), cwd: plan.envRoot });
      if (r.code !== 0) return { source, missing: [], wrongVersion: [], extra: [], problem: `uv export failed: ${r.stderr.trim().split("\n").at(-1)}` };
      continue;
    }
    if (isUv && (argv[1] === "sync" || (argv[1] === "pip" && argv[2] === "sync"))) exact = true;
    const dryArgv = isUv ? [...argv.slice(0, argv[1] === "pip" ? 3 : 2), "--dry-run", ...argv.slice(argv[1] === "pip" ? 3 : 2)] : [...argv.slice(0, 4), "--dry-run", ...argv.slice(4)];
    const r = await runTool(dryArgv, { env: commandEnv(p.services, plan, cmd.env), cwd: plan.envRoot });
    if (r.code !== 0) return { source, missing: [], wrongVersion: [], extra: [], problem: r.stderr.trim().split("\n").filter((l) => /error|because|not found/i.test(l)).slice(0, 2).join(" ") || `exit ${r.code}` };
    const parsed = parseDryRun(`${r.stdout}\n${r.stderr}`);
    for (const [k, val] of parsed.add) merged.add.set(k, val);
    for (const [k, val] of parsed.remove) merged.remove.set(k, val);
  }
  // The project itself is reinstalled by every editable sync (` ~ small==0.1.0`): not a difference.
  return wantedFrom(source, merged, installed, byReach, exact);
}

export async function diagnose(ctx: RunContext, options: DiagnoseOptions, envDir?: string): Promise<Diagnosis> {
  const log = await getLogger(ctx);
  const home = dhtHome(ctx.env);
  const deep = Boolean(options.deep);
  let p: Prepared | undefined;
  let configProblem: EnvironmentFacts["configProblem"];
  let credentialsError: Facts["network"]["credentialsError"];
  try {
    p = await prepare(ctx, options, { ...log, warn: (m: string) => log.debug(m), info: (m: string) => log.debug(m) } as typeof log, envDir);
  } catch (error) {
    if (!isDhtError(error)) throw error;
    const problem = { message: error.message, ...(error.subject ? { subject: error.subject } : {}), ...(error.hint ? { hint: error.hint } : {}) };
    if (/credential|netrc|keyring|environment variable/i.test(`${error.message} ${error.subject ?? ""}`)) credentialsError = problem;
    else configProblem = problem;
  }
  const envRoot = p?.g.envRoot ?? findCheckpointRoot(ctx.cwd) ?? ctx.cwd;
  const os = p?.g.facts.os ?? (process.platform === "win32" ? "windows" : process.platform === "darwin" ? "darwin" : "linux");
  const recorded = recordedChoices(envRoot);
  const storedUv = join(homePaths(home).uv, UV_VERSION, os === "windows" ? "uv.exe" : "uv");
  const uv: UvChoice = recorded.uv && existsSync(recorded.uv.path!) ? recorded.uv : existsSync(storedUv) ? { available: true, path: storedUv, version: UV_VERSION, how: "stored in DHT_HOME" } : { available: false, how: "not stored in DHT_HOME" };
  const python = recorded.python;
  const environment: EnvironmentFacts = { envRoot, projectRoot: p?.g.projectRoot ?? envRoot, envDir: p?.g.envDir ?? ".", declared: [], ...(configProblem ? { configProblem } : {}) };
  let plan: SetupPlan | undefined;
  if (p) {
    const g = p.g;
    const venv = await gatherVenv({ venvPath: g.venv.venvPath, linkPath: g.venv.linkPath, os, recorded: python, deep, env: ctx.env });
    environment.venv = venv;
    if (python) plan = buildPlan(p.services.planInput(python, uv));
    const sel = plan ? { extras: plan.extras, groups: plan.groups } : { extras: [], groups: [] };
    environment.declared = directDependencyNames(g.declared, sel).map(normalizeName);
    const pipDist = venv.dists.find((d) => normalizeName(d.name ?? "") === "pip");
    environment.installer = {
      mode: plan?.mode ?? "unknown",
      ...(uv.available && uv.path ? { uv: { path: uv.path, runs: (await runTool([uv.path, "--version"], { env: { PATH: ctx.env.PATH ?? "" }, cwd: envRoot })).code === 0, version: uv.version } } : {}),
      pip: { installed: Boolean(pipDist), broken: Boolean(pipDist && (pipDist.missing.length || pipDist.metadataError)), expected: plan?.mode === "pip" || Boolean(plan?.commands.find((c) => c.step === "create-venv")?.argv.includes("--seed")) || seededAtSetup(envRoot) },
    };
    const env = plan ? commandEnv(p.services, plan, {}) : {};
    if (plan && python && venv.python.runs) {
      const check = plannedCommands(p.services.planInput(python, uv), { extras: plan.extras, groups: plan.groups, mode: plan.mode }, { uv: uv.path ?? "uv", basepython: python.executable, venvPath: g.venv.venvPath, os }).find((c) => c.step === "verify")!;
      const r = await runTool(check.argv, { env, cwd: envRoot });
      environment.pipCheck = { ok: r.code === 0, output: `${r.stdout}\n${r.stderr}`.trim() };
      environment.wanted = await compareWanted(p, plan, python, uv, venv, env);
    } else if (plan && python) environment.pipCheck = { ok: false, output: "", skipped: "the venv's interpreter does not run" };
    environment.project = { isPackage: g.declared.isPackage, ...(g.declared.name ? { name: g.declared.name } : {}) };
    if (g.declared.isPackage && g.declared.name && venv.python.runs) {
      const report = await runImportChecks(venvPython(g.venv.venvPath, os), [g.declared.name], { env: plan ? env : (ctx.env as Record<string, string>), cwd: envRoot, workers: 1 });
      const failed =
        report.failed[0] ??
        (report.missing.length
          ? [g.declared.name, g.declared.name, `no installed distribution named ${g.declared.name}`]
          : !report.checked.length && !report.broken
            ? [g.declared.name, g.declared.name, "none of its modules can be found from the venv (an editable install's .pth or finder is gone?)"]
            : undefined);
      environment.project.importable = !failed && !report.broken;
      if (failed) environment.project.error = failed[2];
      else if (report.broken) environment.project.error = report.broken.output;
    } else if (g.declared.isPackage && !venv.python.runs) environment.project.error = "the venv's interpreter does not run";
    if (venv.exists) {
      const routes = planTestRoute({ root: envRoot, declared: g.declared, config: g.config.test, env: ctx.env, files: g.test.files, ...(python ? { pythonMinor: minorOf(python.version) } : {}) });
      if (routes.chosen) environment.testRoute = plannedTestRoute({ plan: routes, venvBin: venvBinDir(g.venv.venvPath, os), site: venv.site });
    }
  }
  const fsFacts = await filesystemOf(envRoot).catch(() => undefined);
  const [machine, network, homeFacts] = await Promise.all([
    gatherMachine({
      envRoot,
      venvPath: p?.g.venv.venvPath,
      venvLocal: Boolean(p && p.g.venv.placement !== "in-project"),
      home,
      os,
      ...(p ? { platform: p.g.facts } : {}),
      ...(fsFacts ? { fs: fsFacts } : {}),
      deepestPath: p ? join(p.g.venv.venvPath, "Lib", "site-packages").length + 151 : 0,
    }),
    p
      ? gatherNetwork({ registries: p.g.registries, credentials: p.credentials, net: p.g.net, env: ctx.env, offline: p.g.offline || Boolean(p.bundle) })
      : Promise.resolve({ offline: true, indexes: [], proxies: [], ...(credentialsError ? { credentialsError } : {}) } as Facts["network"]),
    gatherHome(home, { deep, ...(uv.path ? { uvPath: uv.path } : {}), uvNeeded: plan?.installer === "uv", env: ctx.env }),
  ]);
  if (!p && credentialsError) network.offline = false;
  const facts: Facts = { environment, state: gatherState(envRoot, p?.g.venv.venvPath), machine, network, home: homeFacts, deep };
  return { facts, findings: runChecks(facts), ...(p ? { prepared: p } : {}), ...(plan ? { plan } : {}), ...(python ? { python } : {}), uv };
}
