import { afterAll, describe, expect, test } from "bun:test";
import {
  detectDistro,
  distroFromDebianVersion,
  distroFromMacPlist,
  distroFromRedhatRelease,
  distroFromWindowsKernel,
  parseOsRelease,
} from "../../src/platform/distro.ts";
import { fixtureText, makeRoot, removeRoots } from "../fixtures/platform/roots.ts";

afterAll(removeRoots);

const osRelease = (name: string) => fixtureText(`os-release/${name}`);

describe("os-release parsing", () => {
  const cases: Array<[fixture: string, id: string, versionId: string, like: string[], name: string, codename?: string]> = [
    ["debian-11", "debian", "11", [], "Debian GNU/Linux 11 (bullseye)", "bullseye"],
    ["debian-12", "debian", "12", [], "Debian GNU/Linux 12 (bookworm)", "bookworm"],
    ["ubuntu-20.04", "ubuntu", "20.04", ["debian"], "Ubuntu 20.04.6 LTS", "focal"],
    ["ubuntu-22.04", "ubuntu", "22.04", ["debian"], "Ubuntu 22.04.4 LTS", "jammy"],
    ["ubuntu-24.04", "ubuntu", "24.04", ["debian"], "Ubuntu 24.04.1 LTS", "noble"],
    ["fedora-40", "fedora", "40", [], "Fedora Linux 40 (Container Image)", undefined],
    ["arch", "arch", "", [], "Arch Linux", undefined],
    ["alpine-3.19", "alpine", "3.19.1", [], "Alpine Linux v3.19", undefined],
    ["rhel-8", "rhel", "8.9", ["fedora"], "Red Hat Enterprise Linux 8.9 (Ootpa)", undefined],
    ["opensuse-leap-15.5", "opensuse-leap", "15.5", ["suse", "opensuse"], "openSUSE Leap 15.5", undefined],
  ];
  for (const [fixture, id, versionId, like, name, codename] of cases) {
    test(`${fixture} is read from /etc/os-release as ${id} ${versionId || "(rolling)"}`, async () => {
      const root = makeRoot({ "/etc/os-release": osRelease(fixture) });
      const d = await detectDistro(root, "linux", "6.1.0");
      expect(d).toMatchObject({ id, versionId, like, name, source: "/etc/os-release" });
      expect(d?.codename).toBe(codename);
    });
  }

  test("quoted values lose their quotes and backslash escapes; comments and junk lines are ignored", () => {
    const f = parseOsRelease('# comment\nNAME="A \\"quoted\\" \\$name"\nID=\'single\'\nnot a pair\n9BAD=x\nEMPTY=\n');
    expect(f).toEqual({ NAME: 'A "quoted" $name', ID: "single", EMPTY: "" });
  });
});

describe("distro fallbacks", () => {
  test("/usr/lib/os-release is used when /etc/os-release is absent", async () => {
    const root = makeRoot({ "/usr/lib/os-release": osRelease("ubuntu-22.04") });
    expect(await detectDistro(root, "linux", "5.15")).toMatchObject({ id: "ubuntu", versionId: "22.04", source: "/usr/lib/os-release" });
  });

  test("/etc/os-release wins over /usr/lib/os-release and legacy files", async () => {
    const root = makeRoot({
      "/etc/os-release": osRelease("debian-12"),
      "/usr/lib/os-release": osRelease("ubuntu-22.04"),
      "/etc/debian_version": "12.5\n",
    });
    expect((await detectDistro(root, "linux", "6.1"))?.id).toBe("debian");
  });

  test("CentOS 7 without os-release is recognised from /etc/redhat-release", async () => {
    const root = makeRoot({ "/etc/redhat-release": fixtureText("legacy-release/centos-7-redhat-release") });
    expect(await detectDistro(root, "linux", "3.10")).toMatchObject({ id: "centos", versionId: "7.9", like: ["rhel", "fedora"], source: "/etc/redhat-release" });
  });

  test("RHEL 6's redhat-release maps to id rhel", () => {
    expect(distroFromRedhatRelease(fixtureText("legacy-release/rhel-6-redhat-release"), "f")).toMatchObject({ id: "rhel", versionId: "6.10" });
  });

  test("/etc/alpine-release gives alpine major.minor", async () => {
    const root = makeRoot({ "/etc/alpine-release": fixtureText("legacy-release/alpine-release") });
    expect(await detectDistro(root, "linux", "5.10")).toMatchObject({ id: "alpine", versionId: "3.12" });
  });

  test("/etc/lsb-release is used before /etc/debian_version (Ubuntu ships both)", async () => {
    const root = makeRoot({
      "/etc/lsb-release": fixtureText("legacy-release/lsb-release-ubuntu-18.04"),
      "/etc/debian_version": "buster/sid\n",
    });
    expect(await detectDistro(root, "linux", "4.15")).toMatchObject({ id: "ubuntu", versionId: "18.04", codename: "bionic", name: "Ubuntu 18.04.6 LTS" });
  });

  test("/etc/debian_version: numeric gives the major, testing gives a codename and no version", async () => {
    const root = makeRoot({ "/etc/debian_version": fixtureText("legacy-release/debian_version-10") });
    expect(await detectDistro(root, "linux", "4.19")).toMatchObject({ id: "debian", versionId: "10" });
    expect(distroFromDebianVersion(fixtureText("legacy-release/debian_version-testing"), "f")).toMatchObject({ versionId: "", codename: "trixie" });
  });

  test("no release files at all gives no distro", async () => {
    expect(await detectDistro(makeRoot({ "/etc/hostname": "x" }), "linux", "6.1")).toBeUndefined();
  });

  test("macOS version comes from SystemVersion.plist", async () => {
    const root = makeRoot({ "/System/Library/CoreServices/SystemVersion.plist": fixtureText("darwin/SystemVersion.plist") });
    expect(await detectDistro(root, "darwin", "23.5.0")).toMatchObject({ id: "macos", versionId: "14.5", name: "macOS 14.5" });
    expect(distroFromMacPlist("<plist/>", "f")).toBeUndefined();
  });

  test("Windows build 22000 and later is Windows 11, earlier 10.0 builds are Windows 10", () => {
    expect(distroFromWindowsKernel("10.0.22631")).toMatchObject({ id: "windows", versionId: "11" });
    expect(distroFromWindowsKernel("10.0.19045")).toMatchObject({ id: "windows", versionId: "10" });
  });
});
