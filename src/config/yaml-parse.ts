/**
 * Bun.YAML.parse with errors a user can act on: Bun reports only a reason ("Unexpected
 * token"), so the position is found by src/config/syntax-position.ts.
 */
import { usageError, type DhtError } from "../errors.ts";
import { locateSyntaxError } from "./syntax-position.ts";

function parses(text: string): boolean {
  try {
    Bun.YAML.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The 1-based line and column of the syntax error in `source` (which must fail to parse). */
export const locateYamlError = (source: string) => locateSyntaxError(source, parses);

/** Bun's message without its "YAML Parse error: " prefix, lower-cased first letter. */
function bunReason(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const reason = raw.replace(/^YAML Parse error:\s*/i, "").trim() || "invalid YAML";
  return reason[0]!.toLowerCase() + reason.slice(1);
}

/**
 * Parse one YAML document. Errors are DhtErrors (exit 2) whose message and subject name
 * `displayPath:line:column`.
 */
export function parseYamlSource(source: string, displayPath: string): unknown {
  try {
    return Bun.YAML.parse(source);
  } catch (error) {
    throw yamlSyntaxError(source, displayPath, error);
  }
}

function yamlSyntaxError(source: string, displayPath: string, error: unknown): DhtError {
  if (error instanceof RangeError) {
    return usageError(`${displayPath}: the YAML is nested too deeply to read`, {
      subject: displayPath,
      hint: "a configuration needs only a few levels of nesting; look for runaway brackets or indentation",
    });
  }
  const reason = bunReason(error);
  if (/aliasing/i.test(reason)) {
    const line = source.split(/\r\n|\r|\n/).findIndex((l) => /(^|[\s,[{])\*[^\s,\]}]/.test(l)) + 1;
    const where = `${displayPath}:${Math.max(line, 1)}`;
    return usageError(`${where}: YAML aliases expand to too many values (${reason})`, {
      subject: where,
      hint: "write the values out, or use fewer nested aliases (*name)",
    });
  }
  const { line, column } = locateYamlError(source);
  const where = `${displayPath}:${line}:${column}`;
  const tabs = /tab/i.test(reason);
  return usageError(`${where}: YAML syntax error: ${reason}`, {
    subject: where,
    hint: tabs
      ? "indent with spaces; YAML does not allow tabs for indentation"
      : "check the indentation, colons, quotes and brackets around that position",
  });
}
