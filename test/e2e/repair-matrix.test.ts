/**
 * The corruption matrix (docs/repair.md lists it): each kind of breakage is made on a real
 * environment (test/helpers/repair-env.ts: one real setup, restored by cp -a before every
 * case), then
 *   1. `dhtl diagnose --json` (with --deep where the damage is only in file contents) exits
 *      1 with the expected finding failing, and its document matches the published schema;
 *   2. the named repair (`dhtl fix-env`, `fix-env --deep`, or `dhtl setup` for the breakage
 *      its no-op check notices) exits 0;
 *   3. afterwards `dhtl diagnose --deep` finds nothing failing, the project and its
 *      dependencies import, `dhtl setup` has nothing to do, and click — installed by hand,
 *      in no configuration — is still there at 8.1.8.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { dhtl } from "../helpers/cli.ts";
import { useRepairEnv, shapeWheelsDir, type RepairEnv } from "../helpers/repair-env.ts";
import { DiagnoseReportSchema } from "../../src/repair/report.ts";

const r = useRepairEnv();

/** Replace a file's content without writing through a hard link (the uv cache shares inodes). */
function replaceFile(path: string, content: string) {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

function editJson(path: string, edit: (j: any) => void) {
  const j = JSON.parse(readFileSync(path, "utf8"));
  edit(j);
  replaceFile(path, JSON.stringify(j, null, 2));
}

/** Point the venv at a base interpreter at `bin` (pyvenv.cfg, its python link, the setup record). */
function rebase(r: RepairEnv, bin: string) {
  const venv = join(r.project, ".venv");
  const cfg = readFileSync(join(venv, "pyvenv.cfg"), "utf8").replace(/^home = .*$/m, `home = ${bin}`);
  replaceFile(join(venv, "pyvenv.cfg"), cfg);
  unlinkSync(join(venv, "bin", "python"));
  symlinkSync(join(bin, "python3.11"), join(venv, "bin", "python"));
  editJson(join(r.project, ".dht", "setup-progress.json"), (cp) => {
    cp.steps.find((s: any) => s.id === "resolve-python").output.executable = join(bin, "python3.11");
  });
}

interface Kind {
  name: string;
  corrupt(r: RepairEnv): void;
  /** The finding that must fail. */
  finding: string;
  deepDiagnose?: boolean;
  repair: string[];
  /** The repair rebuilt the venv (the tag file in the old venv is gone). */
  rebuilt?: boolean;
}

const KINDS: Kind[] = [
  { name: "a package's directory deleted", corrupt: (r) => rmSync(join(r.site, "tabulate"), { recursive: true }), finding: "dists.files", repair: ["fix-env"] },
  { name: "a module file deleted", corrupt: (r) => unlinkSync(join(r.site, "six.py")), finding: "dists.files", repair: ["fix-env"] },
  { name: "a hand-installed package's directory deleted", corrupt: (r) => rmSync(join(r.site, "click"), { recursive: true }), finding: "dists.files", repair: ["fix-env"] },
  { name: "METADATA deleted", corrupt: (r) => unlinkSync(join(r.site, "six-1.17.0.dist-info", "METADATA")), finding: "dists.metadata", repair: ["fix-env"] },
  { name: "METADATA garbled (no Name, no Version)", corrupt: (r) => replaceFile(join(r.site, "tabulate-0.9.0.dist-info", "METADATA"), "\u0000\u0001 not metadata\n"), finding: "dists.metadata", repair: ["fix-env"] },
  { name: "RECORD deleted", corrupt: (r) => unlinkSync(join(r.site, "idna-3.10.dist-info", "RECORD")), finding: "dists.files", repair: ["fix-env"] },
  { name: "a file's content changed (RECORD hash)", corrupt: (r) => replaceFile(join(r.site, "pluggy", "_hooks.py"), "raise SystemExit('tampered')\n"), finding: "dists.hashes", deepDiagnose: true, repair: ["fix-env"] },
  {
    name: "a locked dependency uninstalled entirely",
    corrupt: (r) => {
      rmSync(join(r.site, "six.py"));
      rmSync(join(r.site, "six-1.17.0.dist-info"), { recursive: true });
    },
    finding: "deps.wanted",
    repair: ["fix-env"],
  },
  {
    name: "another version than uv.lock pins",
    corrupt: (r) => {
      const s = Bun.spawnSync([r.uv, "pip", "install", "-q", "--no-index", "--python", join(r.project, ".venv", "bin", "python"), join(shapeWheelsDir, "idna-3.7-py3-none-any.whl")], { env: { PATH: r.env.PATH!, UV_CACHE_DIR: r.env.UV_CACHE_DIR! } });
      if (s.exitCode !== 0) throw new Error(s.stderr.toString());
    },
    finding: "deps.wanted",
    repair: ["fix-env"],
  },
  {
    name: "the test runner uninstalled",
    corrupt: (r) => {
      for (const e of ["pytest", "_pytest", "py.py", "pytest-8.3.5.dist-info"]) rmSync(join(r.site, e), { recursive: true, force: true });
    },
    finding: "test.runner",
    repair: ["fix-env"],
  },
  { name: "the project's editable .pth deleted (not importable)", corrupt: (r) => unlinkSync(join(r.site, "_small.pth")), finding: "project.importable", repair: ["fix-env"] },
  { name: "the venv's python link dangling", corrupt: (r) => { unlinkSync(join(r.project, ".venv", "bin", "python")); symlinkSync("/nonexistent/bin/python3.11", join(r.project, ".venv", "bin", "python")); }, finding: "venv.links", repair: ["fix-env"] },
  { name: "the venv's python deleted", corrupt: (r) => unlinkSync(join(r.project, ".venv", "bin", "python")), finding: "venv.interpreter", repair: ["fix-env"] },
  { name: "pyvenv.cfg deleted", corrupt: (r) => unlinkSync(join(r.project, ".venv", "pyvenv.cfg")), finding: "venv.pyvenv-cfg", repair: ["fix-env"] },
  { name: "pyvenv.cfg names another version", corrupt: (r) => replaceFile(join(r.project, ".venv", "pyvenv.cfg"), readFileSync(join(r.project, ".venv", "pyvenv.cfg"), "utf8").replace(/^version_info = .*$/m, "version_info = 3.11.1")), finding: "venv.pyvenv-cfg", repair: ["fix-env"] },
  { name: "the base interpreter removed (pyenv uninstall)", corrupt: (r) => rebase(r, join(r.home, "..", "gone-python", "bin")), finding: "venv.base", repair: ["fix-env", "--deep"], rebuilt: true },
  {
    name: "the base interpreter no longer runs",
    corrupt: (r) => {
      const bin = join(r.home, "..", "broken-python", "bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, "python3.11"), "#!/bin/sh\necho 'libpython3.11.so.1.0: cannot open shared object file' >&2\nexit 127\n");
      chmodSync(join(bin, "python3.11"), 0o755);
      rebase(r, bin);
    },
    finding: "venv.base",
    repair: ["fix-env", "--deep"],
    rebuilt: true,
  },
  { name: "the completion marker removed", corrupt: (r) => unlinkSync(join(r.project, ".venv", ".dht-complete")), finding: "state.marker", repair: ["fix-env"] },
  { name: "a lock left by a killed run", corrupt: (r) => writeFileSync(join(r.project, ".dht", "lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "2026-01-01T00:00:00Z", purpose: "setup" })), finding: "state.lock", repair: ["fix-env"] },
  {
    name: "a setup that stopped halfway",
    corrupt: (r) =>
      editJson(join(r.project, ".dht", "setup-progress.json"), (cp) => {
        cp.complete = false;
        cp.steps = cp.steps.filter((s: any) => s.id !== "verify" && s.id !== "finalize");
      }),
    finding: "state.checkpoint",
    repair: ["fix-env"],
  },
  {
    name: "a download cache entry corrupted",
    corrupt: (r) => {
      const dir = join(r.home, "cache", "sha256");
      mkdirSync(dir, { recursive: true });
      // The name promises the sha256 of "hello"; the bytes are something else.
      writeFileSync(join(dir, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), "not hello");
    },
    finding: "home.cache",
    deepDiagnose: true,
    repair: ["fix-env"],
  },
];

/** A breakage only the venv shows: `dhtl setup` itself must notice it (the no-op check) and repair. */
const SETUP_NOTICES: Kind[] = [
  { name: "setup: a package's directory deleted", corrupt: KINDS[0]!.corrupt, finding: "dists.files", repair: ["setup"] },
  { name: "setup: the venv's python replaced by a file that does not run", corrupt: (r) => { unlinkSync(join(r.project, ".venv", "bin", "python")); writeFileSync(join(r.project, ".venv", "bin", "python"), "#!/bin/sh\nexit 1\n"); chmodSync(join(r.project, ".venv", "bin", "python"), 0o755); }, finding: "venv.interpreter", repair: ["setup"] },
  { name: "setup: the base interpreter removed", corrupt: KINDS.find((k) => k.finding === "venv.base")!.corrupt, finding: "venv.base", repair: ["setup"], rebuilt: true },
];

function importsWork(r: RepairEnv): string {
  const p = Bun.spawnSync([join(r.project, ".venv", "bin", "python"), "-c", "import six, tabulate, idna, small, pytest, click; print(small.VALUE, click.__version__, idna.__version__)"]);
  return p.stdout.toString().trim() || p.stderr.toString();
}

describe("the corruption matrix: detected, repaired, verified", () => {
  test("the list has at least 15 kinds", () => {
    expect(KINDS.length).toBeGreaterThanOrEqual(15);
  });

  for (const kind of [...KINDS, ...SETUP_NOTICES]) {
    test(kind.name, async () => {
      r.restore();
      writeFileSync(join(r.project, ".venv", "OLD-VENV"), "");
      kind.corrupt(r);
      const d = await dhtl(["diagnose", "--json", ...(kind.deepDiagnose ? ["--deep"] : []), "--cwd", r.project], { env: r.env });
      expect(d.code).toBe(1);
      const report = v.parse(DiagnoseReportSchema, JSON.parse(d.stdout));
      const hit = report.checks.find((c) => c.id === kind.finding);
      expect({ id: hit?.id, status: hit?.status }).toEqual({ id: kind.finding, status: "fail" });
      expect(hit!.fix!.command).toContain(kind.rebuilt ? "dhtl fix-env --deep" : "dhtl fix-env");

      const fixed = await dhtl([...kind.repair, "--cwd", r.project], { env: r.env });
      if (fixed.code !== 0) throw new Error(`${kind.repair.join(" ")} failed (${fixed.code}):\n${fixed.stdout}\n${fixed.stderr}`);
      if (kind.repair[0] === "setup") expect(fixed.stderr).toContain("broke since it was verified");

      const after = await dhtl(["diagnose", "--deep", "--json", "--cwd", r.project], { env: r.env });
      const afterReport = v.parse(DiagnoseReportSchema, JSON.parse(after.stdout));
      expect(afterReport.checks.filter((c) => c.status === "fail")).toEqual([]);
      expect(after.code).toBe(0);
      expect(importsWork(r)).toBe("42 8.1.8 3.10");
      expect(existsSync(join(r.project, ".venv", "OLD-VENV"))).toBe(!kind.rebuilt);
      const again = await dhtl(["setup", "--cwd", r.project], { env: r.env });
      expect(again.code).toBe(0);
      expect(again.stderr).toContain("up to date");
    }, 60_000);
  }
});
