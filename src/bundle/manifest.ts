/**
 * manifest.json of an offline bundle: its valibot schema, its canonical serialisation
 * (the bytes that are hashed and signed) and a parser whose errors name the field.
 *
 * Canonical form: keys sorted at every level, two-space indentation, "\n" line ends and a
 * final newline. Writing is deterministic, so the same inputs give the same bytes (and the
 * same signature), and a reader can re-serialise to detect hand edits.
 */
import * as v from "valibot";
import { DhtError, ExitCode } from "../errors.ts";
import type { BundleManifest } from "./types.ts";

export const MANIFEST_FILE = "manifest.json";

const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"));
const platformKey = v.pipe(v.string(), v.regex(/^(linux|darwin|windows)-(x86_64|aarch64)-(gnu|musl|none)$/, 'must look like "linux-x86_64-gnu"'));
/** Relative POSIX path that cannot leave the bundle root. */
export const safeRelativePath = v.pipe(
  v.string(),
  v.minLength(1),
  v.check((p) => isSafeRelativePath(p), "must be a relative path inside the bundle (no '..', no leading '/', no backslash)"),
);

export function isSafeRelativePath(p: string): boolean {
  if (p.startsWith("/") || p.includes("\\") || p.includes("\0") || /^[A-Za-z]:/.test(p)) return false;
  return p.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

const fileEntry = v.strictObject({
  path: safeRelativePath,
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  sha256: sha256Hex,
  kind: v.picklist(["python", "python-bytecode", "uv", "wheel", "wheel-bytecode", "project", "dhtl", "system", "node"]),
  platform: v.optional(platformKey),
});

const wheelSet = v.strictObject({
  python: v.string(),
  dir: safeRelativePath,
  requirements: v.array(v.string()),
  files: v.array(v.string()),
  missing: v.array(v.strictObject({ requirement: v.string(), reason: v.string() })),
  bytecode: v.optional(safeRelativePath),
});

const platformEntry = v.strictObject({
  key: platformKey,
  pythons: v.pipe(
    v.array(
      v.strictObject({
        version: v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/, "must be X.Y.Z")),
        build: v.string(),
        path: safeRelativePath,
        sha256: sha256Hex,
        format: v.picklist(["tar.gz", "tar.zst", "zip"]),
        flavor: v.string(),
        url: v.string(),
        bytecode: v.optional(safeRelativePath),
      }),
    ),
    v.minLength(1, "must list at least one Python build"),
  ),
  uv: v.strictObject({
    version: v.string(),
    path: safeRelativePath,
    wheel: v.string(),
    wheelSha256: sha256Hex,
  }),
  wheels: v.record(v.string(), wheelSet),
  dhtl: v.optional(safeRelativePath),
  system: v.optional(
    v.record(
      v.string(),
      v.strictObject({
        source: v.picklist(["index", "distro"]),
        files: v.array(safeRelativePath),
        bin: v.optional(v.string()),
        archive: v.optional(v.string()),
        manager: v.optional(v.string()),
        detail: v.string(),
      }),
    ),
  ),
  node: v.optional(v.strictObject({ version: v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/, "must be X.Y.Z")), path: safeRelativePath, format: v.picklist(["tar.gz", "zip", "wheel"]), source: v.string() })),
});

export const BundleManifestSchema = v.strictObject({
  format: v.literal("dhtl-offline-bundle"),
  schemaVersion: v.literal(1),
  dhtl: v.strictObject({ version: v.string(), commit: v.string() }),
  created: v.pipe(v.string(), v.isoTimestamp()),
  project: v.strictObject({
    name: v.optional(v.string()),
    environments: v.array(v.string()),
    pythonRequest: v.optional(v.string()),
    filesDir: safeRelativePath,
  }),
  platforms: v.pipe(v.array(platformEntry), v.minLength(1, "must list at least one platform")),
  files: v.array(fileEntry),
  warnings: v.array(v.string()),
});

// Compile-time check that the schema and the hand-written type agree.
type SchemaOutput = v.InferOutput<typeof BundleManifestSchema>;
const _schemaMatchesType: (m: SchemaOutput) => BundleManifest = (m) => m;
const _typeMatchesSchema: (m: BundleManifest) => SchemaOutput = (m) => m;
void _schemaMatchesType;
void _typeMatchesSchema;

/** JSON with keys sorted at every level; undefined members are dropped. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}

export function serializeManifest(manifest: BundleManifest): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifest));
}

/**
 * Parse and validate manifest bytes. `where` names the file in errors (the bundle path plus
 * "manifest.json"). Cross-checks that every path a platform refers to is a listed file.
 */
export function parseManifest(bytes: Uint8Array, where: string): BundleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw invalidManifest(where, "it is not valid JSON", undefined, cause);
  }
  if ((raw as { format?: unknown })?.format !== "dhtl-offline-bundle") {
    throw invalidManifest(where, 'it is not a dhtl offline bundle manifest ("format" is not "dhtl-offline-bundle")');
  }
  const schemaVersion = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (schemaVersion !== 1) {
    throw new DhtError(ExitCode.unsatisfiable, `the bundle uses manifest schema version ${String(schemaVersion)}, this dhtl reads version 1`, {
      subject: where,
      hint: "use the dhtl version that prepared the bundle (include it with --include-self), or prepare the bundle again with this dhtl",
    });
  }
  const result = v.safeParse(BundleManifestSchema, raw);
  if (!result.success) {
    const issue = result.issues[0]!;
    const field = v.getDotPath(issue) ?? "(top level)";
    throw invalidManifest(where, issue.message, field);
  }
  const manifest = result.output as BundleManifest;
  const listed = new Set(manifest.files.map((f) => f.path));
  if (listed.size !== manifest.files.length) throw invalidManifest(where, "a file is listed twice", "files");
  for (const platform of manifest.platforms) {
    const refs = [...platform.pythons.flatMap((p) => (p.bytecode ? [p.path, p.bytecode] : [p.path])), platform.uv.path, ...(platform.dhtl ? [platform.dhtl] : [])];
    for (const set of Object.values(platform.wheels)) refs.push(...set.files.map((f) => `${set.dir}/${f}`), ...(set.bytecode ? [set.bytecode] : []));
    for (const ref of refs) {
      if (!listed.has(ref)) throw invalidManifest(where, `platform ${platform.key} refers to ${ref}, which is not in the file list`, `platforms.${platform.key}`);
    }
    for (const [env, set] of Object.entries(platform.wheels)) {
      if (env !== "." && !isSafeRelativePath(env)) throw invalidManifest(where, `environment "${env}" is not a relative directory`, `platforms.${platform.key}.wheels`);
      if (!platform.pythons.some((p) => p.version === set.python)) {
        throw invalidManifest(where, `the wheels of "${env}" are for Python ${set.python}, which the bundle does not hold`, `platforms.${platform.key}.wheels.${env}.python`);
      }
    }
  }
  return manifest;
}

function invalidManifest(where: string, why: string, field?: string, cause?: unknown): DhtError {
  return new DhtError(ExitCode.failed, `the bundle's manifest is invalid${field ? ` at "${field}"` : ""}: ${why}`, {
    subject: where,
    hint: "the bundle is damaged or was not made by `dhtl prepare-offline`; prepare it again on the connected machine",
    cause,
  });
}
