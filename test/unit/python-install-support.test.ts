import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installGuide } from "../../src/python/guide.ts";
import { patchStalePrefix } from "../../src/python/installs.ts";
import { acquireFileLock } from "../../src/python/lock.ts";
import { pinPython, setPythonVersionInYaml } from "../../src/python/pin.ts";
import { dockerfileFor, wrapperFor } from "../../src/python/container.ts";

describe("stale /install prefix in sysconfig data", () => {
  test("whole-path occurrences are rewritten, look-alikes are not", () => {
    const src = [
      "build_time_vars = {'prefix': '/install',",
      " 'LIBDIR': '/install/lib',",
      " 'LDFLAGS': '-L/install/lib -Wl,-rpath,/install/lib',",
      " 'CONFIG_ARGS': \"'--prefix=/install' '--with-openssl=/tools/deps'\",",
      " 'OTHER': '/opt/install/lib /installer /install-tools',",
      "}",
      "prefix=/install",
    ].join("\n");
    const out = patchStalePrefix(src, "/home/u/.dht/python/cpython-3.12.1-linux-x86_64-gnu");
    const p = "/home/u/.dht/python/cpython-3.12.1-linux-x86_64-gnu";
    expect(out).toContain(`'prefix': '${p}'`);
    expect(out).toContain(`'LIBDIR': '${p}/lib'`);
    expect(out).toContain(`-L${p}/lib -Wl,-rpath,${p}/lib`);
    expect(out).toContain(`--prefix=${p}'`);
    expect(out).toContain("'/opt/install/lib /installer /install-tools'");
    expect(out).toContain(`prefix=${p}`);
  });
});

describe("python pin", () => {
  test("edits only the version line, keeping its comment and the rest of the file", () => {
    const src = "# project config\npython:\n  version: 3.10   # the prod version\n  venv: .venv\ndependencies:\n  strategy: uv\n";
    const out = setPythonVersionInYaml(src, "3.12", { versionLine: 3, pythonLine: 2 });
    expect(out).toBe("# project config\npython:\n  version: \"3.12\"   # the prod version\n  venv: .venv\ndependencies:\n  strategy: uv\n");
  });
  test("adds version under an existing python: block with its indentation, or a new block", () => {
    expect(setPythonVersionInYaml("python:\n    venv: .venv\n", "3.11.7", { pythonLine: 1 })).toBe("python:\n    version: \"3.11.7\"\n    venv: .venv\n");
    expect(setPythonVersionInYaml("version: 1\n", ">=3.10", {})).toBe("version: 1\npython:\n  version: \">=3.10\"\n");
  });
  test("refuses a flow-style python mapping instead of guessing", () => {
    expect(() => setPythonVersionInYaml("python: {venv: .venv}\n", "3.12", { pythonLine: 1 })).toThrow(/flow style/);
  });
  test("writes .dhtconfig when the project has one, else .python-version", async () => {
    const a = mkdtempSync(join(tmpdir(), "dhtl-pin-"));
    writeFileSync(join(a, ".dhtconfig"), "version: 1\npython:\n  version: \"3.11\" # pinned\n");
    const r = await pinPython(a, "3.12");
    expect(r).toMatchObject({ kind: ".dhtconfig", previous: "3.11" });
    expect(readFileSync(join(a, ".dhtconfig"), "utf8")).toBe("version: 1\npython:\n  version: \"3.12\" # pinned\n");
    const b = mkdtempSync(join(tmpdir(), "dhtl-pin-"));
    const r2 = await pinPython(b, "3.11.7");
    expect(r2.kind).toBe(".python-version");
    expect(readFileSync(join(b, ".python-version"), "utf8")).toBe("3.11.7\n");
  });
});

