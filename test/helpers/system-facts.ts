/**
 * The machine as the system planner sees it (src/system/plan.ts SystemFacts), for unit tests:
 * Debian 12 with apt, as root, outside a container; tests override what they are about.
 */
import type { SystemFacts } from "../../src/system/plan.ts";

export const systemFactsFixture = (over: Partial<SystemFacts> = {}): SystemFacts => ({
  os: "linux",
  arch: "x86_64",
  distro: { id: "debian", versionId: "12", like: [] },
  packageManagers: ["apt"],
  privileges: { root: true, passwordlessSudo: false },
  container: { kind: null, evidence: [] },
  ...over,
});
