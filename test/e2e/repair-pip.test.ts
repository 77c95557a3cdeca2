/**
 * `dhtl fix-env --deep` on a venv made with `python -m venv` + pip (uv cannot be had: not on
 * the index, the release mirror down, none in DHT_HOME or on PATH). The rebuilt venv is made
 * beside the old one (`.venv.dht-new`) and swapped in: after the swap its console scripts,
 * activate scripts and pyvenv.cfg name `.venv`, its console scripts run, RECORD's hashes of
 * the rewritten scripts match (diagnose --deep is clean), and the hand-installed click is kept.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { SMALL_PROJECT, setupEnv, startWheelIndex, wheelsDir, writeProject } from "../helpers/setup-project.ts";
import { shapeWheelsDir } from "../helpers/repair-env.ts";
import { tmpdir } from "node:os";

let index: Awaited<ReturnType<typeof startWheelIndex>>;
let project: string;
let env: Record<string, string>;

beforeAll(async () => {
  // No uv wheel on this index, and the release mirror answers 404: setup falls back to pip.
  index = await startWheelIndex([wheelsDir, shapeWheelsDir]);
  const home = mkdtempSync(join(tmpdir(), "dht-home-"));
  env = setupEnv(home, ["3.11"], { PIP_INDEX_URL: index.indexUrl, DHT_UV_DOWNLOAD_URL: `${index.indexUrl.replace("/simple", "")}/no-uv-here/` });
  delete (env as Record<string, string | undefined>).PIP_NO_INDEX;
  delete (env as Record<string, string | undefined>).PIP_FIND_LINKS;
  project = writeProject(SMALL_PROJECT);
  const r = await dhtl(["setup", "--cwd", project], { env });
  if (r.code !== 0 || !r.stderr.includes("uv cannot be had")) throw new Error(`setup did not take the pip path:\n${r.stderr}`);
  // By hand, with the venv's own pip (asynchronously: the index is served by this process).
  const hand = Bun.spawn([join(project, ".venv", "bin", "pip"), "install", "-q", "--disable-pip-version-check", "--index-url", index.indexUrl, "click==8.1.8"], { env: { PATH: env.PATH!, PIP_CONFIG_FILE: "/dev/null" }, stderr: "pipe" });
  if ((await hand.exited) !== 0) throw new Error(await new Response(hand.stderr).text());
}, 120_000);

afterAll(() => {
  index?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

const venv = () => join(project, ".venv");

/** Files of the venv's bin/ and pyvenv.cfg that name the build path. */
function namingBuildPath(): string[] {
  const bin = join(venv(), "bin");
  const files = [...readdirSync(bin).map((f) => join(bin, f)), join(venv(), "pyvenv.cfg")];
  return files.filter((f) => {
    try {
      return readFileSync(f).includes(".venv.dht-new");
    } catch {
      return false; // python links into the base interpreter, directories
    }
  });
}

describe("fix-env --deep on a pip-made venv", () => {
  test("the swapped-in venv names its final path: console scripts run, activate and pyvenv.cfg say .venv, click kept, diagnose --deep clean", async () => {
    rmSync(join(venv(), "lib", "python3.11", "site-packages", "tabulate"), { recursive: true });
    const r = await dhtl(["fix-env", "--deep", "--cwd", project], { env });
    expect(r.stderr).toContain("kept click 8.1.8");
    expect(r.code).toBe(0);
    expect(namingBuildPath()).toEqual([]);
    expect(readFileSync(join(venv(), "bin", "activate"), "utf8")).toContain(venv());
    // Console scripts, run by their shebang after the swap: pip says where it runs from.
    const pip = Bun.spawnSync([join(venv(), "bin", "pip"), "--version"], { env: { PATH: "/usr/bin:/bin" } });
    expect(`${pip.exitCode} ${pip.stderr.toString()}`).toBe("0 ");
    expect(pip.stdout.toString()).toContain(join(venv(), "lib", "python3.11", "site-packages"));
    const tabulate = Bun.spawnSync([join(venv(), "bin", "tabulate"), "-h"], { env: { PATH: "/usr/bin:/bin" } });
    expect(tabulate.exitCode).toBe(0);
    const imports = Bun.spawnSync([join(venv(), "bin", "python"), "-c", "import six, tabulate, click"]);
    expect(imports.exitCode).toBe(0);
    const d = await dhtl(["diagnose", "--deep", "--json", "--cwd", project], { env });
    const failing = (JSON.parse(d.stdout).checks as Array<{ id: string; status: string; found: string }>).filter((c) => c.status === "fail");
    expect(failing).toEqual([]);
    expect(d.code).toBe(0);
  }, 120_000);
});
