/**
 * One place that turns a failed `uv pip install` / `pip install` into the error the user
 * should see, trying the explanations in order of certainty:
 *
 *   0. a dependency from version control (git+https://…) could not be fetched: its host,
 *      not the package index, is what failed; likewise a build backend that downloads
 *      something itself (maturin fetching rustup-init) from a host that cannot be reached;
 *   1. the output says an index refused or could not be reached (explainIndexFailure);
 *   2. a package failed to build from source (buildFailureAdvice: package, cause, system
 *      packages, Rust, binary stand-in);
 *   3. nothing was found ("No matching distribution", "not found in the package registry"):
 *      pip hides a 401 behind that, so the indexes are asked directly (checkIndexAccess);
 *   4. the resolver names a package no index offers (a typo, a version that does not exist);
 *   5. otherwise the installer's last lines.
 *
 * Everything shown is redacted, including credential values dhtl handed to the installer.
 */
import { DhtError, ExitCode } from "../errors.ts";
import { redactUrl } from "../net/redact.ts";
import { normalizeName } from "../project/pep508.ts";
import type { NetSettings } from "../net/types.ts";
import { buildFailureAdvice, type BuildFacts } from "../packages/binary-alternatives.ts";
import { explainIndexFailure, NETWORK_FAILURE, redactOutput } from "./failure.ts";
import { hostOf, sameIndex } from "./url.ts";
import { checkIndexAccess } from "./probe.ts";
import type { RegistryCredentials, RegistrySettings } from "./types.ts";

export interface InstallFailureContext {
  settings: RegistrySettings;
  creds?: RegistryCredentials;
  facts?: BuildFacts;
  env: Record<string, string | undefined>;
  net?: NetSettings;
  /** Ask the indexes directly when the output hides the reason (default true). */
  probe?: boolean;
  /** The environment's Python (X.Y.Z): old releases often fail to build on a new Python. */
  pythonVersion?: string;
  /** The project being set up, built from its own checkout: no other release of it applies. */
  project?: string;
  /** The install ran offline: what it could not find is not in the cache (or the bundle), exit 3. */
  offline?: { bundle?: boolean };
}

const NOT_FOUND = /No matching distribution found|from versions: none|not found in the package registry|was not found in the package registry/i;

export async function explainInstallFailure(output: string, argv: string[], ctx: InstallFailureContext): Promise<DhtError> {
  const tail = redactOutput(output.trim(), ctx.creds).split(/\r?\n/).slice(-12).join("\n");
  const subject = redactOutput(argv.join(" "), ctx.creds);
  const vcs = vcsFetchFailure(output);
  if (vcs) {
    return new DhtError(ExitCode.failed, `a dependency from version control could not be fetched: ${redactUrl(vcs.url)}`, {
      subject: redactUrl(vcs.url),
      hint: [
        `git said: ${redactOutput(vcs.reason, ctx.creds)}`,
        "fetching it needs git and network access to that host; where that is not possible, depend on a released version from the package index, or build a wheel of it and list its directory in registries.find_links",
        `installer output (last lines):\n${tail}`,
      ].join("\n"),
      details: { url: redactUrl(vcs.url), cause: "vcs" },
    });
  }
  if (ctx.offline) {
    const missing = offlineMisses(output);
    if (missing.length) return offlineMissError(missing, ctx.offline, tail);
  }
  const buildDownload = buildDownloadFailure(output, ctx.settings);
  if (buildDownload) return buildDownloadError(buildDownload, output, subject, tail, ctx);
  const index = explainIndexFailure(output, ctx.settings, ctx.creds, { env: ctx.env, ...(ctx.net ? { net: ctx.net } : {}) });
  if (index) return index;
  const advice = buildFailureAdvice(output, ctx.facts);
  if (advice && (advice.package || advice.cause !== "unknown")) {
    const name = advice.package ? `${advice.package}${advice.version ? ` ${advice.version}` : ""}` : undefined;
    return new DhtError(ExitCode.failed, name ? `installing ${name} failed: it could not be built from source` : "installing the dependencies failed: a package could not be built", {
      subject,
      hint: [
        ...advice.lines,
        ...(ctx.project && advice.package && normalizeName(advice.package) === normalizeName(ctx.project)
          ? ownBuildAdvice(advice.package, output)
          : ctx.pythonVersion
            ? [`the environment uses Python ${ctx.pythonVersion.split(".").slice(0, 2).join(".")}: a release that predates it often does not build on it; a newer release of the package, or an older Python (dhtl setup --python 3.N), may`]
            : []),
        `installer output (last lines):\n${tail}`,
      ].join("\n"),
      details: { package: advice.package, version: advice.version, cause: advice.cause, systemPackages: advice.systemPackages, otherManagers: advice.otherManagers, alternative: advice.alternative },
    });
  }
  if (NOT_FOUND.test(output) && ctx.probe !== false) {
    const probed = await checkIndexAccess(ctx.settings, ctx.creds, { env: ctx.env, net: ctx.net });
    if (probed) return probed;
  }
  const unresolved = resolutionFailurePackage(output);
  const conflict = unresolved ? resolutionConflict(output, unresolved) : undefined;
  if (unresolved && conflict) {
    return new DhtError(ExitCode.failed, `the requirements conflict: ${conflict}, and no version of ${unresolved} that satisfies it can be installed with the rest`, {
      subject,
      hint: `relax or drop one of the conflicting requirements (the resolver's explanation is below)\ninstaller output (last lines):\n${tail}`,
      details: { package: unresolved, cause: "conflict", conflict },
    });
  }
  if (unresolved) {
    return new DhtError(ExitCode.failed, `no installable version of ${unresolved} was found on the package indexes in use`, {
      subject,
      hint: `check the name and version of ${unresolved}, and that the index in the plan (dhtl setup --dry-run) serves it\ninstaller output (last lines):\n${tail}`,
      details: { package: unresolved, cause: "unresolved" },
    });
  }
  return new DhtError(ExitCode.failed, "installing the dependencies failed", {
    subject,
    hint: `installer output (last lines):\n${tail}`,
  });
}

