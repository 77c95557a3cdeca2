import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigSource } from "../../src/config/load.ts";
import { adminCommand, installCommand, needsRefresh, parseInstalled, queryCommand } from "../../src/system/managers.ts";
import { buildSystemPlan, decideMode, systemRequests, type SystemFacts } from "../../src/system/plan.ts";
import { distroCommands, parseAptSimulation, toolDependencies } from "../../src/system/userspace.ts";
import { findTool, globPaths, wrapperScript } from "../../src/system/tools.ts";
import { DhtError } from "../../src/errors.ts";
import { systemFactsFixture } from "../helpers/system-facts.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "..", "fixtures", "system", name), "utf8");

const facts = systemFactsFixture;
const deps = (yaml: string) => loadConfigSource(yaml).config.platform_deps;

describe("package managers: what is installed, read from their real output", () => {
  test("dpkg-query: only 'ii' counts as installed", () => {
    expect([...parseInstalled("apt", ["libpq-dev", "redis-tools", "postgresql-client", "libsnappy-dev"], fixture("dpkg-query.txt"))].sort()).toEqual(["libpq-dev", "redis-tools"]);
    expect(queryCommand("apt", ["x"])).toEqual(["dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\t${Version}\n", "x"]);
  });
  test.each([
    ["dnf", "rpm-q.txt", ["libpq-devel", "redis", "gcc"], ["gcc", "libpq-devel"]],
    ["zypper", "rpm-q.txt", ["libpq-devel", "redis"], ["libpq-devel"]],
    ["apk", "apk-info-e.txt", ["libpq-dev", "build-base", "redis"], ["build-base", "libpq-dev"]],
    ["pacman", "pacman-Q.txt", ["postgresql-libs", "redis"], ["postgresql-libs"]],
    ["brew", "brew-list-versions.txt", ["libpq", "redis"], ["libpq"]],
    ["port", "port-installed.txt", ["postgresql16", "redis"], ["postgresql16"]],
    ["choco", "choco-list.txt", ["postgresql16", "git"], ["postgresql16"]],
    ["scoop", "scoop-list.txt", ["postgresql", "git"], ["postgresql"]],
  ] as const)("%s (%s)", (manager, file, asked, installed) => {
    expect([...parseInstalled(manager, [...asked], fixture(file))].sort()).toEqual([...installed]);
  });
  test("install commands never prompt; the admin line has sudo only for machine-wide managers", () => {
    expect(installCommand("apt", ["a"])).toEqual(["apt-get", "install", "-y", "--no-install-recommends", "a"]);
    expect(installCommand("pacman", ["a"])).toEqual(["pacman", "-S", "--needed", "--noconfirm", "a"]);
    expect(installCommand("winget", ["Git.Git"])).toContain("--accept-package-agreements");
    expect(adminCommand("dnf", ["a"])).toBe("sudo dnf install -y a");
    expect(adminCommand("apk", ["a"], { root: true })).toBe("apk add --no-cache a");
    expect(adminCommand("brew", ["libpq"])).toBe("brew install libpq");
    expect(needsRefresh("apt", "E: Unable to locate package redis-tools")).toBe(true);
    expect(needsRefresh("apt", "E: Could not open lock file")).toBe(false);
  });
});

describe("the route: system manager or user space", () => {
  test("root outside a container: the system manager; passwordless sudo: with sudo -n", () => {
    expect(decideMode(facts(), {})).toMatchObject({ mode: "system", sudo: false });
    expect(decideMode(facts({ privileges: { root: false, passwordlessSudo: true } }), {})).toMatchObject({ mode: "system", sudo: true });
  });
  test("a container means user space unless --system, and the plan says why; WSL is a machine", () => {
    const docker = facts({ container: { kind: "docker", evidence: ["/.dockerenv exists"] } });
    expect(decideMode(docker, {})).toMatchObject({ mode: "userspace" });
    expect(decideMode(docker, {}).why).toContain("inside a container (docker: /.dockerenv exists)");
    expect(decideMode(docker, { system: true }).mode).toBe("system");
    expect(decideMode(facts({ container: { kind: "wsl2", evidence: [] } }), {}).mode).toBe("system");
  });
  test("no root and a sudo that asks: user space; --no-system and offline too", () => {
    expect(decideMode(facts({ privileges: { root: false, passwordlessSudo: false } }), {}).why).toContain("not root");
    expect(decideMode(facts(), { noSystem: true }).mode).toBe("userspace");
    expect(decideMode(facts(), { offline: true }).mode).toBe("userspace");
  });
});

