/**
 * Writes archive entries into a fresh directory and nowhere else. The readers (tar, zip)
 * feed it entries; it enforces the rules every format shares:
 *  - names go through entryComponents/layoutComponents (no absolute paths, no `..`)
 *  - symlinks are created LAST, after checking their targets against every link in the
 *    archive, so no entry can be written through a symlink (the classic "link then file
 *    under it" escape) and no target leaves the tree, whatever the order of entries
 *  - hardlinks may only point at regular files this archive already wrote
 *  - device files and fifos are refused; setuid/setgid bits are dropped (sticky kept on directories)
 *  - the declared total size and the number of entries are bounded
 */
import { closeSync, cpSync, existsSync, futimesSync, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, chmodSync, symlinkSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import { join } from "node:path";
import { EntryRefused, entryComponents, layoutComponents, resolveInsideTree, type LayoutOptions } from "./entry-path.ts";

export interface Limits {
  maxBytes: number;
  maxEntries: number;
}

export type EntryKind = "file" | "directory" | "symlink" | "hardlink" | "device" | "fifo" | "other";

export interface EntryHeader {
  name: string;
  kind: EntryKind;
  /** Permission bits (may include type bits; only 0o777 is kept). */
  mode?: number;
  size: number;
  mtime?: Date;
  /** Symlink target, or the archive name of a hardlink's target. */
  linkname?: string;
  /** Original type name for messages ("character-device"). */
  typeName?: string;
}

export type Body = Uint8Array | AsyncIterable<Uint8Array>;

/** The process umask, read once: Node-style umask() reads it by setting and restoring it. */
export const UMASK = process.platform === "win32" ? 0 : process.umask();

export class TreeWriter {
  files = 0;
  bytes = 0;
  private entries = 0;
  private readonly layoutState: { top?: string } = {};
  private readonly dirs = new Map<string, { mode?: number; mtime?: Date }>();
  private readonly written = new Set<string>();
  private readonly links = new Map<string, string>();
  /** Archive names of the symlinks, for messages. */
  private readonly linkNames = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly limits: Limits,
    readonly layout: LayoutOptions,
    private readonly admit?: (header: EntryHeader) => void,
  ) {}

  /** Components inside the target for an entry, or undefined to skip it. Throws EntryRefused. */
  private place(header: EntryHeader): string[] | undefined {
    this.entries++;
    if (this.entries > this.limits.maxEntries) {
      throw new EntryRefused(`exceeds the limit of ${this.limits.maxEntries} entries (archive bomb?)`);
    }
    const parts = layoutComponents(entryComponents(header.name), this.layout, this.layoutState);
    if (!parts) return undefined;
    // Nothing may be written below a path that is (or will be) a symlink from this archive.
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (this.links.has(prefix)) throw new EntryRefused(`lies inside the symlink '${prefix}'`);
    }
    return parts;
  }

  private ensureParents(parts: string[]): void {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join("/");
      if (this.dirs.has(rel)) continue;
      if (this.written.has(rel)) throw new EntryRefused(`needs '${rel}' to be a directory, but it is a file`);
      try {
        mkdirSync(join(this.root, rel), { mode: 0o755 });
      } catch (e) {
        if ((e as { code?: string }).code !== "EEXIST") throw e;
      }
      this.dirs.set(rel, {});
    }
  }

  async add(header: EntryHeader, body: () => Body): Promise<void> {
    this.admit?.(header);
    switch (header.kind) {
      case "device":
      case "fifo":
      case "other":
        throw new EntryRefused(`is a ${header.typeName ?? header.kind}, which is never extracted`);
    }
    const parts = this.place(header);
    if (!parts) return;
    const rel = parts.join("/");
    const abs = join(this.root, rel);
    this.ensureParents(parts);
    switch (header.kind) {
      case "directory": {
        if (this.written.has(rel)) throw new EntryRefused(`is a directory but a file of the same name came first`);
        this.links.delete(rel);
        if (!this.dirs.has(rel)) {
          try {
            mkdirSync(abs, { mode: 0o755 });
          } catch (e) {
            if ((e as { code?: string }).code !== "EEXIST") throw e;
          }
        }
        this.dirs.set(rel, { mode: header.mode, mtime: header.mtime });
        return;
      }
      case "file": {
        if (this.dirs.has(rel)) throw new EntryRefused(`is a file but a directory of the same name exists`);
        if (this.bytes + header.size > this.limits.maxBytes) {
          throw new EntryRefused(`would expand the archive past the limit of ${this.limits.maxBytes} bytes (archive bomb?)`);
        }
        this.links.delete(rel);
        if (this.written.has(rel)) unlinkSync(abs); // a later copy of the same name replaces it (tar semantics)
        await this.writeFile(abs, header, body());
        this.written.add(rel);
        this.files++;
        return;
      }
      case "hardlink": {
        const targetParts = layoutComponents(entryComponents(header.linkname ?? ""), this.layout, this.layoutState);
        const target = targetParts?.join("/");
        if (!target || !this.written.has(target)) {
          throw new EntryRefused(`is a hard link to '${header.linkname}', which is not a file extracted before it`);
        }
        if (this.dirs.has(rel)) throw new EntryRefused(`is a hard link but a directory of the same name exists`);
        if (this.written.has(rel)) unlinkSync(abs);
        linkSync(join(this.root, target), abs);
        this.written.add(rel);
        this.files++;
        return;
      }
      case "symlink": {
        if (!header.linkname) throw new EntryRefused("is a symlink with an empty target");
        if (header.linkname.startsWith("/") || /^[a-z]:/i.test(header.linkname)) {
          throw new EntryRefused(`is a symlink to the absolute path '${header.linkname}'`);
        }
        if (this.dirs.has(rel)) throw new EntryRefused(`is a symlink but a directory of the same name exists`);
        if (this.written.has(rel)) {
          unlinkSync(abs);
          this.written.delete(rel);
        }
        this.links.set(rel, header.linkname);
        this.linkNames.set(rel, header.name);
        return;
      }
    }
  }

  private async writeFile(abs: string, header: EntryHeader, body: Body): Promise<void> {
    const mode = (header.mode ?? 0o644) & 0o777;
    // Created with its final mode (the fd stays writable even for 0444); fchmod only when the
    // umask took bits away, which saves a syscall per file in the common case.
    const fd = openSync(abs, "wx", mode);
    let size = 0;
    try {
      if (body instanceof Uint8Array) {
        writeSync(fd, body);
        size = body.length;
      } else {
        for await (const chunk of body) {
          size += chunk.length;
          if (size > header.size) throw new EntryRefused(`holds more data than its declared ${header.size} bytes`);
          writeSync(fd, chunk);
        }
      }
      if (size !== header.size) throw new EntryRefused(`is truncated (${size} of ${header.size} bytes)`);
      this.bytes += size;
      if ((mode & ~UMASK) !== mode) fchmodSync(fd, mode);
      if (header.mtime) futimesSync(fd, header.mtime, header.mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** Create the symlinks (each checked against the whole tree), then apply directory modes. */
  finish(): void {
    for (const [rel, target] of this.links) {
      const parts = rel.split("/");
      if (!resolveInsideTree(parts, target, this.links)) {
        throw new EntryRefused(`is a symlink to '${target}', which points outside the extracted tree`, this.linkNames.get(rel));
      }
      const abs = join(this.root, rel);
      let exists = false;
      try {
        lstatSync(abs);
        exists = true;
      } catch {
        /* free */
      }
      if (exists) throw new EntryRefused(`is a symlink, but other entries were extracted below that path`, this.linkNames.get(rel));
      try {
        symlinkSync(target, abs);
      } catch (error) {
        // Windows without Developer Mode cannot create symlinks (EPERM): copy what the link
        // points at instead (a junction would hold the temp dir's absolute path).
        const resolved = resolveInsideTree(parts, target, this.links);
        const resolvedAbs = resolved && join(this.root, ...resolved);
        if (process.platform !== "win32" || !resolvedAbs || !existsSync(resolvedAbs)) throw error;
        cpSync(resolvedAbs, abs, { recursive: true, dereference: true });
      }
    }
    // Deepest first, so a read-only parent does not block its children.
    const dirs = [...this.dirs.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [rel, info] of dirs) {
      const abs = join(this.root, rel);
      // The sticky bit stays (a 1777 directory keeps protecting its entries); setuid and
      // setgid never do.
      if (info.mode !== undefined) chmodSync(abs, (info.mode & 0o1777) | 0o700);
      if (info.mtime) utimesSync(abs, info.mtime, info.mtime);
    }
  }
}
