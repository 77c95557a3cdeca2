/**
 * The test route of a project directory: gather its files (files.ts), plan (plan.ts).
 * Used by `dhtl setup` (what to install for the route, the Pythons it names) and `dhtl test`
 * (what to run).
 */
import { join } from "node:path";
import { gatherProjectFiles, routeInputFiles } from "./files.ts";
import { planTestRoutes, type RoutePlan, type RoutePlanInput } from "./plan.ts";
import type { ProjectFiles } from "./types.ts";

export type { RoutePlan } from "./plan.ts";
export type { TestRoute, RouteNeed, RouteCommand, PythonSignal, Evidence } from "./types.ts";
export { formatEvidence } from "./types.ts";

/** The parts of the declared project (src/project/declared.ts DeclaredProject fits) a route is matched against. */
export interface DeclaredForRoute {
  name?: string;
  optional: Record<string, Array<{ name: string }>>;
  groups: Record<string, Array<{ name: string }>>;
  requirements: Array<{ name: string; normalizedName?: string }>;
}

export interface TestRouteContext {
  root: string;
  declared: DeclaredForRoute;
  config?: { command?: string; runner?: string; route?: string };
  pythonMinor?: string;
  env: Record<string, string | undefined>;
  /** Files already gathered (setup plans twice: before and after the Python is known). */
  files?: ProjectFiles;
}

export function routeInput(ctx: TestRouteContext, files: ProjectFiles): RoutePlanInput {
  const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");
  const d = ctx.declared;
  const requirementNames = [...d.requirements, ...Object.values(d.optional).flat(), ...Object.values(d.groups).flat()].map((r) => norm(r.name)).filter(Boolean);
  let pyproject: Record<string, unknown> | undefined;
  const text = files.files.get("pyproject.toml");
  if (text !== undefined) {
    try {
      pyproject = Bun.TOML.parse(text) as Record<string, unknown>;
    } catch {
      pyproject = undefined; // reading the project reports a broken pyproject.toml
    }
  }
  return {
    files,
    ...(pyproject ? { pyproject } : {}),
    ...(ctx.config ? { config: ctx.config } : {}),
    ...(ctx.pythonMinor ? { pythonMinor: ctx.pythonMinor } : {}),
    declared: {
      ...(d.name ? { name: d.name } : {}),
      extras: Object.fromEntries(Object.entries(d.optional).map(([k, reqs]) => [k, reqs.map((r) => r.name)])),
      groups: Object.keys(d.groups),
      requirementNames,
    },
    env: ctx.env,
    root: ctx.root,
  };
}

export function planTestRoute(ctx: TestRouteContext): RoutePlan & { files: ProjectFiles; inputs: string[] } {
  const files = ctx.files ?? gatherProjectFiles(ctx.root);
  const plan = planTestRoutes(routeInput(ctx, files));
  return { ...plan, files, inputs: routeInputFiles(files).map((p) => join(ctx.root, p)) };
}
