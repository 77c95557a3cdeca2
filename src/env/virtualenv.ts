/**
 * Venvs for the Pythons neither uv nor the standard library can serve well: 2.7 (no `venv`
 * module; uv 0.13.9 refuses it: "Python executable does not support `-I` flag. Please use
 * Python 3.6 or newer") and 3.6 (uv makes the venv, but the newest setuptools for 3.6,
 * 59.6.0, has no PEP 660 `build_editable`, so uv cannot install the project editable:
 * "'_BuildMetaLegacyBackend' object has no attribute 'build_editable'", measured with uv
 * 0.13.9). For those, dhtl makes the venv with virtualenv 20.21.1, the last release that can
 * create them, run by a Python >= 3.8 of this machine (virtualenv 20.21 itself needs 3.7+).
 * It seeds each venv from the wheels it embeds, without any index: pip 20.3.4 / setuptools
 * 44.1.1 / wheel 0.37.1 for 2.7, pip 21.3.1 / setuptools 59.6.0 / wheel 0.37.1 for 3.6, the
 * last of each that supports that Python. pip then installs everything (legacy
 * `setup.py develop` for editables, which both pips still do).
 *
 * virtualenv and its three dependencies are pure-Python wheels whose sha256 dhtl pins
 * here: they come from the configured find-links directories or package indexes (with the
 * indexes' credentials), are verified against these pins (not just the index's word), and
 * are unpacked once into DHT_HOME/tools/virtualenv/<version>; the host runs them from
 * there with PYTHONPATH, so nothing is installed into any interpreter.
 */
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import { homePaths } from "../paths.ts";
import type { NetSettings } from "../net/types.ts";

export const VIRTUALENV_VERSION = "20.21.1";

/** The tool's wheels (the full closure for a host Python >= 3.8), pinned by sha256. */
export const VIRTUALENV_WHEELS: ReadonlyArray<{ project: string; file: string; sha256: string }> = [
  { project: "virtualenv", file: "virtualenv-20.21.1-py3-none-any.whl", sha256: "09ddbe1af0c8ed2bb4d6ed226b9e6415718ad18aef9fa0ba023d96b7a8356049" },
  { project: "distlib", file: "distlib-0.3.9-py2.py3-none-any.whl", sha256: "47f8c22fd27c27e25a65601af709b38e4f0a45ea4fc2e710f65755fa8caaaf87" },
  { project: "filelock", file: "filelock-3.16.1-py3-none-any.whl", sha256: "2082e5703d51fbf98ea75855d9d5527e33d8ff23099bec374a134febee6946b0" },
  { project: "platformdirs", file: "platformdirs-3.11.0-py3-none-any.whl", sha256: "e9d171d00af68be50e9202731309c4e658fd8bc76f55c11c7dd760d023bda68e" },
];

/** The request a host interpreter for virtualenv must satisfy. */
export const VIRTUALENV_HOST_REQUEST = ">=3.8";

/** The pip that virtualenv seeds into a venv of this Python (what the plan tells the user). */
export function seededPip(pythonVersion: string): string {
  return pythonVersion.startsWith("2.") ? "pip 20.3.4, setuptools 44.1.1, wheel 0.37.1" : "pip 21.3.1, setuptools 59.6.0, wheel 0.37.1";
}

/**
 * Does a venv of this Python need virtualenv (and pip as its installer)? 2.x and 3.0–3.6.
 * Pure, on the version string ("2.7.18", "3.6.15").
 */
export function needsVirtualenv(pythonVersion: string | undefined): boolean {
  if (!pythonVersion) return false;
  const [major, minor] = pythonVersion.split(".").map((n) => Number.parseInt(n, 10));
  return major === 2 || (major === 3 && minor !== undefined && minor < 7);
}

export interface VirtualenvPaths {
  /** The unpacked wheels, one directory per project (together, the host's PYTHONPATH). */
  toolDir: string;
  /** virtualenv's app data (its unpacked seed wheels), kept inside DHT_HOME, not ~/.local/share. */
  appData: string;
}

export function virtualenvPaths(home: string): VirtualenvPaths {
  const p = homePaths(home);
  return { toolDir: join(p.tools, "virtualenv", VIRTUALENV_VERSION), appData: join(p.cache, "virtualenv-app-data") };
}

/** The command that makes the venv (pure): argv plus the environment it needs. */
export function virtualenvCommand(o: { host: string; paths: VirtualenvPaths; basepython: string; prompt: string; venvPath: string }): { argv: string[]; env: Record<string, string> } {
  return {
    // --no-download: seed from the embedded wheels (no index, works offline); no periodic update
    // either, which would start a background process fetching newer seed wheels.
    argv: [o.host, "-m", "virtualenv", "--no-download", "--no-periodic-update", "--python", o.basepython, "--prompt", o.prompt, o.venvPath],
    env: {
      PYTHONPATH: VIRTUALENV_WHEELS.map((w) => join(o.paths.toolDir, w.project)).join(delimiter),
      VIRTUALENV_OVERRIDE_APP_DATA: o.paths.appData,
      // The user's virtualenv.ini must not change what dhtl planned (system site packages, seeders).
      VIRTUALENV_CONFIG_FILE: join(o.paths.appData, "no-config.ini"),
    },
  };
}

