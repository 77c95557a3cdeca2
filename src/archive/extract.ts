/**
 * extractArchive: unpack a tar.gz / tar.zst / tar / zip into `target`, atomically and safely.
 *
 * The archive is unpacked into a temp directory beside the target (same file system, so the
 * final rename is atomic) and renamed into place only when every entry passed; on any error
 * the temp directory is removed and the target never appears. The rules that keep entries
 * inside the tree live in tree-writer.ts / entry-path.ts.
 *
 * python-build-standalone layout: `stripTopDir` drops the single `python/` directory;
 * `descendInto: "install"` then keeps only `install/` of the old "full" archives.
 */
import { chmodSync, existsSync, mkdirSync, openSync, readSync, closeSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { EntryRefused } from "./entry-path.ts";
import { makeOwnedTempDir, sweepAbandonedTemps } from "../platform/owned-temp.ts";
import { describeFileSystemError } from "../platform/fs-errors.ts";
import { TreeWriter, UMASK, type EntryHeader } from "./tree-writer.ts";

export type ArchiveFormat = "tar.gz" | "tar.zst" | "tar" | "zip";

export interface ExtractOptions {
  /** Used when the magic bytes are not recognisable (old tars without "ustar"); the bytes win otherwise. */
  format?: ArchiveFormat;
  stripTopDir?: boolean;
  descendInto?: string;
  /** Refuse archives whose files add up to more (default 4 GiB). */
  maxBytes?: number;
  /** Refuse archives with more entries (default 200 000; CPython has ~5 000). */
  maxEntries?: number;
  /**
   * Called with every entry before anything of it is written (names as in the archive);
   * throws EntryRefused to refuse the archive. Offline bundles admit only what their
   * manifest lists, at its declared size.
   */
  admit?: (header: EntryHeader) => void;
}

export interface ExtractResult {
  files: number;
  bytes: number;
}

export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
export const DEFAULT_MAX_ENTRIES = 200_000;

export function formatFromName(name: string): ArchiveFormat | undefined {
  const n = name.toLowerCase();
  if (n.endsWith(".tar.gz") || n.endsWith(".tgz")) return "tar.gz";
  if (n.endsWith(".tar.zst") || n.endsWith(".tzst") || n.endsWith(".tar.zstd")) return "tar.zst";
  if (n.endsWith(".tar")) return "tar";
  if (n.endsWith(".zip") || n.endsWith(".whl")) return "zip";
  return undefined;
}

/** Sniff the format from the first bytes (downloads in the cache are named by hash). */
export function formatFromMagic(head: Uint8Array): ArchiveFormat | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return "tar.gz";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "tar.zst";
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05)) return "zip";
  if (head.length >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === "ustar") return "tar";
  return undefined;
}

function sniff(archive: string): ArchiveFormat | undefined {
  const fd = openSync(archive, "r");
  try {
    const head = new Uint8Array(512);
    const n = readSync(fd, head, 0, 512, 0);
    return formatFromMagic(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export async function extractArchive(archive: string, target: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const archivePath = resolve(archive);
  const targetPath = resolve(target);
  if (!existsSync(archivePath)) {
    throw new DhtError(ExitCode.failed, `The archive ${archivePath} does not exist.`, { subject: archivePath });
  }
  if (existsSync(targetPath)) {
    throw new DhtError(ExitCode.failed, `Cannot extract ${basename(archivePath)}: ${targetPath} already exists.`, {
      subject: targetPath,
      hint: "Extraction never merges into an existing directory; remove it first.",
    });
  }
  // The bytes decide when they are recognisable: a mirror may serve a .tar.zst under a .tar.gz
  // name, and cached downloads are named by hash. Name and option are the fallback.
  const format = sniff(archivePath) ?? opts.format ?? formatFromName(archivePath);
  if (!format) {
    throw new DhtError(ExitCode.failed, `${archivePath} is not a tar.gz, tar.zst, tar or zip archive.`, {
      subject: archivePath,
      hint: "The file may be damaged, or an HTML error page saved under an archive name.",
    });
  }
  mkdirSync(dirname(targetPath), { recursive: true });
  // What a killed run left beside the target (its owner is dead) goes first.
  sweepAbandonedTemps(dirname(targetPath));
  // Owner-marked (platform/owned-temp.ts): after a kill -9 the next run removes it.
  const temp = makeOwnedTempDir(dirname(targetPath), `.${basename(targetPath)}`);
  const writer = new TreeWriter(
    temp,
    { maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES, maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES },
    { stripTopDir: opts.stripTopDir, descendInto: opts.descendInto },
    opts.admit,
  );
  let current = "";
  const onEntry = (name: string) => {
    current = name;
  };
  // Interrupted (Ctrl-C ends the process via process.exit in main.ts): leave no temp dir.
  const removeTemp = () => rmSync(temp, { recursive: true, force: true });
  process.once("exit", removeTemp);
  try {
    if (format === "zip") {
      const { extractZipInto } = await import("./zip-read.ts");
      await extractZipInto(archivePath, writer, onEntry);
    } else {
      const { extractTarInto } = await import("./tar-read.ts");
      await extractTarInto(archivePath, format === "tar.gz" ? "gzip" : format === "tar.zst" ? "zstd" : "none", writer, onEntry);
    }
    writer.finish();
    if (writer.files === 0 && opts.descendInto) {
      throw new EntryRefused(`has no '${opts.descendInto}/' directory to descend into`, "(layout)");
    }
    // The temp dir was made owner-only; the tree it becomes gets the usual mode, so another
    // user can run a venv made from a managed Python.
    chmodSync(temp, 0o777 & ~UMASK);
    renameSync(temp, targetPath);
    return { files: writer.files, bytes: writer.bytes };
  } catch (error) {
    removeTemp();
    throw refusal(archivePath, error, current);
  } finally {
    process.off("exit", removeTemp);
  }
}

function refusal(archive: string, error: unknown, current: string): DhtError {
  if (error instanceof DhtError) return error;
  if (error instanceof EntryRefused) {
    const entry = error.entry ?? current;
    return new DhtError(ExitCode.failed, `Refused to extract ${archive}: entry '${entry}' ${error.message}.`, {
      subject: archive,
      hint: "Nothing was extracted. The archive is damaged or unsafe; re-download it from a trusted source.",
      details: { archive, entry, reason: error.message },
    });
  }
  const fs = describeFileSystemError(error);
  if (fs) {
    return new DhtError(ExitCode.failed, `Could not extract ${archive}: ${fs.what}${fs.path ? ` (${fs.path})` : ""}`, {
      subject: fs.path ?? archive,
      hint: `Nothing was extracted. ${fs.hint}`,
      cause: error,
      details: { archive, fault: fs.code },
    });
  }
  const message = (error as Error)?.message ?? String(error);
  return new DhtError(
    ExitCode.failed,
    `Could not extract ${archive}${current ? ` (at entry '${current}')` : ""}: ${message}`,
    {
      subject: archive,
      hint: "Nothing was extracted. The archive is damaged or truncated, or the disk is full; re-download it.",
      cause: error,
      details: { archive, entry: current || undefined },
    },
  );
}
