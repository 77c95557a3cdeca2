/**
 * Where things go inside a bundle (see the layout in types.ts). One place, so the writer,
 * the reader and the tests agree. Paths are relative and POSIX.
 */
import type { TargetPlatform } from "./targets.ts";
import { exeName } from "./targets.ts";

export const PROJECT_DIR = "project";

export const platformDir = (key: string) => `platforms/${key}`;

export const pythonArchivePath = (key: string, archiveName: string) => `${platformDir(key)}/python/${archiveName}`;

/** The stdlib bytecode of a CPython archive: its name with the archive extension replaced. */
export const pythonBytecodePath = (key: string, archiveName: string) => `${platformDir(key)}/python-bytecode/${archiveName.replace(/\.(tar\.gz|tar\.zst|tgz|zip)$/, "")}.tar.gz`;

export const uvBinaryPath = (target: TargetPlatform) => `${platformDir(target.key)}/uv/${exeName(target, "uv")}`;

export const dhtlBinaryPath = (target: TargetPlatform) => `${platformDir(target.key)}/dhtl/${exeName(target, "dhtl")}`;

/**
 * One wheel directory per environment, flat (uv's --find-links does not recurse): "root" for
 * the project itself, "env-<dir with / as %2F>" for a monorepo environment, so two
 * environments can never share or nest a directory.
 */
export function environmentId(envDir: string): string {
  const dir = normalizeEnvDir(envDir);
  return dir === "." ? "root" : `env-${encodeURIComponent(dir)}`;
}

export const wheelsDirPath = (key: string, envDir: string) => `${platformDir(key)}/wheels/${environmentId(envDir)}`;

/** The precompiled modules of one environment's wheels (src/bundle/precompile.ts). */
export const wheelsBytecodePath = (key: string, envDir: string) => `${platformDir(key)}/wheels-bytecode/${environmentId(envDir)}.tar.gz`;

/** "./services/api/" → "services/api"; "" and "./" → ".". */
export function normalizeEnvDir(envDir: string | undefined): string {
  if (envDir === undefined) return ".";
  const parts = envDir.replace(/\\/g, "/").split("/").filter((p) => p !== "" && p !== ".");
  return parts.length === 0 ? "." : parts.join("/");
}
