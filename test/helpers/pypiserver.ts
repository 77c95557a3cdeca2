/**
 * A real private package index for tests: pypiserver (installed into .cache/tools-venv by
 * scripts/test-prereqs.sh from .ci/pip-packages.txt) on a random 127.0.0.1 port, serving a
 * directory of wheels, with every action (list, download, update) behind a password from
 * an htpasswd file made by apache2-utils' htpasswd (the password goes in on stdin).
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
const repoRootDir = join(import.meta.dir, "..", "..");
export const pypiServerBin = join(repoRootDir, ".cache", "tools-venv", "bin", "pypi-server");

export interface PypiServer {
  /** PEP 503 simple index URL, without credentials: http://127.0.0.1:PORT/simple */
  url: string;
  port: number;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/** Why the private index cannot run here, or undefined when it can. */
export function pypiServerMissing(): string | undefined {
  if (!existsSync(pypiServerBin)) return `${pypiServerBin} is missing: run \`bash scripts/test-prereqs.sh\``;
  if (!Bun.which("htpasswd")) return "htpasswd (apache2-utils) is not installed";
  return undefined;
}

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

async function makeHtpasswd(username: string, password: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "dhtl-pypiserver-"));
  const file = join(dir, "htpasswd");
  // -i: password from stdin (never on a command line); -m: apr1-MD5, which pypiserver's passlib
  // reads without the optional bcrypt module.
  const proc = Bun.spawn(["htpasswd", "-i", "-c", "-m", file, username], { stdin: new TextEncoder().encode(password), stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`htpasswd failed: ${err}`);
  return file;
}

export async function startPypiServer(opts: { wheelsDir: string; username?: string; password?: string; timeoutMs?: number }): Promise<PypiServer> {
  const missing = pypiServerMissing();
  if (missing) throw new Error(missing);
  const username = opts.username ?? "ci-user";
  const password = opts.password ?? `pw-${crypto.randomUUID()}`;
  const htpasswd = await makeHtpasswd(username, password);
  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = Bun.spawn(
      [pypiServerBin, "run", "-p", String(port), "-i", "127.0.0.1", "-P", htpasswd, "-a", "update,download,list", "--disable-fallback", "--log-stream", "none", opts.wheelsDir],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    );
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    while (Date.now() < deadline && proc.exitCode === null) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/simple/`, { signal: AbortSignal.timeout(1000) });
        if (r.status === 401 || r.status === 200) {
          return {
            url: `http://127.0.0.1:${port}/simple`,
            port,
            username,
            password,
            async stop() {
              proc.kill();
              await proc.exited;
            },
          };
        }
      } catch {
        /* not listening yet */
      }
      await Bun.sleep(100);
    }
    proc.kill();
    await proc.exited;
    lastError = await new Response(proc.stderr).text();
  }
  throw new Error(`pypiserver did not start: ${lastError.slice(-2000)}`);
}
