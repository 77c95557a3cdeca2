import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  archiveKind,
  readExecutableFromArchive,
  readFileFromTarGz,
  readFileFromZip,
  writeSingleFileTarGz,
  writeSingleFileZip,
} from "../../src/self/archive.ts";

const payload = new Uint8Array(300_000).map((_, i) => (i * 7919) % 251);
const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), "dhtl-archive-test-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const run = (argv: string[], cwd: string) => {
  const r = Bun.spawnSync(argv, { cwd });
  if (!r.success) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return r.stdout.toString();
};

describe("release archives", () => {
  test("tar.gz and zip writers are deterministic: the same executable gives the same bytes", () => {
    expect(writeSingleFileTarGz("dhtl", payload)).toEqual(writeSingleFileTarGz("dhtl", payload));
    expect(writeSingleFileZip("dhtl.exe", payload)).toEqual(writeSingleFileZip("dhtl.exe", payload));
  });

  test("system tar unpacks the tar.gz to one executable file with mode 755 and fixed owner/mtime", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.tar.gz"), writeSingleFileTarGz("dhtl", payload));
    expect(run(["tar", "-tvzf", "a.tar.gz"], dir)).toMatch(/^-rwxr-xr-x root\/root +300000 1970-01-01 00:00 dhtl\n$/);
    mkdirSync(join(dir, "x"));
    run(["tar", "-xzf", "../a.tar.gz"], join(dir, "x"));
    expect(new Uint8Array(readFileSync(join(dir, "x", "dhtl")))).toEqual(payload);
  });

  test("unzip extracts the zip with a correct CRC and the executable bit", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.zip"), writeSingleFileZip("dhtl.exe", payload));
    expect(run(["unzip", "-t", "a.zip"], dir)).toContain("No errors detected");
    run(["unzip", "-q", "a.zip"], dir);
    expect(new Uint8Array(readFileSync(join(dir, "dhtl.exe")))).toEqual(payload);
    expect(statSync(join(dir, "dhtl.exe")).mode & 0o777).toBe(0o755);
  });

  test("readers round-trip our own archives and pick the format by content, not by name", () => {
    expect(readFileFromTarGz(writeSingleFileTarGz("dhtl", payload), "dhtl")).toEqual(payload);
    expect(readFileFromZip(writeSingleFileZip("dhtl.exe", payload), "dhtl.exe")).toEqual(payload);
    expect(archiveKind(writeSingleFileZip("x", payload))).toBe("zip");
    expect(readExecutableFromArchive(writeSingleFileTarGz("dhtl", payload), "dhtl")).toEqual(payload);
  });

  test("readers accept archives re-packed by GNU tar (./ prefix, long names) and Info-ZIP zip", () => {
    const dir = tmp();
    writeFileSync(join(dir, "dhtl"), payload);
    chmodSync(join(dir, "dhtl"), 0o755);
    const longName = `${"d".repeat(120)}.txt`;
    writeFileSync(join(dir, longName), "x");
    run(["tar", "--format=gnu", "-czf", "gnu.tar.gz", "./" + longName, "./dhtl"], dir);
    run(["tar", "--format=pax", "-czf", "pax.tar.gz", longName, "dhtl"], dir);
    run(["zip", "-q", "-9", "z.zip", longName, "dhtl"], dir);
    for (const f of ["gnu.tar.gz", "pax.tar.gz", "z.zip"]) {
      expect(readExecutableFromArchive(new Uint8Array(readFileSync(join(dir, f))), "dhtl")).toEqual(payload);
    }
  });

  test("a missing entry is named together with what the archive holds", () => {
    expect(() => readFileFromTarGz(writeSingleFileTarGz("other", payload), "dhtl")).toThrow("no file named dhtl in the archive (it holds: other)");
    expect(() => readFileFromZip(writeSingleFileZip("other.exe", payload), "dhtl.exe")).toThrow("it holds: other.exe");
  });

  test("corrupt input is refused, never returned: truncated tar, bad zip CRC, unknown format", () => {
    const tgz = writeSingleFileTarGz("dhtl", payload);
    const tar = Bun.gunzipSync(tgz as Uint8Array<ArrayBuffer>);
    expect(() => readFileFromTarGz(tar.slice(0, 100_000), "dhtl")).toThrow("truncated tar archive");
    const zip = writeSingleFileZip("dhtl.exe", payload, 1);
    const stored = new Uint8Array(zip);
    // flip the stored CRC in the central directory: the data no longer matches it
    const view = new DataView(stored.buffer);
    const central = stored.length - 22 - 46 - "dhtl.exe".length;
    view.setUint32(central + 16, view.getUint32(central + 16, true) ^ 1, true);
    expect(() => readFileFromZip(stored, "dhtl.exe")).toThrow("CRC or size mismatch");
    expect(() => readExecutableFromArchive(new TextEncoder().encode("<html>404</html>"), "dhtl")).toThrow("not a .tar.gz or .zip archive");
  });
});
