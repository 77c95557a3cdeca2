/**
 * Bytecode overlays (src/python/bytecode-overlay.ts, src/bundle/precompile.ts): compiled with a real
 * interpreter (pyenv's CPython 3.11, else the machine's python3), written as a deterministic
 * .tar.gz, laid into a tree only where they belong, and taken by the interpreter.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyOverlay, compileSources, overlayEntryProblem, readUstarFiles, sourceOfPyc, writeOverlay } from "../../src/python/bytecode-overlay.ts";
import { compilable } from "../../src/bundle/precompile.ts";
import { writeDeterministicTarGz } from "../../src/archive/tar-write.ts";

const python = Bun.which("python3.11") ?? Bun.which("python3") ?? "python3";
const tag = Bun.spawnSync([python, "-c", "import sys; print(sys.implementation.cache_tag)"]).stdout.toString().trim();
const scratch = mkdtempSync(join(tmpdir(), "dht-bytecode-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A small source tree: a package, a module, a test directory and a file that does not compile. */
function sourceTree(name: string): string {
  const root = join(scratch, name);
  mkdirSync(join(root, "pkg", "sub"), { recursive: true });
  writeFileSync(join(root, "pkg", "__init__.py"), "VALUE = {'a', 'b', 'c'}\n");
  writeFileSync(join(root, "pkg", "sub", "mod.py"), "def f(x):\n    return x in {'x', 'y'}\n");
  writeFileSync(join(root, "top.py"), "import pkg\nimport pkg.sub.mod\nprint(pkg.sub.mod.f('x'))\n");
  writeFileSync(join(root, "broken.py"), "def (:\n");
  return root;
}

/** The overlay of a compiled source tree named `name` (its .tar.gz beside it). */
async function overlayOf(name: string): Promise<string> {
  const built = sourceTree(name);
  const overlay = join(scratch, `${name}.tar.gz`);
  await writeOverlay(built, await compileSources(python, built, ["pkg/__init__.py", "pkg/sub/mod.py", "top.py"]), overlay);
  return overlay;
}

describe("which files, where", () => {
  test("what is compiled leaves out tests, scripts, site-packages and the sysconfig data dhtl rewrites", () => {
    expect(
      compilable(["os.py", "json/__init__.py", "test/test_os.py", "idlelib/x.py", "site-packages/a.py", "_sysconfigdata__linux_x86_64-linux-gnu.py", "README.txt", "encodings/utf_8.py", "bin/tool.py", "pkg/tests/t.py", "os.py"]),
    ).toEqual(["encodings/utf_8.py", "json/__init__.py", "os.py"]);
  });

  test("an overlay entry must be a .pyc inside a __pycache__, by a plain relative path", () => {
    expect(overlayEntryProblem("lib/python3.11/__pycache__/os.cpython-311.pyc")).toBeUndefined();
    expect(overlayEntryProblem("lib/../../etc/__pycache__/x.cpython-311.pyc")).toBe("is not a plain relative path");
    expect(overlayEntryProblem("lib/python3.11/os.py")).toBe("is not a .pyc file");
    expect(overlayEntryProblem("lib/python3.11/os.cpython-311.pyc")).toBe("is not inside a __pycache__ directory");
  });

  test("a .pyc names its source: module name up to the first dot, one directory up", () => {
    expect(sourceOfPyc("lib/json/__pycache__/decoder.cpython-311.pyc")).toBe("lib/json/decoder.py");
    expect(sourceOfPyc("__pycache__/top.cpython-313t.opt-1.pyc")).toBe("top.py");
  });
});

