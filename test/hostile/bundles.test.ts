/**
 * Hostile family "bundles": tampered offline bundles. Each is refused by openBundle (what
 * setup uses) with one DhtError naming the bundle, leaves nothing in DHT_HOME/cache/bundles,
 * and `bundle inspect` reports it (an error, or a report that is not ok) in bounded time.
 * Nothing is unpacked before the manifest at the archive's head and its signature passed.
 */
import { describe, expect, mock, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DhtError } from "../../src/errors.ts";
import { inspectBundle } from "../../src/bundle/inspect.ts";
import { serializeManifest } from "../../src/bundle/manifest.ts";
import { generateKeyPair } from "../../src/bundle/sign.ts";
import type { BundleManifest } from "../../src/bundle/types.ts";
import { FIXTURE_UV, FIXTURE_WHEEL_DIR, FIXTURE_WHEELS, tempDir, writeFixtureBundle } from "../helpers/bundle-fixture.ts";
import { rawTarGz, type RawEntry } from "../helpers/raw-tar.ts";

// Count unpacking, delegating to the real extractor: a refused head must never reach it.
const realExtract = { ...(await import("../../src/archive/extract.ts")) };
const realExtractArchive = realExtract.extractArchive;
let extractions = 0;
mock.module("../../src/archive/extract.ts", () => ({
  ...realExtract,
  extractArchive: (...args: Parameters<typeof realExtractArchive>) => {
    extractions++;
    return realExtractArchive(...args);
  },
}));
const { openBundle } = await import("../../src/bundle/read.ts");

/** The real fixture bundle's files, read from an unpacked copy. */
const dirBundle = join(tempDir(), "bundle");
await writeFixtureBundle(dirBundle);
const manifestBytes = readFileSync(join(dirBundle, "manifest.json"));
const manifest = JSON.parse(manifestBytes.toString()) as BundleManifest;
const files: RawEntry[] = manifest.files.map((f) => ({ name: f.path, data: readFileSync(join(dirBundle, f.path)) }));
const head: RawEntry = { name: "manifest.json", data: manifestBytes };
const good = rawTarGz([head, ...files]);
const WHEEL = `${FIXTURE_WHEEL_DIR}/${FIXTURE_WHEELS[0]}`;
const wheelEntry = files.find((f) => f.name === WHEEL)!;

function withManifest(change: (m: BundleManifest) => void): RawEntry {
  const m = structuredClone(manifest);
  change(m);
  return { name: "manifest.json", data: serializeManifest(m) };
}
const replace = (name: string, entry: RawEntry | undefined) => [head, ...files.flatMap((f) => (f.name === name ? (entry ? [entry] : []) : [f]))];

