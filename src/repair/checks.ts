/**
 * The checks of `dhtl diagnose`: small pure functions from gathered facts (types.ts) to
 * findings, each saying ok / warn / fail, what it found, and the exact command that fixes
 * it with the repair that command performs. No I/O here: every check is unit-tested with
 * hand-written facts (test/unit/repair-checks.test.ts).
 */
import { normalizeName, requirementName, type InstalledDist } from "./dists.ts";
import type { Facts, Finding, RepairKind } from "./types.ts";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

type Check = (facts: Facts) => Finding | Finding[] | undefined;

const ok = (id: string, area: Finding["area"], title: string, found: string, details?: Record<string, unknown>): Finding => ({ id, area, status: "ok", title, found, ...(details ? { details } : {}) });
const bad = (status: "warn" | "fail", id: string, area: Finding["area"], title: string, found: string, command: string, repair: RepairKind, details?: Record<string, unknown>): Finding => ({
  id,
  area,
  status,
  title,
  found,
  fix: { command, repair },
  ...(details ? { details } : {}),
});

/** `dhtl fix-env`, `dhtl fix-env --deep`, naming the environment of a monorepo. */
export function fixCommand(facts: Facts, deep = false, extra = ""): string {
  const env = facts.environment.envDir && facts.environment.envDir !== "." ? ` --env ${facts.environment.envDir}` : "";
  return `dhtl fix-env${deep ? " --deep" : ""}${env}${extra}`;
}

const shq = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const list = (names: string[], max = 4) => `${names.slice(0, max).join(", ")}${names.length > max ? `, and ${names.length - max} more` : ""}`;
const distName = (d: InstalledDist) => `${d.name ?? d.dir}${d.version ? ` ${d.version}` : ""}`;

const config: Check = ({ environment: e }) => {
  if (!e.configProblem) return undefined;
  return bad("fail", "config", "environment", "configuration", `${e.configProblem.message}${e.configProblem.subject ? ` (${e.configProblem.subject})` : ""}`, e.configProblem.hint ?? "dhtl config validate", "manual");
};

const venvExists: Check = (facts) => {
  const v = facts.environment.venv;
  if (!v) return undefined;
  if (!v.exists) return bad("fail", "venv.exists", "environment", "virtual environment", `no venv at ${v.linkPath}`, `dhtl setup${facts.environment.envDir !== "." ? ` --env ${facts.environment.envDir}` : ""}`, "resume-setup");
  return ok("venv.exists", "environment", "virtual environment", v.venvPath === v.linkPath ? v.venvPath : `${v.linkPath} → ${v.venvPath}`);
};

/** The base interpreter is gone or no longer the version the venv was made with: only a rebuild helps. */
function baseBroken(facts: Facts): string | undefined {
  const b = facts.environment.venv?.base;
  if (!b) return undefined;
  if (!b.exists) return `the interpreter it was made from is gone (${b.executable ?? b.home ?? "pyvenv.cfg names none"})`;
  if (b.runs === false) return `the interpreter it was made from does not run (${b.executable}: ${b.error ?? "failed"})`;
  const recorded = b.recordedVersion ?? facts.environment.venv?.cfg?.version_info;
  if (b.version && recorded && b.version.split(".").slice(0, 3).join(".") !== recorded.split(".").slice(0, 3).join(".")) return `the interpreter it was made from is now ${b.version}, not ${recorded} (upgraded in place)`;
  return undefined;
}

