/**
 * Driver of scripts/bench/python-install (see there). Builds (or reuses) a PBS-shaped
 * archive from a pyenv CPython, serves it from 127.0.0.1 with Bun.serve, and runs hyperfine.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildPbsArchive, writeManifestOverride } from "../../test/helpers/pbs.ts";

const root = join(import.meta.dir, "..", "..");
const version = process.argv[2] ?? "3.11.7";
const runs = process.env.RUNS ?? "10";
const bin = process.env.DHTL ?? join(root, "dist", "dhtl");
const archive = await buildPbsArchive(version);
const minor = version.split(".").slice(0, 2).join(".");
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (req) => (new URL(req.url).pathname === `/${encodeURIComponent(archive.filename)}` ? new Response(Bun.file(archive.path)) : new Response("not found", { status: 404 })),
});
const origin = `http://127.0.0.1:${server.port}`;
const url = `${origin}/${encodeURIComponent(archive.filename)}`;
const work = mkdtempSync(join(root, ".cache", "bench-pyinstall-"));
const manifest = await writeManifestOverride(join(work, "downloads.json"), origin, [archive]);
console.error(`archive: ${archive.path} (${(archive.size / 1e6).toFixed(1)} MB), served at ${url}`);

async function hyperfine(args: string[]): Promise<Array<{ command: string; median: number; mean: number; user: number; system: number }>> {
  const out = join(work, `r-${Date.now()}.json`);
  const p = Bun.spawn(["hyperfine", "--export-json", out, ...args], { stdout: "inherit", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error("hyperfine failed");
  return JSON.parse(await Bun.file(out).text()).results;
}

const env = `env DHT_HOME='${work}/home' DHT_PYTHON_DOWNLOADS='${manifest}' DHT_PYTHON_DISCOVERY=none NO_COLOR=1`;
const install = await hyperfine([
  "--warmup", "1", "--runs", runs,
  "--prepare", `rm -rf '${work}/home' '${work}/curl'; mkdir -p '${work}/curl/x'; sync`,
  "-n", "curl -o + tar -xzf", `sh -c "curl -sSf -o '${work}/curl/a.tar.gz' '${url}' && tar -C '${work}/curl/x' -xzf '${work}/curl/a.tar.gz'"`,
  "-n", "dhtl python install", `${env} '${bin}' python install ${version} -q`,
]);

// Warm find: the managed install from the last run is in place; prime the interpreter cache once.
rmSync(join(work, "home"), { recursive: true, force: true });
mkdirSync(join(work, "home"), { recursive: true });
// (async spawn: this process serves the archive, a blocking spawn would starve the server)
const primed = Bun.spawn(["sh", "-c", `${env} '${bin}' python install ${version} -q && env DHT_HOME='${work}/home2' '${bin}' python find ${minor}`], { stdout: "ignore" });
if ((await primed.exited) !== 0) throw new Error("priming install/find failed");
const find = await hyperfine([
  "-N", "--warmup", "5", "--runs", "100",
  "-n", `find ${minor} (managed)`, `env DHT_HOME=${work}/home DHT_PYTHON_DISCOVERY=none ${bin} python find ${minor}`,
  "-n", `find ${minor} (machine, default discovery)`, `env DHT_HOME=${work}/home2 ${bin} python find ${minor}`,
]);
server.stop(true);
rmSync(work, { recursive: true, force: true });

const ms = (x: { median: number }) => `${(x.median * 1000).toFixed(1)} ms`;
const [curl, ours] = [install.find((r) => r.command.startsWith("curl"))!, install.find((r) => r.command.startsWith("dhtl"))!];
const ratio = ours.median / curl.median;
console.log(`curl -o + tar -xzf     median ${ms(curl)}`);
console.log(`dhtl python install    median ${ms(ours)}  ratio ${ratio.toFixed(2)}x (target <= 1.20x) ${ratio <= 1.2 ? "OK" : "OVER"}`);
for (const f of find) console.log(`${f.command.padEnd(40)} median ${ms(f)} (target < 40 ms) ${f.median < 0.04 ? "OK" : "OVER"}`);
