/**
 * writeDeterministicTarGz: the same inputs give the same bytes, on any machine and run, so
 * bundles and release archives can be checksummed and reproduced.
 *  - entries sorted by name (a directory sorts before its contents)
 *  - mtime fixed: opts.mtime, else SOURCE_DATE_EPOCH, else 0; uid/gid 0; uname/gname empty
 *  - modes fixed from the source: 0755 when any execute bit is set (and for directories),
 *    else 0644, so umask and ownership of the build machine do not leak in
 *  - gzip header: no file name, mtime 0, OS byte 255 ("unknown": zlib writes the build OS
 *    there, which would differ between the Linux and Windows builds of dhtl)
 * Written to `<outFile>.tmp-<pid>` and renamed, so a reader never sees half an archive.
 * Streams file bodies from disk (bundles hold hundreds of MB of wheels).
 */
import { createReadStream, createWriteStream, lstatSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { join, posix } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface TarEntryInput {
  /** Name inside the archive, "/"-separated, relative. */
  name: string;
  type?: "file" | "directory" | "symlink";
  /** File on disk to read the body (and the execute bit) from. */
  source?: string;
  /** Or the body itself. */
  data?: Uint8Array | string;
  /** Force the mode (otherwise 0755/0644 as described above). */
  mode?: number;
  /** Symlink target. */
  linkname?: string;
}

export interface DeterministicTarOptions {
  /** Seconds since the epoch for every entry (default SOURCE_DATE_EPOCH, else 0). */
  mtime?: number;
  env?: Record<string, string | undefined>;
  /** gzip level (default 9). The same level and zlib build give the same bytes. */
  level?: number;
  /** Entry names written first, in this order (the rest follows sorted by name). */
  first?: string[];
}

/** Entries for a directory tree (files, dirs, symlinks), named under `prefix`. */
export function directoryEntries(dir: string, prefix = ""): TarEntryInput[] {
  const out: TarEntryInput[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const childAbs = join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const st = lstatSync(childAbs);
      if (st.isSymbolicLink()) out.push({ name: childRel, type: "symlink", linkname: readlinkSync(childAbs) });
      else if (st.isDirectory()) {
        out.push({ name: childRel, type: "directory" });
        walk(childAbs, childRel);
      } else if (st.isFile()) out.push({ name: childRel, type: "file", source: childAbs });
    }
  };
  walk(dir, prefix.replace(/\/+$/, ""));
  if (prefix) out.unshift({ name: prefix.replace(/\/+$/, ""), type: "directory" });
  return out;
}

function sourceDateEpoch(opts: DeterministicTarOptions): number {
  if (opts.mtime !== undefined) return opts.mtime;
  const env = opts.env ?? process.env;
  const v = Number(env.SOURCE_DATE_EPOCH);
  return Number.isInteger(v) && v >= 0 ? v : 0;
}

export async function writeDeterministicTarGz(
  entries: TarEntryInput[],
  outFile: string,
  opts: DeterministicTarOptions = {},
): Promise<{ sha256: string; size: number }> {
  const [{ pack }, zlib] = await Promise.all([import("tar-stream"), import("node:zlib")]);
  const mtime = new Date(sourceDateEpoch(opts) * 1000);
  const normalised = entries.map((e) => ({ ...e, name: posix.normalize(e.name).replace(/^\.\/|\/+$/g, "") }));
  // `first` names lead in their given order (a bundle's manifest, so a reader can verify it
  // from the archive's head before unpacking anything); the rest is sorted by name.
  const rank = (name: string) => {
    const i = opts.first?.indexOf(name) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  normalised.sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < normalised.length; i++) {
    if (normalised[i]!.name === normalised[i - 1]!.name) throw new Error(`duplicate archive entry '${normalised[i]!.name}'`);
  }
  const tmp = `${outFile}.tmp-${process.pid}`;
  const tar = pack();
  const gzip = zlib.createGzip({ level: opts.level ?? 9 });
  // zlib's output depends on how its input is split into write calls (measured with Bun 1.4.5
  // at level 1: four chunkings of the same 3 MB gave four different outputs), and tar-stream's
  // chunking depends on timing. Re-chunking into fixed blocks makes the call sequence, and so
  // the bytes, a function of the content alone.
  const done = pipeline(tar, fixedBlocks(1 << 16), gzip, createWriteStream(tmp));
  try {
    for (const e of normalised) {
      const type = e.type ?? (e.linkname !== undefined ? "symlink" : "file");
      const base = { name: e.name, mtime, uid: 0, gid: 0, uname: "", gname: "" };
      if (type === "directory") {
        await entry(tar, { ...base, type: "directory", mode: e.mode ?? 0o755 });
      } else if (type === "symlink") {
        await entry(tar, { ...base, type: "symlink", linkname: e.linkname ?? "", mode: e.mode ?? 0o777 });
      } else if (e.data !== undefined) {
        const data = typeof e.data === "string" ? Buffer.from(e.data) : Buffer.from(e.data);
        await entry(tar, { ...base, type: "file", size: data.length, mode: e.mode ?? 0o644 }, data);
      } else if (e.source) {
        const st = statSync(e.source);
        const mode = e.mode ?? (st.mode & 0o111 ? 0o755 : 0o644);
        const sink = tar.entry({ ...base, type: "file", size: st.size, mode } as import("tar-stream").Header);
        await pipeline(createReadStream(e.source), sink);
      } else {
        throw new Error(`archive entry '${e.name}' has neither data nor source`);
      }
    }
    tar.finalize();
    await done;
    // Fixed OS byte in the gzip header (offset 9), see above.
    const fd = openSync(tmp, "r+");
    writeSync(fd, Uint8Array.of(255), 0, 1, 9);
    closeSync(fd);
    renameSync(tmp, outFile);
  } catch (error) {
    tar.destroy();
    rmSync(tmp, { force: true });
    throw error;
  }
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(outFile).stream()) hasher.update(chunk);
  return { sha256: hasher.digest("hex"), size: statSync(outFile).size };
}

type PartialHeader = Partial<import("tar-stream").Header> & { name: string };

function entry(tar: import("tar-stream").Pack, header: PartialHeader, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    const full = header as import("tar-stream").Header;
    if (data) tar.entry(full, data, cb);
    else tar.entry(full, cb);
  });
}

/** A Transform that emits exactly `size`-byte chunks (the last one shorter). */
export function fixedBlocks(size: number): Transform {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pending.push(chunk);
      pendingLength += chunk.length;
      if (pendingLength >= size) {
        let all = Buffer.concat(pending, pendingLength);
        while (all.length >= size) {
          this.push(all.subarray(0, size));
          all = all.subarray(size);
        }
        pending = all.length ? [all] : [];
        pendingLength = all.length;
      }
      callback();
    },
    flush(callback) {
      if (pendingLength) this.push(Buffer.concat(pending, pendingLength));
      callback();
    },
  });
}
