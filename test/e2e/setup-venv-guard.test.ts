/**
 * The critical data-loss fault: a venv setting that names an existing directory deleted it.
 * With the compiled binary: `python.venv: ..`, `.`, an absolute directory outside the
 * project, a plain file, `--venv` and `DHT_VENV` are refused with exit 2 naming the setting,
 * and nothing is deleted — in setup, in `--dry-run` and in `config validate`. A real venv at
 * the configured path is still replaced, and a venv creation killed halfway is resumed.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { SMALL_PROJECT, seededHome, setupEnv, writeProject } from "../helpers/setup-project.ts";

/** A project inside a parent directory that holds a precious file beside it. */
function projectInParent(config?: string) {
  const parent = mkdtempSync(join(tmpdir(), "dht-parent-"));
  writeFileSync(join(parent, "precious.txt"), "keep me\n");
  const project = writeProject({ ...SMALL_PROJECT, ...(config ? { ".dhtconfig": config } : {}) }, join(parent, "proj"));
  return { parent, project };
}

const untouched = (parent: string, project: string) => {
  expect(readFileSync(join(parent, "precious.txt"), "utf8")).toBe("keep me\n");
  expect(existsSync(join(project, "pyproject.toml"))).toBe(true);
};

describe("a venv setting never deletes what dhtl did not make", () => {
  const env = setupEnv(seededHome());

  test("python.venv: .. in .dhtconfig: setup, --dry-run and config validate exit 2 naming .dhtconfig's line; the parent survives", async () => {
    const { parent, project } = projectInParent("version: 1\npython:\n  venv: ..\n");
    for (const args of [["setup"], ["setup", "--dry-run"], ["config", "validate"]]) {
      const r = await dhtl([...args, "--cwd", project], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(".dhtconfig:3 python.venv");
      expect(r.stderr).toContain("contains the project");
      untouched(parent, project);
    }
  });

  test("python.venv: . (the project itself) is refused", async () => {
    const { parent, project } = projectInParent("version: 1\npython:\n  venv: .\n");
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the project");
    untouched(parent, project);
  });

  test("--venv naming an absolute directory outside the project that holds files is refused, its files kept", async () => {
    const { parent, project } = projectInParent();
    const other = mkdtempSync(join(tmpdir(), "dht-other-"));
    writeFileSync(join(other, "thesis.tex"), "work\n");
    const r = await dhtl(["setup", "--venv", other, "--cwd", project], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--venv");
    expect(r.stderr).toContain("not a virtual environment (it holds thesis.tex)");
    expect(readdirSync(other)).toEqual(["thesis.tex"]);
    untouched(parent, project);
  });

  test("DHT_VENV naming a plain file is refused, the file kept", async () => {
    const { project } = projectInParent();
    writeFileSync(join(project, "notes"), "mine\n");
    const r = await dhtl(["setup", "--cwd", project], { env: { ...env, DHT_VENV: "notes" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DHT_VENV");
    expect(r.stderr).toContain("it is a file");
    expect(readFileSync(join(project, "notes"), "utf8")).toBe("mine\n");
  });

  test("DHT_HOME and the home directory are never a venv", async () => {
    const { project } = projectInParent();
    const home = seededHome();
    for (const [target, what] of [[home, "DHT_HOME"], [env.HOME ?? process.env.HOME!, "home directory"]] as const) {
      const r = await dhtl(["setup", "--venv", target, "--cwd", project], { env: { ...setupEnv(home) } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(what);
    }
    expect(existsSync(join(home, "tools"))).toBe(true);
  });

  test("an existing real venv at the configured path is replaced, and a half-made one dhtl recorded is resumed", async () => {
    const { project } = projectInParent("version: 1\npython:\n  venv: env-dir\n");
    const first = await dhtl(["setup", "--cwd", project], { env });
    expect(first.code).toBe(0);
    expect(existsSync(join(project, "env-dir", "pyvenv.cfg"))).toBe(true);
    const owner = JSON.parse(readFileSync(join(project, ".dht", "venv-owner.json"), "utf8"));
    expect(owner.path).toEndWith("/env-dir");
    // A creator killed before pyvenv.cfg was written: the record proves the tree is dhtl's.
    const venv = join(project, "env-dir");
    const again = await dhtl(["setup", "--restart", "--cwd", project], { env });
    expect(again.code).toBe(0);
    Bun.spawnSync(["rm", "-rf", venv]);
    mkdirSync(join(venv, "bin"), { recursive: true });
    mkdirSync(join(venv, "lib"));
    const resumed = await dhtl(["setup", "--restart", "--cwd", project], { env });
    expect(resumed.stderr).not.toContain("not a virtual environment");
    expect(resumed.code).toBe(0);
    expect(existsSync(join(venv, "pyvenv.cfg"))).toBe(true);
  });
});
