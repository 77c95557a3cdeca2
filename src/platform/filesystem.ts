/**
 * What file system a path lives on, and whether it is a network one. Venvs on NFS, SMB or
 * sshfs break in subtle ways (locks, symlinks, mmap, speed); setup moves them elsewhere.
 *
 *   Linux    longest-prefix match of the path in /proc/self/mountinfo (octal escapes such
 *            as \040 decoded), falling back to statfs(2) magic numbers without /proc.
 *   macOS    longest-prefix match in the output of `mount` ("... on /Volumes/x (smbfs, ...)").
 *   Windows  UNC paths are shares; drive letters are classified by `fsutil fsinfo drivetype`.
 *
 * Parsing and classification are pure functions; filesystemOf does the I/O.
 */
import { realpathSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { dirname, join, resolve, win32 } from "node:path";
import { readTextIfPresent, resolveProbe, type ResolvedProbe } from "./probe.ts";
import type { FilesystemFacts, FsKind, ProbeRoots } from "./types.ts";

export interface MountEntry {
  mountPoint: string;
  type: string;
  source: string;
  /** Per-mount and per-superblock options together ("rw,relatime,vers=4.2,addr=10.0.0.2"). */
  options: string;
}

/** mountinfo escapes space, tab, newline and backslash as \040 \011 \012 \134. */
export function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/**
 * /proc/<pid>/mountinfo: "36 35 98:0 /root /mnt/point rw,noatime master:1 - ext4 /dev/sda1 rw,errors=continue".
 * The optional fields end at the lone "-"; type, source and super options follow it.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const dash = fields.indexOf("-", 6);
    if (fields.length < 10 || dash < 0 || dash + 2 >= fields.length) continue;
    mounts.push({
      mountPoint: decodeMountField(fields[4]!),
      type: decodeMountField(fields[dash + 1]!),
      source: decodeMountField(fields[dash + 2]!),
      options: [fields[5], fields[dash + 3]].filter(Boolean).join(","),
    });
  }
  return mounts;
}

/** /proc/mounts (or /etc/mtab): "source mountpoint type options 0 0", same escapes. */
export function parseProcMounts(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    mounts.push({ source: decodeMountField(f[0]!), mountPoint: decodeMountField(f[1]!), type: decodeMountField(f[2]!), options: f[3]! });
  }
  return mounts;
}

/** macOS/BSD `mount`: "//me@srv/share on /Volumes/share (smbfs, nodev, nosuid, mounted by me)". */
export function parseBsdMountOutput(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^(.*?) on (\/.*?) \(([^,)]+)(?:, ([^)]*))?\)\s*$/.exec(line);
    if (m) mounts.push({ source: m[1]!, mountPoint: m[2]!, type: m[3]!.trim(), options: (m[4] ?? "").replace(/\s*,\s*/g, ",") });
  }
  return mounts;
}

function isUnder(path: string, mountPoint: string): boolean {
  if (mountPoint === "/") return path.startsWith("/");
  return path === mountPoint || path.startsWith(`${mountPoint}/`);
}

/**
 * The mount that holds `path`: the longest mount point that is a whole-component prefix.
 * Among equal mount points the later one wins (it is stacked on top).
 */
