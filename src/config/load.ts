/**
 * Read one `.dhtconfig`: size and encoding checks, YAML parse with positions, schema
 * validation. Every problem becomes a DhtError with exit status 2 that lists each invalid
 * field as `file:line path: message`. Nothing here writes anything.
 */
import { readProjectBytes } from "../project/read-project-file.ts";
import { usageError } from "../errors.ts";
import type { DhtConfigFile } from "./schema.ts";
import { formatPath, validateConfigValue, type ConfigIssue, type ConfigWarning } from "./validate.ts";
import { parseYamlSource } from "./yaml-parse.ts";
import { outlineYaml, lineOf, type PathSegment, type YamlOutline } from "./yaml-outline.ts";

export const CONFIG_FILE_NAME = ".dhtconfig";
/** A configuration is a few kilobytes; anything this big is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadedConfig {
  /** The validated top-level layer (environments included, shorthands expanded). */
  config: DhtConfigFile;
  /** How the file is named in messages and origins (".dhtconfig", "../.dhtconfig"). */
  displayPath: string;
  outline: YamlOutline;
  warnings: ConfigWarning[];
  /** 1-based line of a dotted path (nearest parent when the path is not written out). */
  lineOf(path: readonly PathSegment[]): number;
}

/** "file:line path: message" — the one format every config problem is printed in. */
export function formatConfigProblem(displayPath: string, problem: ConfigIssue | ConfigWarning): string {
  return `${displayPath}:${problem.line} ${formatPath(problem.path)}: ${problem.message}`;
}

const tooLarge = (displayPath: string, size: number) =>
  usageError(`${displayPath} is ${size} bytes; a configuration is expected to be far smaller`, {
    subject: displayPath,
    hint: `is this the right file? dhtl reads at most ${MAX_CONFIG_BYTES} bytes`,
  });

/** Validate `.dhtconfig` text. Throws DhtError (exit 2) naming file:line for every problem. */
export function loadConfigSource(source: string, displayPath = CONFIG_FILE_NAME): LoadedConfig {
  if (source.length > MAX_CONFIG_BYTES) throw tooLarge(displayPath, source.length);
  const nul = source.indexOf("\u0000");
  if (nul >= 0) {
    const line = source.slice(0, nul).split("\n").length;
    throw usageError(`${displayPath}:${line}: contains a NUL byte; this is not a text file`, {
      subject: `${displayPath}:${line}`,
      hint: "a .dhtconfig is UTF-8 YAML text",
    });
  }
  const text = source.replace(/^\uFEFF/, "");
  const value = parseYamlSource(text, displayPath);
  if (Array.isArray(value) && /^---/m.test(text) && text.split(/^---/m).filter((d) => d.trim() !== "").length > 1) {
    throw usageError(`${displayPath}: contains several YAML documents (separated by ---); dhtl reads exactly one`, {
      subject: displayPath,
      hint: "merge the documents into one, or remove the extra --- lines",
    });
  }
  const outline = outlineYaml(text);
  const result = validateConfigValue(value, outline);
  if (result.issues.length || !result.config) {
    const lines = result.issues.map((issue) => formatConfigProblem(displayPath, issue));
    const first = result.issues[0];
    const message = lines.length === 1 ? lines[0]! : `${displayPath} has ${lines.length} problems:\n  ${lines.join("\n  ")}`;
    throw usageError(message, {
      subject: first ? `${displayPath}:${first.line}` : displayPath,
      hint: "fix the fields above; `dhtl config validate` checks the file again, docs/config.md lists every key",
      details: {
        issues: result.issues.map((issue) => ({ file: displayPath, line: issue.line, path: formatPath(issue.path), message: issue.message })),
      },
    });
  }
  return {
    config: result.config,
    displayPath,
    outline,
    warnings: result.warnings,
    lineOf: (path) => lineOf(outline, path).line,
  };
}

/** Read and validate a `.dhtconfig` file. */
export async function loadConfigFile(path: string, displayPath = CONFIG_FILE_NAME): Promise<LoadedConfig> {
  // Bounded, regular files only (a .dhtconfig that is a directory, a fifo or a link to
  // /dev/zero is refused by name, never read).
  const read = readProjectBytes(path, { display: displayPath, maxBytes: MAX_CONFIG_BYTES, what: "a .dhtconfig" });
  if (!read) {
    throw usageError(`cannot read ${displayPath}: no such file`, {
      subject: displayPath,
      hint: "the project configuration must be a readable YAML file",
    });
  }
  const bytes = read.bytes;
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge(displayPath, bytes.length);
  let source: string;
  try {
    source = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw usageError(`${displayPath} is not UTF-8 text`, { subject: displayPath, hint: "save the file as UTF-8" });
  }
  return loadConfigSource(source, displayPath);
}
