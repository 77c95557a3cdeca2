import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enabledSources, interpreterNames, listCandidates } from "../../src/python/discovery.ts";
import { unusableReason } from "../../src/python/resolve.ts";
import type { InterpreterInfo } from "../../src/python/query.ts";
import { parsePyLauncherList, parseRegQuery } from "../../src/python/windows.ts";

describe("Windows sources (fixture output)", () => {
  test("py -0p, new launcher format, with default marker and a non-PythonCore company", () => {
    const out = [
      "  -V:3.13          C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\python.exe",
      "  -V:3.12 *        C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\\python.exe",
      "  -V:3.11-32       C:\\Program Files (x86)\\Python311-32\\python.exe",
      "  -V:ContinuumAnalytics/Anaconda39-64 C:\\ProgramData\\Anaconda3\\python.exe",
      "  -V:3.10          Python 3.10 (Store)",
    ].join("\r\n");
    const entries = parsePyLauncherList(out);
    expect(entries.map((e) => e.tag)).toEqual(["3.13", "3.12", "3.11-32", "Anaconda39-64"]);
    expect(entries[1]).toMatchObject({ isDefault: true, version: "3.12", executable: "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\\python.exe" });
    expect(entries[2]!.bits).toBe(32);
    expect(entries[3]!.company).toBe("ContinuumAnalytics");
  });
  test("py -0p, old launcher format", () => {
    const entries = parsePyLauncherList(" -3.9-64 *      C:\\Python39\\python.exe\n -3.8-32        C:\\Python38-32\\python.exe\n");
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ tag: "3.9-64", bits: 64, isDefault: true, version: "3.9" });
  });
  test("reg query /s output (PEP 514): ExecutablePath, else the InstallPath default value", () => {
    const out = [
      "",
      "HKEY_CURRENT_USER\\Software\\Python\\PythonCore\\3.12",
      "    DisplayName    REG_SZ    Python 3.12 (64-bit)",
      "    SysArchitecture    REG_SZ    64bit",
      "    SysVersion    REG_SZ    3.12",
      "    Version    REG_SZ    3.12.1",
      "",
      "HKEY_CURRENT_USER\\Software\\Python\\PythonCore\\3.12\\InstallPath",
      "    (Default)    REG_SZ    C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\\",
      "    ExecutablePath    REG_SZ    C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\\python.exe",
      "",
      "HKEY_LOCAL_MACHINE\\Software\\WOW6432Node\\Python\\PythonCore\\3.8-32\\InstallPath",
      "    (Default)    REG_SZ    C:\\Python38-32\\",
      "",
      "HKEY_CURRENT_USER\\Software\\Python\\Astral\\CPython3.13.0\\InstallPath",
      "    (Default)    REG_SZ    C:\\Users\\me\\AppData\\Roaming\\uv\\python\\cpython-3.13.0-windows-x86_64-none",
      "    ExecutablePath    REG_SZ    C:\\Users\\me\\AppData\\Roaming\\uv\\python\\cpython-3.13.0-windows-x86_64-none\\python.exe",
    ].join("\r\n");
    const entries = parseRegQuery(out);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ company: "PythonCore", tag: "3.12", version: "3.12.1", bits: 64 });
    expect(entries[1]).toMatchObject({ executable: "C:\\Python38-32\\python.exe", bits: 32, version: "3.8" });
    expect(entries[2]).toMatchObject({ company: "Astral", tag: "CPython3.13.0" });
  });
});

