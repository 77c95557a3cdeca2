#!/usr/bin/env bun
/**
 * Build dhtl executables.
 *
 *   bun run build                        the host target only: dist/dhtl-<target>/dhtl and dist/dhtl
 *   bun run build:all                    every release target, dist/SHA256SUMS, then
 *                                        scripts/check-artifacts.ts on the result
 *   bun scripts/build.ts --target linux-arm64[,…]   chosen targets ("bun-" prefix optional)
 *   … --out DIR                          write there instead of dist/ (dist/dhtl is only
 *                                        refreshed when building into dist/)
 *   … --version 1.2.3                    override package.json's version (release tests)
 *   … --no-check                         skip the artifact check after --all
 *
 * Flags (docs/install.md "Architecture"): minified, ESM bytecode (bytecode needs format esm,
 * see the notes), code splitting so commands stay lazy, no .env/bunfig autoload in users'
 * projects, version/commit/target/release base injected with `define`.
 * The release base comes from DHTL_RELEASE_BASE at build time (default in
 * src/self/release-layout.ts).
 */
import { readFileSync } from "node:fs";
import { mkdir, rm, copyFile, chmod, rename } from "node:fs/promises";
import { join, relative } from "node:path";
import pkg from "../package.json";
import { formatSha256Sums, normaliseVersion } from "../src/self/release-layout.ts";

export const repoRoot = join(import.meta.dir, "..");
export const defaultOutRoot = join(repoRoot, "dist");

export const allTargets = [
  "bun-linux-x64",
  "bun-linux-arm64",
  "bun-linux-x64-musl",
  "bun-linux-arm64-musl",
  "bun-darwin-x64",
  "bun-darwin-arm64",
  "bun-windows-x64",
  "bun-windows-arm64",
] as const;
export type Target = (typeof allTargets)[number];

/** "bun-linux-x64-musl" → "linux-x64-musl": the name used for artifacts and --version. */
export const targetName = (t: string) => t.replace(/^bun-/, "");

export function parseTarget(name: string): Target {
  const t = (name.startsWith("bun-") ? name : `bun-${name}`) as Target;
  if (!allTargets.includes(t)) throw new Error(`unknown target ${name}; one of ${allTargets.map(targetName).join(", ")}`);
  return t;
}

export function hostTarget(): Target {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const os = process.platform === "win32" ? "windows" : process.platform;
  // A musl host is rare for development; glibc's ldd prints "GNU libc", musl's says "musl".
  const ldd = os === "linux" ? Bun.spawnSync(["sh", "-c", "ldd --version 2>&1"]).stdout.toString() : "";
  return `bun-${os}-${arch}${/musl/i.test(ldd) ? "-musl" : ""}` as Target;
}

export function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: repoRoot });
  const sha = r.success ? r.stdout.toString().trim() : "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { cwd: repoRoot });
  return sha + (dirty.success && dirty.stdout.toString().trim() ? "-dirty" : "");
}

export interface BuildOptions {
  version?: string;
  commit?: string;
  releaseBase?: string;
  /** PEM public key(s) `dhtl self update` trusts for signed releases (default: the file named by DHTL_RELEASE_PUBLIC_KEY). */
  releaseKeys?: string;
  /** Overrides for tests of the build itself (the bytecode-failure guard). */
  entrypoint?: string;
  format?: "esm" | "cjs";
}

export const exeFileName = (target: string) => (target.includes("windows") ? "dhtl.exe" : "dhtl");

/**
 * Compile one target into <outRoot>/dhtl-<target>/dhtl[.exe]. Throws when Bun reports any
 * error-level log: bytecode generation failures are only logged (the build "succeeds" and
 * the binary dies at start with "import.meta is only valid inside modules").
 */
