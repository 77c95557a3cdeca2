/** The end-of-run summary of `dhtl prepare-offline`: files, sizes, and anything missing. Pure. */
import { formatBytes } from "../../ui/progress.ts";
import type { BundleFileKind, BundleManifest } from "../../bundle/types.ts";
import type { PrepareOfflineResult } from "./run.ts";

const KIND_LABEL: Record<BundleFileKind, string> = { python: "CPython", "python-bytecode": "CPython stdlib bytecode", uv: "uv", "wheel-bytecode": "wheels bytecode", wheel: "wheels", project: "project files", dhtl: "dhtl", system: "system packages (user space)", node: "Node.js" };

/** Count and bytes per file kind, in a fixed order. */
export function sizesByKind(manifest: BundleManifest): Array<{ kind: BundleFileKind; files: number; bytes: number }> {
  const order: BundleFileKind[] = ["python", "python-bytecode", "uv", "wheel", "wheel-bytecode", "system", "node", "dhtl", "project"];
  return order
    .map((kind) => {
      const files = manifest.files.filter((f) => f.kind === kind);
      return { kind, files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
    })
    .filter((k) => k.files > 0);
}

/** One line per platform: Python(s), uv, wheel counts per environment. */
export function platformLines(manifest: BundleManifest): string[] {
  return manifest.platforms.map((p) => {
    const envs = Object.entries(p.wheels)
      .map(([dir, set]) => `${dir === "." ? "" : `${dir}: `}${set.files.length} wheel${set.files.length === 1 ? "" : "s"}${set.missing.length ? `, ${set.missing.length} MISSING` : ""}`)
      .join("; ");
    const pythons = p.pythons.map((b) => `CPython ${b.version}`).join(" + ");
    return `  ${p.key.padEnd(21)} ${pythons}, uv ${p.uv.version}, ${envs}${p.dhtl ? ", dhtl" : ""}`;
  });
}

export function renderPrepareSummary(result: PrepareOfflineResult): string {
  const { bundle } = result;
  const m = bundle.manifest;
  const lines = [
    `Bundle:     ${bundle.output}${bundle.kind === "directory" ? "/" : ""}`,
    `Size:       ${formatBytes(bundle.size)}${bundle.sha256 ? `   sha256 ${bundle.sha256}` : ""}`,
    `Created:    ${m.created} by dhtl ${m.dhtl.version}`,
    `Signature:  ${bundle.signedBy ? `signed (key ${bundle.signedBy})` : "not signed (use --sign KEYFILE)"}`,
    "Platforms:",
    ...platformLines(m),
    `Files:      ${m.files.length} (${sizesByKind(m).map((k) => `${KIND_LABEL[k.kind]} ${k.files}, ${formatBytes(k.bytes)}`).join("; ")})`,
  ];
  if (result.missing.length) {
    lines.push(`MISSING (${result.missing.length}): setup from this bundle fails on these until they are added:`);
    for (const x of result.missing) lines.push(`  ${x.platform}${x.environment === "." ? "" : ` ${x.environment}`}: ${x.requirement}: ${x.reason}`);
  }
  if (result.warnings.length) {
    lines.push("Warnings:");
    for (const w of result.warnings) lines.push(`  ${w}`);
  }
  lines.push(`Prepared in ${result.seconds.toFixed(1)} s. On the air-gapped machine: dhtl setup --offline-bundle ${bundle.output.split(/[\\/]/).pop()}`);
  return lines.join("\n");
}

export function prepareSummaryJson(result: PrepareOfflineResult) {
  const { bundle } = result;
  const m = bundle.manifest;
  return {
    ok: result.missing.length === 0,
    output: bundle.output,
    kind: bundle.kind,
    size: bundle.size,
    sha256: bundle.sha256,
    signedBy: bundle.signedBy ?? null,
    created: m.created,
    seconds: Number(result.seconds.toFixed(2)),
    platforms: m.platforms.map((p) => ({
      key: p.key,
      pythons: p.pythons.map((b) => b.version),
      uv: p.uv.version,
      environments: Object.fromEntries(Object.entries(p.wheels).map(([dir, set]) => [dir, { python: set.python, wheels: set.files.length, missing: set.missing }])),
      dhtl: Boolean(p.dhtl),
    })),
    files: sizesByKind(m),
    missing: result.missing,
    warnings: result.warnings,
  };
}
