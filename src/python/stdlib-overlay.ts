/**
 * The stdlib bytecode overlay of a CPython build (see src/python/bytecode-overlay.ts): made
 * by prepare-offline from the archive itself, laid in by installBuild before the build is
 * checked and moved into place.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { compileSources, listFiles, relPosix, writeOverlay } from "./bytecode-overlay.ts";

/** Directories never compiled: tests (some do not compile on purpose) and tools nobody imports. */
const SKIP_DIRS = new Set(["test", "tests", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "site-packages", "dist-packages", "__pycache__"]);

/** Rewritten by dhtl at install time (installs.ts patchSysconfig): a .pyc of the original would never match. */
const REWRITTEN_AT_INSTALL = /^_sysconfigdata.*\.py$/;

/** The stdlib's .py files to compile from a listing of it (relative, "/"-separated), sorted. Pure. */
export function stdlibSources(relPaths: string[]): string[] {
  return relPaths
    .filter((p) => {
      const parts = p.split("/");
      return p.endsWith(".py") && !parts.slice(0, -1).some((d) => SKIP_DIRS.has(d)) && !REWRITTEN_AT_INSTALL.test(parts.at(-1)!);
    })
    .sort();
}

/**
 * Extract `archive` under `workDir`, compile its stdlib with its own interpreter, write the
 * .pyc files (paths relative to the install root) to `outFile`. Returns how many.
 */
export async function buildStdlibOverlay(
  archive: string,
  build: { version: string; platform: string; format: string },
  outFile: string,
  workDir: string,
): Promise<{ files: number }> {
  const [{ extractArchive }, { interpreterIn, stdlibIn }] = await Promise.all([import("../archive/extract.ts"), import("./installs.ts")]);
  const tree = join(workDir, `stdlib-${build.version}-${process.pid}-${Date.now()}`);
  try {
    await extractArchive(archive, tree, { format: build.format === "zip" ? "zip" : (build.format as "tar.gz" | "tar.zst"), stripTopDir: true });
    const root = existsSync(join(tree, "install")) && existsSync(join(tree, "PYTHON.json")) ? join(tree, "install") : tree;
    const stdlib = stdlibIn(root, build.version, build.platform);
    const sources = stdlibSources(listFiles(stdlib, SKIP_DIRS)).map((rel) => relPosix(root, join(stdlib, rel)));
    const pycs = await compileSources(interpreterIn(root, build.version, build.platform), root, sources);
    if (!pycs.length) throw new Error("nothing was compiled");
    await writeOverlay(root, pycs, outFile);
    return { files: pycs.length };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
