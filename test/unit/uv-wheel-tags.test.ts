import { describe, expect, test } from "bun:test";
import { compatibleUvVersion, indexFromEnv, parseUvVersion } from "../../src/uv/ensure.ts";
import { parseWheelName, pickWheel, platformTagScore, type WheelTarget } from "../../src/uv/wheel-tags.ts";

// The file names of uv 0.13.9 on PyPI, as its simple index lists them.
const uvFiles = [
  "uv-0.13.9-py3-none-linux_armv6l.whl",
  "uv-0.13.9-py3-none-macosx_10_12_x86_64.whl",
  "uv-0.13.9-py3-none-macosx_11_0_arm64.whl",
  "uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl",
  "uv-0.13.9-py3-none-manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l.whl",
  "uv-0.13.9-py3-none-manylinux_2_17_armv7l.manylinux2014_armv7l.whl",
  "uv-0.13.9-py3-none-manylinux_2_17_i686.manylinux2014_i686.whl",
  "uv-0.13.9-py3-none-manylinux_2_17_ppc64le.manylinux2014_ppc64le.whl",
  "uv-0.13.9-py3-none-manylinux_2_17_s390x.manylinux2014_s390x.whl",
  "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  "uv-0.13.9-py3-none-manylinux_2_28_aarch64.whl",
  "uv-0.13.9-py3-none-manylinux_2_31_riscv64.musllinux_1_1_riscv64.whl",
  "uv-0.13.9-py3-none-manylinux_2_31_riscv64.whl",
  "uv-0.13.9-py3-none-musllinux_1_1_i686.whl",
  "uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl",
  "uv-0.13.9-py3-none-win32.whl",
  "uv-0.13.9-py3-none-win_amd64.whl",
  "uv-0.13.9-py3-none-win_arm64.whl",
  "uv-0.13.9.tar.gz",
].map((filename) => ({ filename }));

const t = (os: WheelTarget["os"], arch: WheelTarget["arch"], family: WheelTarget["libc"]["family"], version?: string): WheelTarget => ({ os, arch, libc: { family, version } });

describe("uv wheel choice by platform tag", () => {
  test("glibc x86_64 takes the manylinux wheel", () => expect(pickWheel(uvFiles, t("linux", "x86_64", "gnu", "2.36"))!.filename).toContain("manylinux_2_17_x86_64"));
  test("glibc aarch64 takes the newest manylinux the glibc allows", () => {
    expect(pickWheel(uvFiles, t("linux", "aarch64", "gnu", "2.36"))!.filename).toBe("uv-0.13.9-py3-none-manylinux_2_28_aarch64.whl");
    expect(pickWheel(uvFiles, t("linux", "aarch64", "gnu", "2.17"))!.filename).toContain("manylinux_2_17_aarch64");
  });
  test("glibc older than every manylinux tag gets nothing", () => expect(pickWheel(uvFiles, t("linux", "x86_64", "gnu", "2.12"))).toBeUndefined());
  test("musl takes musllinux", () => {
    expect(pickWheel(uvFiles, t("linux", "x86_64", "musl", "1.2.4"))!.filename).toBe("uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl");
    expect(pickWheel(uvFiles, t("linux", "aarch64", "musl"))!.filename).toContain("musllinux_1_1_aarch64");
  });
  test("macOS and Windows by architecture", () => {
    expect(pickWheel(uvFiles, t("darwin", "aarch64", "none"))!.filename).toContain("macosx_11_0_arm64");
    expect(pickWheel(uvFiles, { ...t("darwin", "x86_64", "none"), macosVersion: "10.15" })!.filename).toContain("macosx_10_12_x86_64");
    expect(pickWheel(uvFiles, t("windows", "x86_64", "none"))!.filename).toContain("win_amd64");
    expect(pickWheel(uvFiles, t("windows", "aarch64", "none"))!.filename).toContain("win_arm64");
  });
  test("tag details", () => {
    expect(platformTagScore("universal2", t("darwin", "aarch64", "none"))).toBeUndefined();
    expect(platformTagScore("macosx_11_0_universal2", t("darwin", "aarch64", "none"))).toBeDefined();
    expect(platformTagScore("manylinux1_x86_64", t("linux", "x86_64", "gnu", "2.5"))).toBeDefined();
    expect(platformTagScore("manylinux_2_17_x86_64", t("linux", "x86_64", "musl"))).toBeUndefined();
    expect(parseWheelName("uv-0.13.9-1-py3-none-any.whl")).toMatchObject({ name: "uv", version: "0.13.9", build: "1", platforms: ["any"] });
    expect(parseWheelName("uv-0.13.9.tar.gz")).toBeUndefined();
  });
});

describe("uv version checks", () => {
  test("parses `uv --version` and accepts the same minor or newer", () => {
    expect(parseUvVersion("uv 0.13.9 (0a1b2c3 2026-01-01)\n")).toBe("0.13.9");
    expect(compatibleUvVersion("0.13.2", "0.13.9")).toBe(true);
    expect(compatibleUvVersion("0.14.0", "0.13.9")).toBe(true);
    expect(compatibleUvVersion("0.12.5", "0.13.9")).toBe(false);
  });
  test("index from the environment: UV_DEFAULT_INDEX, UV_INDEX_URL, PIP_INDEX_URL, then PyPI", () => {
    expect(indexFromEnv({})).toBe("https://pypi.org/simple");
    expect(indexFromEnv({ PIP_INDEX_URL: "http://p/simple" })).toBe("http://p/simple");
    expect(indexFromEnv({ PIP_INDEX_URL: "http://p/simple", UV_INDEX_URL: "http://u/simple" })).toBe("http://u/simple");
  });
});
