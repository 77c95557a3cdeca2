/**
 * The verify step's import check against a real interpreter (pyenv's CPython 3.11, or the
 * machine's python3), with distributions made on the fly on PYTHONPATH.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runImportChecks } from "../../src/flows/setup/import-check.ts";

const python = Bun.which("python3.11") ?? Bun.which("python3") ?? "python3";

/** A site directory holding fake installed distributions: name → module source. */
function site(dists: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dht-imports-"));
  for (const [name, source] of Object.entries(dists)) {
    const info = join(dir, `${name}-1.0.dist-info`);
    mkdirSync(info);
    writeFileSync(join(info, "METADATA"), `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n`);
    writeFileSync(join(info, "RECORD"), `${name}.py,,\n${name}-1.0.dist-info/METADATA,,\n`);
    writeFileSync(join(dir, `${name}.py`), source);
  }
  return dir;
}

describe("import check", () => {
  test("checks, failures and missing distributions are all reported, whatever the number of workers", async () => {
    const dir = site({ good_a: "X = 1\n", good_b: "import json\n", bad_c: "raise RuntimeError('needs a display')\n" });
    for (const workers of [1, 2, 4]) {
      const r = await runImportChecks(python, ["good_a", "bad_c", "good_b", "not_installed"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir, workers });
      expect(r.broken).toBeUndefined();
      expect(r.checked.sort()).toEqual([["good_a", "good_a"], ["good_b", "good_b"]]);
      expect(r.failed).toEqual([["bad_c", "bad_c", "RuntimeError: needs a display"]]);
      expect(r.missing).toEqual(["not_installed"]);
    }
  });
  test("a secondary module that needs an extra is a warning; the distribution's own module failing is an error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dht-imports-"));
    const info = join(dir, "tool-1.0.dist-info");
    mkdirSync(info);
    writeFileSync(join(info, "METADATA"), "Metadata-Version: 2.1\nName: tool\nVersion: 1.0\n");
    writeFileSync(join(info, "RECORD"), "tool.py,,\ntoold.py,,\n");
    writeFileSync(join(dir, "tool.py"), "X = 1\n");
    writeFileSync(join(dir, "toold.py"), "import aiohttp_not_installed\n");
    const ok = await runImportChecks(python, ["tool"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir });
    expect(ok.failed).toEqual([]);
    expect(ok.warned.map(([d, m]) => [d, m])).toEqual([["tool", "toold"]]);
    writeFileSync(join(dir, "tool.py"), "raise ImportError('broken build')\n");
    const bad = await runImportChecks(python, ["tool"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir });
    expect(bad.failed.map(([d, m]) => [d, m])).toContainEqual(["tool", "tool"]);
  });
  test("a module that prints on import does not confuse the report", async () => {
    const dir = site({ chatty: "print('hello from chatty')\nprint('{\"checked\": []}')\n", quiet: "" });
    const r = await runImportChecks(python, ["chatty", "quiet"], { env: { PYTHONPATH: dir, PATH: process.env.PATH }, cwd: dir, workers: 1 });
    expect(r.checked).toEqual([["chatty", "chatty"], ["quiet", "quiet"]]);
  });
  test("an interpreter that does not run is reported as broken, not as a pass", async () => {
    const r = await runImportChecks("/bin/false", ["anything"], { env: {}, cwd: tmpdir() });
    expect(r.broken?.code).toBe(1);
    expect(r.checked).toEqual([]);
  });
  test("with nothing to import, the interpreter still has to start and exit cleanly", async () => {
    expect((await runImportChecks(python, [], { env: { PATH: process.env.PATH }, cwd: tmpdir() })).broken).toBeUndefined();
    expect((await runImportChecks("/bin/false", [], { env: {}, cwd: tmpdir() })).broken?.code).toBe(1);
  });
});

/**
 * Every metadata layout the verify step meets, on every Python dhtl can choose (pyenv's
 * 2.7, 3.6, 3.7 … 3.13 when present): wheel installs (dist-info with top_level.txt, or RECORD
 * only), pip's legacy egg-info directories (installed-files.txt), a PKG-INFO egg-info file,
 * a `setup.py develop` project on sys.path, PEP 660 editable .pth files, a name whose
 * distribution differs from its module (python-dateutil → dateutil).
 */
