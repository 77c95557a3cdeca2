#!/usr/bin/env bun
/** Used by scripts/bench/extract: extract ARCHIVE into TARGET with extractArchive, nothing else. */
import { extractArchive } from "../../src/archive/extract.ts";

const [archive, target] = process.argv.slice(2);
if (!archive || !target) {
  console.error("usage: bun scripts/bench/extract-one.ts ARCHIVE TARGET");
  process.exit(2);
}
await extractArchive(archive, target, { stripTopDir: true });
