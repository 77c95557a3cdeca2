/**
 * python-build-standalone-shaped archives built from pyenv's interpreters, for a loopback
 * "PBS mirror" in tests and benchmarks.
 *
 * Why the archives are not a plain copy of ~/.pyenv/versions/X: pyenv builds CPython with
 * --enable-shared, and the interpreter's ELF RUNPATH is the absolute path
 * `$PYENV_ROOT/versions/X/lib`. A copied `bin/python3.X` would still load libpython from
 * the original pyenv tree (it "runs", but it is not the copy running, and it breaks as soon
 * as that tree is absent). Real PBS builds use `$ORIGIN/../lib`; so do we: the RUNPATH string
 * is rewritten in place in .dynstr (the new string is shorter; the rest is NUL-padded). The
 * stdlib is found relative to the executable by CPython's getpath, so nothing else needs
 * relinking. Like real PBS archives, `_sysconfigdata_*.py` and `.pc` files carry the stale
 * build prefix `/install` (dhtl must patch it after install), and `bin/python` is absent
 * (dhtl must add it, as uv does for PBS builds older than 20240726).
 *
 * To keep archives near the ~30 MB of a real install_only_stripped build, the test suite,
 * site-packages, caches and the static libpython are left out.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./cli.ts";

/** Bump when the archive layout changes, so cached archives are rebuilt. */
const LAYOUT_VERSION = 2;
export const PBS_BUILD_TAG = "20990101";

export interface PbsArchive {
  version: string;
  platform: string;
  build: string;
  flavor: "install_only" | "full";
  format: "tar.gz" | "tar.zst";
  filename: string;
  path: string;
  sha256: string;
  size: number;
}

export function pyenvRoot(env: Record<string, string | undefined> = process.env): string {
  return env.PYENV_ROOT || join(homedir(), ".pyenv");
}

/** pyenv versions present on this machine ("3.12.1", ...), newest last. */
export function pyenvVersions(env: Record<string, string | undefined> = process.env): string[] {
  const dir = join(pyenvRoot(env), "versions");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((v) => /^[23]\.\d+\.\d+$/.test(v));
}

/** The pyenv version of a minor ("3.12" → "3.12.1"), or undefined with a printed reason. */
export function pyenvVersionFor(minor: string): string | undefined {
  const hit = pyenvVersions().find((v) => v.startsWith(`${minor}.`));
  if (!hit) console.warn(`pyenv has no CPython ${minor} under ${pyenvRoot()}/versions: tests that need it are skipped`);
  return hit;
}

/** Rewrite DT_RUNPATH / DT_RPATH of an ELF64 little-endian file in place. Returns the old value. */
export async function setElfRunpath(file: string, runpath: string): Promise<string | undefined> {
  const buf = Buffer.from(await readFile(file));
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error(`${file}: not an ELF64 little-endian file`);
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const loads: Array<{ vaddr: number; offset: number; filesz: number }> = [];
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = buf.readUInt32LE(p);
    const offset = Number(buf.readBigUInt64LE(p + 8));
    const vaddr = Number(buf.readBigUInt64LE(p + 16));
    const filesz = Number(buf.readBigUInt64LE(p + 32));
    if (type === 1) loads.push({ vaddr, offset, filesz });
    if (type === 2) dynamic = { offset, size: filesz };
  }
  if (!dynamic) return undefined;
  let strtab = 0;
  let runpathOffset: number | undefined;
  for (let p = dynamic.offset; p < dynamic.offset + dynamic.size; p += 16) {
    const tag = Number(buf.readBigInt64LE(p));
    const val = Number(buf.readBigUInt64LE(p + 8));
    if (tag === 0) break;
    if (tag === 5) strtab = val; // DT_STRTAB (a virtual address)
    if (tag === 29 || tag === 15) runpathOffset = val; // DT_RUNPATH, DT_RPATH
  }
  if (runpathOffset === undefined) return undefined;
  const seg = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (!seg) throw new Error(`${file}: DT_STRTAB is outside every PT_LOAD segment`);
  const at = seg.offset + (strtab - seg.vaddr) + runpathOffset;
  const end = buf.indexOf(0, at);
  const old = buf.toString("utf8", at, end);
  if (Buffer.byteLength(runpath) > old.length) throw new Error(`${file}: new RUNPATH "${runpath}" is longer than "${old}"`);
  buf.fill(0, at, end);
  buf.write(runpath, at, "utf8");
  await writeFile(file, buf);
  return old;
}

const SKIP_STDLIB = new Set(["test", "idlelib", "turtledemo", "tkinter", "site-packages", "__pycache__", "lib2to3"]);

