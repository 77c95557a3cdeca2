/**
 * Which C library (and version) the system's programs use — what decides whether a
 * "gnu" or a "musl" Python build will run here. Like uv, found without running Python:
 *
 *   1. DHT_LIBC overrides everything ("gnu", "gnu:2.36", "musl", "musl:1.2.4", "none").
 *   2. The ELF interpreter (PT_INTERP) of /bin/sh, /usr/bin/env, /bin/dash, /bin/ls names
 *      the loader: ld-musl-* is musl, ld-linux-* / ld64.so is glibc. Systems whose
 *      shell is static (busybox) fall back to well-known loader paths.
 *   3. glibc version: an old-style loader name (ld-2.31.so), else the "release version X.Y"
 *      string inside the loader or libc.so.6 (what `ld.so --version` prints, read from
 *      the file instead of spawning it), else `ld.so --version`, else `getconf GNU_LIBC_VERSION`.
 *      musl version: Alpine's package database, else running the loader (it prints "Version").
 */
import { lstatSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, posix } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { readElfInterpreter } from "./elf.ts";
import { existsPath, readTextIfPresent, underRoot, type ResolvedProbe } from "./probe.ts";
import type { LibcFacts, LibcFamily } from "./types.ts";

/** Programs every Linux system has, in the order uv tries them. */
export const LIBC_PROBE_PROGRAMS = ["/bin/sh", "/usr/bin/env", "/bin/dash", "/bin/ls"];

/** Loaders to look for when no probe program is dynamically linked. */
export const WELL_KNOWN_LOADERS = [
  // glibc first: Debian's "musl" package puts a musl loader on glibc systems, which is
  // far more common than a glibc loader on a musl system (Alpine's gcompat).
  "/lib64/ld-linux-x86-64.so.2",
  "/lib/ld-linux-aarch64.so.1",
  "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
  "/lib/ld-musl-x86_64.so.1",
  "/lib/ld-musl-aarch64.so.1",
];

export function parseLibcOverride(value: string): LibcFacts {
  const m = /^\s*(gnu|glibc|musl|none)(?:[\s:=@-]+(\d+(?:\.\d+)+))?\s*$/i.exec(value);
  if (!m) {
    throw new DhtError(ExitCode.usage, `DHT_LIBC="${value}" is not a C library dhtl knows`, {
      subject: "env DHT_LIBC",
      hint: 'Use "gnu", "musl" or "none", optionally with a version: DHT_LIBC=gnu:2.36, DHT_LIBC=musl:1.2.4 — or unset it to detect.',
    });
  }
  const word = m[1]!.toLowerCase();
  const family: LibcFamily = word === "glibc" ? "gnu" : (word as LibcFamily);
  return { family, ...(m[2] && family !== "none" ? { version: m[2] } : {}), source: "env DHT_LIBC" };
}

/** Family from the loader's file name. */
export function libcFamilyOfLoader(loaderPath: string): LibcFamily | undefined {
  const name = posix.basename(loaderPath);
  if (/^ld-musl-/.test(name)) return "musl";
  if (/^(ld-linux|ld64\.so|ld\.so|ld-\d)/.test(name)) return "gnu";
  return undefined;
}

/** glibc before 2.34 installed the loader as ld-2.31.so (the canonical name is a symlink to it). */
export function glibcVersionFromLoaderName(realLoaderPath: string): string | undefined {
  return /^ld-(\d+\.\d+)\.so$/.exec(posix.basename(realLoaderPath))?.[1];
}

/** "ld.so (Debian GLIBC 2.36-9) stable release version 2.36." / "GNU C Library ... release version 2.28." */
export function glibcVersionFromText(text: string): string | undefined {
  return /release version (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? /^(?:glibc|GNU libc)\s+(\d+\.\d+)/im.exec(text)?.[1];
}

/** The banner inside a glibc binary, found by byte search (no 200 KB string conversion). */
export function glibcVersionFromBinary(bytes: Buffer): string | undefined {
  const at = bytes.indexOf("release version ");
  return at < 0 ? undefined : glibcVersionFromText(bytes.toString("latin1", at, at + 40));
}

/** musl's loader, run with no arguments, prints "musl libc (x86_64)\nVersion 1.2.4\n..." on stderr. */
export function muslVersionFromLoaderOutput(text: string): string | undefined {
  return /^Version\s+(\d+\.\d+\.\d+)/m.exec(text)?.[1];
}

/** Alpine's /lib/apk/db/installed: blank-line-separated records, "P:musl" then "V:1.2.4-r2". */
export function muslVersionFromApkDb(text: string): string | undefined {
  for (const record of text.split(/\n\n+/)) {
    if (!/^P:musl$/m.test(record)) continue;
    return /^V:(\d+\.\d+\.\d+)/m.exec(record)?.[1];
  }
  return undefined;
}

/**
 * Resolve symlinks of an absolute path as if `root` were "/": absolute link targets
 * restart at root. (fs.realpath would escape a fixture root through absolute links.)
 */
export async function realpathUnderRoot(root: string, absolutePath: string): Promise<string> {
  const parts = absolutePath.split("/").filter(Boolean);
  let resolved: string[] = [];
  for (let hops = 0, i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === ".") continue;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    const onDisk = underRoot(root, `/${candidate.join("/")}`);
    let target: string | undefined;
    try {
      if (lstatSync(onDisk).isSymbolicLink()) target = readlinkSync(onDisk);
    } catch {
      // Missing: keep the rest literally, the caller's read will fail with a clear absence.
    }
    if (target === undefined) {
      resolved = candidate;
      continue;
    }
    if (++hops > 40) throw new Error(`too many symlinks resolving ${absolutePath}`);
    const rest = parts.slice(i + 1);
    const base = isAbsolute(target) ? [] : resolved;
    parts.splice(0, parts.length, ...base, ...target.split("/").filter(Boolean), ...rest);
    resolved = [];
    i = -1;
  }
  return `/${resolved.join("/")}`;
}

