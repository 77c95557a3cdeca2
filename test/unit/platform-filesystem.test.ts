import { afterAll, describe, expect, test } from "bun:test";
import {
  classifyFilesystem,
  decodeMountField,
  filesystemFromMounts,
  filesystemOf,
  findMountFor,
  parseBsdMountOutput,
  parseFsutilDriveType,
  parseMountinfo,
  parseProcMounts,
  typeFromStatfsMagic,
  uncShareRoot,
} from "../../src/platform/filesystem.ts";
import type { CommandRunner } from "../../src/platform/types.ts";
import { fixtureText, makeRoot, removeRoots } from "../fixtures/platform/roots.ts";

afterAll(removeRoots);

const mounts = parseMountinfo(fixtureText("mountinfo/network-mounts"));
const at = (path: string) => filesystemFromMounts(mounts, path, "mountinfo");

describe("mountinfo parsing", () => {
  test("octal escapes (\\040 space, \\134 backslash) are decoded", () => {
    expect(decodeMountField("/home/alice/Team\\040Share")).toBe("/home/alice/Team Share");
    expect(decodeMountField("C:\\134")).toBe("C:\\");
    expect(mounts.map((m) => m.mountPoint)).toContain("/home/alice/Team Share");
  });

  test("type, source and options come from after the separator, past optional fields", () => {
    const nfs = mounts.find((m) => m.mountPoint === "/mnt/legacy-nfs")!;
    expect(nfs).toMatchObject({ type: "nfs", source: "oldserver:/srv/data" });
    expect(nfs.options).toContain("vers=3");
  });

  test("/proc/mounts format is parsed too", () => {
    expect(findMountFor(parseProcMounts(fixtureText("mountinfo/proc-mounts")), "/home/bob/x")).toMatchObject({ type: "nfs4", mountPoint: "/home" });
  });
});

describe("which mount holds a path", () => {
  test("a path under an NFSv4 mount is network nfs", () => {
    expect(at("/mnt/nfs-again/project/.venv")).toMatchObject({ type: "nfs4", kind: "nfs", network: true, mountPoint: "/mnt/nfs-again" });
    expect(at("/mnt/legacy-nfs/x")).toMatchObject({ type: "nfs", kind: "nfs", network: true });
  });

  test("a path in a CIFS share whose mount point has a space is network smb", () => {
    expect(at("/home/alice/Team Share/app")).toMatchObject({ type: "cifs", kind: "smb", network: true, source: "//winsrv/team" });
  });

  test("a path on sshfs is network sshfs", () => {
    expect(at("/home/alice/remote/src")).toMatchObject({ type: "fuse.sshfs", kind: "sshfs", network: true, source: "alice@build-box:/home/alice" });
  });

  test("a sibling directory sharing a name prefix is not inside the mount", () => {
    // "/home/alice/remote-copy" starts with "/home/alice/remote" but is not under it.
    expect(at("/home/alice/remote-copy")).toMatchObject({ type: "ext4", mountPoint: "/home", network: false, kind: "local" });
    expect(at("/mnt/nfsx")).toMatchObject({ type: "ext4", mountPoint: "/" });
  });

  test("the mount stacked last on the same mount point wins", () => {
    // /mnt/nfs has nfs4 mounted, then a tmpfs mounted over it.
    expect(at("/mnt/nfs/file")).toMatchObject({ type: "tmpfs", kind: "tmpfs", network: false });
  });

  test("WSL's /mnt/c (9p over a file descriptor) is a host share, not a network FS", () => {
    expect(at("/mnt/c/Users/alice")).toMatchObject({ type: "9p", kind: "host-share", network: false, source: "C:\\" });
  });

  test("virtiofs is a host share; rclone is network; fuse-overlayfs is an overlay", () => {
    expect(at("/mnt/virtio/a")).toMatchObject({ kind: "host-share", network: false });
    expect(at("/mnt/rclone/a")).toMatchObject({ kind: "network", network: true });
    expect(at("/mnt/overlay-test/a")).toMatchObject({ kind: "overlay", network: false });
  });

  test("a docker container's overlay root and bind-mounted workspace", () => {
    const docker = parseMountinfo(fixtureText("mountinfo/docker-overlay-root"));
    expect(filesystemFromMounts(docker, "/usr/lib", "mountinfo")).toMatchObject({ type: "overlay", kind: "overlay", network: false });
    expect(filesystemFromMounts(docker, "/workspace/src", "mountinfo")).toMatchObject({ type: "ext4", kind: "local", mountPoint: "/workspace" });
  });

  test("no mounts at all is unknown", () => {
    expect(filesystemFromMounts([], "/x", "mountinfo")).toMatchObject({ kind: "unknown", network: false, mountPoint: "" });
  });
});

