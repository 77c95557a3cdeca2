/**
 * `dhtl python pin <request>`: record the project's Python request where dhtl reads it.
 * With a .dhtconfig, its `python.version` line is edited in place (one line; comments,
 * order and formatting of everything else kept); otherwise `.python-version` is written.
 *
 * The value is always written quoted: YAML reads an unquoted 3.10 as the float 3.1.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";

/** Edit (or add) `python.version` in a .dhtconfig source. Pure; throws when the shape cannot be edited safely. */
export function setPythonVersionInYaml(source: string, value: string, outline: { versionLine?: number; pythonLine?: number }, file = ".dhtconfig"): string {
  const eol = source.includes("\r\n") ? "\r\n" : "\n";
  const lines = source.split(/\r?\n/);
  const quoted = JSON.stringify(value);
  if (outline.versionLine) {
    const i = outline.versionLine - 1;
    const line = lines[i]!;
    const m = /^(\s*version\s*:\s*)(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#]+)?(\s*(?:#.*)?)$/.exec(line);
    if (!m) {
      throw new DhtError(ExitCode.usage, `cannot edit python.version in ${file}:${outline.versionLine} safely`, {
        subject: `${file}:${outline.versionLine}`,
        hint: `set it by hand: version: ${quoted}`,
      });
    }
    lines[i] = `${m[1]}${quoted}${m[2] ?? ""}`;
    return lines.join(eol);
  }
  if (outline.pythonLine) {
    const i = outline.pythonLine - 1;
    const line = lines[i]!;
    if (!/^python\s*:\s*(#.*)?$/.test(line)) {
      throw new DhtError(ExitCode.usage, `python: in ${file}:${outline.pythonLine} is written in flow style and cannot be edited safely`, {
        subject: `${file}:${outline.pythonLine}`,
        hint: `add version: ${quoted} to it by hand`,
      });
    }
    // Indent like the first child of python:, else two spaces.
    const child = lines.slice(i + 1).find((l) => l.trim() && !l.trim().startsWith("#"));
    const indent = child && /^\s+/.test(child) ? /^\s+/.exec(child)![0] : "  ";
    lines.splice(i + 1, 0, `${indent}version: ${quoted}`);
    return lines.join(eol);
  }
  const body = source.length && !source.endsWith("\n") ? `${source}${eol}` : source;
  return `${body}python:${eol}  version: ${quoted}${eol}`;
}

export interface PinResult {
  file: string;
  kind: ".dhtconfig" | ".python-version";
  previous?: string;
}

/** Write the pin for the project at `cwd` (its root is found like every other command). */
export async function pinPython(cwd: string, value: string): Promise<PinResult> {
  const { findProjectRoot } = await import("../config/project-root.ts");
  const { writeFileAtomic } = await import("../config/write-atomic.ts");
  const project = await findProjectRoot(cwd);
  if (project.configFile) {
    const { outlineYaml, lineOf, scalarText } = await import("../config/yaml-outline.ts");
    const source = await readFile(project.configFile, "utf8");
    const outline = outlineYaml(source);
    const version = lineOf(outline, ["python", "version"]);
    const python = lineOf(outline, ["python"]);
    const previous = version.exact ? scalarText(outline, ["python", "version"]) : undefined;
    const next = setPythonVersionInYaml(source, value, { versionLine: version.exact ? version.line : undefined, pythonLine: python.exact ? python.line : undefined }, project.configFile);
    // Check that the result still parses and says what we meant.
    let parsed: { python?: { version?: unknown } } | undefined;
    try {
      parsed = Bun.YAML.parse(next) as typeof parsed;
    } catch {}
    if (String(parsed?.python?.version) !== value) {
      throw new DhtError(ExitCode.failed, `editing ${project.configFile} would not set python.version to ${value}; it was left unchanged`, {
        subject: project.configFile,
        hint: `set python.version: "${value}" by hand`,
      });
    }
    await writeFileAtomic(project.configFile, next, { overwrite: true });
    return { file: project.configFile, kind: ".dhtconfig", previous };
  }
  const file = join(project.root, ".python-version");
  const previous = await readFile(file, "utf8").then((t) => t.split(/\r?\n/).find((l) => l.trim() && !l.startsWith("#"))?.trim(), () => undefined);
  await writeFileAtomic(file, `${value}\n`, { overwrite: true });
  return { file, kind: ".python-version", previous };
}
