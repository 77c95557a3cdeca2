/**
 * The in-place repairs `dhtl fix-env` performs, each one command of the environment's own
 * installer with the environment's own settings (registries, proxies, CAs, offline), so a
 * repair reaches exactly what setup would have reached, and nothing more.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { DhtError, ExitCode } from "../../errors.ts";
import { outputTail, runTool } from "../../process.ts";
import { homePaths } from "../../paths.ts";
import { venvPython } from "../../env/venv.ts";
import { normalizeName, type InstalledDist } from "../../repair/dists.ts";
import { offlineMisses } from "../../registries/install-failure.ts";
import { reinstallArgs, takeInventory, type InventoryEntry } from "../../repair/inventory.ts";
import type { Prepared } from "../setup/execute.ts";
import { plannedCommands, type PythonChoice, type SetupPlan, type UvChoice } from "../setup/plan.ts";
import { commandEnv } from "../setup/steps.ts";

export interface RepairContext {
  p: Prepared;
  plan: SetupPlan;
  python: PythonChoice & { executable: string; version: string };
  uv: UvChoice;
  /** The venv the commands act on (the real one, or a deep repair's new one). */
  venv: string;
  log: (m: string) => void;
  debug: (m: string) => void;
}

const env = (r: RepairContext) => commandEnv(r.p.services, r.plan, {});

async function run(r: RepairContext, argv: string[], what: string): Promise<void> {
  r.debug(`$ ${argv.join(" ")}`);
  const result = await runTool(argv, { env: env(r), cwd: r.plan.envRoot, stream: r.p.services.verbose });
  if (result.code !== 0) {
    // Offline, a package the cache (or the bundle) lacks cannot be had on this machine now: exit 3, naming it.
    if (r.p.g.offline && offlineMisses(`${result.stdout}\n${result.stderr}`).length) throw await r.p.services.installFailure(`${result.stdout}\n${result.stderr}`, argv, r.python.version);
    throw new DhtError(ExitCode.failed, `${what} failed (exit ${result.code})`, {
      subject: r.venv,
      hint: `${outputTail(result, 12)}\nthe command was: ${argv.join(" ")}`,
    });
  }
}

const noIndex = (r: RepairContext) => (r.plan.registries.noIndex ? ["--no-index"] : []);

/** Links and pyvenv.cfg made again from the base interpreter, site-packages left as it is. */
export async function relink(r: RepairContext, base: string): Promise<void> {
  const prompt = r.p.g.config.python?.prompt ?? (r.p.g.declared.name || r.plan.envRoot.split(/[\\/]/).pop() || "venv");
  const argv = r.plan.mode === "pip" ? [base, "-m", "venv", "--upgrade", "--prompt", prompt, r.venv] : [r.uv.path!, "venv", "--no-config", "--allow-existing", "--python", base, "--prompt", prompt, r.venv];
  await run(r, argv, "recreating the venv's links and pyvenv.cfg");
}

/** pip put back in a pip-mode venv, from the interpreter's own bundled wheel (no network). */
export async function ensurePip(r: RepairContext): Promise<void> {
  await run(r, [venvPython(r.venv, r.p.services.os), "-m", "ensurepip", "--upgrade", "--default-pip"], "reinstalling pip (ensurepip)");
}

/** Exactly these distributions again, at their recorded versions and from their recorded origins. */
export async function reinstall(r: RepairContext, entries: InventoryEntry[], options: { refresh?: boolean } = {}): Promise<void> {
  if (!entries.length) return;
  const py = venvPython(r.venv, r.p.services.os);
  const specs = entries.flatMap(reinstallArgs);
  if (options.refresh && r.uv.available) {
    // The cached copy may be the damaged file itself (uv hard-links from its cache): drop it.
    await run(r, [r.uv.path!, "cache", "clean", ...entries.map((e) => e.name)], "removing the damaged packages from uv's cache");
  }
  const argv =
    r.plan.mode === "pip"
      ? [py, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "--force-reinstall", ...(options.refresh ? ["--no-cache-dir"] : []), ...specs]
      : [r.uv.path!, "pip", "install", ...noIndex(r), "--python", py, "--no-deps", ...entries.flatMap((e) => ["--reinstall-package", e.name]), ...specs];
  await run(r, argv, `reinstalling ${entries.map((e) => `${e.name} ${e.version}`).join(", ")}`);
}

/**
 * The plan's install commands, made inexact: `uv sync` would remove what was installed by
 * hand and `uv pip sync` likewise, so they become `uv sync --inexact` and `uv pip install -r`.
 */
export async function installMissing(r: RepairContext, reinstallPackages: string[] = []): Promise<void> {
  const input = r.p.services.planInput(r.python, r.uv);
  const cmds = plannedCommands(input, { extras: r.plan.extras, groups: r.plan.groups, mode: r.plan.mode }, { uv: r.uv.path ?? "uv", basepython: r.python.executable, venvPath: r.venv, os: r.p.services.os }).filter((c) => c.step === "install-dependencies");
  const again = reinstallPackages.flatMap((n) => ["--reinstall-package", n]);
  for (const cmd of cmds) {
    let argv = [...cmd.argv];
    if (argv[0] === r.uv.path && argv[1] === "sync") argv = [...argv.slice(0, 2), "--inexact", ...again, ...argv.slice(2)];
    else if (argv[0] === r.uv.path && argv[1] === "pip" && argv[2] === "sync") {
      const file = argv.at(-1)!;
      argv = [...argv.slice(0, 2), "install", ...argv.slice(3, -1), ...again, "-r", file];
    } else if (argv[0] === r.uv.path && argv[1] === "pip" && argv[2] === "install") argv = [...argv.slice(0, 3), ...again, ...argv.slice(3)];
    else if (argv.includes("pip") && argv.includes("install") && reinstallPackages.length) argv = [...argv, "--force-reinstall", "--no-deps", ...reinstallPackages];
    r.debug(`$ ${argv.join(" ")}`);
    const result = await runTool(argv, { env: commandEnv(r.p.services, r.plan, cmd.env), cwd: r.plan.envRoot, stream: r.p.services.verbose });
    if (result.code !== 0) throw await r.p.services.installFailure(`${result.stdout}\n${result.stderr}`, argv, r.python.version);
  }
}

/** Cache entries whose bytes no longer match their sha256 name: removed (fetched again when needed). */
export function cleanCache(home: string, bad: string[]): void {
  const dir = homePaths(home).downloads;
  for (const name of bad) if (/^[0-9a-f]{64}$/.test(name)) rmSync(join(dir, name), { force: true });
}

/** The inventory entries of these broken distributions (found by name in a scan). */
export function entriesFor(dists: InstalledDist[], names: string[]): InventoryEntry[] {
  const wanted = new Set(names.map(normalizeName));
  // A distribution whose METADATA is broken still has its name and version in the directory name.
  return takeInventory(dists.filter((d) => wanted.has(normalizeName(d.name ?? d.dir))));
}
