/**
 * Gathering the facts `dhtl diagnose` judges: the effectful half (files, processes, sockets).
 * Each gatherer takes plain inputs and returns plain data (types.ts); the checks
 * (checks.ts) never touch the disk. Orchestrated by src/flows/repair/diagnose.ts.
 */
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readCheckpoint } from "../env/checkpoints.ts";
import { lockIsStale, processIsAlive, readLockOwner } from "../env/lock.ts";
import { inspectVenv, readMarker, readPyvenvCfg, venvBinDir, venvPython, type VenvOs } from "../env/venv.ts";
import { runTool } from "../process.ts";
import { homePaths } from "../paths.ts";
import { redactUrl } from "../net/redact.ts";
import type { NetSettings } from "../net/types.ts";
import type { RegistryCredentials, RegistrySettings } from "../registries/types.ts";
import { UV_VERSION } from "../uv/version.ts";
import { findSitePackages, scanSitePackages } from "./dists.ts";
import { readSwapJournal } from "./swap.ts";
import type { HomeFacts, IndexProbe, MachineFacts, NetworkFacts, StateFacts, VenvFacts, WantedFacts } from "./types.ts";

type Env = Record<string, string | undefined>;

const VERSION_CODE = "import sys; print('%d.%d.%d' % sys.version_info[:3])";

/** Run an interpreter briefly: does it start, and which version is it. */
export async function probeInterpreter(python: string, env: Env): Promise<{ runs: boolean; version?: string; error?: string }> {
  const r = await runTool([python, "-I", "-c", VERSION_CODE], { env: { PATH: env.PATH ?? "/usr/bin:/bin", ...(env.SYSTEMROOT ? { SYSTEMROOT: env.SYSTEMROOT } : {}) }, cwd: dirname(python) });
  if (r.code === 0 && /^\d+\.\d+\.\d+/.test(r.stdout.trim())) return { runs: true, version: r.stdout.trim() };
  return { runs: false, error: (r.stderr || r.stdout).trim().split("\n").slice(-2).join(" ") || `exit ${r.code}` };
}

/** The base interpreter a venv names: pyvenv.cfg's home plus python<minor> (or python3, python). */
export function baseExecutableIn(home: string, version: string | undefined, os: VenvOs): string {
  if (os === "windows") return join(home, "python.exe");
  const minor = version?.split(".").slice(0, 2).join(".");
  for (const name of [minor ? `python${minor}` : undefined, "python3", "python"]) if (name && existsSync(join(home, name))) return join(home, name);
  return join(home, minor ? `python${minor}` : "python3");
}

export async function gatherVenv(input: { venvPath: string; linkPath: string; os: VenvOs; recorded?: { executable?: string; version?: string }; deep: boolean; env: Env }): Promise<VenvFacts> {
  const { venvPath, os } = input;
  const st = inspectVenv(venvPath, os);
  const cfg = readPyvenvCfg(venvPath);
  const py = venvPython(venvPath, os);
  const facts: VenvFacts = {
    venvPath,
    linkPath: input.linkPath,
    exists: st.exists,
    ...(cfg ? { cfg } : {}),
    python: { path: py, exists: existsSync(py) },
    base: { exists: false, ...(input.recorded?.version ? { recordedVersion: input.recorded.version } : {}), ...(input.recorded?.executable ? { recordedExecutable: input.recorded.executable } : {}) },
    brokenLinks: [],
    dists: [],
    deep: input.deep,
  };
  if (!st.exists) return facts;
  const version = cfg?.version_info ?? cfg?.version ?? input.recorded?.version;
  const home = cfg?.home ?? (input.recorded?.executable ? dirname(input.recorded.executable) : undefined);
  const [venvRun, baseRun] = await Promise.all([
    facts.python.exists ? probeInterpreter(py, input.env) : Promise.resolve(undefined),
    home ? (async () => {
      const exe = baseExecutableIn(home, version, os);
      facts.base = { ...facts.base, home, executable: exe, exists: existsSync(exe) };
      return facts.base.exists ? probeInterpreter(exe, input.env) : undefined;
    })() : Promise.resolve(undefined),
  ]);
  if (venvRun) Object.assign(facts.python, venvRun);
  if (baseRun) Object.assign(facts.base, baseRun);
  const bin = venvBinDir(venvPath, os);
  try {
    for (const name of readdirSync(bin)) {
      const path = join(bin, name);
      try {
        if (!lstatSync(path).isSymbolicLink()) continue;
        statSync(path);
      } catch {
        facts.brokenLinks.push({ path, target: (() => { try { return readlinkSync(path); } catch { return "?"; } })() });
      }
    }
  } catch {
    /* no bin dir: the interpreter check says so */
  }
  const site = findSitePackages(venvPath, version, os === "windows");
  if (site) {
    facts.site = site;
    facts.dists = scanSitePackages(site, { deep: input.deep });
  }
  return facts;
}

