/**
 * Verifying a bundle: what is there (a directory walk, or a stream over a .tar.gz without
 * unpacking it) against what the manifest lists, plus the signature check.
 *
 * The comparison is strict in both directions: a listed file that is missing, shorter,
 * longer or different fails, and so does any file the manifest does not list (a wheel
 * slipped into a find-links directory would otherwise be installed). Symlinks and other
 * special entries are never accepted.
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { EntryRefused as EntryRefusedForBundle } from "../archive/entry-path.ts";
import { DhtError, ExitCode, usageError } from "../errors.ts";
import { MANIFEST_FILE, parseManifest } from "./manifest.ts";
import { SIGNATURE_FILE, keyId, loadPublicKey, parseSignature, verifyManifestSignature } from "./sign.ts";
import type { BundleManifest, SignatureStatus } from "./types.ts";

export interface ObservedFile {
  path: string;
  size: number;
  sha256: string;
}

export interface ObservedTree {
  files: ObservedFile[];
  /** Entries that are neither regular files nor directories (symlinks, devices), by path. */
  oddEntries: string[];
  manifestBytes?: Uint8Array;
  signatureText?: string;
  /** sha256 of the .tar.gz itself, when the tree was read from one. */
  archiveSha256?: string;
}

export type FileProblem = "missing" | "size" | "sha256" | "unlisted" | "not-a-file" | "duplicate";

export interface FileCheck {
  path: string;
  ok: boolean;
  problem?: FileProblem;
  expected?: { size: number; sha256: string };
  actual?: { size: number; sha256: string };
}

/** Compare the observed files with the manifest's list. Pure. Sorted by path. */
export function compareFiles(manifest: BundleManifest, observed: ObservedTree): FileCheck[] {
  const seen = new Map(observed.files.map((f) => [f.path, f]));
  const checks: FileCheck[] = [];
  const listed = new Set<string>();
  for (const entry of manifest.files) {
    listed.add(entry.path);
    const expected = { size: entry.size, sha256: entry.sha256 };
    const actual = seen.get(entry.path);
    if (observed.oddEntries.includes(entry.path)) checks.push({ path: entry.path, ok: false, problem: "not-a-file", expected });
    else if (!actual) checks.push({ path: entry.path, ok: false, problem: "missing", expected });
    else if (actual.size !== entry.size) checks.push({ path: entry.path, ok: false, problem: "size", expected, actual: { size: actual.size, sha256: actual.sha256 } });
    else if (actual.sha256 !== entry.sha256) checks.push({ path: entry.path, ok: false, problem: "sha256", expected, actual: { size: actual.size, sha256: actual.sha256 } });
    else checks.push({ path: entry.path, ok: true, expected });
  }
  for (const file of observed.files) {
    if (!listed.has(file.path) && file.path !== MANIFEST_FILE && file.path !== SIGNATURE_FILE) {
      checks.push({ path: file.path, ok: false, problem: "unlisted", actual: { size: file.size, sha256: file.sha256 } });
    }
  }
  for (const odd of observed.oddEntries) {
    if (!listed.has(odd)) checks.push({ path: odd, ok: false, problem: "not-a-file" });
  }
  // An archive can name a path twice (the later copy wins when unpacked): never accepted.
  const counted = new Set<string>();
  for (const file of observed.files) {
    if (counted.has(file.path)) checks.push({ path: file.path, ok: false, problem: "duplicate" });
    counted.add(file.path);
  }
  return checks.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function describeProblem(check: FileCheck): string {
  switch (check.problem) {
    case "missing":
      return "is listed in the manifest but missing (truncated or incomplete bundle)";
    case "size":
      return `has ${check.actual!.size} bytes, the manifest says ${check.expected!.size}`;
    case "sha256":
      return `has sha256 ${check.actual!.sha256}, the manifest says ${check.expected!.sha256}`;
    case "unlisted":
      return "is not listed in the manifest (added after the bundle was made)";
    case "not-a-file":
      return "is a symlink or special file, not a regular file";
    case "duplicate":
      return "appears more than once in the archive";
    default:
      return "is fine";
  }
}

async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<{ size: number; sha256: string }> {
  const hasher = new Bun.CryptoHasher("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hasher.digest("hex") };
}

/** Walk an unpacked bundle: hash every regular file; never follow symlinks. */
export async function scanDirectory(root: string): Promise<ObservedTree> {
  const tree: ObservedTree = { files: [], oddEntries: [] };
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs, rel);
      else if (entry.isFile()) {
        if (rel === MANIFEST_FILE) {
          tree.manifestBytes = new Uint8Array(await Bun.file(abs).arrayBuffer());
          const s = new Bun.CryptoHasher("sha256").update(tree.manifestBytes).digest("hex");
          tree.files.push({ path: rel, size: tree.manifestBytes.length, sha256: s });
        } else {
          if (rel === SIGNATURE_FILE) tree.signatureText = await Bun.file(abs).text();
          tree.files.push({ path: rel, ...(await hashStream(Bun.file(abs).stream())) });
        }
      } else tree.oddEntries.push(rel);
    }
  };
  await walk(root, "");
  return tree;
}

