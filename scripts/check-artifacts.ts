#!/usr/bin/env bun
/**
 * Check built executables before anyone ships them.
 *
 *   bun scripts/check-artifacts.ts [DIST_DIR] [--version 1.2.3] [--require-emulation]
 *
 * For every dist/dhtl-<target>/dhtl[.exe] present:
 *  - the header says the right format and CPU: ELF e_machine (x86-64 / AArch64), Mach-O
 *    cputype, PE machine (+ PE32+, console subsystem);
 *  - ELF: PT_INTERP names the glibc loader for glibc targets and the musl loader for musl
 *    targets; glibc targets need no symbol version newer than GLIBC_2.17 (readelf);
 *  - smoke runs where this host can run it: linux-x64 natively, linux-arm64 under
 *    qemu-user with an arm64 glibc sysroot (.cache/sysroot-arm64, made by
 *    scripts/test-prereqs.sh). `--version` must name the expected version and target,
 *    `info --json` must parse and report the target's os/arch, and a hostile bunfig.toml
 *    in the working directory must not be loaded (the build disables autoload).
 *  - dist/SHA256SUMS, when present, matches every file.
 * musl, macOS and Windows executables cannot run here; their headers are all we check.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseSha256Sums, parseVersionLine } from "../src/self/release-layout.ts";
import { headerProblems, inspectHeader, type HeaderFacts } from "../src/self/executable-format.ts";
export { headerProblems, inspectHeader, type HeaderFacts };
import { sha256File } from "./build.ts";

export const arm64Sysroot = join(import.meta.dir, "..", ".cache", "sysroot-arm64");

export interface SignatureFacts {
  /** CodeDirectory flags (0x20002 = adhoc + linker-signed). */
  flags: number;
  pages: number;
  badPages: number;
  /** Bytes covered by the page hashes; must reach the signature itself. */
  codeLimit: number;
  signatureOffset: number;
}

/**
 * Re-hash every page the Mach-O CodeDirectory covers and compare. macOS kills executables
 * whose signature does not match (exit 137); Bun's darwin-x64 output has carried a stale
 * signature (notes §2), so the release report says which builds must be re-signed on a Mac.
 */
export function checkMachoSignature(file: Uint8Array, facts: HeaderFacts): SignatureFacts | undefined {
  if (facts.signatureOffset === undefined || facts.signatureSize === undefined) return undefined;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const sb = facts.signatureOffset;
  if (sb + 12 > file.length || view.getUint32(sb) !== 0xfade0cc0) return undefined; // SuperBlob, big-endian
  const count = view.getUint32(sb + 8);
  for (let i = 0; i < count; i++) {
    const type = view.getUint32(sb + 12 + i * 8);
    const cd = sb + view.getUint32(sb + 16 + i * 8);
    if (type !== 0 || view.getUint32(cd) !== 0xfade0c02) continue; // the CodeDirectory
    const flags = view.getUint32(cd + 12);
    const hashOffset = view.getUint32(cd + 16);
    const nCodeSlots = view.getUint32(cd + 28);
    const codeLimit = view.getUint32(cd + 32);
    const hashSize = view.getUint8(cd + 36);
    const hashType = view.getUint8(cd + 37);
    const pageSize = 2 ** view.getUint8(cd + 39);
    if (hashType !== 2 || hashSize !== 32) return undefined; // only SHA-256 directories are checked
    let badPages = 0;
    for (let page = 0; page < nCodeSlots; page++) {
      const start = page * pageSize;
      const data = file.subarray(start, Math.min(start + pageSize, codeLimit));
      const actual = new Bun.CryptoHasher("sha256").update(data).digest();
      const expected = file.subarray(cd + hashOffset + page * 32, cd + hashOffset + page * 32 + 32);
      if (!Buffer.from(actual).equals(expected)) badPages++;
    }
    return { flags, pages: nCodeSlots, badPages, codeLimit, signatureOffset: sb };
  }
  return undefined;
}

export function highestGlibc(path: string): string | undefined {
  const r = Bun.spawnSync(["readelf", "-V", "--wide", path]);
  if (!r.success) throw new Error(`readelf failed on ${path}: ${r.stderr.toString().trim()}`);
  const versions = [...new Set(r.stdout.toString().match(/GLIBC_\d+(?:\.\d+)*/g) ?? [])].map((v) => v.slice(6));
  return versions.sort((a, b) => Bun.semver.order(semverish(a), semverish(b))).at(-1);
}
const semverish = (v: string) => [...v.split("."), "0", "0"].slice(0, 3).join(".");

export interface SmokeResult {
  how: string;
  versionLine?: string;
  info?: unknown;
  problems: string[];
}

