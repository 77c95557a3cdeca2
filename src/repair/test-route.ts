/**
 * The test route's runner, for `dhtl diagnose`: the route `dhtl test` would run (the test
 * route planner, src/testing/), and whether what its commands start is present in the venv.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { RUNNER_MODULE } from "../testing/commands.ts";
import type { RoutePlan } from "../testing/index.ts";

export interface TestRouteInput {
  plan: Pick<RoutePlan, "chosen" | "why">;
  venvBin: string;
  site?: string;
}


const names = (dir: string) => {
  try {
    return new Set(readdirSync(dir).map((f) => f.replace(/\.exe$/i, "")));
  } catch {
    return new Set<string>();
  }
};

export function plannedTestRoute(input: TestRouteInput): { argv: string[]; why: string; needs: Array<{ what: string; present: boolean }> } {
  const route = input.plan.chosen;
  if (!route) return { argv: [], why: input.plan.why, needs: [] };
  const venvTools = names(input.venvBin);
  // A dotted module (`zope.testrunner`) is a directory inside its namespace package.
  const inSite = (module: string) => Boolean(input.site && (existsSync(join(input.site, ...module.split("."))) || existsSync(join(input.site, `${module}.py`))));
  const needs = new Map<string, boolean>();
  for (const cmd of [...route.pre, ...route.suites]) {
    if (cmd.shell) continue;
    const [first, second, third] = cmd.argv;
    const module = first && /^python[\d.]*$/.test(first) && second === "-m" ? third : RUNNER_MODULE[cmd.runner];
    if (module && module !== "unittest" && module !== "doctest") needs.set(module, inSite(module));
    else if (first && !/^python[\d.]*$/.test(first)) needs.set(first, venvTools.has(first) || Boolean(Bun.which(first)));
  }
  const argv = route.suites[0]?.argv ?? [];
  return { argv, why: `${route.name}: ${route.summary}`, needs: [...needs].map(([what, present]) => ({ what, present })) };
}
