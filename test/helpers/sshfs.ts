/**
 * A real network file system for tests: a throwaway sshd on 127.0.0.1 (random port, its
 * own host key and authorized key in a temp dir) and an sshfs mount of a directory it
 * serves. Everything is torn down afterwards: unmount, stop sshd, remove the temp dir.
 *
 *   const reason = sshfsUnavailableReason();
 *   if (reason) console.warn(`skipped: ${reason}`);
 *   else await withSshfsMount(async ({ mountPoint, remoteDir }) => { ... });
 *
 * /proc/self/mountinfo shows the mount with type fuse.sshfs. Files written under
 * mountPoint land in remoteDir (the same machine, reached over SSH).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface SshfsMount {
  /** Local directory where the remote directory is mounted (fuse.sshfs). */
  mountPoint: string;
  /** The directory sshd serves; what is written under mountPoint appears here. */
  remoteDir: string;
  /** sshd's port on 127.0.0.1. */
  port: number;
}

export interface SshfsOptions {
  /** Serve this existing directory instead of a fresh empty one. */
  remoteDir?: string;
}

const SSHD_CANDIDATES = ["/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd"];

function which(name: string): string | undefined {
  return Bun.which(name) ?? undefined;
}

/** Why an sshfs mount cannot be made here, or undefined when it can. */
export function sshfsUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return "sshfs tests need Linux (FUSE)";
  if (!SSHD_CANDIDATES.some(existsSync)) return "sshd is not installed (apt-get install openssh-server)";
  for (const tool of ["sshfs", "ssh-keygen", "ssh"]) if (!which(tool)) return `${tool} is not installed (apt-get install sshfs openssh-client)`;
  if (!which("fusermount3") && !which("fusermount")) return "fusermount is not installed (apt-get install fuse3)";
  if (!existsSync("/dev/fuse")) return "/dev/fuse is missing (no FUSE in this container)";
  return undefined;
}

function run(argv: string[], timeout = 20_000): { code: number; out: string } {
  const r = Bun.spawnSync(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout });
  return { code: r.exitCode ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

async function waitForPort(port: number, proc: Bun.Subprocess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`sshd exited with ${proc.exitCode} before listening on ${port}`);
    try {
      const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      sock.end();
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${deadlineMs} ms`);
}

function isMounted(mountPoint: string): boolean {
  const info = readFileSync("/proc/self/mountinfo", "utf8");
  const escaped = mountPoint.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
  return info.split("\n").some((line) => line.split(" ")[4] === escaped && line.includes(" - fuse.sshfs "));
}

function unmount(mountPoint: string): void {
  const fusermount = which("fusermount3") ?? which("fusermount") ?? "fusermount";
  for (let attempt = 0; attempt < 10 && isMounted(mountPoint); attempt++) {
    if (run([fusermount, "-u", mountPoint]).code === 0) return;
    Bun.sleepSync(100);
  }
  // Still busy (a test left a process in there): detach lazily rather than leak the mount.
  if (isMounted(mountPoint)) run([fusermount, "-u", "-z", mountPoint]);
}

/** Start sshd, mount over sshfs, run fn, and always clean up. */
export async function withSshfsMount<T>(fn: (mount: SshfsMount) => Promise<T>, options: SshfsOptions = {}): Promise<T> {
  const reason = sshfsUnavailableReason();
  if (reason) throw new Error(`cannot mount sshfs: ${reason}`);
  const dir = mkdtempSync(join(tmpdir(), "dhtl-sshfs-"));
  const remoteDir = options.remoteDir ?? join(dir, "remote");
  const mountPoint = join(dir, "mnt");
  mkdirSync(remoteDir, { recursive: true });
  mkdirSync(mountPoint);
  const hostKey = join(dir, "host_key");
  const clientKey = join(dir, "client_key");
  for (const key of [hostKey, clientKey]) {
    const r = run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dhtl-test", "-f", key]);
    if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.out}`);
  }
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${clientKey}.pub`));
  // sshd refuses to start without its privilege-separation directory.
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  // os.userInfo() says "unknown" under Bun in some containers; ask the system instead.
  const user = run(["id", "-un"]).out.trim() || userInfo().username;
  let sshd: Bun.Subprocess | undefined;
  let port = 0;
  let mounted = false;
  try {
    // A free port can be taken between probing and binding (tests run concurrently): retry.
    for (let attempt = 0; attempt < 3 && !sshd; attempt++) {
      port = await freePort();
      const config = join(dir, "sshd_config");
      writeFileSync(
        config,
        [
          `Port ${port}`,
          "ListenAddress 127.0.0.1",
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, "sshd.pid")}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          "StrictModes no",
          "PubkeyAuthentication yes",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PermitRootLogin prohibit-password",
          "UsePAM no",
          `AllowUsers ${user}`,
          "Subsystem sftp internal-sftp",
          "LogLevel ERROR",
          "",
        ].join("\n"),
      );
      const sshdPath = SSHD_CANDIDATES.find(existsSync)!;
      const proc = Bun.spawn([sshdPath, "-f", config, "-D", "-e"], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
      try {
        await waitForPort(port, proc, 10_000);
        sshd = proc;
      } catch (error) {
        proc.kill();
        await proc.exited;
        if (attempt === 2) throw new Error(`${(error as Error).message}: ${await new Response(proc.stderr).text()}`);
      }
    }

    const sshfs = run([
      "sshfs",
      "-p", String(port),
      "-F", "/dev/null",
      "-o", `IdentityFile=${clientKey}`,
      "-o", "StrictHostKeyChecking=no",
      "-o", "UserKnownHostsFile=/dev/null",
      "-o", "BatchMode=yes",
      "-o", "LogLevel=ERROR",
      `${user}@127.0.0.1:${remoteDir}`,
      mountPoint,
    ]);
    if (sshfs.code !== 0 || !isMounted(mountPoint)) throw new Error(`sshfs mount failed (exit ${sshfs.code}): ${sshfs.out}`);
    mounted = true;
    return await fn({ mountPoint, remoteDir, port });
  } finally {
    if (mounted) unmount(mountPoint);
    if (sshd) {
      sshd.kill();
      await sshd.exited;
    }
    // Never recurse into a mount that is somehow still there: that would delete remote files.
    if (!isMounted(mountPoint)) rmSync(dir, { recursive: true, force: true });
  }
}
