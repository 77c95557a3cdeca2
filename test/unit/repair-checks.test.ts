/**
 * The pure half of dhtl diagnose / fix-env: the checks over hand-written facts, the
 * parsers of installed-distribution metadata, the inventory and its reinstall arguments,
 * dry-run parsing, the report schema (and the published JSON Schema being current), the
 * TLS chain verdict on real certificates made with openssl, and the atomic exchange.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import * as v from "valibot";
import { runChecks, repairsNeeded } from "../../src/repair/checks.ts";
import { nameFromDirName, parseDirectUrl, parseMetadataHeaders, parseRecord, recordHash, scanSitePackages } from "../../src/repair/dists.ts";
import { extrasOver, originOf, reinstallArgs, takeInventory, unreachableFrom } from "../../src/repair/inventory.ts";
import { mountRootOf, parseDryRun, syncedFolderOf, wantedFrom } from "../../src/repair/gather.ts";
import { buildReport, DiagnoseReportSchema, nextStep } from "../../src/repair/report.ts";
import { judgeChain } from "../../src/repair/tls-probe.ts";
import { exchangeAtomically, recoverSwap, swapIn } from "../../src/repair/swap.ts";
import { filesNaming, relocateVenv, replacePath } from "../../src/repair/relocate.ts";
import { baselineDamage, takeBaseline } from "../../src/repair/baseline.ts";
import type { Facts } from "../../src/repair/types.ts";
import type { InstalledDist } from "../../src/repair/dists.ts";
import { makeTestCa } from "../helpers/tls.ts";
import { diagnoseJsonSchema } from "../../scripts/gen-diagnose-schema.ts";

const dist = (over: Partial<InstalledDist>): InstalledDist => ({ dir: "x-1.0.dist-info", kind: "dist-info", name: "x", version: "1.0", requested: true, requires: [], files: 3, missing: [], mismatched: [], topLevel: ["x"], ...over });

function facts(over: { environment?: Partial<Facts["environment"]>; state?: Facts["state"]; machine?: Partial<Facts["machine"]>; network?: Partial<Facts["network"]>; home?: Partial<Facts["home"]> } = {}): Facts {
  return {
    deep: false,
    environment: {
      envRoot: "/p",
      projectRoot: "/p",
      envDir: ".",
      declared: ["six", "pytest"],
      venv: {
        venvPath: "/p/.venv",
        linkPath: "/p/.venv",
        exists: true,
        cfg: { home: "/py/bin", version_info: "3.11.7" },
        python: { path: "/p/.venv/bin/python", exists: true, runs: true, version: "3.11.7" },
        base: { home: "/py/bin", executable: "/py/bin/python3.11", exists: true, runs: true, version: "3.11.7", recordedVersion: "3.11.7" },
        brokenLinks: [],
        site: "/p/.venv/lib/python3.11/site-packages",
        dists: [dist({ name: "six", dir: "six-1.17.0.dist-info", version: "1.17.0" })],
        deep: false,
      },
      installer: { mode: "uv-pip", uv: { path: "/h/uv", runs: true, version: "0.13.9" }, pip: { installed: false, broken: false } },
      pipCheck: { ok: true, output: "" },
      wanted: { source: "the declared requirements", missing: [], wrongVersion: [], extra: [] },
      project: { isPackage: true, name: "small", importable: true },
      testRoute: { argv: ["python", "-m", "pytest"], why: "test.runner: pytest", needs: [{ what: "pytest", present: true }] },
      ...over.environment,
    },
    state: over.state ?? { checkpoint: { path: "/p/.dht/setup-progress.json", complete: true, steps: ["a"], readable: true }, marker: { present: true, matches: true } },
    machine: { space: [{ what: "the venv", path: "/p", freeBytes: 50 * 1024 ** 3 }], os: "linux", permissions: [{ what: "the venv", path: "/p/.venv", writable: true }], ...over.machine },
    network: { offline: false, indexes: [], proxies: [], ...over.network },
    home: { home: "/h", pythons: [], danglingLinks: [], uv: { path: "/h/uv", present: true, runs: true, needed: true }, ...over.home },
  };
}

const find = (f: Facts, id: string) => runChecks(f).find((c) => c.id === id);

describe("checks", () => {
  test("a healthy environment: nothing fails, every finding has a title and what was found", () => {
    const all = runChecks(facts());
    expect(all.filter((c) => c.status !== "ok")).toEqual([]);
    for (const c of all) expect(c.found.length).toBeGreaterThan(0);
  });

  test("the base interpreter gone: fail, and the fix is a rebuild (fix-env --deep), for the interpreter and links too", () => {
    const f = facts();
    f.environment.venv!.base = { home: "/gone/bin", executable: "/gone/bin/python3.11", exists: false, recordedVersion: "3.11.7" };
    f.environment.venv!.python = { path: "/p/.venv/bin/python", exists: false };
    f.environment.venv!.brokenLinks = [{ path: "/p/.venv/bin/python", target: "/gone/bin/python3.11" }];
    expect(find(f, "venv.base")).toMatchObject({ status: "fail", fix: { command: "dhtl fix-env --deep", repair: "deep" } });
    expect(find(f, "venv.interpreter")!.fix!.repair).toBe("deep");
    expect(find(f, "venv.links")!.fix!.repair).toBe("deep");
    expect(nextStep(buildReport(runChecks(f), "/p", "/p/.venv", false))).toBe("dhtl fix-env --deep");
  });

  test("an upgrade in place (same path, other patch) is a base problem; a venv python that does not run with the base intact is relinked", () => {
    const f = facts();
    f.environment.venv!.base.version = "3.11.9";
    expect(find(f, "venv.base")!.found).toContain("now 3.11.9, not 3.11.7");
    const g = facts();
    g.environment.venv!.python = { path: "/p/.venv/bin/python", exists: true, runs: false, error: "exec format error" };
    expect(find(g, "venv.interpreter")).toMatchObject({ status: "fail", fix: { command: "dhtl fix-env", repair: "relink" } });
  });

  test("pip expected (setup seeded it, or a pip-made venv) but gone: reinstalled (ensurepip); not expected: no finding", () => {
    const f = facts();
    f.environment.installer!.pip = { installed: false, broken: false, expected: true };
    expect(find(f, "installer")).toMatchObject({ status: "fail", fix: { command: "dhtl fix-env", repair: "reinstall" } });
    f.environment.installer!.pip = { installed: false, broken: false, expected: false };
    expect(find(f, "installer")!.status).toBe("ok");
  });

  test("distributions: broken metadata, missing files, and (deep only) hashes each name the distribution", () => {
    const f = facts();
    f.environment.venv!.dists = [dist({ name: "six", dir: "six-1.17.0.dist-info", metadataError: "METADATA is missing or unreadable" }), dist({ name: "tabulate", version: "0.9.0", missing: ["tabulate/__init__.py"] }), dist({ name: "pluggy", mismatched: ["pluggy/_hooks.py"] })];
    expect(find(f, "dists.metadata")).toMatchObject({ status: "fail", details: { dists: ["six"] } });
    expect(find(f, "dists.files")!.found).toContain("tabulate 0.9.0 (1 of 3: tabulate/__init__.py)");
    expect(find(f, "dists.hashes")!.status).toBe("ok");
    f.environment.venv!.deep = true;
    expect(find(f, "dists.hashes")).toMatchObject({ status: "fail", details: { dists: ["pluggy"] } });
    expect(repairsNeeded(runChecks(f))).toEqual(["reinstall"]);
  });

  test("hand-installed packages: ok (kept) with uv pip; a warning with uv sync, which would remove them", () => {
    const f = facts({ environment: { wanted: { source: "uv.lock", missing: [], wrongVersion: [], extra: [{ name: "click", version: "8.1.8" }] } } });
    expect(find(f, "deps.extra")!.status).toBe("ok");
    f.environment.installer!.mode = "uv-sync";
    expect(find(f, "deps.extra")).toMatchObject({ status: "warn", fix: { command: "uv add click" } });
  });

  test("the test runner: declared but missing → fix-env; never declared → add it to the test dependencies", () => {
    const f = facts();
    f.environment.testRoute!.needs = [{ what: "pytest", present: false }];
    expect(find(f, "test.runner")!.fix).toEqual({ command: "dhtl fix-env", repair: "install-missing" });
    f.environment.declared = ["six"];
    expect(find(f, "test.runner")!.fix!.repair).toBe("manual");
  });

  test("the test runner the route itself adds (a tox or CI dependency): missing or with files gone → fix-env, not 'add it to the test dependencies'", () => {
    const f = facts();
    f.environment.declared = ["six"];
    f.environment.testRoute!.needs = [{ what: "pytest", present: false }];
    // What the configuration's dry run says is wanted but missing (the route's needs count).
    f.environment.wanted = { source: "the declared requirements", missing: ["pytest==9.2.0"], wrongVersion: [], extra: [] };
    expect(find(f, "test.runner")!.fix).toEqual({ command: "dhtl fix-env", repair: "install-missing" });
    // Installed, but its files deleted: the installer thinks it is there; fix-env reinstalls it.
    f.environment.wanted = { source: "the declared requirements", missing: [], wrongVersion: [], extra: [] };
    f.environment.venv!.dists.push(dist({ name: "pytest", dir: "pytest-9.2.0.dist-info", version: "9.2.0", missing: ["pytest/__init__.py"] }));
    expect(find(f, "test.runner")!.fix).toEqual({ command: "dhtl fix-env", repair: "install-missing" });
  });

  test("state: a stale lock, an unfinished setup, an unmarked venv; a monorepo environment is named in the fix", () => {
    const f = facts({
      state: { lock: { path: "/p/.dht/lock", pid: 99, host: "h", since: "", purpose: "setup", stale: true }, checkpoint: { path: "c", complete: false, steps: ["resolve-python"], readable: true }, marker: { present: false, matches: false } },
      environment: { envDir: "services/api" },
    });
    expect(find(f, "state.lock")).toMatchObject({ status: "fail", fix: { repair: "clear-lock" } });
    expect(find(f, "state.checkpoint")).toMatchObject({ status: "fail", fix: { command: "dhtl fix-env --env services/api" } });
    expect(find(f, "state.marker")!.status).toBe("fail");
  });

  test("machine: little space, a network file system holding the venv, a synced folder, Windows long paths, an unwritable venv", () => {
    const f = facts({ machine: { space: [{ what: "the venv", path: "/p", freeBytes: 100 * 1024 ** 2 }], permissions: [{ what: "the venv", path: "/p/.venv", writable: false, owner: 0, uid: 1000 }], fs: { path: "/p", type: "nfs4", kind: "nfs", network: true, mountPoint: "/p" }, venvLocal: false } });
    expect(find(f, "machine.space.0")!.status).toBe("fail");
    expect(find(f, "machine.fs")).toMatchObject({ status: "warn", fix: { command: "dhtl setup --local-venv" } });
    expect(find(f, "machine.permissions.0")!.fix!.command).toBe('sudo chown -R "$(id -u):$(id -g)" /p/.venv');
    f.machine.fs = { path: "/Users/me/Dropbox/p", type: "apfs", kind: "local", network: false, mountPoint: "/", syncedFolder: "Dropbox" };
    expect(find(f, "machine.fs")!.found).toContain("synced folder (Dropbox)");
    const w = facts({ machine: { os: "windows", longPaths: { enabled: false, deepest: 300 } } });
    expect(find(w, "machine.long-paths")!.fix!.command).toContain("LongPathsEnabled /t REG_DWORD /d 1");
  });

  test("network: an intercepted chain no configured bundle trusts fails with the bundle that fixes it; a missing file:// index warns", () => {
    const f = facts({
      network: {
        indexes: [
          { url: "https://pypi.org/simple", role: "index", origin: "default", kind: "http", reachable: false, error: "TLS", tls: { intercepted: true, issuer: "CN=corp-ca", subject: "CN=pypi.org", fixBundle: { origin: "file /etc/ssl/certs/ca-certificates.crt", path: "/etc/ssl/certs/ca-certificates.crt", certs: [] } } },
          { url: "file:///opt/pypi/simple", role: "extra-index", origin: "pip.conf", kind: "file", reachable: false },
        ],
      },
    });
    expect(find(f, "network.index.0")).toMatchObject({ status: "fail", fix: { command: "export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt   # or proxy.ca_bundle in .dhtconfig" } });
    expect(find(f, "network.extra-index.1")!.status).toBe("warn");
    expect(find(facts({ network: { offline: true } }), "network")!.found).toContain("offline");
  });

  test("DHT_HOME: an incomplete managed Python, a dangling minor link, uv missing, a bad cache entry", () => {
    const f = facts({ home: { pythons: [{ key: "cpython-3.11.7-linux-x86_64-gnu", dir: "/h/python/x", missing: ["lib/python3.11/os.py"] }], danglingLinks: ["cpython-3.12-linux-x86_64-gnu"], uv: { path: "/h/uv", present: false, needed: true }, cache: { entries: 2, bad: ["ab".repeat(32)], partials: [] } } });
    expect(find(f, "home.pythons")!.fix!.command).toBe("dhtl python install 3.11.7 --reinstall");
    expect(find(f, "home.python-links")!.fix!.command).toBe("dhtl python install 3.12");
    expect(find(f, "home.uv")!.fix!.repair).toBe("obtain-uv");
    expect(find(f, "home.cache")!.fix!.repair).toBe("clean-cache");
  });
});

describe("installed distributions, read without Python", () => {
  test("METADATA headers (continuations, repeats), RECORD with quoted paths, direct_url.json, dir names", () => {
    const h = parseMetadataHeaders("Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\nRequires-Dist: a>=1\nRequires-Dist: b; extra == 'x'\nSummary: one\n  two\n\nBody: no\n");
    expect(h.get("name")).toEqual(["PyYAML"]);
    expect(h.get("requires-dist")).toEqual(["a>=1", "b; extra == 'x'"]);
    expect(h.get("body")).toBeUndefined();
    expect(parseRecord('six.py,sha256=abc,123\n"odd,name.py",sha256=x,1\nsix-1.dist-info/RECORD,,\n')).toEqual([
      { path: "six.py", hash: "sha256=abc", size: 123 },
      { path: "odd,name.py", hash: "sha256=x", size: 1 },
      { path: "six-1.dist-info/RECORD" },
    ]);
    expect(parseDirectUrl('{"url":"file:///src/tool","dir_info":{"editable":true}}')).toEqual({ url: "file:///src/tool", dir: true, editable: true });
    expect(parseDirectUrl('{"url":"https://g/r.git","vcs_info":{"vcs":"git","commit_id":"abc"}}')!.vcs).toEqual({ vcs: "git", commit: "abc" });
    expect(nameFromDirName("python_dateutil-2.9.0.post0.dist-info")).toEqual({ name: "python_dateutil", version: "2.9.0.post0" });
  });

  test("a real site-packages tree: missing files, broken metadata, deep hash mismatches", () => {
    const site = mkdtempSync(join(tmpdir(), "site-"));
    const write = (p: string, s: string) => {
      mkdirSync(join(site, p, ".."), { recursive: true });
      writeFileSync(join(site, p), s);
    };
    write("good.py", "x = 1\n");
    write("good-1.0.dist-info/METADATA", "Name: good\nVersion: 1.0\n");
    write("good-1.0.dist-info/RECORD", `good.py,${recordHash(new TextEncoder().encode("x = 1\n"))},6\ngood-1.0.dist-info/METADATA,,\ngone.py,,\n`);
    write("bad-2.0.dist-info/RECORD", "");
    const [bad, good] = scanSitePackages(site, { deep: true });
    expect(bad).toMatchObject({ name: "bad", version: "2.0", metadataError: "METADATA is missing or unreadable" });
    expect(good).toMatchObject({ name: "good", missing: ["gone.py"], mismatched: [] });
    writeFileSync(join(site, "good.py"), "x = 2\n");
    expect(scanSitePackages(site, { deep: true })[1]!.mismatched).toEqual(["good.py"]);
    expect(scanSitePackages(site)[1]!.mismatched).toEqual([]);
  });
});

describe("the inventory", () => {
  test("origins become exact reinstall arguments", () => {
    const e = (d: Partial<InstalledDist>) => takeInventory([dist(d)])[0]!;
    expect(reinstallArgs(e({ name: "six", version: "1.17.0" }))).toEqual(["six==1.17.0"]);
    expect(reinstallArgs(e({ directUrl: { url: "file:///src/tool", dir: true, editable: true } }))).toEqual(["-e", "/src/tool"]);
    expect(reinstallArgs(e({ directUrl: { url: "file:///src/tool", dir: true, editable: false } }))).toEqual(["/src/tool"]);
    expect(reinstallArgs(e({ name: "lib", directUrl: { url: "https://git.example/lib.git", vcs: { vcs: "git", commit: "abc123" }, subdirectory: "py" } }))).toEqual(["lib @ git+https://git.example/lib.git@abc123#subdirectory=py"]);
    expect(reinstallArgs(e({ name: "w", directUrl: { url: "https://x/w-1.whl", archive: true } }))).toEqual(["w @ https://x/w-1.whl"]);
    expect(originOf(dist({})).kind).toBe("index");
  });

  test("extras over a fresh build; what no declared root reaches", () => {
    const old = takeInventory([dist({ name: "six", version: "1.16.0" }), dist({ name: "click", version: "8.1.8" })]);
    const fresh = takeInventory([dist({ name: "six", version: "1.17.0" })]);
    expect(extrasOver(old, fresh)).toEqual({ extras: [old[1]!], changed: [{ name: "six", from: "1.16.0", to: "1.17.0" }] });
    const dists = [dist({ name: "small", requires: ["rich"] }), dist({ name: "rich", requires: ["markdown-it-py"] }), dist({ name: "Markdown_It_Py" }), dist({ name: "click" })];
    expect(unreachableFrom(dists, ["small"]).map((d) => d.name)).toEqual(["click"]);
  });
});

describe("gathering helpers", () => {
  test("dry-run output of uv and pip", () => {
    const uv = parseDryRun("Would install 2 packages\n - idna==3.7\n + idna==3.10\n + Six==1.17.0\n ~ small==0.1.0\n - click==8.1.8\n");
    expect([...uv.add]).toEqual([["idna", "3.10"], ["six", "1.17.0"], ["small", "0.1.0"]]);
    const w = wantedFrom("uv.lock", uv, new Map([["idna", "3.7"], ["small", "0.1.0"], ["click", "8.1.8"]]), [], true);
    expect(w).toEqual({ source: "uv.lock", missing: ["six==1.17.0"], wrongVersion: [{ name: "idna", installed: "3.7", wanted: "3.10" }], extra: [{ name: "click", version: "8.1.8" }] });
    expect([...parseDryRun("Would install click-8.1.8 python_dateutil-2.9.0").add]).toEqual([["click", "8.1.8"], ["python-dateutil", "2.9.0"]]);
  });

  test("synced folders and bind mounts", () => {
    expect(syncedFolderOf("/Users/me/OneDrive - Contoso/proj")).toBe("OneDrive - Contoso");
    expect(syncedFolderOf("/Users/me/Library/CloudStorage/GoogleDrive-me/proj")).toBe("Library/CloudStorage/GoogleDrive-me");
    expect(syncedFolderOf("/home/me/dropboxed/proj")).toBeUndefined();
    const mi = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n40 22 8:1 /srv/projects /work rw - ext4 /dev/sda1 rw\n";
    expect(mountRootOf(mi, "/work")).toBe("/srv/projects");
    expect(mountRootOf(mi, "/")).toBe("/");
  });
});

describe("the report", () => {
  test("matches its schema, and docs/diagnose.schema.json is the schema generated from it", () => {
    const report = buildReport(runChecks(facts()), "/p", "/p/.venv", false);
    expect(v.parse(DiagnoseReportSchema, report).ok).toBe(true);
    expect(() => v.parse(DiagnoseReportSchema, { ...report, extra: 1 })).toThrow();
    const published = JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "docs", "diagnose.schema.json"), "utf8"));
    expect(published).toEqual(JSON.parse(JSON.stringify(diagnoseJsonSchema())));
  });
});

describe("TLS chain verdicts (real certificates from openssl)", () => {
  test("a chain issued by a private CA is intercepted; the bundle holding that CA is named as trusted or as the fix", () => {
    const ca = makeTestCa("corp inspection CA");
    const leaf = new Uint8Array(Buffer.from(ca.cert.replace(/-----[^-]+-----|\s/g, ""), "base64"));
    const bundle = { origin: "env SSL_CERT_FILE", path: ca.caFile, certs: [ca.caPem] };
    expect(judgeChain([leaf], rootCertificates, [], [bundle])).toMatchObject({ intercepted: true, issuer: "CN=corp inspection CA", fixBundle: { path: ca.caFile } });
    expect(judgeChain([leaf], rootCertificates, [bundle], [])).toMatchObject({ intercepted: true, trustedBy: { origin: "env SSL_CERT_FILE" } });
    // A chain ending in (or issued by) a public root is not intercepted.
    expect(judgeChain([leaf], [...rootCertificates, ca.caPem], [], [])!.intercepted).toBe(false);
  });
});

describe("a venv built beside its final path, relocated before the swap", () => {
  test("shebangs, pip's long-path wrapper, activate and pyvenv.cfg name the final path; RECORD rows of rewritten files match; links and other rows untouched", () => {
    const root = mkdtempSync(join(tmpdir(), "reloc-"));
    const built = join(root, ".venv.dht-new");
    const final = join(root, ".venv");
    const bin = join(built, "bin");
    const site = join(built, "lib", "python3.11", "site-packages");
    mkdirSync(join(site, "tabulate-0.9.0.dist-info"), { recursive: true });
    mkdirSync(bin);
    symlinkSync("/usr/bin/python3", join(bin, "python"));
    const script = `#!${built}/bin/python\n# -*- coding: utf-8 -*-\nimport sys\nfrom tabulate import _main\nsys.exit(_main())\n`;
    writeFileSync(join(bin, "tabulate"), script);
    writeFileSync(join(bin, "long tool"), `#!/bin/sh\n'''exec' "${built}/bin/python" "$0" "$@"\n' '''\nimport sys\n`);
    writeFileSync(join(bin, "activate"), `VIRTUAL_ENV="${built}"\nexport VIRTUAL_ENV\n`);
    writeFileSync(join(built, "pyvenv.cfg"), `home = /usr/bin\nversion = 3.11.7\ncommand = /usr/bin/python3 -m venv ${built}\n`);
    const untouched = `tabulate/__init__.py,${recordHash(Buffer.from("x"))},1\n`;
    writeFileSync(join(site, "tabulate-0.9.0.dist-info", "RECORD"), `${untouched}../../../bin/tabulate,${recordHash(Buffer.from(script))},${script.length}\n"../../../bin/long tool",,\ntabulate-0.9.0.dist-info/RECORD,,\n`);

    const rewritten = relocateVenv(built, final, site, false);
    expect(rewritten.map((f) => f.slice(built.length + 1)).sort()).toEqual(["bin/activate", "bin/long tool", "bin/tabulate", "pyvenv.cfg"]);
    expect(filesNaming(built, built, false)).toEqual([]);
    expect(readFileSync(join(bin, "tabulate"), "utf8").split("\n")[0]).toBe(`#!${final}/bin/python`);
    expect(readFileSync(join(bin, "activate"), "utf8")).toContain(`VIRTUAL_ENV="${final}"`);
    expect(readFileSync(join(built, "pyvenv.cfg"), "utf8")).toContain(`-m venv ${final}\n`);
    expect(lstatSync(join(bin, "python")).isSymbolicLink() && readlinkSync(join(bin, "python"))).toBe("/usr/bin/python3");
    const recordText = readFileSync(join(site, "tabulate-0.9.0.dist-info", "RECORD"), "utf8");
    const record = parseRecord(recordText);
    const now = readFileSync(join(bin, "tabulate"));
    expect(record.find((e) => e.path === "../../../bin/tabulate")).toEqual({ path: "../../../bin/tabulate", hash: recordHash(now), size: now.length });
    expect(record.find((e) => e.path === "../../../bin/long tool")?.hash).toBe(recordHash(readFileSync(join(bin, "long tool"))));
    expect(recordText.startsWith(untouched)).toBe(true);
    expect(recordText.endsWith("tabulate-0.9.0.dist-info/RECORD,,\n")).toBe(true);
    expect(replacePath(Buffer.from("nothing here"), built, final)).toBeUndefined();
  });
});

describe("the venv swap", () => {
  test("atomic exchange of two directories; the journalled fallback is recovered after a kill between its renames", async () => {
    const dir = mkdtempSync(join(tmpdir(), "swap-"));
    for (const n of ["venv", "new"]) {
      mkdirSync(join(dir, n));
      writeFileSync(join(dir, n, "id"), n);
    }
    const result = await swapIn(join(dir, "venv"), join(dir, "new"), dir, join(dir, "old"));
    expect(result.atomic).toBe(process.platform === "linux");
    expect(readFileSync(join(dir, "venv", "id"), "utf8")).toBe("new");
    expect(readFileSync(join(result.old, "id"), "utf8")).toBe("venv");
    expect(exchangeAtomically(join(dir, "venv"), join(dir, "nope"))).toBe(false);
    // The fallback, forced: between its renames the venv path is empty and the journal says where the old one is.
    let between: [boolean, boolean] | undefined;
    const fallback = await swapIn(join(dir, "venv"), join(dir, "new"), dir, join(dir, "old2"), { exchange: false, between: async () => void (between = [existsSync(join(dir, "venv")), existsSync(join(dir, "repair-swap.json"))]) });
    expect([fallback.atomic, between]).toEqual([false, [false, true]]);
    expect(readFileSync(join(dir, "venv", "id"), "utf8")).toBe("venv");
    expect(existsSync(join(dir, "repair-swap.json"))).toBe(false);
    // The state a kill between the two renames leaves: journal written, venv moved aside.
    mkdirSync(join(dir, "aside"));
    writeFileSync(join(dir, "repair-swap.json"), JSON.stringify({ venv: join(dir, "gone"), aside: join(dir, "aside"), staged: join(dir, "s"), pid: 1 }));
    expect(recoverSwap(dir)).toContain("put the old venv back");
    expect(existsSync(join(dir, "gone"))).toBe(true);
    expect(existsSync(join(dir, "repair-swap.json"))).toBe(false);
  });

  test("the baseline notices a deleted package, a replaced interpreter, a changed base file, not a new package", () => {
    const venv = mkdtempSync(join(tmpdir(), "bl-"));
    const site = join(venv, "lib", "python3.11", "site-packages");
    mkdirSync(join(site, "six-1.17.0.dist-info"), { recursive: true });
    writeFileSync(join(site, "six.py"), "");
    mkdirSync(join(venv, "bin"));
    writeFileSync(join(venv, "bin", "python"), "#!/bin/sh\n");
    const baseFile = join(venv, "base-python");
    writeFileSync(baseFile, "base");
    const b = takeBaseline(venv, site, join(venv, "bin", "python"), [baseFile]);
    expect(baselineDamage(venv, b)).toBeUndefined();
    writeFileSync(join(site, "click.py"), "");
    expect(baselineDamage(venv, b)).toBeUndefined();
    writeFileSync(baseFile, "upgraded");
    expect(baselineDamage(venv, b)).toContain("base interpreter changed");
    writeFileSync(baseFile, "base");
    const again = takeBaseline(venv, site, join(venv, "bin", "python"), [baseFile]);
    Bun.spawnSync(["rm", join(site, "six.py")]);
    expect(baselineDamage(venv, again)).toContain("gone from site-packages (six.py)");
  });
});
