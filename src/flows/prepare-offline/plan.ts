/**
 * The decisions of `dhtl prepare-offline`, as pure functions over plain data: which
 * environments go in, which CPython build each one gets on each platform, what uv resolves
 * for them, which dhtl release target matches a platform, and the bundle's timestamp.
 * run.ts does the effects.
 */
import { DhtError, ExitCode, usageError } from "../../errors.ts";
import type { PythonBuild } from "../../python/manifest.ts";
import { describeRequest, exactVersion, nearestPatch, newestMatch, parsePythonRequest } from "../../python/request.ts";
import type { PythonPreference } from "../../python/preferences.ts";
import { normalizeEnvDir } from "../../bundle/layout.ts";

/** Which environment dirs ("." = the project root) the bundle covers. */
export function environmentsToBundle(input: {
  envFlag?: string;
  allEnvironments: boolean;
  /** Keys of `environments:` in .dhtconfig. */
  configured: string[];
  /** The environment the working directory belongs to (resolveConfig), if any. */
  current?: string;
  /** The project root declares dependencies of its own (so "." is an environment too). */
  rootHasSources: boolean;
}): string[] {
  if (input.envFlag !== undefined && input.allEnvironments) {
    throw usageError("--env and --all-environments cannot be combined", { subject: "--env", hint: "use --env DIR for one environment, or --all-environments for all of them" });
  }
  if (input.allEnvironments) {
    if (input.configured.length === 0) {
      throw usageError("--all-environments needs environments in .dhtconfig", {
        subject: "--all-environments",
        hint: "list the monorepo's directories under `environments:` in .dhtconfig, or leave the flag out to bundle the project root",
      });
    }
    const dirs = input.configured.map(normalizeEnvDir);
    const all = input.rootHasSources ? [".", ...dirs] : dirs;
    return [...new Set(all)].sort();
  }
  if (input.envFlag !== undefined) return [normalizeEnvDir(input.envFlag)];
  return [normalizeEnvDir(input.current)];
}

/**
 * The CPython build an environment resolves to on a platform: the newest stable build the
 * request matches (as setup's resolution picks it), or the nearest patch when the exact one
 * is absent and patch fallback is allowed. No request: the newest stable build. A range
 * first takes the newest build of the newest minor the project's files name (classifiers,
 * tox, CI: the preference setup uses too, src/python/preferences.ts).
 */
export function choosePythonBuild(
  request: string | undefined,
  builds: PythonBuild[],
  platformKey: string,
  opts: { allowPatchFallback: boolean; origin?: string; preference?: PythonPreference },
): PythonBuild {
  const onPlatform = builds.filter((b) => b.platform === platformKey);
  if (!onPlatform.length) {
    throw new DhtError(ExitCode.unsatisfiable, `the Python build list has no CPython for ${platformKey}`, {
      subject: "--platform",
      hint: "choose another platform, or point DHT_PYTHON_DOWNLOADS at a list that has builds for it",
    });
  }
  for (const minor of opts.preference?.minors ?? []) {
    const preferred = newestMatch(parsePythonRequest(minor), onPlatform, (b) => b.version);
    if (preferred) return preferred;
  }
  const parsed = parsePythonRequest(request ?? "", opts.origin);
  let build = newestMatch(parsed, onPlatform, (b) => b.version);
  if (!build && opts.allowPatchFallback && exactVersion(parsed)) build = nearestPatch(parsed, onPlatform, (b) => b.version);
  if (build) return build;
  const near = onPlatform.slice(0, 200).map((b) => b.version).filter((v, i, all) => all.indexOf(v) === i).slice(0, 6);
  throw new DhtError(ExitCode.unsatisfiable, `no CPython build for ${platformKey} matches ${describeRequest(parsed)}`, {
    subject: opts.origin ?? "python.version",
    hint: `available for ${platformKey}: ${near.join(", ")}…; change the request${exactVersion(parsed) ? " or set python.allow_patch_fallback: true" : ""}`,
  });
}

/** What `uv pip compile` resolves for one environment: requirement lines (-r/-e allowed). */
export interface CompileProject {
  root: string;
  isPackage: boolean;
  requirements: Array<{ raw: string }>;
  optional: Record<string, Array<{ raw: string }>>;
  groups: Record<string, Array<{ raw: string }>>;
  requirementFiles: string[];
}

/**
 * Mirrors what setup installs in "uv pip" mode (src/flows/setup/plan.ts collectRequirements):
 * requirement files, the declared requirements (or the project itself, editable, with its
 * extras), the selected groups, and what building the project needs.
 */
export function compileInputLines(
  project: CompileProject,
  sel: { extras: string[]; groups: string[] },
  buildRequires: string[],
  /** prefer_binary swaps (raw → raw), as setup applies them. */
  swapped: Record<string, string> = {},
): string[] {
  const lines: string[] = [];
  const add = (line: string) => {
    if (!lines.includes(line)) lines.push(line);
  };
  const text = (r: { raw: string }) => swapped[r.raw] ?? r.raw;
  for (const file of project.requirementFiles) add(`-r ${file.startsWith("/") ? file : `${project.root}/${file}`}`);
  if (project.isPackage) {
    add(sel.extras.length ? `-e ${project.root}[${sel.extras.join(",")}]` : `-e ${project.root}`);
    for (const r of project.requirements) if (swapped[r.raw]) add(text(r));
  } else {
    for (const r of project.requirements) add(text(r));
    for (const e of sel.extras) for (const r of project.optional[e] ?? []) add(text(r));
  }
  for (const g of sel.groups) for (const r of project.groups[g] ?? []) add(text(r));
  for (const r of buildRequires) add(r);
  return lines;
}

/** dhtl's release target (scripts/build.ts) for a platform key. */
export function releaseTargetOf(platformKey: string): string {
  const [os, arch, libc] = platformKey.split("-");
  const a = arch === "aarch64" ? "arm64" : "x64";
  return `${os}-${a}${libc === "musl" ? "-musl" : ""}`;
}

/**
 * The bundle's creation time, in whole seconds: SOURCE_DATE_EPOCH when set (reproducible
 * builds), else `fallback` — the project's git commit time, or the newest modification time
 * of the project files that go in — so preparing the same project twice gives the same bytes.
 */
export function bundleEpoch(env: Record<string, string | undefined>, fallback: number): number {
  const raw = env.SOURCE_DATE_EPOCH?.trim();
  if (raw) {
    if (!/^\d+$/.test(raw)) {
      throw usageError(`SOURCE_DATE_EPOCH must be whole seconds since 1970, not "${raw}"`, { subject: "env SOURCE_DATE_EPOCH", hint: "e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)" });
    }
    return Number(raw);
  }
  return Math.floor(fallback);
}
