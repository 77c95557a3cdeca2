/**
 * The resolution chain (resolve.ts) preceded by the project's own preferences inside its
 * range (preferences.ts). Used by `dhtl setup` and by `dhtl python find` in a project, so
 * both explain the same choice.
 */
import { resolvePython } from "./resolve.ts";
import { pythonPreference, type VersionHint } from "./preferences.ts";

/**
 * The resolution chain, preceded by the versions the project's own files name when its
 * request is a range (src/python/preferences.ts: classifiers, tox env list, CI matrix, nox,
 * Dockerfile, runtime.txt, .tool-versions): first one of those already here (or in the
 * bundle), then the newest of them downloaded, and only then the plain request — a Python
 * the project never names is the last resort, not the first.
 */
export async function resolvePreferred(hints: VersionHint[], request: string | undefined, opts: Parameters<typeof resolvePython>[1]) {
  const pref = pythonPreference(request, hints);
  if (!pref) return resolvePython(request, opts);
  const named = `${pref.minors.join(", ")} ${pref.minors.length > 1 ? "are" : "is"} named by ${pref.origin}`;
  for (const minor of pref.minors) {
    try {
      const r = await resolvePython(minor, { ...opts, offline: true, allowDownload: Boolean(opts.bundle), allowPatchFallback: true, containerFallback: false, suggestContainer: false, log: undefined, note: undefined });
      const why = `${request ?? "any Python"} allows others, but ${named}: ${minor} is the newest of those available here`;
      opts.note?.(`Python ${minor}: ${why}`);
      opts.log?.({ step: pref.kind, outcome: "taken", why });
      return { ...r, chain: [{ step: pref.kind, outcome: "taken" as const, why }, ...r.chain] };
    } catch {
      // not here without a download: try the next one named
    }
  }
  if (opts.allowDownload !== false && !opts.offline) {
    const minor = pref.minors[0]!;
    try {
      const r = await resolvePython(minor, { ...opts, allowPatchFallback: true, containerFallback: false, suggestContainer: false });
      const why = `${named}; none is on this machine, so ${minor} was installed`;
      opts.note?.(`Python ${minor}: ${why}`);
      opts.log?.({ step: pref.kind, outcome: "taken", why });
      return { ...r, chain: [{ step: pref.kind, outcome: "taken" as const, why }, ...r.chain] };
    } catch {
      // no download either: the plain request decides
    }
  }
  const why = `${named}, but none of them could be had here (not on the machine, no download): the request decides`;
  opts.log?.({ step: pref.kind, outcome: "skipped", why });
  const r = await resolvePython(request, opts);
  return { ...r, chain: [{ step: pref.kind, outcome: "skipped" as const, why }, ...r.chain] };
}

