import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  archiveName,
  formatSha256Sums,
  normaliseVersion,
  parseSha256Sums,
  parseVersionLine,
  releaseDirUrl,
} from "../../src/self/release-layout.ts";
import { INSTALLER_MARKER, installerFiles, stripInstallerLines } from "../../src/self/path-setup.ts";
import { checkDhtHomeIsSafe, planUninstall } from "../../src/self/uninstall.ts";
import { renderTemplate, installerValues } from "../../scripts/release.ts";

const A = "a".repeat(64);
const B = "B".repeat(64);

describe("release layout", () => {
  test("archive names: tar.gz for Unix targets, zip for Windows", () => {
    expect(archiveName("linux-arm64-musl")).toBe("dhtl-linux-arm64-musl.tar.gz");
    expect(archiveName("windows-x64")).toBe("dhtl-windows-x64.zip");
  });

  test("release directories are <base>/v<version> or <base>/latest, whatever the slashes and v prefix", () => {
    expect(releaseDirUrl("https://m.example/dhtl/", "v1.2.3")).toBe("https://m.example/dhtl/v1.2.3");
    expect(releaseDirUrl("https://m.example/dhtl", "latest")).toBe("https://m.example/dhtl/latest");
    expect(() => normaliseVersion("1.2")).toThrow('"1.2" is not a release version');
    expect(normaliseVersion(" v1.2.3-rc.1 ")).toBe("1.2.3-rc.1");
  });

  test("SHA256SUMS parses sha256sum text and binary-mode lines, and round-trips sorted", () => {
    const sums = parseSha256Sums(`# comment\n${A}  dhtl-linux-x64.tar.gz\n${B} *dhtl-windows-x64.zip\n\n`);
    expect(sums.get("dhtl-linux-x64.tar.gz")).toBe(A);
    expect(sums.get("dhtl-windows-x64.zip")).toBe(B.toLowerCase());
    expect(formatSha256Sums([["z", A], ["a", A]])).toBe(`${A}  a\n${A}  z\n`);
  });

  test("a malformed SHA256SUMS line is an error naming the line, never skipped", () => {
    expect(() => parseSha256Sums(`${A}  ok\n<html>oops</html>\n`)).toThrow('line 2 is not "<sha256>  <file name>"');
  });

  test("version lines parse into version, commit and target", () => {
    expect(parseVersionLine("dhtl 1.0.0 (abc123-dirty linux-x64)\n")).toEqual({ version: "1.0.0", commit: "abc123-dirty", target: "linux-x64" });
    expect(parseVersionLine("Bun is a fast JavaScript runtime")).toBeUndefined();
  });
});

describe("installer templating", () => {
  test("every placeholder is replaced, and a leftover or missing one is an error", () => {
    const values = installerValues("1.2.3", "https://m.example/dhtl/", `${A}  dhtl-linux-x64.tar.gz\n`);
    const out = renderTemplate("V='__DHTL_VERSION__' B='__DHTL_RELEASE_BASE__' S='__DHTL_SHA256SUMS__'", values, "t.sh");
    expect(out).toBe(`V='1.2.3' B='https://m.example/dhtl' S='${A}  dhtl-linux-x64.tar.gz'`);
    expect(() => renderTemplate("V='__DHTL_VERSION__'", values, "t.sh")).toThrow("t.sh has no __DHTL_RELEASE_BASE__ placeholder");
    expect(() => renderTemplate("__DHTL_VERSION__ __DHTL_RELEASE_BASE__ __DHTL_SHA256SUMS__ __DHTL_OTHER__", values, "t.sh")).toThrow(
      "still contains __DHTL_OTHER__",
    );
  });

  test("a value that could break out of the shell quoting is refused", () => {
    const values = installerValues("1.2.3", "https://m.example/'$(reboot)'", `${A}  x\n`);
    expect(() => renderTemplate("__DHTL_VERSION__ __DHTL_RELEASE_BASE__ __DHTL_SHA256SUMS__", values, "t.sh")).toThrow("contains a quote or $");
  });
});

describe("self uninstall planning", () => {
  const envFile = "/h/.config/dhtl/env";

  test("installer files follow XDG_CONFIG_HOME and ZDOTDIR like install.sh does", () => {
    const f = installerFiles({ XDG_CONFIG_HOME: "/x/cfg", ZDOTDIR: "/z" }, "/h");
    expect(f.envFile).toBe("/x/cfg/dhtl/env");
    expect(f.fishConf).toBe("/x/cfg/fish/conf.d/dhtl.fish");
    expect(f.rcFiles).toContain("/z/.zshrc");
    expect(installerFiles({}, "/h").envFile).toBe(envFile);
  });

  test("only the installer's lines are stripped; the user's own lines stay byte for byte", () => {
    const rc = `export A=1\n[ -f "${envFile}" ] && . "${envFile}" ${INSTALLER_MARKER}\nalias ll='ls -l'\n. "${envFile}"\necho env is nice\n`;
    const { text, removed } = stripInstallerLines(rc, envFile);
    expect(removed).toBe(2);
    expect(text).toBe("export A=1\nalias ll='ls -l'\necho env is nice\n");
  });

  test("the plan lists existing installer files and rc edits, and DHT_HOME only with --all", () => {
    const home = mkdtempSync(join(tmpdir(), "dhtl-plan-"));
    mkdirSync(join(home, ".config", "dhtl"), { recursive: true });
    const env = join(home, ".config", "dhtl", "env");
    writeFileSync(env, "# env\n");
    writeFileSync(join(home, ".profile"), `x\n[ -f "${env}" ] && . "${env}" ${INSTALLER_MARKER}\n`);
    writeFileSync(join(home, ".bashrc"), "nothing of ours\n");
    mkdirSync(join(home, ".dht"));
    const base = { executable: join(home, "bin", "dhtl"), env: {}, home, dhtHome: join(home, ".dht"), windows: false };
    const plan = planUninstall({ ...base, all: false });
    expect(plan.files).toEqual([env]);
    expect(plan.rcEdits).toEqual([{ file: join(home, ".profile"), lines: 1 }]);
    expect(plan.dhtHome).toBeUndefined();
    expect(planUninstall({ ...base, all: true }).dhtHome).toBe(join(home, ".dht"));
  });

  test("--all refuses a DHT_HOME that is a root or home directory", () => {
    expect(() => checkDhtHomeIsSafe("/", "/home/u")).toThrow("refusing to delete /");
    expect(() => checkDhtHomeIsSafe("/home/u", "/home/u")).toThrow("DHT_HOME points at a root or home directory");
    expect(() => checkDhtHomeIsSafe("/home/u/.dht", "/home/u")).not.toThrow();
  });
});