describe("install guide", () => {
  const base = { wanted: "3.11.9", minor: "3.11", platformKey: "linux-x86_64-gnu", build: { url: "https://x/20240107/cpython-3.11.9%2B20240107-x86_64-unknown-linux-gnu-install_only.tar.gz", build: "20240107", version: "3.11.9" } };
  test("Debian without root: sudo apt-get with the venv package, bundle and mirror instructions", () => {
    const g = installGuide({ ...base, facts: { os: "linux", distro: { id: "debian", versionId: "12", name: "Debian GNU/Linux 12 (bookworm)", like: [], source: "/etc/os-release" }, packageManagers: ["apt"], privileges: { root: false, passwordlessSudo: false, sudoAvailable: true } } });
    expect(g).toContain("sudo apt-get update && sudo apt-get install -y python3.11 python3.11-venv");
    expect(g).toContain("dhtl setup --offline-bundle bundle.tar.gz");
    expect(g).toContain("20240107/cpython-3.11.9+20240107-x86_64-unknown-linux-gnu-install_only.tar.gz");
    expect(g).toContain("DHT_PYTHON_MIRROR=");
  });
  test("Ubuntu gets deadsnakes, Fedora dnf, Alpine apk, macOS brew, Windows winget", () => {
    const facts = (id: string, like: string[], pms: string[], os: "linux" | "darwin" | "windows" = "linux") => ({ os, distro: { id, versionId: "", name: id, like, source: "" }, packageManagers: pms, privileges: { root: true, passwordlessSudo: false, sudoAvailable: false } });
    expect(installGuide({ ...base, facts: facts("ubuntu", ["debian"], ["apt"]) })).toContain("ppa:deadsnakes/ppa");
    expect(installGuide({ ...base, facts: facts("fedora", [], ["dnf"]) })).toContain("dnf install -y python3.11");
    expect(installGuide({ ...base, facts: facts("alpine", [], ["apk"]) })).toContain("apk add python3");
    expect(installGuide({ ...base, facts: facts("macos", [], ["brew"], "darwin") })).toContain("brew install python@3.11");
    expect(installGuide({ ...base, facts: facts("windows", [], ["winget"], "windows") })).toContain("winget install --id Python.Python.3.11 -e");
    expect(installGuide({ ...base, facts: facts("debian", [], ["apt"]), containerEngine: "podman" })).toContain("--container");
  });
});

describe("container fallback files", () => {
  test("the Dockerfile pins the exact official image and the wrapper passes shellcheck", async () => {
    expect(dockerfileFor("3.11.9")).toContain("FROM docker.io/library/python:3.11.9-slim");
    const dir = mkdtempSync(join(tmpdir(), "dhtl-wrap-"));
    writeFileSync(join(dir, "python"), wrapperFor("3.11.9"));
    const sc = Bun.which("shellcheck");
    if (!sc) {
      console.warn("shellcheck is not installed: the wrapper lint is skipped (it is in .ci/apt-packages.txt)");
      return;
    }
    const r = Bun.spawnSync([sc, "-s", "sh", join(dir, "python")]);
    expect(r.stdout.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });
});

describe("install lock", () => {
  test("a second holder waits until the first releases", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dhtl-lock-")), "x.lock");
    const release = await acquireFileLock(file);
    let waited = false;
    const second = acquireFileLock(file, { pollMs: 10, onWait: () => (waited = true) });
    await Bun.sleep(50);
    expect(waited).toBe(true);
    await release();
    const release2 = await second;
    await release2();
  });
  test("a lock left by a dead process is taken over", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dhtl-lock-")), "x.lock");
    const dead = Bun.spawnSync(["true"]).pid;
    writeFileSync(file, JSON.stringify({ pid: dead, host: (await import("node:os")).hostname(), since: "2020-01-01T00:00:00Z" }));
    const release = await acquireFileLock(file, { timeoutMs: 2000 });
    expect(JSON.parse(readFileSync(file, "utf8")).pid).toBe(process.pid);
    await release();
  });
  test("a live holder makes a waiter time out with a message naming the holder", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dhtl-lock-")), "x.lock");
    const release = await acquireFileLock(file);
    await expect(acquireFileLock(file, { timeoutMs: 100, pollMs: 20 })).rejects.toThrow(`process ${process.pid}`);
    await release();
  });
});