const interpreter: Check = (facts) => {
  const v = facts.environment.venv;
  if (!v?.exists) return undefined;
  const out: Finding[] = [];
  const broken = baseBroken(facts);
  if (broken) out.push(bad("fail", "venv.base", "environment", "base interpreter", broken, fixCommand(facts, true), "deep", { home: v.base.home, executable: v.base.executable }));
  else out.push(ok("venv.base", "environment", "base interpreter", `${v.base.executable ?? v.base.home} (${v.base.version ?? "version unknown"})`));
  if (v.python.runs) out.push(ok("venv.interpreter", "environment", "venv interpreter", `${v.python.path} runs (Python ${v.python.version})`));
  else {
    const why = !v.python.exists ? `${v.python.path} is missing` : `${v.python.path} does not run${v.python.error ? `: ${v.python.error.split("\n")[0]}` : ""}`;
    out.push(bad("fail", "venv.interpreter", "environment", "venv interpreter", why, fixCommand(facts, Boolean(broken)), broken ? "deep" : "relink"));
  }
  if (!v.cfg) out.push(bad("fail", "venv.pyvenv-cfg", "environment", "pyvenv.cfg", `${v.venvPath}/pyvenv.cfg is missing or unreadable`, fixCommand(facts, Boolean(broken)), broken ? "deep" : "relink"));
  else {
    const cfgVersion = v.cfg.version_info ?? v.cfg.version;
    const norm = (s?: string) => s?.split(".").slice(0, 3).join(".");
    const mismatch = v.base.version && cfgVersion && norm(cfgVersion) !== norm(v.base.version);
    const home = v.base.home;
    if (mismatch) out.push(bad("fail", "venv.pyvenv-cfg", "environment", "pyvenv.cfg", `pyvenv.cfg says ${cfgVersion}, the base interpreter in ${home} is ${v.base.version}`, fixCommand(facts, Boolean(broken)), broken ? "deep" : "relink"));
    else if (!home) out.push(bad("fail", "venv.pyvenv-cfg", "environment", "pyvenv.cfg", "pyvenv.cfg names no home (base interpreter directory)", fixCommand(facts), "relink"));
    else out.push(ok("venv.pyvenv-cfg", "environment", "pyvenv.cfg", `home ${home}, version ${cfgVersion ?? "?"}`));
  }
  if (v.brokenLinks.length) {
    out.push(bad("fail", "venv.links", "environment", "links", `${v.brokenLinks.length} link${v.brokenLinks.length > 1 ? "s" : ""} in the venv point nowhere: ${list(v.brokenLinks.map((l) => `${l.path} → ${l.target}`), 3)}`, fixCommand(facts, Boolean(broken)), broken ? "deep" : "relink"));
  } else out.push(ok("venv.links", "environment", "links", "every link in the venv's bin resolves"));
  return out;
};

const installer: Check = (facts) => {
  const i = facts.environment.installer;
  if (!i || !facts.environment.venv?.exists) return undefined;
  if (i.mode === "pip") {
    if (!i.pip?.installed) return bad("fail", "installer", "environment", "installer", "pip is not installed in the venv, which installs with pip (uv could not be had)", fixCommand(facts), "reinstall");
    if (i.pip.broken) return bad("fail", "installer", "environment", "installer", "pip's files in the venv are incomplete", fixCommand(facts), "reinstall");
    return ok("installer", "environment", "installer", "pip in the venv");
  }
  if (i.mode === "unknown") return undefined;
  if (i.pip?.expected && !i.pip.installed) return bad("fail", "installer", "environment", "installer", "pip is not installed in the venv, which setup seeds with it (tools and IDEs expect it)", fixCommand(facts), "reinstall");
  if (!i.uv?.runs) return bad("fail", "installer", "environment", "installer", `uv is not usable${i.uv ? ` (${i.uv.path})` : ""}`, fixCommand(facts), "obtain-uv");
  return ok("installer", "environment", "installer", `uv ${i.uv.version ?? ""} (${i.uv.path})`.replace("  ", " "));
};