export function findMountFor(mounts: MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!isUnder(path, m.mountPoint)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

const NFS = new Set(["nfs", "nfs4", "nfs3"]);
const SMB = new Set(["cifs", "smb3", "smb2", "smbfs", "smb"]);
const OTHER_NETWORK = new Set([
  "afs", "ceph", "glusterfs", "lustre", "gpfs", "beegfs", "ncpfs", "coda", "davfs", "webdav", "afpfs", "ftp", "orangefs", "pvfs2",
]);
const NETWORK_FUSE = new Set([
  "rclone", "s3fs", "gcsfuse", "glusterfs", "ceph", "ceph-fuse", "cephfs", "juicefs", "goofys", "blobfuse", "blobfuse2",
  "curlftpfs", "smbnetfs", "davfs2", "gvfsd-fuse", "lizardfs", "mfs", "moosefs", "seaweedfs", "ossfs", "cvmfs", "beegfs",
]);
const HOST_SHARE = new Set(["9p", "virtiofs", "drvfs", "vboxsf", "vmhgfs", "prl_fs", "fuse.vmhgfs-fuse", "lxfs", "wslfs"]);

/** Kind and network-ness from a type name as Linux, macOS or Windows reports it. */
export function classifyFilesystem(type: string, source = "", options = ""): { kind: FsKind; network: boolean } {
  const t = type.toLowerCase();
  if (NFS.has(t)) return { kind: "nfs", network: true };
  if (SMB.has(t)) return { kind: "smb", network: true };
  if (OTHER_NETWORK.has(t)) return { kind: "network", network: true };
  // 9p is a host share under WSL2 and VMs — but a real network FS when it runs over TCP.
  if (t === "9p" && /(^|,)trans=tcp(,|$)/.test(options)) return { kind: "network", network: true };
  if (HOST_SHARE.has(t)) return { kind: "host-share", network: false };
  if (t === "fuse.sshfs" || t === "sshfs") return { kind: "sshfs", network: true };
  const fuseSub = t.startsWith("fuse.") ? t.slice(5) : undefined;
  if (fuseSub !== undefined && NETWORK_FUSE.has(fuseSub)) return { kind: "network", network: true };
  // macFUSE reports "macfuse"/"osxfuse"; sshfs is recognisable by its user@host:path source.
  if (t === "macfuse" || t === "osxfuse" || t === "fuse" || fuseSub !== undefined) {
    if (/^[^\s/@]+@[^\s/:]+:/.test(source)) return { kind: "sshfs", network: true };
    return { kind: "fuse", network: false };
  }
  if (t === "overlay" || t === "overlayfs" || t === "aufs" || t === "fuse-overlayfs") return { kind: "overlay", network: false };
  if (t === "tmpfs" || t === "ramfs") return { kind: "tmpfs", network: false };
  if (t === "drive:remote") return { kind: "smb", network: true };
  if (t === "" || t === "unknown" || t === "drive:unknown") return { kind: "unknown", network: false };
  return { kind: "local", network: false };
}

/** statfs(2) f_type magic numbers (linux/magic.h) for when /proc is not mounted. */
export const STATFS_MAGIC: Record<number, string> = {
  0xef53: "ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x2fc12fc1: "zfs",
  0x01021994: "tmpfs",
  0x794c7630: "overlay",
  0x6969: "nfs",
  0x517b: "smbfs",
  0xff534d42: "cifs",
  0xfe534d42: "smb2",
  0x65735546: "fuse",
  0x01021997: "9p",
  0x6a656a63: "virtiofs",
  0x00c36400: "ceph",
  0x5346414f: "afs",
  0x0bd00bd0: "lustre",
  0x47504653: "gpfs",
  0x4d44: "vfat",
  0x5346544e: "ntfs",
  0xf2f52010: "f2fs",
  0x3153464a: "jfs",
  0x73717368: "squashfs",
};

export function typeFromStatfsMagic(magic: number): string {
  return STATFS_MAGIC[magic >>> 0] ?? `unknown(0x${(magic >>> 0).toString(16)})`;
}

/** `fsutil fsinfo drivetype C:` → "C: - Fixed Drive", "Z: - Remote/Network Drive". */
export function parseFsutilDriveType(text: string): string {
  const t = text.toLowerCase();
  if (t.includes("remote") || t.includes("network")) return "drive:remote";
  if (t.includes("fixed")) return "drive:fixed";
  if (t.includes("ram disk")) return "drive:ramdisk";
  if (t.includes("removable")) return "drive:removable";
  if (t.includes("cd-rom")) return "drive:cdrom";
  return "drive:unknown";
}

/** UNC share root of a Windows path ("\\\\srv\\share\\x" → "\\\\srv\\share"), or undefined. */
export function uncShareRoot(path: string): string | undefined {
  const m = /^[\\/]{2}(?![?.][\\/])([^\\/]+)[\\/]([^\\/]+)/.exec(path);
  return m ? `\\\\${m[1]}\\${m[2]}` : undefined;
}

export function filesystemFromMounts(mounts: MountEntry[], absolutePath: string, via: string): FilesystemFacts {
  const mount = findMountFor(mounts, absolutePath);
  if (!mount) return { path: absolutePath, type: "unknown", mountPoint: "", network: false, kind: "unknown", via };
  return {
    path: absolutePath,
    type: mount.type,
    mountPoint: mount.mountPoint,
    source: mount.source,
    ...classifyFilesystem(mount.type, mount.source, mount.options),
    via,
  };
}

/**
 * The path as the kernel sees it: symlinks resolved on the deepest part that exists (a
 * venv directory may not exist yet, but its parent decides where it will live).
 */
async function canonicalPath(path: string): Promise<string> {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(existing);
      return rest.length ? join(real, ...rest.reverse()) : real;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return path;
      rest.push(existing.slice(parent.length).replace(/^[\\/]+/, ""));
      existing = parent;
    }
  }
}