/** No real manifest comes near this (one per wheel and platform: a few hundred KiB). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
export const MAX_SIGNATURE_BYTES = 64 * 1024;

/** Why a bundle archive is refused before (or while) it is read; the caller names the file. */
export class BundleRefused extends Error {}

const normalName = (name: string) => name.replace(/^\.\//, "").replace(/\/$/, "");

async function readSmall(entry: AsyncIterable<Uint8Array>, max: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of entry) {
    size += chunk.length;
    if (size > max) throw new BundleRefused(`its ${what} is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * A .tar.gz bundle as a stream of entries, with the rules every reader shares: the first
 * entry is manifest.json (at most MAX_MANIFEST_BYTES), then optionally manifest.sig; the
 * decompressed stream is bounded, first by what a manifest can take, then — once
 * `onManifest` returned the declared total — by that total plus header overhead, so a small
 * file cannot expand without limit whatever its entries claim.
 */
async function* bundleTarEntries(
  file: string,
  onHead: (head: { manifestBytes: Uint8Array; signatureText?: string }) => number | Promise<number>,
  archiveHash?: Bun.CryptoHasher,
): AsyncGenerator<{ path: string; type: string; size: number; body: AsyncIterable<Uint8Array> & { resume(): void } }> {
  const tar = await import("tar-stream");
  const { createGunzip } = await import("node:zlib");
  const { createReadStream } = await import("node:fs");
  const { Transform } = await import("node:stream");
  const extract = tar.extract();
  let limit = MAX_MANIFEST_BYTES + MAX_SIGNATURE_BYTES + 64 * 1024;
  let seen = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _e, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new BundleRefused(`it expands past the ${limit} bytes its manifest accounts for (an archive bomb, or files added after it was made)`));
      else callback(null, chunk);
    },
  });
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  source
    .on("data", (chunk) => archiveHash?.update(chunk as Buffer))
    .on("error", (e) => extract.destroy(e))
    .pipe(createGunzip())
    .on("error", (e) => extract.destroy(e))
    .pipe(bound)
    .on("error", (e) => extract.destroy(e))
    .pipe(extract);
  let index = 0;
  let manifestBytes: Uint8Array | undefined;
  let signatureText: string | undefined;
  let headDone = false;
  try {
    for await (const entry of extract) {
      const path = normalName(entry.header.name);
      const type = entry.header.type ?? "file";
      const isFile = type === "file" || type === "contiguous-file";
      if (index++ === 0) {
        if (path !== MANIFEST_FILE || !isFile) {
          throw new BundleRefused(`its first entry is '${path}', not ${MANIFEST_FILE} (made by an older dhtl, or not a bundle)`);
        }
        manifestBytes = await readSmall(entry as unknown as AsyncIterable<Uint8Array>, MAX_MANIFEST_BYTES, MANIFEST_FILE);
        continue;
      }
      if (index === 2 && path === SIGNATURE_FILE && isFile) {
        signatureText = new TextDecoder().decode(await readSmall(entry as unknown as AsyncIterable<Uint8Array>, MAX_SIGNATURE_BYTES, SIGNATURE_FILE));
        continue;
      }
      if (!headDone) {
        headDone = true;
        limit = await onHead({ manifestBytes: manifestBytes!, ...(signatureText !== undefined ? { signatureText } : {}) });
      }
      if (path === MANIFEST_FILE || path === SIGNATURE_FILE) throw new BundleRefused(`it holds a second ${path}`);
      yield { path, type, size: entry.header.size ?? 0, body: entry as unknown as AsyncIterable<Uint8Array> & { resume(): void } };
      entry.resume();
    }
    if (!manifestBytes) throw new BundleRefused(`it has no ${MANIFEST_FILE} (empty or truncated)`);
    if (!headDone) await onHead({ manifestBytes, ...(signatureText !== undefined ? { signatureText } : {}) });
  } finally {
    source.destroy();
    extract.destroy();
  }
}

/** What the whole decompressed stream may add up to, for a manifest: its files plus tar overhead. */
export function declaredStreamLimit(manifest: BundleManifest, headBytes: number): number {
  const content = manifest.files.reduce((n, f) => n + f.size + 512 * 3, 0);
  // Directory entries (not listed) and the end-of-archive blocks: generous, and still bounded.
  return headBytes + content + 4 * 1024 * 1024;
}

/**
 * Read only the head of a .tar.gz bundle: manifest.json and manifest.sig, without
 * decompressing (let alone writing) anything after them.
 */
export async function readBundleHead(file: string): Promise<{ manifestBytes: Uint8Array; signatureText?: string }> {
  let head: { manifestBytes: Uint8Array; signatureText?: string } | undefined;
  const stop = new Error("head read");
  try {
    for await (const _ of bundleTarEntries(file, (h) => {
      head = h;
      throw stop;
    })) {
      /* never reached: the head callback stops the walk */
    }
  } catch (error) {
    if (error !== stop) throw error;
  }
  return head!;
}

/** Read a .tar.gz bundle as a stream and hash each entry, without writing anything. */
export async function scanTarGz(file: string): Promise<ObservedTree> {
  const tree: ObservedTree = { files: [], oddEntries: [] };
  // The archive's own sha256 on the way: what the user compares with prepare-offline's summary.
  const archiveHash = new Bun.CryptoHasher("sha256");
  const onHead = (head: { manifestBytes: Uint8Array; signatureText?: string }) => {
    tree.manifestBytes = head.manifestBytes;
    tree.files.push({ path: MANIFEST_FILE, size: head.manifestBytes.length, sha256: new Bun.CryptoHasher("sha256").update(head.manifestBytes).digest("hex") });
    if (head.signatureText !== undefined) {
      tree.signatureText = head.signatureText;
      const bytes = new TextEncoder().encode(head.signatureText);
      tree.files.push({ path: SIGNATURE_FILE, size: bytes.length, sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex") });
    }
    const manifest = parseManifest(head.manifestBytes, `${file}/${MANIFEST_FILE}`);
    return declaredStreamLimit(manifest, head.manifestBytes.length + (head.signatureText?.length ?? 0));
  };
  for await (const entry of bundleTarEntries(file, onHead, archiveHash)) {
    if (entry.type === "directory") continue;
    if (entry.type !== "file" && entry.type !== "contiguous-file") {
      tree.oddEntries.push(entry.path);
      continue;
    }
    tree.files.push({ path: entry.path, ...(await hashStream(entry.body)) });
  }
  // The rest of the file (gzip trailer, padding) counts in the archive's hash too.
  tree.archiveSha256 = archiveHash.digest("hex");
  return tree;
}

/**
 * The admission rule for unpacking a bundle whose manifest was verified: only directories
 * and the regular files the manifest lists, each once and at its declared size. Links of
 * any kind are refused, as `bundle inspect` refuses them: one rule for both.
 */
export function bundleAdmission(manifest: BundleManifest): { admit: (header: { name: string; kind: string; size: number }) => void; maxBytes: number; maxEntries: number } {
  const sizes = new Map(manifest.files.map((f) => [f.path, f.size]));
  const seen = new Set<string>();
  return {
    admit(header) {
      const path = normalName(header.name);
      if (header.kind === "directory") return;
      if (header.kind !== "file") throw new EntryRefusedForBundle(`is a ${header.kind}; a bundle holds only regular files and directories`);
      if (path === MANIFEST_FILE || path === SIGNATURE_FILE) {
        if (seen.has(path)) throw new EntryRefusedForBundle("appears twice");
        seen.add(path);
        return;
      }
      const declared = sizes.get(path);
      if (declared === undefined) throw new EntryRefusedForBundle("is not listed in the manifest (added after the bundle was made)");
      if (seen.has(path)) throw new EntryRefusedForBundle("appears twice");
      if (header.size !== declared) throw new EntryRefusedForBundle(`declares ${header.size} bytes, the manifest says ${declared}`);
      seen.add(path);
    },
    maxBytes: manifest.files.reduce((n, f) => n + f.size, 0) + MAX_MANIFEST_BYTES + MAX_SIGNATURE_BYTES,
    maxEntries: manifest.files.length + 2 + 10_000,
  };
}

export interface SignaturePolicy {
  verifyKey?: string;
  requireSignature?: boolean;
}

/**
 * Check manifest.sig against the policy. Throws on a bad, malformed or required-but-absent
 * signature; returns the status otherwise. `where` names the bundle in messages.
 */
export async function checkSignature(manifestBytes: Uint8Array, signatureText: string | undefined, policy: SignaturePolicy, where: string): Promise<SignatureStatus> {
  if (policy.requireSignature && !policy.verifyKey) {
    throw usageError("a signed bundle is required but no key to verify it with was given", {
      subject: "offline.require_signature",
      hint: "pass --verify-key PUBLIC_KEY_FILE or set offline.verify_key in .dhtconfig",
    });
  }
  if (signatureText === undefined) {
    if (policy.requireSignature || policy.verifyKey) {
      throw new DhtError(ExitCode.failed, "the bundle is not signed, but a signature is required", {
        subject: `${where}/${SIGNATURE_FILE}`,
        hint: "prepare it again with `dhtl prepare-offline --sign PRIVATE_KEY`, or drop --verify-key / offline.require_signature to accept unsigned bundles",
      });
    }
    return { state: "unsigned" };
  }
  const sig = parseSignature(signatureText, `${where}/${SIGNATURE_FILE}`);
  if (!policy.verifyKey) return { state: "not-checked", keyId: sig.keyId, why: "no verify key given (--verify-key / offline.verify_key)" };
  const key = await loadPublicKey(policy.verifyKey);
  const expectedId = await keyId(key);
  if (!(await verifyManifestSignature(manifestBytes, sig, key))) {
    throw new DhtError(ExitCode.failed, `the bundle's signature does not verify with ${policy.verifyKey}`, {
      subject: `${where}/${SIGNATURE_FILE}`,
      hint:
        sig.keyId === expectedId
          ? "manifest.json was changed after signing: the bundle was tampered with or damaged; do not use it"
          : `it was signed by key ${sig.keyId}, the given key is ${expectedId}: use the matching public key, or do not trust this bundle`,
      details: { signedBy: sig.keyId, verifyKey: expectedId },
    });
  }
  return { state: "valid", keyId: sig.keyId };
}

