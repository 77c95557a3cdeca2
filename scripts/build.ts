#!/usr/bin/env bun
/**
 * Build dhtl executables into dist/.
 *
 *   bun run build              the host target only (dist/dhtl-<target>/dhtl and dist/dhtl)
 *   bun run build --all        every release target, plus dist/SHA256SUMS
 *   bun run build --target bun-linux-arm64[,…]
 *
 * Flags per docs/ARCHITECTURE.md "Builds": minified, ESM bytecode (bytecode requires
 * format esm, see notes), code splitting so commands stay lazy, no .env/bunfig autoload in
 * users' projects, version/commit/target injected with `define`.
 */
import { mkdir, rm, copyFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import pkg from "../package.json";

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

export function hostTarget(): Target {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const os = process.platform === "win32" ? "windows" : process.platform;
  // A musl host is rare for development; detect it by the loader bun itself uses.
  const musl = os === "linux" && (Bun.spawnSync(["ldd", "--version"]).stderr.toString() + "").toLowerCase().includes("musl");
  return `bun-${os}-${arch}${musl ? "-musl" : ""}` as Target;
}

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: join(import.meta.dir, "..") });
  const sha = r.success ? r.stdout.toString().trim() : "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { cwd: join(import.meta.dir, "..") });
  return sha + (dirty.success && dirty.stdout.toString().trim() ? "-dirty" : "");
}

export async function buildTarget(target: Target, outRoot: string, commit = gitCommit()): Promise<string> {
  const name = targetName(target);
  const dir = join(outRoot, `dhtl-${name}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const exe = target.includes("windows") ? "dhtl.exe" : "dhtl";
  const outfile = join(dir, exe);
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "..", "src", "cli.ts")],
    minify: true,
    bytecode: true,
    format: "esm",
    splitting: true,
    sourcemap: "none",
    define: {
      BUILD_VERSION: JSON.stringify(pkg.version),
      BUILD_COMMIT: JSON.stringify(commit),
      BUILD_TARGET: JSON.stringify(name),
    },
    compile: {
      target,
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  } as Parameters<typeof Bun.build>[0]);
  // Bun reports some bytecode failures only as log messages (notes: "Failed to generate
  // bytecode" exits 0), so any error-level log fails the build.
  const problems = result.logs.filter((l) => l.level === "error");
  if (!result.success || problems.length) {
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

async function cli() {
  const args = process.argv.slice(2);
  const outRoot = join(import.meta.dir, "..", "dist");
  let targets: Target[] = [hostTarget()];
  if (args.includes("--all")) targets = [...allTargets];
  const t = args.indexOf("--target");
  if (t >= 0) targets = (args[t + 1] ?? "").split(",").filter(Boolean) as Target[];
  for (const target of targets) if (!allTargets.includes(target)) throw new Error(`unknown target ${target}; one of ${allTargets.join(", ")}`);

  const built: string[] = [];
  for (const target of targets) {
    const started = performance.now();
    const out = await buildTarget(target, outRoot);
    built.push(out);
    console.error(`built ${out} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  }
  // dist/dhtl is the host build, the one tests and the README use.
  const host = hostTarget();
  if (targets.includes(host)) {
    await copyFile(join(outRoot, `dhtl-${targetName(host)}`, "dhtl"), join(outRoot, "dhtl"));
    await chmod(join(outRoot, "dhtl"), 0o755);
  }
  if (targets.length > 1) {
    const lines: string[] = [];
    for (const file of built) lines.push(`${await sha256File(file)}  ${file.slice(outRoot.length + 1)}`);
    await Bun.write(join(outRoot, "SHA256SUMS"), `${lines.sort((a, b) => a.slice(66).localeCompare(b.slice(66))).join("\n")}\n`);
  }
}

if (import.meta.main) await cli();
