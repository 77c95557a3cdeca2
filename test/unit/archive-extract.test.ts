import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractArchive, type ExtractOptions } from "../../src/archive/extract.ts";
import { DhtError } from "../../src/errors.ts";
import { buildTar, buildTarGz, buildTarZst, buildZip, type RawTarEntry } from "../fixtures/archives/build.ts";

/** base/work/<archive>; target base/work/out. Traversal lands in base/work or base. */
function sandbox(archiveName: string, bytes: Uint8Array) {
  const base = mkdtempSync(join(tmpdir(), "dhtl-extract-"));
  const work = join(base, "work");
  mkdirSync(work);
  const archive = join(work, archiveName);
  writeFileSync(archive, bytes);
  return { base, work, archive, target: join(work, "out") };
}

async function expectRefused(
  archiveName: string,
  bytes: Uint8Array,
  entry: string,
  reason: RegExp,
  opts: ExtractOptions = { stripTopDir: true },
) {
  const box = sandbox(archiveName, bytes);
  let error: unknown;
  try {
    await extractArchive(box.archive, box.target, opts);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DhtError);
  const message = (error as DhtError).message;
  expect(message).toContain(box.archive);
  expect(message).toContain(`'${entry}'`);
  expect(message).toMatch(reason);
  // Nothing left behind: no target, no temp dir, nothing written beside or above it.
  expect(readdirSync(box.work)).toEqual([archiveName]);
  expect(readdirSync(box.base)).toEqual(["work"]);
}

const py = (name: string, rest: Partial<RawTarEntry> = {}): RawTarEntry => ({ name: `python/${name}`, data: "x", ...rest });

