/**
 * Just enough ELF to find a program's interpreter (the PT_INTERP program header): which
 * dynamic loader /bin/sh uses tells glibc from musl without running anything.
 * ELF32 and ELF64, either byte order.
 */
import { closeSync, openSync, readSync } from "node:fs";

const PT_INTERP = 3;

export type ElfInterpreterResult =
  | { kind: "interpreter"; path: string }
  /** A valid ELF without PT_INTERP: statically linked. */
  | { kind: "static" }
  | { kind: "not-elf" }
  /** The buffer is too short: read this many bytes from the start of the file and call again. */
  | { kind: "need-bytes"; bytes: number };

export function parseElfInterpreter(buf: Uint8Array): ElfInterpreterResult {
  if (buf.length < 52) return buf.length >= 4 && isElfMagic(buf) ? { kind: "need-bytes", bytes: 64 } : { kind: "not-elf" };
  if (!isElfMagic(buf)) return { kind: "not-elf" };
  const is64 = buf[4] === 2;
  const little = buf[5] === 1;
  if ((buf[4] !== 1 && buf[4] !== 2) || (buf[5] !== 1 && buf[5] !== 2)) return { kind: "not-elf" };
  if (is64 && buf.length < 64) return { kind: "need-bytes", bytes: 64 };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  const uWord = (o: number) => (is64 ? Number(view.getBigUint64(o, little)) : u32(o));

  const phoff = uWord(is64 ? 32 : 28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  if (phoff === 0 || phnum === 0) return { kind: "static" };
  if (phentsize < (is64 ? 56 : 32)) return { kind: "not-elf" };
  const phEnd = phoff + phentsize * phnum;
  if (phEnd > buf.length) return { kind: "need-bytes", bytes: phEnd };

  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (u32(ph) !== PT_INTERP) continue;
    const offset = uWord(is64 ? ph + 8 : ph + 4);
    const size = uWord(is64 ? ph + 32 : ph + 16);
    if (size === 0 || size > 4096) return { kind: "not-elf" };
    if (offset + size > buf.length) return { kind: "need-bytes", bytes: offset + size };
    let end = offset + size;
    while (end > offset && buf[end - 1] === 0) end--;
    return { kind: "interpreter", path: new TextDecoder().decode(buf.subarray(offset, end)) };
  }
  return { kind: "static" };
}

function isElfMagic(buf: Uint8Array): boolean {
  return buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

/** Read a file's ELF interpreter, reading only the bytes the headers point at (sync: see probe.ts). */
export async function readElfInterpreter(path: string): Promise<ElfInterpreterResult> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { kind: "not-elf" };
  }
  try {
    let want = 4096;
    // Three rounds at most: header, program headers, interpreter string.
    for (let round = 0; round < 4; round++) {
      const buf = new Uint8Array(want);
      const bytesRead = readSync(fd, buf, 0, want, 0);
      const result = parseElfInterpreter(buf.subarray(0, bytesRead));
      if (result.kind !== "need-bytes") return result;
      if (result.bytes <= bytesRead || result.bytes > 16 * 1024 * 1024) return { kind: "not-elf" };
      want = result.bytes;
    }
    return { kind: "not-elf" };
  } catch {
    return { kind: "not-elf" };
  } finally {
    closeSync(fd);
  }
}
