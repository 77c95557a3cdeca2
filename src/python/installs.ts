/**
 * Managed CPython installs under DHT_HOME/python, in uv's layout so the two tools can
 * share them:
 *
 *   python/cpython-3.11.7-linux-x86_64-gnu/   one build (bin/python3.11, lib/python3.11, BUILD)
 *   python/cpython-3.11-linux-x86_64-gnu      link to the newest installed 3.11 patch, so a
 *                                             venv made from it survives a patch upgrade
 *
 * Installing is atomic and safe to run concurrently: a per-key file lock, a verified
 * download (content-addressed cache), extraction into a temp dir beside the target, the
 * post-install fix-ups, a check that the interpreter runs, then one rename.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ownedTempPath, sweepAbandonedTemps } from "../platform/owned-temp.ts";
import { DhtError, ExitCode } from "../errors.ts";
import type { NetSettings } from "../net/types.ts";
import { homePaths } from "../paths.ts";
import { withFileLock } from "./lock.ts";
import type { PythonBuild } from "./manifest.ts";
import { queryInterpreter } from "./query.ts";
import { compareVersions, minorOf, parseVersion } from "./version.ts";

export interface ManagedInstall {
  key: string;
  implementation: string;
  version: string;
  platform: string;
  dir: string;
  executable: string;
  /** python-build-standalone tag from the BUILD file, when present. */
  build?: string;
}

const KEY_RE = /^(cpython)-(\d+\.\d+\.\d+[a-z0-9]*)-([a-z]+-[a-z0-9_]+-[a-z]+)$/;

export const installKey = (version: string, platform: string, implementation = "cpython") => `${implementation}-${version}-${platform}`;
export const minorLinkName = (version: string, platform: string, implementation = "cpython") => `${implementation}-${minorOf(version)}-${platform}`;

export function isWindowsPlatform(platform: string): boolean {
  return platform.startsWith("windows-");
}

/** The interpreter inside an install dir (PBS layout). */
export function interpreterIn(dir: string, version: string, platform: string): string {
  return isWindowsPlatform(platform) ? join(dir, "python.exe") : join(dir, "bin", `python${minorOf(version)}`);
}

/** The stdlib dir, where EXTERNALLY-MANAGED and _sysconfigdata live. */
export function stdlibIn(dir: string, version: string, platform: string): string {
  return isWindowsPlatform(platform) ? join(dir, "Lib") : join(dir, "lib", `python${minorOf(version)}`);
}

/** Installed builds (real directories with a runnable-looking interpreter), newest first. Sync: a few stats. */
export function listManagedInstalls(home: string, platform?: string): ManagedInstall[] {
  const root = homePaths(home).python;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: ManagedInstall[] = [];
  for (const name of names) {
    const m = KEY_RE.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    try {
      if (!lstatSync(dir).isDirectory()) continue; // minor links and stray files
    } catch {
      continue;
    }
    const [, implementation, version, plat] = m as unknown as [string, string, string, string];
    if (platform && plat !== platform) continue;
    const executable = interpreterIn(dir, version, plat);
    if (!existsSync(executable)) continue;
    let build: string | undefined;
    try {
      build = readFileSync(join(dir, "BUILD"), "utf8").trim() || undefined;
    } catch {}
    out.push({ key: name, implementation, version, platform: plat, dir, executable, build });
  }
  return out.sort((a, b) => compareVersions(parseVersion(b.version)!, parseVersion(a.version)!));
}

/** Minor links present ("cpython-3.11-linux-x86_64-gnu" → target key). */
export function listMinorLinks(home: string): Record<string, string> {
  const root = homePaths(home).python;
  const out: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {}
  for (const name of names) {
    if (!/^cpython-\d+\.\d+-/.test(name)) continue;
    try {
      if (lstatSync(join(root, name)).isSymbolicLink()) out[name] = readlinkSync(join(root, name)).replace(/[\\/]+$/, "").split(/[\\/]/).at(-1)!;
    } catch {}
  }
  return out;
}

/**
 * Point the minor link at the newest installed patch of that minor (or remove it when none
 * is left). Replaced atomically: a new link under a temp name, renamed over the old one.
 */
export async function updateMinorLink(home: string, version: string, platform: string): Promise<string | undefined> {
  const root = homePaths(home).python;
  const linkName = minorLinkName(version, platform);
  const link = join(root, linkName);
  const minor = minorOf(version);
  const newest = listManagedInstalls(home, platform).find((i) => minorOf(i.version) === minor);
  if (!newest) {
    await rm(link, { force: true });
    return undefined;
  }
  const tmp = join(root, `.${linkName}.${process.pid}.tmp`);
  await rm(tmp, { force: true });
  if (isWindowsPlatform(platform)) {
    // Junctions need no privilege on Windows; they take absolute targets.
    await symlink(newest.dir, tmp, "junction");
    await rm(link, { recursive: false, force: true }).catch(() => {});
  } else {
    await symlink(newest.key, tmp);
  }
  await rename(tmp, link);
  return newest.key;
}