describe("requests from .dhtconfig", () => {
  test("logical names, per OS, raw per manager; an unknown name is exit 2 with a suggestion", () => {
    const r = systemRequests(deps("platform_deps:\n  packages: [postgresql-client]\n  apt: [libcudnn8]\n  linux:\n    packages: [redis]\n    dnf: [valkey]\n  darwin: [git]\n"), "linux");
    expect(r.map((x) => [x.name, x.origin])).toEqual([
      ["postgresql-client", "platform_deps.packages[0]"],
      ["apt:libcudnn8", "platform_deps.apt"],
      ["redis", "platform_deps.linux.packages[0]"],
      ["dnf:valkey", "platform_deps.linux.dnf"],
    ]);
    expect(systemRequests(deps("platform_deps: [postgresql-client, redis]\n"), "darwin").map((x) => x.name)).toEqual(["postgresql-client", "redis"]);
    let err: DhtError | undefined;
    try {
      systemRequests(deps("platform_deps: [postgresql-clinet]\n"), "linux");
    } catch (e) {
      err = e as DhtError;
    }
    expect(err?.code).toBe(2);
    expect(err?.message).toBe('platform_deps.packages[0]: "postgresql-clinet" is not a package dhtl knows');
    expect(err?.hint).toContain("did you mean postgresql-client?");
  });
  test("mapping entries define new names", () => {
    const r = systemRequests(deps("platform_deps:\n  packages: [my-tool]\n  mapping:\n    my-tool: {apt: my-tool-bin, tools: [my-tool]}\n"), "linux");
    expect(r[0]!.entry).toMatchObject({ apt: ["my-tool-bin"], tools: ["my-tool"] });
  });
});

describe("the plan", () => {
  const requests = systemRequests(deps("platform_deps:\n  packages: [postgresql-client, redis, libpq]\n  dnf: [valkey]\n"), "linux");
  test("as root: installed libraries and tools on PATH are skipped; the rest is one apt command", () => {
    const plan = buildSystemPlan({ requests, facts: facts(), flags: {}, installed: { apt: new Set(["libpq-dev"]) }, onPath: { psql: "/usr/bin/psql", pg_dump: "/usr/bin/pg_dump" }, indexUsable: true, platformKey: "linux-x86_64-gnu" });
    expect(plan.items.map((i) => [i.name, i.route])).toEqual([
      ["postgresql-client", "present"],
      ["redis", "system"],
      ["libpq", "present"],
      ["dnf:valkey", "skip"],
    ]);
    expect(plan.commands).toEqual([{ manager: "apt", argv: ["apt-get", "install", "-y", "--no-install-recommends", "redis-server", "redis-tools"], packages: ["redis-server", "redis-tools"] }]);
  });
  test("with passwordless sudo the command runs through sudo -n", () => {
    const plan = buildSystemPlan({ requests, facts: facts({ privileges: { root: false, passwordlessSudo: true } }), flags: {}, installed: {}, onPath: {}, indexUsable: true, platformKey: "linux-x86_64-gnu" });
    expect(plan.commands[0]!.argv.slice(0, 3)).toEqual(["sudo", "-n", "apt-get"]);
  });
  test("user space: sources in order, each with whether it applies; libraries are not for user space", () => {
    const plan = buildSystemPlan({ requests, facts: facts({ privileges: { root: false, passwordlessSudo: false } }), flags: {}, installed: {}, onPath: {}, indexUsable: true, platformKey: "linux-x86_64-gnu" });
    const pg = plan.items[0]!;
    expect(pg.route).toBe("userspace");
    expect(pg.userspace.map((s) => [s.source, s.usable])).toEqual([
      ["index", true],
      ["distro", true],
      ["mirror", false],
      ["source", false],
    ]);
    expect(pg.adminCommand).toBe("sudo apt-get install -y --no-install-recommends postgresql-client");
    expect(plan.items[2]!.userspace).toEqual([expect.objectContaining({ source: "distro", usable: false })]);
    expect(plan.commands).toEqual([]);
  });
  test("Alpine: psql installed but off PATH is present through its post-install step", () => {
    const alpine = facts({ distro: { id: "alpine", versionId: "3.19", like: [] }, packageManagers: ["apk"] });
    const plan = buildSystemPlan({ requests: requests.slice(0, 1), facts: alpine, flags: {}, installed: { apk: new Set(["postgresql-client"]) }, onPath: {}, indexUsable: true, platformKey: "linux-x86_64-musl" });
    expect(plan.items[0]).toMatchObject({ route: "present", postInstall: [{ path: "/usr/libexec/postgresql*", on: "alpine" }] });
  });
  test("Fedora 41 gets valkey for redis; macOS gets Homebrew names", () => {
    const fedora = buildSystemPlan({ requests: requests.slice(1, 2), facts: facts({ distro: { id: "fedora", versionId: "41", like: [] }, packageManagers: ["dnf"] }), flags: {}, installed: {}, onPath: {}, indexUsable: false, platformKey: "linux-x86_64-gnu" });
    expect(fedora.commands[0]!.argv).toEqual(["dnf", "install", "-y", "valkey", "valkey-compat-redis"]);
    const mac = buildSystemPlan({ requests: requests.slice(0, 1), facts: facts({ os: "darwin", distro: { id: "macos", versionId: "14.5", like: [] }, packageManagers: ["brew"], privileges: { root: false, passwordlessSudo: false } }), flags: {}, installed: {}, onPath: {}, indexUsable: true, platformKey: "darwin-aarch64-none" });
    expect(mac.items[0]).toMatchObject({ manager: "brew", packages: ["libpq"], adminCommand: "brew install libpq" });
  });
});

