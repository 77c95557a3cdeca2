/**
 * Precompiling, on the preparing machine, the modules that setup's interpreters will
 * import on the air-gapped one (the bytecode overlays of src/python/bytecode-overlay.ts).
 *
 * Which modules: the ones a setup actually imports, found by running it here. The bundled
 * build is extracted, each environment's bundled wheels are installed into a scratch
 * directory with the real uv (`--target`: the layout of site-packages), and the build's
 * interpreter runs the verify step's own import check (src/flows/setup/verify-script.ts)
 * over the environment's direct dependencies, plus what the interpreter queries of dhtl
 * and uv import. Every module file it loaded is compiled: those of the stdlib into the
 * build's overlay, those of the wheels into the environment's.
 *
 * Why not everything: each .pyc is one more file for setup to write, and on a small VM
 * writing the whole stdlib's 560 cost more than compiling the ~150 a setup imports
 * (measured: 1.25x against 1.11x of the by-hand steps). A module left out compiles on its
 * first import, as with any python-build-standalone install.
 *
 * Only for builds this machine can run (its own platform); a build for another platform is
 * bundled without overlays and setup there compiles on first import.
 */
import { existsSync, realpathSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { compileSources, writeOverlay } from "../python/bytecode-overlay.ts";
import { IMPORT_CHECK_SCRIPT } from "../flows/setup/verify-script.ts";

/** Never compiled: test suites (some do not compile on purpose), and the sysconfig data dhtl rewrites at install. */
const SKIP_DIRS = new Set(["test", "tests", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "site-packages", "dist-packages", "__pycache__"]);
const REWRITTEN_AT_INSTALL = /^_sysconfigdata.*\.py$/;

/** Of module files relative to their root ("/"-separated), the ones to compile, sorted. Pure. */
export function compilable(relPaths: Iterable<string>): string[] {
  return [...new Set(relPaths)]
    .filter((p) => {
      const parts = p.split("/");
      return p.endsWith(".py") && parts[0] !== "bin" && !parts.slice(0, -1).some((d) => SKIP_DIRS.has(d)) && !REWRITTEN_AT_INSTALL.test(parts.at(-1)!);
    })
    .sort();
}

const MODULES_MARKER = "\u001eDHT-MODULES ";

/**
 * argv[1]: the site directory. Names on stdin are import-checked exactly as the verify step
 * does; then the modules the interpreter queries import, then every loaded module's file.
 */
const PROFILE_SCRIPT = [
  "import sys",
  "sys.path.insert(0, sys.argv[1])",
  IMPORT_CHECK_SCRIPT,
  "import json, platform, struct, sysconfig, importlib.util",
  "sysconfig.get_config_vars()",
  "files = sorted({getattr(m, '__file__', None) or '' for m in list(sys.modules.values())})",
  `sys.stdout.write(${JSON.stringify(MODULES_MARKER)} + json.dumps([f for f in files if f.endswith('.py')]) + "\\n")`,
].join("\n");

export interface PrecompileEnvironment {
  dir: string;
  /** The bundle's (staged) wheel directory of the environment. */
  wheelsDir: string;
  /** The pins it holds wheels for ("name==version"). */
  pins: string[];
  /** Its direct dependencies: what setup's import check imports. */
  names: string[];
  /** Where its overlay goes. */
  out: string;
}

export interface PrecompileInput {
  uv: string;
  archive: string;
  build: { version: string; platform: string; format: string };
  environments: PrecompileEnvironment[];
  /** Environment for uv (its cache, no index is used). */
  env: Record<string, string | undefined>;
  workDir: string;
  /** Where the stdlib overlay goes. */
  stdlibOut: string;
}

/** Module files under `root` among `files` (absolute, as the interpreter reported them), relative and "/"-separated. */
function under(root: string, files: string[]): string[] {
  const real = realpathSync(root);
  return files.filter((f) => f.startsWith(real + sep)).map((f) => relative(real, f).split(sep).join("/"));
}

/** Run a tool to completion; its output, or an error naming it and its last line of stderr. */
async function run(argv: string[], options: { env: Record<string, string>; input?: string; cwd?: string }): Promise<string> {
  const { runTool } = await import("../process.ts");
  const r = await runTool(argv, options);
  if (r.code !== 0) throw new Error(`${argv[0]!.split(/[\\/]/).pop()} ${argv[1]} exited with status ${r.code}: ${r.stderr.trim().split("\n").at(-1) ?? ""}`);
  return r.stdout;
}

/**
 * Profile and compile one build for the environments that use it. Writes `stdlibOut` and
 * each environment's `out` (an environment whose wheels hold no imported module gets none).
 * Returns the module counts.
 */
export async function precompileBuild(input: PrecompileInput): Promise<{ stdlib: number; environments: Record<string, number> }> {
  const [{ extractArchive }, { interpreterIn, stdlibIn }] = await Promise.all([import("../archive/extract.ts"), import("../python/installs.ts")]);
  const scratch = await mkdtemp(join(input.workDir, "precompile-"));
  try {
    const extracted = join(scratch, "python");
    await extractArchive(input.archive, extracted, { format: input.build.format === "zip" ? "zip" : (input.build.format as "tar.gz" | "tar.zst"), stripTopDir: true });
    // `full` archives keep the installation under install/, as installBuild knows too.
    const tree = existsSync(join(extracted, "install")) && existsSync(join(extracted, "PYTHON.json")) ? join(extracted, "install") : extracted;
    const python = interpreterIn(tree, input.build.version, input.build.platform);
    const stdlib = stdlibIn(tree, input.build.version, input.build.platform);
    const uvEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.env)) if (v !== undefined) uvEnv[k] = v;
    const stdlibModules = new Set<string>();
    const counts: Record<string, number> = {};
    for (const [i, environment] of input.environments.entries()) {
      const site = join(scratch, `site-${i}`);
      if (environment.pins.length) {
        await run([input.uv, "pip", "install", "--quiet", "--offline", "--no-index", "--no-deps", "--find-links", environment.wheelsDir, "--python", python, "--target", site, ...environment.pins], { env: uvEnv });
      }
      // -I: nothing of this machine's environment; -B: the profile itself writes no bytecode.
      const out = await run([python, "-I", "-B", "-c", PROFILE_SCRIPT, site], { env: { LC_ALL: "C" }, input: environment.names.map((n) => `${n}\n`).join(""), cwd: scratch });
      const line = out.split("\n").find((l) => l.startsWith(MODULES_MARKER));
      if (!line) throw new Error("the import profile printed no module list");
      const files = JSON.parse(line.slice(MODULES_MARKER.length)) as string[];
      for (const rel of under(stdlib, files)) stdlibModules.add(relative(tree, join(stdlib, rel)).split(sep).join("/"));
      const siteSources = environment.pins.length ? compilable(under(site, files)) : [];
      counts[environment.dir] = 0;
      if (siteSources.length) {
        const pycs = await compileSources(python, site, siteSources);
        await writeOverlay(site, pycs, environment.out);
        counts[environment.dir] = pycs.length;
      }
    }
    // The stdlib part, relative to the install root; its test directories and rewritten files never.
    const stdlibPrefix = relative(tree, stdlib).split(sep).join("/");
    const stdlibSources = compilable([...stdlibModules].map((p) => p.slice(stdlibPrefix.length + 1))).map((p) => `${stdlibPrefix}/${p}`);
    const pycs = await compileSources(python, tree, stdlibSources);
    if (!pycs.length) throw new Error("nothing of the standard library was compiled");
    await writeOverlay(tree, pycs, input.stdlibOut);
    return { stdlib: pycs.length, environments: counts };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
