/**
 * What `platform_deps` asks of this machine, and how it will be provided: pure, from the
 * configuration, the mapping, the platform facts and what the managers said is installed.
 * `dhtl deps plan` prints it; `dhtl deps install` and the setup step execute it
 * (src/system/install.ts).
 *
 * The route:
 *   system     root or passwordless sudo, outside a container (or --system): the manager
 *   user space otherwise, or when the manager fails: into the environment (wheels from the
 *              package index, distribution packages unpacked without root, archives from
 *              mirrors, a source build), each tool checked by running it
 */
import { DhtError, ExitCode } from "../errors.ts";
import type { PlatformDepsConfig } from "../config/schema.ts";
import { closest } from "../ui/suggest.ts";
import { adminCommand, installCommand } from "./managers.ts";
import { BUILTIN_MAPPING, checkCommand, isManager, MANAGERS, MACHINE_WIDE, mergeMapping, namesFor, postInstallFor, type Manager, type Mapping, type MappingEntry, type MappingTarget, type PostInstallStep } from "./mapping.ts";

export interface SystemRequest {
  /** The logical name, or `apt:libcudnn8`-style for raw names. */
  name: string;
  entry?: MappingEntry;
  raw?: { manager: Manager; packages: string[] };
  /** Written under this manager's raw names: not for machines without it. */
  onlyFor?: Manager;
  /** Config path it came from ("platform_deps.packages[0]", "platform_deps.linux.apt"). */
  origin: string;
}

/** The facts the plan needs (PlatformFacts fits). */
export interface SystemFacts {
  os: "linux" | "darwin" | "windows";
  arch: string;
  distro?: { id: string; versionId: string; like: string[]; name?: string };
  packageManagers: string[];
  privileges: { root: boolean; passwordlessSudo: boolean };
  container: { kind: string | null; evidence: string[] };
}

export interface SystemFlags {
  /** --system: use the system manager even inside a container. */
  system?: boolean;
  /** --no-system: user space even with root. */
  noSystem?: boolean;
  offline?: boolean;
}

export const targetOf = (facts: Pick<SystemFacts, "os" | "distro">): MappingTarget => ({
  os: facts.os,
  ...(facts.distro ? { id: facts.distro.id, versionId: facts.distro.versionId, like: facts.distro.like } : {}),
});

/**
 * The requests of a platform_deps configuration for this OS. Unknown logical names are a
 * configuration error naming the entry (exit 2).
 */
export function systemRequests(deps: PlatformDepsConfig | undefined, os: SystemFacts["os"], mapping: Mapping = mergeMapping(BUILTIN_MAPPING, deps?.mapping as Mapping | undefined)): SystemRequest[] {
  if (!deps) return [];
  const out: SystemRequest[] = [];
  const logical = (names: string[] | undefined, at: string) => {
    (names ?? []).forEach((name, i) => {
      const entry = mapping[name];
      if (!entry) {
        const suggestion = closest(name, Object.keys(mapping));
        throw new DhtError(ExitCode.usage, `${at}[${i}]: "${name}" is not a package dhtl knows`, {
          subject: `${at}[${i}]`,
          hint: `${suggestion ? `did you mean ${suggestion}? ` : ""}give its names per manager instead (platform_deps: {apt: [${name}]}), or describe it under platform_deps.mapping.${name} (apt, dnf, brew, tools, ...); \`dhtl deps plan --list\` shows the names dhtl knows`,
        });
      }
      if (!out.some((r) => r.name === name)) out.push({ name, entry, origin: `${at}[${i}]` });
    });
  };
  const raw = (section: Record<string, unknown>, at: string) => {
    for (const [key, names] of Object.entries(section)) {
      if (!isManager(key) || !Array.isArray(names) || !names.length) continue;
      // A raw name that is exactly a known entry's package (apt: [postgresql-client]) is that
      // entry: its tools are checked and its user-space sources apply.
      const rest: string[] = [];
      for (const pkg of names as string[]) {
        const known = Object.entries(mapping).find(([n, e]) => (n === pkg && e[key]?.includes(pkg)) || (e[key]?.length === 1 && e[key]![0] === pkg));
        if (known && !out.some((r) => r.name === known[0])) {
          // Only for this manager: on a machine with another one it is skipped like any raw name.
          const entry: MappingEntry = { ...known[1], on: {} };
          for (const m of MANAGERS) delete entry[m];
          entry[key] = [pkg];
          out.push({ name: known[0], entry, origin: `${at}.${key}`, onlyFor: key });
        }
        else if (!known) rest.push(pkg);
      }
      if (rest.length) out.push({ name: `${key}:${rest.join(",")}`, raw: { manager: key, packages: rest }, origin: `${at}.${key}` });
    }
  };
  logical(deps.packages, "platform_deps.packages");
  raw(deps as Record<string, unknown>, "platform_deps");
  const osSection = deps[os];
  if (osSection) {
    logical(osSection.packages, `platform_deps.${os}.packages`);
    raw(osSection as Record<string, unknown>, `platform_deps.${os}`);
  }
  return out;
}

