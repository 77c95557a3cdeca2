/**
 * The vocabulary of platform facts. Everything here is plain data so that the rest of
 * dhtl (python resolution, setup, info) can take facts as a parameter and be tested with
 * hand-written values.
 */

export type OsName = "linux" | "darwin" | "windows";
/** Only the architectures python-build-standalone ships for the platforms dhtl supports. */
export type ArchName = "x86_64" | "aarch64";
export type LibcFamily = "gnu" | "musl" | "none";

export interface LibcFacts {
  family: LibcFamily;
  /** glibc "2.36" or musl "1.2.4" when it could be found. */
  version?: string;
  /** How it was found: "DHT_LIBC", "elf-interpreter /bin/sh -> /lib64/ld-linux-x86-64.so.2", ... */
  source: string;
}

export interface DistroFacts {
  /** os-release ID ("debian", "ubuntu", "alpine", "macos", "windows"). */
  id: string;
  /** os-release VERSION_ID ("12", "22.04"); "" for rolling releases (Arch). */
  versionId: string;
  /** PRETTY_NAME, else NAME. */
  name: string;
  /** ID_LIKE, split ("ubuntu" → ["debian"]). */
  like: string[];
  /** VERSION_CODENAME when present ("bookworm"). */
  codename?: string;
  /** The file the facts came from. */
  source: string;
}

export interface PrivilegeFacts {
  /** uid 0 on Unix; an elevated (high-integrity) token on Windows. */
  root: boolean;
  /** `sudo -n true` succeeded (checked only when not root and sudo is on PATH). */
  passwordlessSudo: boolean;
  /** sudo is on PATH. */
  sudoAvailable: boolean;
}

export type ContainerKind =
  | "codespaces"
  | "devcontainer"
  | "kubernetes"
  | "podman"
  | "docker"
  | "lxc"
  | "wsl2"
  | "wsl1";

export interface ContainerFacts {
  /** The most specific kind detected, or null on bare metal / a plain VM. */
  kind: ContainerKind | null;
  /** Every kind that matched, most specific first (a devcontainer in Codespaces on docker). */
  kinds: ContainerKind[];
  /** Why: one short line per clue ("/.dockerenv exists", "env CODESPACES=true"). */
  evidence: string[];
  /** WSL details when running under WSL. */
  wsl?: { version: 1 | 2; distro?: string; interop: boolean };
  /** cgroup layout: 1, 2, "hybrid" (v1 controllers plus a unified hierarchy), or null (no /proc). */
  cgroupVersion: 1 | 2 | "hybrid" | null;
  /** The CI service when one is detected (env CI, GITHUB_ACTIONS, ...). */
  ci: { name: string } | null;
}

export interface WindowsFacts {
  /** HKLM\SYSTEM\CurrentControlSet\Control\FileSystem LongPathsEnabled; undefined when unreadable. */
  longPathsEnabled?: boolean;
}

export interface PlatformFacts {
  os: OsName;
  arch: ArchName;
  /** Kernel / OS release (os.release()). */
  kernel: string;
  libc: LibcFacts;
  distro?: DistroFacts;
  /** Package managers found on PATH, in a stable order (apt, dnf, ... scoop). */
  packageManagers: string[];
  privileges: PrivilegeFacts;
  container: ContainerFacts;
  /** x86-64 micro-architecture level (psABI): only on x86_64 when CPU flags are readable. */
  x86_64Level?: 1 | 2 | 3 | 4;
  /** Only on Windows. */
  windows?: WindowsFacts;
}

/** Result of a finished process, for the few probes that must spawn one. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (argv: string[], env: Record<string, string | undefined>) => Promise<CommandResult>;

/**
 * Where probes look. Every field has a process default; tests point them at fixtures.
 */
export interface ProbeRoots {
  /** Root of the file system ("/"): /etc/os-release, /.dockerenv, /bin/sh are read under it. */
  root?: string;
  /** The proc file system ("/proc"). */
  procDir?: string;
  /** Environment (PATH, DHT_LIBC, CI, WSL_DISTRO_NAME, ...). */
  env?: Record<string, string | undefined>;
  /** Pretend to be this OS (process.platform mapped). */
  os?: OsName;
  /** Pretend to be this architecture. */
  arch?: ArchName;
  /** Effective uid (process.getuid()). */
  uid?: number;
  /** Kernel release (os.release()). */
  kernel?: string;
  /** Runs a process (sudo -n true, reg query, ld.so --version). */
  run?: CommandRunner;
}

export type FsKind =
  | "local"
  | "nfs"
  | "smb"
  | "sshfs"
  /** Another network file system (ceph, glusterfs, lustre, afs, webdav, afp, network FUSE). */
  | "network"
  /** FUSE file system not known to be networked (fuse-overlayfs, lxcfs, ...). */
  | "fuse"
  /** Host directory shared into a VM, WSL or container (9p, virtiofs, drvfs, vboxsf). */
  | "host-share"
  | "overlay"
  | "tmpfs"
  | "unknown";

export interface FilesystemFacts {
  /** The path asked about, absolute. */
  path: string;
  /** Type as the OS names it: "ext4", "nfs4", "fuse.sshfs", "apfs", "NTFS", ... */
  type: string;
  /** Mount point containing the path ("" when unknown). */
  mountPoint: string;
  /** Mount source ("server:/export", "//host/share", "root@host:/dir"). */
  source?: string;
  /** True for file systems that live on another machine: file locking, symlinks and speed suffer. */
  network: boolean;
  kind: FsKind;
  /** How it was found ("mountinfo", "statfs", "mount", "fsutil", "unc-path"). */
  via: string;
}