/**
 * The project itself failed to build from its checkout: another release of it is no way out.
 * A source file the compiler cannot find (`msgpack/_cmsgpack.c`) is usually generated before
 * the build (Cython's .pyx → .c, by `cython` or a Makefile/CI step the project runs first).
 */
export function ownBuildAdvice(project: string, output: string): string[] {
  const missing = /(?:fatal error|error): ([^\s:]+\.(?:c|cc|cpp|cxx|h|hpp)): No such file or directory/.exec(output)?.[1];
  const lines = [`${project} is the project itself, built from this checkout: a newer release of it does not apply`];
  if (missing) {
    const pyx = /\.(c|cpp)$/.test(missing) ? ` (Cython generates it from ${missing.replace(/\.(c|cpp)$/, ".pyx")})` : "";
    lines.push(`its build needs ${missing}, which the checkout does not have: it is generated before the build${pyx}; run the project's step that makes it (a Makefile target or CI build step, see \`dhtl test --list\` for the ones not run), then dhtl setup again`);
  }
  return lines;
}

/**
 * What an offline install could not find, from uv's or pip's output: uv names the first
 * package its resolver misses ("Because six was not found in the cache"), or the one it
 * would have downloaded ("Failed to download `six==1.17.0`" … "Network connectivity is
 * disabled, but the requested data wasn't found in the cache: …/six-1.17.0-py2.py3-none-any.whl");
 * pip with no index says "No matching distribution found for six==1.16.0".
 */
