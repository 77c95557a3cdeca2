/**
 * `dhtl setup` end to end with the compiled binary: real uv, real pyenv CPython, real wheels
 * from a local find-links directory (no network).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { SMALL_PROJECT, copyTree, seededHome, setupEnv, startWheelIndex, writeProject } from "../helpers/setup-project.ts";
import { repoRoot } from "../helpers/cli.ts";

const py = (project: string, code: string) => Bun.spawnSync([join(project, ".venv", "bin", "python"), "-c", code]);

describe("dhtl setup", () => {
  test("creates a verified venv from local wheels, then a second run does nothing and says so", async () => {
    const project = writeProject(SMALL_PROJECT);
    const home = seededHome();
    const env = setupEnv(home);
    const first = await dhtl(["setup", "--cwd", project], { env });
    expect(first.stderr).not.toContain("error");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("activate:");
    expect(readFileSync(join(project, ".venv", ".dht-complete"), "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(py(project, "import six, tabulate; print('ok')").stdout.toString().trim()).toBe("ok");
    const checkpoint = JSON.parse(readFileSync(join(project, ".dht", "setup-progress.json"), "utf8"));
    expect(checkpoint.complete).toBe(true);
    expect(checkpoint.steps.map((s: { id: string }) => s.id)).toEqual(["resolve-python", "obtain-uv", "create-venv", "install-dependencies", "verify", "finalize"]);

    const second = await dhtl(["setup", "--cwd", project], { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("up to date");
    expect(JSON.parse(readFileSync(join(project, ".dht", "setup-progress.json"), "utf8")).updatedAt).toBe(checkpoint.updatedAt);
  });

  test("a changed dependency re-runs the install (not the venv) and the new package imports", async () => {
    const project = writeProject(SMALL_PROJECT);
    const env = setupEnv(seededHome());
    expect((await dhtl(["setup", "--cwd", project], { env })).code).toBe(0);
    const cfg = readFileSync(join(project, ".venv", "pyvenv.cfg"), "utf8");
    writeFileSync(join(project, "pyproject.toml"), SMALL_PROJECT["pyproject.toml"].replace('"tabulate>=0.9"', '"tabulate>=0.9", "idna"'));
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Re-running from: install-dependencies");
    expect(py(project, "import idna").exitCode).toBe(0);
    expect(readFileSync(join(project, ".venv", "pyvenv.cfg"), "utf8")).toBe(cfg);
  });

  test("requirement files: an edit in an included file (-r) is a change and the new package gets installed", async () => {
    const project = writeProject({ ".python-version": "3.11\n", "requirements.txt": "-r requirements/base.txt\ntabulate\n", "requirements/base.txt": "six\n" });
    const env = setupEnv(seededHome());
    expect((await dhtl(["setup", "--cwd", project], { env })).code).toBe(0);
    expect((await dhtl(["setup", "--cwd", project], { env })).stderr).toContain("up to date");
    writeFileSync(join(project, "requirements", "base.txt"), "six\nidna\n");
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Re-running from: install-dependencies");
    expect(py(project, "import idna, six, tabulate").exitCode).toBe(0);
  });

  test("with a uv.lock and only local wheels (no index): the lock's exact pins are exported and synced, dev group included", async () => {
    const project = writeProject({
      ".python-version": "3.11\n",
      "pyproject.toml": '[project]\nname = "locked"\nversion = "0.1.0"\nrequires-python = ">=3.9"\ndependencies = ["six"]\n\n[dependency-groups]\ndev = ["tabulate"]\n',
    });
    const home = seededHome();
    const env = setupEnv(home);
    const lock = Bun.spawnSync([join(home, "tools", "uv", "0.13.9", "uv"), "lock", "--no-index", "--find-links", env.PIP_FIND_LINKS!], { cwd: project, env: { PATH: env.PATH!, UV_CACHE_DIR: env.UV_CACHE_DIR!, UV_NO_CONFIG: "1" } });
    expect(lock.exitCode).toBe(0);
    const r = await dhtl(["setup", "--json", "--cwd", project], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.plan.mode).toBe("uv-sync");
    const installs = out.plan.commands.filter((c: { step: string }) => c.step === "install-dependencies").map((c: { argv: string[] }) => c.argv.slice(1, 3));
    expect(installs).toEqual([["export", "--frozen"], ["pip", "sync"]]);
    expect(py(project, "import six, tabulate").exitCode).toBe(0);
    // The lock is an input: touching it re-runs the install.
    writeFileSync(join(project, "uv.lock"), readFileSync(join(project, "uv.lock"), "utf8") + "\n");
    expect((await dhtl(["setup", "--cwd", project], { env })).stderr).toContain("Re-running from: install-dependencies");
  });

  test("--dry-run --json prints the plan (python chain, venv, exact commands) and creates nothing", async () => {
    const project = writeProject(SMALL_PROJECT);
    const env = setupEnv(seededHome());
    const r = await dhtl(["setup", "--dry-run", "--json", "--cwd", project], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.plan.python.version).toMatch(/^3\.11\./);
    expect(out.plan.python.chain.some((c: { outcome: string }) => c.outcome === "taken")).toBe(true);
    expect(out.plan.venv.linkPath).toBe(join(project, ".venv"));
    expect(out.plan.mode).toBe("uv-pip");
    const install = out.plan.commands.find((c: { step: string }) => c.step === "install-dependencies");
    expect(install.argv.slice(1, 3)).toEqual(["pip", "install"]);
    expect(install.argv).toContain("six>=1.16");
    expect(out.plan.registries.noIndex).toBe(true);
    expect(existsSync(join(project, ".venv"))).toBe(false);
  });

  test("dhtl run: venv first on PATH, VIRTUAL_ENV set, args passed through, exit status passed back", async () => {
    const project = writeProject({ ...SMALL_PROJECT, ".dhtconfig": "version: 1\nenv:\n  GREETING: hello\n" });
    const env = setupEnv(seededHome());
    expect((await dhtl(["setup", "--cwd", project], { env })).code).toBe(0);
    const r = await dhtl(["run", "--cwd", project, "python", "-c", "import os,sys; print(sys.prefix); print(os.environ['VIRTUAL_ENV']); print(os.environ['GREETING']); print(sys.argv[1:]); sys.exit(7)", "-x", "--json"], { env });
    expect(r.code).toBe(7);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe(join(project, ".venv"));
    expect(lines[1]).toBe(join(project, ".venv"));
    expect(lines[2]).toBe("hello");
    expect(lines[3]).toBe("['-x', '--json']");
  });

  test("a directory that is no Python project is refused (exit 2) and nothing is created; --python makes a bare environment on purpose", async () => {
    const project = writeProject({ "notes.txt": "not a project\n" });
    const env = setupEnv(seededHome());
    const r = await dhtl(["setup", "--cwd", project], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no Python project found in ${project}`);
    expect(existsSync(join(project, ".venv"))).toBe(false);
    expect(existsSync(join(project, ".dht"))).toBe(false);
    const bare = await dhtl(["setup", "--python", "3.11", "--cwd", project], { env });
    expect(bare.code).toBe(0);
    expect(existsSync(join(project, ".venv", ".dht-complete"))).toBe(true);
  });

  test("dhtl run before setup fails with exit 1 and says to run dhtl setup", async () => {
    const project = writeProject(SMALL_PROJECT);
    const r = await dhtl(["run", "--cwd", project, "python", "-V"], { env: setupEnv(seededHome()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("dhtl setup");
  });

  test("--isolate writes activate.isolated, puts uv in the venv, and dhtl run uses the cleaned PATH", async () => {
    const project = writeProject(SMALL_PROJECT);
    const env = setupEnv(seededHome(), ["3.11"], { PATH: `/opt/not-there/bin:${setupEnv("x").PATH}` });
    const r = await dhtl(["setup", "--isolate", "--cwd", project], { env });
    expect(r.code).toBe(0);
    for (const f of ["activate.isolated", "activate.isolated.fish", "activate.isolated.ps1", "uv"]) expect(existsSync(join(project, ".venv", "bin", f))).toBe(true);
    const run = await dhtl(["run", "--cwd", project, "sh", "-c", 'echo "$PATH"; command -v uv'], { env });
    expect(run.code).toBe(0);
    const [path, uv] = run.stdout.trim().split("\n");
    expect(path).toBe(`${join(project, ".venv", "bin")}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`);
    expect(uv).toBe(join(project, ".venv", "bin", "uv"));
  });

  test("the example project sets up from a loopback index (uv fetched from it too); dhtl run pytest and dhtl test pass", async () => {
    const project = copyTree(join(repoRoot, "examples", "hello-project"));
    writeFileSync(join(project, ".python-version"), "3.11\n");
    const index = await startWheelIndex();
    try {
      const home = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "dht-home-"));
      const env = setupEnv(home, ["3.11"], { PIP_INDEX_URL: index.indexUrl });
      delete (env as Record<string, string | undefined>).PIP_NO_INDEX;
      delete (env as Record<string, string | undefined>).PIP_FIND_LINKS;
      const r = await dhtl(["setup", "--cwd", project], { env });
      expect(r.stderr).not.toContain("error:");
      expect(r.code).toBe(0);
      expect(index.requests.some((p) => p.startsWith("/files/uv-0.13.9-"))).toBe(true);
      expect(existsSync(join(home, "tools", "uv", "0.13.9", "uv"))).toBe(true);
      const tests = await dhtl(["run", "--cwd", project, "pytest", "-q"], { env });
      expect(tests.stdout).toContain("2 passed");
      expect(tests.code).toBe(0);
      const viaTest = await dhtl(["test", "--cwd", project], { env });
      expect(viaTest.code).toBe(0);
      expect(viaTest.stdout).toContain("2 passed");
      expect(viaTest.stderr).toContain("test route tox:py3: tox.ini env py3 runs the tests");
      const hello = await dhtl(["run", "--cwd", project, "hello", "2030-01-01"], { env });
      expect(hello.stdout).toContain("days from today");
      expect(lstatSync(join(project, ".venv")).isDirectory()).toBe(true);
    } finally {
      index.stop();
    }
  });
});

describe("dhtl setup without uv", () => {
  test("when uv cannot be had (not on the index, release mirror down), it falls back to python -m venv + pip and says so", async () => {
    const index = await startWheelIndex([join(repoRoot, ".cache", "test-assets", "setup-wheels")]);
    try {
      const project = writeProject(SMALL_PROJECT);
      const home = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "dht-home-"));
      const env = setupEnv(home, ["3.11"], { PIP_INDEX_URL: index.indexUrl, DHT_UV_DOWNLOAD_URL: `${index.indexUrl.replace("/simple", "")}/no-uv-here/` });
      delete (env as Record<string, string | undefined>).PIP_NO_INDEX;
      delete (env as Record<string, string | undefined>).PIP_FIND_LINKS;
      const r = await dhtl(["setup", "--cwd", project], { env });
      expect(r.stderr).toContain("uv cannot be had");
      expect(r.code).toBe(0);
      expect(existsSync(join(project, ".venv", "bin", "pip"))).toBe(true);
      expect(py(project, "import six, tabulate").exitCode).toBe(0);
      const cp = JSON.parse(readFileSync(join(project, ".dht", "setup-progress.json"), "utf8"));
      expect(cp.steps.find((s: { id: string }) => s.id === "obtain-uv").output.available).toBe(false);
    } finally {
      index.stop();
    }
  }, 120_000);
});