/** Run --version and info --json (under qemu when needed) in a directory with a hostile bunfig.toml. */
export function smokeRun(path: string, target: string, expectVersion: string | undefined, prefix: string[] = []): SmokeResult {
  const problems: string[] = [];
  const cwd = mkdtempSync(join(tmpdir(), "dhtl-smoke-"));
  const marker = join(cwd, "bunfig-was-loaded");
  // Were bunfig autoload on, the preload would run inside the user's project: prove it is not.
  writeFileSync(join(cwd, "bunfig.toml"), `preload = ["./preload.js"]\n`);
  writeFileSync(join(cwd, "preload.js"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "1");\n`);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, DHT_HOME: join(cwd, "dht-home"), NO_COLOR: "1" };
  const run = (args: string[]) => {
    try {
      return Bun.spawnSync([...prefix, path, ...args], { cwd, env, timeout: 60_000 });
    } catch (error) {
      // e.g. ENOEXEC: report it as a finding, like any other failed run
      const message = new TextEncoder().encode(`cannot start: ${(error as Error).message}`);
      return { success: false, exitCode: null, stdout: Buffer.alloc(0), stderr: Buffer.from(message) };
    }
  };
  const version = run(["--version"]);
  const versionLine = version.stdout.toString().trim();
  if (!version.success) problems.push(`--version exited ${version.exitCode}: ${version.stderr.toString().trim().slice(0, 300)}`);
  const parsed = parseVersionLine(versionLine);
  if (!parsed) problems.push(`--version printed ${JSON.stringify(versionLine)}`);
  else {
    if (parsed.target !== target) problems.push(`--version names target ${parsed.target}, expected ${target}`);
    if (expectVersion && parsed.version !== expectVersion) problems.push(`--version names ${parsed.version}, expected ${expectVersion}`);
  }
  const infoRun = run(["info", "--json"]);
  let info: unknown;
  try {
    info = JSON.parse(infoRun.stdout.toString());
    // `info` is another area's command: check only what any version of it reports,
    // the OS and CPU it runs on (in either vocabulary) and, when present, the build target.
    const facts = info as { os?: string; arch?: string; dhtl?: { target?: string } };
    const [os, arch] = target.split("-") as [string, string];
    const archNames = arch === "x64" ? ["x64", "x86_64"] : ["arm64", "aarch64"];
    if (facts.os !== os || !archNames.includes(String(facts.arch))) problems.push(`info --json reports ${facts.os}/${facts.arch}, expected ${os}/${arch}`);
    if (facts.dhtl?.target !== undefined && facts.dhtl.target !== target) problems.push(`info --json reports build target ${facts.dhtl.target}, expected ${target}`);
  } catch {
    problems.push(`info --json exited ${infoRun.exitCode} and printed no JSON: ${infoRun.stderr.toString().trim().slice(0, 300)}`);
  }
  if (existsSync(marker)) problems.push("a bunfig.toml in the working directory was loaded (autoloadBunfig must be off)");
  rmSync(cwd, { recursive: true, force: true });
  return { how: prefix.length ? prefix.join(" ") : "native", versionLine, info, problems };
}

export interface ArtifactResult {
  target: string;
  path: string;
  header: HeaderFacts;
  glibc?: string;
  smoke?: SmokeResult;
  skipped: string[];
  problems: string[];
  signature?: SignatureFacts;
  /** Findings that do not stop a build but must be acted on before publishing. */
  warnings: string[];
}

export interface CheckOptions {
  expectVersion?: string;
  /** Fail (instead of skipping with a note) when linux-arm64 cannot be run under qemu. */
  requireEmulation?: boolean;
  sysroot?: string;
}

export interface Report {
  ok: boolean;
  artifacts: ArtifactResult[];
  problems: string[];
}

export async function checkArtifact(path: string, target: string, options: CheckOptions = {}): Promise<ArtifactResult> {
  const head = new Uint8Array(await Bun.file(path).slice(0, 64 * 1024).arrayBuffer());
  const header = inspectHeader(head);
  const result: ArtifactResult = { target, path, header, skipped: [], problems: headerProblems(target, header), warnings: [] };
  if (header.format === "macho" && header.codeSignature) {
    result.signature = checkMachoSignature(await Bun.file(path).bytes(), header);
    const sig = result.signature;
    if (!sig) result.warnings.push("code signature could not be read");
    else if (sig.badPages || sig.codeLimit !== sig.signatureOffset) {
      result.warnings.push(
        `code signature does not match the file (${sig.badPages} of ${sig.pages} pages differ, covers ${sig.codeLimit} of ${sig.signatureOffset} bytes): re-sign on macOS (codesign --remove-signature; codesign -s - -f) before publishing`,
      );
    }
  }
  if (target === "linux-x64" || target === "linux-arm64") {
    result.glibc = highestGlibc(path);
    if (!result.glibc) result.problems.push("no GLIBC_ symbol versions found: not a glibc executable?");
    else if (Bun.semver.order(semverish(result.glibc), "2.17.0") > 0) result.problems.push(`needs GLIBC_${result.glibc}, newer than the supported 2.17`);
  }
  const hostArch = process.arch === "arm64" ? "arm64" : "x64";
  if (result.problems.length) {
    result.skipped.push("not run: the header is wrong");
  } else if (process.platform === "linux" && target === `linux-${hostArch}`) {
    result.smoke = smokeRun(path, target, options.expectVersion);
  } else if (process.platform === "linux" && hostArch === "x64" && target === "linux-arm64") {
    const sysroot = options.sysroot ?? arm64Sysroot;
    const qemu = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
    if (qemu && existsSync(join(sysroot, "lib", "ld-linux-aarch64.so.1"))) {
      result.smoke = smokeRun(path, target, options.expectVersion, [qemu, "-L", sysroot]);
    } else {
      const why = qemu ? `no arm64 sysroot at ${sysroot} (scripts/test-prereqs.sh makes it)` : "qemu-user-static is not installed";
      if (options.requireEmulation) result.problems.push(`cannot run under qemu: ${why}`);
      else result.skipped.push(`run under qemu skipped: ${why}`);
    }
  } else {
    result.skipped.push("cannot run on this host; header checked only");
  }
  if (result.smoke) result.problems.push(...result.smoke.problems.map((p) => `${result.smoke!.how}: ${p}`));
  return result;
}

/** Check every dhtl-<target>/ executable under distDir, and distDir/SHA256SUMS if present. */
export async function checkArtifacts(dir: string, options: CheckOptions = {}): Promise<Report> {
  const distDir = resolve(dir);
  const artifacts: ArtifactResult[] = [];
  const problems: string[] = [];
  for (const entry of readdirSync(distDir).filter((e) => e.startsWith("dhtl-")).sort()) {
    const target = entry.slice("dhtl-".length);
    const exe = join(distDir, entry, target.startsWith("windows-") ? "dhtl.exe" : "dhtl");
    if (!existsSync(exe)) continue;
    artifacts.push(await checkArtifact(exe, target, options));
  }
  if (!artifacts.length) problems.push(`no dhtl-<target>/ executables in ${distDir}`);
  const sumsFile = join(distDir, "SHA256SUMS");
  if (existsSync(sumsFile)) {
    for (const [name, sha] of parseSha256Sums(await Bun.file(sumsFile).text())) {
      const file = join(distDir, name);
      if (!existsSync(file)) problems.push(`SHA256SUMS lists ${name}, which is missing`);
      else if ((await sha256File(file)) !== sha) problems.push(`SHA256SUMS does not match ${name}`);
    }
  }
  for (const a of artifacts) problems.push(...a.problems.map((p) => `${a.target}: ${p}`));
  return { ok: problems.length === 0, artifacts, problems };
}

export function formatReport(report: Report): string {
  const lines = report.artifacts.map((a) => {
    const facts = [a.header.format, a.header.arch, a.header.interpreter, a.glibc && `GLIBC_${a.glibc}`].filter(Boolean).join(" ");
    const ran = a.smoke ? `ran (${a.smoke.how}): ${a.smoke.versionLine}` : a.skipped.join("; ");
    const sig = a.signature ? ` signature ${a.signature.badPages ? "INVALID" : "ok"}` : "";
    return `${a.problems.length ? "FAIL" : a.warnings.length ? "warn" : "ok  "} ${a.target.padEnd(17)} ${facts}${sig} | ${ran}`;
  });
  for (const a of report.artifacts) lines.push(...a.warnings.map((w) => `warning: ${a.target}: ${w}`));
  if (report.problems.length) lines.push("", ...report.problems.map((p) => `problem: ${p}`));
  return lines.join("\n");
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const vi = args.indexOf("--version");
  const expectVersion = vi >= 0 ? args[vi + 1] : undefined;
  const dir = args.find((a, i) => !a.startsWith("--") && (vi < 0 || i !== vi + 1)) ?? join(import.meta.dir, "..", "dist");
  const report = await checkArtifacts(dir, { expectVersion, requireEmulation: args.includes("--require-emulation") });
  console.log(formatReport(report));
  process.exit(report.ok ? 0 : 1);
}