export type Route = "present" | "system" | "userspace" | "skip";

export interface PlanItem {
  name: string;
  origin: string;
  description?: string;
  kind: "tool" | "library";
  /** The manager whose names apply here, and the names (empty: nothing needed with it). */
  manager?: Manager;
  packages: string[];
  via?: string;
  installed: string[];
  missing: string[];
  tools: string[];
  /** Tools already runnable from PATH: path by name. */
  toolsOnPath: Record<string, string>;
  check?: string[];
  postInstall: PostInstallStep[];
  route: Route;
  why: string;
  /** User-space sources to try, in order, each with whether it can apply here. */
  userspace: Array<{ source: UserspaceSource; usable: boolean; why: string }>;
  /** What an administrator would run. */
  adminCommand?: string;
}

export type UserspaceSource = "index" | "rustup" | "distro" | "mirror" | "source" | "bundle";

export interface SystemPlan {
  mode: "system" | "userspace";
  /** Why that mode (root, sudo, container, flags). */
  why: string;
  /** `sudo -n` in front of the manager's command. */
  sudo: boolean;
  /** The one line the system route runs (per manager), when there is anything to install. */
  commands: Array<{ manager: Manager; argv: string[]; packages: string[] }>;
  items: PlanItem[];
  notes: string[];
}

export interface PlanInput {
  requests: SystemRequest[];
  facts: SystemFacts;
  flags: SystemFlags;
  /** Per manager, the packages its query said are installed. */
  installed: Partial<Record<Manager, Set<string>>>;
  /** Tools found on PATH (outside the environment): name → path. */
  onPath: Record<string, string>;
  /** The package index can be asked (not no-index, not offline without a bundle). */
  indexUsable: boolean;
  /** rustup's distribution server as the environment names it ("https://static.rust-lang.org (default)"). */
  rustupDist?: string;
  /** An offline bundle with a system/ part for this platform. */
  bundleHas?: (name: string) => boolean;
  platformKey: string;
}

/** Containers where system packages are the user's business (WSL is a machine, not a container). */
export const isContainer = (kind: string | null) => kind !== null && kind !== "wsl1" && kind !== "wsl2";

export function decideMode(facts: SystemFacts, flags: SystemFlags): { mode: "system" | "userspace"; why: string; short: string; sudo: boolean } {
  const { root, passwordlessSudo } = facts.privileges;
  const privileged = root ? "running as root" : passwordlessSudo ? "sudo works without a password" : undefined;
  if (flags.noSystem) return { mode: "userspace", why: "--no-system: user space only", short: "--no-system", sudo: false };
  if (flags.offline && !flags.system) return { mode: "userspace", why: "offline: the system package manager would need the network; user space from the offline bundle", short: "offline", sudo: false };
  if (isContainer(facts.container.kind) && !flags.system) {
    return { mode: "userspace", why: `inside a container (${facts.container.kind}: ${facts.container.evidence[0] ?? "detected"}): system packages belong in the image, so only with --system; user space into the environment`, short: `inside a container (${facts.container.kind}), no --system`, sudo: false };
  }
  if (privileged) return { mode: "system", why: `${privileged}${flags.system ? " (--system)" : ""}: the system package manager`, short: privileged, sudo: !root };
  if (flags.system) return { mode: "system", why: "--system, but neither root nor passwordless sudo: the manager will be tried and fail", short: "--system without root", sudo: false };
  return { mode: "userspace", why: "not root, and sudo needs a password (or is absent): user space into the environment", short: "not root, no passwordless sudo", sudo: false };
}