describe("import check on every Python dhtl can choose (no importlib.metadata)", () => {
  const { pyenvVersions, pyenvRoot } = require("../helpers/pbs.ts") as typeof import("../helpers/pbs.ts");
  const versions = pyenvVersions();
  if (versions.length === 0) console.warn("import check on old Pythons: skipped (no pyenv interpreters)");

  function layouts(): { dir: string; project: string } {
    const dir = mkdtempSync(join(tmpdir(), "dht-layouts-"));
    const w = (rel: string, text: string) => {
      mkdirSync(join(dir, rel, ".."), { recursive: true });
      writeFileSync(join(dir, rel), text);
    };
    // A wheel install with top_level.txt, whose module is named differently.
    w("python_dateutil-2.8.2.dist-info/METADATA", "Metadata-Version: 2.1\nName: python-dateutil\nVersion: 2.8.2\n\nbody: Name: other\n");
    w("python_dateutil-2.8.2.dist-info/top_level.txt", "dateutil\n");
    w("dateutil/__init__.py", "X = 1\n");
    // RECORD only, a dotted name (zope.interface-like), a package and a module.
    w("zope.thing-5.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zope.thing\nVersion: 5.0\n");
    w("zope.thing-5.0.dist-info/RECORD", "zope/__init__.py,sha256=x,1\nzope/thing.py,,\nzope.thing-5.0.dist-info/METADATA,,\n");
    w("zope/__init__.py", "");
    w("zope/thing.py", "");
    // pip's legacy install of an sdist: an egg-info directory with installed-files.txt.
    w("legacy_pkg-1.0-py2.7.egg-info/PKG-INFO", "Metadata-Version: 1.1\nName: legacy-pkg\nVersion: 1.0\n");
    w("legacy_pkg-1.0-py2.7.egg-info/installed-files.txt", "../legacy_mod.py\n../legacy_mod.pyc\nPKG-INFO\n");
    w("legacy_mod.py", "Y = 2\n");
    // distutils' single-file egg-info (PKG-INFO content, no file list): nothing to import, not missing.
    w("onefile-0.1.egg-info", "Metadata-Version: 1.0\nName: onefile\nVersion: 0.1\n");
    // A PEP 660 editable install: a .pth naming the project's src directory (on PYTHONPATH the
    // .pth is not processed, so the test puts src there itself; the check must find the name).
    const project = mkdtempSync(join(tmpdir(), "dht-editable-"));
    mkdirSync(join(project, "src", "edpkg"), { recursive: true });
    writeFileSync(join(project, "src", "edpkg", "__init__.py"), "");
    w("edpkg-0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: edpkg\nVersion: 0.1\n");
    w("edpkg-0.1.dist-info/RECORD", "__editable__.edpkg-0.1.pth,,\nedpkg-0.1.dist-info/METADATA,,\n");
    w("__editable__.edpkg-0.1.pth", `${join(project, "src")}\n`);
    // `setup.py develop`: the project directory (with its egg-info) is itself on sys.path.
    mkdirSync(join(project, "devpkg.egg-info"), { recursive: true });
    writeFileSync(join(project, "devpkg.egg-info", "PKG-INFO"), "Metadata-Version: 1.1\nName: devpkg\nVersion: 0.1\n");
    writeFileSync(join(project, "devpkg.egg-info", "top_level.txt"), "devpkg\n");
    writeFileSync(join(project, "devpkg.py"), "raise ImportError('devpkg is broken on purpose')\n");
    return { dir, project };
  }

  for (const version of versions) {
    test(`CPython ${version}: every layout is found and imported, failures and missing names reported`, async () => {
      const python = join(pyenvRoot(), "versions", version, "bin", "python");
      const { dir, project } = layouts();
      const names = ["python-dateutil", "zope.thing", "Legacy_Pkg", "onefile", "edpkg", "devpkg", "not-installed"];
      const r = await runImportChecks(python, names, { env: { PYTHONPATH: `${dir}:${project}:${join(project, "src")}`, PATH: process.env.PATH }, cwd: tmpdir(), workers: 2 });
      expect(r.broken).toBeUndefined();
      expect(r.checked.sort()).toEqual([["Legacy_Pkg", "legacy_mod"], ["edpkg", "edpkg"], ["python-dateutil", "dateutil"], ["zope.thing", "zope"]]);
      expect(r.failed.map(([d, m, e]) => [d, m, e.replace(/^ImportError: /, "")])).toEqual([["devpkg", "devpkg", "devpkg is broken on purpose"]]);
      expect(r.missing).toEqual(["not-installed"]);
    });
  }
});