describe("compiling and laying in", () => {
  test("compiles checked-hash .pyc files, the same bytes every time, skipping what does not compile", async () => {
    const sources = ["broken.py", "pkg/__init__.py", "pkg/sub/mod.py", "top.py"];
    const a = await compileSources(python, sourceTree("a"), sources);
    const b = await compileSources(python, sourceTree("b"), sources);
    expect(a).toEqual([`__pycache__/top.${tag}.pyc`, `pkg/__pycache__/__init__.${tag}.pyc`, `pkg/sub/__pycache__/mod.${tag}.pyc`]);
    expect(b).toEqual(a);
    for (const rel of a) {
      const bytes = readFileSync(join(scratch, "a", rel));
      expect(bytes.readUInt32LE(4)).toBe(0b11); // PEP 552: hash-based, checked against the source
      expect(bytes.equals(readFileSync(join(scratch, "b", rel)))).toBe(true);
    }
  }, 60_000);

  test("an overlay laid into a fresh copy of the sources is what the interpreter loads", async () => {
    const overlay = await overlayOf("built");
    const target = sourceTree("target");
    expect(await applyOverlay(target, overlay)).toEqual({ files: 3, skipped: 0 });
    const run = Bun.spawnSync([python, "-v", "top.py"], { cwd: target, env: { PATH: process.env.PATH ?? "" }, stderr: "pipe" });
    expect(run.stdout.toString().trim()).toBe("True");
    expect(run.stderr.toString()).toContain(`pkg/sub/__pycache__/mod.${tag}.pyc matches ${join(target, "pkg", "sub", "mod.py")}`);
    // A source that differs from the one compiled is compiled again, never run from the stale .pyc.
    writeFileSync(join(target, "pkg", "sub", "mod.py"), "def f(x):\n    return 'changed'\n");
    expect(Bun.spawnSync([python, "top.py"], { cwd: target, env: { PATH: process.env.PATH ?? "", PYTHONDONTWRITEBYTECODE: "1" } }).stdout.toString().trim()).toBe("changed");
    // Laid in again: existing .pyc files are left alone.
    expect(await applyOverlay(target, overlay)).toEqual({ files: 0, skipped: 3 });
  }, 60_000);

  test("entries whose source is absent, or whose directory is a link out of the tree, are skipped", async () => {
    const overlay = await overlayOf("built2");
    const built = join(scratch, "built2");
    const target = join(scratch, "partial");
    const outside = join(scratch, "outside");
    mkdirSync(join(outside, "sub"), { recursive: true });
    writeFileSync(join(outside, "sub", "mod.py"), "");
    mkdirSync(target);
    writeFileSync(join(target, "top.py"), readFileSync(join(built, "top.py")));
    symlinkSync(outside, join(target, "pkg")); // pkg/ leads out of the tree
    expect(await applyOverlay(target, overlay)).toEqual({ files: 1, skipped: 2 });
    expect(existsSync(join(outside, "sub", "__pycache__"))).toBe(false);
  }, 60_000);

  test("an overlay with anything but .pyc files in __pycache__ is refused before anything is written", async () => {
    const evil = join(scratch, "evil.tar.gz");
    await writeDeterministicTarGz(
      [
        { name: "pkg/__pycache__/__init__.cpython-311.pyc", data: "x" },
        { name: "pkg/__init__.py", data: "import os\n" },
      ],
      evil,
    );
    const target = sourceTree("evil-target");
    await expect(applyOverlay(target, evil)).rejects.toThrow(/'pkg\/__init__\.py' is not a \.pyc file/);
    expect(existsSync(join(target, "pkg", "__pycache__"))).toBe(false);
    const junk = join(scratch, "junk.tar.gz");
    writeFileSync(junk, "not gzip at all");
    await expect(applyOverlay(target, junk)).rejects.toThrow(/not a readable \.tar\.gz/);
  });

  test("the ustar reader joins the prefix field and refuses links", () => {
    const header = (name: string, prefix: string, type: string, size: number) => {
      const h = new Uint8Array(512);
      const put = (at: number, text: string) => h.set(new TextEncoder().encode(text), at);
      put(0, name);
      put(124, size.toString(8).padStart(11, "0"));
      put(156, type);
      put(257, "ustar");
      put(345, prefix);
      return h;
    };
    const body = new Uint8Array(512);
    body.set(new TextEncoder().encode("abc"));
    const tar = new Uint8Array([...header("x.cpython-311.pyc", "a/very/long/prefix/__pycache__", "0", 3), ...body, ...new Uint8Array(1024)]);
    const files = readUstarFiles(tar);
    expect(files.map((f) => f.name)).toEqual(["a/very/long/prefix/__pycache__/x.cpython-311.pyc"]);
    expect(new TextDecoder().decode(files[0]!.data)).toBe("abc");
    expect(() => readUstarFiles(new Uint8Array([...header("evil", "", "2", 0), ...new Uint8Array(1024)]))).toThrow(/not a regular file/);
  });
});
