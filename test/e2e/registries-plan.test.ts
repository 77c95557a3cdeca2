/**
 * What the user sees, through the compiled dhtl: `dhtl setup --dry-run --json` shows the
 * indexes found in pip.conf, the environment and the requirements file, each with its
 * origin, and never a password; an unreadable requirements line stops with exit 2 naming
 * file:line.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dhtl, tempDir } from "../helpers/cli.ts";

function project(requirements: string) {
  const root = tempDir("dhtl-reg-plan-");
  writeFileSync(join(root, "requirements.txt"), requirements);
  const pipConf = join(tempDir("dhtl-reg-pipconf-"), "pip.conf");
  writeFileSync(pipConf, "[global]\nindex-url = https://mirror.corp.example/simple\ntrusted-host = mirror.corp.example\n");
  const home = tempDir("dhtl-reg-home-");
  return { root, pipConf, env: { HOME: home, DHT_HOME: join(home, ".dht"), PIP_CONFIG_FILE: pipConf, UV_NO_CONFIG: "1" } };
}

describe("registries in the setup plan (compiled dhtl)", () => {
  test("index from pip.conf, extra indexes from the environment and the requirements file, each with its origin; the password is redacted everywhere", async () => {
    const p = project("six\n--extra-index-url https://download.pytorch.org/whl/cpu\n");
    const secret = "SuperSecret-4242";
    const r = await dhtl(["setup", "--dry-run", "--json"], { cwd: p.root, env: { ...p.env, PIP_EXTRA_INDEX_URL: `https://bob:${secret}@pkgs.corp.example/simple` } });
    expect(r.code, r.stderr).toBe(0);
    const reg = JSON.parse(r.stdout).plan.registries;
    expect(reg.indexUrl).toBe("https://mirror.corp.example/simple");
    expect(reg.origins.indexUrl).toBe(`${p.pipConf}:2`);
    expect(reg.extraIndexUrls).toEqual(["https://***@pkgs.corp.example/simple", "https://download.pytorch.org/whl/cpu"]);
    expect(reg.origins["extraIndexUrls.0"]).toBe("env PIP_EXTRA_INDEX_URL");
    expect(reg.origins["extraIndexUrls.1"]).toBe("requirements.txt:2");
    expect(reg.trustedHosts).toEqual(["mirror.corp.example"]);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stdout + r.stderr).not.toContain("bob:");
  }, 60_000);

  test("an unreadable requirements line stops setup with exit 2 naming requirements.txt:line", async () => {
    const p = project("six\nflask>=\n");
    const r = await dhtl(["setup", "--dry-run"], { cwd: p.root, env: p.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('requirements.txt:2: invalid requirement "flask>="');
  }, 60_000);
});