export async function buildTarget(target: Target, outRoot: string, options: BuildOptions = {}): Promise<string> {
  const name = targetName(target);
  const dir = join(outRoot, `dhtl-${name}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, exeFileName(target));
  const format = options.format ?? "esm";
  const releaseBase = options.releaseBase ?? process.env.DHTL_RELEASE_BASE ?? "";
  const result = await Bun.build({
    entrypoints: [options.entrypoint ?? join(repoRoot, "src", "cli.ts")],
    minify: true,
    bytecode: true,
    format,
    // splitting keeps `import()`ed commands in their own chunks (only valid for esm)
    splitting: format === "esm",
    sourcemap: "none",
    define: {
      BUILD_VERSION: JSON.stringify(normaliseVersion(options.version ?? pkg.version)),
      BUILD_COMMIT: JSON.stringify(options.commit ?? gitCommit()),
      BUILD_TARGET: JSON.stringify(name),
      BUILD_RELEASE_BASE: JSON.stringify(releaseBase),
      BUILD_RELEASE_KEYS: JSON.stringify(options.releaseKeys ?? (process.env.DHTL_RELEASE_PUBLIC_KEY ? readFileSync(process.env.DHTL_RELEASE_PUBLIC_KEY, "utf8") : "")),
    },
    compile: {
      target,
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  } as Parameters<typeof Bun.build>[0]).catch((error: unknown) => {
    // Bun.build throws an AggregateError ("Bundle failed") whose .errors hold the messages
    const details = error instanceof AggregateError ? error.errors.map(String).join("\n") : String(error);
    throw new Error(`build of ${target} failed:\n${details}`);
  });
  const problems = result.logs.filter((l) => l.level === "error");
  if (!result.success || problems.length) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`build of ${target} failed:\n${[...result.logs].map(String).join("\n")}`);
  }
  await chmod(outfile, 0o755).catch(() => {});
  return outfile;
}

export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/** Build several targets into outRoot and write outRoot/SHA256SUMS for them. */
export async function buildTargets(targets: Target[], outRoot: string, options: BuildOptions = {}, log = console.error): Promise<string[]> {
  const commit = options.commit ?? gitCommit();
  const built: string[] = [];
  for (const target of targets) {
    const started = performance.now();
    const out = await buildTarget(target, outRoot, { ...options, commit });
    built.push(out);
    log(`built ${relative(process.cwd(), out) || out} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  }
  if (targets.length > 1) {
    const entries: [string, string][] = [];
    for (const file of built) entries.push([relative(outRoot, file), await sha256File(file)]);
    await Bun.write(join(outRoot, "SHA256SUMS"), formatSha256Sums(entries));
  }
  return built;
}

/** The value after `name` in a script's argv (shared by build.ts and release.ts). */
export function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith("--")) throw new Error(`${name} needs a value`);
  return v;
}

async function cli() {
  const args = process.argv.slice(2);
  const outRoot = flagValue(args, "--out") ?? defaultOutRoot;
  const version = flagValue(args, "--version");
  let targets: Target[] = [hostTarget()];
  if (args.includes("--all")) targets = [...allTargets];
  const chosen = flagValue(args, "--target");
  if (chosen) targets = chosen.split(",").filter(Boolean).map(parseTarget);

  await buildTargets(targets, outRoot, { version });
  // dist/dhtl is the host build, the one tests and the README use.
  const host = hostTarget();
  if (outRoot === defaultOutRoot && targets.includes(host)) {
    const tmp = join(outRoot, `.dhtl.${process.pid}`);
    await copyFile(join(outRoot, `dhtl-${targetName(host)}`, "dhtl"), tmp);
    await chmod(tmp, 0o755);
    // rename, so an e2e test running dist/dhtl right now never sees a half-written file
    await rename(tmp, join(outRoot, "dhtl"));
  }
  if (args.includes("--all") && !args.includes("--no-check")) {
    const { checkArtifacts, formatReport } = await import("./check-artifacts.ts");
    const report = await checkArtifacts(outRoot, { expectVersion: version ?? pkg.version, requireEmulation: false });
    console.error(formatReport(report));
    if (!report.ok) process.exit(1);
  }
}

if (import.meta.main) {
  try {
    await cli();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