describe("extractArchive refuses hostile archives and leaves nothing behind", () => {
  test("tar.gz entry with an absolute path", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), { name: "/tmp/dhtl-evil-abs", data: "x" }]), "/tmp/dhtl-evil-abs", /absolute path/);
  });
  test("tar.gz entry climbing out with ..", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), { name: "python/../../evil", data: "x" }]), "python/../../evil", /'\.\.'/);
  });
  test("tar.gz long (pax) name hiding a .. component", async () => {
    const name = `python/${"a".repeat(120)}/../../../evil`;
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), { name, data: "x" }]), name, /'\.\.'/);
  });
  test("tar.gz symlink to an absolute path", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), py("passwd", { type: "symlink", linkname: "/etc/passwd", data: undefined })]), "python/passwd", /absolute path/);
  });
  test("tar.gz symlink whose target climbs out of the tree", async () => {
    await expectRefused(
      "a.tar.gz",
      await buildTarGz([py("lib/x"), py("lib/up", { type: "symlink", linkname: "../../..", data: undefined })]),
      "python/lib/up",
      /points outside/,
    );
  });
  test("tar.gz symlink chain that only escapes when links are followed (a -> ., b -> a/..)", async () => {
    await expectRefused(
      "a.tar.gz",
      await buildTarGz([py("a", { type: "symlink", linkname: ".", data: undefined }), py("b", { type: "symlink", linkname: "a/..", data: undefined })]),
      "python/b",
      /points outside/,
    );
  });
  test("tar.gz file written through a symlink from the same archive", async () => {
    await expectRefused(
      "a.tar.gz",
      await buildTarGz([py("sub/keep"), py("d", { type: "symlink", linkname: "sub", data: undefined }), py("d/x")]),
      "python/d/x",
      /inside the symlink 'd'/,
    );
  });
  test("tar.gz hard link to a file outside the archive", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), py("h", { type: "link", linkname: "/etc/passwd", data: undefined })]), "python/h", /absolute path/);
  });
  test("tar.gz hard link climbing out with ..", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), py("h", { type: "link", linkname: "python/../../x", data: undefined })]), "python/h", /'\.\.'/);
  });
  test("tar.gz character device", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), py("null", { type: "character-device", data: undefined })]), "python/null", /character-device/);
  });
  test("tar.gz fifo", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), py("pipe", { type: "fifo", data: undefined })]), "python/pipe", /fifo/);
  });
  test("tar.gz expanding past the size limit", async () => {
    const zeros = new Uint8Array(3 * 1024 * 1024);
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), py("big", { data: zeros })]), "python/big", /limit of 1048576 bytes/, {
      stripTopDir: true,
      maxBytes: 1024 * 1024,
    });
  });
  test("tar.gz whose decompressed stream (zero padding) expands past the limit", async () => {
    const tar = await buildTar([py("small")]);
    const padded = new Uint8Array(tar.length + 8 * 1024 * 1024);
    padded.set(tar.subarray(0, tar.length - 1024)); // drop the end marker, pad with zeros
    await expectRefused("pad.tar.gz", Bun.gzipSync(padded), "python/small", /expand past/, { stripTopDir: true, maxBytes: 1024 * 1024, maxEntries: 10 });
  });
  test("tar.gz with more entries than allowed", async () => {
    const entries = Array.from({ length: 30 }, (_, i) => py(`f${i}`));
    await expectRefused("a.tar.gz", await buildTarGz(entries), "python/f10", /limit of 10 entries/, { stripTopDir: true, maxEntries: 10 });
  });
  test("tar.gz with a second top-level directory when stripping python/", async () => {
    await expectRefused("a.tar.gz", await buildTarGz([py("ok"), { name: "other/x", data: "x" }]), "other/x", /single top directory 'python\/'/);
  });
  test("tar.zst entry climbing out with ..", async () => {
    await expectRefused("a.tar.zst", await buildTarZst([py("ok"), { name: "../evil", data: "x" }]), "../evil", /'\.\.'/);
  });
  test("zip entry climbing out with ..", async () => {
    await expectRefused("a.zip", buildZip([{ name: "python/ok", data: "x" }, { name: "python/../../evil.txt", data: "x" }]), "python/../../evil.txt", /'\.\.'/);
  });
  test("zip entry with backslash traversal (..\\..\\evil)", async () => {
    await expectRefused("a.zip", buildZip([{ name: "ok", data: "x" }, { name: "..\\..\\evil.txt", data: "x" }]), "..\\..\\evil.txt", /'\.\.'/, {});
  });
  test("zip entry with a Windows drive path", async () => {
    await expectRefused("a.zip", buildZip([{ name: "C:/Windows/evil.dll", data: "x" }]), "C:/Windows/evil.dll", /absolute path/, {});
  });
  test("zip symlink pointing outside the tree", async () => {
    await expectRefused(
      "a.zip",
      buildZip([{ name: "pkg/ok", data: "x" }, { name: "pkg/escape", data: "../../etc", unixMode: 0o120777 }]),
      "pkg/escape",
      /points outside/,
      {},
    );
  });
  test("zip bomb: an entry that inflates past its declared size", async () => {
    await expectRefused(
      "a.zip",
      buildZip([{ name: "bomb.bin", data: new Uint8Array(2 * 1024 * 1024), declaredSize: 1000 }]),
      "bomb.bin",
      /more than its declared 1000 bytes/,
      {},
    );
  });
  test("zip bomb on the streaming path (large entry inflating past its declared size)", async () => {
    await expectRefused(
      "big.zip",
      buildZip([{ name: "big.bin", data: new Uint8Array(20 * 1024 * 1024), declaredSize: 17 * 1024 * 1024 }]),
      "big.bin",
      /more than its declared 17825792 bytes/,
      {},
    );
  });
  test("zip with a corrupted byte in a large stored entry fails its CRC-32 check", async () => {
    const zip = buildZip([{ name: "blob.bin", data: new Uint8Array(17 * 1024 * 1024), method: 0 }]);
    zip[30 + "blob.bin".length + 1000] = 0xff; // inside the stored data
    await expectRefused("crc.zip", zip, "blob.bin", /CRC-32/, {});
  });
  test("zip device entry", async () => {
    await expectRefused("a.zip", buildZip([{ name: "dev/null", data: "", unixMode: 0o020644 }]), "dev/null", /device/, {});
  });
});

