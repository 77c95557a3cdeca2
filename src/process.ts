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

/**
 * Where the pids of running children are recorded while a setup holds its project lock
 * (`.dht/children.json`). A dhtl killed with SIGKILL cannot kill its children; the next run
 * that takes the lock over reads this file and ends the ones still running
 * (killOrphanedChildren), so an orphaned uv never keeps writing into the resumed run's venv.
 */
let childRecord: string | undefined;
const recorded = new Map<number, string>();

export function recordChildrenIn(file: string | undefined): void {
  childRecord = file;
  writeChildRecord();
}

function writeChildRecord(): void {
  if (!childRecord) return;
  const { writeFileSync, rmSync } = require("node:fs") as typeof import("node:fs");
  try {
    if (recorded.size === 0) rmSync(childRecord, { force: true });
    else writeFileSync(childRecord, JSON.stringify([...recorded].map(([pid, exe]) => ({ pid, exe }))));
  } catch {
    /* best effort: the record only helps a later run clean up */
  }
}

/**
 * End the children a killed run left (recorded in `file`). A pid is killed only while it
 * still runs the recorded executable (/proc/<pid>/cmdline), never a pid reused by something
 * else. Returns the pids ended.
 */
export function killOrphanedChildren(file: string): number[] {
  const { readFileSync, rmSync } = require("node:fs") as typeof import("node:fs");
  let entries: Array<{ pid: number; exe: string }> = [];
  try {
    entries = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return [];
  }
  const ended: number[] = [];
  for (const { pid, exe } of Array.isArray(entries) ? entries : []) {
    if (!Number.isInteger(pid) || pid <= 1 || typeof exe !== "string") continue;
    let argv0: string | undefined;
    try {
      argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
    } catch {
      continue; // gone (or no /proc: nothing to check against, so nothing is killed)
    }
    if (argv0 !== exe) continue;
    try {
      process.kill(pid, "SIGKILL");
      ended.push(pid);
    } catch {
      /* already gone */
    }
  }
  rmSync(file, { force: true });
  return ended;
}

function trackChild(proc: Bun.Subprocess, exe: string): void {
  running.add(proc);
  recorded.set(proc.pid, exe);
  writeChildRecord();
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
  void proc.exited.then(() => {
    running.delete(proc);
    recorded.delete(proc.pid);
    writeChildRecord();
  });
}

export async function runTool(argv: string[], options: RunToolOptions): Promise<ToolResult> {
  let proc;
  try {
    proc = Bun.spawn(argv, { env: options.env, cwd: options.cwd, stdin: options.input === undefined ? "ignore" : "pipe", stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    return { code: 127, stdout: "", stderr: `cannot start ${argv[0]}: ${(error as Error).message}` };
  }
  trackChild(proc, argv[0]!);
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

