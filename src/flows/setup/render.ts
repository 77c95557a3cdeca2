/** The human form of a setup plan (`dhtl setup --dry-run`); --json prints the plan object itself. */
import type { SetupPlan } from "./plan.ts";

const q = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export function renderPlan(plan: SetupPlan): string {
  const lines: string[] = [];
  const py = plan.python;
  lines.push(`Setup plan for ${plan.envDir === "." ? plan.envRoot : `${plan.envDir} (${plan.envRoot})`}`);
  lines.push("");
  lines.push(`Python: ${py.executable ? `${py.version} (${py.source}) ${py.executable}` : "not resolved"}`);
  lines.push(`  requested: ${py.request ?? "(nothing: newest suitable)"}${py.requestOrigin ? ` from ${py.requestOrigin}` : ""}`);
  for (const c of py.chain) lines.push(`  ${c.outcome.padEnd(7)} ${c.step}: ${c.why}`);
  if (py.problem) lines.push(`  problem: ${py.problem}`);
  if (py.version && py.request && /^\d+\.\d+\.\d+$/.test(py.request) && py.version !== py.request) {
    lines.push(`  warning: ${py.request} was requested; ${py.version} (another patch of the same minor) replaces it (--strict refuses that)`);
  }
  lines.push(`Venv: ${plan.venv.linkPath}${plan.venv.venvPath !== plan.venv.linkPath ? ` → ${plan.venv.venvPath}` : ""} (${plan.venv.why})`);
  lines.push(`uv: ${plan.uv.available ? `${plan.uv.version ?? ""} ${plan.uv.path ?? ""} (${plan.uv.how})` : `not available (${plan.uv.how})`}`);
  lines.push(`Installer: ${plan.mode}${plan.lockFile ? `; lock file ${plan.lockFile.path}: ${plan.lockFile.note}` : ""}`);
  const r = plan.registries;
  lines.push(`Registries: ${r.noIndex ? "--no-index" : r.indexUrl}${r.origins.indexUrl ? ` (${r.origins.indexUrl})` : ""}`);
  for (const u of r.extraIndexUrls) lines.push(`  extra index: ${u}`);
  for (const f of r.findLinks) lines.push(`  find-links:  ${f}`);
  for (const h of r.trustedHosts) lines.push(`  trusted:     ${h}`);
  if (r.indexStrategy && !r.noIndex) lines.push(`  uv strategy: ${r.indexStrategy} (${r.origins.indexStrategy ?? "configured"})`);
  lines.push(`Extras: ${plan.extras.join(", ") || "none"}   Groups: ${plan.groups.join(", ") || "none"}`);
  if (plan.optional) {
    const label = (p: NonNullable<SetupPlan["optional"]>["parts"][number]) => (p.kind === "package" ? `${p.name} (${p.in})` : p.kind === "file" ? `-r ${p.name}` : `${p.kind} ${p.name}`);
    const docs = plan.optional.parts.filter((p) => p.kind !== "file");
    const files = plan.optional.parts.filter((p) => p.kind === "file");
    if (docs.length) lines.push(`  may be left out if they cannot install or import (docs/lint/typing): ${docs.map(label).join(", ")}`);
    if (files.length) lines.push(`  may be left out if they cannot install or import (the test route does not use them): ${files.map((p) => `${label(p)} (${p.why})`).join(", ")}`);
  }
  if (plan.testRoute) {
    lines.push(`Test route: ${plan.testRoute.name} (${plan.testRoute.summary})`);
    const width = Math.min(40, Math.max(0, ...plan.testRoute.additions.map((a) => a.item.length)));
    for (const a of plan.testRoute.additions) lines.push(`  + ${a.item.padEnd(width)}  ${a.origin}`);
  }
  if (plan.preferBinary) lines.push(`Prefer binary: ${plan.swaps.length ? plan.swaps.map((s) => `${s.from} → ${s.to}`).join(", ") : "on (nothing to swap)"}`);
  lines.push("");
  lines.push("Commands:");
  let wrote = false;
  for (const c of plan.commands) {
    if (c.step === "install-dependencies" && !wrote) {
      wrote = true;
      for (const f of plan.files) lines.push(`  [install-dependencies] write ${f.path}`, `      # ${f.why}`);
    }
    const env = Object.entries(c.env).map(([k, v]) => `${k}=${q(v)} `).join("");
    lines.push(`  [${c.step}] ${env}${c.argv.map(q).join(" ")}`);
    lines.push(`      # ${c.why}`);
  }
  lines.push(`  [verify] import check of: ${plan.importChecks.join(", ") || "(no direct dependencies)"}`);
  for (const part of plan.parts ?? []) lines.push(part.text);
  lines.push("After install:");
  for (const s of plan.postInstall) lines.push(`  - ${s}`);
  if (plan.notes.length) {
    lines.push("Notes:");
    for (const n of plan.notes) lines.push(`  - ${n}`);
  }
  return lines.join("\n");
}
