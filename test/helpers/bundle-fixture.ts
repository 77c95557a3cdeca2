/**
 * Small, synthetic offline bundles for unit tests of the bundle format (writer, reader,
 * verifier, signatures): real layout and real manifest, made by the real writer, but with
 * placeholder bytes instead of CPython and uv (these tests never run them). End-to-end tests
 * (test/e2e/offline*.test.ts) use real bundles made by `dhtl prepare-offline`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { writeBundle, type WrittenBundle } from "../../src/bundle/write.ts";
import type { BundleManifest } from "../../src/bundle/types.ts";

export const FIXTURE_PYTHON = "platforms/linux-x86_64-gnu/python/cpython-3.11.7+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz";
export const FIXTURE_UV = "platforms/linux-x86_64-gnu/uv/uv";
export const FIXTURE_WHEEL_DIR = "platforms/linux-x86_64-gnu/wheels/root";
export const FIXTURE_WHEELS = ["attrs-24.3.0-py3-none-any.whl", "six-1.17.0-py2.py3-none-any.whl"];

const sha = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

export function tempDir(prefix = "dht-bundle-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Stage the fixture's files into a new directory; returns it and the manifest minus its file list. */
export function stageFixture(extra: Record<string, string> = {}): { staging: string; manifest: Omit<BundleManifest, "files"> } {
  const staging = tempDir("dht-stage-");
  const pythonBytes = "fake CPython archive (never run by these tests)\n".repeat(50);
  const files: Record<string, string> = {
    [FIXTURE_PYTHON]: pythonBytes,
    [FIXTURE_UV]: "#!/bin/sh\necho 'uv 0.13.9'\n",
    [`${FIXTURE_WHEEL_DIR}/${FIXTURE_WHEELS[0]}`]: "wheel attrs\n",
    [`${FIXTURE_WHEEL_DIR}/${FIXTURE_WHEELS[1]}`]: "wheel six\n",
    "project/requirements.txt": "attrs==24.3.0\nsix==1.17.0\n",
    "project/.python-version": "3.11.7\n",
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(staging, path)), { recursive: true });
    writeFileSync(join(staging, path), text);
  }
  const manifest: Omit<BundleManifest, "files"> = {
    format: "dhtl-offline-bundle",
    schemaVersion: 1,
    dhtl: { version: "0.1.0", commit: "test" },
    created: "2026-01-01T00:00:00.000Z",
    project: { name: "fixture", environments: ["."], pythonRequest: "3.11.7", filesDir: "project" },
    platforms: [
      {
        key: "linux-x86_64-gnu",
        pythons: [{ version: "3.11.7", build: "20990101", path: FIXTURE_PYTHON, sha256: sha(pythonBytes), format: "tar.gz", flavor: "install_only", url: "http://127.0.0.1/x.tar.gz" }],
        uv: { version: "0.13.9", path: FIXTURE_UV, wheel: "uv-0.13.9-py3-none-manylinux_2_17_x86_64.whl", wheelSha256: "0".repeat(64) },
        wheels: { ".": { python: "3.11.7", dir: FIXTURE_WHEEL_DIR, requirements: ["attrs==24.3.0", "six==1.17.0"], files: [...FIXTURE_WHEELS], missing: [] } },
      },
    ],
    warnings: [],
  };
  return { staging, manifest };
}

/** A complete fixture bundle at `output` (.tar.gz or a new directory). */
export async function writeFixtureBundle(output: string, opts: { signKey?: CryptoKey; mtime?: number } = {}): Promise<WrittenBundle> {
  const { staging, manifest } = stageFixture();
  return writeBundle({ stagingDir: staging, manifest, output, signKey: opts.signKey, mtime: opts.mtime ?? 1767225600 });
}
