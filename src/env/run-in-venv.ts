/**
 * Running a command inside a project's venv (`dhtl run`, `dhtl test`): the venv's bin first
 * on PATH (or, with isolation, the venv's bin plus minimal system directories only),
 * VIRTUAL_ENV set, the config's `env:` applied, stdin/stdout/stderr shared, signals
 * forwarded, and the command's exit status passed through.
 */
import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { inspectVenv, venvBinDir, hostOs, resolveLink, type VenvOs } from "./venv.ts";
import { isolatedPathList } from "./isolation.ts";
import { readVenvPointer } from "./local-venv.ts";
import { UV_VERSION } from "../uv/version.ts";

export interface VenvRunEnvInput {
  venv: string;
  os: VenvOs;
  baseEnv: Record<string, string | undefined>;
  configEnv?: Record<string, string>;
  isolate: boolean;
  /** Directories of tools dhtl installed (DHT_HOME/tools/uv/<version>), appended to PATH. */
  toolDirs?: string[];
}

/** The child's environment. Pure. */
export function venvRunEnv(input: VenvRunEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.baseEnv)) if (v !== undefined) env[k] = v;
  const pathKey = input.os === "windows" ? (Object.keys(env).find((k) => k.toUpperCase() === "PATH") ?? "Path") : "PATH";
  const sep = input.os === "windows" ? ";" : ":";
  const bin = venvBinDir(input.venv, input.os);
  const current = (env[pathKey] ?? "").split(sep).filter((p) => p && p !== bin);
  // dhtl's own tools (its uv) come last: a machine's own copy wins, but a project whose tests
  // call `uv` finds one where dhtl set the project up with it.
  const tools = (input.toolDirs ?? []).filter((d) => !current.includes(d));
  env[pathKey] = input.isolate ? isolatedPathList(input.venv, input.os, input.baseEnv).join(sep) : [bin, ...current, ...tools].join(sep);
  env.VIRTUAL_ENV = input.venv;
  delete env.PYTHONHOME; // a PYTHONHOME from elsewhere breaks the venv's interpreter
  if (input.isolate) env.DHT_ISOLATED = "1";
  for (const [k, v] of Object.entries(input.configEnv ?? {})) env[k] = String(v);
  return env;
}

/** Locate the venv for an environment root and check it is usable. */
export function usableVenv(envRoot: string, venvSetting = ".venv", os: VenvOs = hostOs()): { venv: string; complete: boolean } {
  const link = resolve(envRoot, venvSetting);
  // A venv on local disk for a network-FS project: the link, or (sshfs) only the pointer.
  const pointer = readVenvPointer(envRoot);
  const linked = inspectVenv(resolveLink(link), os);
  const useLink = linked.usable || !pointer;
  const venv = useLink ? link : pointer!;
  const state = useLink ? linked : inspectVenv(pointer!, os);
  if (!state.usable) {
    throw new DhtError(ExitCode.failed, `no usable virtual environment at ${link}`, {
      subject: link,
      hint: "run `dhtl setup` first",
    });
  }
  return { venv, complete: state.markerHash !== undefined };
}

export interface RunInVenvOptions {
  /**
   * Capture the command's output: stdout and stderr both go to dhtl's stderr (so `--json`
   * keeps stdout for its one document) and each chunk to `tee`.
   */
  tee?: (text: string) => void;
}

export async function runInVenv(argv: string[], env: Record<string, string>, cwd: string, os: VenvOs = hostOs(), opts: RunInVenvOptions = {}): Promise<number> {
  if (argv.length === 0) throw new DhtError(ExitCode.usage, "no command given", { hint: "dhtl run CMD [ARGS...], e.g. dhtl run pytest -x" });
  const pathKey = os === "windows" ? (Object.keys(env).find((k) => k.toUpperCase() === "PATH") ?? "Path") : "PATH";
  const exe = argv[0]!.includes("/") || argv[0]!.includes("\\") ? argv[0]! : Bun.which(argv[0]!, { PATH: env[pathKey] ?? "", cwd });
  if (!exe || !existsSync(exe)) {
    throw new DhtError(ExitCode.failed, `command not found: ${argv[0]}`, {
      subject: argv[0],
      hint: `it is neither in the venv (${env.VIRTUAL_ENV ? join(venvBinDir(env.VIRTUAL_ENV, os)) : "?"}) nor on PATH; add it to the project's dependencies and run dhtl setup`,
    });
  }
  const tee = opts.tee;
  const child = Bun.spawn([exe, ...argv.slice(1)], { env, cwd, stdin: "inherit", stdout: tee ? "pipe" : "inherit", stderr: tee ? "pipe" : "inherit" });
  const pumps = tee
    ? [child.stdout, child.stderr].map(async (stream) => {
        const decoder = new TextDecoder();
        for await (const chunk of stream as ReadableStream<Uint8Array>) {
          process.stderr.write(chunk);
          tee(decoder.decode(chunk, { stream: true }));
        }
      })
    : [];
  // The command owns Ctrl-C: forward signals and wait for it, instead of dying first.
  const forward = (signal: NodeJS.Signals) => () => {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  };
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    const code = await child.exited;
    await Promise.all(pumps);
    if (child.signalCode) {
      const signo = ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1, SIGQUIT: 3 } as Record<string, number>)[child.signalCode] ?? 1;
      return 128 + signo;
    }
    return code;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}

export const pathDelimiter = delimiter;

/** dhtl's uv directory when the machine has no uv of its own on PATH (for venvRunEnv's toolDirs). */
export function dhtlToolDirs(env: Record<string, string | undefined>, home: string): string[] {
  if (Bun.which("uv", { PATH: env.PATH ?? "" })) return [];
  const dir = join(home, "tools", "uv", UV_VERSION);
  return existsSync(join(dir, process.platform === "win32" ? "uv.exe" : "uv")) ? [dir] : [];
}