/** Hand-made hostile bundles: name → .tar.gz bytes. */
const STRUCTURAL: Record<string, Uint8Array> = {
  "manifest not the first entry": rawTarGz([...files, head]),
  "no manifest at all": rawTarGz(files),
  "an empty archive": rawTarGz([]),
  "a 17 MiB manifest": rawTarGz([{ name: "manifest.json", data: new Uint8Array(17 * 1024 * 1024).fill(0x20) }, ...files]),
  "a manifest that is not JSON": rawTarGz([{ name: "manifest.json", data: "{not json" }, ...files]),
  "a manifest of another format": rawTarGz([withManifest((m) => ((m as { format: string }).format = "evil")), ...files]),
  "a second manifest.json later": rawTarGz([head, ...files, head]),
  "an unlisted file": rawTarGz([head, ...files, { name: `${FIXTURE_WHEEL_DIR}/evil-1.0-py3-none-any.whl`, data: "evil" }]),
  "an unlisted file outside the layout": rawTarGz([head, ...files, { name: "evil.sh", data: "rm -rf /" }]),
  "a listed file missing": rawTarGz(replace(WHEEL, undefined)),
  "a listed file with other bytes of the same size": rawTarGz(replace(WHEEL, { name: WHEEL, data: "wheel evil\n\n" })),
  "a listed file shorter than declared": rawTarGz(replace(WHEEL, { name: WHEEL, data: "wheel" })),
  "a header declaring 64 MiB for a 12-byte file (bomb)": rawTarGz(replace(WHEEL, { name: WHEEL, size: 64 * 1024 * 1024, data: wheelEntry.data })),
  "a file entry twice": rawTarGz([head, ...files, wheelEntry]),
  "a hard link to a listed file": rawTarGz(replace(WHEEL, { name: WHEEL, type: "1", linkname: FIXTURE_UV })),
  // The same bytes listed twice, the second stored as a hard link to the first: `bundle
  // inspect` always refused it, setup used to install it. One rule now: refused by both.
  "a listed file stored as a hard link to an identical listed file": rawTarGz([
    withManifest((m) => m.files.push({ ...m.files.find((f) => f.path === WHEEL)!, path: `${FIXTURE_WHEEL_DIR}/copy-1.0-py3-none-any.whl` })),
    ...files,
    { name: `${FIXTURE_WHEEL_DIR}/copy-1.0-py3-none-any.whl`, type: "1", linkname: WHEEL },
  ]),
  "a symlink in place of a wheel": rawTarGz(replace(WHEEL, { name: WHEEL, type: "2", linkname: "../../../../../etc/passwd" })),
  "a symlink to an absolute path": rawTarGz(replace(WHEEL, { name: WHEEL, type: "2", linkname: "/etc/passwd" })),
  "a character device": rawTarGz(replace(WHEEL, { name: WHEEL, type: "3" })),
  "a block device": rawTarGz(replace(WHEEL, { name: WHEEL, type: "4" })),
  "a fifo": rawTarGz(replace(WHEEL, { name: WHEEL, type: "6" })),
  "a directory where a wheel should be": rawTarGz(replace(WHEEL, { name: WHEEL, type: "5" })),
  "an entry with '..'": rawTarGz([head, ...files, { name: "platforms/../../escape.txt", data: "x" }]),
  "an absolute entry": rawTarGz([head, ...files, { name: "/tmp/dhtl-escape.txt", data: "x" }]),
  "a manifest listing a path with '..'": rawTarGz([withManifest((m) => m.files.push({ ...m.files[0]!, path: "../escape" })), ...files]),
  "a manifest whose listed size lies": rawTarGz([withManifest((m) => (m.files.find((f) => f.path === WHEEL)!.size = 1)), ...files]),
  "a manifest whose listed sha256 lies": rawTarGz([withManifest((m) => (m.files.find((f) => f.path === WHEEL)!.sha256 = "0".repeat(64))), ...files]),
  "a manifest.sig that is garbage": rawTarGz([head, { name: "manifest.sig", data: "garbage" }, ...files]),
  "a 1 MiB manifest.sig": rawTarGz([head, { name: "manifest.sig", data: new Uint8Array(1 << 20) }, ...files]),
  "not gzip": new TextEncoder().encode("this is not a bundle\n"),
  "gzip of garbage": new Uint8Array(Bun.gzipSync(new TextEncoder().encode("garbage ".repeat(1000)))),
  "32 MiB of padding after the last entry (bomb)": new Uint8Array(Bun.gzipSync(Buffer.concat([Buffer.from(Bun.gunzipSync(new Uint8Array(good))), Buffer.alloc(32 * 1024 * 1024, 1)]))),
};

/** The good bundle cut short at 25 places, and with one byte flipped at 40 (past the gzip header's mtime/OS bytes). */
const GENERATED: Record<string, Uint8Array> = {};
for (let i = 1; i <= 25; i++) {
  const at = Math.floor((good.length * i) / 26);
  GENERATED[`cut at byte ${at} of ${good.length}`] = good.subarray(0, at);
}
for (let i = 0; i < 40; i++) {
  const at = 10 + Math.floor(((good.length - 11) * i) / 40);
  const flipped = new Uint8Array(good);
  flipped[at] = flipped[at]! ^ 0xff;
  GENERATED[`byte ${at} flipped`] = flipped;
}