/** The manager whose names apply: the first manager on the machine the entry has names for. */
function managerFor(req: SystemRequest, facts: SystemFacts, t: MappingTarget): { manager: Manager; packages: string[]; via: string } | undefined {
  const present = facts.packageManagers.filter(isManager);
  if (req.raw) return present.includes(req.raw.manager) ? { manager: req.raw.manager, packages: req.raw.packages, via: req.origin } : undefined;
  for (const m of present) {
    const names = namesFor(req.entry!, m, t);
    if (names) return { manager: m, packages: names.packages, via: names.via };
  }
  return undefined;
}

export function buildSystemPlan(input: PlanInput): SystemPlan {
  const { facts, flags } = input;
  const t = targetOf(facts);
  const decided = decideMode(facts, flags);
  const notes: string[] = [];
  const items: PlanItem[] = input.requests.map((req) => {
    const entry = req.entry ?? {};
    const kind: "tool" | "library" = req.raw ? "library" : entry.kind ?? (entry.tools?.length ? "tool" : "library");
    const tools = entry.tools ?? [];
    const chosen = managerFor(req, facts, t);
    const installedSet = chosen ? input.installed[chosen.manager] : undefined;
    const packages = chosen?.packages ?? [];
    const installed = packages.filter((p) => installedSet?.has(p));
    const missing = packages.filter((p) => !installedSet?.has(p));
    const toolsOnPath = Object.fromEntries(tools.filter((tool) => input.onPath[tool]).map((tool) => [tool, input.onPath[tool]!]));
    const allToolsThere = tools.length > 0 && tools.every((tool) => toolsOnPath[tool]);
    const base = {
      name: req.name,
      origin: req.origin,
      ...(entry.description ? { description: entry.description } : {}),
      kind,
      ...(chosen ? { manager: chosen.manager, via: chosen.via } : {}),
      packages,
      installed,
      missing,
      tools,
      toolsOnPath,
      ...(checkCommand(entry) ? { check: checkCommand(entry) } : {}),
      postInstall: postInstallFor(entry, decided.mode === "system" ? chosen?.manager : undefined, t),
      ...(chosen && missing.length ? { adminCommand: adminCommand(chosen.manager, missing, { root: facts.privileges.root }) } : {}),
    };
    const userspace = userspaceSources(req, entry, chosen?.manager, input, kind);
    if ((req.raw || req.onlyFor) && !chosen) {
      return { ...base, route: "skip" as const, why: `names for ${req.raw?.manager ?? req.onlyFor}, which this machine does not have (${facts.packageManagers.join(", ") || "no package manager"})`, userspace: [] };
    }
    if (chosen && packages.length === 0) return { ...base, route: "present" as const, why: `nothing to install with ${chosen.manager} (${chosen.via} is empty)`, userspace };
    // A tool is there when it runs from PATH: installed packages whose commands are not on
    // PATH (Alpine's psql, a keg-only formula) get their post-install steps.
    if (allToolsThere) return { ...base, route: "present" as const, why: `on PATH: ${Object.values(toolsOnPath).join(", ")}`, userspace };
    if (chosen && missing.length === 0 && (kind === "library" || base.postInstall.length > 0)) {
      return { ...base, route: "present" as const, why: `installed (${chosen.manager}: ${installed.join(", ")})${kind === "tool" ? "; its post-install steps put the tools on PATH" : ""}`, userspace };
    }
    if (decided.mode === "system" && chosen && missing.length) return { ...base, route: "system" as const, why: `${chosen.manager} installs ${missing.join(", ")}`, userspace };
    const why =
      chosen && !missing.length
        ? `${chosen.manager} has ${installed.join(", ")} installed, but ${tools.filter((x) => !toolsOnPath[x]).join(", ")} is not on PATH`
        : decided.mode === "system"
          ? `no package manager here has names for it (${facts.packageManagers.join(", ") || "none found"})`
          : decided.short;
    return { ...base, route: "userspace" as const, why, userspace };
  });
  const commands: SystemPlan["commands"] = [];
  for (const item of items.filter((i) => i.route === "system")) {
    const m = item.manager!;
    let cmd = commands.find((c) => c.manager === m);
    if (!cmd) commands.push((cmd = { manager: m, argv: [], packages: [] }));
    for (const p of item.missing) if (!cmd.packages.includes(p)) cmd.packages.push(p);
  }
  for (const c of commands) c.argv = [...(decided.sudo && MACHINE_WIDE.has(c.manager) ? ["sudo", "-n"] : []), ...installCommand(c.manager, c.packages)];
  if (!facts.packageManagers.length) notes.push("no package manager was found on PATH");
  return { mode: decided.mode, why: decided.why, sudo: decided.sudo, commands, items, notes };
}

