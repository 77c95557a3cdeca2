/**
 * What an interpreter is, asked of the interpreter itself: one spawn of
 * `python -I -c <script>` printing one JSON line, cached in DHT_HOME/cache/interpreters.json
 * by path, size and mtime. A warm `dhtl python find` therefore only stats files.
 *
 * The cache is keyed by the path as found (a symlink such as /usr/bin/python3 included);
 * stat follows links, so an upgrade of the target changes size/mtime and invalidates it.
 */
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface InterpreterInfo {
  /** platform.python_version(): "3.11.7". */
  version: string;
  /** sys.implementation.name: "cpython", "pypy". */
  implementation: string;
  /** platform.machine(): "x86_64", "aarch64", "AMD64", "arm64". */
  machine: string;
  /** 32 or 64. */
  pointerBits: number;
  /** The venv module can be imported (found). */
  venv: boolean;
  /** ensurepip is present: `python -m venv` can put pip into a new venv (Debian splits it out). */
  ensurepip: boolean;
  executable: string;
  prefix: string;
  basePrefix: string;
  /** Running inside a virtual environment (prefix differs from base prefix). */
  isVenv: boolean;
}

/**
 * Kept to Python 3.0-compatible syntax (no f-strings) so that an old interpreter on PATH
 * still answers instead of failing with a SyntaxError we would have to interpret.
 */
export const QUERY_SCRIPT = [
  "import sys, json, platform, struct",
  "try:",
  "    from importlib.util import find_spec",
  "except ImportError:",
  "    find_spec = None",
  "def has(name):",
  "    if find_spec is None: return False",
  "    try: return find_spec(name) is not None",
  "    except Exception: return False",
  "base = getattr(sys, 'base_prefix', getattr(sys, 'real_prefix', sys.prefix))",
  "print(json.dumps({'version': platform.python_version(), 'implementation': sys.implementation.name if hasattr(sys, 'implementation') else platform.python_implementation().lower(),",
  "  'machine': platform.machine(), 'pointerBits': struct.calcsize('P') * 8, 'venv': has('venv'), 'ensurepip': has('ensurepip'),",
  "  'executable': sys.executable, 'prefix': sys.prefix, 'basePrefix': base, 'isVenv': sys.prefix != base}))",
].join("\n");

export class InterpreterQueryError extends Error {}

/** Run the query script (one spawn). Throws InterpreterQueryError with the reason. */
export async function queryInterpreter(path: string, env: Record<string, string | undefined> = process.env, timeoutMs = 15_000): Promise<InterpreterInfo> {
  let proc: ReturnType<typeof Bun.spawn>;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith("PYTHON")) childEnv[k] = v;
  // macOS reports 10.16 to old interpreters unless told not to (uv does the same).
  childEnv.SYSTEM_VERSION_COMPAT = "0";
  const run = async (flags: string[]) => {
    try {
      // cwd "/": with -E -s (no -I) the current directory would otherwise come first on sys.path.
      proc = Bun.spawn([path, ...flags, "-c", QUERY_SCRIPT], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: childEnv, timeout: timeoutMs, cwd: "/" });
    } catch (error) {
      throw new InterpreterQueryError(`cannot run: ${(error as Error).message}`);
    }
    return Promise.all([new Response(proc.stdout as ReadableStream).text(), new Response(proc.stderr as ReadableStream).text(), proc.exited]);
  };
  let [out, err, code] = await run(["-I"]);
  // Python 2 has no -I ("Unknown option: -I"): -E -s is the same isolation minus the cwd.
  if (code !== 0 && /Unknown option: -I/.test(err)) [out, err, code] = await run(["-E", "-s"]);
  if (code !== 0) {
    const last = err.trim().split("\n").at(-1) ?? "";
    throw new InterpreterQueryError(`exited with status ${code}${last ? `: ${last}` : ""}`);
  }
  const line = out.trim().split("\n").at(-1) ?? "";
  try {
    const info = JSON.parse(line) as InterpreterInfo;
    if (typeof info.version !== "string") throw new Error("no version");
    return info;
  } catch {
    throw new InterpreterQueryError(`printed something that is not the expected JSON: ${line.slice(0, 120)}`);
  }
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  info: InterpreterInfo;
}

interface CacheFile {
  schema: 1;
  entries: Record<string, CacheEntry>;
}

/** The interpreter cache of one DHT_HOME: load once, query misses, save if anything changed. */
export class InterpreterCache {
  private entries: Record<string, CacheEntry> = {};
  private dirty = false;
  private loaded = false;

  constructor(
    readonly file: string,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {}

  static forHome(home: string, env?: Record<string, string | undefined>) {
    return new InterpreterCache(join(home, "cache", "interpreters.json"), env);
  }

  private async load() {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const data = JSON.parse(await readFile(this.file, "utf8")) as CacheFile;
      if (data.schema === 1 && data.entries && typeof data.entries === "object") this.entries = data.entries;
    } catch {
      // Absent or corrupt: start empty, it is only a cache.
    }
  }

  /** Info for `path`, from the cache when size and mtime still match; else one query. */
  async get(path: string): Promise<InterpreterInfo> {
    await this.load();
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile()) throw new InterpreterQueryError("does not exist");
    const hit = this.entries[path];
    if (hit && hit.size === s.size && hit.mtimeMs === s.mtimeMs) return hit.info;
    const info = await queryInterpreter(path, this.env);
    this.entries[path] = { size: s.size, mtimeMs: s.mtimeMs, info };
    this.dirty = true;
    return info;
  }

  forget(path: string) {
    if (this.entries[path]) {
      delete this.entries[path];
      this.dirty = true;
    }
  }

  /** Write back (atomically: temp file + rename) when something changed. Never throws. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ schema: 1, entries: this.entries } satisfies CacheFile));
      await rename(tmp, this.file);
      this.dirty = false;
    } catch {
      // A read-only DHT_HOME only costs speed.
    }
  }
}
