/**
 * A real TLS-inspecting proxy (mitmproxy's `mitmdump`, installed into .cache/tools-venv from
 * .ci/pip-packages.txt) on a random loopback port, with its own confdir so its CA is fresh
 * and private to the test. This is the corporate "proxy re-signs TLS" case: a client gets
 * through only when it trusts `caFile`. Upstream certificates are checked against
 * `upstreamCa` when given (else not verified, as an inspecting proxy often is set up).
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./cli.ts";

export interface MitmProxy {
  port: number;
  url: string;
  /** The proxy's CA certificate (PEM), which clients must trust. */
  caFile: string;
  /** What mitmdump printed so far (one line per flow: "GET https://host:port/path"). */
  output(): string;
  stop(): Promise<void>;
}

export function mitmdumpPath(): string | undefined {
  const local = join(repoRoot, ".cache", "tools-venv", "bin", "mitmdump");
  return existsSync(local) ? local : (Bun.which("mitmdump") ?? undefined);
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export async function startMitmproxy(options: { upstreamCa?: string } = {}): Promise<MitmProxy> {
  const binary = mitmdumpPath();
  if (!binary) throw new Error("mitmdump is not installed (scripts/test-prereqs.sh installs it from .ci/pip-packages.txt)");
  const confdir = mkdtempSync(join(tmpdir(), "dhtl-mitm-"));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const upstream = options.upstreamCa ? ["--set", `ssl_verify_upstream_trusted_ca=${options.upstreamCa}`] : ["--ssl-insecure"];
    const proc = Bun.spawn([binary, "--listen-host", "127.0.0.1", "-p", String(port), "--set", `confdir=${confdir}`, ...upstream], {
      stdout: "pipe",
      stderr: "pipe",
    });
    let text = "";
    (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) text += decoder.decode(chunk, { stream: true });
    })();
    const caFile = join(confdir, "mitmproxy-ca-cert.pem");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      try {
        const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
        sock.end();
        if (existsSync(caFile)) {
          return {
            port,
            url: `http://127.0.0.1:${port}`,
            caFile,
            output: () => text,
            stop: async () => {
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
  }
  throw new Error("mitmdump did not start");
}
