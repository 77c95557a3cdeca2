import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { distroFromOsRelease, parseOsRelease } from "../../src/platform/distro.ts";
import { BUILTIN_MAPPING, buildDepsOf, MANAGERS, mergeMapping, namesFor, postInstallFor, selectorRank, type MappingTarget } from "../../src/system/mapping.ts";
import { buildFailureAdvice, buildPackagesFor } from "../../src/packages/binary-alternatives.ts";
import table from "../../src/data/system-packages.json" with { type: "json" };

const fixtures = join(import.meta.dir, "..", "fixtures");
/** The target as dhtl sees it on that distribution: parsed from a real os-release file. */
const target = (file: string): MappingTarget => {
  const d = distroFromOsRelease(parseOsRelease(readFileSync(join(fixtures, "platform", "os-release", file), "utf8")), "/etc/os-release")!;
  return { os: "linux", id: d.id, versionId: d.versionId, like: d.like };
};
const names = (name: string, manager: (typeof MANAGERS)[number], t: MappingTarget) => namesFor(BUILTIN_MAPPING[name]!, manager, t);

describe("selectors: exact version, then patterns, then the distribution, then its families", () => {
  const ubuntu = target("ubuntu-22.04");
  test("ranks", () => {
    expect(selectorRank("ubuntu:22.04", ubuntu)).toBe(0);
    expect(selectorRank("ubuntu:22.*", ubuntu)).toBe(1);
    expect(selectorRank("ubuntu", ubuntu)).toBe(2);
    expect(selectorRank("debian", ubuntu)).toBe(3);
    expect(selectorRank("linux", ubuntu)).toBe(20);
    expect(selectorRank("ubuntu:24.04", ubuntu)).toBeUndefined();
    expect(selectorRank("fedora", ubuntu)).toBeUndefined();
    expect(selectorRank("rhel", target("rocky-9.5"))).toBe(3);
    expect(selectorRank("fedora", target("rocky-9.5"))).toBe(5);
  });
  test("the most specific entry wins, per manager", () => {
    const entry = { apt: ["a-default"], on: { debian: { apt: ["a-family"] }, ubuntu: { apt: ["a-ubuntu"] }, "ubuntu:2*": { apt: ["a-pattern"] }, "ubuntu:22.04": { apt: ["a-exact"] } } };
    expect(namesFor(entry, "apt", target("ubuntu-22.04"))).toEqual({ packages: ["a-exact"], via: 'on["ubuntu:22.04"].apt' });
    expect(namesFor(entry, "apt", target("ubuntu-24.04"))!.packages).toEqual(["a-pattern"]);
    expect(namesFor(entry, "apt", target("debian-12"))!.packages).toEqual(["a-family"]);
    expect(namesFor({ apt: ["x"] }, "apt", target("debian-12"))).toEqual({ packages: ["x"], via: "apt" });
  });
  test("yum and microdnf use the dnf names unless they have their own", () => {
    expect(names("libpq", "yum", target("rhel-8"))).toEqual({ packages: ["postgresql-devel"], via: "yum" });
    expect(names("libxml2", "yum", target("rhel-8"))).toEqual({ packages: ["libxml2-devel"], via: "dnf (for yum)" });
    expect(names("libxml2", "microdnf", target("rhel-8"))!.packages).toEqual(["libxml2-devel"]);
  });
});

