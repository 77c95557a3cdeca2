/**
 * Packages that compile on install, and what to do about them:
 *
 *  - swapForBinary: with `prefer_binary`, replace a package that builds from source by its
 *    drop-in binary stand-in (psycopg2 → psycopg2-binary) and say so; packages whose only
 *    alternative has a different API are never swapped, only mentioned.
 *  - buildFailureAdvice: read uv/pip output of a failed build, name the failing package and
 *    the cause, and say what would let it build (system packages for this machine's package
 *    manager, a C compiler, or Rust installed by rustup into DHT_HOME without root).
 *
 * The table is src/data/binary-alternatives.json (embedded at build time); which system
 * packages let a package build comes from the one system-package mapping
 * (src/data/system-packages.json, read through src/system/mapping.ts), the same table
 * `dhtl deps` installs from.
 */
import table from "../data/binary-alternatives.json" with { type: "json" };
import { formatRequirement, normalizeName, type Requirement } from "../project/pep508.ts";
import { BUILTIN_MAPPING, buildDepsOf, isManager, namesFor, type MappingTarget } from "../system/mapping.ts";

interface SwapEntry {
  name: string;
  kind: "swap";
  binary: string;
  addExtras?: string[];
  sameVersions: boolean;
  why: string;
}
interface NoteEntry {
  name: string;
  kind: "note";
  alternative: string;
  why: string;
}
type Entry = SwapEntry | NoteEntry;

const ENTRIES = (table.packages as Entry[]).map((e) => ({ ...e, name: normalizeName(e.name) }));
const RUST_PACKAGES = new Set((table.rust as string[]).map(normalizeName));

/** Package managers the build-dependency table covers, in the order advice lists them. */
export const ADVICE_MANAGERS = ["apt", "dnf", "yum", "zypper", "apk", "pacman", "brew"] as const;

export function binaryAlternativeFor(name: string): Entry | undefined {
  const n = normalizeName(name);
  return ENTRIES.find((e) => e.name === n);
}

export interface BinarySwap {
  from: Requirement;
  to: Requirement;
  /** Why the swap is safe, and what changed (e.g. the version constraint was dropped). */
  why: string;
}

export interface BinaryNote {
  requirement: Requirement;
  alternative: string;
  why: string;
}

/**
 * Replace packages that build from source by their binary stand-ins. Direct references
 * (URLs, paths, editables) are left alone: the user chose that exact artifact.
 */
export function swapForBinary(reqs: Requirement[]): { requirements: Requirement[]; swaps: BinarySwap[]; notes: BinaryNote[] } {
  const swaps: BinarySwap[] = [];
  const notes: BinaryNote[] = [];
  const requirements = reqs.map((r) => {
    const entry = r.url || r.path || r.editable ? undefined : binaryAlternativeFor(r.name);
    if (!entry) return r;
    if (entry.kind === "note") {
      notes.push({ requirement: r, alternative: entry.alternative, why: entry.why });
      return r;
    }
    if (entry.binary === r.name && (entry.addExtras ?? []).every((x) => r.extras.map(normalizeName).includes(normalizeName(x)))) return r;
    const extras = [...r.extras];
    for (const x of entry.addExtras ?? []) if (!extras.map(normalizeName).includes(normalizeName(x))) extras.push(x);
    const specifier = entry.sameVersions ? r.specifier : "";
    const to: Requirement = {
      ...r,
      name: entry.binary,
      normalizedName: normalizeName(entry.binary),
      extras,
      specifier,
      raw: "",
    };
    to.raw = formatRequirement(to);
    const dropped = r.specifier && !entry.sameVersions ? ` (its versions differ from ${r.name}'s, so "${r.specifier}" was not carried over)` : "";
    swaps.push({ from: r, to, why: `${entry.why}${dropped}` });
    return to;
  });
  return { requirements, swaps, notes };
}

// ---------------------------------------------------------------------------------------
// Build failures