export function gatherState(envRoot: string, venvPath: string | undefined): StateFacts {
  const state: StateFacts = {};
  const lockPath = join(envRoot, ".dht", "lock");
  if (existsSync(lockPath)) {
    const owner = readLockOwner(lockPath);
    state.lock = owner
      ? { path: lockPath, ...owner, stale: lockIsStale(owner, hostname(), processIsAlive) }
      : { path: lockPath, pid: 0, host: "", since: "", purpose: "", stale: false, unreadable: true };
  }
  const cpPath = join(envRoot, ".dht", "setup-progress.json");
  const checkpoint = readCheckpoint(cpPath);
  if (checkpoint) state.checkpoint = { path: cpPath, complete: checkpoint.complete, steps: checkpoint.steps.map((s) => s.id), readable: true };
  else if (existsSync(cpPath)) state.checkpoint = { path: cpPath, complete: false, steps: [], readable: false };
  if (venvPath && existsSync(venvPath)) {
    const marker = readMarker(venvPath);
    state.marker = { present: marker !== undefined, matches: Boolean(marker && checkpoint && marker === checkpoint.inputsHash) };
  }
  const journal = readSwapJournal(join(envRoot, ".dht"));
  if (journal && !existsSync(journal.venv) && existsSync(journal.aside)) state.pendingSwap = { venv: journal.venv, aside: journal.aside };
  return state;
}

