/**
 * Running a test route in the environment: its preparation commands, then every suite, with
 * the route's environment variables and working directory, the venv first on PATH. The
 * user's extra arguments go where the route puts `{posargs}` (tox, nox, `{args}` in Hatch,
 * `$@` in a script), else at the end, and only to the suites of the first suite's runner
 * (`-k parser` is pytest's, not behave's). The exit status is the first failing suite's.
 */
import { join, resolve } from "node:path";
import { existsSync, mkdirSync } from "node:fs";
import { addCounts, parseCounts, type TestCounts } from "./counts.ts";
import { shellQuote } from "./shell-words.ts";
import type { RouteCommand, TestRoute } from "./types.ts";
import { narrowCommand, userSelection } from "./user-args.ts";
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

/** tox's substitutions that name the environment ({envtmpdir}, {envbindir}, …), filled when the command runs. */
export const ENV_SUBSTITUTIONS = ["envtmpdir", "env_tmp_dir", "envdir", "env_dir", "envsitepackagesdir", "env_site_packages_dir", "envbindir", "env_bin_dir", "envname", "env_name", "envlogdir"];
const ENV_SUBSTITUTION = new RegExp(`\\{(${ENV_SUBSTITUTIONS.join("|")})\\}`, "g");

/** The words of one command as it will run: tox's substitutions filled, the user's arguments placed. Pure. */
export function commandLine(cmd: RouteCommand, userArgs: string[] | undefined, places: Record<string, string>): string[] {
  const fill = (w: string) => w.replace(ENV_SUBSTITUTION, (_, k: string) => places[k] ?? "");
  const argv = cmd.argv.map(fill);
  // The route's own default arguments are tox's words too (tox.toml's `{replace = "posargs",
  // default = ["--cov", "{env_site_packages_dir}{/}pkg"]}`); the user's are taken as written.
  const args = userArgs ?? (cmd.posargs?.default ?? []).map(fill);
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

/**
 * What tox lets through to its commands without `pass_env` (tox 4's defaults for every env and
 * for Python envs), plus what dhtl's own run environment is made of (PATH with the venv's bin,
 * VIRTUAL_ENV, DHT_HOME). Everything else the caller has (`CI=true`, `PYTEST_ADDOPTS`) is
 * dropped unless the env's `pass_env` names it, as under tox.
 */
const TOX_PASS_ALWAYS = [
  "PATH", "VIRTUAL_ENV", "DHT_HOME",
  "https_proxy", "http_proxy", "no_proxy", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "LANG", "LANGUAGE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
  "CC", "CFLAGS", "CCSHARED", "CXX", "CPPFLAGS", "LD_LIBRARY_PATH", "LDFLAGS", "HOME", "FORCE_COLOR", "NO_COLOR", "TERM", "TMPDIR", "PIP_*", "VIRTUALENV_*",
  // Windows (tox's list there)
  "SYSTEMDRIVE", "SYSTEMROOT", "COMSPEC", "TEMP", "TMP", "USERPROFILE", "PATHEXT", "MSYSTEM", "WINDIR", "APPDATA", "PROGRAMDATA", "PROGRAMFILES(X86)", "PROCESSOR_ARCHITECTURE", "NUMBER_OF_PROCESSORS", "USERNAME",
];

/** The caller's environment as tox would pass it to a command with this `pass_env`. Pure. */
export function toxPassedEnv(env: Record<string, string>, passEnv: string[], os: VenvOs): Record<string, string> {
  const patterns = [...TOX_PASS_ALWAYS, ...passEnv].map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, os === "windows" ? "i" : ""));
  return Object.fromEntries(Object.entries(env).filter(([k]) => patterns.some((re) => re.test(k))));
}