async function copyInterpreter(src: string, dest: string, minor: string): Promise<void> {
  await mkdir(join(dest, "bin"), { recursive: true });
  const binary = `python${minor}`;
  await cp(join(src, "bin", binary), join(dest, "bin", binary));
  await symlink(binary, join(dest, "bin", "python3"));
  await cp(join(src, "include"), join(dest, "include"), { recursive: true });
  await mkdir(join(dest, "lib"), { recursive: true });
  for (const entry of await readdir(join(src, "lib"))) {
    if (entry.startsWith("libpython") || entry === "pkgconfig") await cp(join(src, "lib", entry), join(dest, "lib", entry), { recursive: true, verbatimSymlinks: true });
  }
  const stdlibSrc = join(src, "lib", `python${minor}`);
  const stdlibDest = join(dest, "lib", `python${minor}`);
  await mkdir(join(stdlibDest, "site-packages"), { recursive: true });
  for (const entry of await readdir(stdlibSrc)) {
    if (SKIP_STDLIB.has(entry)) continue;
    await cp(join(stdlibSrc, entry), join(stdlibDest, entry), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (from) => !from.endsWith("__pycache__") && !from.endsWith(".a") && !from.endsWith(".pyc"),
    });
  }
}

/** Replace the pyenv prefix by PBS's stale `/install` prefix in sysconfig data and .pc files. */
async function stalePrefix(dest: string, minor: string, oldPrefix: string): Promise<number> {
  const stdlib = join(dest, "lib", `python${minor}`);
  const files = [
    ...(await readdir(stdlib)).filter((f) => f.startsWith("_sysconfigdata")).map((f) => join(stdlib, f)),
    ...(await readdir(join(dest, "lib", "pkgconfig")).catch(() => [] as string[])).map((f) => join(dest, "lib", "pkgconfig", f)),
  ];
  for (const f of files) {
    const text = await readFile(f, "utf8");
    await writeFile(f, text.split(oldPrefix).join("/install"));
  }
  return files.length;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of Bun.file(path).stream()) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Build (or reuse from .cache/test-assets/pbs) a PBS-shaped install_only archive of a pyenv
 * CPython. `version` must be installed in pyenv.
 */
export async function buildPbsArchive(
  version: string,
  cacheDir = join(repoRoot, ".cache", "test-assets", "pbs"),
  flavor: PbsArchive["flavor"] = "install_only",
): Promise<PbsArchive> {
  const platform = "linux-x86_64-gnu";
  // `full` archives (old PBS releases) are tar.zst with the tree under python/install/.
  const format = flavor === "full" ? "tar.zst" : "tar.gz";
  const filename = `cpython-${version}+${PBS_BUILD_TAG}-x86_64-unknown-linux-gnu-${flavor === "full" ? "pgo+lto-full" : "install_only"}.${format}`;
  const dir = join(cacheDir, `v${LAYOUT_VERSION}`);
  const path = join(dir, filename);
  const src = join(pyenvRoot(), "versions", version);
  if (!existsSync(path)) {
    if (!existsSync(src)) throw new Error(`pyenv CPython ${version} is not installed at ${src}`);
    const minor = version.split(".").slice(0, 2).join(".");
    const stage = join(dir, `stage-${version}-${process.pid}`);
    await rm(stage, { recursive: true, force: true });
    const top = flavor === "full" ? join(stage, "python", "install") : join(stage, "python");
    await copyInterpreter(src, top, minor);
    if (flavor === "full") await writeFile(join(stage, "python", "PYTHON.json"), JSON.stringify({ version: "8", python_exe: `install/bin/python${minor}` }));
    const old = await setElfRunpath(join(top, "bin", `python${minor}`), "$ORIGIN/../lib");
    if (old && old !== join(src, "lib")) throw new Error(`unexpected RUNPATH ${old} in pyenv ${version}`);
    await stalePrefix(top, minor, src);
    const tmp = `${path}.${process.pid}.tmp`;
    const tar = Bun.spawnSync(["tar", "-C", stage, "--owner=0", "--group=0", flavor === "full" ? "--zstd" : "--gzip", "-cf", tmp, "python"], { stderr: "pipe" });
    if (!tar.success) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    await rename(tmp, path);
    await rm(stage, { recursive: true, force: true });
  }
  return { version, platform, build: PBS_BUILD_TAG, flavor, format, filename, path, sha256: await sha256File(path), size: (await stat(path)).size };
}

/**
 * A DHT_PYTHON_DOWNLOADS file (the embedded manifest's shape) listing `archives` at
 * `<baseUrl>/<filename>`, plus any `extra` rows (e.g. a version no server has).
 */
export async function writeManifestOverride(
  file: string,
  baseUrl: string,
  archives: Array<Pick<PbsArchive, "version" | "platform" | "build" | "filename" | "sha256"> & Partial<Pick<PbsArchive, "flavor" | "format">>>,
  extra: Array<[string, string, string, string, string, string, string?]> = [],
): Promise<string> {
  const builds = [
    ...archives.map((a) => [a.version, a.platform, a.build, a.flavor ?? "install_only", a.format ?? "tar.gz", a.sha256, `${baseUrl.replace(/\/$/, "")}/${encodeURIComponent(a.filename)}`]),
    ...extra,
  ];
  await writeFile(file, JSON.stringify({ schema: 1, url_base: `${baseUrl.replace(/\/$/, "")}/`, builds }, null, 1));
  return file;
}

