#!/usr/bin/env bun
/**
 * Make a release: `bun run release` → dist/release/
 *
 *   dhtl-<target>.tar.gz | .zip   one per target, holding just the executable
 *   SHA256SUMS                     sha256sum lines for the archives
 *   install.sh, install.ps1        the installers with this version, the release base URL
 *                                  and the archive checksums written in
 *   VERSION                        the bare version (what `dhtl self update` asks for first)
 *
 * Upload the directory's contents as <base>/v<version>/ and copy them to <base>/latest/
 * (layout: src/self/release-layout.ts). The archives are deterministic: the same
 * executables always give byte-identical archives (fixed mtimes, owners, gzip header).
 *
 *   --version 1.2.3        default: package.json
 *   --targets linux-x64,…  default: all eight
 *   --out DIR              default: dist/release (executables are built in DIR.build/)
 *   --release-base URL     default: $DHTL_RELEASE_BASE, else the fallback in release-layout.ts
 *   --level 1..9           gzip/deflate level (default 9; tests use 1 for speed)
 */
import { mkdir, readFile, rm, writeFile, chmod } from "node:fs/promises";
import { join, resolve } from "node:path";
import pkg from "../package.json";
import { buildTargets, flagValue, parseTarget, repoRoot, targetName, type Target } from "./build.ts";
import { checkArtifacts, formatReport } from "./check-artifacts.ts";
import { writeSingleFileTarGz, writeSingleFileZip } from "../src/self/archive.ts";
import {
  FALLBACK_RELEASE_BASE,
  archiveName,
  executableName,
  formatSha256Sums,
  isWindowsTarget,
  normaliseVersion,
  releaseTargets,
} from "../src/self/release-layout.ts";

type Level = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export interface ReleaseOptions {
  version: string;
  targets: readonly string[];
  outDir: string;
  releaseBase: string;
  level?: Level;
  log?: (line: string) => void;
  /** Sign SHA256SUMS (SHA256SUMS.sig) with this Ed25519 private key file (default: DHTL_RELEASE_SIGNING_KEY). */
  signingKey?: string;
  /** PEM public key(s) built into the executables for `self update` (default: DHTL_RELEASE_PUBLIC_KEY's file). */
  releaseKeys?: string;
}

export interface ReleaseResult {
  outDir: string;
  version: string;
  archives: Record<string, string>;
  sums: Map<string, string>;
}

const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** The placeholders each installer template carries, and what replaces them. */
export function installerValues(version: string, releaseBase: string, sumsText: string): Record<string, string> {
  return {
    __DHTL_VERSION__: version,
    __DHTL_RELEASE_BASE__: releaseBase.replace(/\/+$/, ""),
    __DHTL_SHA256SUMS__: sumsText.trimEnd(),
  };
}

/** Replace every placeholder; refuse if one is missing from the template or left over. */
export function renderTemplate(template: string, values: Record<string, string>, name: string): string {
  let out = template;
  for (const [key, value] of Object.entries(values)) {
    if (!out.includes(key)) throw new Error(`${name} has no ${key} placeholder`);
    // values are hex digits, file names, a version and a URL: no quote can break the scripts,
    // but say so loudly if one ever does
    if (/['`$"\\]/.test(value)) throw new Error(`${key} value ${JSON.stringify(value)} contains a quote or $, which would break ${name}`);
    out = out.split(key).join(value);
  }
  const leftover = /__DHTL_[A-Z0-9_]+__/.exec(out);
  if (leftover) throw new Error(`${name} still contains ${leftover[0]} after templating`);
  return out;
}

export async function makeRelease(options: ReleaseOptions): Promise<ReleaseResult> {
  const log = options.log ?? console.error;
  const version = normaliseVersion(options.version);
  const outDir = resolve(options.outDir);
  const buildDir = `${outDir}.build`;
  const targets: Target[] = options.targets.map(parseTarget);
  await rm(outDir, { recursive: true, force: true });
  await rm(buildDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  await buildTargets(targets, buildDir, { version, releaseBase: options.releaseBase, ...(options.releaseKeys !== undefined ? { releaseKeys: options.releaseKeys } : {}) }, log);
  const report = await checkArtifacts(buildDir, { expectVersion: version });
  log(formatReport(report));
  if (!report.ok) throw new Error("artifact check failed; nothing was released");

  const sums = new Map<string, string>();
  const archives: Record<string, string> = {};
  for (const target of targets.map(targetName)) {
    const exe = executableName(target);
    const data = new Uint8Array(await readFile(join(buildDir, `dhtl-${target}`, exe)));
    const bytes = isWindowsTarget(target) ? writeSingleFileZip(exe, data, options.level ?? 9) : writeSingleFileTarGz(exe, data, 0o755, options.level ?? 9);
    const name = archiveName(target);
    await writeFile(join(outDir, name), bytes);
    sums.set(name, sha256(bytes));
    archives[target] = join(outDir, name);
    log(`packed ${name} (${(bytes.length / 1e6).toFixed(1)} MB)`);
  }
  const sumsText = formatSha256Sums(sums);
  await writeFile(join(outDir, "SHA256SUMS"), sumsText);
  // Signed checksums: `dhtl self update` verifies them with the key built into it.
  const signingKey = options.signingKey ?? process.env.DHTL_RELEASE_SIGNING_KEY;
  if (signingKey) {
    const { loadPrivateKey, serializeSignature, signManifest } = await import("../src/bundle/sign.ts");
    const signature = await signManifest(new TextEncoder().encode(sumsText), await loadPrivateKey(signingKey));
    await writeFile(join(outDir, "SHA256SUMS.sig"), serializeSignature(signature));
    log(`signed SHA256SUMS with key ${signature.keyId}`);
  }
  await writeFile(join(outDir, "VERSION"), `${version}\n`);
  const values = installerValues(version, options.releaseBase, sumsText);
  for (const name of ["install.sh", "install.ps1"]) {
    const template = await readFile(join(repoRoot, name), "utf8");
    await writeFile(join(outDir, name), renderTemplate(template, values, name));
  }
  await chmod(join(outDir, "install.sh"), 0o755);
  await rm(buildDir, { recursive: true, force: true });
  return { outDir, version, archives, sums };
}

if (import.meta.main) {
  try {
    const args = process.argv.slice(2);
    const level = Number(flagValue(args, "--level") ?? 9);
    if (!Number.isInteger(level) || level < 1 || level > 9) throw new Error("--level must be 1..9");
    const result = await makeRelease({
      version: flagValue(args, "--version") ?? pkg.version,
      targets: flagValue(args, "--targets")?.split(",").filter(Boolean) ?? releaseTargets,
      outDir: flagValue(args, "--out") ?? join(repoRoot, "dist", "release"),
      releaseBase: flagValue(args, "--release-base") ?? process.env.DHTL_RELEASE_BASE ?? FALLBACK_RELEASE_BASE,
      level: level as Level,
    });
    console.error(`release ${result.version} written to ${result.outDir}`);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
