/**
 * Monorepos: `environments:` in .dhtconfig, each with its own Python (pyenv 3.10, 3.11,
 * 3.12, discoverable through PATH) and its own venv.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { pyenvBin, seededHome, setupEnv, writeProject } from "../helpers/setup-project.ts";

const pyproject = (name: string, deps: string[]) => `[project]\nname = "${name}"\nversion = "0.1.0"\ndependencies = [${deps.map((d) => `"${d}"`).join(", ")}]\n`;
const CONFIG = `version: 1
environments:
  services/api:
    python:
      version: "3.10"
  services/worker:
    python:
      version: "3.11"
  services/legacy-api:
    python:
      version: "3.12"
`;

function monorepo(extraDeps: string[] = []) {
  return writeProject({
    ".dhtconfig": CONFIG,
    "services/api/pyproject.toml": pyproject("api", ["six"]),
    "services/worker/pyproject.toml": pyproject("worker", ["tabulate"]),
    "services/legacy-api/pyproject.toml": pyproject("legacy", ["idna", ...extraDeps]),
  });
}

const venvVersion = (root: string, dir: string) => /version_info\s*=\s*(\d+\.\d+)/.exec(readFileSync(join(root, dir, ".venv", "pyvenv.cfg"), "utf8"))?.[1];

describe("monorepo environments", () => {
  const missing = ["3.10", "3.11", "3.12"].filter((m) => !pyenvBin(m));
  if (missing.length) console.warn(`pyenv CPython ${missing.join(", ")} missing: monorepo tests skipped`);
  const maybe = missing.length ? test.skip : test;

  maybe("--all-environments sets up each environment with its own Python and venv, and prints a summary", async () => {
    const root = monorepo();
    const env = setupEnv(seededHome(), ["3.10", "3.11", "3.12"]);
    const r = await dhtl(["setup", "--all-environments", "--cwd", root], { env });
    expect(r.code).toBe(0);
    expect(venvVersion(root, "services/api")).toBe("3.10");
    expect(venvVersion(root, "services/worker")).toBe("3.11");
    expect(venvVersion(root, "services/legacy-api")).toBe("3.12");
    expect(r.stdout).toMatch(/services\/api\s+ok\s+3\.10/);
    expect(r.stdout).toMatch(/services\/legacy-api\s+ok\s+3\.12/);
    // In a subdirectory, plain `dhtl setup` uses that directory's environment (already done).
    const sub = await dhtl(["setup"], { env, cwd: join(root, "services/worker") });
    expect(sub.code).toBe(0);
    expect(sub.stderr).toContain("up to date");
    expect(sub.stdout).toContain(join(root, "services/worker", ".venv"));
    // dhtl run in a subdirectory runs inside that environment's venv.
    const inApi = await dhtl(["run", "python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { env, cwd: join(root, "services/api") });
    expect(inApi.stdout.trim()).toBe("3.10");
  }, 180_000);

  maybe("a failing environment does not stop the others; the summary names it and the exit status is 1", async () => {
    const root = monorepo(["package-that-does-not-exist-anywhere"]);
    const env = setupEnv(seededHome(), ["3.10", "3.11", "3.12"]);
    const r = await dhtl(["setup", "--all-environments", "--cwd", root], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/services\/legacy-api\s+FAILED/);
    expect(r.stdout).toMatch(/services\/api\s+ok/);
    expect(r.stdout).toMatch(/services\/worker\s+ok/);
    expect(r.stderr).toContain("1 of 3 environments failed: services/legacy-api");
  }, 180_000);

  maybe("plain dhtl setup at a monorepo root that declares nothing itself is a usage error listing the environments", async () => {
    const root = monorepo();
    const r = await dhtl(["setup", "--cwd", root], { env: setupEnv(seededHome(), ["3.11"]) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("services/api, services/worker, services/legacy-api");
    expect(r.stderr).toContain("--all-environments");
  });

  maybe("--env names one environment from the project root", async () => {
    const root = monorepo();
    const env = setupEnv(seededHome(), ["3.10", "3.11", "3.12"]);
    const r = await dhtl(["setup", "--env", "services/legacy-api", "--cwd", root], { env });
    expect(r.code).toBe(0);
    expect(venvVersion(root, "services/legacy-api")).toBe("3.12");
    const dry = await dhtl(["setup", "--dry-run", "--json", "--env", "services/api", "--cwd", root], { env });
    expect(JSON.parse(dry.stdout).plan.python.version).toMatch(/^3\.10\./);
  }, 120_000);
});
