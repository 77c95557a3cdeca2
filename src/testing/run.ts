/**
 * Running a test route in the environment: its preparation commands, then every suite, with
 * the route's environment variables and working directory, the venv first on PATH. The
 * user's extra arguments go where the route puts `{posargs}` (tox, nox, `{args}` in Hatch,
 * `$@` in a script), else at the end, and only to the suites of the first suite's runner
 * (`-k parser` is pytest's, not behave's). The exit status is the first failing suite's.
 */
import { join } from "node:path";
import { existsSync, mkdirSync } from "node:fs";
import { addCounts, parseCounts, type TestCounts } from "./counts.ts";
import { shellQuote } from "./shell-words.ts";
import type { RouteCommand, TestRoute } from "./types.ts";
import { runInVenv } from "../env/run-in-venv.ts";
import { venvBinDir, venvSitePackages, type VenvOs } from "../env/venv.ts";

export interface RunRouteInput {
  route: TestRoute;
  venv: string;
  pythonVersion?: string;
  envRoot: string;
  os: VenvOs;
  /** The venv's run environment (venvRunEnv); the route's variables go on top. */
  env: Record<string, string>;
  userArgs: string[];
  /** Capture output for counts (`--json`); otherwise the runner owns the terminal. */
  capture: boolean;
  announce: (line: string) => void;
}

export interface SuiteResult {
  argv: string[];
  runner: string;
  exitCode: number;
  counts?: TestCounts;
}

export interface RouteResult {
  exitCode: number;
  suites: SuiteResult[];
  counts?: TestCounts;
}

/** The words of one command as it will run: placeholders filled, the user's arguments placed. Pure. */
export function commandLine(cmd: RouteCommand, userArgs: string[] | undefined, places: Record<string, string>): string[] {
  const fill = (w: string) => w.replace(/\{(envtmpdir|env_tmp_dir|envdir|env_dir|envsitepackagesdir|env_site_packages_dir|envbindir|env_bin_dir|envname|env_name|envlogdir)\}/g, (_, k: string) => places[k] ?? "");
  const argv = cmd.argv.map(fill);
  const args = userArgs ?? cmd.posargs?.default ?? [];
  if (cmd.posargs) argv.splice(Math.min(cmd.posargs.index, argv.length), 0, ...args);
  else argv.push(...(userArgs ?? []));
  return argv;
}

/**
 * tox installs the project as a wheel, so `{envsitepackagesdir}/pkg` is the installed
 * package; dhtl installs it editable, where site-packages holds no `pkg/`. Such a word that
 * does not exist names the same path in the project (`pkg/` or `src/pkg/`) instead. Pure
 * apart from `exists`.
 */
export function sitePackagesFallback(words: string[], site: string | undefined, root: string, exists: (path: string) => boolean): string[] {
  if (!site) return words;
  return words.map((w) => {
    if (!w.startsWith(`${site}/`) || exists(w)) return w;
    const rel = w.slice(site.length + 1);
    return [join(root, rel), join(root, "src", rel)].find(exists) ?? w;
  });
}

/** A word back into a shell line: globs and expansions stay live, spaces and quotes are quoted. */
const shellWord = (w: string) => (/[\s'"\\;&|<>()`]/.test(w) ? shellQuote(w) : w);

export async function runRoute(input: RunRouteInput): Promise<RouteResult> {
  const { route } = input;
  const tmp = join(input.envRoot, ".dht", "test-tmp", route.name.replace(/[^\w.-]+/g, "_"));
  const bin = venvBinDir(input.venv, input.os);
  const places: Record<string, string> = {
    envtmpdir: tmp, env_tmp_dir: tmp,
    envdir: input.venv, env_dir: input.venv,
    envbindir: bin, env_bin_dir: bin,
    envlogdir: join(tmp, "log"),
    envname: route.name.split(":").pop() ?? route.name, env_name: route.name.split(":").pop() ?? route.name,
    ...(input.pythonVersion ? { envsitepackagesdir: venvSitePackages(input.venv, input.pythonVersion, input.os), env_site_packages_dir: venvSitePackages(input.venv, input.pythonVersion, input.os) } : {}),
  };
  if (route.suites.some((s) => s.argv.some((w) => w.includes("{envtmpdir}") || w.includes("{env_tmp_dir}")))) mkdirSync(tmp, { recursive: true });
  const env = { ...input.env, ...route.env };
  const primary = route.suites[0]?.runner;
  const run = async (cmd: RouteCommand, args: string[] | undefined): Promise<SuiteResult> => {
    const words = cmd.line !== undefined ? [cmd.line, ...(args ?? []).map(shellQuote)] : sitePackagesFallback(commandLine(cmd, args, places), places.envsitepackagesdir, input.envRoot, existsSync);
    const argv = cmd.line !== undefined ? (input.os === "windows" ? ["cmd", "/d", "/s", "/c", words.join(" ")] : ["sh", "-c", words.join(" ")]) : cmd.shell ? (input.os === "windows" ? ["cmd", "/d", "/s", "/c", words.join(" ")] : ["sh", "-c", words.map(shellWord).join(" ")]) : words;
    const cwd = cmd.cwd ? join(input.envRoot, cmd.cwd) : input.envRoot;
    // tox creates a changedir that does not exist yet (`changedir = .tox` in a fresh clone).
    if (cmd.cwd) mkdirSync(cwd, { recursive: true });
    input.announce(`$ ${words.join(" ")}${cmd.cwd ? `   (in ${cmd.cwd})` : ""}`);
    // Only the summaries matter: keep complete lines that could be one, not the whole output.
    let output = "";
    let partial = "";
    const keep = (text: string) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (/\d|^(OK|FAILED|Results)/.test(l) && l.length < 400) output += `${l}\n`;
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
    };
    const code = await runInVenv(argv, { ...env, ...(cmd.env ?? {}) }, cwd, input.os, input.capture ? { tee: keep } : {});
    keep("\n");
    const found = input.capture ? parseCounts(output, input.pythonVersion ? { pythonVersion: input.pythonVersion } : {}) : undefined;
    const counts = found?.suites ? found : undefined;
    return { argv: words, runner: cmd.runner, exitCode: code, ...(counts ? { counts } : {}) };
  };
  for (const cmd of route.pre) {
    const r = await run(cmd, []);
    if (r.exitCode !== 0 && !cmd.ignoreExit) return { exitCode: r.exitCode, suites: [] };
  }
  const suites: SuiteResult[] = [];
  let exitCode = 0;
  let counts: TestCounts | undefined;
  for (const cmd of route.suites) {
    const userArgs = cmd.runner === primary && input.userArgs.length ? input.userArgs : undefined;
    const r = await run(cmd, userArgs);
    suites.push(r);
    counts = addCounts(counts, r.counts);
    if (r.exitCode !== 0 && !cmd.ignoreExit && exitCode === 0) exitCode = r.exitCode;
    // Ctrl-C stops the route, not just one suite.
    if (r.exitCode === 130 || r.exitCode === 143) break;
  }
  return { exitCode, suites, ...(counts ? { counts } : {}) };
}
