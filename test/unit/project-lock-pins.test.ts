/**
 * Exact installs from poetry.lock, pdm.lock and Pipfile.lock (src/project/lock-pins.ts): the
 * content hashes match what the real tools wrote (the fixture locks were made by poetry 2.5
 * and pdm 2.22, see test/fixtures/installable/relock.ts), the graph walk picks what the
 * selection and the markers of the chosen Python say, nothing else.
 */
import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDeclaredProject } from "../../src/project/declared.ts";
import { exportLock, lockFreshness, lockGraph, markerEnvironment, pinsText, pipfileHash, pythonJsonDumps } from "../../src/project/lock-pins.ts";

const fixtures = join(import.meta.dir, "..", "fixtures");
const linux311 = markerEnvironment("3.11.7", "linux", "x86_64");

async function declared(dir: string) {
  return readDeclaredProject(dir, {}, {});
}

describe("lock freshness (content hashes as the tools compute them)", () => {
  test("the real poetry 2.5 locks (a [tool.poetry] project and a PEP 621 one) and the real pdm lock match their pyproject", async () => {
    for (const dir of ["installable/poetry-locked", "locks/poetry-pep621", "installable/pdm"]) {
      const p = await declared(join(fixtures, dir));
      expect(p.locked?.freshness?.fresh).toBe(true);
    }
  });

  test("a dependency added to pyproject.toml after locking makes the lock stale, naming both files", async () => {
    for (const [dir, edit] of [
      ["installable/poetry-locked", (t: string) => t.replace('rich = ">=13"', 'rich = ">=13"\nclick = "*"')],
      ["installable/pdm", (t: string) => t.replace('"idna>=3.5"]', '"idna>=3.5", "click"]')],
    ] as const) {
      const copy = mkdtempSync(join(tmpdir(), "dht-lock-"));
      cpSync(join(fixtures, dir), copy, { recursive: true });
      writeFileSync(join(copy, "pyproject.toml"), edit(readFileSync(join(copy, "pyproject.toml"), "utf8")));
      const f = (await declared(copy)).locked!.freshness!;
      expect(f.fresh).toBe(false);
      expect(f.why).toMatch(/^(poetry|pdm)\.lock does not match pyproject\.toml/);
    }
  });

  test("a lock that records no hash cannot be judged (fresh undefined); Pipfile.lock's _meta hash follows pipenv", () => {
    expect(lockFreshness("pdm.lock", { metadata: {} }, {}, "pyproject.toml").fresh).toBeUndefined();
    const pipfile = { source: [{ name: "pypi", url: "https://pypi.org/simple", verify_ssl: true }], packages: { six: "==1.17.0" }, "dev-packages": {}, requires: { python_version: "3.11" } };
    expect(lockFreshness("Pipfile.lock", { _meta: { hash: { sha256: pipfileHash(pipfile) } } }, pipfile, "Pipfile").fresh).toBe(true);
    expect(lockFreshness("Pipfile.lock", { _meta: { hash: { sha256: pipfileHash(pipfile) } } }, { ...pipfile, packages: { six: "*" } }, "Pipfile").fresh).toBe(false);
  });

  test("Python's json.dumps(sort_keys=True) byte for byte: key order, separators, ensure_ascii escapes", () => {
    // python3 -c 'import json; print(json.dumps({"b": [1, True, None], "\u00e9": "x\n\"\\", "a": {}}, sort_keys=True))'
    expect(pythonJsonDumps({ b: [1, true, null], "é": 'x\n"\\', a: {} })).toBe('{"a": {}, "b": [1, true, null], "\\u00e9": "x\\n\\"\\\\"}');
    expect(pythonJsonDumps({ b: 1, a: [2, 3] }, [",", ":"])).toBe('{"a":[2,3],"b":1}');
  });
});