const distributions: Check = (facts) => {
  const v = facts.environment.venv;
  if (!v?.exists || !v.site) return undefined;
  const out: Finding[] = [];
  const badMeta = v.dists.filter((d) => d.metadataError);
  if (badMeta.length) out.push(bad("fail", "dists.metadata", "environment", "package metadata", `${list(badMeta.map((d) => `${d.dir}: ${d.metadataError}`), 3)}`, fixCommand(facts), "reinstall", { dists: badMeta.map((d) => d.name ?? d.dir) }));
  else out.push(ok("dists.metadata", "environment", "package metadata", `${v.dists.length} distributions, every METADATA readable`));
  const missing = v.dists.filter((d) => d.missing.length);
  if (missing.length) {
    out.push(bad("fail", "dists.files", "environment", "installed files", `${missing.length} distribution${missing.length > 1 ? "s have" : " has"} files missing: ${list(missing.map((d) => `${distName(d)} (${d.missing.length} of ${d.files}${d.missing.length <= 2 ? `: ${d.missing.join(", ")}` : ""})`), 3)}`, fixCommand(facts), "reinstall", { dists: missing.map((d) => d.name ?? d.dir) }));
  } else out.push(ok("dists.files", "environment", "installed files", `every file RECORD lists is present (${v.dists.reduce((n, d) => n + d.files, 0)} files)`));
  if (!v.deep) out.push(ok("dists.hashes", "environment", "file hashes", "not checked: dhtl diagnose --deep re-hashes every installed file against RECORD"));
  else {
    const changed = v.dists.filter((d) => d.mismatched.length);
    if (changed.length) out.push(bad("fail", "dists.hashes", "environment", "file hashes", `${changed.length} distribution${changed.length > 1 ? "s have" : " has"} files that differ from RECORD: ${list(changed.map((d) => `${distName(d)} (${list(d.mismatched, 2)})`), 3)}`, fixCommand(facts), "reinstall", { dists: changed.map((d) => d.name ?? d.dir) }));
    else out.push(ok("dists.hashes", "environment", "file hashes", "every installed file matches its RECORD hash"));
  }
  return out;
};

const dependencyCheck: Check = (facts) => {
  const c = facts.environment.pipCheck;
  if (!c) return undefined;
  if (c.skipped) return ok("deps.check", "environment", "dependency check", `not run: ${c.skipped}`);
  if (c.ok) return ok("deps.check", "environment", "dependency check", "uv pip check: every requirement of every installed package is met");
  return bad("fail", "deps.check", "environment", "dependency check", c.output.split("\n").filter(Boolean).slice(-3).join("; "), fixCommand(facts), "install-missing");
};

const wanted: Check = (facts) => {
  const w = facts.environment.wanted;
  if (!w) return undefined;
  const out: Finding[] = [];
  if (w.problem) out.push(bad("warn", "deps.wanted", "environment", "configuration vs installed", `cannot compare with ${w.source}: ${w.problem}`, `${fixCommand(facts)} (with the network, or --offline-bundle FILE)`, "install-missing"));
  else if (w.missing.length || w.wrongVersion.length) {
    const parts = [
      ...(w.missing.length ? [`missing: ${list(w.missing)}`] : []),
      ...(w.wrongVersion.length ? [`wrong version: ${list(w.wrongVersion.map((x) => `${x.name} ${x.installed} (wants ${x.wanted})`))}`] : []),
    ];
    out.push(bad("fail", "deps.wanted", "environment", "configuration vs installed", `${w.source}: ${parts.join("; ")}`, fixCommand(facts), "install-missing", { missing: w.missing, wrongVersion: w.wrongVersion }));
  } else out.push(ok("deps.wanted", "environment", "configuration vs installed", `everything ${w.source === "uv.lock" ? "uv.lock pins" : "the declared requirements ask for"} is installed, at the right version`));
  if (w.extra.length) {
    const shown = list(w.extra.map((x) => `${x.name}${x.version ? ` ${x.version}` : ""}`));
    if (facts.environment.installer?.mode === "uv-sync") {
      out.push(bad("warn", "deps.extra", "environment", "installed by hand", `${shown}: not in uv.lock, so the next \`uv sync\` (or a setup that re-installs) removes ${w.extra.length > 1 ? "them" : "it"}; dhtl fix-env keeps ${w.extra.length > 1 ? "them" : "it"}`, `uv add ${w.extra.map((x) => shq(x.name)).join(" ")}`, "manual", { extra: w.extra }));
    } else out.push(ok("deps.extra", "environment", "installed by hand", `${shown} (kept by dhtl fix-env and fix-env --deep; dhtl regenerate drops ${w.extra.length > 1 ? "them" : "it"})`, { extra: w.extra }));
  }
  return out;
};