export function offlineMisses(output: string): string[] {
  const found = new Set<string>();
  for (const m of output.matchAll(/Because ([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?:[<>=!~]=?[^\s]+)? was not found in the cache/g)) found.add(m[1]!);
  const networkDisabled = /Network connectivity is disabled|network was disabled/i.test(output);
  if (networkDisabled) for (const m of output.matchAll(/Failed to (?:download|fetch)(?: and build)? `([^`]+)`/g)) found.add(m[1]!);
  for (const m of output.matchAll(/No matching distribution found for ([^\s]+)/g)) found.add(m[1]!);
  if (!found.size) {
    for (const m of output.matchAll(/wasn't found in the cache(?: for)?:\s*`?([^`\s]+)`?/g)) {
      const file = decodeURIComponent(m[1]!.split(/[?#]/)[0]!.split("/").pop() ?? "");
      // A wheel or sdist file name says name and version; anything else is shown as it is.
      const dist = /^([A-Za-z0-9][A-Za-z0-9._]*?)-(\d[^-]*?)(?:-[^-]+-[^-]+-[^-]+\.whl|\.tar\.gz|\.zip)$/.exec(file);
      found.add(dist ? `${dist[1]}==${dist[2]}` : redactUrl(m[1]!));
    }
  }
  return [...found];
}

function offlineMissError(missing: string[], offline: { bundle?: boolean }, tail: string): DhtError {
  const where = offline.bundle ? "the offline bundle" : "uv's cache";
  return new DhtError(ExitCode.unsatisfiable, `offline, and not in ${where}: ${missing.join(", ")}`, {
    subject: missing[0],
    hint: [
      offline.bundle
        ? "make the bundle again on a connected machine (dhtl prepare-offline) so it holds these, or connect and run the command again"
        : "connect to the network and run the command again, or bring the packages in an offline bundle made on a connected machine (dhtl prepare-offline) with --offline-bundle FILE",
      `installer output (last lines):\n${tail}`,
    ].join("\n"),
    details: { missing, cause: "offline-cache-miss" },
  });
}

/**
 * The package a dependency resolution failed on, from uv's or pip's output (build failures
 * are read by src/packages/binary-alternatives.ts buildFailureAdvice instead).
 */
export function resolutionFailurePackage(log: string): string | undefined {
  const text = log.replace(/\s+/g, " ");
  // Each pattern names where the package name stands in the sentence; a word of the
  // sentence itself ("Because only the following versions of pyflakes are available") is
  // never taken for one.
  const patterns = [
    /Because ([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])? was not found/,
    /Because there (?:is|are) no versions? of ([A-Za-z0-9][A-Za-z0-9._-]*)/,
    /[Bb]ecause only the following versions? of ([A-Za-z0-9][A-Za-z0-9._-]*) (?:is|are) available/,
    /[Bb]ecause only ([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?:===?|!=|~=|<=?|>=?)\S* (?:is|are) available/,
    /No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)/,
    /Could not find a version that satisfies the requirement ([A-Za-z0-9][A-Za-z0-9._-]*)/,
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (m && !SENTENCE_WORDS.has(m[1]!.toLowerCase())) return m[1];
  }
  return undefined;
}

/** Words of the resolvers' sentences: never a package name, whatever a pattern matched. */
const SENTENCE_WORDS = new Set(["the", "a", "an", "and", "all", "any", "no", "one", "only", "you", "your", "we", "there", "this", "that", "these", "those", "following", "version", "versions", "because", "which", "it"]);

/**
 * A resolution that failed on a conflict, not on something missing: uv's "flake8==6.1.0
 * depends on pyflakes>=3.1.0,<3.2.0" beside "only the following versions of pyflakes are
 * available" (pip: "X 1.0 depends on Y<2" under "The conflict is caused by"). The first
 * statement naming the package the resolver could not satisfy, or undefined.
 */
export function resolutionConflict(log: string, pkg: string): string | undefined {
  if (!/unsatisfiable|No solution found|conflicting dependencies|ResolutionImpossible/i.test(log)) return undefined;
  const text = log.replace(/\s+/g, " ");
  const name = pkg.replace(/[-_.]+/g, "[-_.]+");
  const op = "(?:===?|!=|~=|<=?|>=?)";
  const m = new RegExp(`\\b([A-Za-z0-9][A-Za-z0-9._-]*(?:\\[[^\\]]*\\])?(?:${op}[^\\s,]+(?:,${op}[^\\s,]+)*|\\s+v?\\d[^\\s,]*)?) depends on (${name}(?![A-Za-z0-9_-])(?:${op}[^\\s,]+(?:,\\s?${op}[^\\s,]+)*(?: and ${op}[^\\s,]+)*)?)`, "i").exec(text);
  if (!m || SENTENCE_WORDS.has(m[1]!.split(/[^A-Za-z0-9._-]/)[0]!.toLowerCase())) return undefined;
  return `${m[1]} depends on ${m[2]!.replace(/[.,;:]+$/, "")}`;
}

/**
 * A git fetch that failed inside uv or pip: the repository URL and git's reason. uv reports
 * "Git operation failed" with git's own "fatal: unable to access 'URL': reason"; pip runs
 * `git clone … URL` and prints the same fatal line.
 */
export function vcsFetchFailure(output: string): { url: string; reason: string } | undefined {
  const fatal = /fatal: (?:unable to access|could not read from remote repository)[^']*'([^']+)'?:?\s*(.*)/i.exec(output);
  if (fatal) return { url: fatal[1]!.replace(/\/$/, ""), reason: fatal[2]!.trim() || "the repository could not be read" };
  if (/Git operation failed/i.test(output)) {
    const url = /git fetch [^\n]*?'((?:https?|ssh|git):\/\/[^']+)'/.exec(output)?.[1] ?? /Updating (\S+:\/\/\S+)/.exec(output)?.[1];
    if (url) return { url, reason: /fatal: (.+)/.exec(output)?.[1]?.trim() ?? "git could not fetch it" };
  }
  return undefined;
}

/** A build backend's own failure (uv and pip wording), as opposed to the installer's. */
const BUILD_FAILED = /Failed to build `|The build backend returned an error|Call to `[^`]+` failed|Getting requirements to build (?:wheel|editable) did not run successfully|Building (?:wheel|editable) for \S+ \(pyproject\.toml\) did not run successfully|subprocess-exited-with-error/;

/**
 * A build that failed because the build backend itself downloaded something from a host that
 * cannot be reached (maturin's rustup-init, a CMake project's FetchContent): the URL it tried
 * is the last non-index URL before the first network error inside the build's output. The
 * package index is not at fault, and saying so would send the user after the wrong thing.
 * A backend hook that downloads with urllib (`coherent.licensed` fetching a license text)
 * raises `URLError` in a Python traceback and names no URL: still the build's download, not
 * the index's, when no index URL comes before it either.
 */
export function buildDownloadFailure(output: string, settings: RegistrySettings): { url?: string; caller?: string; evidence: string } | undefined {
  if (!BUILD_FAILED.test(output)) return undefined;
  const lines = output.split(/\r?\n/);
  const at = lines.findIndex((l) => NETWORK_FAILURE.test(l));
  if (at < 0) return undefined;
  const indexes = [settings.indexUrl, ...settings.extraIndexUrls, ...settings.explicitIndexes.map((e) => e.url)];
  const isIndex = (u: string) => indexes.some((i) => sameIndex(i, u) || u.startsWith(i.replace(/\/+$/, "")) || hostOf(i) === hostOf(u));
  const urlsOf = (l: string) => l.match(/https?:\/\/[^\s"'<>`)]+/g) ?? [];
  if (urlsOf(lines[at]!).some(isIndex)) return undefined;
  for (let i = at; i >= 0; i--) {
    const all = urlsOf(lines[i]!);
    const urls = all.filter((u) => !isIndex(u));
    if (urls.length) return { url: urls[urls.length - 1]!, evidence: lines[at]!.trim() };
    // The index's own fetch failed (`Failed to fetch: https://pypi.org/simple/maturin/`).
    if (all.length) return undefined;
  }
  // No URL printed (urllib in a build hook: coherent.licensed fetching a license text), but
  // the network error is raised inside the backend's Python traceback, after the build
  // started and with no index fetch before it: the build's download, not the index, failed.
  const started = lines.findIndex((l) => BUILD_FAILED.test(l));
  const before = lines.slice(Math.max(0, started), at);
  if (started < 0 || started > at || !before.some((l) => /Traceback \(most recent call last\)/.test(l)) || lines.slice(0, at).some((l) => urlsOf(l).some(isIndex))) return undefined;
  const caller = downloadCaller(lines);
  return { ...(caller ? { caller } : {}), evidence: lines[at]!.trim() };
}

/** The installed module whose code made the download: the last site-packages frame of the traceback before its last network error. */
function downloadCaller(lines: string[]): string | undefined {
  const last = lines.findLastIndex((l) => NETWORK_FAILURE.test(l));
  for (let i = last; i >= 0; i--) {
    const m = /File "[^"]*[\\/]site-packages[\\/]([^"]+)"/.exec(lines[i]!);
    if (m && !/^(urllib3|requests|httpx|httpcore|_distutils_hack)[\\/]/.test(m[1]!)) return m[1]!.replace(/\\/g, "/");
  }
  return undefined;
}

function buildDownloadError(found: { url?: string; caller?: string; evidence: string }, output: string, subject: string, tail: string, ctx: InstallFailureContext): DhtError {
  const advice = buildFailureAdvice(output, ctx.facts);
  const what = advice?.package ? `${advice.package}${advice.version ? ` ${advice.version}` : ""}` : "a package";
  const url = found.url ? redactUrl(found.url) : undefined;
  const rust = advice?.cause === "missing-rust";
  const target = url ? `${url}, which cannot be reached` : `something${found.caller ? ` (from ${found.caller})` : ""} and the network could not reach it`;
  return new DhtError(ExitCode.failed, `building ${what} failed: its build backend tried to download ${target}${rust ? " (it needs Rust, none is on PATH, and it went to fetch one)" : ""}`, {
    subject: url ?? found.caller ?? subject,
    hint: [
      `the package index is not at fault; the download happened inside the build (${redactOutput(found.evidence, ctx.creds)})`,
      rust
        ? "give the build a Rust toolchain: dhtl setup provides one in user space, by rustup (the package index's rustup wheel) from RUSTUP_DIST_SERVER, else from the distribution's packages; behind a firewall, set RUSTUP_DIST_SERVER and RUSTUP_UPDATE_ROOT to an internal rustup mirror (or install Rust with the system package manager) and run dhtl setup again"
        : "let that host through the proxy, or provide what the build downloads beforehand (see the package's build documentation)",
      ...(advice?.lines.slice(1) ?? []),
      `installer output (last lines):\n${tail}`,
    ].join("\n"),
    details: { ...(url ? { url } : {}), cause: "build-download", ...(advice?.package ? { package: advice.package } : {}), ...(advice ? { buildCause: advice.cause } : {}) },
  });
}
