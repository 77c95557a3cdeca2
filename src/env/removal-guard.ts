/**
 * What dhtl may delete. A recursive removal is the one operation that can destroy a user's
 * work, so every directory dhtl replaces passes through here first:
 *
 *  - never a protected place: the file system root, the project root, the environment
 *    root, DHT_HOME, the user's home directory, or any directory that contains one of them
 *    (`python.venv: ..` named the project's parent once, and it was deleted);
 *  - and only something dhtl can prove is a virtual environment it may replace: an empty
 *    directory, one with a venv layout (`pyvenv.cfg` beside `bin/` or `Scripts/`), one
 *    carrying dhtl's completion marker, or the path dhtl recorded in `.dht/venv-owner.json`
 *    just before it ran the venv creator (a creator killed halfway leaves a tree with no
 *    pyvenv.cfg yet; the record proves it is ours).
 *
 * The pure part (`protectedBy`, `venvContentsVerdict`) is unit-tested with plain data; the
 * checks at the edges read the disk.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, parse as parsePath, relative, resolve, sep } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { writeFileAtomic } from "./checkpoints.ts";
import { COMPLETE_MARKER } from "./venv.ts";
import { dhtHome, projectStateDir } from "../paths.ts";
import { homedir } from "node:os";

export interface RemovalAnchors {
  /** The project root (where .dhtconfig / pyproject.toml is). */
  projectRoot: string;
  /** The environment root (the project root, or a monorepo environment's directory). */
  envRoot: string;
  dhtHome: string;
  userHome: string;
}

/** True when `inner` is `outer` or lies inside it (both absolute, already resolved). */
export function isSameOrInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/** Resolve through links where the path exists, so `a/../b` and links compare by what they are. */
function real(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    // Absent: resolve the nearest existing ancestor and keep the rest as written.
    const parent = dirname(abs);
    return parent === abs ? abs : join(real(parent), abs.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
  }
}

/**
 * Pure: the protected place that `target` is, or contains; undefined when it is neither.
 * All paths absolute and resolved.
 */
export function protectedBy(target: string, anchors: RemovalAnchors): string | undefined {
  if (target === parsePath(target).root) return "the root of the file system";
  const named: [string, string][] = [
    [anchors.projectRoot, "the project"],
    [anchors.envRoot, "the environment's own directory"],
    [anchors.dhtHome, "DHT_HOME"],
    [anchors.userHome, "your home directory"],
  ];
  for (const [place, what] of named) if (place && target === place) return `${what} (${place})`;
  for (const [place, what] of named) if (place && isSameOrInside(place, target)) return `a directory that contains ${what} (${place})`;
  return undefined;
}

/** What was found at a path, as plain data (from `inspectVenvContents`). */
export interface VenvContents {
  kind: "absent" | "file" | "link" | "directory";
  entries: string[];
  /** `.dht/venv-owner.json` names this very path. */
  recordedByDhtl: boolean;
}

/**
 * Pure: may a directory with these contents be replaced by a new venv? Undefined when yes;
 * else the reason in words.
 */
export function venvContentsVerdict(contents: VenvContents): string | undefined {
  if (contents.kind === "absent" || contents.kind === "link") return undefined;
  if (contents.kind === "file") return "it is a file, not a directory";
  const names = new Set(contents.entries);
  if (names.size === 0) return undefined;
  if (names.has("pyvenv.cfg") && (names.has("bin") || names.has("Scripts"))) return undefined;
  if (names.has(COMPLETE_MARKER)) return undefined;
  if (contents.recordedByDhtl) return undefined;
  const shown = [...names].slice(0, 4).join(", ");
  return `it exists and is not a virtual environment (it holds ${shown}${names.size > 4 ? ", …" : ""})`;
}

const OWNER_RECORD = "venv-owner.json";

/** Record, before the venv creator runs, that dhtl is about to make `venvPath`. */
export function recordVenvOwnership(stateDir: string, venvPath: string): void {
  writeFileAtomic(join(stateDir, OWNER_RECORD), `${JSON.stringify({ path: real(venvPath), pid: process.pid, at: new Date().toISOString() })}\n`);
}

