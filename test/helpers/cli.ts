/**
 * Run the compiled dhtl executable as a user would: a subprocess with its own env and cwd.
 * The binary is dist/dhtl (built by `bun run test`), or DHT_TEST_BINARY.
 */
import { join } from "node:path";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";

export const repoRoot = join(import.meta.dir, "..", "..");
export const dhtlBinary = process.env.DHT_TEST_BINARY ?? join(repoRoot, "dist", "dhtl");

if (!existsSync(dhtlBinary)) {
  throw new Error(`${dhtlBinary} is missing: run \`bun run build\` (or \`bun run test\`, which builds first)`);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Replace the environment entirely instead of extending a clean base. */
  replaceEnv?: boolean;
  stdin?: string;
  timeoutMs?: number;
}

/** A minimal, deterministic environment: no CI-specific or user-specific surprises. */
export function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "TERM"];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k]) env[k] = process.env[k]!;
  env.NO_COLOR = "1";
  return env;
}

export async function dhtl(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = options.replaceEnv ? { ...options.env } : { ...baseEnv(), ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const proc = Bun.spawn([dhtlBinary, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: env as Record<string, string>,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeoutMs ?? 120_000,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** A fresh temporary directory (left for the OS to clean; tests remove what they must). */
export function tempDir(prefix = "dhtl-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