describe("classification", () => {
  test("9p over TCP is a network file system", () => {
    expect(classifyFilesystem("9p", "host", "rw,trans=tcp,port=564")).toEqual({ kind: "network", network: true });
  });
  test("smb3, ceph and lustre are network; ext4, xfs, apfs, fuseblk are local", () => {
    for (const t of ["smb3", "smbfs"]) expect(classifyFilesystem(t)).toEqual({ kind: "smb", network: true });
    for (const t of ["ceph", "lustre", "afpfs", "webdav"]) expect(classifyFilesystem(t).network).toBe(true);
    for (const t of ["ext4", "xfs", "apfs", "fuseblk", "NTFS"]) expect(classifyFilesystem(t)).toEqual({ kind: "local", network: false });
  });
  test("unknown FUSE file systems are fuse, not assumed networked", () => {
    expect(classifyFilesystem("fuse.lxcfs", "lxcfs")).toEqual({ kind: "fuse", network: false });
  });
  test("statfs magic numbers name the type when /proc is missing", () => {
    expect(typeFromStatfsMagic(0xef53)).toBe("ext4");
    expect(typeFromStatfsMagic(0x6969)).toBe("nfs");
    expect(typeFromStatfsMagic(0xff534d42 | 0)).toBe("cifs"); // signed in some statfs results
    expect(typeFromStatfsMagic(0x65735546)).toBe("fuse");
    expect(typeFromStatfsMagic(0x1234)).toBe("unknown(0x1234)");
  });
});

describe("macOS mount output", () => {
  const darwin = parseBsdMountOutput(fixtureText("darwin/mount-output.txt"));
  test("an SMB share mounted on a path with a space is network smb", () => {
    expect(filesystemFromMounts(darwin, "/Volumes/Team Share/app", "mount")).toMatchObject({ type: "smbfs", kind: "smb", network: true });
  });
  test("NFS and macFUSE sshfs are network; the data volume is local apfs", () => {
    expect(filesystemFromMounts(darwin, "/Volumes/projects/a", "mount")).toMatchObject({ kind: "nfs", network: true });
    expect(filesystemFromMounts(darwin, "/Users/alice/remote/x", "mount")).toMatchObject({ type: "macfuse", kind: "sshfs", network: true });
    expect(filesystemFromMounts(darwin, "/System/Volumes/Data/Users", "mount")).toMatchObject({ type: "apfs", kind: "local" });
  });
});

describe("Windows", () => {
  test("fsutil drive types", () => {
    expect(parseFsutilDriveType(fixtureText("windows/fsutil-fixed.txt"))).toBe("drive:fixed");
    expect(parseFsutilDriveType(fixtureText("windows/fsutil-remote.txt"))).toBe("drive:remote");
    expect(classifyFilesystem("drive:remote")).toEqual({ kind: "smb", network: true });
  });

  test("UNC paths name their share; \\\\?\\ long-path prefixes are not shares", () => {
    expect(uncShareRoot("\\\\fileserver\\projects\\app")).toBe("\\\\fileserver\\projects");
    expect(uncShareRoot("//fileserver/projects/app")).toBe("\\\\fileserver\\projects");
    expect(uncShareRoot("\\\\?\\C:\\very\\long")).toBeUndefined();
    expect(uncShareRoot("C:\\Users")).toBeUndefined();
  });

  test("filesystemOf on Windows: a UNC path is smb without spawning, a mapped drive asks fsutil", async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (argv) => {
      calls.push(argv);
      return { code: 0, stdout: fixtureText("windows/fsutil-remote.txt"), stderr: "" };
    };
    expect(await filesystemOf("\\\\srv\\share\\proj", { os: "windows", run, env: {} })).toMatchObject({ kind: "smb", network: true, via: "unc-path" });
    expect(calls).toEqual([]);
    expect(await filesystemOf("\\\\wsl.localhost\\Ubuntu\\home", { os: "windows", run, env: {} })).toMatchObject({ kind: "host-share", network: false });
    expect(await filesystemOf("Z:\\proj", { os: "windows", run, env: {} })).toMatchObject({ type: "drive:remote", network: true, mountPoint: "Z:\\" });
    expect(calls).toEqual([["fsutil", "fsinfo", "drivetype", "Z:"]]);
  });
});

describe("filesystemOf with a fixture /proc", () => {
  test("reads <procDir>/self/mountinfo and matches the path as given", async () => {
    const root = makeRoot({ "/proc/self/mountinfo": fixtureText("mountinfo/network-mounts") });
    const fs = await filesystemOf("/home/alice/remote/project", { root, os: "linux", env: {} });
    expect(fs).toMatchObject({ kind: "sshfs", network: true, via: "mountinfo", path: "/home/alice/remote/project" });
  });

  test("falls back to <procDir>/mounts when mountinfo is missing", async () => {
    const root = makeRoot({ "/proc/mounts": fixtureText("mountinfo/proc-mounts") });
    expect(await filesystemOf("/home/x", { root, os: "linux", env: {} })).toMatchObject({ kind: "nfs", via: "/proc/mounts" });
  });

  test("the real cwd resolves to a mount on this machine; a path that does not exist yet uses its parent", async () => {
    const real = await filesystemOf(process.cwd());
    expect(real.mountPoint).not.toBe("");
    const missing = await filesystemOf(`${process.cwd()}/no/such/dir`);
    expect(missing.mountPoint).toBe(real.mountPoint);
    expect(missing.path.endsWith("/no/such/dir")).toBe(true);
  });
});
