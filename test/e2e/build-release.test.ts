/**
 * `bun run release` output: per-target archives holding just the executable, SHA256SUMS,
 * and installers with the release's version and checksums written in. Two releases of
 * the same source and version must be byte-identical (deterministic archives).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRelease } from "../../scripts/release.ts";
import { parseSha256Sums } from "../../src/self/release-layout.ts";

const root = mkdtempSync(join(tmpdir(), "dhtl-release-"));
const a = join(root, "a");
const b = join(root, "b");
const targets = ["linux-x64", "windows-x64"];

beforeAll(async () => {
  for (const out of [a, b]) {
    await makeRelease({ version: "4.5.6", targets, outDir: out, releaseBase: "https://downloads.example.com/dhtl/", level: 1, log: () => {} });
  }
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (file: string) => new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex");

describe("bun run release", () => {
  test("writes one archive per target, SHA256SUMS, VERSION and both installers, and nothing else", () => {
    expect(readdirSync(a).sort()).toEqual(["SHA256SUMS", "VERSION", "dhtl-linux-x64.tar.gz", "dhtl-windows-x64.zip", "install.ps1", "install.sh"]);
    expect(readFileSync(join(a, "VERSION"), "utf8")).toBe("4.5.6\n");
    const sums = parseSha256Sums(readFileSync(join(a, "SHA256SUMS"), "utf8"));
    expect([...sums.keys()].sort()).toEqual(["dhtl-linux-x64.tar.gz", "dhtl-windows-x64.zip"]);
    for (const [name, sum] of sums) expect(sha256(join(a, name))).toBe(sum);
  });

  test("each archive holds just the executable", () => {
    const tar = Bun.spawnSync(["tar", "-tzf", join(a, "dhtl-linux-x64.tar.gz")]).stdout.toString();
    expect(tar).toBe("dhtl\n");
    const zip = Bun.spawnSync(["unzip", "-Z1", join(a, "dhtl-windows-x64.zip")]).stdout.toString();
    expect(zip).toBe("dhtl.exe\n");
  });

  test("install.sh and install.ps1 carry the version, the base URL and exactly the SHA256SUMS lines", () => {
    const sums = readFileSync(join(a, "SHA256SUMS"), "utf8").trimEnd();
    const sh = readFileSync(join(a, "install.sh"), "utf8");
    expect(sh).toContain("DHTL_BAKED_VERSION='4.5.6'");
    expect(sh).toContain("DHTL_BAKED_BASE='https://downloads.example.com/dhtl'");
    expect(sh).toContain(`DHTL_BAKED_SUMS='${sums}'`);
    const ps1 = readFileSync(join(a, "install.ps1"), "utf8");
    expect(ps1).toContain("$BakedVersion = '4.5.6'");
    expect(ps1).toContain(`$BakedSums = @'\n${sums}\n'@`);
    expect(sh + ps1).not.toMatch(/__DHTL_[A-Z_]+__/);
  });

  test("is deterministic: a second release of the same source is byte-identical", () => {
    for (const name of readdirSync(a)) expect(`${name} ${sha256(join(b, name))}`).toBe(`${name} ${sha256(join(a, name))}`);
  });

  test("an unknown target fails before building anything, naming the valid ones", () => {
    const r = Bun.spawnSync(["bun", join(import.meta.dir, "..", "..", "scripts", "release.ts"), "--targets", "linux-sparc", "--out", join(root, "bad")]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain("unknown target linux-sparc; one of linux-x64");
  });
});