export interface BuildFacts {
  os?: "linux" | "darwin" | "windows";
  /** Package managers found on the machine, preferred first (PlatformFacts.packageManagers). */
  packageManagers?: string[];
  /** Running as root: the install command needs no sudo. */
  root?: boolean;
  /** DHT_HOME, for the rustup route. */
  dhtHome?: string;
  /** The distribution (os-release ID, VERSION_ID, ID_LIKE), for names that differ per release. */
  distro?: { id: string; versionId: string; like: string[] };
}

/** System package names for `manager` that let the packages of `rows` build (rows: buildDeps keys). */
export function buildPackagesFor(rows: string[], manager: string, facts: BuildFacts = {}): string[] {
  if (!isManager(manager)) return [];
  const target: MappingTarget = { os: facts.os ?? "linux", ...(facts.distro ? { id: facts.distro.id, versionId: facts.distro.versionId, like: facts.distro.like } : {}) };
  const logical = [...new Set(rows.flatMap((r) => buildDepsOf(r) ?? []))];
  return [...new Set(logical.flatMap((name) => (BUILTIN_MAPPING[name] ? (namesFor(BUILTIN_MAPPING[name]!, manager, target)?.packages ?? []) : [])))];
}

export type BuildFailureCause = "invalid-build-config" | "rust-too-old" | "missing-system-library" | "missing-compiler" | "missing-rust" | "missing-cmake" | "unknown";

export interface BuildAdvice {
  /** The package that failed to build, as the installer named it. */
  package?: string;
  version?: string;
  cause: BuildFailureCause;
  /** The line of the log that gave the cause away. */
  evidence?: string;
  /** System packages for this machine's package manager, with the command. */
  systemPackages?: { manager: string; packages: string[]; command: string };
  /** The same for other package managers (for the docs / other machines). */
  otherManagers: Record<string, string[]>;
  needsRust: boolean;
  /** Commands that install Rust into DHT_HOME/tools/rust without root. */
  rustInstall?: string[];
  alternative?: { kind: "swap" | "note"; name: string; why: string };
  /** The advice as text lines, ready to print. */
  lines: string[];
}

