/**
 * install.ps1 cannot run here (no PowerShell on Linux CI; see docs/install.md): it is
 * parsed with the tree-sitter PowerShell grammar, and the rules that keep it safe are
 * checked on its text. Behaviour tests belong on a Windows runner.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lintPs1Source } from "../../scripts/lint-ps1.ts";
import { installerValues, renderTemplate } from "../../scripts/release.ts";

const root = join(import.meta.dir, "..", "..");
const template = readFileSync(join(root, "install.ps1"), "utf8");
const released = renderTemplate(template, installerValues("1.2.3", "https://m.example/dhtl", `${"a".repeat(64)}  dhtl-windows-x64.zip\n`), "install.ps1");
/** The script without comment lines, so rules match code only. */
const code = (text: string) => text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");

describe("install.ps1", () => {
  test("parses without errors, as the template and as released", async () => {
    expect(await lintPs1Source(template)).toEqual([]);
    expect(await lintPs1Source(released)).toEqual([]);
  });

  test("the syntax check does fail on broken PowerShell, with line and column", async () => {
    const broken = released.replace("if (-not $InstallDir) {", "if (-not $InstallDir {");
    const problems = await lintPs1Source(broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.line).toBeGreaterThan(1);
  });

  test("never calls exit (it would close the window of an `irm | iex` user)", () => {
    // `exit` as a statement: at the start of a line or after ; { or |
    expect(code(template)).not.toMatch(/(^|[;{|])\s*exit\b/im);
    expect("  exit 1").toMatch(/(^|[;{|])\s*exit\b/im);
  });

  test("stops on the first failing cmdlet inside the installer function only", () => {
    expect(code(template)).toMatch(/function Install-Dhtl \{\n\s+param\([^)]*\)\n(\s*#.*\n)?\s+\$ErrorActionPreference = 'Stop'/);
  });

  test("verifies with Get-FileHash, forces TLS 1.2 and can use the system or HTTPS_PROXY proxy", () => {
    const c = code(template);
    expect(c).toContain("Get-FileHash -Algorithm SHA256");
    expect(c).toContain("[Net.SecurityProtocolType]::Tls12");
    expect(c).toContain("$env:HTTPS_PROXY");
    expect(c).toContain("[Net.WebRequest]::DefaultWebProxy");
  });

  test("edits the user PATH in the registry unexpanded, kept as REG_EXPAND_SZ", () => {
    const c = code(template);
    expect(c).toContain("[Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames");
    expect(c).toContain("[Microsoft.Win32.RegistryValueKind]::ExpandString");
    expect(c).not.toMatch(/SetEnvironmentVariable\(\s*'Path'/i);
  });

  test("handles both architectures and a locked running exe (renamed to .old)", () => {
    const c = code(template);
    expect(c).toContain("'windows-arm64'");
    expect(c).toContain("'windows-x64'");
    expect(c).toMatch(/Move-Item -LiteralPath \$exe -Destination \$old/);
  });

  test("takes the same options as install.sh, as parameters and environment variables", () => {
    for (const name of ["DHTL_INSTALL_DIR", "DHTL_VERSION", "DHTL_DOWNLOAD_URL", "DHTL_NO_MODIFY_PATH", "$Archive"]) expect(template).toContain(name);
  });

  test("a release writes its version, base URL and checksums in", () => {
    expect(released).toContain("$BakedVersion = '1.2.3'");
    expect(released).toContain("$BakedBase = 'https://m.example/dhtl'");
    expect(released).toContain(`${"a".repeat(64)}  dhtl-windows-x64.zip`);
  });
});
