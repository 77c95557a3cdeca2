/**
 * pip's configuration files (pip.conf / pip.ini), read the way pip reads them so that a
 * machine configured for pip (a corporate mirror in /etc/pip.conf) works the same for uv,
 * which does not read pip's files itself.
 *
 * pip loads, lowest priority first: site-wide files, user files, the virtualenv's file,
 * then the file named by PIP_CONFIG_FILE; a later file's key replaces an earlier one. In
 * each file the command section ([install]) wins over [global]. PIP_CONFIG_FILE=/dev/null
 * (os.devnull) turns every file off.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { readProjectText } from "../project/read-project-file.ts";
import { readIni, type IniSections } from "../project/ini.ts";

export interface PipConfigRoots {
  env: Record<string, string | undefined>;
  /** The user's home directory. */
  home?: string;
  os?: "linux" | "darwin" | "windows";
  /** Prefix for absolute system paths (/etc/...), so tests can point at a fixture tree. */
  systemRoot?: string;
}

export interface PipConfigFile {
  path: string;
  kind: "global" | "user" | "site" | "env";
}

/** Every location pip looks at, lowest priority first (existing or not). */
export function pipConfigLocations(roots: PipConfigRoots): PipConfigFile[] {
  const { env } = roots;
  const os = roots.os ?? (process.platform === "win32" ? "windows" : process.platform === "darwin" ? "darwin" : "linux");
  const home = roots.home ?? env.HOME ?? homedir();
  const sys = (p: string) => (roots.systemRoot ? join(roots.systemRoot, p) : p);
  const files: PipConfigFile[] = [];
  if (os === "windows") {
    const programData = env.ProgramData ?? env.PROGRAMDATA ?? "C:\\ProgramData";
    files.push({ path: join(roots.systemRoot ?? "", programData, "pip", "pip.ini"), kind: "global" });
    const appData = env.APPDATA ?? join(home, "AppData", "Roaming");
    // pip's legacy and current user locations coincide on Windows.
    files.push({ path: join(appData, "pip", "pip.ini"), kind: "user" });
  } else {
    if (os === "darwin") files.push({ path: sys("/Library/Application Support/pip/pip.conf"), kind: "global" });
    // XDG_CONFIG_DIRS is searched, then /etc/pip.conf; pip gives /etc/pip.conf the last word.
    const xdgDirs = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(":").filter(Boolean);
    for (const dir of xdgDirs.reverse()) files.push({ path: sys(join(dir, "pip", "pip.conf")), kind: "global" });
    files.push({ path: sys("/etc/pip.conf"), kind: "global" });
    files.push({ path: join(home, ".pip", "pip.conf"), kind: "user" });
    if (os === "darwin") files.push({ path: join(home, "Library", "Application Support", "pip", "pip.conf"), kind: "user" });
    const xdgHome = env.XDG_CONFIG_HOME || join(home, ".config");
    files.push({ path: join(xdgHome, "pip", "pip.conf"), kind: "user" });
  }
  if (env.VIRTUAL_ENV) files.push({ path: join(env.VIRTUAL_ENV, os === "windows" ? "pip.ini" : "pip.conf"), kind: "site" });
  if (env.PIP_CONFIG_FILE) files.push({ path: env.PIP_CONFIG_FILE, kind: "env" });
  return files;
}

/** Parsed INI: section → key → { value, line }. Keys normalised the way pip does (lowercase, "_" → "-"). */
export type IniData = IniSections;

/**
 * configparser-compatible INI reading (src/project/ini.ts) with pip's key normalisation; a
 * line that is neither a section, a key nor a continuation is an error naming the line.
 */
export function parseIni(text: string, file: string): IniData {
  return readIni(text, {
    normalizeKey: normalizePipKey,
    onProblem: ({ line, inSection }) => {
      throw new DhtError(ExitCode.usage, `cannot read ${file} line ${line}`, {
        subject: `${file}:${line}`,
        hint: inSection ? 'expected "key = value", a [section] header or an indented continuation line' : "the file must start with a [section] header",
      });
    },
  });
}

