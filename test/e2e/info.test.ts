import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { dhtl, tempDir } from "../helpers/cli.ts";

const home = tempDir("dhtl-info-home-");
const env = { DHT_HOME: home };
afterAll(() => rmSync(home, { recursive: true, force: true }));

async function infoJson(args: string[] = [], extraEnv: Record<string, string | undefined> = {}) {
  const r = await dhtl(["info", "--json", ...args], { env: { ...env, ...extraEnv } });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe("dhtl info --json on this machine", () => {
  test("reports the build, DHT_HOME and the platform key", async () => {
    const info = await infoJson();
    const version = (await dhtl(["--version"])).stdout.trim();
    expect(version).toBe(`dhtl ${info.dhtl.version} (${info.dhtl.commit} ${info.dhtl.target})`);
    expect(info.dhtHome).toBe(home);
    expect(info.os).toBe("linux");
    expect(info.arch).toBe(process.arch === "arm64" ? "aarch64" : "x86_64");
    expect(info.pythonPlatformKey).toBe(`linux-${info.arch}-${info.libc.family}`);
  });

  test("glibc version agrees with getconf GNU_LIBC_VERSION", async () => {
    const info = await infoJson();
    const getconf = Bun.spawnSync(["getconf", "GNU_LIBC_VERSION"]).stdout.toString().trim();
    expect(`glibc ${info.libc.version}`).toBe(getconf);
    expect(info.libc.family).toBe("gnu");
  });

  test("distro id and version match /etc/os-release", async () => {
    const info = await infoJson();
    const osRelease = readFileSync("/etc/os-release", "utf8");
    const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, "m").exec(osRelease)?.[1];
    expect(info.distro).toMatchObject({ id: field("ID"), versionId: field("VERSION_ID"), source: "/etc/os-release" });
  });

  test("a container with /.dockerenv is reported as docker (and info still works)", async () => {
    const info = await infoJson();
    if (!existsSync("/.dockerenv")) {
      console.warn("skipped the docker assertion: this machine has no /.dockerenv");
      return;
    }
    expect(info.container.kinds).toContain("docker");
    expect(info.container.evidence).toContain("/.dockerenv exists");
  });

  test("package managers are looked up on the PATH dhtl was given", async () => {
    const withPath = await infoJson();
    const known = ["apt", "dnf", "yum", "zypper", "pacman", "apk", "brew", "port", "winget", "choco", "scoop"];
    expect(withPath.packageManagers).toEqual(known.filter((name) => Bun.which(name) !== null));
    const noPath = await infoJson([], { PATH: "" });
    expect(noPath.packageManagers).toEqual([]);
  });

  test("CI is named from the environment", async () => {
    expect((await infoJson([], { CI: "true", GITHUB_ACTIONS: "true" })).container.ci).toEqual({ name: "github-actions" });
    expect((await infoJson([], { CI: undefined })).container.ci).toBeNull();
  });

  test("DHT_LIBC overrides detection and changes the platform key", async () => {
    const info = await infoJson([], { DHT_LIBC: "musl:1.2.4" });
    expect(info.libc).toEqual({ family: "musl", version: "1.2.4", source: "env DHT_LIBC" });
    expect(info.pythonPlatformKey).toBe(`linux-${info.arch}-musl`);
  });

  test("x86-64 level is reported on x86_64 from /proc/cpuinfo", async () => {
    const info = await infoJson();
    if (info.arch !== "x86_64") return;
    expect([1, 2, 3, 4]).toContain(info.x86_64Level);
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))![1]!.split(/\s+/);
    if (flags.includes("avx2") && flags.includes("bmi2") && flags.includes("movbe")) expect(info.x86_64Level).toBeGreaterThanOrEqual(3);
    else expect(info.x86_64Level).toBeLessThanOrEqual(2);
  });
});

describe("dhtl info --path", () => {
  test("defaults to the working directory (--cwd)", async () => {
    const dir = tempDir("dhtl-info-cwd-");
    try {
      const info = await infoJson(["--cwd", dir]);
      expect(info.filesystem).toMatchObject({ path: dir, exists: true, via: "mountinfo" });
      expect(info.filesystem.mountPoint).not.toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a tmpfs path is tmpfs, matching what stat -f says", async () => {
    if (!existsSync("/dev/shm")) return console.warn("skipped: no /dev/shm");
    const statType = Bun.spawnSync(["stat", "-f", "-c", "%T", "/dev/shm"]).stdout.toString().trim();
    const info = await infoJson(["--path", "/dev/shm"]);
    expect(statType).toBe("tmpfs");
    expect(info.filesystem).toMatchObject({ type: "tmpfs", kind: "tmpfs", network: false, mountPoint: "/dev/shm" });
  });

  test("a relative --path resolves against --cwd, and a missing path is reported on its parent's mount", async () => {
    const dir = tempDir("dhtl-info-rel-");
    try {
      mkdirSync(join(dir, "sub"));
      const info = await infoJson(["--cwd", dir, "--path", "sub/not-yet"]);
      expect(info.filesystem).toMatchObject({ path: join(dir, "sub", "not-yet"), exists: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--path without a value is a usage error naming the flag", async () => {
    const r = await dhtl(["info", "--path"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--path needs a value");
  });
});

describe("dhtl info (human)", () => {
  test("prints aligned sections on stdout and nothing on stderr", async () => {
    const r = await dhtl(["info", "--path", "/"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    for (const section of ["dhtl", "System", "Privileges", "Environment", "File system"]) expect(r.stdout).toMatch(new RegExp(`^${section}$`, "m"));
    expect(r.stdout).toMatch(/^ {2}libc +glibc \d+\.\d+$/m);
    expect(r.stdout).toMatch(/^ {2}DHT_HOME +\S/m);
    const columns = new Set(r.stdout.split("\n").filter((l) => l.startsWith("  ")).map((l) => /^ {2}\S.*?\s{2,}(?=\S)/.exec(l)?.[0].length));
    expect(columns.size).toBe(1);
  });

  test("a bad DHT_LIBC stops info with exit 2 naming the variable; --json puts the error on stdout", async () => {
    const r = await dhtl(["info"], { env: { ...env, DHT_LIBC: "uclibc" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DHT_LIBC");
    const j = await dhtl(["info", "--json"], { env: { ...env, DHT_LIBC: "uclibc" } });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.subject).toBe("env DHT_LIBC");
  });
});
