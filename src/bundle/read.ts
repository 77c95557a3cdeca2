/**
 * openBundle: the only way setup gets at a bundle's contents. It verifies first — the
 * manifest's schema, the signature policy, and the size and sha256 of every file, with no
 * unlisted extras — and only then hands out paths. A .tar.gz is unpacked (atomically, by
 * src/archive/extract.ts) into DHT_HOME/cache/bundles/<sha256 of the file>/ and that copy is
 * what gets verified, so what is checked is exactly what is used.
 */
import { existsSync, readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { DhtError, ExitCode, isDhtError } from "../errors.ts";
import { homePaths } from "../paths.ts";
import { normalizeEnvDir } from "./layout.ts";
import { MANIFEST_FILE, parseManifest } from "./manifest.ts";
import type { BundleManifest, OpenBundleOptions, OpenedBundle, SignatureStatus } from "./types.ts";
import { checkSignature, refusal, scanDirectory, verifyTree } from "./verify.ts";

/** Where a .tar.gz bundle with this content hash is unpacked. */
export const unpackedBundleDir = (home: string, sha256: string) => join(homePaths(home).cache, "bundles", sha256);

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function sha256OfFile(file: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(file).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

function notABundle(path: string, why: string, cause?: unknown): DhtError {
  return new DhtError(ExitCode.failed, `${path} is not a usable offline bundle: ${why}; nothing was installed`, {
    subject: path,
    hint: "copy the bundle again from the connected machine (compare its sha256 with the one `dhtl prepare-offline` printed), or prepare a new one",
    cause,
  });
}

/**
 * Unpack a .tar.gz bundle into the cache (once per content hash); returns the directory.
 * Nothing is written before the manifest at the archive's head parsed and its signature
 * checked against the policy; then only what the manifest lists is admitted, at its
 * declared size, so a small hostile file can never make dhtl write more than it declares.
 */
async function unpack(file: string, home: string, opts: OpenBundleOptions): Promise<string> {
  if (!(await isGzip(file))) throw notABundle(file, "it is neither a directory nor a .tar.gz file");
  const target = unpackedBundleDir(home, await sha256OfFile(file));
  if (existsSync(target)) {
    touch(target);
    return target;
  }
  const { BundleRefused, bundleAdmission, readBundleHead } = await import("./verify.ts");
  let manifest: BundleManifest;
  try {
    const head = await readBundleHead(file);
    manifest = parseManifest(head.manifestBytes, `${file}/${MANIFEST_FILE}`);
    await checkSignature(head.manifestBytes, head.signatureText, opts, file);
  } catch (cause) {
    if (isDhtError(cause)) throw cause;
    if (cause instanceof BundleRefused) throw notABundle(file, cause.message, cause);
    throw notABundle(file, `its head cannot be read (${(cause as Error).message}): truncated or not a bundle`, cause);
  }
  const { extractArchive } = await import("../archive/extract.ts");
  const admission = bundleAdmission(manifest);
  pruneUnpackedBundles(home, target);
  try {
    await extractArchive(file, target, { format: "tar.gz", admit: admission.admit, maxBytes: admission.maxBytes, maxEntries: admission.maxEntries });
  } catch (cause) {
    // Another process may have unpacked the same bundle meanwhile.
    if (existsSync(target)) return target;
    const { describeFileSystemError } = await import("../platform/fs-errors.ts");
    const fsProblem = describeFileSystemError(cause);
    if (fsProblem) {
      throw new DhtError(ExitCode.failed, `could not unpack the offline bundle ${file} into ${dirname(target)}: ${fsProblem.what}; nothing was installed`, {
        subject: dirname(target),
        hint: fsProblem.hint,
        cause,
      });
    }
    const reason = isDhtError(cause) ? cause.message : (cause as Error).message;
    if (isDhtError(cause) && cause.details?.reason) throw notABundle(file, `it was refused while unpacking: ${reason}`, cause);
    throw notABundle(file, `it cannot be unpacked (${reason}): truncated or corrupt`, cause);
  }
  return target;
}

/** Mark an unpacked copy as used now (pruneUnpackedBundles keeps the recently used ones). */
function touch(dir: string): void {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    /* a read-only cache: nothing to record */
  }
}

/**
 * cache/bundles keeps the unpacked copies of the bundles used most recently, not every
 * bundle ever opened: before a new one is unpacked, copies beyond the newest two that were
 * not used within the last hour are removed (an hour protects a copy another dhtl is
 * installing from right now). Only directories named like a sha256 are ever considered.
 */
export function pruneUnpackedBundles(home: string, keep: string, now = Date.now()): string[] {
  const root = join(homePaths(home).cache, "bundles");
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^[0-9a-f]{64}$/.test(n) && join(root, n) !== keep);
  } catch {
    return [];
  }
  const used = names
    .map((name) => {
      try {
        return { name, mtime: statSync(join(root, name)).mtimeMs };
      } catch {
        return undefined;
      }
    })
    .filter((e): e is { name: string; mtime: number } => e !== undefined)
    .sort((a, b) => b.mtime - a.mtime);
  const removed: string[] = [];
  for (const entry of used.slice(KEEP_UNPACKED_BUNDLES - 1)) {
    if (now - entry.mtime < 60 * 60 * 1000) continue;
    rmSync(join(root, entry.name), { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}

/** The new copy counts as one of these. */
const KEEP_UNPACKED_BUNDLES = 2;

export async function openBundle(fileOrDir: string, opts: OpenBundleOptions): Promise<OpenedBundle> {
  const given = resolve(fileOrDir);
  let stats;
  try {
    stats = statSync(given);
  } catch (cause) {
    throw new DhtError(ExitCode.usage, `offline bundle ${given} does not exist`, {
      subject: given,
      hint: "pass the file made by `dhtl prepare-offline` (or the directory it was unpacked into) to --offline-bundle",
      cause,
    });
  }
  const root = stats.isDirectory() ? given : await unpack(given, opts.home, opts);
  const fromArchive = root !== given;
  try {
    const tree = await scanDirectory(root);
    const report = verifyTree(tree, given);
    const signature = await checkSignature(report.manifestBytes, tree.signatureText, opts, given);
    const refused = refusal(report, given);
    if (refused) throw refused;
    if (signature.state === "unsigned") opts.warn?.(`the offline bundle ${given} is not signed; its checksums were verified, but not who made it`);
    if (signature.state === "not-checked") opts.warn?.(`the offline bundle is signed (key ${signature.keyId}) but no verify key was given, so the signature was not checked`);
    return makeOpenedBundle(root, report.manifest, signature);
  } catch (error) {
    // A bad unpacked copy must not be trusted next time either.
    if (fromArchive) await rm(root, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
}

/** The accessors over a verified bundle directory. Exported for tests. */
export function makeOpenedBundle(root: string, manifest: BundleManifest, signature: SignatureStatus): OpenedBundle {
  const platform = (key: string) => manifest.platforms.find((p) => p.key === key);
  return {
    root,
    manifest,
    signature,
    python(key, envDir) {
      const p = platform(key);
      if (!p) return undefined;
      const wanted = p.wheels[normalizeEnvDir(envDir)]?.python ?? p.wheels["."]?.python;
      const build = p.pythons.find((b) => b.version === wanted) ?? p.pythons[0];
      return build && { version: build.version, archive: join(root, build.path), sha256: build.sha256, ...(build.bytecode ? { bytecode: join(root, build.bytecode) } : {}) };
    },
    uv(key) {
      const p = platform(key);
      return p && { version: p.uv.version, binary: join(root, p.uv.path) };
    },
    wheelsDir(key, envDir) {
      const set = platform(key)?.wheels[normalizeEnvDir(envDir)];
      return set && join(root, set.dir);
    },
    missing(key, envDir) {
      return [...(platform(key)?.wheels[normalizeEnvDir(envDir)]?.missing ?? [])];
    },
    systemPayload(key, name) {
      const entry = platform(key)?.system?.[name];
      return entry && { ...entry, paths: entry.files.map((f) => join(root, f)) };
    },
    node(key) {
      const n = platform(key)?.node;
      return n && { ...n, file: join(root, n.path) };
    },
    wheelBytecode(key, envDir) {
      const set = platform(key)?.wheels[normalizeEnvDir(envDir)];
      return set?.bytecode ? { path: join(root, set.bytecode), python: set.python } : undefined;
    },
    pinned(key, envDir) {
      const set = platform(key)?.wheels[normalizeEnvDir(envDir)];
      const absent = new Set(set?.missing.map((m) => m.requirement) ?? []);
      return (set?.requirements ?? []).filter((r) => !absent.has(r));
    },
    projectFiles(envDir) {
      const dir = normalizeEnvDir(envDir);
      if (!manifest.project.environments.includes(dir)) return undefined;
      const path = dir === "." ? join(root, manifest.project.filesDir) : join(root, manifest.project.filesDir, dir);
      return existsSync(path) ? path : undefined;
    },
  };
}

/**
 * Refuse, before anything is installed, a bundle that was prepared knowing it lacks
 * requirements of this environment on this platform (prepare-offline lists them as
 * "missing"): one error listing all of them, instead of the installer failing on the first.
 */
export function assertBundleComplete(bundle: OpenedBundle, platformKey: string, envDir?: string): void {
  const missing = bundle.missing(platformKey, envDir);
  if (!missing.length) return;
  const env = normalizeEnvDir(envDir);
  throw new DhtError(ExitCode.unsatisfiable, `the offline bundle lacks ${missing.length} requirement${missing.length === 1 ? "" : "s"} for ${platformKey}${env === "." ? "" : ` (environment ${env})`}: ${missing.map((m) => m.requirement).join(", ")}`, {
    subject: join(bundle.root, "manifest.json"),
    hint: `${missing.map((m) => `${m.requirement}: ${m.reason}`).join("\n")}\nprepare the bundle again once wheels for them exist (registries.find_links), then run setup again`,
    details: { missing },
  });
}

/**
 * The bundle as one monorepo environment sees it: its Python build (environments may pin
 * different versions) and its wheels, so callers that only know a platform key (the Python
 * resolution chain) get that environment's choice.
 */
export function scopeToEnvironment(bundle: OpenedBundle, envDir: string | undefined): OpenedBundle {
  if (normalizeEnvDir(envDir) === ".") return bundle;
  return {
    ...bundle,
    python: (key, dir) => bundle.python(key, dir ?? envDir),
    wheelsDir: (key, dir) => bundle.wheelsDir(key, dir ?? envDir),
    missing: (key, dir) => bundle.missing(key, dir ?? envDir),
    pinned: (key, dir) => bundle.pinned(key, dir ?? envDir),
    wheelBytecode: (key, dir) => bundle.wheelBytecode(key, dir ?? envDir),
    projectFiles: (dir) => bundle.projectFiles(dir ?? envDir),
  };
}
