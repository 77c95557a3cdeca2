/**
 * Tests that use this machine's PyPI access (marked "[pypi]"): build failures and binary
 * swaps need real sdists and wheels that are not in the local wheel directory.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { repoRoot } from "../helpers/cli.ts";
import { copyTree, seededHome, writeProject, pyenvBin } from "../helpers/setup-project.ts";

const project = (dep: string) =>
  writeProject({ ".python-version": "3.11\n", "pyproject.toml": `[project]\nname = "p"\nversion = "0.1.0"\ndependencies = ["${dep}"]\n` });

function pypiEnv(home: string): Record<string, string> {
  return {
    DHT_HOME: home,
    PATH: [pyenvBin("3.11")!, "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    PIP_CONFIG_FILE: "/dev/null",
    UV_NO_CONFIG: "1",
    // The machine's own TLS trust settings, as a user's shell would have them.
    ...Object.fromEntries(["SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS"].filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
  };
}

describe("[pypi] the README's main command", () => {
  test("[pypi] dhtl setup of examples/hello-project with an empty DHT_HOME: uv from PyPI, Python from the machine, tests pass", async () => {
    const project = copyTree(join(repoRoot, "examples", "hello-project"));
    const home = mkdtempSync(join(tmpdir(), "dht-home-"));
    const env = { ...pypiEnv(home), PATH: `${[pyenvBin("3.12"), pyenvBin("3.11")].filter(Boolean).join(":")}:/usr/local/bin:/usr/bin:/bin` };
    const r = await dhtl(["setup", "--cwd", project], { env, timeoutMs: 240_000 });
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/uv 0\.13\.9: index/);
    expect(r.stdout).toContain("Ready:");
    const tests = await dhtl(["test", "--cwd", project], { env });
    expect(tests.code).toBe(0);
    expect(tests.stdout).toContain("2 passed");
  }, 300_000);
});

describe("[pypi] install failures and binary alternatives", () => {
  test("[pypi] a package that cannot build names itself and the system packages that let it build (exit 1)", async () => {
    const p = project("mysqlclient==2.2.7");
    const r = await dhtl(["setup", "--cwd", p], { env: pypiEnv(seededHome()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: installing mysqlclient 2.2.7 failed");
    expect(r.stderr).toMatch(/pkg-config/);
    expect(r.stderr).toMatch(/apt-get install -y [^\n]*libmysqlclient-dev|apt: [^\n]*libmysqlclient-dev/);
  }, 120_000);

  test("[pypi] --prefer-binary swaps psycopg2 for psycopg2-binary, says so, and the import works", async () => {
    const p = project("psycopg2>=2.9");
    const env = pypiEnv(seededHome());
    const dry = JSON.parse((await dhtl(["setup", "--dry-run", "--json", "--prefer-binary", "--cwd", p], { env })).stdout);
    expect(dry.plan.swaps[0].from).toBe("psycopg2>=2.9");
    expect(dry.plan.swaps[0].to).toMatch(/^psycopg2-binary/);
    expect(dry.plan.commands.find((c: { step: string }) => c.step === "install-dependencies").argv.join(" ")).toContain("psycopg2-binary");
    const r = await dhtl(["setup", "--prefer-binary", "--cwd", p], { env });
    expect(r.code).toBe(0);
    const check = Bun.spawnSync([join(p, ".venv", "bin", "python"), "-c", "import importlib.metadata as m, psycopg2; print(m.version('psycopg2-binary'))"]);
    expect(check.exitCode).toBe(0);
  }, 180_000);

  test("[pypi] --prefer-binary is applied for a requirements file: psycopg2-binary installed, psycopg2 never built", async () => {
    const p = writeProject({ ".python-version": "3.11\n", "requirements.txt": "psycopg2>=2.9\nsix\n" });
    const env = pypiEnv(seededHome());
    const r = await dhtl(["setup", "--prefer-binary", "--cwd", p], { env });
    expect(r.stderr).not.toContain("could not be built");
    expect(r.code).toBe(0);
    const check = Bun.spawnSync([join(p, ".venv", "bin", "python"), "-c", "import importlib.metadata as m, psycopg2\ntry:\n  m.version('psycopg2'); print('source')\nexcept m.PackageNotFoundError: print(m.version('psycopg2-binary'))"]);
    expect(check.exitCode).toBe(0);
    expect(check.stdout.toString()).not.toContain("source");
  }, 240_000);

  test("[pypi] --prefer-binary for a package's own dependency: the verify step does not rebuild psycopg2 from source", async () => {
    const p = writeProject({
      ".python-version": "3.11\n",
      "pyproject.toml": `[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "p"\nversion = "0.1.0"\ndependencies = ["psycopg2>=2.9"]\n[tool.setuptools]\npy-modules = []\n`,
    });
    const env = pypiEnv(seededHome());
    const r = await dhtl(["setup", "--prefer-binary", "--cwd", p], { env });
    expect(r.stderr).not.toContain("recommend");
    expect(r.stderr).not.toContain("could not be built");
    expect(r.code).toBe(0);
    const check = Bun.spawnSync([join(p, ".venv", "bin", "python"), "-c", "import importlib.metadata as m, psycopg2; print(m.version('psycopg2-binary'))"]);
    expect(check.exitCode).toBe(0);
  }, 240_000);
});