describe("the built-in table, resolved from real os-release files", () => {
  test.each([
    ["debian-12", "apt", "postgresql-client", ["postgresql-client"]],
    ["ubuntu-20.04", "apt", "freetype", ["libfreetype6-dev"]],
    ["ubuntu-22.04", "apt", "freetype", ["libfreetype-dev"]],
    ["ubuntu-24.04", "apt", "redis", ["redis-server", "redis-tools"]],
    ["fedora-40", "dnf", "redis", ["redis"]],
    ["fedora-41", "dnf", "redis", ["valkey", "valkey-compat-redis"]],
    ["rocky-9.5", "dnf", "libpq", ["libpq-devel"]],
    ["rhel-8", "dnf", "mysql-client", ["mariadb-connector-c-devel"]],
    ["opensuse-leap-15.5", "zypper", "openssl", ["libopenssl-devel"]],
    ["alpine-3.19", "apk", "c-compiler", ["build-base"]],
    ["alpine-3.19", "apk", "ninja", ["samurai"]],
    ["arch", "pacman", "redis", ["valkey"]],
    ["arch", "pacman", "postgresql-client", ["postgresql-libs"]],
  ] as const)("%s %s %s", (file, manager, name, expected) => {
    expect(names(name, manager, target(file))!.packages).toEqual([...expected]);
  });
  test("macOS and Windows managers", () => {
    const mac: MappingTarget = { os: "darwin", id: "macos", versionId: "14.5" };
    const win: MappingTarget = { os: "windows", id: "windows", versionId: "11" };
    expect(names("postgresql-client", "brew", mac)!.packages).toEqual(["libpq"]);
    expect(names("postgresql-client", "port", mac)!.packages).toEqual(["postgresql16"]);
    expect(names("git", "winget", win)!.packages).toEqual(["Git.Git"]);
    expect(names("nodejs", "choco", win)!.packages).toEqual(["nodejs-lts"]);
    expect(names("cmake", "scoop", win)!.packages).toEqual(["cmake"]);
    expect(names("libpq", "winget", win)).toBeUndefined();
  });
  test("post-install steps: Alpine's psql off PATH, Homebrew's keg-only libpq", () => {
    const pg = BUILTIN_MAPPING["postgresql-client"]!;
    expect(postInstallFor(pg, "apk", target("alpine-3.19")).map((s) => s.path)).toEqual(["/usr/libexec/postgresql*"]);
    expect(postInstallFor(pg, "apt", target("debian-12"))).toEqual([]);
    expect(postInstallFor(pg, "brew", { os: "darwin", id: "macos" }).map((s) => s.path)).toEqual(["/opt/homebrew/opt/libpq/bin", "/usr/local/opt/libpq/bin"]);
  });
  test("covers the tools and libraries the issue names, with names for every Linux family and Homebrew", () => {
    const wanted = ["postgresql-client", "redis", "nodejs", "git", "libpq", "libxml2", "libxslt", "libffi", "openssl", "zlib", "libjpeg", "freetype", "cairo", "geos", "proj", "gdal", "hdf5", "blas-lapack", "unixodbc", "mysql-client", "c-compiler", "make", "pkg-config", "rust"];
    for (const name of wanted) {
      const e = BUILTIN_MAPPING[name];
      expect(e, name).toBeDefined();
      for (const m of ["apt", "dnf", "zypper", "apk", "pacman", "brew"] as const) expect(Array.isArray(e![m]), `${name} ${m}`).toBe(true);
    }
  });
  test("every entry's keys are managers or known fields; every buildDeps row names entries of the table", () => {
    const fields = new Set(["description", "kind", "tools", "check", "on", "post_install", "userspace", ...MANAGERS]);
    for (const [name, e] of Object.entries(BUILTIN_MAPPING)) for (const k of Object.keys(e)) expect(fields.has(k), `${name}.${k}`).toBe(true);
    for (const [row, logical] of Object.entries(table.buildDeps)) {
      if (row.startsWith("$")) continue;
      for (const l of logical as string[]) expect(BUILTIN_MAPPING[l], `${row} → ${l}`).toBeDefined();
    }
    expect(buildDepsOf("psycopg2")).toEqual(["libpq"]);
  });
});

describe("a project's mapping extends and overrides the built-in one", () => {
  test("new entries, and fields and selectors laid over existing ones", () => {
    const merged = mergeMapping(BUILTIN_MAPPING, { "my-tool": { apt: ["my-tool-bin"], tools: ["my-tool"] }, redis: { apt: ["redis"], on: { "debian:12": { apt: ["redis-server"] } } } });
    expect(merged["my-tool"]!.apt).toEqual(["my-tool-bin"]);
    expect(namesFor(merged.redis!, "apt", target("ubuntu-22.04"))!.packages).toEqual(["redis"]);
    expect(namesFor(merged.redis!, "apt", target("debian-12"))!.packages).toEqual(["redis-server"]);
    expect(namesFor(merged.redis!, "dnf", target("fedora-41"))!.packages).toEqual(["valkey", "valkey-compat-redis"]);
    expect(BUILTIN_MAPPING.redis!.apt).toEqual(["redis-server", "redis-tools"]);
  });
});

describe("the build-failure advice reads the same table", () => {
  test("names per distribution come from the one mapping (Ubuntu 20.04's freetype name for a matplotlib-style row)", () => {
    expect(buildPackagesFor(["pillow"], "apt", { os: "linux" })).toEqual(["libjpeg-dev", "zlib1g-dev"]);
    expect(buildPackagesFor(["h5py"], "apk", { os: "linux" })).toEqual(["hdf5-dev", "pkgconf"]);
    expect(buildPackagesFor(["psycopg2"], "yum", { os: "linux", distro: { id: "centos", versionId: "7", like: ["rhel", "fedora"] } })).toEqual(["postgresql-devel"]);
  });
  test("advice for a failed build uses the distribution's names", () => {
    const log = "  × Failed to build `shapely==2.0.1`\n  error: geos_c.h: No such file or directory";
    const a = buildFailureAdvice(log, { os: "linux", packageManagers: ["dnf"], root: true })!;
    expect(a.systemPackages).toEqual({ manager: "dnf", packages: ["geos-devel"], command: "dnf install -y geos-devel" });
  });
});
