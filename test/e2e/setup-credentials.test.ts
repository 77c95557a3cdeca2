/**
 * A private index that needs credentials: dhtl passes them to uv through its environment,
 * and the secret never shows in the plan, the logs, errors or files under .dht/.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { SMALL_PROJECT, seededHome, setupEnv, startWheelIndex, wheelsDir, writeProject } from "../helpers/setup-project.ts";

const SECRET = "s3cr3t-t0ken-xyz";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("credentials for a private index", () => {
  test("the install authenticates, and the secret appears nowhere in output, errors or .dht/", async () => {
    const index = await startWheelIndex([wheelsDir], { user: "alice", password: SECRET });
    try {
      const project = writeProject(SMALL_PROJECT);
      const authed = index.indexUrl.replace("http://", `http://alice:${SECRET}@`);
      const env = setupEnv(seededHome(), ["3.11"], { PIP_INDEX_URL: authed });
      delete (env as Record<string, string | undefined>).PIP_NO_INDEX;
      delete (env as Record<string, string | undefined>).PIP_FIND_LINKS;
      const dry = await dhtl(["setup", "--dry-run", "--cwd", project], { env });
      const dryJson = await dhtl(["setup", "--dry-run", "--json", "--cwd", project], { env });
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain("Registries: http://***@127.0.0.1");
      const r = await dhtl(["setup", "--cwd", project], { env });
      expect(r.code).toBe(0);
      expect(index.requests.some((p) => p.startsWith("/files/six-"))).toBe(true);
      // A failing install: the error names the package, still without the secret.
      const failing = writeProject({ ...SMALL_PROJECT, "pyproject.toml": SMALL_PROJECT["pyproject.toml"].replace('"six>=1.16"', '"six>=1.16", "no-such-package-anywhere"') });
      const bad = await dhtl(["setup", "--cwd", failing], { env });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("no installable version of no-such-package-anywhere");
      const everything = [dry, dryJson, r, bad].map((x) => x.stdout + x.stderr).join("\n") + filesUnder(join(project, ".dht")).map((f) => readFileSync(f, "utf8")).join("\n");
      expect(everything).not.toContain(SECRET);
    } finally {
      index.stop();
    }
  }, 120_000);
});
