/**
 * The exact pins a setup installs on each candidate Python, for the install-fit check
 * (src/python/install-fit.ts): only what this setup installs and must work, decided the way
 * the plan decides it (plan.ts installDecision, splitSelection), with environment markers
 * evaluated for each candidate on this machine.
 *
 *  - the selection's required part: the main dependencies, the dev/test and configured
 *    groups and extras, the test route's; not the groups and extras setup leaves out (docs,
 *    release tooling), nor the optional docs/lint/typing parts, whose failure setup tolerates;
 *  - a lock setup installs from: uv.lock walked from the project's own package for those
 *    extras and groups, poetry/pdm/Pipfile locks through the same pins the plan writes
 *    (lockPins), so a package reached only through a false marker or a fork for other
 *    Pythons does not count; otherwise the `==` requirements whose markers hold;
 *  - each pin names where it comes from ("group dev", "extra docs, pyproject.toml:36").
 *
 * Pure: the plan input for a Python version in, pins out.
 */
import { exportLock, markerEnvironment, uvLockGraph, uvLockRoots, type LockExport } from "../../project/lock-pins.ts";
import { evaluateMarker, parseRequirement } from "../../project/pep508.ts";
import type { PinnedPackage } from "../../python/install-fit.ts";
import { installDecision, isUvSyncGroup, lockPins, splitSelection, type PlanInput, type PlanRequirement } from "./plan.ts";

/** python_full_version differs inside a minor: a pin counts on a minor when it is installed on its first or a late patch. */
const PATCHES = ["0", "99"];

const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");
const exactVersion = (specifier: string | undefined) => /^===?([^,*;]+)$/.exec(specifier?.trim() ?? "")?.[1]?.trim();

interface Pin {
  name: string;
  version: string;
  origin: string;
}

/** What this setup installs on the input's Python (input.python.version set), as exact pins (pure). */
export function pinsOfSetup(input: PlanInput): Pin[] {
  const { project } = input;
  const version = input.python.version ?? "3.12.0";
  const env = markerEnvironment(version, input.os, input.arch ?? "x86_64");
  const holds = (marker: string | undefined) => {
    if (!marker) return true;
    try {
      return evaluateMarker(marker, env);
    } catch {
      return true; // a marker dhtl cannot read: it counts, as the installer may install it
    }
  };
  const decision = installDecision(input);
  const split = splitSelection(input);
  // uv sync / uv export install whole groups: a docs tool inside a required group is installed with it.
  const fromUvLock = decision.lock?.kind === "uv.lock" && decision.lock.honoured;
  const sel = { extras: split.required.extras, groups: split.required.groups, omit: fromUvLock ? [] : split.required.omit };
  const omitted = new Set(sel.omit);
  // Every selected requirement with the selection item it belongs to.
  const at = (where: string, r: PlanRequirement) => (r.origin && r.origin !== where ? `${where}, ${r.origin}` : where);
  const selected: Array<{ r: PlanRequirement; where: string; group?: string }> = [
    ...project.requirements.map((r) => ({ r, where: r.origin ?? "dependencies" })),
    ...sel.extras.flatMap((e) => (project.optional[e] ?? []).map((r) => ({ r, where: at(`extra ${e}`, r) }))),
    ...sel.groups.flatMap((g) => (project.groups[g] ?? []).map((r) => ({ r, where: at(`group ${g}`, r), group: g }))),
  ].filter(({ r }) => !omitted.has(r.raw));
  const route = input.testRoute;
  const routeReqs = (route?.install.requirements ?? []).flatMap((req) => {
    try {
      const r = parseRequirement(req.text);
      return [{ r: { name: r.name, raw: req.text, specifier: r.specifier, ...(r.marker ? { marker: r.marker } : {}), ...(r.url ? { url: r.url } : {}) } as PlanRequirement, where: `the test route ${route!.name} (${req.origin})` }];
    } catch {
      return []; // a local path or a line pip reads its own way
    }
  });
  const declared = (list: Array<{ r: PlanRequirement; where: string }>): Pin[] =>
    list.flatMap(({ r, where }) => {
      const v = exactVersion(r.specifier);
      return v && !r.url && !r.path && holds(r.marker) ? [{ name: r.name, version: v, origin: where }] : [];
    });
  const fromExport = (exp: LockExport, kind: string, label: (root: string | undefined) => string): Pin[] =>
    exp.pins.map((p) => ({ name: p.name, version: p.version, origin: `${kind}, ${label(p.root)}${p.via.startsWith("needed by") ? ` (${p.via})` : ""}` }));

  if (fromUvLock && project.locked?.data) {
    const data = project.locked.data;
    const syncGroups = sel.groups.filter((g) => isUvSyncGroup(project, g));
    const roots = uvLockRoots(data, project.workspace?.package ?? project.name, { extras: sel.extras, groups: syncGroups });
    if (roots) {
      const exp = exportLock(uvLockGraph(data), roots, env, input.envRoot);
      // Groups of other tools and the test route's additions are installed beside uv.lock's pins.
      const others = selected.filter(({ group }) => group !== undefined && !syncGroups.includes(group));
      return [...fromExport(exp, "uv.lock", (root) => root ?? "dependencies"), ...declared([...others, ...routeReqs])];
    }
  }
  if (decision.lock?.how === "pins") {
    const pins = lockPins(input, sel);
    if (pins && !pins.export.missing.length) {
      // The lock walk names the requirement a pin was reached from by its origin: say which group it is in.
      const labels = new Map(selected.map(({ r, where }) => [r.origin ?? r.raw, where]));
      const viaFiles = new Set((project.requirementSets ?? []).flatMap((s) => s.requirements));
      const besides = selected.filter(({ r }) => pins.uncovered.includes(r) || viaFiles.has(r));
      return [...fromExport(pins.export, decision.lock.kind, (root) => (root ? labels.get(root) ?? root : "dependencies")), ...declared([...besides, ...routeReqs])];
    }
  }
  return declared([...selected, ...routeReqs]);
}

/**
 * The pins to judge on each candidate minor: those of pinsOfSetup for each minor (its first
 * and a late patch), merged, each with the minors it is installed on (pure).
 */
export function fitPins(inputFor: (pythonVersion: string) => PlanInput, minors: string[], max = 200): PinnedPackage[] {
  const out = new Map<string, PinnedPackage & { minors: string[] }>();
  for (const minor of minors) {
    for (const patch of PATCHES) {
      for (const pin of pinsOfSetup(inputFor(`${minor}.${patch}`))) {
        const key = `${norm(pin.name)}==${pin.version}`;
        const entry = out.get(key) ?? { name: pin.name, version: pin.version, origin: pin.origin, minors: [] };
        if (!entry.minors.includes(minor)) entry.minors.push(minor);
        out.set(key, entry);
      }
    }
  }
  return [...out.values()].slice(0, max);
}
