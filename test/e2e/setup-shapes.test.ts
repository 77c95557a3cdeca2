/**
 * `dhtl setup --dry-run --json` on every project shape in test/fixtures/projects (the deps
 * helper's fixtures): the plan installs each the right way. No network, nothing created.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dhtl, repoRoot } from "../helpers/cli.ts";
import { copyTree, seededHome, setupEnv } from "../helpers/setup-project.ts";

interface Expect {
  mode: string;
  /** Fragments the install command line must contain (with <root> for the project dir). */
  has: string[];
  lockNote?: RegExp;
}

const SHAPES: Record<string, Expect> = {
  "flit-legacy": { mode: "uv-pip", has: ["-e <root>[test]"] },
  hatch: { mode: "uv-pip", has: ["pytest-xdist", "-e <root>"] },
  pdm: { mode: "uv-pip", has: ["-e <root>/packages/helper", "-e <root>"], lockNote: /pdm\.lock has no entry for pytest, helper .*dhtl installs the declared requirements, resolved fresh/ },
  "pep621-groups": { mode: "uv-sync", has: ["export --frozen", "--group dev", "pip sync --no-index"], lockNote: /uv sync --frozen installs exactly/ },
  pipenv: { mode: "uv-pip", has: ["django==4.2.11", "-e <root>/libs/mylib"], lockNote: /Pipfile\.lock does not match Pipfile: .*dhtl installs the declared requirements, resolved fresh/ },
  "poetry-no-package": { mode: "uv-pip", has: ["httpx>=0.27,<0.28"] },
  poetry: { mode: "uv-pip", has: ["black>=24.2,<25", "-e <root>"], lockNote: /poetry\.lock/ },
  "requirements-includes": { mode: "uv-pip", has: ["-r <root>/requirements-dev.txt"] },
  "setup-py-only": { mode: "uv-pip", has: ["-e <root>"] },
  "setuptools-cfg": { mode: "uv-pip", has: ["-e <root>[test]"] },
  "uv-virtual": { mode: "uv-sync", has: ["export --frozen", "--group dev", "pip sync --no-index"] },
};

describe("setup plans for every project shape", () => {
  const env = setupEnv(seededHome());
  for (const [shape, want] of Object.entries(SHAPES)) {
    test(`${shape}: ${want.mode} with ${want.has.join(", ")}`, async () => {
      const root = copyTree(join(repoRoot, "test", "fixtures", "projects", shape));
      const r = await dhtl(["setup", "--dry-run", "--json", "--python", "3.11", "--cwd", root], { env });
      expect(r.code).toBe(0);
      const plan = JSON.parse(r.stdout).plan;
      expect(plan.mode).toBe(want.mode);
      const line = plan.commands.filter((c: { step: string }) => c.step === "install-dependencies").map((c: { argv: string[] }) => c.argv.join(" ")).join("\n");
      for (const fragment of want.has) expect(line).toContain(fragment.replaceAll("<root>", root));
      if (want.lockNote) expect(plan.lockFile.note).toMatch(want.lockNote);
      expect(existsSync(join(root, ".venv"))).toBe(false);
    });
  }

  test("a dependency-group cycle is a configuration error (exit 2) naming pyproject.toml and the line", async () => {
    const root = copyTree(join(repoRoot, "test", "fixtures", "projects", "pep735-cycle"));
    const r = await dhtl(["setup", "--dry-run", "--cwd", root], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pyproject.toml:6");
  });
});
