/**
 * A project on a real network file system (sshfs over a throwaway sshd on 127.0.0.1):
 * the venv goes to local disk under DHT_HOME/venvs/<project-hash>, `.venv` is a link.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { sshfsUnavailableReason, withSshfsMount } from "../helpers/sshfs.ts";
import { SMALL_PROJECT, seededHome, setupEnv, writeProject } from "../helpers/setup-project.ts";

const reason = sshfsUnavailableReason();
if (reason) console.warn(`sshfs tests skipped: ${reason}`);
const maybe = reason ? test.skip : test;

describe("project on a network file system", () => {
  maybe("the venv lives under DHT_HOME/venvs (sshfs refuses links out of the mount: .dht/venv-path points at it); the plan says why; --no-local-venv keeps it in place", async () => {
    await withSshfsMount(async ({ mountPoint }) => {
      const project = writeProject(SMALL_PROJECT, join(mountPoint));
      const home = seededHome();
      const env = setupEnv(home);
      const dry = await dhtl(["setup", "--dry-run", "--json", "--cwd", project], { env });
      expect(dry.code).toBe(0);
      const plan = JSON.parse(dry.stdout).plan;
      expect(plan.venv.placement).toBe("network-fs");
      expect(plan.venv.why).toContain("sshfs");
      expect(plan.venv.venvPath.startsWith(join(home, "venvs"))).toBe(true);

      const kept = JSON.parse((await dhtl(["setup", "--dry-run", "--json", "--no-local-venv", "--cwd", project], { env })).stdout).plan;
      expect(kept.venv.placement).toBe("in-project");

      const r = await dhtl(["setup", "--cwd", project], { env });
      expect(r.code).toBe(0);
      // sshfs refuses to follow links that leave the mount: then there is no .venv link,
      // and .dht/venv-path tells dhtl where the venv is.
      expect(readFileSync(join(project, ".dht", "venv-path"), "utf8").trim()).toBe(plan.venv.venvPath);
      expect(existsSync(join(plan.venv.venvPath, ".dht-complete"))).toBe(true);
      expect(r.stderr).toContain("does not let");
      // The activate hint names the venv that exists, not the .venv that could not be made.
      expect(r.stdout).toContain(`activate:  . ${plan.venv.venvPath}/bin/activate`);
      const run = await dhtl(["run", "--cwd", project, "python", "-c", "import six, sys; print(sys.prefix)"], { env });
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(plan.venv.venvPath);
      const again = await dhtl(["setup", "--cwd", project], { env });
      expect(again.stderr).toContain("up to date");
    });
  }, 120_000);
});
