#!/usr/bin/env bun
/**
 * Runs the corpus of real projects two ways and compares them: the by-hand route written from
 * each project's own docs or CI, and dhtl's `dhtl setup` + `dhtl test`. Needs the network (PyPI);
 * not part of CI. See docs/real-projects.md.
 *
 *   bun scripts/real-projects/run.ts --checkouts /work/corpus/checkouts --dhtl dist/dhtl \
 *     [--only a,b] [--route by-hand|dhtl|both|none] [--write-docs] [--record-expected]
 *     [--work DIR] [--results FILE] [--dht-home DIR]
 *
 * --record-expected writes the by-hand counts just measured into corpus.json's `expected`
 * (do it when adding a project or moving its pin).
 *
 * --checkouts holds one git checkout per project, named like the project, containing its pinned
 * commit. Each route runs in its own fresh `git clone --shared` of it under --work.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseCounts } from "./counts.ts";
import { loadCorpus, loadMisses, type Project, saveCorpus } from "./corpus.ts";
import { matches, type ProjectResult, renderTable, type RouteResult, writeDocs } from "./table.ts";

type Route = "by-hand" | "dhtl";

interface Options {
  checkouts: string;
  dhtl?: string;
  only?: Set<string>;
  routes: Route[];
  writeDocs: boolean;
  work: string;
  results: string;
  dhtHome: string;
  recordExpected: boolean;
}

const repoRoot = resolve(import.meta.dir, "..", "..");
const docsPath = join(repoRoot, "docs", "real-projects.md");
const pyenvVersions = "/root/.pyenv/versions";
const defaultTimeout = 900;

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      checkouts: { type: "string" },
      dhtl: { type: "string" },
      only: { type: "string" },
      route: { type: "string", default: "both" },
      "write-docs": { type: "boolean", default: false },
      work: { type: "string", default: "/work/corpus/work" },
      results: { type: "string", default: "/work/corpus/results.json" },
      "dht-home": { type: "string", default: "/work/corpus/dht-home" },
      "record-expected": { type: "boolean", default: false },
    },
  });
  const routes: Route[] = values.route === "both" ? ["by-hand", "dhtl"] : values.route === "none" ? [] : [values.route as Route];
  if (!routes.every((r) => r === "by-hand" || r === "dhtl")) throw new Error(`--route: by-hand, dhtl, both or none`);
  if (!values.checkouts && routes.length > 0) throw new Error("--checkouts DIR is required");
  if (routes.includes("dhtl") && !values.dhtl) throw new Error("--dhtl PATH is required for the dhtl route");
  return {
    checkouts: resolve(values.checkouts ?? "."),
    dhtl: values.dhtl ? resolve(values.dhtl) : undefined,
    only: values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined,
    routes,
    writeDocs: values["write-docs"] ?? false,
    work: resolve(values.work ?? "/work/corpus/work"),
    results: resolve(values.results ?? "/work/corpus/results.json"),
    dhtHome: resolve(values["dht-home"] ?? "/work/corpus/dht-home"),
    recordExpected: values["record-expected"] ?? false,
  };
}

interface Exit {
  code: number | null;
  timedOut: boolean;
}

/** Run argv in cwd with stdin closed, appending stdout and stderr to log; kill its process group after deadline. */
function run(argv: string[], cwd: string, env: Record<string, string>, log: string, deadline: number): Promise<Exit> {
  const fd = openSync(log, "a");
  writeFileSync(fd, `\n$ ${argv.join(" ")}\n`);
  return new Promise((done) => {
    const child = spawn(argv[0] as string, argv.slice(1), { cwd, env, stdio: ["ignore", fd, fd], detached: true });
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      },
      Math.max(1, deadline - Date.now()),
    );
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      closeSync(fd);
      done({ code, timedOut });
    };
    child.on("error", () => finish(127));
    child.on("exit", (code) => finish(code));
  });
}