const project: Check = (facts) => {
  const p = facts.environment.project;
  if (!p) return undefined;
  if (!p.isPackage) return ok("project.importable", "environment", "project importable", "the project is not a package (nothing to import)");
  if (p.importable === undefined) return ok("project.importable", "environment", "project importable", `not checked: ${p.error ?? "the venv's interpreter does not run"}`);
  if (p.importable) return ok("project.importable", "environment", "project importable", `${p.name} imports from the venv`);
  return bad("fail", "project.importable", "environment", "project importable", `${p.name} does not import: ${p.error?.split("\n")[0] ?? "failed"}`, fixCommand(facts), "install-missing");
};

const testRoute: Check = (facts) => {
  const t = facts.environment.testRoute;
  if (!t) return undefined;
  const absent = t.needs.filter((n) => !n.present);
  if (!absent.length) return ok("test.runner", "environment", "test runner", `${t.argv.join(" ")} (${t.why})`);
  // fix-env restores what the configuration installs (the declared names, and what its dry run
  // says is wanted but missing: the route's own needs, requirement files) and distributions
  // whose files are gone; only a runner nothing asks for is the project's to add.
  const restorable = new Set([
    ...facts.environment.declared,
    ...(facts.environment.wanted?.missing ?? []).map(requirementName).filter((n): n is string => Boolean(n)),
    ...(facts.environment.venv?.dists ?? []).filter((d) => d.missing.length && d.name).map((d) => normalizeName(d.name!)),
  ]);
  const fixable = absent.every((n) => restorable.has(normalizeName(n.what)));
  return bad("fail", "test.runner", "environment", "test runner", `${t.argv.join(" ")} (${t.why}) needs ${list(absent.map((n) => n.what))}, not installed`, fixable ? fixCommand(facts) : `add ${absent.map((n) => n.what).join(", ")} to the project's test dependencies, then run dhtl setup`, fixable ? "install-missing" : "manual");
};

const lock: Check = ({ state }) => {
  const l = state.lock;
  if (!l) return ok("state.lock", "state", "project lock", "no lock held");
  if (l.stale) return bad("fail", "state.lock", "state", "project lock", `${l.path} is held by pid ${l.pid} on ${l.host}, which is not running (a run killed with SIGKILL)`, "dhtl fix-env", "clear-lock", { pid: l.pid });
  if (l.unreadable) return bad("warn", "state.lock", "state", "project lock", `${l.path} is unreadable (being written, or left empty by a killed run)`, "dhtl fix-env", "clear-lock");
  return bad("warn", "state.lock", "state", "project lock", `held by a running dhtl ${l.purpose || "run"} (pid ${l.pid} on ${l.host}, since ${l.since})`, `wait for pid ${l.pid} to finish`, "manual", { pid: l.pid });
};

const checkpoint: Check = (facts) => {
  const c = facts.state.checkpoint;
  const setup = `dhtl setup${facts.environment.envDir !== "." ? ` --env ${facts.environment.envDir}` : ""}`;
  if (!c) return facts.environment.venv?.exists ? bad("warn", "state.checkpoint", "state", "setup record", "no setup of this environment is recorded (.dht/setup-progress.json is absent)", fixCommand(facts), "resume-setup") : undefined;
  if (!c.readable) return bad("fail", "state.checkpoint", "state", "setup record", `${c.path} cannot be read`, fixCommand(facts), "resume-setup");
  if (!c.complete) return bad("fail", "state.checkpoint", "state", "setup record", `the last setup did not finish (done: ${c.steps.join(", ") || "nothing"})`, fixCommand(facts), "resume-setup", { steps: c.steps });
  return ok("state.checkpoint", "state", "setup record", `complete (${c.steps.length} steps; \`${setup}\` has nothing to redo)`);
};

