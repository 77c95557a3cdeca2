#!/usr/bin/env bun
/**
 * `bun run test`: prepare prerequisites, build the host executable (e2e tests run it), then
 * run every test with `bun test`. Extra arguments go to `bun test` (e.g. a file filter).
 *
 * The tests make many temporary directories (projects, DHT_HOMEs holding Python installs),
 * so the run gets its own TMPDIR, removed at the end: a run leaves nothing behind in /tmp.
 * DHT_KEEP_TEST_TMP=1 keeps it for a post-mortem.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const run = (cmd: string[], env: Record<string, string | undefined> = process.env) =>
  Bun.spawnSync(cmd, { cwd: root, env, stdio: ["inherit", "inherit", "inherit"] }).exitCode;

if (run(["bash", "scripts/test-prereqs.sh"]) !== 0) process.exit(1);
if (run(["bun", "scripts/build.ts"]) !== 0) process.exit(1);

const runTmp = mkdtempSync(join(tmpdir(), "dhtl-test-run-"));
// Tests that run dhtl as an unprivileged user (test/e2e/system-packages) make their scratch
// directories world-writable; the run's own directory must let that user through.
chmodSync(runTmp, 0o755);
let status = 1;
try {
  status = run(["bun", "test", ...process.argv.slice(2)], { ...process.env, TMPDIR: runTmp });
} finally {
  if (process.env.DHT_KEEP_TEST_TMP === "1") console.error(`test files kept in ${runTmp}`);
  else {
    try {
      rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      console.error(`could not remove ${runTmp}: ${(error as Error).message}`);
    }
  }
}
process.exit(status);
