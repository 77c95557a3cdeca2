/**
 * Swap the running executable for a new one without ever leaving a broken or missing
 * `dhtl` behind:
 *
 *   1. write the new bytes beside the old file (same directory, so the rename is atomic),
 *   2. chmod 755 and run it with --version: it must start and name the expected target,
 *   3. POSIX: rename over the old path (the running process keeps its inode);
 *      Windows: a running .exe cannot be replaced or deleted but can be renamed, so the old
 *      one is moved to dhtl.exe.old first (removed by the next update or uninstall).
 */
import { chmod, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { parseVersionLine } from "./release-layout.ts";

const PROBE_TIMEOUT_MS = 15_000;

export interface ReplaceOptions {
  expectTarget: string;
  expectVersion?: string;
  windows?: boolean;
  /** Only for tests of the Windows rename flow on a host that cannot run a PE. */
  skipHeaderCheck?: boolean;
}

function writeError(path: string, error: unknown): DhtError {
  const code = (error as { code?: string }).code;
  return new DhtError(ExitCode.failed, `cannot replace ${path}: ${code ?? String(error)}`, {
    subject: path,
    hint:
      code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? "dhtl is installed where you cannot write (installed by root or a package manager?): update it the way it was installed, or reinstall with install.sh into ~/.local/bin"
        : "check free space and permissions of the install directory",
    cause: error,
  });
}

/** Replace `exePath` with `bytes`; returns the new executable's --version line. */
export async function replaceExecutable(exePath: string, bytes: Uint8Array, options: ReplaceOptions): Promise<string> {
  const windows = options.windows ?? process.platform === "win32";
  // The header first: a script that prints the right --version line, or an executable for
  // another CPU or libc, is refused before it is written or run.
  const { headerProblems, inspectHeader } = await import("./executable-format.ts");
  const formatProblems = options.skipHeaderCheck ? [] : headerProblems(options.expectTarget, inspectHeader(bytes));
  if (formatProblems.length) {
    throw new DhtError(ExitCode.failed, `the downloaded file is not a dhtl executable for ${options.expectTarget}: ${formatProblems.join("; ")}`, {
      subject: exePath,
      hint: "nothing was changed; the archive holds something else than a release build for this machine: get the release archive for this platform",
    });
  }
  // On Windows the staged file must end in .exe to be runnable for the --version check.
  const stagedName = windows ? `.dhtl.new-${process.pid}.exe` : `.${basename(exePath)}.new-${process.pid}`;
  const staged = join(dirname(exePath), stagedName);
  try {
    await writeFile(staged, bytes, { mode: 0o755 });
    await chmod(staged, 0o755);
  } catch (error) {
    await rm(staged, { force: true });
    throw writeError(exePath, error);
  }
  let probe: { success: boolean; exitCode: number | null; stdout: Buffer; stderr: Buffer; signalCode?: string | number | null; exitedDueToTimeout?: boolean };
  try {
    probe = Bun.spawnSync([staged, "--version"], { stdout: "pipe", stderr: "pipe", timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024 });
  } catch (error) {
    // ENOEXEC and friends: not an executable for this machine at all
    probe = { success: false, exitCode: null, stdout: Buffer.alloc(0), stderr: Buffer.from(String((error as Error).message)) };
  }
  const line = probe.stdout.toString().trim();
  const parsed = parseVersionLine(line);
  const stderr = probe.stderr.toString().trim().slice(0, 200);
  // Every failure says what happened, even when the probe printed nothing.
  const why = probe.exitedDueToTimeout
    ? `it did not answer --version within ${PROBE_TIMEOUT_MS / 1000} s`
    : probe.signalCode
      ? `it was killed by signal ${probe.signalCode} when run with --version`
      : probe.exitCode === null
        ? "it cannot start"
        : `it exited with status ${probe.exitCode} for --version`;
  const problem = !probe.success
    ? `${why}${stderr ? `: ${stderr}` : " (no output)"}`
    : !parsed
      ? `it printed ${JSON.stringify(line.slice(0, 100))} for --version`
      : parsed.target !== options.expectTarget
        ? `it is built for ${parsed.target}, this machine runs ${options.expectTarget}`
        : options.expectVersion && parsed.version !== options.expectVersion
          ? `it reports version ${parsed.version}, expected ${options.expectVersion}`
          : undefined;
  if (problem) {
    await rm(staged, { force: true });
    throw new DhtError(ExitCode.failed, `the downloaded dhtl does not work here: ${problem}`, {
      subject: exePath,
      hint: "nothing was changed; the release may be broken for this platform, report it",
    });
  }
  try {
    if (windows && existsSync(exePath)) {
      const old = `${exePath}.old`;
      await rm(old, { force: true }).catch(() => {}); // still locked if that old one is running
      await rename(exePath, old);
      try {
        await rename(staged, exePath);
      } catch (error) {
        await rename(old, exePath).catch(() => {});
        throw error;
      }
    } else {
      await rename(staged, exePath);
    }
  } catch (error) {
    await rm(staged, { force: true });
    throw writeError(exePath, error);
  }
  return line;
}