describe("the distro route's commands and outputs", () => {
  test("apt's simulation gives the closure of what is missing, native architecture only", () => {
    expect(parseAptSimulation(fixture("apt-get-simulate.txt"))).toContain("libsnappy-dev");
    expect(parseAptSimulation("Inst a (1 Debian:12 [amd64])\nInst b [1] (2 Debian:12 [amd64])\nConf a (1)\n")).toEqual(["a"]);
  });
  test("a metapackage's direct dependencies that hold tools (not libraries, base packages or other architectures)", () => {
    expect(toolDependencies(fixture("apt-cache-depends.txt"))).toEqual(["postgresql-client-15", "redis-tools"]);
  });
  test("dnf download + rpm2cpio, apk fetch + tar", () => {
    expect(distroCommands("dnf", ["postgresql"], "/d")!.download).toEqual(["dnf", "download", "--resolve", "--destdir", "/d", "postgresql"]);
    expect(distroCommands("apk", ["redis"], "/d")!.download).toEqual(["apk", "fetch", "-R", "-o", "/d", "redis"]);
    expect(distroCommands("apk", ["redis"], "/d")!.unpack("/d/x.apk", "/p").slice(0, 5)).toEqual(["tar", "-xzf", "/d/x.apk", "-C", "/p"]);
    expect(distroCommands("brew", ["x"], "/d")).toBeUndefined();
  });
});

describe("tools in a payload", () => {
  test("the native binary wins over a same-named script (Debian's psql wrapper)", () => {
    const { mkdtempSync, mkdirSync, writeFileSync, chmodSync, copyFileSync } = require("node:fs");
    const root = mkdtempSync(join(require("node:os").tmpdir(), "payload-"));
    mkdirSync(join(root, "usr/bin"), { recursive: true });
    mkdirSync(join(root, "usr/lib/postgresql/15/bin"), { recursive: true });
    writeFileSync(join(root, "usr/bin/psql"), "#!/usr/bin/perl\n");
    chmodSync(join(root, "usr/bin/psql"), 0o755);
    copyFileSync(process.execPath, join(root, "usr/lib/postgresql/15/bin/psql"));
    chmodSync(join(root, "usr/lib/postgresql/15/bin/psql"), 0o755);
    expect(findTool(root, "psql")).toBe(join(root, "usr/lib/postgresql/15/bin/psql"));
    expect(findTool(root, "psql", "usr/bin")).toBe(join(root, "usr/bin/psql"));
    expect(globPaths(root, "usr/lib/postgresql/*/bin")).toEqual([join(root, "usr/lib/postgresql/15/bin")]);
  });
  test("wrappers exec the binary with the payload's libraries found", () => {
    const w = wrapperScript("/h/psql", ["/h/lib a"], "psql");
    expect(w).toContain("LD_LIBRARY_PATH='/h/lib a'${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}");
    expect(w).toContain(`exec '/h/psql' "$@"`);
  });
});