describe("candidate listing", () => {
  const fakeExe = (path: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, "#!/bin/sh\n");
    chmodSync(path, 0o755);
  };

  test("every source in its layout; PATH shim dirs skipped; most specific name first", async () => {
    const root = mkdtempSync(join(tmpdir(), "dhtl-disc-"));
    const bin = join(root, "bin");
    fakeExe(join(bin, "python3"));
    fakeExe(join(bin, "python3.12"));
    fakeExe(join(bin, "python"));
    fakeExe(join(bin, "python3-config"));
    fakeExe(join(root, "pyenv", "shims", "python3"));
    fakeExe(join(root, "pyenv", "versions", "3.11.7", "bin", "python3"));
    fakeExe(join(root, "pyenv", "versions", "miniconda3", "bin", "python3"));
    fakeExe(join(root, "asdf", "installs", "python", "3.10.13", "bin", "python3"));
    fakeExe(join(root, "mise", "installs", "python", "3.9.18", "bin", "python3"));
    fakeExe(join(root, "uv", "cpython-3.13.0-linux-x86_64-gnu", "bin", "python3"));
    fakeExe(join(root, "uv", "cpython-3.13.0-linux-x86_64-gnu", "bin", "python3.13"));
    symlinkSync("cpython-3.13.0-linux-x86_64-gnu", join(root, "uv", "cpython-3.13-linux-x86_64-gnu"));
    fakeExe(join(root, "home", "python", "cpython-3.12.1-linux-x86_64-gnu", "bin", "python3"));
    fakeExe(join(root, "home", "python", "cpython-3.12.1-linux-x86_64-gnu", "bin", "python3.12"));
    const env = {
      PATH: `${bin}:${join(root, "pyenv", "shims")}`,
      PYENV_ROOT: join(root, "pyenv"),
      ASDF_DATA_DIR: join(root, "asdf"),
      MISE_DATA_DIR: join(root, "mise"),
      UV_PYTHON_INSTALL_DIR: join(root, "uv"),
      DHT_PYTHON_DISCOVERY: "managed,uv,path,pyenv,asdf,mise",
    };
    const c = await listCandidates({ env, os: "linux", home: join(root, "home"), userHome: join(root, "nohome") });
    const rel = c.map((x) => [x.source, x.path.slice(root.length + 1), x.versionHint ?? ""]);
    expect(rel).toEqual([
      ["managed", "home/python/cpython-3.12.1-linux-x86_64-gnu/bin/python3.12", "3.12.1"],
      ["uv", "uv/cpython-3.13.0-linux-x86_64-gnu/bin/python3.13", "3.13.0"],
      ["path", "bin/python3.12", "3.12"],
      ["path", "bin/python3", ""],
      ["path", "bin/python", ""],
      ["pyenv", "pyenv/versions/3.11.7/bin/python3", "3.11.7"],
      ["asdf", "asdf/installs/python/3.10.13/bin/python3", "3.10.13"],
      ["mise", "mise/installs/python/3.9.18/bin/python3", "3.9.18"],
    ]);
  });

  test("DHT_PYTHON_DISCOVERY limits sources; none turns discovery off", () => {
    expect([...enabledSources({ DHT_PYTHON_DISCOVERY: "pyenv, path" })]).toEqual(["pyenv", "path"]);
    expect(enabledSources({ DHT_PYTHON_DISCOVERY: "none" }).size).toBe(0);
    expect(enabledSources({}).size).toBe(9);
  });

  test("Windows names", () => expect(interpreterNames(["python.exe", "python3.12.exe", "pythonw.exe", "python3.exe"], "windows")).toEqual(["python3.12.exe", "python3.exe", "python.exe"]));
});

describe("usable as a base interpreter", () => {
  const info: InterpreterInfo = { version: "3.11.2", implementation: "cpython", machine: "x86_64", pointerBits: 64, venv: true, ensurepip: true, executable: "/usr/bin/python3", prefix: "/usr", basePrefix: "/usr", isVenv: false };
  test("a complete CPython passes", () => expect(unusableReason(info, "x86_64", "cpython")).toBeUndefined());
  test("Debian without python3-venv is refused with the package to install", () => expect(unusableReason({ ...info, ensurepip: false }, "x86_64", "cpython")).toContain("python3.X-venv"));
  test("a venv, a 32-bit build and another implementation are refused", () => {
    expect(unusableReason({ ...info, isVenv: true, prefix: "/p/.venv" }, "x86_64", "cpython")).toContain("/p/.venv");
    expect(unusableReason({ ...info, machine: "i686", pointerBits: 32 }, "x86_64", "cpython")).toContain("i686");
    expect(unusableReason({ ...info, implementation: "pypy" }, "x86_64", "cpython")).toContain("pypy");
    expect(unusableReason({ ...info, machine: "AMD64" }, "x86_64", "cpython")).toBeUndefined();
  });
});
