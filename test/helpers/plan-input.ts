/**
 * A minimal setup-plan input (src/flows/setup/plan.ts PlanInput) for unit tests: a Linux
 * project at /p with uv at hand and nothing selected; tests override what they are about.
 */
import type { PlanInput } from "../../src/flows/setup/plan.ts";

export function planInputFixture(project: Partial<PlanInput["project"]> = {}, over: Partial<PlanInput> = {}): PlanInput {
  return {
    os: "linux",
    envRoot: "/p",
    envDir: ".",
    projectRoot: "/p",
    project: { root: "/p", name: "demo", isPackage: true, requirements: [], optional: {}, groups: {}, requirementFiles: [], ...project },
    registries: { indexUrl: "https://pypi.org/simple", extraIndexUrls: [], trustedHosts: [], findLinks: [], origins: {} },
    python: { executable: "/usr/bin/python3.13", version: "3.13.0", source: "system", chain: [] },
    uv: { available: true, path: "uv", version: "0.13.9", how: "stored" },
    venv: { linkPath: "/p/.venv", venvPath: "/p/.venv", placement: "in-project", why: "in the project" },
    strategy: "uv",
    extras: [],
    groups: [],
    preferBinary: false,
    swaps: [],
    isolate: false,
    registryEnvNames: [],
    ...over,
  };
}
