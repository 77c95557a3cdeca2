/**
 * `bun run build:all` output, checked the way a release is: every target's executable has
 * the right format, CPU and libc loader; glibc builds need nothing newer than 2.17;
 * linux-x64 runs natively and linux-arm64 under qemu-user. The build goes to its own
 * directory (not dist/, which other tests use).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allTargets, buildTarget, buildTargets, targetName } from "../../scripts/build.ts";
import { checkArtifact, checkArtifacts, checkMachoSignature, inspectHeader, type Report } from "../../scripts/check-artifacts.ts";
import pkg from "../../package.json";

const out = mkdtempSync(join(tmpdir(), "dhtl-build-all-"));
const scratch: string[] = [out];
const scratchDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
let report: Report;

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  await buildTargets([...allTargets], out, { version: "3.4.5" }, () => {});
  report = await checkArtifacts(out, { expectVersion: "3.4.5", requireEmulation: true });
}, 300_000);

describe("bun run build:all", () => {
  test("builds all eight targets and a SHA256SUMS that matches them", () => {
    expect(report.artifacts.map((a) => a.target).sort()).toEqual(allTargets.map(targetName).sort());
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  const expected: Record<string, { format: string; arch: string; interpreter?: string }> = {
    "linux-x64": { format: "elf", arch: "x64", interpreter: "/lib64/ld-linux-x86-64.so.2" },
    "linux-arm64": { format: "elf", arch: "arm64", interpreter: "/lib/ld-linux-aarch64.so.1" },
    "linux-x64-musl": { format: "elf", arch: "x64", interpreter: "/lib/ld-musl-x86_64.so.1" },
    "linux-arm64-musl": { format: "elf", arch: "arm64", interpreter: "/lib/ld-musl-aarch64.so.1" },
    "darwin-x64": { format: "macho", arch: "x64" },
    "darwin-arm64": { format: "macho", arch: "arm64" },
    "windows-x64": { format: "pe", arch: "x64" },
    "windows-arm64": { format: "pe", arch: "arm64" },
  };
  for (const [target, want] of Object.entries(expected)) {
    test(`${target}: the header says ${want.format} ${want.arch}${want.interpreter ? ` with ${want.interpreter}` : ""}`, () => {
      const a = report.artifacts.find((x) => x.target === target)!;
      expect(a.header).toMatchObject(want);
      expect(a.problems).toEqual([]);
    });
  }

  test("glibc builds need no symbol version newer than GLIBC_2.17", () => {
    for (const t of ["linux-x64", "linux-arm64"]) {
      const a = report.artifacts.find((x) => x.target === t)!;
      expect(a.glibc).toBe("2.17");
    }
  });

  test("linux-x64 runs natively and linux-arm64 under qemu: --version names version and target, info --json works, bunfig.toml is not autoloaded", () => {
    const x64 = report.artifacts.find((a) => a.target === "linux-x64")!;
    const arm = report.artifacts.find((a) => a.target === "linux-arm64")!;
    expect(x64.smoke?.how).toBe("native");
    expect(x64.smoke?.versionLine).toStartWith("dhtl 3.4.5 (");
    expect(x64.smoke?.versionLine).toEndWith(" linux-x64)");
    expect(arm.smoke?.how).toContain("qemu-aarch64");
    expect(arm.smoke?.versionLine).toEndWith(" linux-arm64)");
    expect(arm.smoke?.problems).toEqual([]);
  });

  test("macOS code signatures are re-hashed page by page: darwin-arm64 is valid, a changed byte is caught, invalid ones are reported", () => {
    const arm = report.artifacts.find((a) => a.target === "darwin-arm64")!;
    expect(arm.signature).toBeDefined();
    expect(arm.signature!.badPages).toBe(0);
    expect(arm.signature!.codeLimit).toBe(arm.signature!.signatureOffset);
    expect(arm.warnings).toEqual([]);
    const bytes = new Uint8Array(readFileSync(join(out, "dhtl-darwin-arm64", "dhtl")));
    bytes[5000] = bytes[5000]! ^ 0xff;
    expect(checkMachoSignature(bytes, inspectHeader(bytes.subarray(0, 65536)))!.badPages).toBe(1);
    // Bun's darwin-x64 output has shipped with a stale signature: whatever it is today, the
    // report must warn exactly when the signature does not match
    const x64 = report.artifacts.find((a) => a.target === "darwin-x64")!;
    const invalid = x64.signature!.badPages > 0 || x64.signature!.codeLimit !== x64.signature!.signatureOffset;
    expect(x64.warnings.length > 0).toBe(invalid);
  });

  test("the checker rejects an executable of the wrong CPU or libc (it can fail)", async () => {
    const wrong = scratchDir("dhtl-wrong-");
    const arm = await checkArtifact(join(out, "dhtl-linux-arm64", "dhtl"), "linux-x64");
    expect(arm.problems.join("\n")).toContain("expected x64 code, header says arm64");
    const musl = await checkArtifact(join(out, "dhtl-linux-x64-musl", "dhtl"), "linux-x64");
    expect(musl.problems.join("\n")).toContain("expected interpreter /lib64/ld-linux-x86-64.so.2, found /lib/ld-musl-x86_64.so.1");
    const pe = await checkArtifact(join(out, "dhtl-windows-arm64", "dhtl.exe"), "darwin-arm64");
    expect(pe.problems).toEqual(["expected macho, found pe"]);
    // a tampered artifact no longer matches SHA256SUMS
    const copy = join(wrong, "dist");
    mkdirSync(join(copy, "dhtl-windows-x64"), { recursive: true });
    cpSync(join(out, "SHA256SUMS"), join(copy, "SHA256SUMS"));
    writeFileSync(join(copy, "dhtl-windows-x64", "dhtl.exe"), "MZ not really");
    const r = await checkArtifacts(copy);
    expect(r.problems).toContain("SHA256SUMS does not match dhtl-windows-x64/dhtl.exe");
  });

  test("the build fails loudly when Bun cannot generate bytecode (Bun itself only logs it and exits 0)", async () => {
    const dir = scratchDir("dhtl-bytecode-");
    const entry = join(dir, "entry.ts");
    // import.meta in CommonJS output is what breaks bytecode generation (the notes, §1)
    writeFileSync(entry, "console.log((import.meta as any).env?.X ?? 'none');\n");
    await expect(buildTarget("bun-linux-x64", join(dir, "out"), { entrypoint: entry, format: "cjs", version: pkg.version, commit: "test" })).rejects.toThrow(
      "Failed to generate bytecode",
    );
  });
});
