/**
 * Hostile family "self update": what `dhtl self update` reads before it swaps anything in.
 * Archives that are bombs, truncated, mislabelled or hold the wrong thing; executables for
 * another target, scripts, probes that hang or crash; checksums and signatures that lie.
 * Each ends in an Error or DhtError that says why, in bounded memory and time; nothing is
 * replaced.
 */
import { describe, expect, test } from "bun:test";
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { once } from "node:events";
import { readExecutableFromArchiveFile, writeSingleFileTarGz, writeSingleFileZip } from "../../src/self/archive.ts";
import { headerProblems, inspectHeader } from "../../src/self/executable-format.ts";
import { replaceExecutable } from "../../src/self/replace.ts";
import { verifySumsSignature, pemKeys } from "../../src/self/release-trust.ts";
import { generateKeyPair, loadPrivateKey, serializeSignature, signManifest } from "../../src/bundle/sign.ts";
import { parseSha256Sums } from "../../src/self/release-layout.ts";
import { DhtError } from "../../src/errors.ts";
import { rawTarGz } from "../helpers/raw-tar.ts";

const dir = mkdtempSync(join(tmpdir(), "dhtl-hostile-update-"));
const elf = readFileSync("/bin/true"); // a real x86-64 glibc executable (the host's)

/** A gzip stream of `bytes` zeros with a tar header in front declaring them, written streaming. */
async function gzipBomb(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const gz = createGzip({ level: 1 });
  gz.pipe(out);
  const { rawHeader } = await import("../helpers/raw-tar.ts");
  gz.write(rawHeader({ name: "dhtl" }, bytes));
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < bytes / chunk.length; i++) if (!gz.write(chunk)) await once(gz, "drain");
  gz.end();
  await once(out, "finish");
}