/** The nearest existing directory at or above `path`. */
function existingAncestor(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Synced folders whose clients rewrite files behind a venv's back. */
export function syncedFolderOf(path: string): string | undefined {
  const m = /[\\/](OneDrive(?: - [^\\/]+)?|Dropbox|Google Drive|GoogleDrive|iCloud Drive|Library[\\/]Mobile Documents|Library[\\/]CloudStorage[\\/][^\\/]+|Box(?: Sync)?|pCloudDrive|MEGA|Nextcloud|ownCloud|Seafile)(?=[\\/]|$)/i.exec(path);
  return m?.[1];
}

/** mountinfo's 4th field: the directory of the source file system mounted here ("/" unless a bind mount). */
export function mountRootOf(mountinfo: string, mountPoint: string): string | undefined {
  let root: string | undefined;
  for (const line of mountinfo.split("\n")) {
    const f = line.split(" ");
    if (f[4]?.replace(/\\040/g, " ") === mountPoint) root = f[3];
  }
  return root;
}

export async function gatherMachine(input: {
  envRoot: string;
  venvPath?: string;
  venvLocal: boolean;
  home: string;
  os: VenvOs;
  platform?: { container: { kind: string | null; evidence: string[] }; windows?: { longPathsEnabled?: boolean } };
  fs?: { path: string; type: string; kind: string; network: boolean; mountPoint: string };
  deepestPath?: number;
}): Promise<MachineFacts> {
  const places: Array<[string, string]> = [
    ["the venv", input.venvPath ?? join(input.envRoot, ".venv")],
    ["DHT_HOME", input.home],
  ];
  const space = await Promise.all(
    places.map(async ([what, path]) => {
      const at = existingAncestor(path);
      try {
        const s = await statfs(at);
        return { what, path: at, freeBytes: Number(s.bavail) * Number(s.bsize) };
      } catch (e) {
        return { what, path: at, error: (e as Error).message };
      }
    }),
  );
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const permissions = [
    ["the venv", input.venvPath && existsSync(input.venvPath) ? input.venvPath : existingAncestor(input.venvPath ?? input.envRoot)],
    ["project state", existsSync(join(input.envRoot, ".dht")) ? join(input.envRoot, ".dht") : input.envRoot],
    ["DHT_HOME", existingAncestor(input.home)],
  ].map(([what, path]) => {
    let writable = true;
    try {
      accessSync(path!, constants.W_OK);
    } catch {
      writable = false;
    }
    let owner: number | undefined;
    try {
      owner = statSync(path!).uid;
    } catch {}
    return { what: what!, path: path!, writable, ...(owner !== undefined ? { owner } : {}), ...(uid !== undefined ? { uid } : {}) };
  });
  const facts: MachineFacts = { space, os: input.os, permissions, venvLocal: input.venvLocal };
  if (input.fs) {
    let bindMount: boolean | undefined;
    if (input.os === "linux") {
      try {
        const root = mountRootOf(readFileSync("/proc/self/mountinfo", "utf8"), input.fs.mountPoint);
        bindMount = root !== undefined && root !== "/";
      } catch {}
    }
    const synced = syncedFolderOf(input.envRoot);
    const wsl = input.platform?.container.kind?.startsWith("wsl") && /^\/mnt\/[a-z](\/|$)/.test(input.envRoot);
    facts.fs = { ...input.fs, path: input.envRoot, ...(bindMount ? { bindMount } : {}), ...(synced ? { syncedFolder: synced } : {}), ...(wsl ? { wslDrive: true } : {}) };
  }
  if (input.os === "windows") facts.longPaths = { enabled: input.platform?.windows?.longPathsEnabled, deepest: input.deepestPath ?? 0 };
  if (input.platform) facts.container = { kind: input.platform.container.kind, evidence: input.platform.container.evidence };
  return facts;
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((done) => {
    const timer = setTimeout(() => done(`no connection within ${timeoutMs / 1000} s`), timeoutMs);
    Bun.connect({ hostname: host, port, socket: { data() {}, open(s) { clearTimeout(timer); s.end(); done(undefined); }, connectError(_s, e) { clearTimeout(timer); done(e.message); } } }).catch((e) => {
      clearTimeout(timer);
      done((e as Error).message);
    });
  });
}

export async function gatherNetwork(input: {
  registries: RegistrySettings;
  credentials?: RegistryCredentials;
  credentialsError?: { message: string; subject?: string; hint?: string };
  net: NetSettings;
  env: Env;
  offline: boolean;
  timeoutMs?: number;
}): Promise<NetworkFacts> {
  const facts: NetworkFacts = { offline: input.offline, indexes: [], proxies: [], ...(input.credentialsError ? { credentialsError: input.credentialsError } : {}) };
  if (input.offline) return facts;
  const [{ httpFetch }, { selectProxy }, { caSources, extraCaCertificates, pemCertificates }, { rootCertificates }, tlsProbe, { sameIndex, splitUserInfo }] = await Promise.all([
    import("../net/http.ts"),
    import("../net/proxy.ts"),
    import("../net/ca.ts"),
    import("node:tls"),
    import("./tls-probe.ts"),
    import("../registries/url.ts"),
  ]);
  const r = input.registries;
  const o = r.origins;
  const targets: Array<{ url: string; role: IndexProbe["role"]; origin: string }> = [];
  if (!r.noIndex) {
    targets.push({ url: r.indexUrl, role: "index", origin: o.indexUrl ?? "default" });
    r.extraIndexUrls.forEach((u, i) => targets.push({ url: u, role: "extra-index", origin: o[`extraIndexUrls.${i}`] ?? "unknown" }));
  }
  r.findLinks.forEach((u, i) => targets.push({ url: u, role: "find-links", origin: o[`findLinks.${i}`] ?? "unknown" }));
  const mirror = input.env.DHT_PYTHON_MIRROR || input.env.UV_PYTHON_INSTALL_MIRROR;
  if (mirror) targets.push({ url: mirror, role: "mirror", origin: `env ${input.env.DHT_PYTHON_MIRROR ? "DHT_PYTHON_MIRROR" : "UV_PYTHON_INSTALL_MIRROR"}` });
  const timeoutMs = input.timeoutMs ?? 8000;
  // The CAs dhtl would trust, and the bundles on this machine that could be pointed at.
  let configured: Array<{ origin: string; path: string; certs: string[] }> = [];
  try {
    extraCaCertificates(input.env, input.net);
    configured = caSources(input.env, input.net).filter((s) => s.kind === "file").map((s) => ({ origin: s.origin, path: s.path, certs: pemCertificates(readFileSync(s.path, "utf8")) }));
  } catch {
    /* a broken CA setting is reported by the requests below */
  }
  const onMachine = tlsProbe.candidateBundlePaths(input.env.HOME).filter((p) => existsSync(p) && !configured.some((c) => c.path === p)).map((p) => {
    try {
      return { origin: `file ${p}`, path: p, certs: pemCertificates(readFileSync(p, "utf8")) };
    } catch {
      return { origin: `file ${p}`, path: p, certs: [] };
    }
  });
  const proxies = new Map<string, { url: string; source: string }>();
  facts.indexes = await Promise.all(
    targets.map(async (t): Promise<IndexProbe> => {
      const shown = redactUrl(t.url);
      if (/^file:/i.test(t.url) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(t.url)) {
        let path = t.url;
        try {
          if (/^file:/i.test(t.url)) path = fileURLToPath(t.url);
        } catch {}
        return { url: shown, role: t.role, origin: t.origin, kind: /^file:/i.test(t.url) ? "file" : "directory", reachable: existsSync(path) };
      }
      const plain = splitUserInfo(t.url).url;
      const probe: IndexProbe = { url: shown, role: t.role, origin: t.origin, kind: "http" };
      const key = input.credentials ? Object.keys(input.credentials).find((k) => sameIndex(k, t.url)) : undefined;
      const cred = key ? input.credentials![key] : undefined;
      if (cred) probe.credentials = { needed: true, source: cred.source };
      let choice;
      try {
        choice = selectProxy(plain, input.env, input.net);
      } catch (e) {
        return { ...probe, reachable: false, error: (e as Error).message };
      }
      if (choice.proxy) {
        probe.via = `${choice.display} (${choice.source})`;
        proxies.set(choice.proxy, { url: choice.display!, source: choice.source });
      }
      const url = new URL(plain);
      const [response, chain] = await Promise.all([
        (async () => {
          try {
            const headers: Record<string, string> = { accept: "text/html, application/vnd.pypi.simple.v1+json;q=0.9" };
            if (cred) headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
            const res = await httpFetch(`${plain.replace(/\/+$/, "")}/`, { headers }, { env: input.env, net: input.net, timeoutMs });
            await res.body?.cancel().catch(() => {});
            return { status: res.status };
          } catch (e) {
            return { error: (e as Error).message };
          }
        })(),
        url.protocol === "https:" ? tlsProbe.peerChain(url.hostname, Number(url.port || 443), { proxy: choice.proxy, timeoutMs }) : Promise.resolve(undefined),
      ]);
      if ("status" in response) Object.assign(probe, { reachable: true, status: response.status });
      else Object.assign(probe, { reachable: false, error: response.error });
      if (chain) {
        const verdict = chain.certs.length ? tlsProbe.judgeChain(chain.certs, rootCertificates, configured, onMachine) : undefined;
        if (verdict) probe.tls = verdict;
      }
      return probe;
    }),
  );
  facts.proxies = await Promise.all(
    [...proxies.entries()].map(async ([raw, p]) => {
      const u = new URL(raw);
      const error = await tcpReachable(u.hostname, Number(u.port || 80), timeoutMs);
      return { ...p, reachable: !error, ...(error ? { error } : {}) };
    }),
  );
  return facts;
}

const KEY_RE = /^cpython-(\d+\.\d+\.\d+[a-z0-9]*)-([a-z]+-[a-z0-9_]+-[a-z]+)$/;

export async function gatherHome(home: string, options: { deep: boolean; uvPath?: string; uvNeeded: boolean; env: Env }): Promise<HomeFacts> {
  const paths = homePaths(home);
  const pythons: HomeFacts["pythons"] = [];
  const danglingLinks: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(paths.python);
  } catch {}
  for (const name of names) {
    const dir = join(paths.python, name);
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) {
      if (/^cpython-\d+\.\d+-/.test(name) && !existsSync(dir)) danglingLinks.push(name);
      continue;
    }
    const m = KEY_RE.exec(name);
    if (!m || !st.isDirectory()) continue;
    const [, version, platform] = m as unknown as [string, string, string];
    const minor = version.split(".").slice(0, 2).join(".");
    const windows = platform.startsWith("windows-");
    const need = windows ? ["python.exe", join("Lib", "os.py"), "BUILD"] : [join("bin", `python${minor}`), join("lib", `python${minor}`, "os.py"), "BUILD"];
    pythons.push({ key: name, dir, missing: need.filter((f) => !existsSync(join(dir, f))) });
  }
  const uvPath = options.uvPath ?? join(paths.uv, UV_VERSION, process.platform === "win32" ? "uv.exe" : "uv");
  const uv: HomeFacts["uv"] = { path: uvPath, present: existsSync(uvPath), needed: options.uvNeeded };
  if (uv.present) {
    const r = await runTool([uvPath, "--version"], { env: { PATH: options.env.PATH ?? "/usr/bin:/bin" }, cwd: home });
    uv.runs = r.code === 0;
    const v = /\buv\s+(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
    if (v) uv.version = v;
  }
  const facts: HomeFacts = { home, pythons, danglingLinks, uv };
  if (options.deep) {
    const { sha256File } = await import("../net/cache.ts");
    let entries: string[] = [];
    try {
      entries = readdirSync(paths.downloads);
    } catch {}
    const bad: string[] = [];
    const partials: string[] = [];
    let count = 0;
    for (const name of entries) {
      if (/\.partial$/.test(name)) partials.push(name);
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      count++;
      if ((await sha256File(join(paths.downloads, name))) !== name) bad.push(name);
    }
    facts.cache = { entries: count, bad, partials };
  }
  return facts;
}