const marker: Check = (facts) => {
  const m = facts.state.marker;
  if (!m || !facts.environment.venv?.exists) return undefined;
  if (!m.present) return bad("fail", "state.marker", "state", "completion marker", "the venv is marked incomplete (no .dht-complete): the setup that made it never verified it", fixCommand(facts), "resume-setup");
  if (!m.matches) return bad("fail", "state.marker", "state", "completion marker", "the venv's .dht-complete belongs to another setup than the one recorded", fixCommand(facts), "resume-setup");
  return ok("state.marker", "state", "completion marker", "the venv is marked complete by the recorded setup");
};

const swap: Check = (facts) => {
  const s = facts.state.pendingSwap;
  if (!s) return undefined;
  return bad("fail", "state.swap", "state", "interrupted repair", `a deep repair stopped while swapping venvs: the old venv is at ${s.aside}`, fixCommand(facts), "resume-setup");
};

const space: Check = ({ machine, home }) =>
  machine.space.map((s, i) => {
    const id = `machine.space.${i}`;
    if (s.freeBytes === undefined) return ok(id, "machine", `free space (${s.what})`, `not measured: ${s.error ?? "unknown"}`);
    const free = s.freeBytes >= GiB ? `${(s.freeBytes / GiB).toFixed(1)} GiB` : `${Math.round(s.freeBytes / MiB)} MiB`;
    const command = `rm -rf ${shq(`${home.home}/cache`)} && uv cache prune   # then free space on ${s.path}`;
    if (s.freeBytes < 256 * MiB) return bad("fail", id, "machine", `free space (${s.what})`, `${free} free where ${s.what} lives (${s.path}): installs fail below a few hundred MiB`, command, "manual");
    if (s.freeBytes < GiB) return bad("warn", id, "machine", `free space (${s.what})`, `${free} free where ${s.what} lives (${s.path})`, command, "manual");
    return ok(id, "machine", `free space (${s.what})`, `${free} free (${s.path})`);
  });

const filesystem: Check = (facts) => {
  const f = facts.machine.fs;
  if (!f) return undefined;
  const where = `${f.path} is on ${f.type} (${f.kind}, mounted at ${f.mountPoint || "?"})`;
  const local = `dhtl setup --local-venv${facts.environment.envDir !== "." ? ` --env ${facts.environment.envDir}` : ""}`;
  if (f.syncedFolder) return bad("warn", "machine.fs", "machine", "file system", `${f.path} is inside a synced folder (${f.syncedFolder}): syncing thousands of venv files is slow and can corrupt it`, local, "manual");
  if (f.wslDrive) return bad("warn", "machine.fs", "machine", "file system", `${f.path} is a Windows drive seen from WSL (${f.mountPoint}): venvs there are slow and lose links; keep the project in the Linux file system (~)`, `mv ${shq(f.path)} ~/ && cd ~/${f.path.split("/").pop()} && dhtl setup`, "manual");
  if (f.network && !facts.machine.venvLocal) return bad("warn", "machine.fs", "machine", "file system", `${where}, and the venv is there too: slow, and file locks and links are unreliable`, local, "manual");
  return ok("machine.fs", "machine", "file system", `${where}${f.network ? "; the venv is on local disk" : ""}${f.bindMount ? "; a bind mount (a venv here belongs to this machine's Pythons, not the host's)" : ""}`);
};

const longPaths: Check = ({ machine }) => {
  if (machine.os !== "windows" || !machine.longPaths) return ok("machine.long-paths", "machine", "long paths", "not Windows: no 260-character path limit");
  const lp = machine.longPaths;
  if (lp.enabled) return ok("machine.long-paths", "machine", "long paths", "LongPathsEnabled is on");
  if (lp.deepest > 260) return bad("fail", "machine.long-paths", "machine", "long paths", `LongPathsEnabled is ${lp.enabled === false ? "off" : "unknown"} and the venv's deepest expected path is ${lp.deepest} characters (> 260)`, 'reg add "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem" /v LongPathsEnabled /t REG_DWORD /d 1 /f', "manual");
  return ok("machine.long-paths", "machine", "long paths", `LongPathsEnabled is off, but the deepest expected path is ${lp.deepest} characters (≤ 260)`);
};