const ALL = { ...STRUCTURAL, ...GENERATED };
export const BUNDLE_CASES = Object.keys(ALL).length + 3;

function cacheEntries(home: string): string[] {
  const dir = join(home, "cache", "bundles");
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe("tampered bundles are refused, leaving nothing behind", () => {
  test("the untampered raw bundle opens (the baseline the cases below change)", async () => {
    const file = join(tempDir(), "good.tar.gz");
    writeFileSync(file, good);
    const bundle = await openBundle(file, { home: tempDir() });
    expect(bundle.manifest.files.length).toBe(manifest.files.length);
  });

  test.each(Object.entries(ALL))("%s", async (_name, bytes) => {
    const dir = tempDir();
    const file = join(dir, "bundle.tar.gz");
    writeFileSync(file, bytes);
    const home = tempDir();
    const error = await openBundle(file, { home }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(`${error.message} ${error.subject}`).toContain(file);
    expect(error.message).not.toContain("undefined");
    expect(cacheEntries(home)).toEqual([]);
    expect(existsSync("/tmp/dhtl-escape.txt")).toBe(false);
    expect(existsSync(join(dir, "escape.txt"))).toBe(false);
    // inspect reads the same bytes: an error, or a report that says REFUSED.
    const report = await inspectBundle(file, {}).catch((e) => e);
    if (report instanceof Error) expect(report).toBeInstanceOf(DhtError);
    else expect(report.ok).toBe(false);
  }, 15_000);
});

const keys = await Promise.all([generateKeyPair(), generateKeyPair()]);
const keyDir = tempDir();
writeFileSync(join(keyDir, "a.key"), keys[0].privatePem);
writeFileSync(join(keyDir, "a.pub"), keys[0].publicPem);
writeFileSync(join(keyDir, "b.pub"), keys[1].publicPem);

describe("signatures are checked from the archive's head, before anything is unpacked", () => {
  test("a bundle signed by another key: refused, extractArchive never called", async () => {
    const { loadPrivateKey } = await import("../../src/bundle/sign.ts");
    const file = join(tempDir(), "signed.tar.gz");
    await writeFixtureBundle(file, { signKey: await loadPrivateKey(join(keyDir, "a.key")) });
    const home = tempDir();
    extractions = 0;
    const error = await openBundle(file, { home, verifyKey: join(keyDir, "b.pub") }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("signature does not verify");
    expect(extractions).toBe(0);
    expect(cacheEntries(home)).toEqual([]);
    // With the right key the same file opens.
    const bundle = await openBundle(file, { home, verifyKey: join(keyDir, "a.pub") });
    expect(bundle.signature.state).toBe("valid");
  });

  test("an unsigned bundle with --verify-key: refused, extractArchive never called", async () => {
    const file = join(tempDir(), "unsigned.tar.gz");
    writeFileSync(file, good);
    extractions = 0;
    const error = await openBundle(file, { home: tempDir(), verifyKey: join(keyDir, "a.pub") }).catch((e) => e);
    expect(error).toBeInstanceOf(DhtError);
    expect(error.message).toContain("not signed");
    expect(extractions).toBe(0);
  });

  test("a file header that lies about its size is refused at the header, before its body is written", async () => {
    const file = join(tempDir(), "bomb.tar.gz");
    writeFileSync(file, STRUCTURAL["a header declaring 64 MiB for a 12-byte file (bomb)"]!);
    const error = await openBundle(file, { home: tempDir() }).catch((e) => e);
    expect(error.message).toContain(`declares ${64 * 1024 * 1024} bytes, the manifest says ${wheelEntry.data!.length}`);
  });
});
