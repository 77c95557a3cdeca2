/**
 * Offline bundles end to end, with real components: the compiled dhtl, the real uv, real
 * wheels from PyPI (fetched once by scripts/fetch-test-assets.ts) served by a PEP 503 index
 * on 127.0.0.1, and a real CPython (a pyenv build in python-build-standalone shape) served
 * as a loopback "PBS mirror". Setup from the bundle runs inside `unshare -rn`: a network
 * namespace with no network at all, so any network access would fail it.
 *
 * The Windows and macOS CPython archives are small fakes with the real names and layout:
 * they are only bundled and inspected here, never run. Their uv and wheels are real.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { dhtl, dhtlBinary, repoRoot } from "../helpers/cli.ts";
import { buildPbsArchive, PBS_BUILD_TAG, pyenvVersionFor, writeManifestOverride } from "../helpers/pbs.ts";
import { startFileServer, type FileServer } from "../helpers/servers.ts";
import { startPypiIndex, type PypiIndex } from "../helpers/pypi-index.ts";
import { uvBinary } from "../helpers/setup-project.ts";
import { startReleaseServer } from "../helpers/release.ts";
import { canonicalJson } from "../../src/bundle/manifest.ts";
import type { BundleManifest } from "../../src/bundle/types.ts";

const assets = join(repoRoot, ".cache", "test-assets");
const PY = pyenvVersionFor("3.11") ?? "3.11.7";
const UNSHARE_OK = Bun.spawnSync(["unshare", "-rn", "true"]).exitCode === 0;
if (!UNSHARE_OK) console.warn("unshare -rn is not permitted here: the no-network setup tests cannot prove anything and are skipped");

let pbsServer: FileServer;
let index: PypiIndex;
let downloadsJson: string;
let work: string;
/** Project name → wheel files the loopback index serves. */
const indexProjects: Record<string, string[]> = {};

const normalise = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");
function wheelsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".whl")).map((f) => join(dir, f)) : [];
}

/** A tar.gz with a PBS-shaped tree for a platform we cannot run (never executed). */
async function fakePbs(dir: string, platformKey: string, triple: string, exe: string) {
  const stage = mkdtempSync(join(tmpdir(), "fake-pbs-"));
  mkdirSync(join(stage, "python", exe.includes("/") ? exe.split("/").slice(0, -1).join("/") : ""), { recursive: true });
  writeFileSync(join(stage, "python", exe), `fake interpreter for ${platformKey}\n`);
  const filename = `cpython-${PY}+${PBS_BUILD_TAG}-${triple}-install_only.tar.gz`;
  const out = join(dir, filename);
  expect(Bun.spawnSync(["tar", "-C", stage, "--owner=0", "--group=0", "--mtime=@0", "-czf", out, "python"]).exitCode).toBe(0);
  const sha256 = new Bun.CryptoHasher("sha256").update(readFileSync(out)).digest("hex");
  return { version: PY, platform: platformKey, build: PBS_BUILD_TAG, filename, sha256 };
}

