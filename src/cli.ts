#!/usr/bin/env bun
/**
 * Entry point of the dhtl executable.
 *
 * Start-up time matters (see docs/ARCHITECTURE.md): `dhtl --version` is answered here
 * before anything else is imported; every other path loads src/main.ts, which in turn
 * loads one command module on demand.
 */
import { versionLine } from "./build-info.ts";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  // console.log, not process.stdout.write: touching process.stdout initialises Node's
  // stream machinery, which costs ~10 ms, more than all of Bun's own start-up
  // (scripts/bench/startup measures it).
  console.log(versionLine());
} else {
  const { main } = await import("./main.ts");
  process.exitCode = await main(argv);
}