function recordedPath(stateDir: string): string | undefined {
  try {
    const value = JSON.parse(readFileSync(join(stateDir, OWNER_RECORD), "utf8")) as { path?: unknown };
    return typeof value.path === "string" ? value.path : undefined;
  } catch {
    return undefined;
  }
}

export function inspectVenvContents(path: string, stateDir: string): VenvContents {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { kind: "absent", entries: [], recordedByDhtl: false };
  }
  if (st.isSymbolicLink()) return { kind: "link", entries: [], recordedByDhtl: false };
  if (!st.isDirectory()) return { kind: "file", entries: [], recordedByDhtl: false };
  let entries: string[] = [];
  try {
    entries = readdirSync(path);
  } catch {
    entries = ["(unreadable)"];
  }
  return { kind: "directory", entries, recordedByDhtl: recordedPath(stateDir) === real(path) };
}

/**
 * Why `path` may not become (or be replaced by) a venv; undefined when it may. Reads the
 * disk. `stateDir` is the environment's `.dht/`.
 */
export function venvPathRefusal(path: string, anchors: RemovalAnchors, stateDir: string): string | undefined {
  const resolvedAnchors: RemovalAnchors = {
    projectRoot: real(anchors.projectRoot),
    envRoot: real(anchors.envRoot),
    dhtHome: real(anchors.dhtHome),
    userHome: real(anchors.userHome),
  };
  const target = real(path);
  const guarded = protectedBy(target, resolvedAnchors);
  if (guarded) return `it is ${guarded}`;
  return venvContentsVerdict(inspectVenvContents(path, stateDir));
}

/** `flag --venv` → `--venv`, `env DHT_VENV` → `DHT_VENV`, `.dhtconfig:3` → `.dhtconfig:3 python.venv`. */
export function settingSubject(origin: string | undefined): string {
  if (!origin || origin === "default") return "python.venv";
  if (origin.startsWith("flag ")) return origin.slice(5);
  if (origin.startsWith("env ")) return origin.slice(4);
  return `${origin} python.venv`;
}

/**
 * Throw exit 2 naming the setting and the path when `path` may not be used as the venv.
 * `origin` says where the setting came from (`.dhtconfig:3`, `--venv`, `DHT_VENV`).
 */
export function assertVenvPathUsable(path: string, anchors: RemovalAnchors, stateDir: string, origin: string | undefined): void {
  const why = venvPathRefusal(path, anchors, stateDir);
  if (!why) return;
  throw new DhtError(ExitCode.usage, `the virtual environment setting names ${path}, and ${why}: dhtl would have to delete it to make the venv there`, {
    subject: settingSubject(origin),
    hint: "point python.venv (or --venv / DHT_VENV) at a new directory of its own, such as .venv; dhtl never deletes a directory it cannot prove is a virtual environment",
  });
}

export interface VenvGuard {
  anchors: RemovalAnchors;
  /** The environment's `.dht/`, where the ownership record lives. */
  stateDir: string;
  /** Where python.venv came from (`.dhtconfig:3`, `flag --venv`, `env DHT_VENV`). */
  origin?: string;
}

type ResolvedForGuard = { projectRoot: string; environment?: { root: string }; config: { python?: { venv?: string } }; origins: Record<string, string> };

/** The guard for a resolved configuration: what may never be deleted, and where the setting came from. */
export function venvGuardOf(resolved: ResolvedForGuard, env: Record<string, string | undefined>): VenvGuard {
  const envRoot = resolved.environment?.root ?? resolved.projectRoot;
  return {
    anchors: { projectRoot: resolved.projectRoot, envRoot, dhtHome: dhtHome(env), userHome: env.HOME || homedir() },
    stateDir: projectStateDir(envRoot),
    origin: resolved.origins["python.venv"],
  };
}

/**
 * The check `dhtl setup` makes first (and `dhtl config validate`): the configured venv
 * path may be made or replaced. Returns the guard for the steps that delete later.
 */
export function checkVenvSetting(resolved: ResolvedForGuard, env: Record<string, string | undefined>): VenvGuard {
  const guard = venvGuardOf(resolved, env);
  const envRoot = resolved.environment?.root ?? resolved.projectRoot;
  assertVenvPathUsable(resolve(envRoot, resolved.config.python?.venv ?? ".venv"), guard.anchors, guard.stateDir, guard.origin);
  return guard;
}
