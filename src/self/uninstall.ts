/**
 * `dhtl self uninstall`: remove the executable, what install.sh wrote into the shell setup
 * (path-setup.ts), and with --all the DHT_HOME directory. Planning is pure
 * (planUninstall), so tests and --json can show exactly what will go before it goes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, resolve, sep, parse as parsePath } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { installerFiles, stripInstallerLines } from "./path-setup.ts";

export interface UninstallPlan {
  executable: string;
  /** Files install.sh created that exist now. */
  files: string[];
  /** Startup files with lines to remove, and how many. */
  rcEdits: { file: string; lines: number }[];
  /** DHT_HOME, only with --all and when it exists. */
  dhtHome?: string;
  /** Windows: the install directory to take off the user PATH. */
  windowsPathEntry?: string;
}

export interface PlanInput {
  executable: string;
  env: Record<string, string | undefined>;
  home: string;
  dhtHome: string;
  all: boolean;
  windows: boolean;
}

/** The top-level entries dhtl itself makes in DHT_HOME (src/paths.ts). */
export const DHT_HOME_ENTRIES = new Set(["python", "tools", "cache", "venvs", "v", "locks", "node", "system", "bundles"]);

/**
 * Refuse to delete a DHT_HOME that is not provably dhtl's own: a root or home directory
 * (a typo'd DHT_HOME=/ or ~), anything containing the home directory, or a directory
 * holding anything dhtl does not make (DHT_HOME=~/projects would have deleted the projects).
 */
export function checkDhtHomeIsSafe(dir: string, home: string, entries?: string[]): void {
  const abs = resolve(dir);
  const homeAbs = resolve(home);
  const refuse = (why: string) =>
    new DhtError(ExitCode.usage, `refusing to delete ${abs}: ${why}`, {
      subject: "DHT_HOME",
      hint: "point DHT_HOME at dhtl's own directory (default ~/.dht), or remove it by hand",
    });
  if (abs === parsePath(abs).root || abs === homeAbs || homeAbs.startsWith(`${abs}${sep}`)) throw refuse("DHT_HOME points at a root or home directory");
  const foreign = (entries ?? []).filter((name) => !DHT_HOME_ENTRIES.has(name) && !name.startsWith("."));
  if (foreign.length) throw refuse(`it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}, which dhtl did not make`);
}

export function planUninstall(input: PlanInput): UninstallPlan {
  const f = installerFiles(input.env, input.home);
  const files = [f.envFile, f.envFish, f.fishConf].filter((p) => existsSync(p));
  const rcEdits: UninstallPlan["rcEdits"] = [];
  for (const file of f.rcFiles) {
    if (!existsSync(file) || !statSync(file).isFile()) continue;
    const { removed } = stripInstallerLines(readFileSync(file, "utf8"), f.envFile);
    if (removed) rcEdits.push({ file, lines: removed });
  }
  let dhtHome: string | undefined;
  if (input.all && existsSync(input.dhtHome)) {
    checkDhtHomeIsSafe(input.dhtHome, input.home, readdirSync(input.dhtHome));
    dhtHome = resolve(input.dhtHome);
  }
  return {
    executable: input.executable,
    files,
    rcEdits,
    dhtHome,
    windowsPathEntry: input.windows ? dirname(input.executable) : undefined,
  };
}

/** Rewrite a startup file without the installer's lines (temp file + rename: never half-written). */
async function editRcFile(file: string, envFile: string): Promise<void> {
  const { text } = stripInstallerLines(await readFile(file, "utf8"), envFile);
  const tmp = `${file}.dhtl-uninstall-${process.pid}`;
  await writeFile(tmp, text, { mode: statSync(file).mode & 0o777 });
  await rename(tmp, file);
}

/** Windows: take the install directory off HKCU\Environment\Path, keeping other entries unexpanded. */
function removeFromWindowsUserPath(dir: string): void {
  const script = [
    "$k=[Microsoft.Win32.Registry]::CurrentUser.OpenSubKey('Environment',$true)",
    "$p=$k.GetValue('Path','',[Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)",
    "$n=@($p -split ';' | Where-Object { $_ -ne '' -and $_ -ne $env:DHTL_UNINSTALL_DIR }) -join ';'",
    "if ($n -ne $p) { $k.SetValue('Path',$n,[Microsoft.Win32.RegistryValueKind]::ExpandString) }",
    "$k.Close()",
  ].join("; ");
  Bun.spawnSync(["powershell", "-NoProfile", "-NonInteractive", "-Command", script], {
    env: { ...process.env, DHTL_UNINSTALL_DIR: dir },
    stdout: "ignore",
    stderr: "ignore",
  });
}

/** Windows cannot delete a running .exe: move it aside and let a detached cmd delete it once we exit. */
async function removeRunningWindowsExe(exe: string): Promise<void> {
  const old = `${exe}.old`;
  await rm(old, { force: true }).catch(() => {});
  await rename(exe, old);
  Bun.spawn(["cmd", "/d", "/c", `ping -n 3 127.0.0.1 >nul & del /f /q "${old}"`], { stdio: ["ignore", "ignore", "ignore"] }).unref();
}

export async function performUninstall(plan: UninstallPlan, env: Record<string, string | undefined>, home: string): Promise<void> {
  const f = installerFiles(env, home);
  for (const edit of plan.rcEdits) await editRcFile(edit.file, f.envFile);
  for (const file of plan.files) await rm(file, { force: true });
  await rmdir(f.configDir).catch(() => {}); // only if now empty (the user may keep other files there)
  if (plan.windowsPathEntry) removeFromWindowsUserPath(plan.windowsPathEntry);
  if (plan.dhtHome) await rm(plan.dhtHome, { recursive: true, force: true });
  if (existsSync(plan.executable)) {
    try {
      if (plan.windowsPathEntry) await removeRunningWindowsExe(plan.executable);
      else await rm(plan.executable, { force: true });
    } catch (error) {
      throw new DhtError(ExitCode.failed, `cannot remove ${plan.executable}: ${(error as { code?: string }).code ?? String(error)}`, {
        subject: plan.executable,
        hint: "it was installed by another user or a package manager: remove it the same way",
        cause: error,
      });
    }
  }
  await rm(`${plan.executable}.old`, { force: true }).catch(() => {});
}