function writeProject(files: Record<string, string>): string {
  const root = mkdtempSync(join(work, "proj-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/** Environment of the connected machine that prepares bundles: loopback index and mirror only. */
function preparerEnv(home = mkdtempSync(join(work, "home-a-"))): Record<string, string> {
  return {
    DHT_HOME: home,
    DHT_PYTHON_DOWNLOADS: downloadsJson,
    PIP_INDEX_URL: index.simpleUrl,
    PIP_CONFIG_FILE: "/dev/null",
    UV_NO_CONFIG: "1",
    XDG_CONFIG_HOME: join(home, "xdg"),
    UV_CACHE_DIR: join(home, "uv-cache"),
  };
}

const PROJECT = {
  ".python-version": `${PY}\n`,
  "requirements.txt": "rich==13.9.4\ntabulate==0.9.0\nsix==1.17.0\nmarkupsafe==3.0.2\n",
};

async function prepare(project: string, args: string[], env = preparerEnv()) {
  const r = await dhtl(["prepare-offline", ...args], { cwd: project, env, timeoutMs: 240_000 });
  if (r.code !== 0) throw new Error(`prepare-offline failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** Run the compiled dhtl with no network at all, as on an air-gapped machine (fresh DHT_HOME, no Python on PATH). */
async function offlineSetup(project: string, args: string[], home = mkdtempSync(join(work, "home-b-"))) {
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    HOME: home,
    DHT_HOME: home,
    NO_COLOR: "1",
    PIP_CONFIG_FILE: "/dev/null",
    UV_NO_CONFIG: "1",
    XDG_CONFIG_HOME: join(home, "xdg"),
    UV_CACHE_DIR: join(home, "uv-cache"),
  };
  const proc = Bun.spawn(["unshare", "-rn", dhtlBinary, "setup", ...args], { cwd: project, env, stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: 240_000 });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr, home };
}

function readManifest(dir: string): BundleManifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as BundleManifest;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "dht-offline-e2e-"));
  const linux = await buildPbsArchive(PY);
  const mirror = join(work, "mirror");
  mkdirSync(mirror);
  cpSync(linux.path, join(mirror, linux.filename));
  const windows = await fakePbs(mirror, "windows-x86_64-none", "x86_64-pc-windows-msvc", "python.exe");
  const darwin = await fakePbs(mirror, "darwin-aarch64-none", "aarch64-apple-darwin", `bin/python${PY.split(".").slice(0, 2).join(".")}`);
  pbsServer = await startFileServer({ dir: mirror });
  downloadsJson = join(work, "python-downloads.json");
  await writeManifestOverride(downloadsJson, pbsServer.url("/"), [linux, windows, darwin]);

  const projects: Record<string, string[]> = indexProjects;
  for (const wheel of [...wheelsIn(join(assets, "setup-wheels")), ...wheelsIn(join(assets, "offline-wheels")), ...wheelsIn(join(assets, "uv"))]) {
    const name = normalise(basename(wheel).split("-")[0]!);
    (projects[name] ??= []).push(wheel);
  }
  expect(projects.markupsafe?.length).toBe(3);
  expect(projects.uv?.length).toBeGreaterThanOrEqual(3);
  index = await startPypiIndex({ projects, mode: "html" });
}, 120_000);

afterAll(async () => {
  index?.stop();
  await pbsServer?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("dhtl prepare-offline", () => {
  test("the same project prepared twice (fresh caches) gives byte-identical bundles listing every file", async () => {
    const project = writeProject(PROJECT);
    const a = join(work, "a.tar.gz");
    const b = join(work, "b.tar.gz");
    const first = await prepare(project, ["--output", a, "--json"]);
    const second = await prepare(project, ["--output", b]);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    // Without --json: download progress on stderr, the summary on stdout.
    expect(second.stderr).toContain(`CPython ${PY} (linux-x86_64-gnu)`);
    expect(second.stdout).toContain("Files:      13 (CPython 1");
    expect(second.stdout).toContain("CPython stdlib bytecode 1");
    expect(second.stdout).toContain("wheels bytecode 1");
    const summary = JSON.parse(first.stdout);
    expect(summary.ok).toBe(true);
    expect(summary.platforms).toEqual([
      { key: "linux-x86_64-gnu", pythons: [PY], uv: "0.13.9", environments: { ".": { python: PY, wheels: 7, missing: [] } }, dhtl: false },
    ]);

    const inspected = await dhtl(["bundle", "inspect", a, "--json"], { cwd: work });
    expect(inspected.code).toBe(0);
    const report = JSON.parse(inspected.stdout);
    expect(report.verification).toEqual({ ok: true, problems: 0 });
    expect(report.sha256).toBe(summary.sha256); // what the user compares after copying it
    const paths: string[] = report.files.map((f: { path: string }) => f.path);
    expect(paths).toContain(`platforms/linux-x86_64-gnu/python/cpython-${PY}+${PBS_BUILD_TAG}-x86_64-unknown-linux-gnu-install_only.tar.gz`);
    expect(paths).toContain("platforms/linux-x86_64-gnu/uv/uv");
    // What setup imports is compiled here (the host's build runs here), so the air-gapped
    // machine need not; the bundle stays byte-identical (above).
    const bytecode = `platforms/linux-x86_64-gnu/python-bytecode/cpython-${PY}+${PBS_BUILD_TAG}-x86_64-unknown-linux-gnu-install_only.tar.gz`;
    expect(report.platforms[0].pythons[0].bytecode).toBe(bytecode);
    expect(report.files.find((f: { path: string }) => f.path === bytecode).kind).toBe("python-bytecode");
    expect(report.platforms[0].wheels["."].bytecode).toBe("platforms/linux-x86_64-gnu/wheels-bytecode/root.tar.gz");
    expect(report.files.find((f: { path: string }) => f.path === "platforms/linux-x86_64-gnu/wheels-bytecode/root.tar.gz").kind).toBe("wheel-bytecode");
    expect(paths.filter((p) => p.startsWith("platforms/linux-x86_64-gnu/wheels/root/")).map((p) => basename(p)).sort()).toEqual([
      "MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "markdown_it_py-3.0.0-py3-none-any.whl",
      "mdurl-0.1.2-py3-none-any.whl",
      "pygments-2.19.1-py3-none-any.whl",
      "rich-13.9.4-py3-none-any.whl",
      "six-1.17.0-py2.py3-none-any.whl",
      "tabulate-0.9.0-py3-none-any.whl",
    ]); // typing-extensions is only needed by rich below Python 3.11: uv evaluated the markers for 3.11
    expect(paths).toEqual(expect.arrayContaining(["project/.python-version", "project/requirements.txt"]));
    expect(report.files.every((f: { sha256: string; size: number }) => /^[0-9a-f]{64}$/.test(f.sha256) && f.size > 0)).toBe(true);
  }, 300_000);

  test("bundles for Windows and macOS made on Linux carry their CPython build, their uv and wheels with their tags", async () => {
    const project = writeProject(PROJECT);
    const out = join(work, "multi");
    await prepare(project, ["--output", out, "--platform", "windows-x86_64-none,darwin-aarch64-none"]);
    const m = readManifest(out);
    expect(m.platforms.map((p) => p.key)).toEqual(["windows-x86_64-none", "darwin-aarch64-none"]);
    const win = m.platforms[0]!;
    const mac = m.platforms[1]!;
    expect(win.pythons[0]!.path).toBe(`platforms/windows-x86_64-none/python/cpython-${PY}+${PBS_BUILD_TAG}-x86_64-pc-windows-msvc-install_only.tar.gz`);
    expect(mac.pythons[0]!.path).toBe(`platforms/darwin-aarch64-none/python/cpython-${PY}+${PBS_BUILD_TAG}-aarch64-apple-darwin-install_only.tar.gz`);
    expect(win.uv.wheel).toBe("uv-0.13.9-py3-none-win_amd64.whl");
    expect(mac.uv.wheel).toBe("uv-0.13.9-py3-none-macosx_11_0_arm64.whl");
    // The binaries themselves: a PE executable and a 64-bit Mach-O.
    const uvExe = readFileSync(join(out, win.uv.path));
    expect(win.uv.path.endsWith("/uv.exe")).toBe(true);
    expect(uvExe.subarray(0, 2).toString()).toBe("MZ");
    expect(readFileSync(join(out, mac.uv.path)).readUInt32LE(0)).toBe(0xfeedfacf);
    const winWheels = win.wheels["."]!.files;
    const macWheels = mac.wheels["."]!.files;
    expect(winWheels).toContain("MarkupSafe-3.0.2-cp311-cp311-win_amd64.whl");
    expect(macWheels).toContain("MarkupSafe-3.0.2-cp311-cp311-macosx_11_0_arm64.whl");
    expect([...winWheels, ...macWheels].some((w) => w.includes("manylinux"))).toBe(false);
    expect(win.wheels["."]!.missing).toEqual([]);
    // Their interpreters cannot run here: no precompiled stdlib (setup compiles on first import).
    expect([...win.pythons, ...mac.pythons].some((p) => p.bytecode)).toBe(false);
    expect([win.wheels["."]!.bytecode, mac.wheels["."]!.bytecode]).toEqual([undefined, undefined]);
    const inspected = await dhtl(["bundle", "inspect", out], { cwd: work });
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain("Checksums:  ok");
  }, 300_000);
});

/** An sdist (PEP 517, hatchling) of a tiny package that has no wheel anywhere. */
function writeSdist(dir: string): string {
  const stage = mkdtempSync(join(tmpdir(), "sdist-"));
  const top = join(stage, "only_sdist-0.1.0");
  mkdirSync(join(top, "only_sdist"), { recursive: true });
  writeFileSync(join(top, "only_sdist", "__init__.py"), "VALUE = 42\n");
  writeFileSync(join(top, "pyproject.toml"), '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "only-sdist"\nversion = "0.1.0"\n');
  writeFileSync(join(top, "PKG-INFO"), "Metadata-Version: 2.1\nName: only-sdist\nVersion: 0.1.0\n");
  const out = join(dir, "only_sdist-0.1.0.tar.gz");
  expect(Bun.spawnSync(["tar", "-C", stage, "-czf", out, "only_sdist-0.1.0"]).exitCode).toBe(0);
  return out;
}

describe("dhtl prepare-offline: sources, monorepos, signatures, dhtl itself", () => {
  test("a package with only an sdist is built into a wheel for this platform, and listed as missing for others", async () => {
    const sdistIndex = await startPypiIndex({ projects: { ...Object.fromEntries(Object.entries(indexProjects)), "only-sdist": [writeSdist(work)] }, mode: "html" });
    try {
      const project = writeProject({ ".python-version": `${PY}\n`, "requirements.txt": "only-sdist==0.1.0\nsix==1.17.0\n" });
      const out = join(work, "sdist-bundle");
      const r = await prepare(project, ["--output", out, "--platform", "linux-x86_64-gnu,windows-x86_64-none"], { ...preparerEnv(), PIP_INDEX_URL: sdistIndex.simpleUrl });
      const m = readManifest(out);
      const linux = m.platforms.find((p) => p.key === "linux-x86_64-gnu")!.wheels["."]!;
      const windows = m.platforms.find((p) => p.key === "windows-x86_64-none")!.wheels["."]!;
      expect(linux.files.some((f) => /^only_sdist-0\.1\.0-py\d.*\.whl$/.test(f))).toBe(true);
      expect(linux.missing).toEqual([]);
      expect(windows.files).toEqual(["six-1.17.0-py2.py3-none-any.whl"]);
      expect(windows.missing).toEqual([{ requirement: "only-sdist==0.1.0", reason: expect.stringContaining("only a source distribution exists") }]);
      expect(r.stdout).toContain("MISSING (1)");
      expect(r.stdout).toContain("windows-x86_64-none: only-sdist==0.1.0");
      expect(m.warnings.join("\n")).toContain("built only_sdist-0.1.0");
    } finally {
      sdistIndex.stop();
    }
  }, 300_000);

  test("a uv.lock project is bundled with exactly the locked pins, including its dev group", async () => {
    const project = writeProject({
      ".python-version": `${PY}\n`,
      "pyproject.toml": '[project]\nname = "locked"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = ["rich", "six"]\n\n[dependency-groups]\ndev = ["tabulate"]\n\n[tool.uv]\npackage = false\n',
    });
    // Async: the index is served by this process, a blocking spawn would starve it.
    const lock = Bun.spawn([uvBinary(), "lock", "--quiet"], { cwd: project, env: { PATH: "/usr/bin:/bin", HOME: work, UV_INDEX_URL: index.simpleUrl, UV_NO_CONFIG: "1", UV_CACHE_DIR: join(work, "uv-lock-cache") }, stderr: "pipe" });
    expect(await new Response(lock.stderr).text()).toBe("");
    expect(await lock.exited).toBe(0);
    const out = join(work, "locked");
    await prepare(project, ["--output", out]);
    const set = readManifest(out).platforms[0]!.wheels["."]!;
    expect(set.requirements).toEqual(["markdown-it-py==3.0.0", "mdurl==0.1.2", "pygments==2.19.1", "rich==13.9.4", "six==1.17.0", "tabulate==0.9.0"]);
    expect(readManifest(out).files.map((f) => f.path)).toContain("project/uv.lock");
  }, 300_000);

  test("--all-environments puts every monorepo environment in one bundle, with wheels per environment", async () => {
    const project = writeProject({
      ".dhtconfig": "version: 1\npython:\n  version: \"" + PY + "\"\nenvironments:\n  services/api:\n    dependencies:\n      strategy: uv\n  libs/core:\n    dependencies:\n      strategy: uv\n",
      "services/api/requirements.txt": "six==1.17.0\n",
      "libs/core/pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "core"\nversion = "0.1.0"\ndependencies = ["tabulate==0.9.0"]\n',
      "libs/core/core/__init__.py": "",
    });
    const out = join(work, "mono");
    await prepare(project, ["--output", out, "--all-environments"]);
    const m = readManifest(out);
    expect(m.project.environments).toEqual(["libs/core", "services/api"]);
    const wheels = m.platforms[0]!.wheels;
    expect(Object.keys(wheels).sort()).toEqual(["libs/core", "services/api"]);
    expect(wheels["services/api"]!.files).toEqual(["six-1.17.0-py2.py3-none-any.whl"]);
    expect(wheels["services/api"]!.dir).toBe("platforms/linux-x86_64-gnu/wheels/env-services%2Fapi");
    // libs/core installs itself (editable): its dependency, its build backend and what the
    // backend asks for at build time (hatchling: editables) are bundled.
    expect(wheels["libs/core"]!.files).toEqual(expect.arrayContaining(["tabulate-0.9.0-py3-none-any.whl", "hatchling-1.27.0-py3-none-any.whl", "editables-0.5-py3-none-any.whl"]));
    expect(wheels["libs/core"]!.files).not.toContain("six-1.17.0-py2.py3-none-any.whl");
    const paths = m.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["project/.dhtconfig", "project/services/api/requirements.txt", "project/libs/core/pyproject.toml"]));
  }, 300_000);

  test("--sign signs the manifest; inspect verifies it with the public key and refuses another key", async () => {
    const keys = mkdtempSync(join(work, "keys-"));
    const keygen = await dhtl(["bundle", "keygen", "--out", join(keys, "k.pem")], { cwd: work });
    expect(keygen.code).toBe(0);
    expect((Bun.file(join(keys, "k.pem")).size)).toBeGreaterThan(0);
    expect(require("node:fs").statSync(join(keys, "k.pem")).mode & 0o077).toBe(0);
    const other = await dhtl(["bundle", "keygen", "--out", join(keys, "other.pem"), "--json"], { cwd: work });
    expect(JSON.parse(other.stdout).keyId).toMatch(/^[0-9a-f]{16}$/);
    const again = await dhtl(["bundle", "keygen", "--out", join(keys, "k.pem")], { cwd: work });
    expect(again.code).toBe(2);

    const project = writeProject(PROJECT);
    const out = join(work, "signed.tar.gz");
    const r = await prepare(project, ["--output", out, "--sign", join(keys, "k.pem")]);
    expect(r.stdout).toMatch(/Signature: +signed \(key [0-9a-f]{16}\)/);
    const good = await dhtl(["bundle", "inspect", out, "--verify-key", join(keys, "k.pem.pub")], { cwd: work });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/Signature: +valid/);
    const bad = await dhtl(["bundle", "inspect", out, "--verify-key", join(keys, "other.pem.pub"), "--json"], { cwd: work });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).signature.state).toBe("invalid");
  }, 300_000);

  test("--include-self adds the dhtl executable of each platform from the dist directory", async () => {
    const dist = mkdtempSync(join(work, "dist-"));
    for (const target of ["linux-x64", "windows-x64"]) {
      mkdirSync(join(dist, `dhtl-${target}`));
      writeFileSync(join(dist, `dhtl-${target}`, target.startsWith("windows") ? "dhtl.exe" : "dhtl"), `dhtl for ${target}\n`);
    }
    const project = writeProject(PROJECT);
    const out = join(work, "with-self");
    await prepare(project, ["--output", out, "--include-self", "--platform", "linux-x86_64-gnu,windows-x86_64-none"], { ...preparerEnv(), DHTL_DIST_DIR: dist });
    const m = readManifest(out);
    expect(m.platforms.map((p) => p.dhtl)).toEqual(["platforms/linux-x86_64-gnu/dhtl/dhtl", "platforms/windows-x86_64-none/dhtl/dhtl.exe"]);
    expect(readFileSync(join(out, "platforms/windows-x86_64-none/dhtl/dhtl.exe"), "utf8")).toBe("dhtl for windows-x64\n");
    const noSelf = await dhtl(["prepare-offline", "--output", join(work, "no-self"), "--include-self", "--platform", "darwin-aarch64-none"], { cwd: project, env: { ...preparerEnv(), DHTL_DIST_DIR: dist } });
    expect(noSelf.code).toBe(3);
    expect(noSelf.stderr).toContain("no dhtl executable for darwin-aarch64-none");
    expect(existsSync(join(work, "no-self"))).toBe(false);
  }, 300_000);

  test("--include-self with DHTL_DOWNLOAD_URL takes dhtl from the release, checked against its SHA256SUMS", async () => {
    const version = (await dhtl(["--version"])).stdout.split(" ")[1]!;
    const releases = await startReleaseServer([version]);
    try {
      const project = writeProject(PROJECT);
      const out = join(work, "with-release");
      await prepare(project, ["--output", out, "--include-self"], { ...preparerEnv(), DHTL_DOWNLOAD_URL: releases.base });
      const { readExecutableFromArchive } = await import("../../src/self/archive.ts");
      const released = readExecutableFromArchive(readFileSync(join(releases.dir(version), "dhtl-linux-x64.tar.gz")), "dhtl");
      expect(readFileSync(join(out, "platforms/linux-x86_64-gnu/dhtl/dhtl")).equals(Buffer.from(released))).toBe(true);

      // A release whose archive does not match its SHA256SUMS is refused.
      const sums = join(releases.dir(version), "SHA256SUMS");
      writeFileSync(sums, readFileSync(sums, "utf8").replace(/^[0-9a-f]{64}(?=\s+dhtl-linux-x64\.tar\.gz)/m, "0".repeat(64)));
      const bad = await dhtl(["prepare-offline", "--output", join(work, "bad-release"), "--include-self"], { cwd: project, env: { ...preparerEnv(), DHTL_DOWNLOAD_URL: releases.base } });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("Checksum mismatch");
      expect(existsSync(join(work, "bad-release"))).toBe(false);
      expect(readdirSync(work).filter((n) => n.includes(".staging-"))).toEqual([]);
    } finally {
      await releases.stop();
    }
  }, 300_000);

  test("bad input is refused with the flag named: unknown platform, no --output, an existing output directory", async () => {
    const project = writeProject(PROJECT);
    const unknown = await dhtl(["prepare-offline", "-o", join(work, "x.tar.gz"), "--platform", "solaris-sparc"], { cwd: project, env: preparerEnv() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown platform "solaris-sparc"');
    const noOut = await dhtl(["prepare-offline"], { cwd: project, env: preparerEnv() });
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain("--output");
    const exists = await dhtl(["prepare-offline", "-o", project], { cwd: project, env: preparerEnv() });
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain("already exists");
  }, 120_000);
});

describe.skipIf(!UNSHARE_OK)("dhtl setup --offline-bundle with no network", () => {
  let bundle: string;
  let bundleDir: string;
  beforeAll(async () => {
    const project = writeProject(PROJECT);
    bundle = join(work, "setup.tar.gz");
    bundleDir = join(work, "setup-dir");
    await prepare(project, ["--output", bundle]);
    await prepare(project, ["--output", bundleDir]);
  }, 300_000);

  test("installs the bundled Python, uv and every wheel inside a network namespace without network", async () => {
    const project = writeProject(PROJECT);
    const r = await offlineSetup(project, ["--offline-bundle", bundle]);
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    const python = join(project, ".venv", "bin", "python");
    const check = Bun.spawnSync([python, "-c", "import sys, rich, tabulate, six, markupsafe._speedups; print(sys.version.split()[0])"], { stderr: "pipe" });
    expect(check.stderr.toString()).toBe("");
    expect(check.stdout.toString().trim()).toBe(PY);
    // The interpreter is the bundled build, installed into the managed directory; uv is in tools.
    expect(realpathSync(python).startsWith(realpathSync(join(r.home, "python")))).toBe(true);
    expect(existsSync(join(r.home, "tools", "uv", "0.13.9", "uv"))).toBe(true);
  }, 300_000);

  test("a pdm.lock project: the bundle holds the lock's exact versions and setup installs its hash pins from the bundle, with no network", async () => {
    const { pdmContentHashes } = await import("../../src/project/lock-pins.ts");
    const pyproject = '[project]\nname = "pdm-offline"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = ["six>=1.16", "tabulate"]\n';
    const sha = (f: string) => new Bun.CryptoHasher("sha256").update(readFileSync(join(assets, "setup-wheels", f))).digest("hex");
    const entry = (name: string, version: string, file: string) => `[[package]]\nname = "${name}"\nversion = "${version}"\ngroups = ["default"]\nfiles = [\n    {file = "${file}", hash = "sha256:${sha(file)}"},\n]\n`;
    const lock = `[metadata]\ngroups = ["default"]\nlock_version = "4.5.0"\ncontent_hash = "sha256:${pdmContentHashes(Bun.TOML.parse(pyproject) as Record<string, unknown>)[0]}"\n\n${entry("six", "1.17.0", "six-1.17.0-py2.py3-none-any.whl")}\n${entry("tabulate", "0.9.0", "tabulate-0.9.0-py3-none-any.whl")}`;
    const project = writeProject({ ".python-version": `${PY}\n`, "pyproject.toml": pyproject, "pdm.lock": lock });
    const out = join(work, "pdm-locked");
    await prepare(project, ["--output", out]);
    expect(readManifest(out).platforms[0]!.wheels["."]!.requirements).toEqual(["six==1.17.0", "tabulate==0.9.0"]);
    const r = await offlineSetup(project, ["--offline-bundle", out, "--json"]);
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout).plan as { lockFile: { how: string }; commands: Array<{ argv: string[] }> };
    expect(plan.lockFile.how).toBe("pins");
    expect(plan.commands.some((c) => c.argv.includes("--require-hashes") && c.argv.includes("--no-index"))).toBe(true);
    expect(Bun.spawnSync([join(project, ".venv", "bin", "python"), "-c", "import six, tabulate"]).exitCode).toBe(0);
  }, 300_000);

  test("the bundled precompiled modules (stdlib, wheels) are laid in and used, and uv's cache is filled while the Python is extracted", async () => {
    const project = writeProject(PROJECT);
    const r = await offlineSetup(project, ["-v", "--offline-bundle", bundleDir]);
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    // The warm-up unpacked every wheel, so the real install only linked them: uv prints
    // "Prepared N packages" only for wheels it had to unpack itself.
    expect(r.stderr).toContain("uv cache warmed from the bundle: 7 wheels unpacked");
    expect(r.stderr).toContain("Installed 7 packages");
    expect(r.stderr).not.toContain("Prepared");
    const minor = PY.split(".").slice(0, 2).join(".");
    const stdlib = join(r.home, "python", `cpython-${PY}-linux-x86_64-gnu`, "lib", `python${minor}`);
    const pyc = readFileSync(join(stdlib, "json", "__pycache__", `__init__.cpython-${minor.replace(".", "")}.pyc`));
    expect(pyc.readUInt32LE(4)).toBe(0b11); // PEP 552 flags: hash-based, checked against the source
    const site = join(project, ".venv", "lib", `python${minor}`, "site-packages");
    expect(readFileSync(join(site, "rich", "__pycache__", `__init__.cpython-${minor.replace(".", "")}.pyc`)).readUInt32LE(4)).toBe(0b11);
    expect(r.stderr).toMatch(/precompiled modules from the bundle: \d+ laid into site-packages/);
    // The interpreter takes them (python -v says which file a module's code came from).
    const v = Bun.spawnSync([join(project, ".venv", "bin", "python"), "-v", "-c", "import json, rich"], { env: { PATH: "/usr/bin:/bin" }, stderr: "pipe" });
    expect(v.stderr.toString()).toContain(`json/__pycache__/__init__.cpython-${minor.replace(".", "")}.pyc matches ${join(stdlib, "json", "__init__.py")}`);
    expect(v.stderr.toString()).toContain(`rich/__pycache__/__init__.cpython-${minor.replace(".", "")}.pyc matches ${join(site, "rich", "__init__.py")}`);
  }, 300_000);

  test("a uv.lock project sets up offline with exactly the locked pins (uv sync cannot: it fetches from the lock's URLs)", async () => {
    const files = {
      ".python-version": `${PY}\n`,
      "pyproject.toml": '[project]\nname = "locked"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = ["rich", "six"]\n\n[dependency-groups]\ndev = ["tabulate"]\n\n[tool.uv]\npackage = false\n',
    };
    const source = writeProject(files);
    const lock = Bun.spawn([uvBinary(), "lock", "--quiet"], { cwd: source, env: { PATH: "/usr/bin:/bin", HOME: work, UV_INDEX_URL: index.simpleUrl, UV_NO_CONFIG: "1", UV_CACHE_DIR: join(work, "uv-lock-cache-2") }, stderr: "pipe" });
    expect(await new Response(lock.stderr).text()).toBe("");
    expect(await lock.exited).toBe(0);
    const out = join(work, "locked-offline");
    await prepare(source, ["--output", out]);
    // The air-gapped copy of the project: same files, uv.lock included.
    const project = writeProject({ ...files, "uv.lock": readFileSync(join(source, "uv.lock"), "utf8") });
    const r = await offlineSetup(project, ["--offline-bundle", out]);
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    const freeze = Bun.spawnSync([join(r.home, "tools", "uv", "0.13.9", "uv"), "pip", "freeze", "--python", join(project, ".venv", "bin", "python")], { stderr: "pipe" });
    expect(freeze.stdout.toString().trim().split("\n").sort()).toEqual(["markdown-it-py==3.0.0", "mdurl==0.1.2", "pygments==2.19.1", "rich==13.9.4", "six==1.17.0", "tabulate==0.9.0"]);
  }, 300_000);

  test("a tampered bundle (a wheel, the precompiled modules) is refused before anything is installed, naming the file that failed", async () => {
    for (const [i, pick] of [(p: string) => p.includes("/tabulate-"), (p: string) => p.includes("/python-bytecode/"), (p: string) => p.includes("/wheels-bytecode/")].entries()) {
      const tampered = join(work, `tampered-${i}`);
      cpSync(bundleDir, tampered, { recursive: true });
      const m = readManifest(tampered);
      const file = m.files.find((f) => pick(f.path))!;
      const bytes = readFileSync(join(tampered, file.path));
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
      writeFileSync(join(tampered, file.path), bytes);
      const project = writeProject(PROJECT);
      const r = await offlineSetup(project, ["--offline-bundle", tampered]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(file.path);
      expect(r.stderr).toContain("nothing was installed");
      expect(existsSync(join(project, ".venv"))).toBe(false);
      expect(existsSync(join(r.home, "python"))).toBe(false);
    }
  }, 120_000);

  test("a truncated bundle file is refused before anything is installed", async () => {
    const truncated = join(work, "truncated.tar.gz");
    const bytes = readFileSync(bundle);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const project = writeProject(PROJECT);
    const r = await offlineSetup(project, ["--offline-bundle", truncated]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(truncated);
    expect(existsSync(join(project, ".venv"))).toBe(false);
    expect(existsSync(join(r.home, "python"))).toBe(false);
  }, 120_000);

  test("a bundle missing a wheel fails offline and says which package is missing", async () => {
    // A consistent bundle (manifest and files agree) that simply lacks markupsafe.
    const partial = join(work, "partial");
    cpSync(bundleDir, partial, { recursive: true });
    const m = readManifest(partial);
    const gone = m.files.find((f) => f.path.includes("/MarkupSafe-"))!;
    rmSync(join(partial, gone.path));
    m.files = m.files.filter((f) => f !== gone);
    const set = m.platforms[0]!.wheels["."]!;
    set.files = set.files.filter((f) => !f.startsWith("MarkupSafe-"));
    writeFileSync(join(partial, "manifest.json"), canonicalJson(m));
    const project = writeProject(PROJECT);
    const r = await offlineSetup(project, ["--offline-bundle", partial]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.toLowerCase()).toContain("markupsafe");
    // It must fail on the bundle's content, not by trying the network.
    expect(r.stderr).not.toMatch(/pypi\.org|dns error|failed to fetch/i);
    expect(r.stderr).not.toMatch(/\b(rich|tabulate|six)\b.*(missing|not found)/i);
  }, 300_000);

  test("a consistent bundle whose wheel bytecode is malformed is refused before the venv is made (not after uv installed into it)", async () => {
    const { rawTarGz } = await import("../helpers/raw-tar.ts");
    const bad = join(work, "bad-overlay");
    cpSync(bundleDir, bad, { recursive: true });
    const m = readManifest(bad);
    const entry = m.files.find((f) => f.path.includes("/wheels-bytecode/"))!;
    const bytes = rawTarGz([{ name: "../escape/__pycache__/x.cpython-311.pyc", data: "x" }]);
    writeFileSync(join(bad, entry.path), bytes);
    entry.size = bytes.length;
    entry.sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    writeFileSync(join(bad, "manifest.json"), canonicalJson(m));
    const project = writeProject(PROJECT);
    const r = await offlineSetup(project, ["--offline-bundle", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot be used");
    expect(existsSync(join(project, ".venv"))).toBe(false);
  }, 120_000);

  test("a monorepo environment that installs itself (editable, hatchling) sets up offline from an --all-environments bundle", async () => {
    const files = {
      ".dhtconfig": `version: 1\npython:\n  version: "${PY}"\nenvironments:\n  services/api: {}\n  libs/core: {}\n`,
      "services/api/requirements.txt": "six==1.17.0\n",
      "libs/core/pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "core"\nversion = "0.1.0"\ndependencies = ["tabulate==0.9.0"]\n',
      "libs/core/core/__init__.py": "ANSWER = 42\n",
    };
    const out = join(work, "mono-setup.tar.gz");
    await prepare(writeProject(files), ["--output", out, "--all-environments"]);
    const project = writeProject(files);
    const r = await offlineSetup(join(project, "libs", "core"), ["--offline-bundle", out]);
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    const check = Bun.spawnSync([join(project, "libs", "core", ".venv", "bin", "python"), "-c", "import core, tabulate; print(core.ANSWER)"], { stderr: "pipe" });
    expect(check.stderr.toString()).toBe("");
    expect(check.stdout.toString().trim()).toBe("42");
  }, 300_000);

  test("offline.require_signature + verify_key: the signed bundle installs, the same bundle checked against another key is refused", async () => {
    const keys = mkdtempSync(join(work, "setup-keys-"));
    expect((await dhtl(["bundle", "keygen", "--out", join(keys, "signer.pem")], { cwd: work })).code).toBe(0);
    expect((await dhtl(["bundle", "keygen", "--out", join(keys, "stranger.pem")], { cwd: work })).code).toBe(0);
    const signed = join(work, "signed-setup.tar.gz");
    await prepare(writeProject(PROJECT), ["--output", signed, "--sign", join(keys, "signer.pem")]);
    const withKey = (key: string) => ({ ...PROJECT, ".dhtconfig": `version: 1\noffline:\n  require_signature: true\n  verify_key: ${join(keys, key)}\n` });

    const good = writeProject(withKey("signer.pem.pub"));
    const ok = await offlineSetup(good, ["--offline-bundle", signed]);
    if (ok.code !== 0) console.error(ok.stderr);
    expect(ok.code).toBe(0);

    const bad = writeProject(withKey("stranger.pem.pub"));
    const refused = await offlineSetup(bad, ["--offline-bundle", signed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("signature does not verify");
    expect(existsSync(join(bad, ".venv"))).toBe(false);
    expect(existsSync(join(refused.home, "python"))).toBe(false);

    const unsigned = join(work, "unsigned-setup.tar.gz");
    await prepare(writeProject(PROJECT), ["--output", unsigned]);
    const required = await offlineSetup(writeProject(withKey("signer.pem.pub")), ["--offline-bundle", unsigned]);
    expect(required.code).toBe(1);
    expect(required.stderr).toContain("not signed");
  }, 300_000);
});
