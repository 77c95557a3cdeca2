/**
 * Running tools (uv, pip, python): exact argv, an explicit environment, output captured
 * for error analysis and streamed in --verbose mode, and every child killed when dhtl
 * exits (Ctrl-C) so none keeps writing. Secrets only ever travel in the child's
 * environment, never in argv or logs.
 */
import { redactText } from "./net/redact.ts";

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions {
  env: Record<string, string>;
  cwd?: string;
  /** Stream the child's output to our stderr as it comes (--verbose). */
  stream?: boolean;
  /** Written to the child's stdin, which is then closed (default: no stdin). */
  input?: string;
}

/** Children still running: killed when dhtl exits (Ctrl-C, SIGTERM) so none keeps writing into the venv. */
const running = new Set<Bun.Subprocess>();
let exitHookInstalled = false;

function trackChild(proc: Bun.Subprocess): void {
  running.add(proc);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const child of running) {
        try {
          child.kill("SIGKILL");
        } catch {
          /* already gone */
        }
      }
    });
  }
  void proc.exited.then(() => running.delete(proc));
}

export async function runTool(argv: string[], options: RunToolOptions): Promise<ToolResult> {
  let proc;
  try {
    proc = Bun.spawn(argv, { env: options.env, cwd: options.cwd, stdin: options.input === undefined ? "ignore" : "pipe", stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    return { code: 127, stdout: "", stderr: `cannot start ${argv[0]}: ${(error as Error).message}` };
  }
  trackChild(proc);
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of stream) {
      const part = decoder.decode(chunk, { stream: true });
      text += part;
      if (options.stream) process.stderr.write(redactText(part));
    }
    return text + decoder.decode();
  };
  // Output is read while the input is written: a child may answer before it has read it all.
  const output = Promise.all([collect(proc.stdout), collect(proc.stderr), proc.exited]);
  if (options.input !== undefined) {
    const stdin = proc.stdin as import("bun").FileSink;
    try {
      stdin.write(options.input);
      await stdin.end();
    } catch {
      // the child exited without reading it all: its exit status says why
    }
  }
  const [stdout, stderr, code] = await output;
  return { code, stdout, stderr };
}

/** The last lines of a failed command's output, redacted, for an error message. */
export function outputTail(result: ToolResult, lines = 25): string {
  const text = redactText(`${result.stdout}\n${result.stderr}`.trim());
  return text.split(/\r?\n/).slice(-lines).join("\n");
}