function userspaceSources(req: SystemRequest, entry: MappingEntry, manager: Manager | undefined, input: PlanInput, kind: "tool" | "library"): PlanItem["userspace"] {
  const out: PlanItem["userspace"] = [];
  const us = entry.userspace ?? {};
  if (input.bundleHas) {
    const has = input.bundleHas(req.name);
    out.push({ source: "bundle", usable: has, why: has ? "the offline bundle carries it" : "the offline bundle does not carry it" });
  }
  if (kind === "library") {
    out.push({ source: "distro", usable: false, why: "a build library: headers and libraries unpacked into the environment are not found by compilers; use the prebuilt wheel (--prefer-binary) or the administrator's command" });
    return out;
  }
  if (us.wheel) out.push({ source: "index", usable: input.indexUsable, why: input.indexUsable ? `the ${us.wheel.project} wheel from the package index (sha256 from the index)` : "the package index cannot be asked (offline or no-index)" });
  else out.push({ source: "index", usable: false, why: "no wheel on PyPI publishes it" });
  if (us.rustup) {
    const toolchain = us.rustup.toolchain ?? "stable";
    out.push(input.flags.offline ? { source: "rustup", usable: false, why: "offline: rustup needs its distribution server" } : { source: "rustup", usable: true, why: `rustup (the package index's rustup wheel, else rustup-init from RUSTUP_UPDATE_ROOT) installs Rust ${toolchain} from ${input.rustupDist ?? "RUSTUP_DIST_SERVER"} into DHT_HOME (components checked against the channel's sha256)` });
  }
  const distroManager = manager && ["apt", "dnf", "yum", "microdnf", "apk"].includes(manager) ? manager : undefined;
  if (us.distro === false) out.push({ source: "distro", usable: false, why: "the mapping says distribution packages do not work unpacked" });
  else if (!distroManager) out.push({ source: "distro", usable: false, why: manager ? `${manager} cannot fetch packages without installing them` : "no distribution package manager here" });
  else out.push({ source: "distro", usable: !input.flags.offline, why: input.flags.offline ? "offline" : `${distroManager === "apt" ? "apt-get download" : distroManager === "apk" ? "apk fetch" : "dnf download"} + unpack into the environment (verified by the manager against the signed repository)` });
  const archive = us.archives?.[input.platformKey];
  out.push(archive ? { source: "mirror", usable: !input.flags.offline, why: `${archive.url} (sha256 pinned in the mapping)` } : { source: "mirror", usable: false, why: `no portable archive for ${input.platformKey} is configured (platform_deps.mapping.${req.name}.userspace.archives)` });
  out.push(us.source ? { source: "source", usable: !input.flags.offline, why: `build ${us.source.url} into the environment (sha256 pinned)` } : { source: "source", usable: false, why: `no source build is configured (platform_deps.mapping.${req.name}.userspace.source)` });
  return out;
}