async function readBytesIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

async function findLoader(root: string): Promise<{ loader: string; via: string } | undefined> {
  for (const program of LIBC_PROBE_PROGRAMS) {
    // Busybox systems link /bin/sh -> /bin/busybox: resolve links inside the probed root.
    const real = root === "/" ? program : await realpathUnderRoot(root, program).catch(() => program);
    const result = await readElfInterpreter(underRoot(root, real));
    if (result.kind === "interpreter") return { loader: result.path, via: `elf-interpreter of ${program}` };
  }
  for (const loader of WELL_KNOWN_LOADERS) {
    if (await existsPath(underRoot(root, loader))) {
      return { loader, via: "well-known loader path" };
    }
  }
  return undefined;
}

/** The loader's real path (what /lib64/ld-linux-x86-64.so.2 links to), or the path itself. */
async function canonicalLoaderPath(root: string, loader: string): Promise<string> {
  try {
    return root === "/" ? realpathSync(loader) : await realpathUnderRoot(root, loader);
  } catch {
    return loader;
  }
}

async function glibcVersion(probe: ResolvedProbe, loader: string): Promise<{ version?: string; via: string }> {
  const real = await canonicalLoaderPath(probe.root, loader);
  const fromName = glibcVersionFromLoaderName(real);
  if (fromName) return { version: fromName, via: `loader name ${real}` };

  // The version banner is a plain string in the loader (and in libc.so.6 next to it).
  for (const file of [real, join(dirname(real), "libc.so.6")]) {
    const bytes = await readBytesIfPresent(underRoot(probe.root, file));
    const version = bytes ? glibcVersionFromBinary(bytes) : undefined;
    if (version) return { version, via: `version string in ${file}` };
  }

  // Last resorts spawn: the loader itself (under the probed root), then getconf, which
  // only speaks for the real system.
  const ran = await probe.run([underRoot(probe.root, loader), "--version"], probe.env);
  const fromRun = glibcVersionFromText(ran.stdout);
  if (ran.code === 0 && fromRun) return { version: fromRun, via: `${loader} --version` };
  if (probe.root === "/") {
    const conf = await probe.run(["getconf", "GNU_LIBC_VERSION"], probe.env);
    const fromConf = glibcVersionFromText(conf.stdout);
    if (conf.code === 0 && fromConf) return { version: fromConf, via: "getconf GNU_LIBC_VERSION" };
  }
  return { via: "version not found" };
}

async function muslVersion(probe: ResolvedProbe, loader: string): Promise<{ version?: string; via: string }> {
  const db = await readTextIfPresent(underRoot(probe.root, "/lib/apk/db/installed"));
  const fromDb = db ? muslVersionFromApkDb(db) : undefined;
  if (fromDb) return { version: fromDb, via: "/lib/apk/db/installed" };
  // Run with no arguments, musl's loader prints its banner (and exits 1).
  const ran = await probe.run([underRoot(probe.root, loader)], probe.env);
  const fromRun = muslVersionFromLoaderOutput(ran.stderr + ran.stdout);
  if (fromRun) return { version: fromRun, via: `running ${loader}` };
  return { via: "version not found" };
}

export async function detectLibc(probe: ResolvedProbe): Promise<LibcFacts> {
  const override = probe.env.DHT_LIBC?.trim();
  if (override) return parseLibcOverride(override);
  if (probe.os !== "linux") return { family: "none", source: `${probe.os} has no separate libc choice` };

  const found = await findLoader(probe.root);
  if (!found) {
    // No dynamic loader anywhere: a static-only system. getconf is the last word (confstr).
    if (probe.root === "/") {
      const conf = await probe.run(["getconf", "GNU_LIBC_VERSION"], probe.env);
      const version = conf.code === 0 ? glibcVersionFromText(conf.stdout) : undefined;
      if (version) return { family: "gnu", version, source: "getconf GNU_LIBC_VERSION" };
    }
    return { family: "none", source: "no dynamic loader found (static system?)" };
  }
  const family = libcFamilyOfLoader(found.loader);
  if (!family) return { family: "none", source: `${found.via} is ${found.loader}, not a glibc or musl loader` };
  const { version, via } = family === "musl" ? await muslVersion(probe, found.loader) : await glibcVersion(probe, found.loader);
  return { family, ...(version ? { version } : {}), source: `${found.via} -> ${found.loader}; ${via}` };
}
