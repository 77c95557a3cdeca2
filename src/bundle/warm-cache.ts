/**
 * Warming uv's cache with an offline bundle's wheels while the bundled CPython is still
 * being extracted.
 *
 * `uv pip install` spends most of its time in a bundle setup unzipping wheels into its
 * cache ("Prepared N packages"), and it can only start once the bundled Python exists to
 * make the venv. `uv pip install --target` with an explicit --python-version and
 * --python-platform fills the same cache entries (same --find-links directory, same pins)
 * with any interpreter as its base, so when the machine has one (Linux distributions
 * almost always ship python3) setup runs it on the other core during the extraction and
 * the real install afterwards only links files. The throwaway target directory is removed.
 *
 * Purely an optimisation: the real install never depends on it. A warm-up that fails (a
 * pin without a wheel, a platform mismatch) costs nothing but its own time and is not
 * reported except in --verbose; it is always finished or stopped before setup returns.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface WarmupInput {
  uv: string;
  /** The bundle's wheel directory for this platform and environment (uv's --find-links). */
  wheelsDir: string;
  /** Exact pins ("name==version") the bundle holds wheels for. */
  requirements: string[];
  /** The bundled Python's version, e.g. "3.11.7". */
  pythonVersion: string;
  /** uv's --python-platform for this machine (src/bundle/targets.ts hostUvPythonPlatform). */
  pythonPlatform: string;
  /** Any interpreter of the machine, only as uv's base for --target (warmupInterpreter). */
  python: string;
  /** Where the throwaway target directory goes. */
  target: string;
}

/** The warm-up's argv (uv's own flags only; pure). No index, no dependency resolution: every pin is given. */
export function warmupArgs(input: WarmupInput): string[] {
  return [
    input.uv, "pip", "install", "--quiet", "--offline", "--no-index", "--no-deps",
    "--find-links", input.wheelsDir,
    "--target", input.target,
    "--python", input.python,
    "--python-version", input.pythonVersion,
    "--python-platform", input.pythonPlatform,
    ...input.requirements,
  ];
}

/**
 * The interpreter uv may use as the warm-up's base, given what `python3` on PATH is (pure).
 * Never one whose mere start can open a dialog: macOS's /usr/bin/python3 asks to install the
 * developer tools when they are missing, Windows' python3.exe may be the Store's alias. No
 * interpreter: no warm-up, the install unpacks the wheels itself.
 */
export function warmupInterpreter(os: "linux" | "darwin" | "windows", python3OnPath: string | undefined): string | undefined {
  if (!python3OnPath || os === "windows") return undefined;
  if (os === "darwin" && python3OnPath === "/usr/bin/python3") return undefined;
  return python3OnPath;
}

export interface Warmup {
  /** Resolves when the warm-up has ended (its target removed); true when it succeeded. */
  settle(): Promise<boolean>;
}

/**
 * Start the warm-up. `env` is the environment the real install runs with (same
 * UV_CACHE_DIR), `scratchDir` a directory on the cache's file system for the target.
 */
export function startWheelCacheWarmup(
  input: Omit<WarmupInput, "target">,
  env: Record<string, string>,
  scratchDir: string,
  debug: (message: string) => void = () => {},
): Warmup {
  if (!input.requirements.length) return { settle: async () => false };
  let target: string;
  try {
    target = mkdtempSync(join(scratchDir, "uv-warmup-"));
  } catch (error) {
    debug(`uv cache warm-up not started: ${(error as Error).message}`);
    return { settle: async () => false };
  }
  // Ctrl-C ends dhtl without unwinding: runTool kills uv, this removes its scratch target.
  const removeTarget = () => rmSync(target, { recursive: true, force: true });
  process.once("exit", removeTarget);
  const done = (async () => {
    const { runTool } = await import("../process.ts");
    // The base interpreter is named, never searched for; version and platform are explicit.
    // One unzipping thread: the other core is extracting the Python (measured: two threads
    // slowed the extraction more than they sped the warm-up).
    const r = await runTool(warmupArgs({ ...input, target }), { env: { ...env, UV_PYTHON_DOWNLOADS: "never", UV_CONCURRENT_INSTALLS: "1" } });
    removeTarget();
    process.off("exit", removeTarget);
    if (r.code !== 0) debug(`uv cache warm-up failed (exit ${r.code}): ${r.stderr.trim().split("\n").at(-1) ?? ""}; the install unzips the wheels itself`);
    else debug(`uv cache warmed from the bundle: ${input.requirements.length} wheels unpacked while the Python was extracted`);
    return r.code === 0;
  })();
  return { settle: () => done };
}