function normalizePipKey(key: string): string {
  return key.trim().toLowerCase().replace(/_/g, "-").replace(/^--/, "");
}

/** Index-related pip options with the file:line each came from. */
export interface PipIndexOptions {
  indexUrl?: { value: string; origin: string };
  extraIndexUrls?: { value: string[]; origin: string };
  trustedHosts?: { value: string[]; origin: string };
  findLinks?: { value: string[]; origin: string };
  noIndex?: { value: boolean; origin: string };
}

const splitList = (v: string) => v.split(/\s+/).filter(Boolean);

function truthy(v: string): boolean {
  return ["1", "true", "yes", "on"].includes(v.trim().toLowerCase());
}

/**
 * The effective index options from pip's configuration files (pip semantics: the
 * highest-priority definition of each key wins, nothing is merged). PIP_* variables are
 * read separately (readPipEnvOptions) because they rank higher than project files.
 */
export function readPipFileOptions(roots: PipConfigRoots): { options: PipIndexOptions; filesRead: string[] } {
  const { env } = roots;
  const options: PipIndexOptions = {};
  const filesRead: string[] = [];
  const devnull = env.PIP_CONFIG_FILE === "/dev/null" || env.PIP_CONFIG_FILE?.toLowerCase() === "nul";
  if (!devnull) {
    for (const loc of pipConfigLocations(roots)) {
      if (!existsSync(loc.path)) continue;
      let text: string;
      try {
        const read = readProjectText(loc.path, { display: loc.path, what: "pip configuration files" });
        if (!read) continue;
        text = read.text;
      } catch (error) {
        // unreadable (permissions): pip ignores it as well; a fifo or a huge file is named
        if ((error as { code?: unknown }).code === ExitCode.usage && !/permission denied/.test((error as Error).message)) throw error;
        continue;
      }
      filesRead.push(loc.path);
      const ini = parseIni(text, loc.path);
      for (const section of ["global", "install"]) {
        const s = ini[section];
        if (!s) continue;
        const at = (k: string) => `${loc.path}:${s[k]!.line}`;
        if (s["index-url"]) options.indexUrl = { value: s["index-url"].value.trim(), origin: at("index-url") };
        if (s["extra-index-url"]) options.extraIndexUrls = { value: splitList(s["extra-index-url"].value), origin: at("extra-index-url") };
        if (s["trusted-host"]) options.trustedHosts = { value: splitList(s["trusted-host"].value), origin: at("trusted-host") };
        if (s["find-links"]) options.findLinks = { value: splitList(s["find-links"].value), origin: at("find-links") };
        if (s["no-index"]) options.noIndex = { value: truthy(s["no-index"].value), origin: at("no-index") };
      }
    }
  }
  return { options, filesRead };
}

/** PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST, PIP_FIND_LINKS, PIP_NO_INDEX. */
export function readPipEnvOptions(env: Record<string, string | undefined>): PipIndexOptions {
  const options: PipIndexOptions = {};
  if (env.PIP_INDEX_URL) options.indexUrl = { value: env.PIP_INDEX_URL.trim(), origin: "env PIP_INDEX_URL" };
  if (env.PIP_EXTRA_INDEX_URL) options.extraIndexUrls = { value: splitList(env.PIP_EXTRA_INDEX_URL), origin: "env PIP_EXTRA_INDEX_URL" };
  if (env.PIP_TRUSTED_HOST) options.trustedHosts = { value: splitList(env.PIP_TRUSTED_HOST), origin: "env PIP_TRUSTED_HOST" };
  if (env.PIP_FIND_LINKS) options.findLinks = { value: splitList(env.PIP_FIND_LINKS), origin: "env PIP_FIND_LINKS" };
  if (env.PIP_NO_INDEX) options.noIndex = { value: truthy(env.PIP_NO_INDEX), origin: "env PIP_NO_INDEX" };
  return options;
}
