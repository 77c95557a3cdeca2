/**
 * The vocabulary of `dhtl diagnose`: the facts gathered about one environment (plain data,
 * written by gather.ts, readable by hand in tests) and the findings the checks make of them.
 * Each finding names the repair it needs, which `dhtl fix-env` carries out.
 */
import type { InstalledDist } from "./dists.ts";
import type { TlsVerdict } from "./tls-probe.ts";

export type Status = "ok" | "warn" | "fail";
export type Area = "environment" | "state" | "machine" | "network" | "dht-home";

/**
 * What fixes a finding. `fix-env` does the in-place ones; `deep` needs `fix-env --deep`;
 * `manual` is for the user (a command dhtl cannot run for them: free space, chown, a CA).
 */
export type RepairKind = "resume-setup" | "relink" | "reinstall" | "install-missing" | "clear-lock" | "clean-cache" | "obtain-uv" | "deep" | "manual";

export interface Finding {
  /** Stable id: "venv.interpreter", "dists.files", "network.index.0". */
  id: string;
  area: Area;
  status: Status;
  /** Short name of what was checked. */
  title: string;
  /** What was found, in one or two sentences (paths, versions; never a secret). */
  found: string;
  /** The exact command that fixes it (absent when ok). */
  fix?: { command: string; repair: RepairKind };
  details?: Record<string, unknown>;
}

export interface VenvFacts {
  venvPath: string;
  linkPath: string;
  exists: boolean;
  /** pyvenv.cfg as read, or undefined when missing. */
  cfg?: Record<string, string>;
  python: { path: string; exists: boolean; runs?: boolean; version?: string; error?: string };
  /** The interpreter the venv was made from (pyvenv.cfg home, and the checkpoint's record). */
  base: { home?: string; executable?: string; exists: boolean; version?: string; recordedVersion?: string; recordedExecutable?: string; runs?: boolean; error?: string };
  /** Symbolic links in the venv's bin that point nowhere. */
  brokenLinks: Array<{ path: string; target: string }>;
  site?: string;
  dists: InstalledDist[];
  deep: boolean;
}

export interface InstallerFacts {
  /** How the environment installs: uv (from DHT_HOME), or pip inside the venv. */
  mode: "uv-sync" | "uv-pip" | "pip" | "unknown";
  uv?: { path: string; runs: boolean; version?: string };
  /** pip's distribution in the venv (expected in pip mode). */
  pip?: { installed: boolean; broken: boolean; expected?: boolean };
}

export interface WantedFacts {
  /** What the configuration installs, checked with the installer's own dry run. */
  source: string;
  missing: string[];
  wrongVersion: Array<{ name: string; installed: string; wanted: string }>;
  /** Installed, but neither the plan nor any dependency of it needs them (hand-installed). */
  extra: Array<{ name: string; version?: string }>;
  /** Why the comparison could not be made (offline and unresolvable, no installer). */
  problem?: string;
}

export interface EnvironmentFacts {
  envRoot: string;
  projectRoot: string;
  /** Monorepo environment directory ("." otherwise): fix commands name it with --env. */
  envDir: string;
  /** Names (normalised) the configuration installs directly. */
  declared: string[];
  configProblem?: { message: string; subject?: string; hint?: string };
  venv?: VenvFacts;
  installer?: InstallerFacts;
  pipCheck?: { ok: boolean; output: string; skipped?: string };
  wanted?: WantedFacts;
  project?: { name?: string; isPackage: boolean; importable?: boolean; error?: string };
  testRoute?: { argv: string[]; why: string; needs: Array<{ what: string; present: boolean }> };
}

export interface StateFacts {
  lock?: { path: string; pid: number; host: string; since: string; purpose: string; stale: boolean; unreadable?: boolean };
  checkpoint?: { path: string; complete: boolean; steps: string[]; readable: boolean };
  marker?: { present: boolean; matches: boolean };
  /** A deep repair's swap that was interrupted (only without an atomic exchange). */
  pendingSwap?: { venv: string; aside: string };
}

export interface MachineFacts {
  space: Array<{ what: string; path: string; freeBytes?: number; error?: string }>;
  fs?: { path: string; type: string; kind: string; network: boolean; mountPoint: string; bindMount?: boolean; syncedFolder?: string; wslDrive?: boolean };
  venvLocal?: boolean;
  os: "linux" | "darwin" | "windows";
  longPaths?: { enabled?: boolean; deepest: number };
  permissions: Array<{ what: string; path: string; writable: boolean; owner?: number; uid?: number }>;
  container?: { kind: string | null; evidence: string[] };
}

export interface IndexProbe {
  /** Redacted URL. */
  url: string;
  role: "index" | "extra-index" | "find-links" | "mirror";
  origin: string;
  kind: "http" | "file" | "directory";
  reachable?: boolean;
  status?: number;
  error?: string;
  via?: string;
  tls?: TlsVerdict & { error?: string };
  credentials?: { needed: boolean; source?: string; error?: string };
}

export interface NetworkFacts {
  offline: boolean;
  indexes: IndexProbe[];
  proxies: Array<{ url: string; source: string; reachable: boolean; error?: string }>;
  credentialsError?: { message: string; subject?: string; hint?: string };
}

export interface HomeFacts {
  home: string;
  pythons: Array<{ key: string; dir: string; missing: string[] }>;
  danglingLinks: string[];
  uv: { path: string; present: boolean; runs?: boolean; version?: string; needed: boolean };
  cache?: { entries: number; bad: string[]; partials: string[] };
}

export interface Facts {
  environment: EnvironmentFacts;
  state: StateFacts;
  machine: MachineFacts;
  network: NetworkFacts;
  home: HomeFacts;
  deep: boolean;
}
