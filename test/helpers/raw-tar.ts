/**
 * A raw ustar writer for hostile archives: every header field is whatever the test says,
 * including lies (a size the body does not have, a link type, a name with `..`), which a
 * well-behaved tar library refuses to write.
 */
import { gzipSync } from "node:zlib";

export interface RawEntry {
  name: string;
  /** ustar type flag: "0" file, "1" hard link, "2" symlink, "3" char device, "4" block device, "5" directory, "6" fifo. */
  type?: string;
  data?: Uint8Array | string;
  /** Size written into the header (default: the data's length). */
  size?: number;
  linkname?: string;
  mode?: number;
  /** Write this many bytes of body (zeros after the data) instead of the data's length. */
  bodyLength?: number;
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

export function rawHeader(e: RawEntry, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (offset: number, text: string, length: number) => {
    const bytes = new TextEncoder().encode(text);
    h.set(bytes.subarray(0, length), offset);
  };
  let name = e.name;
  let prefix = "";
  if (new TextEncoder().encode(name).length > 100) {
    const cut = name.lastIndexOf("/", 155);
    if (cut > 0) {
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
  }
  put(0, name, 100);
  put(100, octal(e.mode ?? (e.type === "5" ? 0o755 : 0o644), 8), 8);
  put(108, octal(0, 8), 8);
  put(116, octal(0, 8), 8);
  put(124, size > 0o77777777777 ? "" : octal(size, 12), 12);
  if (size > 0o77777777777) {
    // base-256 for sizes past 8 GiB
    h[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) {
      h[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  put(136, octal(0, 12), 12);
  put(156, e.type ?? "0", 1);
  put(157, e.linkname ?? "", 100);
  put(257, "ustar\0", 6);
  put(263, "00", 2);
  put(345, prefix, 155);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ", 8);
  return h;
}

/** The uncompressed tar bytes. */
export function rawTar(entries: RawEntry[], opts: { end?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === "string" ? new TextEncoder().encode(e.data) : (e.data ?? new Uint8Array());
    const size = e.size ?? data.length;
    parts.push(rawHeader(e, size));
    const bodyLength = e.bodyLength ?? (e.type === undefined || e.type === "0" ? size : 0);
    const body = new Uint8Array(Math.ceil(bodyLength / 512) * 512);
    body.set(data.subarray(0, bodyLength));
    parts.push(body);
  }
  if (opts.end !== false) parts.push(new Uint8Array(1024));
  return new Uint8Array(Buffer.concat(parts));
}

export function rawTarGz(entries: RawEntry[], opts: { end?: boolean } = {}): Uint8Array {
  return new Uint8Array(gzipSync(rawTar(entries, opts), { level: 1 }));
}
