#!/usr/bin/env bun
/**
 * `bun run test`: prepare prerequisites, build the host executable (e2e tests run it), then
 * run every test with `bun test`. Extra arguments go to `bun test` (e.g. a file filter).
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const run = (cmd: string[]) => Bun.spawnSync(cmd, { cwd: root, stdio: ["inherit", "inherit", "inherit"] }).exitCode;

if (run(["bash", "scripts/test-prereqs.sh"]) !== 0) process.exit(1);
if (run(["bun", "scripts/build.ts"]) !== 0) process.exit(1);
process.exit(run(["bun", "test", ...process.argv.slice(2)]));
