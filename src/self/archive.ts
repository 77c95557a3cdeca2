/**
 * The release archive format: one executable in a `.tar.gz` (Unix) or `.zip` (Windows).
 *
 * Both directions live here so that what scripts/release.ts writes and what
 * `dhtl self update` reads cannot drift apart. Pure functions over bytes: no files, no
 * processes. Archives are written deterministically (fixed mtime 0 / 1980-01-01, uid/gid
 * 0, no names of the build user, gzip header without a timestamp), so the same executable
 * always gives the same archive bytes.
 *
 * The readers accept archives made by other tools as well (GNU/BSD/busybox tar with pax
 * headers, zip with data descriptors), because users re-pack releases for their artifact
 * stores. They only ever return the bytes of the one entry asked for; nothing is written.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

// ---------- tar.gz ----------

function octal(value: number, width: number): string {
  // width includes the trailing NUL
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** A ustar archive holding one regular file, gzip-compressed. */
export function writeSingleFileTarGz(name: string, data: Uint8Array, mode = 0o755, level: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  if (enc.encode(name).length > 100) throw new Error(`tar entry name too long: ${name}`);
  const header = new Uint8Array(512);
  const put = (text: string, offset: number) => header.set(enc.encode(text), offset);
  put(name, 0);
  put(octal(mode, 8), 100);
  put(octal(0, 8), 108); // uid
  put(octal(0, 8), 116); // gid
  put(octal(data.length, 12), 124);
  put(octal(0, 12), 136); // mtime: fixed, for reproducible archives
  put("        ", 148); // checksum placeholder (8 spaces)
  put("0", 156); // regular file
  put("ustar\0", 257);
  put("00", 263);
  put("root", 265);
  put("root", 297);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padding = (512 - (data.length % 512)) % 512;
  const tar = new Uint8Array(512 + data.length + padding + 1024);
  tar.set(header, 0);
  tar.set(data, 512);
  return Bun.gzipSync(tar, { level });
}

function readOctal(bytes: Uint8Array, offset: number, length: number): number {
  const text = dec.decode(bytes.subarray(offset, offset + length)).replace(/\0.*$/s, "").trim();
  if (!text) return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`corrupt tar header (size field ${JSON.stringify(text)})`);
  return parseInt(text, 8);
}

function cString(bytes: Uint8Array, offset: number, length: number): string {
  const slice = bytes.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return dec.decode(end < 0 ? slice : slice.subarray(0, end));
}

/** Entry names normalised for comparison: no leading "./", forward slashes. */
const normaliseName = (name: string) => name.replace(/\\/g, "/").replace(/^(\.\/)+/, "");

/** Bytes of the regular file named `wanted` (directories ignored) in a .tar.gz or plain .tar. */
export function readFileFromTarGz(archive: Uint8Array, wanted: string): Uint8Array {
  const isGzip = archive[0] === 0x1f && archive[1] === 0x8b;
  const tar = isGzip ? Bun.gunzipSync(archive as Uint8Array<ArrayBuffer>) : archive;
  let offset = 0;
  let longName: string | undefined;
  const seen: string[] = [];
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = readOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = cString(header, 345, 155);
    let name = cString(header, 0, 100);
    if (prefix && dec.decode(header.subarray(257, 262)) === "ustar") name = `${prefix}/${name}`;
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (body.length < size) throw new Error("truncated tar archive");
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = cString(body, 0, body.length); // GNU long name for the next entry
      continue;
    }
    if (type === "x") {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(dec.decode(body));
      if (path) longName = path[1];
      continue;
    }
    if (type === "g") continue;
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }
    name = normaliseName(name);
    if (type === "0" || type === "\0" || type === "7") {
      if (name === wanted) return body.slice();
      seen.push(name);
    }
  }
  throw new Error(`no file named ${wanted} in the archive (it holds: ${seen.join(", ") || "nothing"})`);
}

// ---------- zip ----------

