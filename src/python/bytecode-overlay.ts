/**
 * Bytecode overlays: .pyc files compiled on the connected machine and laid into a tree on
 * the air-gapped one.
 *
 * python-build-standalone archives carry no .pyc files (uv issue #16408) and uv installs
 * wheels without compiling them, so on a fresh setup every interpreter start compiles what
 * it imports from source: dhtl's interpreter check, uv's interpreter queries (which run
 * with -B and keep nothing), then the verify step's import check, where pytest alone pulls
 * in ~150 stdlib and ~60 of its own modules. `dhtl prepare-offline` compiles those modules
 * once, on the machine that prepares the bundle (src/bundle/precompile.ts says which), and
 * ships them as checksummed files of the bundle; installBuild lays the stdlib part into
 * the extracted tree before the build is checked and moved into place, setup lays the
 * wheels' part into site-packages after uv installed them.
 *
 * The .pyc files are "checked-hash" ones (PEP 552): the interpreter validates each against
 * a hash of its source file, never a timestamp, so they stay valid wherever the sources
 * are extracted, and a source that differs (dhtl rewrites _sysconfigdata at install) is
 * simply compiled again. Compiled with PYTHONHASHSEED=0, a fixed split over a fixed number
 * of workers and relative recorded file names, the same inputs give the same bytes, so
 * bundles stay reproducible.
 */
import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";

/**
 * argv[1]: the root; stdin: one path per line, relative to it. Each file is compiled to a
 * checked-hash .pyc in its __pycache__, whose path (relative) is printed; the file name
 * recorded in the code objects is the relative path (an interpreter shows the real path in
 * tracebacks anyway). Exit 3 when this Python predates hash-based .pyc files (3.7).
 */
const COMPILE_SCRIPT = [
  "import sys, os, py_compile",
  "mode = getattr(py_compile, 'PycInvalidationMode', None)",
  "if mode is None: sys.exit(3)",
  "root = sys.argv[1]",
  "for line in sys.stdin:",
  "    rel = line.rstrip('\\n')",
  "    if not rel: continue",
  "    try:",
  "        cfile = py_compile.compile(os.path.join(root, rel), dfile=rel, doraise=True, invalidation_mode=mode.CHECKED_HASH)",
  "    except py_compile.PyCompileError:",
  "        continue  # a file that does not compile is left to import time, where its error belongs",
  "    print(os.path.relpath(cfile, root).replace(os.sep, '/'))",
].join("\n");

/** Always this many workers, each with a fixed share: the output must not depend on the machine. */
const WORKERS = 2;

/** Compile `sources` (relative to `root`) with `python`. Returns the .pyc files written, relative and sorted. */
export async function compileSources(python: string, root: string, sources: string[]): Promise<string[]> {
  const { runTool } = await import("../process.ts");
  // A minimal environment: nothing of the user's (PYTHONPATH, PYTHONDONTWRITEBYTECODE, ...).
  // -B: the workers' own imports write nothing; py_compile writes what it is asked to.
  const env = { PYTHONHASHSEED: "0", LC_ALL: "C" };
  const shares = Array.from({ length: WORKERS }, (_, w) => sources.filter((_, i) => i % WORKERS === w)).filter((share) => share.length);
  const results = await Promise.all(shares.map((share) => runTool([python, "-B", "-s", "-c", COMPILE_SCRIPT, root], { env, cwd: root, input: `${share.join("\n")}\n` })));
  for (const r of results) {
    if (r.code === 3) throw new Error("this Python predates checked-hash .pyc files (3.7)");
    if (r.code !== 0) throw new Error(`the compiler exited with status ${r.code}: ${r.stderr.trim().split("\n").at(-1) ?? ""}`);
  }
  return results.flatMap((r) => r.stdout.split("\n").map((l) => l.trim()).filter(Boolean)).sort();
}

/** Write the .pyc files `pycs` (relative to `root`) as a deterministic .tar.gz. */
export async function writeOverlay(root: string, pycs: string[], outFile: string): Promise<void> {
  const { writeDeterministicTarGz } = await import("../archive/tar-write.ts");
  await writeDeterministicTarGz(pycs.map((rel) => ({ name: rel, type: "file" as const, source: join(root, rel) })), outFile, { mtime: 0, level: 6 });
}

/** Why an overlay entry cannot be laid into a tree, or undefined when it can. Pure. */
export function overlayEntryProblem(rel: string): string | undefined {
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return "is not a plain relative path";
  if (!rel.endsWith(".pyc")) return "is not a .pyc file";
  if (parts.length < 2 || parts.at(-2) !== "__pycache__") return "is not inside a __pycache__ directory";
  return undefined;
}

/** "pkg/__pycache__/mod.cpython-311.pyc" → "pkg/mod.py". Pure. */
export function sourceOfPyc(rel: string): string {
  const parts = rel.split("/");
  const file = parts.at(-1)!;
  // mod.cpython-311.pyc, mod.cpython-313t.pyc, mod.cpython-311.opt-1.pyc: the module name ends at the first dot.
  return [...parts.slice(0, -2), `${file.slice(0, file.indexOf("."))}.py`].join("/");
}

/** An overlay bigger than this once decompressed is refused (a stdlib compiles to ~15-30 MB). */
const MAX_OVERLAY_BYTES = 512 * 1024 * 1024;