/**
 * Read an installer's dry run: uv prints ` + name==1.0` (would install), ` - name==1.0` (would
 * remove), ` ~ name==1.0` (would reinstall); pip prints `Would install a-1.0 b-2.0`.
 */
export function parseDryRun(output: string): { add: Map<string, string>; remove: Map<string, string> } {
  const add = new Map<string, string>();
  const remove = new Map<string, string>();
  for (const m of output.matchAll(/^\s*([+\-~])\s+([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)/gm)) {
    const name = m[2]!.replace(/[-_.]+/g, "-").toLowerCase();
    if (m[1] === "+" || m[1] === "~") add.set(name, m[3]!);
    if (m[1] === "-") remove.set(name, m[3]!);
  }
  const pip = /^Would install (.+)$/m.exec(output);
  if (pip) {
    for (const item of pip[1]!.trim().split(/\s+/)) {
      const m = /^(.+)-([^-]+)$/.exec(item);
      if (m) add.set(m[1]!.replace(/[-_.]+/g, "-").toLowerCase(), m[2]!);
    }
  }
  return { add, remove };
}

/** Turn a dry run (and what is installed) into missing / wrong version / extra. */
export function wantedFrom(source: string, dryRun: { add: Map<string, string>; remove: Map<string, string> }, installed: Map<string, string>, extraByReach: Array<{ name: string; version?: string }>, exact: boolean): WantedFacts {
  const missing: string[] = [];
  const wrongVersion: WantedFacts["wrongVersion"] = [];
  for (const [name, version] of dryRun.add) {
    const have = installed.get(name);
    if (have === undefined) missing.push(`${name}==${version}`);
    else if (have !== version) wrongVersion.push({ name, installed: have, wanted: version });
  }
  const extra = exact
    ? [...dryRun.remove].filter(([name]) => !dryRun.add.has(name)).map(([name, version]) => ({ name, version }))
    : extraByReach;
  return { source, missing, wrongVersion, extra };
}