/** A word back into a shell line: globs and expansions stay live, spaces and quotes are quoted. */
const shellWord = (w: string) => (/[\s'"\\;&|<>()`]/.test(w) ? shellQuote(w) : w);

/** One command as it will run: the words (substitutions filled, the user's arguments placed) and where. */
export interface PlannedCommand {
  cmd: RouteCommand;
  words: string[];
}

export interface PlannedRun {
  pre: PlannedCommand[];
  suites: PlannedCommand[];
  /** Suites left out, and why (the user named paths of another runner's tests; the same command twice). */
  notRun: string[];
}

/**
 * What a route will run with the user's arguments, pure: the preparation commands, then the
 * suites of the first suite's runner with the user's arguments (the route's own test paths
 * or labels dropped when the user's select tests: `narrowCommand`), then the other runners'
 * suites, unless the user's arguments select tests. `isPath(cwd, word)` says whether a word
 * names an existing file or directory where the command runs.
 */
export function planRun(route: TestRoute, userArgs: string[], places: Record<string, string>, isPath: (cwd: string | undefined, word: string) => boolean): PlannedRun {
  const words = (cmd: RouteCommand, args: string[] | undefined) => (cmd.line !== undefined ? [cmd.line, ...(args ?? []).map(shellQuote)] : commandLine(cmd, args, places));
  const pre = route.pre.map((cmd) => ({ cmd, words: words(cmd, []) }));
  const primary = route.suites[0]?.runner;
  const selects = primary !== undefined && userArgs.length > 0 && route.suites.some((c) => c.runner === primary && c.line === undefined && userSelection(primary, userArgs, (w) => isPath(c.cwd, w)).length > 0);
  const suites: PlannedCommand[] = [];
  const notRun: string[] = [];
  const seen = new Set<string>();
  for (const cmd of route.suites) {
    if (cmd.runner !== primary || !userArgs.length) {
      if (selects) notRun.push(`${cmd.argv.join(" ")} (the arguments name ${primary} tests)`);
      else suites.push({ cmd, words: words(cmd, undefined) });
      continue;
    }
    const narrowed = narrowCommand(cmd, userArgs, (w) => isPath(cmd.cwd, w));
    const planned = { cmd: narrowed, words: words(narrowed, userArgs) };
    // Two suites narrowed to the same command (`pytest tests/unit`, `pytest tests/e2e`, both → the user's file) run once.
    const key = JSON.stringify([planned.words, cmd.cwd ?? "", cmd.env ?? {}]);
    if (narrowed !== cmd && seen.has(key)) {
      notRun.push(`${cmd.argv.join(" ")} (the same as the one before with these arguments)`);
      continue;
    }
    seen.add(key);
    suites.push(planned);
  }
  return { pre, suites, notRun };
}

/** planRun's `isPath` for a project: does the word name an existing file or directory where the command runs. */
export const pathIn = (envRoot: string) => (cwd: string | undefined, word: string) => word !== "" && existsSync(resolve(cwd ? join(envRoot, cwd) : envRoot, word));

/** The values of tox's environment substitutions ({envtmpdir}, {envbindir}, …) for this environment. */
export function routePlaces(route: TestRoute, envRoot: string, venv: string, os: VenvOs, pythonVersion?: string): Record<string, string> {
  const tmp = join(envRoot, ".dht", "test-tmp", route.name.replace(/[^\w.-]+/g, "_"));
  const bin = venvBinDir(venv, os);
  const name = route.name.split(":").pop() ?? route.name;
  return {
    envtmpdir: tmp, env_tmp_dir: tmp,
    envdir: venv, env_dir: venv,
    envbindir: bin, env_bin_dir: bin,
    envlogdir: join(tmp, "log"),
    envname: name, env_name: name,
    ...(pythonVersion ? { envsitepackagesdir: venvSitePackages(venv, pythonVersion, os), env_site_packages_dir: venvSitePackages(venv, pythonVersion, os) } : {}),
  };
}

export async function runRoute(input: RunRouteInput): Promise<RouteResult> {
  const { route } = input;
  const places = routePlaces(route, input.envRoot, input.venv, input.os, input.pythonVersion);
  const namesTmp = (w: string) => w.includes("{envtmpdir}") || w.includes("{env_tmp_dir}");
  if (route.suites.some((s) => s.argv.some(namesTmp) || s.posargs?.default.some(namesTmp))) mkdirSync(places.envtmpdir!, { recursive: true });
  const env = { ...input.env, ...route.env };
  const planned = planRun(route, input.userArgs, places, pathIn(input.envRoot));
  for (const n of planned.notRun) input.announce(`not run: ${n}`);
  const run = async ({ cmd, words: plannedWords }: PlannedCommand): Promise<SuiteResult> => {
    const words = cmd.line !== undefined ? plannedWords : sitePackagesFallback(plannedWords, places.envsitepackagesdir, input.envRoot, existsSync);
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
      for (const l of lines) if (/\d|^(OK|FAILED|Results|Tearing down left over layers)/.test(l) && l.length < 400) output += `${l}\n`;
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
    };
    const base = cmd.passEnv ? { ...toxPassedEnv(input.env, cmd.passEnv, input.os), ...route.env } : env;
    const code = await runInVenv(argv, { ...base, ...(cmd.env ?? {}) }, cwd, input.os, input.capture ? { tee: keep } : {});
    keep("\n");
    const found = input.capture ? parseCounts(output, input.pythonVersion ? { pythonVersion: input.pythonVersion } : {}) : undefined;
    const counts = found?.suites ? found : undefined;
    return { argv: words, runner: cmd.runner, exitCode: code, ...(counts ? { counts } : {}) };
  };
  for (const p of planned.pre) {
    const r = await run(p);
    if (r.exitCode !== 0 && !p.cmd.ignoreExit) return { exitCode: r.exitCode, suites: [] };
  }
  const suites: SuiteResult[] = [];
  let exitCode = 0;
  let counts: TestCounts | undefined;
  for (const p of planned.suites) {
    const r = await run(p);
    suites.push(r);
    counts = addCounts(counts, r.counts);
    if (r.exitCode !== 0 && !p.cmd.ignoreExit && exitCode === 0) exitCode = r.exitCode;
    // Ctrl-C stops the route, not just one suite.
    if (r.exitCode === 130 || r.exitCode === 143) break;
  }
  return { exitCode, suites, ...(counts ? { counts } : {}) };
}
