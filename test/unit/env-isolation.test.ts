import { describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { activateIsolatedSh, activateIsolatedFish, activateIsolatedPs1, isolatedPathList, writeIsolation } from "../../src/env/isolation.ts";
import { venvRunEnv } from "../../src/env/run-in-venv.ts";

describe("isolation scripts", () => {
  test("the isolated PATH is the venv bin plus system dirs only", () => {
    expect(isolatedPathList("/p/.venv", "linux")).toEqual(["/p/.venv/bin", "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
    expect(isolatedPathList("C:\\p\\.venv", "windows", { SystemRoot: "C:\\Windows" }).slice(0, 2)).toEqual(["C:\\p\\.venv\\Scripts", "C:\\Windows\\System32"]);
  });

  test("sourcing activate.isolated in dash and bash leaves only the venv and system dirs on PATH", async () => {
    const venv = mkdtempSync(join(tmpdir(), "dht iso '"));
    mkdirSync(join(venv, "bin"));
    writeFileSync(join(venv, "bin", "python"), "#!/bin/sh\necho venv-python\n");
    chmodSync(join(venv, "bin", "python"), 0o755);
    writeIsolation({ venv, os: "linux", extraEnv: { APP_MODE: "dev's" } });
    for (const shell of ["dash", "bash"]) {
      if (!Bun.which(shell)) {
        console.warn(`${shell} not installed: skipped`);
        continue;
      }
      const script = `. '${join(venv, "bin", "activate.isolated").replace(/'/g, `'\\''`)}'; echo "$PATH"; python; echo "$APP_MODE"; deactivate_isolated; echo "$PATH"`;
      const r = Bun.spawnSync([shell, "-c", script], { env: { PATH: "/opt/elsewhere/bin:/usr/bin:/bin" } });
      const lines = r.stdout.toString().trim().split("\n");
      expect(lines[0]).toBe(`${venv}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`);
      expect(lines[1]).toBe("venv-python");
      expect(lines[2]).toBe("dev's");
      expect(lines[3]).toBe("/opt/elsewhere/bin:/usr/bin:/bin");
    }
  });

  test("fish activate.isolated sets the same PATH", () => {
    if (!Bun.which("fish")) return console.warn("fish not installed: skipped");
    const venv = mkdtempSync(join(tmpdir(), "dht-iso-"));
    mkdirSync(join(venv, "bin"));
    writeIsolation({ venv, os: "linux" });
    const r = Bun.spawnSync(["fish", "--no-config", "-c", `source ${join(venv, "bin", "activate.isolated.fish")}; echo $PATH[1]; count $PATH`], { env: { PATH: "/opt/x:/usr/bin:/bin", HOME: venv } });
    const [first, count] = r.stdout.toString().trim().split("\n");
    expect(first).toBe(`${venv}/bin`);
    expect(Number(count)).toBe(6);
  });

  test("the PowerShell script sets PATH, VIRTUAL_ENV and config env with quoting", () => {
    const text = activateIsolatedPs1("C:\\p\\.venv", "windows", { NAME: "it's" }, { SystemRoot: "C:\\Windows" });
    expect(text).toContain("$env:PATH = 'C:\\p\\.venv\\Scripts;C:\\Windows\\System32;C:\\Windows;");
    expect(text).toContain("$env:NAME = 'it''s'");
    expect(activateIsolatedSh("/v", {})).toContain("PATH='/v/bin:/usr/local/bin");
    expect(activateIsolatedFish("/v", {})).toContain("set -gx PATH '/v/bin'");
  });
});

describe("dhtl run environment", () => {
  test("venv bin first on PATH, VIRTUAL_ENV set, config env applied, PYTHONHOME dropped", () => {
    const env = venvRunEnv({ venv: "/p/.venv", os: "linux", baseEnv: { PATH: "/usr/bin:/p/.venv/bin", PYTHONHOME: "/x", KEEP: "1" }, configEnv: { APP: "a" }, isolate: false });
    expect(env.PATH).toBe("/p/.venv/bin:/usr/bin");
    expect(env.VIRTUAL_ENV).toBe("/p/.venv");
    expect(env.APP).toBe("a");
    expect(env.KEEP).toBe("1");
    expect(env.PYTHONHOME).toBeUndefined();
  });
  test("with isolation the user's PATH is replaced", () => {
    const env = venvRunEnv({ venv: "/p/.venv", os: "linux", baseEnv: { PATH: "/home/u/bin:/usr/bin" }, isolate: true });
    expect(env.PATH).toBe("/p/.venv/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  });
});