/** Is the tool unpacked and complete? */
export function virtualenvReady(paths: VirtualenvPaths): boolean {
  if (!existsSync(join(paths.toolDir, "virtualenv", "virtualenv", "__main__.py"))) return false;
  return VIRTUALENV_WHEELS.every((w) => existsSync(join(paths.toolDir, w.project, `${w.file.split("-").slice(0, 2).join("-")}.dist-info`)));
}

export interface EnsureVirtualenvOptions {
  home: string;
  env: Record<string, string | undefined>;
  offline: boolean;
  net?: NetSettings;
  /** Local directories of wheels (find-links), tried first. */
  findLinks: string[];
  /** Indexes to ask, with their credentials (never printed). */
  indexes: Array<{ url: string; auth?: { username: string; password: string } }>;
  log?: (message: string) => void;
}

/**
 * Unpack the pinned virtualenv wheels into DHT_HOME/tools/virtualenv/<version> (once; under
 * a lock, staged and renamed). Each wheel comes from the first source that has the exact
 * file, verified against the pinned sha256.
 */
export async function ensureVirtualenv(opts: EnsureVirtualenvOptions): Promise<VirtualenvPaths> {
  const paths = virtualenvPaths(opts.home);
  if (virtualenvReady(paths)) return paths;
  const [{ withFileLock }, { downloadVerified }, { extractArchive }, { listFiles }, { redactUrl }] = await Promise.all([
    import("../python/lock.ts"),
    import("../net/download.ts"),
    import("../archive/extract.ts"),
    import("../net/pypi-index.ts"),
    import("../net/redact.ts"),
  ]);
  return withFileLock(join(homePaths(opts.home).locks, `virtualenv-${VIRTUALENV_VERSION}.lock`), async () => {
    if (virtualenvReady(paths)) return paths;
    const stage = `${paths.toolDir}.${process.pid}.tmp`;
    await rm(stage, { recursive: true, force: true });
    const downloadOpts = { env: opts.env, home: opts.home, offline: opts.offline, progress: "none" as const, net: opts.net };
    try {
      for (const wheel of VIRTUALENV_WHEELS) {
        const tried: string[] = [];
        let file: string | undefined;
        for (const dir of opts.findLinks) {
          const local = dir.replace(/^file:\/\//i, "");
          if (/^https?:/i.test(local) || !existsSync(join(local, wheel.file))) continue;
          try {
            file = await downloadVerified({ url: join(local, wheel.file), sha256: wheel.sha256, label: wheel.file }, downloadOpts);
            break;
          } catch (error) {
            tried.push(`${local}: ${(error as Error).message}`);
          }
        }
        for (const index of file || opts.offline ? [] : opts.indexes) {
          try {
            const listed = (await listFiles(index.url, wheel.project, { env: opts.env, net: opts.net, auth: index.auth })).find((f) => f.filename === wheel.file);
            if (!listed) {
              tried.push(`${redactUrl(index.url)} has no ${wheel.file}`);
              continue;
            }
            const url = index.auth && new URL(listed.url).origin === new URL(index.url).origin ? withAuth(listed.url, index.auth) : listed.url;
            file = await downloadVerified({ url, sha256: wheel.sha256, label: wheel.file }, downloadOpts);
            break;
          } catch (error) {
            tried.push(`${redactUrl(index.url)}: ${isDhtError(error) ? error.message : (error as Error).message}`);
          }
        }
        if (!file) {
          throw new DhtError(opts.offline ? ExitCode.unsatisfiable : ExitCode.failed, `${wheel.file} (needed to make venvs for Python 2.7 and 3.6) could not be had`, {
            subject: wheel.file,
            hint: `${tried.length ? `tried:\n${tried.map((t) => `  - ${t}`).join("\n")}\n` : opts.offline ? "offline, and it is not in the download cache\n" : "no find-links directory or index to ask\n"}put ${VIRTUALENV_WHEELS.map((w) => w.file).join(", ")} on the package index or in a find-links directory (PIP_FIND_LINKS), or run once with network access`,
          });
        }
        // One directory per wheel: extraction never merges into an existing directory.
        await extractArchive(file, join(stage, wheel.project), { format: "zip" });
      }
      await rm(paths.toolDir, { recursive: true, force: true });
      await rename(stage, paths.toolDir);
      opts.log?.(`virtualenv ${VIRTUALENV_VERSION} unpacked into ${paths.toolDir} (${VIRTUALENV_WHEELS.length} wheels, sha256 verified)`);
      return paths;
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  });
}

function withAuth(url: string, auth: { username: string; password: string }): string {
  const u = new URL(url);
  u.username = encodeURIComponent(auth.username);
  u.password = encodeURIComponent(auth.password);
  return u.toString();
}
