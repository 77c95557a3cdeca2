/**
 * The test route's runner, for `dhtl diagnose`: which command `dhtl test` would run and what
 * it needs present in the venv. Until the test route planner (src/testing/) lands, this is
 * based on src/env/test-runner.ts's chooseTestCommand; switching to the planner is the one
 * call inside `plannedTestRoute`.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { chooseTestCommand } from "../env/test-runner.ts";

export interface TestRouteInput {
  command?: string;
  runner?: string;
  venvBin: string;
  site?: string;
  envRoot: string;
  os: "linux" | "darwin" | "windows";
}

const names = (dir: string) => {
  try {
    return new Set(readdirSync(dir).map((f) => f.replace(/\.exe$/i, "")));
  } catch {
    return new Set<string>();
  }
};

export function plannedTestRoute(input: TestRouteInput): { argv: string[]; why: string; needs: Array<{ what: string; present: boolean }> } {
  const venvTools = names(input.venvBin);
  const choice = chooseTestCommand({ command: input.command, runner: input.runner, venvTools, rootFiles: names(input.envRoot), os: input.os, args: [] });
  const needs: Array<{ what: string; present: boolean }> = [];
  const [first, second, module] = choice.argv;
  if (first === "python" && second === "-m" && module && module !== "unittest") {
    // A module runner: its package (or module file) in site-packages.
    const present = Boolean(input.site && (existsSync(join(input.site, module)) || existsSync(join(input.site, `${module}.py`))));
    needs.push({ what: module, present });
  } else if (first && first !== "python" && first !== "sh" && first !== "cmd") {
    needs.push({ what: first, present: venvTools.has(first) || Boolean(Bun.which(first)) });
  }
  return { ...choice, needs };
}