async function linuxFilesystemOf(probe: ResolvedProbe, path: string, canonical: boolean): Promise<FilesystemFacts> {
  const abs = canonical ? await canonicalPath(path) : path;
  const mountinfo = await readTextIfPresent(join(probe.procDir, "self", "mountinfo"));
  if (mountinfo) return filesystemFromMounts(parseMountinfo(mountinfo), abs, "mountinfo");
  const mounts = await readTextIfPresent(join(probe.procDir, "mounts"));
  if (mounts) return filesystemFromMounts(parseProcMounts(mounts), abs, "/proc/mounts");
  try {
    const type = typeFromStatfsMagic((await statfs(abs)).type);
    return { path: abs, type, mountPoint: "", ...classifyFilesystem(type), via: "statfs" };
  } catch {
    return { path: abs, type: "unknown", mountPoint: "", network: false, kind: "unknown", via: "none" };
  }
}

async function darwinFilesystemOf(probe: ResolvedProbe, path: string): Promise<FilesystemFacts> {
  const abs = await canonicalPath(path);
  const out = await probe.run(["/sbin/mount"], probe.env);
  return filesystemFromMounts(out.code === 0 ? parseBsdMountOutput(out.stdout) : [], abs, "mount");
}

async function windowsFilesystemOf(probe: ResolvedProbe, path: string): Promise<FilesystemFacts> {
  const abs = win32.resolve(path);
  const share = uncShareRoot(abs);
  if (share) {
    // \\wsl$\Distro and \\wsl.localhost\Distro are the WSL file system served over 9p.
    const wsl = /^\\\\(wsl\$|wsl\.localhost)\\/i.test(share);
    return wsl
      ? { path: abs, type: "9p", mountPoint: share, source: share, network: false, kind: "host-share", via: "unc-path" }
      : { path: abs, type: "smb", mountPoint: share, source: share, network: true, kind: "smb", via: "unc-path" };
  }
  const drive = /^([A-Za-z]):/.exec(abs)?.[1];
  if (!drive) return { path: abs, type: "unknown", mountPoint: "", network: false, kind: "unknown", via: "none" };
  const out = await probe.run(["fsutil", "fsinfo", "drivetype", `${drive}:`], probe.env);
  const type = out.code === 0 ? parseFsutilDriveType(out.stdout) : "drive:unknown";
  return { path: abs, type, mountPoint: `${drive.toUpperCase()}:\\`, ...classifyFilesystem(type), via: "fsutil" };
}

export interface FilesystemProbe extends ProbeRoots {
  /** Resolve symlinks before matching (default: true on the real root, false under a fixture root). */
  canonicalize?: boolean;
}

/** The file system holding `path` (relative paths resolve against the process cwd). */
export async function filesystemOf(path: string, probeRoots: FilesystemProbe = {}): Promise<FilesystemFacts> {
  const probe = resolveProbe(probeRoots);
  if (probe.os === "windows") return windowsFilesystemOf(probe, path);
  const abs = resolve(path);
  if (probe.os === "darwin") return darwinFilesystemOf(probe, abs);
  return linuxFilesystemOf(probe, abs, probeRoots.canonicalize ?? probe.root === "/");
}
