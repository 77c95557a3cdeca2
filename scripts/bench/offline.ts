/**
 * Driver of scripts/bench/offline (see there). Serves the CPython archive and the wheel
 * index from 127.0.0.1, prepares the bundle, then times setup from it against the same
 * steps by hand.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPbsArchive, writeManifestOverride } from "../../test/helpers/pbs.ts";
import { startPypiIndex } from "../../test/helpers/pypi-index.ts";

const root = join(import.meta.dir, "..", "..");
const runs = process.env.RUNS ?? "10";
const bin = process.env.DHTL ?? join(root, "dist", "dhtl");
const assets = join(root, ".cache", "test-assets");
const version = "3.11.7";

// ~20 direct dependencies, all in .cache/test-assets/setup-wheels.
const REQUIREMENTS = [
  "six==1.17.0", "python-dateutil==2.9.0.post0", "tabulate==0.9.0", "pytest==8.3.5", "iniconfig==2.0.0", "packaging==24.2",
  "pluggy==1.5.0", "attrs==24.3.0", "click==8.1.8", "idna==3.10", "certifi==2024.12.14", "urllib3==2.3.0", "mdurl==0.1.2",
  "markdown-it-py==3.0.0", "pygments==2.19.1", "rich==13.9.4", "colorama==0.4.6", "wcwidth==0.2.13", "typing-extensions==4.12.2",
  "exceptiongroup==1.2.2", "tomli==2.2.1",
];

const archive = await buildPbsArchive(version);
const mirror = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => (new URL(req.url).pathname === `/${encodeURIComponent(archive.filename)}` ? new Response(Bun.file(archive.path)) : new Response("not found", { status: 404 })) });
const projects: Record<string, string[]> = {};
for (const dir of ["setup-wheels", "uv"]) {
  for (const f of readdirSync(join(assets, dir)).filter((n) => n.endsWith(".whl"))) (projects[f.split("-")[0]!.toLowerCase().replace(/[-_.]+/g, "-")] ??= []).push(join(assets, dir, f));
}
const index = await startPypiIndex({ projects, mode: "html" });
// Outside the repository: a project inside it would be taken for part of the dhtl checkout.
const work = mkdtempSync(join(tmpdir(), "bench-offline-"));
const manifest = await writeManifestOverride(join(work, "downloads.json"), `http://127.0.0.1:${mirror.port}`, [archive]);
const project = join(work, "project");
mkdirSync(project);
writeFileSync(join(project, "requirements.txt"), `${REQUIREMENTS.join("\n")}\n`);
writeFileSync(join(project, ".python-version"), `${version}\n`);

const baseEnv = { PATH: "/usr/bin:/bin", HOME: work, NO_COLOR: "1", PIP_CONFIG_FILE: "/dev/null", UV_NO_CONFIG: "1" };
async function run(argv: string[], env: Record<string, string>, cwd = project): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn(argv, { cwd, env: { ...baseEnv, ...env }, stdout: "ignore", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error(`${argv.join(" ")} failed`);
  return (performance.now() - t0) / 1000;
}

// 1. Prepare (cold: fresh DHT_HOME, so uv, CPython and every wheel are downloaded).
const prepEnv = (home: string) => ({ DHT_HOME: home, DHT_PYTHON_DOWNLOADS: manifest, PIP_INDEX_URL: index.simpleUrl, UV_CACHE_DIR: join(home, "uv-cache") });
const bundleFile = join(work, "bundle.tar.gz");
const bundleDir = join(work, "bundle");
const prepareSeconds: number[] = [];
for (let i = 0; i < 3; i++) {
  rmSync(join(work, "prep-home"), { recursive: true, force: true });
  rmSync(bundleFile, { force: true });
  prepareSeconds.push(await run([bin, "prepare-offline", "-q", "--output", bundleFile], prepEnv(join(work, "prep-home"))));
}
await run([bin, "prepare-offline", "-q", "--output", bundleDir], prepEnv(join(work, "prep-home")));
const bundleManifest = JSON.parse(await Bun.file(join(bundleDir, "manifest.json")).text());
const platform = bundleManifest.platforms[0];
const wheelCount = platform.wheels["."].files.length;

// 2. Setup from the bundle vs by hand, in one hyperfine run.
const uv = join(bundleDir, platform.uv.path);
const pythonArchive = join(bundleDir, platform.pythons[0].path);
const wheels = join(bundleDir, platform.wheels["."].dir);
const manual = join(work, "manual");
const home = join(work, "home");
const cache = join(work, "uv-cache");
const clean = `rm -rf '${manual}' '${home}' '${cache}' '${project}/.venv' '${project}/.dht'`;
const envPrefix = `env -i PATH=/usr/bin:/bin HOME='${work}' NO_COLOR=1 PIP_CONFIG_FILE=/dev/null UV_NO_CONFIG=1 UV_CACHE_DIR='${cache}'`;
const byHand = [
  `mkdir -p '${manual}'`,
  `tar -C '${manual}' -xzf '${pythonArchive}'`,
  `${envPrefix} '${uv}' venv -q --python '${manual}/python/bin/python3' '${manual}/venv'`,
  `${envPrefix} '${uv}' pip install -q --offline --no-index --find-links '${wheels}' --python '${manual}/venv/bin/python' -r '${project}/requirements.txt'`,
].join(" && ");
// This machine's disk and CPU drift over minutes, and one hyperfine run times all runs of a
// command before the next command: drift would land on one side. So the runs are split into
// rounds, each a hyperfine run of all three commands, and medians are taken over every run
// of every round. `sync` after the clean-up keeps the previous run's deletions out of the next.
const rounds = Math.max(1, Math.ceil(Number(runs) / 3));
const perRound = String(Math.max(1, Math.round(Number(runs) / rounds)));
const commands = [
  ["by hand (tar, uv venv, uv pip install --offline)", `sh -c "${byHand}"`],
  ["dhtl setup --offline-bundle DIR", `sh -c "cd '${project}' && ${envPrefix} DHT_HOME='${home}' '${bin}' setup -q --offline-bundle '${bundleDir}'"`],
  ["dhtl setup --offline-bundle FILE.tar.gz", `sh -c "cd '${project}' && ${envPrefix} DHT_HOME='${home}' '${bin}' setup -q --offline-bundle '${bundleFile}'"`],
] as const;
const times = commands.map(() => [] as number[]);
for (let round = 0; round < rounds; round++) {
  const out = join(work, `hyperfine-${round}.json`);
  const hf = Bun.spawn(
    ["hyperfine", "--export-json", out, "--warmup", round === 0 ? "1" : "0", "--runs", perRound, "--prepare", `${clean} && sync`, ...commands.flatMap(([name, cmd]) => ["-n", name, cmd])],
    { stdout: round === 0 ? "inherit" : "ignore", stderr: "inherit" },
  );
  if ((await hf.exited) !== 0) throw new Error("hyperfine failed");
  const json = JSON.parse(await Bun.file(out).text()) as { results: Array<{ times: number[] }> };
  json.results.forEach((r, i) => times[i]!.push(...r.times));
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const results = commands.map(([name], i) => ({ command: name, median: median(times[i]!), n: times[i]!.length }));
console.log(`${rounds} rounds of ${perRound} runs per command (hyperfine), medians over all ${results[0]!.n} runs:`);
mirror.stop(true);
index.stop();
const [hand, dir, file] = results;
const sizeMb = statSync(bundleFile).size / 1e6;
prepareSeconds.sort((a, b) => a - b);
console.log(`project: ${REQUIREMENTS.length} direct requirements, ${wheelCount} wheels; CPython ${version}`);
console.log(`prepare-offline (cold DHT_HOME, loopback index): median ${prepareSeconds[1]!.toFixed(2)} s of 3; bundle ${sizeMb.toFixed(1)} MB (.tar.gz)`);
console.log(`by hand                         median ${(hand!.median * 1000).toFixed(0)} ms`);
for (const r of [dir!, file!]) {
  const ratio = r.median / hand!.median;
  console.log(`${r.command.padEnd(40)} median ${(r.median * 1000).toFixed(0)} ms  ratio ${ratio.toFixed(2)}x${r === dir ? ` (target <= 1.20x) ${ratio <= 1.2 ? "OK" : "OVER"}` : " (includes unpacking the archive)"}`);
}
// Where the time goes: one verbose run, step timings only.
const detail = Bun.spawn(["sh", "-c", `${clean} && cd '${project}' && ${envPrefix} DHT_HOME='${home}' '${bin}' setup --offline-bundle '${bundleDir}' 2>&1`], { stdout: "pipe" });
const steps = (await new Response(detail.stdout).text()).split("\n").filter((l) => l.includes("✔"));
console.log(`dhtl setup steps (one run): ${steps.map((l) => l.slice(l.indexOf("✔") + 2).trim()).join("; ")}`);
// BENCH_KEEP=1 keeps the bundle, project and homes for profiling by hand.
if (process.env.BENCH_KEEP === "1") console.log(`kept: ${work}`);
else rmSync(work, { recursive: true, force: true });