/** DOS date/time of 1980-01-01 00:00, the earliest a zip can say: fixed for reproducibility. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip holding one deflated file. */
export function writeSingleFileZip(name: string, data: Uint8Array, level: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  const nameBytes = enc.encode(name);
  const compressed = Bun.deflateSync(data as Uint8Array<ArrayBuffer>, { level });
  const crc = Bun.hash.crc32(data) >>> 0;
  if (data.length >= 0xffffffff || compressed.length >= 0xffffffff) throw new Error("zip64 is not supported");
  const local = new DataView(new ArrayBuffer(30));
  local.setUint32(0, 0x04034b50, true);
  local.setUint16(4, 20, true); // version needed
  local.setUint16(6, 0x0800, true); // UTF-8 names
  local.setUint16(8, 8, true); // deflate
  local.setUint16(10, DOS_TIME, true);
  local.setUint16(12, DOS_DATE, true);
  local.setUint32(14, crc, true);
  local.setUint32(18, compressed.length, true);
  local.setUint32(22, data.length, true);
  local.setUint16(26, nameBytes.length, true);
  local.setUint16(28, 0, true);
  const central = new DataView(new ArrayBuffer(46));
  central.setUint32(0, 0x02014b50, true);
  central.setUint16(4, (3 << 8) | 20, true); // made by: Unix, so the mode below is honoured
  central.setUint16(6, 20, true);
  central.setUint16(8, 0x0800, true);
  central.setUint16(10, 8, true);
  central.setUint16(12, DOS_TIME, true);
  central.setUint16(14, DOS_DATE, true);
  central.setUint32(16, crc, true);
  central.setUint32(20, compressed.length, true);
  central.setUint32(24, data.length, true);
  central.setUint16(28, nameBytes.length, true);
  central.setUint32(38, (0o100755 << 16) >>> 0, true); // external attributes: -rwxr-xr-x
  central.setUint32(42, 0, true); // local header offset
  const centralOffset = 30 + nameBytes.length + compressed.length;
  const centralSize = 46 + nameBytes.length;
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, 1, true);
  end.setUint16(10, 1, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, centralOffset, true);
  const out = new Uint8Array(centralOffset + centralSize + 22);
  let at = 0;
  for (const part of [new Uint8Array(local.buffer), nameBytes, compressed, new Uint8Array(central.buffer), nameBytes, new Uint8Array(end.buffer)]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Bytes of the file named `wanted` in a zip (stored or deflated entries), CRC-checked. */
export function readFileFromZip(archive: Uint8Array, wanted: string, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  let eocd = -1;
  for (let i = archive.length - 22; i >= Math.max(0, archive.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip archive (no end-of-central-directory record)");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const seen: string[] = [];
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const name = normaliseName(dec.decode(archive.subarray(at + 46, at + 46 + nameLength)));
    at += 46 + nameLength + extraLength + commentLength;
    if (name !== wanted) {
      seen.push(name);
      continue;
    }
    if (view.getUint32(localOffset, true) !== 0x04034b50) throw new Error("corrupt zip local header");
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    const raw = archive.subarray(dataStart, dataStart + compressedSize);
    if (raw.length < compressedSize) throw new Error("truncated zip archive");
    let data: Uint8Array;
    if (method === 0) data = raw.slice();
    else if (method === 8) {
      // Inflated only up to the declared size (and never past maxBytes): a lying header
      // cannot make a small zip expand without bound.
      if (size > maxBytes) throw new Error(`zip entry ${name} declares ${size} bytes, more than allowed (${maxBytes})`);
      const { inflateRawSync } = require("node:zlib") as typeof import("node:zlib");
      try {
        data = new Uint8Array(inflateRawSync(raw, { maxOutputLength: Math.max(1, size) }));
      } catch (error) {
        throw new Error(`zip entry ${name} inflates past its declared ${size} bytes, or is corrupt (${(error as Error).message})`);
      }
    }
    else throw new Error(`zip entry ${name} uses compression method ${method}; only stored and deflate are supported`);
    if (data.length !== size || (Bun.hash.crc32(data) >>> 0) !== crc) throw new Error(`zip entry ${name} is corrupt (CRC or size mismatch)`);
    return data;
  }
  throw new Error(`no file named ${wanted} in the archive (it holds: ${seen.join(", ") || "nothing"})`);
}

/** Which reader an archive needs, by its first bytes (names can lie). */
export function archiveKind(bytes: Uint8Array): "tar.gz" | "tar" | "zip" | undefined {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "tar.gz";
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return "zip";
  if (bytes.length >= 512 && dec.decode(bytes.subarray(257, 262)) === "ustar") return "tar";
  return undefined;
}

export function readExecutableFromArchive(bytes: Uint8Array, exeName: string): Uint8Array {
  const kind = archiveKind(bytes);
  if (kind === "zip") return readFileFromZip(bytes, exeName);
  if (kind === "tar.gz" || kind === "tar") return readFileFromTarGz(bytes, exeName);
  throw new Error("not a .tar.gz or .zip archive");
}

/** No dhtl executable comes near this (about 100 MB); a larger entry or stream is refused. */
export const MAX_EXECUTABLE_BYTES = 512 * 1024 * 1024;

/**
 * The executable out of a release archive on disk, streamed: a .tar.gz is decompressed
 * chunk by chunk and the decompressed stream is bounded (the executable plus 16 MiB of
 * other entries and headers), so a gzip bomb is refused after at most that much, never
 * inflated in memory whole. A zip is read from its central directory with each inflate
 * capped at the declared size (readFileFromZip), and the file itself is bounded first.
 */
export async function readExecutableFromArchiveFile(path: string, exeName: string, maxBytes = MAX_EXECUTABLE_BYTES): Promise<Uint8Array> {
  const { openSync, readSync, closeSync, statSync, createReadStream } = await import("node:fs");
  const head = new Uint8Array(512);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  const kind = archiveKind(head.subarray(0, n));
  if (kind === "zip") {
    const size = statSync(path).size;
    if (size > maxBytes + (16 << 20)) throw new Error(`the archive is ${size} bytes, more than a dhtl release can be`);
    return readFileFromZip(await Bun.file(path).bytes(), exeName, maxBytes);
  }
  if (kind !== "tar.gz" && kind !== "tar") throw new Error("not a .tar.gz or .zip archive");
  const [{ extract }, zlib, { Transform }] = await Promise.all([import("tar-stream"), import("node:zlib"), import("node:stream")]);
  const limit = maxBytes + (16 << 20);
  let seen = 0;
  const parser = extract();
  const source = createReadStream(path, { highWaterMark: 1 << 20 });
  const bound = new Transform({
    transform(chunk: Buffer, _e, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new Error(`it expands past ${limit} bytes (an archive bomb?)`));
      else callback(null, chunk);
    },
  });
  let upstream: NodeJS.ReadableStream = source.on("error", (e) => parser.destroy(e));
  if (kind === "tar.gz") upstream = upstream.pipe(zlib.createGunzip()).on("error", (e) => parser.destroy(e));
  upstream.pipe(bound).on("error", (e) => parser.destroy(e)).pipe(parser);
  const names: string[] = [];
  try {
    for await (const entry of parser) {
      const name = normaliseName(entry.header.name);
      const type = entry.header.type ?? "file";
      if ((type === "file" || type === "contiguous-file") && name === exeName) {
        if ((entry.header.size ?? 0) > maxBytes) throw new Error(`${name} declares ${entry.header.size} bytes, more than a dhtl executable can be`);
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes) throw new Error(`${name} holds more than ${maxBytes} bytes`);
          chunks.push(chunk);
        }
        return new Uint8Array(Buffer.concat(chunks));
      }
      if (type === "file" || type === "contiguous-file") names.push(name);
      entry.resume();
    }
  } finally {
    source.destroy();
    parser.destroy();
  }
  throw new Error(`no file named ${exeName} in the archive (it holds: ${names.slice(0, 20).join(", ") || "nothing"})`);
}