function git(args: string[]): void {
  const r = Bun.spawnSync(["git", ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString().trim()}`);
}

/** A fresh clone of the project's checkout at its pinned commit. */
function cleanCopy(opts: Options, p: Project, route: Route): string {
  const source = join(opts.checkouts, p.name);
  if (!existsSync(join(source, ".git"))) throw new Error(`${source}: no git checkout (clone ${p.repo} there)`);
  const dest = join(opts.work, p.name, route);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(join(opts.work, p.name), { recursive: true });
  git(["clone", "--quiet", "--shared", "--no-checkout", source, dest]);
  // A checkout restored from a mirror that lacks some blobs (large reference files) is sparse:
  // the copy takes the same patterns, or its checkout would fail on the absent objects.
  const sparse = join(source, ".git", "info", "sparse-checkout");
  if (existsSync(sparse)) {
    git(["-C", dest, "config", "core.sparseCheckout", "true"]);
    mkdirSync(join(dest, ".git", "info"), { recursive: true });
    writeFileSync(join(dest, ".git", "info", "sparse-checkout"), readFileSync(sparse));
  }
  git(["-C", dest, "checkout", "--quiet", "--detach", p.commit]);
  return dest;
}

/** The pyenv Python whose version starts with the request ("3.11" → /root/.pyenv/versions/3.11.7). */
function pyenvPython(request: string): { version: string; bin: string } {
  const version = readdirSync(pyenvVersions)
    .filter((v) => v === request || v.startsWith(`${request}.`))
    .sort()
    .at(-1);
  if (!version) throw new Error(`no pyenv Python ${request} under ${pyenvVersions}`);
  return { version, bin: join(pyenvVersions, version, "bin") };
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "VIRTUAL_ENV") env[k] = v;
  env.CI = "true";
  env.PIP_DISABLE_PIP_VERSION_CHECK = "1";
  return env;
}

/** The Python a venv was made from, by its pyvenv.cfg. */
function venvPython(dir: string): string | undefined {
  const cfg = join(dir, ".venv", "pyvenv.cfg");
  if (!existsSync(cfg)) return undefined;
  const text = readFileSync(cfg, "utf8");
  return /^version(?:_info)?\s*=\s*(\S+)/m.exec(text)?.[1];
}

function newLog(opts: Options, p: Project, route: Route): string {
  const dir = join(opts.work, "logs");
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${p.name}.${route}.log`);
  writeFileSync(log, `# ${p.name} ${p.commit} ${route} ${new Date().toISOString()}\n`);
  return log;
}

function testOutput(log: string, marker: string): string {
  const text = readFileSync(log, "utf8");
  const at = text.lastIndexOf(marker);
  return at >= 0 ? text.slice(at) : "";
}

async function runByHand(opts: Options, p: Project): Promise<RouteResult> {
  const dir = cleanCopy(opts, p, "by-hand");
  const log = newLog(opts, p, "by-hand");
  const py = pyenvPython(p.python);
  // Tools the route installs (tox, nox, poetry, …) go outside the clone, where no build backend packs them.
  const tools = join(opts.work, p.name, "by-hand-tools");
  rmSync(tools, { recursive: true, force: true });
  const env = { ...baseEnv(), PY: join(py.bin, "python"), TOOLS: tools, PATH: `${py.bin}:${process.env.PATH ?? ""}` };
  const started = Date.now();
  const deadline = started + (p.timeout ?? defaultTimeout) * 1000;
  const setup = await run(["bash", "-ec", p.byHand.steps.join("\n")], dir, env, log, deadline);
  const setupOk = setup.code === 0;
  const marker = `$ bash -c ${p.byHand.test}`;
  const test = setupOk ? await run(["bash", "-c", p.byHand.test], dir, env, log, deadline) : { code: null, timedOut: false };
  return {
    route: "by-hand",
    python: py.version,
    setupOk,
    setupExit: setup.code,
    testExit: test.code,
    counts: parseCounts(setupOk ? testOutput(log, marker) : "", py.version ? { pythonVersion: py.version } : {}),
    seconds: (Date.now() - started) / 1000,
    timedOut: setup.timedOut || test.timedOut,
    log,
    at: new Date().toISOString(),
  };
}

