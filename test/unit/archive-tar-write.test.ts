import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { directoryEntries, writeDeterministicTarGz } from "../../src/archive/tar-write.ts";
import { extractArchive } from "../../src/archive/extract.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function tree(mtime: number, umaskMode: number) {
  const dir = mkdtempSync(join(tmpdir(), "dhtl-tarw-"));
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "wheels"));
  writeFileSync(join(dir, "bin/tool"), "#!/bin/sh\necho tool\n");
  chmodSync(join(dir, "bin/tool"), 0o700 | (umaskMode & 0o055));
  writeFileSync(join(dir, "wheels/a-1.0-py3-none-any.whl"), "wheel bytes");
  chmodSync(join(dir, "wheels/a-1.0-py3-none-any.whl"), 0o600 | (umaskMode & 0o044));
  writeFileSync(join(dir, "manifest.json"), '{"v":1}');
  symlinkSync("bin/tool", join(dir, "tool"));
  for (const f of ["bin/tool", "wheels/a-1.0-py3-none-any.whl", "manifest.json"]) utimesSync(join(dir, f), mtime, mtime);
  return dir;
}

describe("writeDeterministicTarGz", () => {
  test("the same content gives byte-identical archives despite different mtimes, modes from umask and entry order", async () => {
    const out = mkdtempSync(join(tmpdir(), "dhtl-tarw-out-"));
    const a = await writeDeterministicTarGz(directoryEntries(tree(1_000_000, 0o055), "bundle"), join(out, "a.tar.gz"), { env: {} });
    const b = await writeDeterministicTarGz(directoryEntries(tree(2_000_000, 0o000), "bundle").reverse(), join(out, "b.tar.gz"), { env: {} });
    expect(a.sha256).toBe(b.sha256);
    expect(readFileSync(join(out, "a.tar.gz")).equals(readFileSync(join(out, "b.tar.gz")))).toBe(true);
  });

  test("gzip input is re-chunked into fixed blocks, so the bytes do not depend on how the tar stream was chunked", async () => {
    const { fixedBlocks } = await import("../../src/archive/tar-write.ts");
    const { Readable } = await import("node:stream");
    const { pipeline } = await import("node:stream/promises");
    const { createGzip } = await import("node:zlib");
    const data = new Uint8Array(3_000_000);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 251) ^ (i >> 10);
    const compress = async (chunk: number) => {
      const parts: Buffer[] = [];
      const chunks = Array.from({ length: Math.ceil(data.length / chunk) }, (_, k) => Buffer.from(data.subarray(k * chunk, (k + 1) * chunk)));
      const gzip = createGzip({ level: 1 });
      gzip.on("data", (c: Buffer) => parts.push(c));
      await pipeline(Readable.from(chunks), fixedBlocks(1 << 16), gzip);
      return sha256(Buffer.concat(parts));
    };
    // Without fixedBlocks these four give four different outputs with Bun 1.4.5's zlib.
    const hashes = await Promise.all([512, 7777, 65536, data.length].map(compress));
    expect(new Set(hashes).size).toBe(1);
  });

  test("SOURCE_DATE_EPOCH sets every mtime and changes the bytes; gzip header has no name, mtime 0, OS 255", async () => {
    const src = tree(5, 0);
    const out = mkdtempSync(join(tmpdir(), "dhtl-tarw-out-"));
    const zero = await writeDeterministicTarGz(directoryEntries(src), join(out, "zero.tar.gz"), { env: {} });
    const epoch = await writeDeterministicTarGz(directoryEntries(src), join(out, "epoch.tar.gz"), { env: { SOURCE_DATE_EPOCH: "1700000000" } });
    expect(zero.sha256).not.toBe(epoch.sha256);
    const header = readFileSync(join(out, "epoch.tar.gz")).subarray(0, 10);
    expect([...header]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);
    const listing = Bun.spawnSync(["tar", "--numeric-owner", "-tvzf", join(out, "epoch.tar.gz")]).stdout.toString();
    expect(listing).toContain("-rwxr-xr-x 0/0");
    expect(listing).toContain("-rw-r--r-- 0/0");
    expect(listing).toContain("2023-11-14");
    expect(listing.split("\n").filter(Boolean).map((l) => l.split(/\s+/).slice(5).join(" "))).toEqual([
      "bin",
      "bin/tool",
      "manifest.json",
      "tool -> bin/tool",
      "wheels",
      "wheels/a-1.0-py3-none-any.whl",
    ]);
  });

  test("its output extracts with extractArchive back to the same files", async () => {
    const src = tree(5, 0o055);
    const out = mkdtempSync(join(tmpdir(), "dhtl-tarw-out-"));
    await writeDeterministicTarGz(directoryEntries(src, "python"), join(out, "p.tar.gz"));
    await extractArchive(join(out, "p.tar.gz"), join(out, "x"), { stripTopDir: true });
    expect(readFileSync(join(out, "x/tool"), "utf8")).toBe("#!/bin/sh\necho tool\n");
  });

  test("duplicate names are refused", async () => {
    const out = mkdtempSync(join(tmpdir(), "dhtl-tarw-out-"));
    await expect(
      writeDeterministicTarGz([{ name: "a", data: "1" }, { name: "./a", data: "2" }], join(out, "d.tar.gz")),
    ).rejects.toThrow(/duplicate archive entry 'a'/);
  });
});
