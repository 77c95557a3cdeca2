/**
 * The design's monorepo example (examples/monorepo/.dhtconfig, `version: "2.0"`,
 * `environments.default`, `platform_deps: {linux: {apt: [...]}}`, `languages: {node:
 * "20.10.0"}`) validates and sets up as written on this machine: every environment, the
 * system packages (present, or provided in user space), Node.js 20.10.0 for frontend/ from a
 * loopback nodejs.org mirror, packages from a loopback index.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl, repoRoot } from "../helpers/cli.ts";
import { assetsDir, pyenvBin, seededHome, setupEnv, startWheelIndex, wheelsDir } from "../helpers/setup-project.ts";
import { NODE_VERSION, nodeAssetsMissing, startNodeMirror, type NodeMirror } from "../helpers/node-mirror.ts";

const why = nodeAssetsMissing() ?? (!pyenvBin("3.11") || !pyenvBin("3.12") ? "needs CPython 3.11 and 3.12 (pyenv)" : undefined);
if (why) console.error(`skipping the monorepo example test: ${why}`);
const t = why ? test.skip : test;

describe("examples/monorepo", () => {
  let mirror: NodeMirror | undefined;
  let idx: Awaited<ReturnType<typeof startWheelIndex>> | undefined;
  beforeAll(async () => {
    if (why) return;
    mirror = await startNodeMirror();
    idx = await startWheelIndex([wheelsDir, join(assetsDir, "uv"), join(assetsDir, "tool-wheels")]);
  }, 120_000);
  afterAll(() => {
    mirror?.stop();
    idx?.stop();
  });

  t("validates and sets up every environment as written", async () => {
    const root = mkdtempSync(join(tmpdir(), "dht-monorepo-"));
    cpSync(join(repoRoot, "examples", "monorepo"), root, { recursive: true });
    const env: Record<string, string> = setupEnv(seededHome(), ["3.11", "3.12"], { DHT_NODE_MIRROR: mirror!.base, PIP_INDEX_URL: idx!.indexUrl });
    delete env.PIP_NO_INDEX;
    delete env.PIP_FIND_LINKS;
    const valid = await dhtl(["config", "validate", "--cwd", root], { env });
    expect(valid.stdout).toContain(".dhtconfig is valid, 3 environment(s): services/api, services/ml-service, frontend");

    const r = await dhtl(["setup", "--all-environments", "--cwd", root], { env, timeoutMs: 300_000 });
    expect(r.stderr).not.toContain("FAILED");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Node.js ${NODE_VERSION} (mirror)`);
    const run = async (dir: string, ...argv: string[]) => (await dhtl(["--cwd", join(root, dir), "run", ...argv], { env })).stdout.trim();
    expect(await run("frontend", "node", "--version")).toBe(`v${NODE_VERSION}`);
    expect(await run("services/api", "python", "-c", "import sys, six; print(sys.version_info[:2])")).toBe("(3, 11)");
    expect(await run("services/ml-service", "python", "-c", "import sys, tabulate; print(sys.version_info[:2])")).toBe("(3, 12)");
    // environments.default's platform_deps apply to every environment: both tools run there.
    for (const dir of ["services/api", "services/ml-service", "frontend"]) {
      expect(await run(dir, "psql", "--version")).toMatch(/^psql \(PostgreSQL\) \d+/);
      expect(await run(dir, "redis-cli", "--version")).toMatch(/^redis-cli \d/);
    }
  }, 400_000);
});
