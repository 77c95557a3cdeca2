/**
 * A small zip reader (Windows Python builds and wheels are zip): reads the central
 * directory (zip64 included), then each entry's data by offset, inflating deflate with
 * zlib.inflateRawSync capped at the declared size so a lying header cannot expand without
 * bound (entries above 16 MiB are inflated as a stream, with the same bound), and checks
 * every CRC-32. Stored (0) and deflate (8) only: that is what wheels and
 * python.org/python-build-standalone zips use; anything else is refused by name.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { EntryRefused } from "./entry-path.ts";
import type { EntryHeader, TreeWriter } from "./tree-writer.ts";

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** Unix mode from the external attributes, when the archive was made on Unix. */
  unixMode?: number;
  isDirectory: boolean;
  mtime: Date;
}

export class ZipFormatError extends Error {}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new ZipFormatError(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buf;
}

function dosDate(date: number, time: number): Date {
  const y = ((date >> 9) & 0x7f) + 1980;
  const mo = ((date >> 5) & 0xf) - 1;
  const d = date & 0x1f;
  return new Date(Date.UTC(y, Math.max(0, mo), Math.max(1, d), (time >> 11) & 0x1f, (time >> 5) & 0x3f, (time & 0x1f) * 2));
}

export function readZipDirectory(fd: number): ZipEntry[] {
  const fileSize = fstatSync(fd).size;
  const tailLen = Math.min(fileSize, 22 + 0xffff);
  const tail = readAt(fd, fileSize - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError("no end-of-central-directory record (not a zip file, or truncated)");
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorPos = fileSize - tailLen + eocd - 20;
    const locator = readAt(fd, locatorPos, 20);
    if (locator.readUInt32LE(0) !== 0x07064b50) throw new ZipFormatError("zip64 locator missing");
    const z64 = readAt(fd, Number(locator.readBigUInt64LE(8)), 56);
    if (z64.readUInt32LE(0) !== 0x06064b50) throw new ZipFormatError("zip64 end record missing");
    count = Number(z64.readBigUInt64LE(32));
    cdSize = Number(z64.readBigUInt64LE(40));
    cdOffset = Number(z64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > fileSize) throw new ZipFormatError("central directory lies past the end of the file");
  const cd = readAt(fd, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError(`central directory entry ${i} is damaged`);
    const madeBy = cd.readUInt16LE(p + 4);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const time = cd.readUInt16LE(p + 12);
    const date = cd.readUInt16LE(p + 14);
    const crc32 = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const external = cd.readUInt32LE(p + 38);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const rawName = cd.subarray(p + 46, p + 46 + nameLen);
    const name = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(rawName);
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(e);
      const len = extra.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = Number(extra.readBigUInt64LE(q))), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = Number(extra.readBigUInt64LE(q))), (q += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(extra.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    const host = madeBy >> 8;
    const unixMode = host === 3 || host === 19 ? external >>> 16 : undefined;
    const isDirectory = name.endsWith("/") || name.endsWith("\\") || (unixMode !== undefined && (unixMode & 0o170000) === 0o040000) || (external & 0x10) !== 0;
    entries.push({ name, method, flags, crc32, compressedSize, size, localHeaderOffset, unixMode: unixMode || undefined, isDirectory, mtime: dosDate(date, time) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function entryHeader(entry: ZipEntry): EntryHeader {
  // Zip tools on Windows sometimes write backslashes; APPNOTE 4.4.17 requires "/".
  const name = entry.name.replace(/\\/g, "/");
  const type = entry.unixMode !== undefined ? entry.unixMode & 0o170000 : 0;
  const base = { name, mode: entry.unixMode, size: entry.size, mtime: entry.mtime };
  if (entry.isDirectory) return { ...base, kind: "directory", size: 0 };
  if (type === 0o120000) return { ...base, kind: "symlink" };
  if (type === 0o020000 || type === 0o060000) return { ...base, kind: "device", typeName: "device file" };
  if (type === 0o010000) return { ...base, kind: "fifo", typeName: "fifo" };
  if (type === 0o140000) return { ...base, kind: "other", typeName: "socket" };
  return { ...base, kind: "file", mode: entry.unixMode ? entry.unixMode & 0o7777 : 0o644 };
}

/** Entries above this size are inflated as a stream instead of in one buffer. */
export const ZIP_STREAM_THRESHOLD = 16 * 1024 * 1024;

function dataStartOf(fd: number, entry: ZipEntry): number {
  if (entry.flags & 0x1) throw new EntryRefused("is encrypted");
  if (entry.method !== 0 && entry.method !== 8) {
    throw new EntryRefused(`uses compression method ${entry.method}, which dhtl does not read (only stored and deflate)`);
  }
  const local = readAt(fd, entry.localHeaderOffset, 30);
  if (local.readUInt32LE(0) !== 0x04034b50) throw new EntryRefused("has a damaged local header");
  return entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
}

/** Large entries: read 1 MiB at a time, inflate as a stream, bound the size, check CRC at the end. */
async function* streamEntryData(fd: number, entry: ZipEntry, zlib: typeof import("node:zlib")): AsyncGenerator<Uint8Array> {
  const start = dataStartOf(fd, entry);
  function* compressed(): Generator<Buffer> {
    for (let at = 0; at < entry.compressedSize; at += 1 << 20) {
      yield readAt(fd, start + at, Math.min(1 << 20, entry.compressedSize - at));
    }
  }
  const { Readable } = await import("node:stream");
  const source = Readable.from(compressed());
  const output: AsyncIterable<Uint8Array> = entry.method === 0 ? source : source.pipe(zlib.createInflateRaw());
  let crc = 0;
  let total = 0;
  try {
    for await (const chunk of output) {
      total += chunk.length;
      if (total > entry.size) throw new EntryRefused(`inflates to more than its declared ${entry.size} bytes (zip bomb?)`);
      crc = Bun.hash.crc32(chunk, crc);
      yield chunk;
    }
  } catch (e) {
    if (e instanceof EntryRefused) throw e;
    throw new EntryRefused(`has corrupt deflate data (${(e as Error).message})`);
  } finally {
    source.destroy();
  }
  if (total !== entry.size) throw new EntryRefused(`holds ${total} bytes but declares ${entry.size}`);
  if (crc >>> 0 !== entry.crc32 >>> 0) throw new EntryRefused("fails its CRC-32 check (corrupt archive)");
}

function entryData(fd: number, entry: ZipEntry, inflateRawSync: typeof import("node:zlib").inflateRawSync): Uint8Array {
  const dataStart = dataStartOf(fd, entry);
  const compressed = readAt(fd, dataStart, entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) {
    data = compressed;
  } else if (entry.method === 8) {
    try {
      // maxOutputLength: one byte more than declared, so an overlong stream is detected, not written.
      data = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size + 1) });
    } catch (e) {
      throw new EntryRefused(
        /maxOutputLength|buffer|too large|RangeError/i.test(String(e))
          ? `inflates to more than its declared ${entry.size} bytes (zip bomb?)`
          : `has corrupt deflate data (${(e as Error).message})`,
      );
    }
  } else {
    throw new EntryRefused(`uses compression method ${entry.method}, which dhtl does not read (only stored and deflate)`);
  }
  if (data.length !== entry.size) throw new EntryRefused(`holds ${data.length} bytes but declares ${entry.size}`);
  if ((Bun.hash.crc32(data) >>> 0) !== entry.crc32 >>> 0) throw new EntryRefused("fails its CRC-32 check (corrupt archive)");
  return data;
}

export async function extractZipInto(archive: string, writer: TreeWriter, onEntry: (name: string) => void): Promise<void> {
  const zlib = await import("node:zlib");
  const { inflateRawSync } = zlib;
  const fd = openSync(archive, "r");
  try {
    const entries = readZipDirectory(fd);
    if (entries.length > writer.limits.maxEntries) {
      onEntry(entries[writer.limits.maxEntries]!.name);
      throw new EntryRefused(`exceeds the limit of ${writer.limits.maxEntries} entries (archive bomb?)`);
    }
    const declared = entries.reduce((sum, e) => sum + e.size, 0);
    if (declared > writer.limits.maxBytes) {
      throw new EntryRefused(`expands to ${declared} bytes, past the limit of ${writer.limits.maxBytes} (archive bomb?)`, "(all entries)");
    }
    for (const entry of entries) {
      onEntry(entry.name);
      const header = entryHeader(entry);
      if (header.kind === "symlink") {
        header.linkname = new TextDecoder().decode(entryData(fd, entry, inflateRawSync));
        header.size = 0;
      }
      await writer.add(header, () =>
        entry.size > ZIP_STREAM_THRESHOLD ? streamEntryData(fd, entry, zlib) : entryData(fd, entry, inflateRawSync),
      );
    }
  } finally {
    closeSync(fd);
  }
}