/**
 * The regular files of an uncompressed ustar archive, names joined from the prefix field.
 * Anything else (links, devices, pax or GNU long-name records) is refused: dhtl's own
 * writer makes none of them for an overlay. Pure. Not nanotar's parseTar: it drops the
 * ustar prefix field. Not extractArchive: its temp directory and rename (then a move per
 * file into the tree) made laying in the stdlib part about three times slower, and the
 * tree the overlay goes into is itself not in place yet.
 */
export function readUstarFiles(tar: Uint8Array): Array<{ name: string; data: Uint8Array }> {
  const decoder = new TextDecoder();
  const text = (at: number, len: number) => {
    const raw = tar.subarray(at, at + len);
    const end = raw.indexOf(0);
    return decoder.decode(end < 0 ? raw : raw.subarray(0, end));
  };
  const out: Array<{ name: string; data: Uint8Array }> = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    if (tar.subarray(offset, offset + 512).every((b) => b === 0)) break; // end-of-archive blocks
    const name = text(offset, 100);
    const prefix = text(offset + 345, 155);
    const size = Number.parseInt(text(offset + 124, 12).trim() || "0", 8);
    const type = tar[offset + 156] ? String.fromCharCode(tar[offset + 156]!) : "0";
    const full = prefix ? `${prefix}/${name}` : name;
    if (!Number.isFinite(size) || size < 0 || offset + 512 + size > tar.length) throw new Error(`entry '${full}' is truncated`);
    if (type === "0") out.push({ name: full, data: tar.subarray(offset + 512, offset + 512 + size) });
    else if (type !== "5") throw new Error(`entry '${full}' is not a regular file or directory (type '${type}')`);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/**
 * Lay an overlay (a .tar.gz of .pyc files) into `dir`. A .pyc is written only beside its
 * source file in one of `dir`'s own (real, not symlinked) directories, never over an
 * existing .pyc; one whose source is absent (a package not installed here) is skipped.
 * A malformed overlay is refused before anything is written. Returns how many were laid.
 */
export async function applyOverlay(dir: string, overlay: string): Promise<{ files: number; skipped: number }> {
  return layOverlay(dir, await readOverlay(overlay));
}

const checked = new Map<string, Array<{ name: string; data: Uint8Array }>>();

/**
 * Read and check an overlay without writing anything: a malformed one is refused here, so
 * setup can check a bundle's overlays before its first write (a venv half set up because the
 * overlay was bad only after uv installed into it). The entries are kept for the later lay-in.
 */
export async function readOverlay(overlay: string): Promise<Array<{ name: string; data: Uint8Array }>> {
  const hit = checked.get(overlay);
  if (hit) return hit;
  const refuse = (why: string) =>
    new DhtError(ExitCode.failed, `the precompiled bytecode ${overlay} cannot be used: ${why}`, {
      subject: overlay,
      hint: "prepare the bundle again on the connected machine",
    });
  const gz = new Uint8Array(await Bun.file(overlay).arrayBuffer());
  if (gz[0] !== 0x1f || gz[1] !== 0x8b) throw refuse("it is not a readable .tar.gz (no gzip header)");
  // gzip's trailer holds the decompressed size (mod 4 GiB): a bomb is refused before it inflates.
  const declared = gz.length >= 4 ? new DataView(gz.buffer, gz.byteOffset + gz.length - 4, 4).getUint32(0, true) : 0;
  if (gz.length > MAX_OVERLAY_BYTES || declared > MAX_OVERLAY_BYTES) throw refuse("it is too big to be bytecode");
  let entries: Array<{ name: string; data: Uint8Array }>;
  try {
    entries = readUstarFiles(Bun.gunzipSync(gz));
  } catch (error) {
    throw refuse(`it is not a readable .tar.gz (${(error as Error).message})`);
  }
  for (const { name } of entries) {
    const problem = overlayEntryProblem(name);
    if (problem) throw refuse(`'${name}' ${problem}`);
  }
  checked.set(overlay, entries);
  return entries;
}

/** Lay checked entries (readOverlay) into `dir`; see applyOverlay. */
export function layOverlay(dir: string, entries: Array<{ name: string; data: Uint8Array }>): { files: number; skipped: number } {
  const realDir = realpathSync(dir);
  const ownDirs = new Map<string, boolean>();
  const isOwnDir = (rel: string): boolean => {
    let own = ownDirs.get(rel);
    if (own === undefined) {
      const abs = join(dir, ...rel.split("/").filter(Boolean));
      own = existsSync(abs) && statSync(abs).isDirectory() && realpathSync(abs) === join(realDir, ...rel.split("/").filter(Boolean));
      ownDirs.set(rel, own);
    }
    return own;
  };
  let files = 0;
  let skipped = 0;
  const made = new Set<string>();
  for (const { name, data } of entries) {
    const source = sourceOfPyc(name);
    const sourceDir = source.split("/").slice(0, -1).join("/");
    const cacheDir = name.split("/").slice(0, -1).join("/");
    // The source must be there, in a directory of the tree itself; an existing __pycache__
    // must be a real directory of it too (never a link leading elsewhere).
    if (!isOwnDir(sourceDir) || !existsSync(join(dir, ...source.split("/"))) || (existsSync(join(dir, ...cacheDir.split("/"))) && !isOwnDir(cacheDir))) {
      skipped++;
      continue;
    }
    const to = join(dir, ...name.split("/"));
    if (!made.has(cacheDir)) {
      mkdirSync(dirname(to), { recursive: true });
      made.add(cacheDir);
    }
    try {
      writeFileSync(to, data, { flag: "wx", mode: 0o644 });
      files++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      skipped++;
    }
  }
  return { files, skipped };
}
