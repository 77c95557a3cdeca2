import { terminalSafe } from "./terminal-safe.ts";

/** Machine output: one JSON document on stdout, nothing else on stdout in --json mode. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Plain text for stdout (tables, paths): the part of the output a user may pipe. Control
 * characters from untrusted strings inside it are escaped (terminal-safe.ts); `styled` is for
 * text whose colours dhtl added itself after escaping what it quotes.
 */
export function printText(text: string, opts: { styled?: boolean } = {}): void {
  const safe = opts.styled ? text : terminalSafe(text);
  process.stdout.write(safe.endsWith("\n") ? safe : `${safe}\n`);
}

/** Render rows as aligned columns (no colours, so it pipes cleanly). */
export function formatTable(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return all
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}
