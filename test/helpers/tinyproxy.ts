/**
 * A real tinyproxy (apt package `tinyproxy`) on a random loopback port with its own config
 * and log in a temp dir. Tests assert on `log()` to prove a request did (or did not) go
 * through the proxy. Optional basic auth (tinyproxy's BasicAuth).
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export interface TinyProxy {
  port: number;
  url: string;
  /** Current contents of the proxy's log file. */
  log(): string;
  /** Lines of the log that mention `needle` (e.g. a path served by the test server). */
  sawRequestFor(needle: string): boolean;
  stop(): Promise<void>;
}

export function tinyproxyAvailable(): boolean {
  return Bun.which("tinyproxy") !== null || existsSync("/usr/bin/tinyproxy") || existsSync("/usr/sbin/tinyproxy");
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

async function waitForPort(port: number, proc: Subprocess, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return false;
    try {
      const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      sock.end();
      return true;
    } catch {
      await Bun.sleep(50);
    }
  }
  return false;
}

export async function startTinyproxy(options: { auth?: { user: string; password: string } } = {}): Promise<TinyProxy> {
  const binary = Bun.which("tinyproxy") ?? (existsSync("/usr/sbin/tinyproxy") ? "/usr/sbin/tinyproxy" : "/usr/bin/tinyproxy");
  const dir = mkdtempSync(join(tmpdir(), "dhtl-tinyproxy-"));
  const logFile = join(dir, "tinyproxy.log");
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const conf = [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Timeout 60",
      `LogFile "${logFile}"`,
      "LogLevel Info",
      "MaxClients 50",
      "Allow 127.0.0.1",
      "DisableViaHeader Yes",
      ...(options.auth ? [`BasicAuth ${options.auth.user} ${options.auth.password}`] : []),
      // tinyproxy drops privileges when started as root; stay root so it can write its log.
      ...(process.getuid?.() === 0 ? ["User root", "Group root"] : []),
    ].join("\n");
    const confFile = join(dir, "tinyproxy.conf");
    writeFileSync(confFile, `${conf}\n`);
    writeFileSync(logFile, "");
    const proc = Bun.spawn([binary, "-d", "-c", confFile], { stdout: "pipe", stderr: "pipe" });
    if (await waitForPort(port, proc)) {
      const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
      return {
        port,
        url: `http://127.0.0.1:${port}`,
        log,
        sawRequestFor: (needle) => log().split("\n").some((l) => l.includes(needle)),
        stop: async () => {
          proc.kill();
          await proc.exited;
        },
      };
    }
    proc.kill();
    const err = proc.stderr ? await new Response(proc.stderr).text() : "";
    if (!/bind|address/i.test(err) && attempt > 1) throw new Error(`tinyproxy did not start: ${err}`);
  }
  throw new Error("tinyproxy did not start on a free port after 5 attempts");
}