export const EXTERNALLY_MANAGED = `[externally-managed]
Error=This Python installation is managed by dhtl and should not be modified.
 Create a virtual environment and install packages there instead:
 \`dhtl setup\`, or \`python -m venv .venv\`.
`;

/**
 * python-build-standalone bakes its build prefix `/install` into sysconfig data and
 * pkg-config files; after extraction it is stale, and tools that read it (building C
 * extensions, python3-config) look in /install. Rewrite it to the real location, as uv
 * does. Only whole path occurrences are replaced: `/install` at a value start, after `=`,
 * whitespace, a quote, or a -L/-I/-R flag, and followed by `/`, a quote, whitespace or end.
 */
export function patchStalePrefix(text: string, realPrefix: string): string {
  return text.replace(/(^|['"\s=:]|-[LIR]|-Wl,-rpath,)\/install(?=[/'"\s:]|$)/gm, (_m, lead: string) => `${lead}${realPrefix}`);
}

async function patchSysconfig(dir: string, finalDir: string, version: string, platform: string): Promise<string[]> {
  if (isWindowsPlatform(platform)) return [];
  const stdlib = stdlibIn(dir, version, platform);
  const targets: string[] = [];
  for (const f of await readdir(stdlib).catch(() => [] as string[])) if (/^_sysconfigdata.*\.py$/.test(f)) targets.push(join(stdlib, f));
  const pc = join(dir, "lib", "pkgconfig");
  for (const f of await readdir(pc).catch(() => [] as string[])) if (f.endsWith(".pc")) targets.push(join(pc, f));
  const changed: string[] = [];
  for (const file of targets) {
    const text = await readFile(file, "utf8");
    const patched = patchStalePrefix(text, finalDir);
    if (patched !== text) {
      await writeFile(file, patched);
      changed.push(file);
    }
  }
  return changed;
}

/** Add `bin/python` and `bin/python3` links when the archive lacks them (PBS < 20240726). */
async function addInterpreterLinks(dir: string, version: string, platform: string): Promise<string[]> {
  if (isWindowsPlatform(platform)) return [];
  const added: string[] = [];
  const target = `python${minorOf(version)}`;
  for (const name of ["python3", "python"]) {
    const path = join(dir, "bin", name);
    if (existsSync(path)) continue;
    try {
      lstatSync(path);
      await rm(path, { force: true }); // a dangling link
    } catch {}
    await symlink(target, path);
    added.push(name);
  }
  return added;
}

/** After extraction, inside the temp dir: the layout and the fix-ups uv applies. */
export async function finishInstallTree(dir: string, finalDir: string, build: Pick<PythonBuild, "version" | "platform" | "build">): Promise<void> {
  const stdlib = stdlibIn(dir, build.version, build.platform);
  if (!existsSync(stdlib)) {
    throw new DhtError(ExitCode.failed, `the archive of CPython ${build.version} does not have the expected layout (no ${stdlib.slice(dir.length + 1)})`, {
      hint: "the download is not a python-build-standalone install_only archive; check the mirror or DHT_PYTHON_DOWNLOADS",
    });
  }
  if (!isWindowsPlatform(build.platform) && !existsSync(join(dir, "bin"))) {
    throw new DhtError(ExitCode.failed, `the archive of CPython ${build.version} does not have the expected layout (no bin/)`, {
      hint: "the download is not a python-build-standalone install_only archive; check the mirror or DHT_PYTHON_DOWNLOADS",
    });
  }
  await addInterpreterLinks(dir, build.version, build.platform);
  await writeFile(join(stdlib, "EXTERNALLY-MANAGED"), EXTERNALLY_MANAGED);
  await writeFile(join(dir, "BUILD"), `${build.build}\n`);
  await patchSysconfig(dir, finalDir, build.version, build.platform);
}

export interface InstallOptions {
  home: string;
  env: Record<string, string | undefined>;
  offline: boolean;
  net?: NetSettings;
  progress?: "auto" | "plain" | "none";
  /** Use this local archive instead of downloading (an offline bundle's copy). */
  archive?: string;
  /** Its stdlib precompiled (an offline bundle's, already checksum-verified): laid in before the install is checked. */
  bytecode?: string;
  log?: (message: string) => void;
  /** Replace an existing install of the same key. */
  reinstall?: boolean;
}

export interface InstallResult {
  install: ManagedInstall;
  /** False when it was already there (a second install is a no-op). */
  installed: boolean;
  /** Where the archive came from (URL after mirror rewriting, or the bundle path). */
  from?: string;
}

/** The URL the build is fetched from, after DHT_PYTHON_MIRROR / UV_PYTHON_INSTALL_MIRROR. */
export async function downloadUrlOf(build: PythonBuild, env: Record<string, string | undefined>, net?: NetSettings): Promise<string> {
  const { pythonMirrorUrl } = await import("../net/mirror.ts");
  return pythonMirrorUrl(build.url, env, net?.pythonMirror);
}

export function findInstalled(home: string, version: string, platform: string): ManagedInstall | undefined {
  return listManagedInstalls(home, platform).find((i) => i.version === version);
}

/** Install one build (idempotent, atomic, concurrency-safe). */
export async function installBuild(build: PythonBuild, opts: InstallOptions): Promise<InstallResult> {
  const paths = homePaths(opts.home);
  const key = installKey(build.version, build.platform);
  const finalDir = join(paths.python, key);
  const existing = () => (opts.reinstall ? undefined : findInstalled(opts.home, build.version, build.platform));
  const before = existing();
  if (before) return { install: before, installed: false };

  return withFileLock(
    join(paths.locks, `python-${key}.lock`),
    async () => {
      const done = existing();
      if (done) return { install: done, installed: false };
      await removeAbandonedTemps(paths.python, key);
      const from = opts.archive ?? (await downloadUrlOf(build, opts.env, opts.net));
      let archive = opts.archive;
      if (!archive) {
        const { downloadVerified } = await import("../net/download.ts");
        archive = await downloadVerified(
          { url: from, sha256: build.sha256, label: `CPython ${build.version} (${build.platform})` },
          { env: opts.env, home: opts.home, offline: opts.offline, progress: opts.progress ?? "auto", net: opts.net, log: opts.log },
        );
      }
      await mkdir(paths.python, { recursive: true });
      const temp = ownedTempPath(paths.python, `.${key}`);
      try {
        const { extractArchive } = await import("../archive/extract.ts");
        // CPython has about 5 000 entries (a "full" build about 10 000): 50 000 refuses an
        // entry bomb in seconds instead of writing 200 000 files first.
        await extractArchive(archive, temp, { format: build.format === "zip" ? "zip" : build.format, stripTopDir: true, maxEntries: 50_000 });
        // `full` archives keep the installation under install/ next to build metadata.
        let tree = temp;
        if (existsSync(join(temp, "install")) && existsSync(join(temp, "PYTHON.json"))) {
          tree = join(temp, "install");
          // The links were checked against the whole archive; install/ alone becomes the tree.
          const { findEscapingLink } = await import("../archive/entry-path.ts");
          const escaping = findEscapingLink(tree);
          if (escaping) {
            throw new DhtError(ExitCode.failed, `Refused to install CPython ${build.version}: the link install/${escaping.link} -> ${escaping.target} points outside the installed tree`, {
              subject: archive,
              hint: "nothing was installed. The archive is damaged or unsafe; re-download it from a trusted source",
            });
          }
        }
        if (opts.bytecode) {
          const { applyOverlay } = await import("./bytecode-overlay.ts");
          await applyOverlay(tree, opts.bytecode);
        }
        await finishInstallTree(tree, finalDir, build);
        await verifyRuns(interpreterIn(tree, build.version, build.platform), build.version, opts.env);
        // The old tree (a --reinstall, or a leftover without a runnable interpreter) goes only
        // now that the new one is complete and verified.
        if (existsSync(finalDir)) await removeTree(finalDir);
        await rename(tree, finalDir);
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
      await updateMinorLink(opts.home, build.version, build.platform);
      const install = findInstalled(opts.home, build.version, build.platform);
      if (!install) throw new DhtError(ExitCode.failed, `CPython ${build.version} was installed but cannot be found at ${finalDir}`);
      return { install, installed: true, from };
    },
    { onWait: (owner) => opts.log?.(`another dhtl (pid ${owner?.pid ?? "?"}) is installing ${key}; waiting for it`) },
  );
}

/**
 * Temp and trash dirs left by a run that was killed mid-install, of any key: their names
 * carry the owner's pid (platform/owned-temp.ts), and only those of dead owners go. The
 * older naming (`.tmp-<key>-…`, `<key>.trash-…`) of this key is removed too: we hold the
 * key's lock, so no live process is extracting into them.
 */
async function removeAbandonedTemps(root: string, key: string): Promise<void> {
  sweepAbandonedTemps(root);
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(`.tmp-${key}-`) || name.startsWith(`${key}.trash-`)) await rm(join(root, name), { recursive: true, force: true });
  }
}

async function verifyRuns(executable: string, version: string, env: Record<string, string | undefined>): Promise<void> {
  try {
    const info = await queryInterpreter(executable, env);
    if (info.version !== version) {
      throw new Error(`it reports version ${info.version}, not ${version}`);
    }
  } catch (error) {
    throw new DhtError(ExitCode.failed, `the extracted CPython ${version} does not run: ${(error as Error).message}`, {
      subject: executable,
      hint: "nothing was installed. The build may not fit this machine (libc, CPU); run `dhtl info` and check the platform key",
    });
  }
}

/** Rename away first (so the install disappears at once), then delete. */
async function removeTree(dir: string): Promise<void> {
  const trash = ownedTempPath(dirname(dir), `${basename(dir)}.trash`);
  await rename(dir, trash);
  await rm(trash, { recursive: true, force: true });
}

/** Remove one managed install (under its lock) and fix the minor link. */
export async function uninstallManaged(home: string, install: ManagedInstall): Promise<void> {
  const paths = homePaths(home);
  await withFileLock(join(paths.locks, `python-${install.key}.lock`), async () => {
    if (existsSync(install.dir)) await removeTree(install.dir);
  });
  await updateMinorLink(home, install.version, install.platform);
}