async function runDhtl(opts: Options, p: Project): Promise<RouteResult> {
  const dhtl = opts.dhtl as string;
  const dir = cleanCopy(opts, p, "dhtl");
  const log = newLog(opts, p, "dhtl");
  mkdirSync(opts.dhtHome, { recursive: true });
  // No NO_COLOR here: the by-hand route has none, and some suites test colour detection (cleo).
  const env = { ...baseEnv(), DHT_HOME: opts.dhtHome };
  const started = Date.now();
  const deadline = started + (p.timeout ?? defaultTimeout) * 1000;
  const setup = await run([dhtl, "setup"], dir, env, log, deadline);
  const marker = `$ ${dhtl} test`;
  // dhtl test runs even after a failed setup: it may still find an environment to test in.
  const test = await run([dhtl, "test"], dir, env, log, deadline);
  const python = venvPython(dir);
  return {
    route: "dhtl",
    python,
    setupOk: setup.code === 0,
    setupExit: setup.code,
    testExit: test.code,
    counts: parseCounts(testOutput(log, marker), python ? { pythonVersion: python } : {}),
    seconds: (Date.now() - started) / 1000,
    timedOut: setup.timedOut || test.timedOut,
    log,
    at: new Date().toISOString(),
  };
}

function expectedFrom(r: RouteResult): Project["expected"] {
  const { passed, failed, skipped, errors } = r.counts;
  return { passed, failed, skipped, errors };
}

function loadResults(path: string): Record<string, ProjectResult> {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, ProjectResult>) : {};
}

function describe(p: Project, r: RouteResult): string {
  const c = r.counts;
  const e = p.expected;
  const drift = r.route === "by-hand" && (c.passed !== e.passed || c.failed + c.errors !== e.failed + e.errors);
  return `${r.route}: py ${r.python ?? "?"}, setup ${r.setupOk ? "ok" : `exit ${r.setupExit}`}, test exit ${r.testExit}, ${c.passed} passed ${c.failed} failed ${c.skipped} skipped ${c.errors} errors (${c.suites} suites), ${Math.round(r.seconds)} s${r.timedOut ? " TIMEOUT" : ""}${drift ? `  [expected ${e.passed}/${e.failed}/${e.skipped}/${e.errors}]` : ""}`;
}

async function main(): Promise<void> {
  const opts = readOptions();
  const corpus = loadCorpus();
  const results = loadResults(opts.results);
  const chosen = opts.routes.length === 0 ? [] : corpus.filter((p) => !opts.only || opts.only.has(p.name));
  if (opts.only && opts.routes.length > 0 && chosen.length !== opts.only.size) throw new Error(`--only: unknown project among ${[...opts.only].join(",")}`);
  for (const p of chosen) {
    const entry: ProjectResult = results[p.name]?.commit === p.commit ? (results[p.name] as ProjectResult) : { name: p.name, commit: p.commit };
    for (const route of opts.routes) {
      console.log(`── ${p.name} (${route})`);
      const r = route === "by-hand" ? await runByHand(opts, p) : await runDhtl(opts, p);
      if (route === "by-hand") {
        entry.byHand = r;
        if (opts.recordExpected) p.expected = expectedFrom(r);
      }
      else entry.dhtl = r;
      console.log(`   ${describe(p, r)}`);
      results[p.name] = entry;
      writeFileSync(opts.results, `${JSON.stringify(results, null, 2)}\n`);
    }
    const m = matches(entry);
    if (m !== undefined) console.log(`   match: ${m ? "yes" : "NO"}`);
  }
  if (opts.recordExpected) saveCorpus(corpus);
  if (opts.writeDocs) {
    writeDocs(docsPath, renderTable(corpus, results, loadMisses()));
    console.log(`wrote ${docsPath}`);
  }
}

await main();