describe("extractArchive keeps good archives intact", () => {
  const layout: RawTarEntry[] = [
    { name: "python/", type: "directory" },
    { name: "python/bin/", type: "directory" },
    { name: "python/bin/python3.11", data: "#!/bin/sh\necho py\n", mode: 0o755 },
    { name: "python/bin/python3", type: "symlink", linkname: "python3.11" },
    { name: "python/lib/libpython3.11.so.1.0", data: "ELF", mode: 0o755 },
    { name: "python/lib/libpython3.11.so", type: "symlink", linkname: "libpython3.11.so.1.0" },
    { name: "python/lib/python3.11/os.py", data: "import sys\n", mode: 0o644, mtime: new Date(1_600_000_000_000) },
    { name: "python/lib/python3.11/copy.py", type: "link", linkname: "python/lib/python3.11/os.py" },
    { name: "python/share/man", type: "symlink", linkname: "../lib/python3.11" },
  ];

  async function checkTree(target: string) {
    expect(statSync(join(target, "bin/python3.11")).mode & 0o777).toBe(0o755);
    expect(statSync(join(target, "lib/python3.11/os.py")).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(target, "bin/python3"))).toBe("python3.11");
    expect(lstatSync(join(target, "lib/libpython3.11.so")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(target, "share/man/os.py"), "utf8")).toBe("import sys\n");
    expect(statSync(join(target, "lib/python3.11/os.py")).mtimeMs).toBe(1_600_000_000_000);
  }

  test("tar.gz: python/ stripped, 0755 kept, internal symlinks and hard links recreated, mtimes kept", async () => {
    const box = sandbox("cpython.tar.gz", await buildTarGz(layout));
    const result = await extractArchive(box.archive, box.target, { stripTopDir: true });
    await checkTree(box.target);
    expect(statSync(join(box.target, "lib/python3.11/copy.py")).ino).toBe(statSync(join(box.target, "lib/python3.11/os.py")).ino);
    expect(result.files).toBe(4);
    expect(readdirSync(box.work).sort()).toEqual(["cpython.tar.gz", "out"]);
  });

  test("tar.zst gives the same tree", async () => {
    const box = sandbox("cpython.tar.zst", await buildTarZst(layout));
    await extractArchive(box.archive, box.target, { stripTopDir: true });
    await checkTree(box.target);
  });

  test("plain tar named by hash is recognised from its magic bytes", async () => {
    const box = sandbox("0123abcd", await buildTar(layout));
    await extractArchive(box.archive, box.target, { stripTopDir: true });
    await checkTree(box.target);
  });

  test("zip keeps unix modes and symlinks", async () => {
    const box = sandbox(
      "pkg.zip",
      buildZip([
        { name: "python/bin/python3.11", data: "#!/bin/sh\n", unixMode: 0o100755 },
        { name: "python/bin/python3", data: "python3.11", unixMode: 0o120777 },
        { name: "python/lib/", unixMode: 0o040755 },
        { name: "python/lib/data.txt", data: "stored", unixMode: 0o100644, method: 0 },
      ]),
    );
    const result = await extractArchive(box.archive, box.target, { stripTopDir: true });
    expect(result).toEqual({ files: 2, bytes: 16 });
    expect(statSync(join(box.target, "bin/python3.11")).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(box.target, "bin/python3"))).toBe("python3.11");
    expect(readFileSync(join(box.target, "lib/data.txt"), "utf8")).toBe("stored");
  });

  test("a zip written by Python's zipfile (a real producer, like wheels) extracts with its modes", async () => {
    const box = sandbox("placeholder", new Uint8Array());
    const wheel = join(box.work, "demo-1.0-py3-none-any.whl");
    const script = [
      "import sys, zipfile",
      "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:",
      "    z.writestr('demo/__init__.py', 'VALUE = 1\\n' * 500)",
      "    i = zipfile.ZipInfo('demo-1.0.data/scripts/demo-cli'); i.external_attr = 0o100755 << 16; i.create_system = 3",
      "    z.writestr(i, '#!python\\nprint(1)\\n', zipfile.ZIP_DEFLATED)",
      "    z.writestr('demo-1.0.dist-info/RECORD', '')",
    ].join("\n");
    const made = Bun.spawnSync(["python3", "-c", script, wheel], { stderr: "pipe" });
    expect(made.stderr.toString()).toBe("");
    const result = await extractArchive(wheel, join(box.work, "site"));
    expect(result.files).toBe(3);
    expect(readFileSync(join(box.work, "site/demo/__init__.py"), "utf8")).toBe("VALUE = 1\n".repeat(500));
    expect(statSync(join(box.work, "site/demo-1.0.data/scripts/demo-cli")).mode & 0o777).toBe(0o755);
  });

  test("a zip entry above the streaming threshold is inflated as a stream and verified", async () => {
    const big = new Uint8Array(18 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const box = sandbox("large.zip", buildZip([{ name: "lib/libbig.so", data: big, unixMode: 0o100755 }]));
    const result = await extractArchive(box.archive, box.target);
    expect(result.bytes).toBe(big.length);
    expect(Bun.hash.crc32(readFileSync(join(box.target, "lib/libbig.so")))).toBe(Bun.hash.crc32(big));
    expect(statSync(join(box.target, "lib/libbig.so")).mode & 0o777).toBe(0o755);
  });

  test("descendInto 'install' keeps only python/install/ of old full archives", async () => {
    const box = sandbox(
      "full.tar.zst",
      await buildTarZst([
        { name: "python/PYTHON.json", data: "{}" },
        { name: "python/build/lib.a", data: "x" },
        { name: "python/install/bin/python3", data: "#!", mode: 0o755 },
        { name: "python/install/lib/os.py", data: "" },
      ]),
    );
    await extractArchive(box.archive, box.target, { stripTopDir: true, descendInto: "install" });
    expect(readdirSync(box.target).sort()).toEqual(["bin", "lib"]);
    expect(statSync(join(box.target, "bin/python3")).mode & 0o777).toBe(0o755);
  });

  test("an existing target is never merged into", async () => {
    const box = sandbox("a.tar.gz", await buildTarGz([py("x")]));
    mkdirSync(box.target);
    await expect(extractArchive(box.archive, box.target, { stripTopDir: true })).rejects.toThrow(/already exists/);
  });

  test("a truncated tar.gz fails clearly and leaves nothing", async () => {
    const full = await buildTarGz([py("big", { data: crypto.getRandomValues(new Uint8Array(60_000)) })]);
    const box = sandbox("cut.tar.gz", full.subarray(0, full.length / 2));
    await expect(extractArchive(box.archive, box.target, { stripTopDir: true })).rejects.toThrow(/Could not extract .*cut\.tar\.gz/);
    expect(readdirSync(box.work)).toEqual(["cut.tar.gz"]);
  });

  test("the magic bytes win over a wrong format option and a misleading name", async () => {
    const box = sandbox("really-zstd.tar.gz", await buildTarZst(layout));
    await extractArchive(box.archive, box.target, { stripTopDir: true, format: "tar.gz" });
    await checkTree(box.target);
  });

  test("a file that is not an archive is named in the error", async () => {
    const box = sandbox("page.bin", new TextEncoder().encode("<html>404</html>"));
    await expect(extractArchive(box.archive, box.target)).rejects.toThrow(/page\.bin is not a tar\.gz, tar\.zst, tar or zip archive/);
    expect(existsSync(box.target)).toBe(false);
  });
});

