/**
 * What `dhtl setup` installs for a test route: its needs mapped onto what the project
 * declares. An extra or group the route names is taken when the project declares it (a
 * Hatch env's group may be spelled `hatch:test`); requirements and `-r` / `-c` files are
 * installed as the route writes them; system packages are handed on, not installed here.
 * Every addition keeps its evidence, for the plan (`coverage  tox.ini:12 [testenv] deps`).
 * Pure.
 */
import { formatEvidence, type RouteNeed } from "./types.ts";

export interface RouteInstall {
  /** PEP 508 texts (and local paths) to install, with where the route asks for them. */
  requirements: Array<{ text: string; origin: string }>;
  /** `-r` files (relative to the environment root) and `-c` files. */
  requirementFiles: Array<{ path: string; origin: string }>;
  constraintFiles: Array<{ path: string; origin: string }>;
  extras: Array<{ name: string; origin: string }>;
  groups: Array<{ name: string; origin: string }>;
  /** System packages a CI step installs (for the system-packages step, or the plan). */
  system: Array<{ manager: string; name: string; origin: string }>;
  /** Extras or groups the route names that the project does not declare. */
  unknown: string[];
  /** The route installs without the lock file: where it says so. */
  skipLock?: string;
}

export function routeInstall(needs: RouteNeed[], declared: { extras: string[]; groups: string[]; project?: string }): RouteInstall {
  const out: RouteInstall = { requirements: [], requirementFiles: [], constraintFiles: [], extras: [], groups: [], system: [], unknown: [] };
  const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");
  const extraNamed = (name: string) => declared.extras.find((e) => norm(e) === norm(name));
  const groupNamed = (name: string) => declared.groups.find((g) => norm(g) === norm(name) || norm(g) === `hatch:${norm(name)}`);
  const seen = new Set<string>();
  const once = (key: string) => (seen.has(key) ? false : (seen.add(key), true));
  for (const need of needs) {
    const origin = formatEvidence(need.evidence);
    switch (need.kind) {
      case "requirement": {
        const file = /^-(r|c)\s*(.+)$/.exec(need.text.trim());
        if (file) {
          const path = file[2]!.trim();
          if (once(`${file[1]}:${path}`)) (file[1] === "r" ? out.requirementFiles : out.constraintFiles).push({ path, origin });
        } else if (declared.project && nameOf(need.text) === norm(declared.project)) {
          // The project itself (`-p anyio` in anyio's own suite, `pip install anyio[trio]`):
          // it is installed editable already; only its extras are new.
          for (const e of extrasOf(need.text)) {
            const name = extraNamed(e);
            if (name && once(`extra:${name}`)) out.extras.push({ name, origin });
          }
        } else if (once(`req:${norm(need.text)}`)) out.requirements.push({ text: need.text, origin });
        break;
      }
      case "extra": {
        const name = extraNamed(need.name);
        if (name) {
          if (once(`extra:${name}`)) out.extras.push({ name, origin });
        } else if (groupNamed(need.name) && once(`group:${need.name}`)) {
          // `pip install .[test]` where the project keeps `test` as a dependency group.
          out.groups.push({ name: groupNamed(need.name)!, origin });
        } else if (once(`unknown:${need.name}`)) out.unknown.push(`extra ${need.name} (${origin})`);
        break;
      }
      case "all-extras":
        for (const name of declared.extras) if (once(`extra:${name}`)) out.extras.push({ name, origin });
        break;
      case "group": {
        const name = groupNamed(need.name) ?? extraNamed(need.name);
        if (name && groupNamed(need.name)) {
          if (once(`group:${name}`)) out.groups.push({ name, origin });
        } else if (name) {
          if (once(`extra:${name}`)) out.extras.push({ name, origin });
        } else if (once(`unknown:${need.name}`)) out.unknown.push(`group ${need.name} (${origin})`);
        break;
      }
      case "system":
        if (once(`sys:${need.manager}:${need.name}`)) out.system.push({ manager: need.manager, name: need.name, origin });
        break;
      case "no-lock":
        out.skipLock ??= origin;
        break;
    }
  }
  return out;
}

/** The normalised distribution name a requirement text starts with (none for paths and URLs). */
function nameOf(text: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[|[<>=!~;@ ]|$)/.exec(text);
  return m && !/[\\/]/.test(text.split(/[\s;]/)[0]!) ? m[1]!.toLowerCase().replace(/[-_.]+/g, "-") : undefined;
}

const extrasOf = (text: string): string[] => (/^[^\[]*\[([^\]]*)\]/.exec(text)?.[1] ?? "").split(",").map((e) => e.trim()).filter(Boolean);
