/**
 * Stream a tar, tar.gz or tar.zst archive into a TreeWriter with tar-stream: the archive is
 * read from disk in chunks, decompressed by node:zlib (gunzip, or createZstdDecompress —
 * checked to stream in Bun 1.4.5) and each entry's body is written as it arrives, so a
 * 30 MB archive is never held in memory.
 */
import { createReadStream } from "node:fs";
import { pipeline, Transform } from "node:stream";
import { EntryRefused } from "./entry-path.ts";
import type { Header } from "tar-stream";
import type { EntryHeader, EntryKind, TreeWriter } from "./tree-writer.ts";

export type TarCompression = "gzip" | "zstd" | "none";

function kindOf(type: Header["type"]): EntryKind {
  switch (type) {
    case "file":
    case "contiguous-file":
    case null:
    case undefined:
      return "file";
    case "directory":
      return "directory";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    case "character-device":
    case "block-device":
      return "device";
    case "fifo":
      return "fifo";
    default:
      return "other";
  }
}

/** Calls `onEntry(name)` before each entry so the caller can name it in errors. */
export async function extractTarInto(
  archive: string,
  compression: TarCompression,
  writer: TreeWriter,
  onEntry: (name: string) => void,
): Promise<void> {
  const [{ extract }, zlib] = await Promise.all([import("tar-stream"), import("node:zlib")]);
  const parser = extract();
  const source = createReadStream(archive, { highWaterMark: 1 << 20 });
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | Transform> = [source];
  if (compression === "gzip") stages.push(zlib.createGunzip({ chunkSize: 1 << 18 }));
  if (compression === "zstd") stages.push(zlib.createZstdDecompress({ chunkSize: 1 << 18 }));
  // Bound the decompressed stream itself, not only the declared entry sizes: a small .tar.gz
  // can expand to gigabytes of padding or headers that no entry accounts for.
  const { maxBytes, maxEntries } = writer.limits;
  const streamLimit = maxBytes + (maxEntries + 2) * 1536 + (1 << 20);
  let seen = 0;
  stages.push(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        if (seen > streamLimit) callback(new EntryRefused(`makes the archive expand past ${streamLimit} bytes (archive bomb?)`));
        else callback(null, chunk);
      },
    }),
  );
  stages.push(parser);
  let streamError: Error | undefined;
  pipeline(stages as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream], (error) => {
    if (error) {
      streamError = error;
      parser.destroy(error);
    }
  });
  try {
    for await (const entry of parser) {
      const h = entry.header;
      onEntry(h.name);
      const header: EntryHeader = {
        name: h.name,
        kind: kindOf(h.type),
        typeName: h.type ?? "file",
        mode: h.mode,
        size: h.size ?? 0,
        mtime: h.mtime,
        linkname: h.linkname ?? undefined,
      };
      await writer.add(header, () => entry as unknown as AsyncIterable<Uint8Array>);
      // Drain whatever the writer did not consume (skipped entries, links).
      entry.resume();
    }
  } catch (error) {
    source.destroy();
    throw streamError ?? error;
  } finally {
    source.destroy();
  }
  if (streamError) throw streamError;
}
