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

export type FileProblem = "missing" | "size" | "sha256" | "unlisted" | "not-a-file";

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

/** Read a .tar.gz bundle as a stream and hash each entry, without writing anything. */
export async function scanTarGz(file: string): Promise<ObservedTree> {
  const tar = await import("tar-stream");
  const { createGunzip } = await import("node:zlib");
  const { createReadStream } = await import("node:fs");
  const tree: ObservedTree = { files: [], oddEntries: [] };
  const extract = tar.extract();
  // The archive's own sha256 on the way: what the user compares with prepare-offline's summary.
  const archiveHash = new Bun.CryptoHasher("sha256");
  createReadStream(file)
    .on("data", (chunk) => archiveHash.update(chunk as Buffer))
    .on("error", (e) => extract.destroy(e))
    .pipe(createGunzip())
    .on("error", (e) => extract.destroy(e))
    .pipe(extract);
  for await (const entry of extract) {
    const path = entry.header.name.replace(/^\.\//, "").replace(/\/$/, "");
    const type = entry.header.type ?? "file";
    if (type === "directory") {
      entry.resume();
      continue;
    }
    if (type !== "file" && type !== "contiguous-file") {
      tree.oddEntries.push(path);
      entry.resume();
      continue;
    }
    if (path === MANIFEST_FILE || path === SIGNATURE_FILE) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of entry as AsyncIterable<Uint8Array>) chunks.push(chunk);
      const bytes = new Uint8Array(Buffer.concat(chunks));
      if (path === MANIFEST_FILE) tree.manifestBytes = bytes;
      else tree.signatureText = new TextDecoder().decode(bytes);
      tree.files.push({ path, size: bytes.length, sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex") });
    } else {
      tree.files.push({ path, ...(await hashStream(entry as AsyncIterable<Uint8Array>)) });
    }
  }
  tree.archiveSha256 = archiveHash.digest("hex");
  return tree;
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
