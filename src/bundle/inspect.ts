/**
 * `dhtl bundle inspect`: what a bundle holds and whether it verifies, without installing or
 * unpacking anything (a .tar.gz is read as a stream). Unlike openBundle it does not stop at
 * the first problem: every file's check and the signature status are reported.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import { formatBytes } from "../ui/progress.ts";
import type { BundleFileKind, BundleManifest } from "./types.ts";
import { checkSignature, describeProblem, scanDirectory, scanTarGz, verifyTree, type FileCheck, type SignaturePolicy } from "./verify.ts";

export type InspectSignature =
  | { state: "unsigned"; required: boolean }
  | { state: "valid"; keyId: string }
  | { state: "not-checked"; keyId: string; why: string }
  | { state: "invalid"; why: string };

export interface InspectReport {
  path: string;
  /** sha256 of the .tar.gz (undefined for a directory). */
  sha256?: string;
  ok: boolean;
  manifest: BundleManifest;
  files: Array<FileCheck & { kind?: BundleFileKind; platform?: string }>;
  signature: InspectSignature;
}

export async function inspectBundle(path: string, policy: SignaturePolicy): Promise<InspectReport> {
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (cause) {
    throw new DhtError(ExitCode.usage, `${abs} does not exist`, { subject: abs, hint: "pass a bundle file (.tar.gz) or an unpacked bundle directory", cause });
  }
  let tree;
  try {
    tree = isDir ? await scanDirectory(abs) : await scanTarGz(abs);
  } catch (cause) {
    if (isDhtError(cause)) throw cause;
    throw new DhtError(ExitCode.failed, `${abs} cannot be read as a bundle: ${(cause as Error).message} (truncated or not a .tar.gz)`, {
      subject: abs,
      hint: "copy the bundle again from the connected machine and compare its sha256",
      cause,
    });
  }
  const report = verifyTree(tree, abs);
  let signature: InspectSignature;
  try {
    const status = await checkSignature(report.manifestBytes, tree.signatureText, policy, abs);
    signature = status.state === "unsigned" ? { state: "unsigned", required: false } : status;
  } catch (error) {
    if (!isDhtError(error)) throw error;
    signature = tree.signatureText === undefined ? { state: "unsigned", required: true } : { state: "invalid", why: `${error.message}${error.hint ? ` (${error.hint})` : ""}` };
  }
  const byPath = new Map(report.manifest.files.map((f) => [f.path, f]));
  const files = report.files.map((check) => {
    const entry = byPath.get(check.path);
    return { ...check, ...(entry ? { kind: entry.kind, ...(entry.platform ? { platform: entry.platform } : {}) } : {}) };
  });
  const signatureOk = signature.state !== "invalid" && !(signature.state === "unsigned" && signature.required);
  return { path: abs, ...(tree.archiveSha256 ? { sha256: tree.archiveSha256 } : {}), ok: report.ok && signatureOk, manifest: report.manifest, files, signature };
}

export function describeSignature(sig: InspectSignature): string {
  switch (sig.state) {
    case "unsigned":
      return sig.required ? "NOT SIGNED, but a signature is required" : "not signed";
    case "valid":
      return `valid (key ${sig.keyId})`;
    case "not-checked":
      return `signed by key ${sig.keyId}, not checked: ${sig.why}`;
    case "invalid":
      return `INVALID: ${sig.why}`;
  }
}

export function renderInspect(report: InspectReport, verbose: boolean): string {
  const m = report.manifest;
  const lines = [
    `Bundle:     ${report.path}${report.sha256 ? `\n  sha256:   ${report.sha256}` : ""}`,
    `Made by:    dhtl ${m.dhtl.version} (${m.dhtl.commit}) at ${m.created}`,
    `Project:    ${m.project.name ?? "(unnamed)"}; environments: ${m.project.environments.join(", ")}${m.project.pythonRequest ? `; Python request ${m.project.pythonRequest}` : ""}`,
    "Platforms:",
  ];
  for (const p of m.platforms) {
    lines.push(`  ${p.key}`);
    for (const b of p.pythons) {
      lines.push(`    CPython ${b.version} (build ${b.build}, ${b.flavor}) ${b.path}`);
      if (b.bytecode) lines.push(`      stdlib modules setup imports, precompiled: ${b.bytecode}`);
    }
    lines.push(`    uv ${p.uv.version} from ${p.uv.wheel}`);
    for (const [dir, set] of Object.entries(p.wheels)) {
      lines.push(`    ${dir === "." ? "project" : dir}: ${set.files.length} wheels for Python ${set.python} in ${set.dir}${set.bytecode ? ` (precompiled: ${set.bytecode})` : ""}`);
      for (const x of set.missing) lines.push(`      MISSING ${x.requirement}: ${x.reason}`);
    }
    if (p.dhtl) lines.push(`    dhtl ${p.dhtl}`);
  }
  const total = m.files.reduce((n, f) => n + f.size, 0);
  lines.push(`Files:      ${m.files.length}, ${formatBytes(total)}`);
  const kinds = new Map<string, { n: number; bytes: number }>();
  for (const f of m.files) {
    const k = kinds.get(f.kind) ?? { n: 0, bytes: 0 };
    k.n++;
    k.bytes += f.size;
    kinds.set(f.kind, k);
  }
  for (const [kind, k] of kinds) lines.push(`  ${kind.padEnd(15)} ${String(k.n).padStart(4)} files  ${formatBytes(k.bytes)}`);
  if (verbose) for (const f of report.files) lines.push(`  ${f.ok ? "ok  " : "FAIL"} ${f.path}${f.expected ? `  ${formatBytes(f.expected.size)}  ${f.expected.sha256}` : ""}`);
  const bad = report.files.filter((f) => !f.ok);
  lines.push(bad.length ? `Checksums:  FAILED, ${bad.length} problem${bad.length === 1 ? "" : "s"}:` : `Checksums:  ok, all ${report.files.length} files match the manifest`);
  for (const f of bad) lines.push(`  ${f.path} ${describeProblem(f)}`);
  lines.push(`Signature:  ${describeSignature(report.signature)}`);
  if (m.warnings.length) {
    lines.push("Warnings recorded when it was made:");
    for (const w of m.warnings) lines.push(`  ${w}`);
  }
  lines.push(report.ok ? "Verdict:    OK to use: dhtl setup --offline-bundle <this bundle>" : "Verdict:    REFUSED: dhtl setup will not install from this bundle");
  return lines.join("\n");
}

export function inspectJson(report: InspectReport) {
  return {
    ok: report.ok,
    path: report.path,
    sha256: report.sha256 ?? null,
    dhtl: report.manifest.dhtl,
    created: report.manifest.created,
    project: report.manifest.project,
    platforms: report.manifest.platforms,
    files: report.files.map((f) => ({
      path: f.path,
      kind: f.kind ?? null,
      platform: f.platform ?? null,
      size: f.expected?.size ?? f.actual?.size ?? null,
      sha256: f.expected?.sha256 ?? f.actual?.sha256 ?? null,
      ok: f.ok,
      ...(f.problem ? { problem: f.problem, detail: describeProblem(f) } : {}),
    })),
    verification: { ok: report.files.every((f) => f.ok), problems: report.files.filter((f) => !f.ok).length },
    signature: report.signature,
    warnings: report.manifest.warnings,
  };
}