describe("release archives are read as bounded streams", () => {
  test("a gzip bomb (a 600 MiB entry in a small file) is refused without being inflated in memory", async () => {
    const bomb = join(dir, "bomb.tar.gz");
    await gzipBomb(bomb, 600 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const error = await readExecutableFromArchiveFile(bomb, "dhtl").catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain("more than a dhtl executable can be");
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  }, 60_000);

  test("a bomb hidden in entries before the executable is cut at the stream bound", async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `pad${i}`, data: new Uint8Array(16 << 20) }));
    const file = join(dir, "padded.tar.gz");
    writeFileSync(file, rawTarGz([...many, { name: "dhtl", data: elf }]));
    const error = await readExecutableFromArchiveFile(file, "dhtl", 8 << 20).catch((e) => e);
    expect(error.message).toContain("expands past");
  }, 60_000);

  const zip = writeSingleFileZip("dhtl.exe", new Uint8Array(1 << 20));
  const lyingZip = new Uint8Array(zip);
  // The central directory's uncompressed size (offset 24 in the central header) says 10 bytes.
  const view = new DataView(lyingZip.buffer);
  const central = lyingZip.length - 22 - (46 + "dhtl.exe".length);
  view.setUint32(central + 24, 10, true);
  const cases: Record<string, [Uint8Array, string]> = {
    "not an archive": [new TextEncoder().encode("#!/bin/sh\necho hi\n"), "not a .tar.gz or .zip"],
    "a tar.gz without the executable": [rawTarGz([{ name: "README", data: "x" }]), "no file named dhtl"],
    "a tar.gz whose executable is a symlink": [rawTarGz([{ name: "dhtl", type: "2", linkname: "/bin/sh" }]), "no file named dhtl"],
    "a tar.gz whose executable is a directory": [rawTarGz([{ name: "dhtl", type: "5" }]), "no file named dhtl"],
    "a zip whose entry inflates past its declared size": [lyingZip, "inflates past its declared"],
    "a zip without the executable": [writeSingleFileZip("other.exe", new Uint8Array(3)), "no file named dhtl"],
  };
  for (let i = 1; i <= 12; i++) {
    const full = writeSingleFileTarGz("dhtl", elf);
    cases[`a release archive cut at ${i}/13`] = [full.subarray(0, Math.floor((full.length * i) / 13)), ""];
  }
  test.each(Object.entries(cases))("%s is refused", async (_name, [bytes, message]) => {
    const file = join(dir, `case-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, bytes);
    const name = bytes[0] === 0x50 ? "dhtl.exe" : "dhtl";
    const error = await readExecutableFromArchiveFile(file, name).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    if (message) expect(error.message).toContain(message);
  });
});

describe("the executable's header is checked for the target before anything is swapped", () => {
  const headers: Record<string, [Uint8Array, string, string]> = {
    "a shell script printing the right --version": [new TextEncoder().encode("#!/bin/sh\necho 'dhtl 9.9.9 (x linux-x64)'\n"), "linux-x64", "expected elf, found unknown"],
    "an empty file": [new Uint8Array(), "linux-x64", "expected elf"],
    "an x86-64 ELF for an arm64 target": [elf, "linux-arm64", "expected arm64 code"],
    "a glibc ELF for a musl target": [elf, "linux-x64-musl", "expected interpreter /lib/ld-musl-x86_64.so.1"],
    "an ELF for a Windows target": [elf, "windows-x64", "expected pe, found elf"],
    "an ELF for a macOS target": [elf, "darwin-arm64", "expected macho, found elf"],
    "a PE header with no PE signature": [new Uint8Array([0x4d, 0x5a, ...new Array(200).fill(0)]), "windows-x64", "expected x64 code"],
    "a truncated ELF header": [elf.subarray(0, 20), "linux-x64", "expected elf, found unknown"],
    "an ELF with its machine field changed": [(() => { const b = new Uint8Array(elf); b[0x12] = 0x28; return b; })(), "linux-x64", "e_machine 0x28"],
  };
  test.each(Object.entries(headers))("%s is refused, and the installed file stays", async (_name, [bytes, target, message]) => {
    expect(headerProblems(target, inspectHeader(bytes)).join("; ")).toContain(message);
    const exe = join(mkdtempSync(join(dir, "exe-")), "dhtl");
    writeFileSync(exe, "old");
    const error = await replaceExecutable(exe, bytes, { expectTarget: target, windows: false }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(readFileSync(exe, "utf8")).toBe("old");
  });

  test("the host's real executable passes the header check (the baseline)", () => {
    expect(headerProblems("linux-x64", inspectHeader(elf))).toEqual([]);
  });
});

describe("probes that hang or crash say why", () => {
  // Real ELF executables (built here with cc), so they pass the header check and reach the probe.
  test("an executable that crashes on --version: the reason names the signal", async () => {
    const crash = join(dir, "crash.c");
    if (!Bun.which("cc")) return console.log("skipped: no C compiler to build a crashing executable");
    writeFileSync(crash, "int main(void){ *(volatile int*)0 = 1; return 0; }\n");
    const bin = join(dir, "crash");
    expect(Bun.spawnSync(["cc", "-o", bin, crash]).exitCode).toBe(0);
    const exe = join(mkdtempSync(join(dir, "exe-")), "dhtl");
    writeFileSync(exe, "old");
    const error = await replaceExecutable(exe, readFileSync(bin), { expectTarget: "linux-x64", windows: false }).catch((e) => e);
    expect(error.message).toContain("killed by signal SIGSEGV");
    expect(readFileSync(exe, "utf8")).toBe("old");
  });

  test("an executable that hangs on --version: the reason says it did not answer", async () => {
    if (!Bun.which("cc")) return console.log("skipped: no C compiler to build a hanging executable");
    const src = join(dir, "hang.c");
    writeFileSync(src, "#include <unistd.h>\nint main(void){ for(;;) pause(); }\n");
    const bin = join(dir, "hang");
    expect(Bun.spawnSync(["cc", "-o", bin, src]).exitCode).toBe(0);
    const exe = join(mkdtempSync(join(dir, "exe-")), "dhtl");
    writeFileSync(exe, "old");
    const error = await replaceExecutable(exe, readFileSync(bin), { expectTarget: "linux-x64", windows: false }).catch((e) => e);
    expect(error.message).toContain("did not answer --version within 15 s");
    expect(readFileSync(exe, "utf8")).toBe("old");
  }, 30_000);
});

const keys = await Promise.all([generateKeyPair(), generateKeyPair()]);
writeFileSync(join(dir, "a.key"), keys[0].privatePem);
const sums = new TextEncoder().encode(`${"a".repeat(64)}  dhtl-linux-x64.tar.gz\n`);
const goodSig = serializeSignature(await signManifest(sums, await loadPrivateKey(join(dir, "a.key"))));
const trustedA = { keys: pemKeys(keys[0].publicPem).map((pem) => ({ pem, origin: "test" })) };

describe("checksums and their signatures", () => {
  test("SHA256SUMS signed by the trusted key verifies", async () => {
    expect(await verifySumsSignature(sums, goodSig, trustedA, "SHA256SUMS")).toBe(keys[0].keyId);
  });
  const changed = new Uint8Array(sums);
  changed[0] = 0x62; // "b…": another digest
  const sigCases: Record<string, [Uint8Array, string | undefined, string]> = {
    "no signature": [sums, undefined, "is not signed"],
    "a signature over other checksums": [changed, goodSig, "does not verify"],
    "a signature that is not JSON": [sums, "garbage", "not valid JSON"],
    "a signature of another algorithm": [sums, JSON.stringify({ algorithm: "RSA", keyId: "x", signature: "AAAA" }), "Ed25519"],
    "a signature of the wrong length": [sums, JSON.stringify({ algorithm: "Ed25519", keyId: "x", signature: "AAAA" }), "does not verify"],
    "an empty signature file": [sums, "", "not valid JSON"],
  };
  test.each(Object.entries(sigCases))("%s is refused", async (_name, [bytes, sig, message]) => {
    const error = await verifySumsSignature(bytes, sig, trustedA, "SHA256SUMS").catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain(message);
  });
  test("a signature by an untrusted key is refused", async () => {
    writeFileSync(join(dir, "b.key"), keys[1].privatePem);
    const other = serializeSignature(await signManifest(sums, await loadPrivateKey(join(dir, "b.key"))));
    const error = await verifySumsSignature(sums, other, trustedA, "SHA256SUMS").catch((e) => e);
    expect(error.message).toContain("does not verify with any trusted release key");
  });
  const badSums = ["not a line", `${"a".repeat(63)}  x`, `${"g".repeat(64)}  x`, `${"a".repeat(64)}x`, `${"a".repeat(64)}`, "\u0000"];
  test.each(badSums)("a malformed SHA256SUMS line %j is an error, never a skipped line", (line) => {
    expect(() => parseSha256Sums(`${line}\n`)).toThrow();
  });
});

