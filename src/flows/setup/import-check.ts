/**
 * The import check of `dhtl setup`'s verify step, spread over the cores. Importing a fresh
 * venv's packages is CPU-bound (compiling modules), and one package (pytest, a web framework)
 * often costs as much as all the others together, so a static split does not balance: each
 * worker interpreter takes the next distribution as soon as it is free.
 */
import { availableParallelism } from "node:os";
import { IMPORT_CHECK_SCRIPT, REPORT_MARKER, type ImportReport } from "./verify-script.ts";

export interface ImportCheckOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Worker interpreters (default: the cores, at most 4, at most one per distribution). */
  workers?: number;
}

export interface ImportCheckResult extends ImportReport {
  /** A worker interpreter that died or would not run: its exit status and last output. */
  broken?: { code: number; output: string };
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer) yield buffer;
}

/**
 * The installer's own tools in every venv (seeded by `uv venv --seed` / virtualenv, or put back
 * as hand-installed): not the project's code, and setuptools cannot be imported once another
 * package has imported the standard library's distutils (its distutils hack asserts), which
 * would fail a healthy venv depending on import order.
 */
const INSTALLER_TOOLS = new Set(["pip", "setuptools", "wheel", "distribute"]);

export async function runImportChecks(python: string, allNames: string[], options: ImportCheckOptions): Promise<ImportCheckResult> {
  const result: ImportCheckResult = { checked: [], failed: [], warned: [], missing: [] };
  const names = allNames.filter((n) => !INSTALLER_TOOLS.has(n.toLowerCase()));
  const queue = [...names];
  // At least one worker even with nothing to import: it still proves the interpreter runs.
  const count = Math.max(1, Math.min(options.workers ?? Math.min(availableParallelism(), 4), names.length));

  const worker = async () => {
    const proc = Bun.spawn([python, "-c", IMPORT_CHECK_SCRIPT], {
      cwd: options.cwd,
      env: options.env as Record<string, string>,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const stderr = new Response(proc.stderr).text();
    const lines = linesOf(proc.stdout);
    const noise: string[] = [];
    let alive = true;
    for (let name = queue.shift(); name !== undefined && alive; name = queue.shift()) {
      try {
        proc.stdin.write(`${name}\n`);
        await proc.stdin.flush();
      } catch {
        // EPIPE: the interpreter is gone already; its exit status says why.
        alive = false;
        break;
      }
      // Read until this name's report; `next()` by hand, since leaving a for-await loop
      // would close the generator for the names still to come.
      alive = false;
      for (let next = await lines.next(); !next.done; next = await lines.next()) {
        const line = next.value;
        if (!line.startsWith(REPORT_MARKER)) {
          noise.push(line); // something an imported module printed
          continue;
        }
        const part = JSON.parse(line.slice(REPORT_MARKER.length)) as ImportReport;
        result.checked.push(...part.checked);
        result.failed.push(...part.failed);
        result.warned.push(...part.warned);
        result.missing.push(...part.missing);
        alive = true;
        break;
      }
    }
    try {
      await proc.stdin.end();
    } catch {
      // already closed by a dead interpreter
    }
    const code = await proc.exited;
    if (!alive || code !== 0) {
      result.broken ??= { code, output: [...noise, await stderr].join("\n").trim() };
    }
  };
  await Promise.all(Array.from({ length: count }, worker));
  return result;
}
