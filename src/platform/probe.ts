/**
 * Filling in ProbeRoots defaults, plus the two small effects every probe shares: reading a
 * file that may be absent, and running a process without ever waiting on a prompt.
 */
import { readFileSync, statSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import type { ArchName, CommandResult, CommandRunner, OsName, ProbeRoots } from "./types.ts";

export interface ResolvedProbe {
  root: string;
  procDir: string;
  env: Record<string, string | undefined>;
  os: OsName;
  arch: ArchName;
  uid: number | undefined;
  kernel: string;
  run: CommandRunner;
}

export function osFromNode(platform: string): OsName {
  if (platform === "win32") return "windows";
  if (platform === "darwin") return "darwin";
  // Everything else dhtl runs on is Linux-like for our purposes (android reports "android").
  return "linux";
}

export function archFromNode(arch: string): ArchName {
  // Node/Bun name them x64/arm64; python-build-standalone says x86_64/aarch64.
  return arch === "arm64" || arch === "aarch64" ? "aarch64" : "x86_64";
}

export function resolveProbe(probe: ProbeRoots = {}): ResolvedProbe {
  const root = probe.root ?? "/";
  return {
    root,
    procDir: probe.procDir ?? (probe.root ? join(root, "proc") : "/proc"),
    env: probe.env ?? process.env,
    os: probe.os ?? osFromNode(process.platform),
    arch: probe.arch ?? archFromNode(process.arch),
    uid: probe.uid ?? (typeof process.getuid === "function" ? process.getuid() : undefined),
    kernel: probe.kernel ?? release(),
    run: probe.run ?? runCommand,
  };
}

/** A path inside the probed root ("/etc/os-release" under "/tmp/fixture" → "/tmp/fixture/etc/os-release"). */
export function underRoot(root: string, absolutePath: string): string {
  return root === "/" ? absolutePath : join(root, absolutePath);
}

/*
 * File probes read synchronously on purpose: they are a few dozen tiny files in /proc and
 * /etc, where a sync read takes microseconds and each async one costs far more in
 * scheduling (measured: ~1 ms for an fs.promises open+read+close in the compiled binary).
 * Probes that spawn processes stay async and run concurrently.
 */

/** File contents, or undefined when it is absent or unreadable (probes never fail on that). */
export async function readTextIfPresent(path: string): Promise<string | undefined> {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export async function existsPath(path: string): Promise<boolean> {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Run a process with stdin closed (so nothing can prompt) and a short timeout: a probe
 * that hangs must not hang dhtl. A missing executable is a result (code 127), not a throw.
 */
export async function runCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 5_000,
): Promise<CommandResult> {
  try {
    const proc = Bun.spawn(argv, {
      env: env as Record<string, string>,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: timeoutMs,
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  } catch (error) {
    return { code: 127, stdout: "", stderr: error instanceof Error ? error.message : String(error) };
  }
}