/** The package named by a uv or pip build failure, with its version when given. */
export function findFailingPackage(log: string): { name: string; version?: string } | undefined {
  const clean = log.replace(/\x1b\[[0-9;]*m/g, "");
  const split = (spec: string) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==\s*([^\s,;]+))?/.exec(spec.trim());
    return m ? { name: m[1]!, ...(m[2] ? { version: m[2] } : {}) } : undefined;
  };
  // uv: "Failed to build `psycopg2==2.9.9`", "Failed to download and build `x==1`", "Failed to build: x"
  let m = /Failed to (?:download and )?build `([^`]+)`/.exec(clean) ?? /Failed to (?:download and )?build: ([^\s]+)/.exec(clean);
  if (m) return split(m[1]!.replace(/ @ .*$/, ""));
  // pip: "ERROR: Failed building wheel for psutil", "Failed to build psutil", "Could not build wheels for x"
  // (pip ≥ 24.1 ends with "Failed to build installable wheels for some pyproject.toml based projects (x)")
  m =
    /Failed building wheel for ([A-Za-z0-9._-]+)/.exec(clean) ??
    /^Failed to build ([A-Za-z0-9._-]+)/m.exec(clean) ??
    /Could not build wheels for ([A-Za-z0-9._-]+)/.exec(clean) ??
    /Failed to build installable wheels for some pyproject\.toml based projects \(([A-Za-z0-9._-]+)/.exec(clean);
  if (m) return withPipVersion(clean, m[1]!);
  m = /Building wheel for ([A-Za-z0-9._-]+) \([^)]*\)(?::| \.\.\.) (?:finished with status 'error'|error)/.exec(clean);
  if (m) return withPipVersion(clean, m[1]!);
  // pip failing before the wheel step (metadata / build requirements): the last "Collecting X" before the error.
  if (/subprocess-exited-with-error|metadata-generation-failed|did not run successfully/.test(clean)) {
    const errorAt = clean.search(/subprocess-exited-with-error|metadata-generation-failed|did not run successfully/);
    const collecting = [...clean.slice(0, errorAt).matchAll(/^\s*Collecting ([^\s]+)/gm)].pop();
    if (collecting) return split(collecting[1]!);
  }
  return undefined;
}

function withPipVersion(log: string, name: string): { name: string; version?: string } {
  const n = normalizeName(name);
  for (const m of log.matchAll(/^\s*(?:Collecting|Downloading) ([A-Za-z0-9._-]+)(?:==|-)(\d[^\s]*?)(?:\.tar\.gz|\.zip|\.whl)?(?:\s|$)/gm)) {
    if (normalizeName(m[1]!) === n) return { name, version: m[2]! };
  }
  return { name };
}

/**
 * Causes that are read first: a broken manifest (TOML/Cargo.toml/pyproject) or a Rust that is
 * there but too old are not "Rust is missing", whatever the package is and even though
 * maturin says "maturin failed" in both cases.
 */
const CONFIG_CLUES = /TOML parse error|Failed to parse (?:Cargo|pyproject)\.toml|failed to parse manifest at|tomllib\.TOMLDecodeError|tomli\.TOMLDecodeError|Invalid (?:`?pyproject\.toml`?|table header)|configuration error: `project\.|invalid pyproject\.toml config/i;
const OLD_RUST_CLUES = /requires rustc (\d+\.\d+(?:\.\d+)?) or newer|rustc \d+\.\d+(?:\.\d+)? is not supported by the following packages?|package `[^`]+` cannot be built because it requires rustc/i;
const CMAKE_CLUES = /CMake must be installed to build|cmake: (?:command )?not found|Could not find CMake|No such file or directory: 'cmake'|Did not find CMake 'cmake'/i;
const RUST_CLUES = /can't find Rust compiler|could not find `?cargo`?|cargo: (?:command )?not found|rustc: (?:command )?not found|Cargo, the Rust package manager, is not installed|error: rustup could not choose a version|maturin failed|setuptools-rust|Downloading rustup-init from|Installing rust to \S*puccinialin/i;
const COMPILER_CLUES =
  /No such file or directory: '(?:gcc|cc|g\+\+|c\+\+|clang)'|command '(?:[^']*\/)?(?:gcc|cc|g\+\+|x86_64-linux-gnu-gcc|clang)' failed|unable to execute '(?:gcc|cc|x86_64-linux-gnu-gcc)'|(?:gcc|cc|clang): (?:command )?not found|Microsoft Visual C\+\+ 14\.0 or greater is required|is gcc not installed|because gcc is not installed|Unknown compiler\(s\)/i;
const HEADER_CLUE = /fatal error: ([\w/.+-]+\.h): No such file or directory/;
const LIBRARY_CLUES: Array<{ re: RegExp; pkg: string }> = [
  { re: /pg_config executable not found|libpq-fe\.h/i, pkg: "psycopg2" },
  { re: /mysql_config not found|Can not find valid pkg-config name|mysql\.h/i, pkg: "mysqlclient" },
  { re: /libxml\/xmlversion\.h|Please make sure the libxml2 and libxslt development packages are installed/i, pkg: "lxml" },
  { re: /The headers or library files could not be found for (?:jpeg|zlib)/i, pkg: "pillow" },
  { re: /cairo.*not found|Dependency "cairo" not found/i, pkg: "pycairo" },
  { re: /lber\.h|ldap\.h|sasl\/sasl\.h/i, pkg: "python-ldap" },
  { re: /portaudio\.h/i, pkg: "pyaudio" },
  { re: /graphviz\/cgraph\.h/i, pkg: "pygraphviz" },
  { re: /sql\.h: No such file/i, pkg: "pyodbc" },
  { re: /ffi\.h: No such file/i, pkg: "cffi" },
  { re: /openssl\/(?:ssl|opensslv)\.h/i, pkg: "cryptography" },
  { re: /Python\.h: No such file/i, pkg: "toolchain" },
];

function installCommand(manager: string, packages: string[], root: boolean): string {
  const sudo = root ? "" : "sudo ";
  const list = packages.join(" ");
  switch (manager) {
    case "apt":
      return `${sudo}apt-get install -y ${list}`;
    case "dnf":
    case "yum":
      return `${sudo}${manager} install -y ${list}`;
    case "zypper":
      return `${sudo}zypper install -y ${list}`;
    case "apk":
      return `${sudo}apk add ${list}`;
    case "pacman":
      return `${sudo}pacman -S --needed ${list}`;
    case "brew":
      return `brew install ${list}`;
    default:
      return `${manager} install ${list}`;
  }
}

/** The commands that install Rust for the current user under DHT_HOME/tools/rust (no root, no shell-profile edits). */
export function rustupCommands(dhtHome: string, os: BuildFacts["os"] = "linux"): string[] {
  const base = `${dhtHome.replace(/[\\/]+$/, "")}${os === "windows" ? "\\tools\\rust" : "/tools/rust"}`;
  if (os === "windows") {
    return [
      `$env:RUSTUP_HOME = "${base}\\rustup"; $env:CARGO_HOME = "${base}\\cargo"`,
      "Invoke-WebRequest https://win.rustup.rs/x86_64 -OutFile rustup-init.exe",
      ".\\rustup-init.exe -y --no-modify-path --profile minimal",
      `$env:PATH = "${base}\\cargo\\bin;$env:PATH"`,
    ];
  }
  return [
    `export RUSTUP_HOME="${base}/rustup" CARGO_HOME="${base}/cargo"`,
    "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs -o rustup-init.sh",
    "sh rustup-init.sh -y --no-modify-path --profile minimal",
    `export PATH="${base}/cargo/bin:$PATH"`,
  ];
}

/**
 * Advice for a failed build, or undefined when the output is not a build failure.
 * Pure: reads only `log` and `facts`.
 */
export function buildFailureAdvice(log: string, facts: BuildFacts = {}): BuildAdvice | undefined {
  const failing = findFailingPackage(log);
  const configClue = CONFIG_CLUES.exec(log);
  const oldRustClue = configClue ? null : OLD_RUST_CLUES.exec(log);
  const cmakeClue = configClue || oldRustClue ? null : CMAKE_CLUES.exec(log);
  const rustClue = configClue || oldRustClue || cmakeClue ? null : RUST_CLUES.exec(log);
  const compilerClue = COMPILER_CLUES.exec(log);
  const libraryClue = LIBRARY_CLUES.map((c) => ({ ...c, m: c.re.exec(log) })).find((c) => c.m);
  if (!failing && !rustClue && !compilerClue && !libraryClue) return undefined;

  const pkgName = failing ? normalizeName(failing.name) : undefined;
  const realCause = configClue ? "invalid-build-config" : oldRustClue ? "rust-too-old" : cmakeClue ? "missing-cmake" : undefined;
  const needsRust = !realCause && (Boolean(rustClue) || (pkgName !== undefined && RUST_PACKAGES.has(pkgName) && !compilerClue && !libraryClue));
  const cause: BuildFailureCause = realCause ?? (rustClue ? "missing-rust" : compilerClue ? "missing-compiler" : libraryClue ? "missing-system-library" : needsRust ? "missing-rust" : "unknown");
  const evidenceMatch = configClue ?? oldRustClue ?? cmakeClue ?? rustClue ?? compilerClue ?? libraryClue?.m ?? HEADER_CLUE.exec(log);
  const evidence = evidenceMatch ? log.split(/\r?\n/).find((l) => l.includes(evidenceMatch[0]))?.trim() : undefined;

  // Which build-dependency rows apply: the failing package's, the one the log points at, and
  // the compiler toolchain when the compiler (or Python.h) is what is missing.
  const rows: string[] = [];
  if (pkgName && buildDepsOf(pkgName)) rows.push(pkgName);
  if (libraryClue && !rows.includes(libraryClue.pkg)) rows.push(libraryClue.pkg);
  if (cause === "missing-compiler" && !rows.includes("toolchain")) rows.unshift("toolchain");
  const packagesFor = (manager: string) => buildPackagesFor(rows, manager, facts);

  const managers = (facts.packageManagers ?? []).filter((m) => (ADVICE_MANAGERS as readonly string[]).includes(m));
  const local = managers.find((m) => packagesFor(m).length > 0);
  const systemPackages = local ? { manager: local, packages: packagesFor(local), command: installCommand(local, packagesFor(local), Boolean(facts.root)) } : undefined;
  const otherManagers: Record<string, string[]> = {};
  for (const m of ADVICE_MANAGERS) if (m !== local && packagesFor(m).length) otherManagers[m] = packagesFor(m);

  const entry = pkgName ? binaryAlternativeFor(pkgName) : libraryClue ? binaryAlternativeFor(libraryClue.pkg) : undefined;
  const alternative = entry ? { kind: entry.kind, name: entry.kind === "swap" ? `${entry.binary}${entry.addExtras?.length ? `[${entry.addExtras.join(",")}]` : ""}` : entry.alternative, why: entry.why } : undefined;
  const rustInstall = needsRust ? rustupCommands(facts.dhtHome ?? "~/.dht", facts.os) : undefined;

  const lines: string[] = [];
  const what = failing ? `${failing.name}${failing.version ? ` ${failing.version}` : ""}` : "a package";
  const because: Record<BuildFailureCause, string> = {
    "invalid-build-config": "its build configuration is invalid (a TOML or manifest error, not a missing tool); fix the file the evidence names",
    "rust-too-old": "the Rust compiler found is older than the package needs",
    "missing-cmake": "it builds with CMake and none was found (dhtl setup provides CMake and Ninja from the package index when it can)",
    "missing-rust": "it needs a Rust compiler and none was found",
    "missing-compiler": "no C compiler was found",
    "missing-system-library": "a system library it compiles against is missing",
    unknown: "see the installer output above",
  };
  lines.push(`${what} failed to build from source: ${because[cause]}.`);
  if (evidence) lines.push(`  evidence: ${evidence}`);
  if (alternative?.kind === "swap") lines.push(`  easiest: use the prebuilt ${alternative.name} instead (dhtl setup --prefer-binary, or dependencies.prefer_binary: true) — ${alternative.why}.`);
  if (systemPackages) lines.push(`  to build it here, install: ${systemPackages.command}`);
  else if (rows.length && Object.keys(otherManagers).length) {
    lines.push("  system packages that let it build:");
  }
  if (Object.keys(otherManagers).length) {
    const shown = Object.entries(otherManagers).map(([m, p]) => `${m}: ${p.join(" ")}`);
    lines.push(`  ${systemPackages ? "elsewhere" : "by package manager"}: ${shown.join(" | ")}`);
  }
  if (facts.os === "darwin" && cause === "missing-compiler") lines.push("  on macOS the compiler comes with: xcode-select --install");
  if (rustInstall) {
    lines.push("  Rust without root, into DHT_HOME (then re-run dhtl setup):");
    for (const c of rustInstall) lines.push(`    ${c}`);
  }
  if (alternative?.kind === "note") lines.push(`  alternative: ${alternative.name} — ${alternative.why}.`);
  return {
    ...(failing ? { package: failing.name } : {}),
    ...(failing?.version ? { version: failing.version } : {}),
    cause,
    ...(evidence ? { evidence } : {}),
    ...(systemPackages ? { systemPackages } : {}),
    otherManagers,
    needsRust,
    ...(rustInstall ? { rustInstall } : {}),
    ...(alternative ? { alternative } : {}),
    lines,
  };
}