describe("exact pins from the lock graph", () => {
  test("poetry.lock: main deps and the dev group, idna at the locked 3.7, the win32-only colorama out on Linux and in on Windows; the dates extra adds python-dateutil and six", async () => {
    const p = await declared(join(fixtures, "installable", "poetry-locked"));
    const roots = [...p.requirements, ...p.groups.dev!];
    const exp = exportLock(p.locked!.graph!, roots, linux311, p.root);
    expect(exp.missing).toEqual([]);
    expect(exp.pins.map((x) => `${x.name}==${x.version}`).sort()).toEqual(["idna==3.7", "iniconfig==2.0.0", "markdown-it-py==3.0.0", "mdurl==0.1.2", "packaging==24.2", "pluggy==1.5.0", "pygments==2.19.1", "pytest==8.3.5", "rich==13.9.4"]);
    expect(exp.pins.every((x) => x.hashes.length === 1 && x.hashes[0]!.startsWith("sha256:"))).toBe(true);
    const windows = exportLock(p.locked!.graph!, roots, markerEnvironment("3.11.7", "windows", "x86_64"), p.root);
    expect(windows.pins.map((x) => x.name)).toContain("colorama");
    const withExtra = exportLock(p.locked!.graph!, [...roots, ...p.optional.dates!], linux311, p.root);
    expect(withExtra.pins.map((x) => `${x.name}==${x.version}`)).toEqual(expect.arrayContaining(["python-dateutil==2.9.0.post0", "six==1.17.0"]));
    expect(pinsText(exp, "poetry.lock")).toContain("idna==3.7 \\\n    --hash=sha256:82fee1fc78add43492d3a1898bfa6d8a904cc97d8427f683ed8e798d07761aa0\n");
  });

  test("pdm.lock: the editable path package of the test group is a local install of the lock's path, its dependency six pinned", async () => {
    const p = await declared(join(fixtures, "installable", "pdm"));
    const exp = exportLock(p.locked!.graph!, [...p.requirements, ...p.groups.test!], linux311, p.root);
    expect(exp.missing).toEqual([]);
    expect(exp.local).toEqual([{ name: "helper", args: ["-e", `${p.root}/packages/helper`] }]);
    expect(exp.pins.map((x) => x.name).sort()).toEqual(["attrs", "idna", "iniconfig", "packaging", "pluggy", "pytest", "six"]);
    // Only the default group: no pytest.
    expect(exportLock(p.locked!.graph!, p.requirements, linux311, p.root).pins.map((x) => x.name).sort()).toEqual(["attrs", "idna"]);
  });

  test("a requirement the lock has no entry for is reported missing (the lock predates it)", async () => {
    const p = await declared(join(fixtures, "installable", "pdm"));
    const exp = exportLock(p.locked!.graph!, [{ name: "click", specifier: "" }], linux311, p.root);
    expect(exp.missing).toEqual(["click"]);
  });

  test("Pipfile.lock: the selected categories, markers evaluated, VCS and editable entries as local installs", () => {
    const graph = lockGraph("Pipfile.lock", {
      _meta: {},
      default: { six: { version: "==1.17.0", hashes: ["sha256:" + "a".repeat(64)] }, pywin32: { version: "==306", markers: "sys_platform == 'win32'", hashes: [] }, lib: { git: "https://git.example/lib.git", ref: "abc123" } },
      develop: { pytest: { version: "==8.3.5", hashes: ["sha256:" + "b".repeat(64)] }, mylib: { path: "./libs/mylib", editable: true } },
    });
    const prod = exportLock(graph, [], linux311, "/p", ["default"]);
    expect(prod.pins.map((x) => x.name)).toEqual(["six"]);
    expect(prod.local).toEqual([{ name: "lib", args: ["lib @ git+https://git.example/lib.git@abc123"] }]);
    const dev = exportLock(graph, [], linux311, "/p", ["default", "develop"]);
    expect(dev.pins.map((x) => x.name)).toEqual(["six", "pytest"]);
    expect(dev.local.map((l) => l.args)).toContainEqual(["-e", "/p/libs/mylib"]);
  });
});
