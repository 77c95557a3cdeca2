/**
 * Writing a bundle: from a staging directory that already holds the layout (types.ts) to
 * manifest.json (+ manifest.sig) and the output — a deterministic .tar.gz (sorted entries,
 * fixed mtime, owner 0, via src/archive/tar-write.ts) or a plain directory.
 *
 * The manifest's file list is computed from what is actually staged (hashing each file), so
 * it cannot disagree with the content.
 */
import { existsSync } from "node:fs";
import { chmod, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DhtError, ExitCode, usageError } from "../errors.ts";
import { MANIFEST_FILE, serializeManifest } from "./manifest.ts";
import { SIGNATURE_FILE, serializeSignature, signManifest } from "./sign.ts";
import type { BundleFileEntry, BundleFileKind, BundleManifest } from "./types.ts";
import { scanDirectory } from "./verify.ts";

/** True when the output is an archive (by name); anything else is a directory. */
export const isArchiveOutput = (output: string) => /\.(tar\.gz|tgz)$/i.test(output);

/** What a staged path is, from where it sits in the layout; undefined for a stray file. */
export function kindOfPath(path: string): { kind: BundleFileKind; platform?: string } | undefined {
  if (path.startsWith("project/")) return { kind: "project" };
  const m = /^platforms\/([^/]+)\/(python|python-bytecode|uv|wheels|wheels-bytecode|dhtl|system|node)\/./.exec(path);
  if (!m) return undefined;
  const dirs = { python: "python", "python-bytecode": "python-bytecode", uv: "uv", wheels: "wheel", "wheels-bytecode": "wheel-bytecode", dhtl: "dhtl", system: "system", node: "node" } as const;
  const kind = dirs[m[2] as keyof typeof dirs];
  return { kind, platform: m[1] };
}

const EXECUTABLE_KINDS = new Set<BundleFileKind>(["uv", "dhtl"]);

/** Hash the staged files into manifest entries (sorted by path). */
export async function stagedFileEntries(stagingDir: string): Promise<BundleFileEntry[]> {
  const tree = await scanDirectory(stagingDir);
  if (tree.oddEntries.length) throw new DhtError(ExitCode.failed, `the bundle staging directory holds a symlink or special file: ${tree.oddEntries[0]}`, { subject: join(stagingDir, tree.oddEntries[0]!) });
  const entries: BundleFileEntry[] = [];
  for (const file of tree.files) {
    if (file.path === MANIFEST_FILE || file.path === SIGNATURE_FILE) continue;
    const kind = kindOfPath(file.path);
    if (!kind) throw new DhtError(ExitCode.failed, `unexpected file in the bundle staging directory: ${file.path}`, { subject: join(stagingDir, file.path) });
    entries.push({ path: file.path, size: file.size, sha256: file.sha256, ...kind });
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface WriteBundleInput {
  stagingDir: string;
  /** Everything but the file list, which is computed here. */
  manifest: Omit<BundleManifest, "files">;
  /** A .tar.gz/.tgz file, or a directory that must not exist yet. */
  output: string;
  /** Ed25519 private key: adds manifest.sig. */
  signKey?: CryptoKey;
  /** Seconds since the epoch for every tar entry's mtime (the manifest's creation time). */
  mtime: number;
}

export interface WrittenBundle {
  output: string;
  kind: "tar.gz" | "directory";
  /** Size of the .tar.gz, or the sum of file sizes for a directory. */
  size: number;
  /** sha256 of the .tar.gz (what the user compares after copying it). */
  sha256?: string;
  manifest: BundleManifest;
  signedBy?: string;
}

export async function writeBundle(input: WriteBundleInput): Promise<WrittenBundle> {
  const files = await stagedFileEntries(input.stagingDir);
  const manifest: BundleManifest = { ...input.manifest, files };
  const bytes = serializeManifest(manifest);
  await writeFile(join(input.stagingDir, MANIFEST_FILE), bytes);
  let signedBy: string | undefined;
  if (input.signKey) {
    const sig = await signManifest(bytes, input.signKey);
    await writeFile(join(input.stagingDir, SIGNATURE_FILE), serializeSignature(sig));
    signedBy = sig.keyId;
  }
  for (const f of files) await chmod(join(input.stagingDir, f.path), EXECUTABLE_KINDS.has(f.kind) ? 0o755 : 0o644);

  if (!isArchiveOutput(input.output)) {
    if (existsSync(input.output)) {
      throw usageError(`${input.output} already exists`, { subject: "--output", hint: "choose a new directory, or name a .tar.gz file" });
    }
    await chmod(input.stagingDir, 0o755); // mkdtemp made it owner-only
    await rename(input.stagingDir, input.output);
    return { output: input.output, kind: "directory", size: files.reduce((n, f) => n + f.size, 0), manifest, signedBy };
  }

  const { directoryEntries, writeDeterministicTarGz } = await import("../archive/tar-write.ts");
  // Directory entries too, so an environment without wheels still has its (empty) directory.
  // Level 1: nearly everything inside is compressed already (wheels, CPython archives).
  // The manifest and its signature lead: a reader verifies them from the archive's head
  // before it unpacks anything (bundle/read.ts).
  const written = await writeDeterministicTarGz(directoryEntries(input.stagingDir), input.output, { mtime: input.mtime, level: 1, first: [MANIFEST_FILE, SIGNATURE_FILE] });
  return { output: input.output, kind: "tar.gz", size: written.size, sha256: written.sha256, manifest, signedBy };
}