export interface VerificationReport {
  manifest: BundleManifest;
  manifestBytes: Uint8Array;
  files: FileCheck[];
  ok: boolean;
}

/** Parse the manifest out of an observed tree and compare every file. */
export function verifyTree(tree: ObservedTree, where: string): VerificationReport {
  if (!tree.manifestBytes) {
    throw new DhtError(ExitCode.failed, `${where} has no ${MANIFEST_FILE}: it is not an offline bundle, or it is truncated`, {
      subject: where,
      hint: "make a bundle with `dhtl prepare-offline --output FILE` on a connected machine and copy the whole file",
    });
  }
  const manifest = parseManifest(tree.manifestBytes, `${where}/${MANIFEST_FILE}`);
  const files = compareFiles(manifest, tree);
  return { manifest, manifestBytes: tree.manifestBytes, files, ok: files.every((f) => f.ok) };
}

/** The first failed check as the error that refuses the bundle (names the file). */
export function refusal(report: VerificationReport, where: string): DhtError | undefined {
  const bad = report.files.filter((f) => !f.ok);
  if (!bad.length) return undefined;
  const first = bad[0]!;
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more problem${bad.length > 2 ? "s" : ""})` : "";
  return new DhtError(ExitCode.failed, `the offline bundle failed verification: ${first.path} ${describeProblem(first)}${more}; nothing was installed`, {
    subject: `${where}/${first.path}`,
    hint: "copy the bundle again from the connected machine (compare its sha256), or prepare a new one; `dhtl bundle inspect` lists every check",
    details: { failed: bad.map((f) => ({ path: f.path, problem: f.problem })) },
  });
}