const permissions: Check = ({ machine }) =>
  machine.permissions.map((p, i) => {
    const id = `machine.permissions.${i}`;
    if (p.writable) return ok(id, "machine", `permissions (${p.what})`, `${p.path} is writable`);
    const owner = p.owner !== undefined && p.uid !== undefined && p.owner !== p.uid ? ` (owned by uid ${p.owner}, you are ${p.uid})` : "";
    return bad("fail", id, "machine", `permissions (${p.what})`, `${p.path} is not writable${owner}`, `sudo chown -R "$(id -u):$(id -g)" ${shq(p.path)}`, "manual");
  });

const container: Check = ({ machine }) => {
  const c = machine.container;
  if (!c) return undefined;
  return ok("machine.container", "machine", "container", c.kind ? `${c.kind} (${c.evidence.slice(0, 2).join("; ")})` : "none detected (bare metal or a plain VM)");
};

const network: Check = (facts) => {
  const n = facts.network;
  if (n.offline) return ok("network", "network", "network", "offline: indexes and proxies not checked");
  const out: Finding[] = [];
  if (n.credentialsError) out.push(bad("fail", "network.credentials", "network", "credentials", `${n.credentialsError.message}${n.credentialsError.subject ? ` (${n.credentialsError.subject})` : ""}`, n.credentialsError.hint ?? "dhtl config show", "manual"));
  n.indexes.forEach((ix, i) => {
    const id = `network.${ix.role}.${i}`;
    const title = `${ix.role} ${ix.url}`;
    const cred = ix.credentials?.source ? `; credentials from ${ix.credentials.source}` : "";
    if (ix.kind !== "http") {
      if (ix.reachable) return out.push(ok(id, "network", title, `present on disk (${ix.origin})`));
      return out.push(bad("warn", id, "network", title, `${ix.kind === "file" ? "this file:// index" : "this directory"} does not exist (${ix.origin}); installers skip it`, `remove it from ${ix.origin}`, "manual"));
    }
    if (ix.tls?.intercepted && !ix.tls.trustedBy) {
      const fix = ix.tls.fixBundle ? `export SSL_CERT_FILE=${shq(ix.tls.fixBundle.path)}   # or proxy.ca_bundle in .dhtconfig` : `ask for the CA certificate that signs "${ix.tls.issuer}", then: export SSL_CERT_FILE=/path/to/that-ca.pem`;
      return out.push(bad("fail", id, "network", title, `TLS is re-signed by an interceptor: the certificate is issued by "${ix.tls.issuer}", which is not a public root, and no configured CA bundle holds it${ix.tls.fixBundle ? ` (${ix.tls.fixBundle.path} does)` : ""}${ix.via ? `; via ${ix.via}` : ""}`, fix, "manual", { issuer: ix.tls.issuer }));
    }
    if (!ix.reachable) return out.push(bad("fail", id, "network", title, `not reachable${ix.via ? ` via ${ix.via}` : ""}: ${ix.error ?? "no answer"} (${ix.origin})`, "check HTTPS_PROXY / NO_PROXY (dhtl config show), or repair offline: dhtl fix-env --offline", "manual"));
    if (ix.status === 401 || ix.status === 403) return out.push(bad("fail", id, "network", title, `answers ${ix.status}: the credentials ${ix.credentials?.source ? `from ${ix.credentials.source} are refused` : "are missing"} (${ix.origin})`, "set them as docs/network.md says (environment variables, ~/.netrc or keyring), never in .dhtconfig", "manual"));
    const tls = ix.tls ? (ix.tls.intercepted ? `; TLS re-signed by "${ix.tls.issuer}", trusted through ${ix.tls.trustedBy!.origin}` : "; TLS from a public CA") : "";
    out.push(ok(id, "network", title, `answers ${ix.status ?? "?"}${ix.via ? ` via ${ix.via}` : ""}${tls}${cred}`, ix.tls ? { issuer: ix.tls.issuer, intercepted: ix.tls.intercepted } : undefined));
  });
  n.proxies.forEach((p, i) => {
    const id = `network.proxy.${i}`;
    if (p.reachable) out.push(ok(id, "network", `proxy ${p.url}`, `accepts connections (${p.source})`));
    else out.push(bad("fail", id, "network", `proxy ${p.url}`, `does not accept connections: ${p.error ?? "refused"} (${p.source})`, `check ${p.source.replace(/^env /, "")} (or unset it when no proxy is needed)`, "manual"));
  });
  return out;
};