describe("extractArchive when the process is interrupted", () => {
  test("Ctrl-C (SIGINT -> process.exit, as in main.ts) mid-extraction leaves no temp dir and no target", async () => {
    const entries = Array.from({ length: 4000 }, (_, i) => py(`lib/m${i}.py`, { data: crypto.getRandomValues(new Uint8Array(4096)) }));
    const box = sandbox("big.tar.gz", await buildTarGz(entries));
    const script = `
      process.once("SIGINT", () => process.exit(130));
      const { extractArchive } = await import(${JSON.stringify(join(import.meta.dir, "../../src/archive/extract.ts"))});
      await extractArchive(process.argv[2], process.argv[3], { stripTopDir: true });
      console.log("finished");`;
    const scriptFile = join(box.base, "extract-child.ts");
    writeFileSync(scriptFile, script);
    const child = Bun.spawn(["bun", scriptFile, box.archive, box.target], { stdout: "pipe", stderr: "pipe" });
    const deadline = Date.now() + 20_000;
    while (!readdirSync(box.work).some((n) => n.startsWith(".out.dhtl-tmp-")) && Date.now() < deadline) await Bun.sleep(5);
    child.kill("SIGINT");
    expect(await child.exited).toBe(130);
    expect(await new Response(child.stdout).text()).toBe("");
    expect(readdirSync(box.work)).toEqual(["big.tar.gz"]);
    expect(Date.now()).toBeLessThan(deadline);
  }, 30_000);
});
