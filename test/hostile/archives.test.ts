/**
 * Hostile family "archives": entry names, link targets, entry types and sizes that try to
 * write outside the target, expand without bound or slip a link out of a managed Python.
 * Every case is refused with the archive named, and nothing exists outside the target or is
 * left behind (no target, no temp dir).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { extractArchive } from "../../src/archive/extract.ts";
import { DhtError } from "../../src/errors.ts";
import { rawTar, rawTarGz, type RawEntry } from "../helpers/raw-tar.ts";

const base = mkdtempSync(join(tmpdir(), "dhtl-hostile-archives-"));
const OUTSIDE = join(base, "outside-marker");

const NAMES = [
  "../escape", "../../escape", "a/../../escape", "a/b/../../../escape", "./../escape", "a/./../../escape",
  "/tmp/escape-abs", "//server/share/escape", "\\\\server\\share\\escape", "C:\\escape", "c:/escape", "C:escape",
  "..\\escape", "a\\..\\..\\escape", "a/..\\../escape", "../../../../../../../../tmp/escape-abs", "..", "a/..//../escape", "...//../escape", "a/b/c/../../../../escape",
];
const LINK_TARGETS = [
  "/etc/passwd", "../outside", "../../outside", "a/../../outside", "/", "..", "C:\\Windows", "\\\\server\\x", "a/../..", "./../x", "b/../../x", "..\\x", "",
];

type Case = [string, Uint8Array];
const cases: Case[] = [];
for (const name of NAMES) {
  const entries: RawEntry[] = [{ name: "python/ok.txt", data: "ok" }, { name: name.startsWith("/") || /^[a-z]:|^\\\\/i.test(name) ? name : `python/${name}`, data: "pwned" }];
  cases.push([`entry name ${JSON.stringify(name)} (tar.gz)`, rawTarGz(entries)]);
  cases.push([`entry name ${JSON.stringify(name)} (plain tar)`, rawTar(entries)]);
}
for (const target of LINK_TARGETS) {
  cases.push([`symlink to ${JSON.stringify(target)}`, rawTarGz([{ name: "python/a/", type: "5" }, { name: "python/link", type: "2", linkname: target }])]);
  cases.push([`symlink to ${JSON.stringify(target)} then a file written through it`, rawTarGz([{ name: "python/link", type: "2", linkname: target }, { name: "python/link/pwned", data: "x" }])]);
}
// Link chains the kernel would follow out of the tree.
cases.push(["a -> . plus b -> a/..", rawTarGz([{ name: "python/a", type: "2", linkname: "." }, { name: "python/b", type: "2", linkname: "a/.." }])]);
cases.push(["a -> sub/deep, x -> a/../../..", rawTarGz([{ name: "python/sub/deep/", type: "5" }, { name: "python/a", type: "2", linkname: "sub/deep" }, { name: "python/x", type: "2", linkname: "a/../../.." }])]);
cases.push(["a link loop", rawTarGz([{ name: "python/a", type: "2", linkname: "b" }, { name: "python/b", type: "2", linkname: "a" }])]);
for (const [type, what] of [["3", "character device"], ["4", "block device"], ["6", "fifo"]] as const) {
  cases.push([`a ${what}`, rawTarGz([{ name: "python/dev", type }])]);
}
cases.push(["a hard link to /etc/passwd", rawTarGz([{ name: "python/h", type: "1", linkname: "/etc/passwd" }])]);
cases.push(["a hard link to a later entry", rawTarGz([{ name: "python/h", type: "1", linkname: "python/later" }, { name: "python/later", data: "x" }])]);
cases.push(["a hard link outside the top directory", rawTarGz([{ name: "python/x", data: "x" }, { name: "python/h", type: "1", linkname: "other/x" }])]);
cases.push(["two top directories", rawTarGz([{ name: "python/a", data: "x" }, { name: "other/b", data: "x" }])]);
cases.push(["a header size past the body (truncated)", rawTarGz([{ name: "python/a", size: 1 << 20, data: "x", bodyLength: 512 }], { end: false })]);
cases.push(["a file, then a directory of the same name", rawTarGz([{ name: "python/a", data: "x" }, { name: "python/a/", type: "5" }])]);
cases.push(["a directory, then a file of the same name", rawTarGz([{ name: "python/a/", type: "5" }, { name: "python/a", data: "x" }])]);
cases.push(["a gzip bomb of padding (64 MiB of zeros after one entry, limit 1 MiB)", new Uint8Array(gzipSync(Buffer.concat([Buffer.from(rawTar([{ name: "python/a", data: "x" }], { end: false })), Buffer.alloc(64 << 20, 0x41)]), { level: 1 }))]);
cases.push(["an entry declaring 8 GiB", rawTarGz([{ name: "python/big", size: 8 * 1024 ** 3, data: "x", bodyLength: 512 }], { end: false })]);
cases.push(["not an archive at all", new TextEncoder().encode("<html>404</html>")]);
cases.push(["an empty file", new Uint8Array()]);
cases.push(["gzip of garbage", new Uint8Array(gzipSync(Buffer.from("garbage".repeat(100))))]);

describe("hostile archives are refused and leave nothing", () => {
  test.each(cases)("%s", async (_name, bytes) => {
    const work = mkdtempSync(join(base, "w-"));
    const archive = join(work, "a.tar.gz");
    writeFileSync(archive, bytes);
    const target = join(work, "out");
    const error = await extractArchive(archive, target, { stripTopDir: true, maxBytes: 1 << 20 }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain(archive);
    expect(readdirSync(work)).toEqual(["a.tar.gz"]);
    for (const escaped of [join(work, "escape"), join(base, "escape"), "/tmp/escape-abs", join(work, "pwned"), OUTSIDE]) expect(existsSync(escaped)).toBe(false);
  }, 15_000);
});

describe("the 'full' python-build-standalone layout", () => {
  test("a link inside install/ that leaves install/ (fine in the whole archive) is refused before anything is installed", async () => {
    const { installBuild } = await import("../../src/python/installs.ts");
    const work = mkdtempSync(join(base, "full-"));
    const archive = join(work, "cpython-full.tar.gz");
    writeFileSync(archive, rawTarGz([
      { name: "python/PYTHON.json", data: "{}" },
      { name: "python/build/secret", data: "x" },
      { name: "python/install/lib/python3.11/os.py", data: "" },
      { name: "python/install/bin/python3.11", data: "#!/bin/sh\n", mode: 0o755 },
      // install/lib/evil -> ../../build/secret stays in the archive, but leaves install/.
      { name: "python/install/lib/evil", type: "2", linkname: "../../build/secret" },
    ]));
    const home = join(work, "home");
    const build = { version: "3.11.7", platform: "linux-x86_64-gnu", build: "20240107", sha256: "0".repeat(64), url: "http://127.0.0.1/x", format: "tar.gz", flavor: "full" } as never;
    const error = await installBuild(build, { home, env: {}, offline: true, archive }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("install/lib/evil -> ../../build/secret points outside the installed tree");
    expect(readdirSync(join(home, "python")).filter((n) => !n.startsWith("."))).toEqual([]);
    expect(readdirSync(join(home, "python"))).toEqual([]);
  });

  test("an archive without bin/ is refused by name, not with a raw ENOENT", async () => {
    const { installBuild } = await import("../../src/python/installs.ts");
    const work = mkdtempSync(join(base, "nobin-"));
    const archive = join(work, "cpython.tar.gz");
    writeFileSync(archive, rawTarGz([{ name: "python/lib/python3.11/os.py", data: "" }]));
    const build = { version: "3.11.7", platform: "linux-x86_64-gnu", build: "20240107", sha256: "0".repeat(64), url: "http://127.0.0.1/x", format: "tar.gz", flavor: "install_only" } as never;
    const error = await installBuild(build, { home: join(work, "home"), env: {}, offline: true, archive }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("does not have the expected layout (no bin/)");
    expect(error.message).not.toContain("ENOENT");
  });
});