const dhtHome: Check = (facts) => {
  const h = facts.home;
  const out: Finding[] = [];
  const incomplete = h.pythons.filter((p) => p.missing.length);
  if (incomplete.length) {
    const versions = incomplete.map((p) => /^cpython-(\d+\.\d+\.\d+)/.exec(p.key)?.[1] ?? p.key);
    out.push(bad("fail", "home.pythons", "dht-home", "managed Pythons", `incomplete: ${list(incomplete.map((p) => `${p.key} (missing ${list(p.missing, 2)})`), 3)}`, versions.map((v) => `dhtl python install ${v} --reinstall`).join(" && "), "manual"));
  } else out.push(ok("home.pythons", "dht-home", "managed Pythons", h.pythons.length ? `${h.pythons.length} complete (${list(h.pythons.map((p) => p.key), 3)})` : `none in ${h.home}/python`));
  if (h.danglingLinks.length) out.push(bad("fail", "home.python-links", "dht-home", "managed Python links", `${list(h.danglingLinks)} point${h.danglingLinks.length > 1 ? "" : "s"} to no installed build`, h.danglingLinks.map((l) => `dhtl python install ${/^cpython-(\d+\.\d+)/.exec(l)?.[1] ?? l}`).join(" && "), "manual"));
  if (h.uv.needed && (!h.uv.present || h.uv.runs === false)) out.push(bad("fail", "home.uv", "dht-home", "uv", `${h.uv.path} ${h.uv.present ? "does not run" : "is missing"}`, fixCommand(facts), "obtain-uv"));
  else out.push(ok("home.uv", "dht-home", "uv", h.uv.present ? `${h.uv.path}${h.uv.version ? ` (uv ${h.uv.version})` : ""}` : `not stored${h.uv.needed ? "" : " (not needed by this environment)"}`));
  if (!h.cache) out.push(ok("home.cache", "dht-home", "download cache", "not re-hashed: dhtl diagnose --deep checks every entry's sha256"));
  else if (h.cache.bad.length) out.push(bad("fail", "home.cache", "dht-home", "download cache", `${h.cache.bad.length} of ${h.cache.entries} entries do not match their sha256: ${list(h.cache.bad, 2)}`, fixCommand(facts), "clean-cache", { bad: h.cache.bad }));
  else out.push(ok("home.cache", "dht-home", "download cache", `${h.cache.entries} entries, each matching its sha256${h.cache.partials.length ? `; ${h.cache.partials.length} partial download(s) kept for resuming` : ""}`));
  return out;
};

export const CHECKS: Check[] = [config, venvExists, interpreter, installer, distributions, dependencyCheck, wanted, project, testRoute, lock, checkpoint, marker, swap, space, filesystem, longPaths, permissions, container, network, dhtHome];

export function runChecks(facts: Facts): Finding[] {
  return CHECKS.flatMap((check) => {
    const r = check(facts);
    return r === undefined ? [] : Array.isArray(r) ? r : [r];
  });
}

/** The distinct repairs the failing (and warning) findings ask for. */
export function repairsNeeded(findings: Finding[]): RepairKind[] {
  return [...new Set(findings.filter((f) => f.status !== "ok" && f.fix).map((f) => f.fix!.repair))];
}
