import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { assertBundleComplete, openBundle, unpackedBundleDir } from "../../src/bundle/read.ts";
import { DhtError } from "../../src/errors.ts";
import { FIXTURE_PYTHON, FIXTURE_UV, FIXTURE_WHEEL_DIR, FIXTURE_WHEELS, stageFixture, tempDir, writeFixtureBundle } from "../helpers/bundle-fixture.ts";
import { writeBundle } from "../../src/bundle/write.ts";
import { inspectBundle, renderInspect } from "../../src/bundle/inspect.ts";

async function refusal(promise: Promise<unknown>): Promise<DhtError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DhtError);
    return error as DhtError;
  }
  throw new Error("expected the bundle to be refused");
}

describe("openBundle on a directory", () => {
  test("a good bundle opens and exposes absolute paths to the Python, uv, wheels and project files", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    const warnings: string[] = [];
    const bundle = await openBundle(out, { home: tempDir(), warn: (m) => warnings.push(m) });
    expect(bundle.root).toBe(out);
    expect(bundle.python("linux-x86_64-gnu")).toEqual({ version: "3.11.7", archive: join(out, FIXTURE_PYTHON), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(bundle.uv("linux-x86_64-gnu")).toEqual({ version: "0.13.9", binary: join(out, FIXTURE_UV) });
    expect(bundle.wheelsDir("linux-x86_64-gnu")).toBe(join(out, FIXTURE_WHEEL_DIR));
    expect(bundle.wheelsDir("linux-x86_64-gnu", "./")).toBe(join(out, FIXTURE_WHEEL_DIR));
    expect(bundle.projectFiles()).toBe(join(out, "project"));
    expect(bundle.python("windows-x86_64-none")).toBeUndefined();
    expect(bundle.wheelsDir("linux-x86_64-gnu", "services/api")).toBeUndefined();
    expect(bundle.missing("linux-x86_64-gnu")).toEqual([]);
    expect(bundle.signature).toEqual({ state: "unsigned" });
    expect(warnings.join("\n")).toContain("not signed");
  });

  test("a changed wheel is refused and the error names that file", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    const wheel = join(out, FIXTURE_WHEEL_DIR, FIXTURE_WHEELS[1]!);
    writeFileSync(wheel, "wheel siX\n"); // same size, different bytes
    const error = await refusal(openBundle(out, { home: tempDir() }));
    expect(error.message).toContain(`${FIXTURE_WHEEL_DIR}/${FIXTURE_WHEELS[1]} has sha256`);
    expect(error.message).toContain("nothing was installed");
    expect(error.subject).toBe(wheel);
  });

  test("a truncated Python archive is refused with its size mismatch", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    truncateSync(join(out, FIXTURE_PYTHON), 100);
    const error = await refusal(openBundle(out, { home: tempDir() }));
    expect(error.message).toMatch(new RegExp(`${FIXTURE_PYTHON.replace(/[.+]/g, "\\$&")} has 100 bytes, the manifest says \\d+`));
  });

  test("a missing file is refused as missing", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    rmSync(join(out, FIXTURE_UV));
    const error = await refusal(openBundle(out, { home: tempDir() }));
    expect(error.message).toContain(`${FIXTURE_UV} is listed in the manifest but missing`);
  });

  test("a wheel slipped into the wheels directory is refused as unlisted", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    writeFileSync(join(out, FIXTURE_WHEEL_DIR, "evil-1.0-py3-none-any.whl"), "payload");
    const error = await refusal(openBundle(out, { home: tempDir() }));
    expect(error.message).toContain(`${FIXTURE_WHEEL_DIR}/evil-1.0-py3-none-any.whl is not listed in the manifest`);
  });

  test("a wheel replaced by a symlink is refused even though its target has the right bytes", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    const wheel = join(out, FIXTURE_WHEEL_DIR, FIXTURE_WHEELS[0]!);
    const copy = join(tempDir(), "copy.whl");
    writeFileSync(copy, readFileSync(wheel));
    rmSync(wheel);
    symlinkSync(copy, wheel);
    const error = await refusal(openBundle(out, { home: tempDir() }));
    expect(error.message).toContain(`${FIXTURE_WHEELS[0]} is a symlink or special file`);
  });

  test("an edited manifest that no longer parses is refused naming manifest.json and the field", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    const path = join(out, "manifest.json");
    writeFileSync(path, readFileSync(path, "utf8").replace('"schemaVersion": 1', '"schemaVersion": 1, "extra": true'));
    const error = await refusal(openBundle(out, { home: tempDir() }));
    expect(error.subject).toBe(`${out}/manifest.json`);
    expect(error.message).toContain("manifest is invalid");
  });

  test("a directory without manifest.json is not a bundle", async () => {
    const dir = tempDir();
    const error = await refusal(openBundle(dir, { home: tempDir() }));
    expect(error.message).toContain("has no manifest.json");
  });

  test("a path that does not exist is a usage error naming it", async () => {
    const error = await refusal(openBundle("/nonexistent/bundle.tar.gz", { home: tempDir() }));
    expect(error.code).toBe(2);
    expect(error.subject).toBe("/nonexistent/bundle.tar.gz");
  });
});

describe("openBundle on a .tar.gz", () => {
  test("a good archive is unpacked once into DHT_HOME/cache/bundles/<sha256> and verified", async () => {
    const file = join(tempDir(), "bundle.tar.gz");
    const written = await writeFixtureBundle(file);
    const home = tempDir();
    const bundle = await openBundle(file, { home });
    expect(bundle.root).toBe(unpackedBundleDir(home, written.sha256!));
    expect(readFileSync(bundle.uv("linux-x86_64-gnu")!.binary, "utf8")).toContain("uv 0.13.9");
    expect(statSync(bundle.uv("linux-x86_64-gnu")!.binary).mode & 0o111).not.toBe(0);
    const again = await openBundle(file, { home });
    expect(again.root).toBe(bundle.root);
  });

  test("a truncated archive is refused naming the bundle file, and nothing is left unpacked", async () => {
    const file = join(tempDir(), "bundle.tar.gz");
    const written = await writeFixtureBundle(file);
    truncateSync(file, Math.floor(written.size / 2));
    const home = tempDir();
    const error = await refusal(openBundle(file, { home }));
    expect(error.subject).toBe(file);
    expect(error.message).toContain("nothing was installed");
    const bundles = join(home, "cache", "bundles");
    expect(existsSync(bundles) ? readdirSync(bundles) : []).toEqual([]);
  });

  test("a tampered unpacked copy in the cache is refused and removed", async () => {
    const file = join(tempDir(), "bundle.tar.gz");
    await writeFixtureBundle(file);
    const home = tempDir();
    const bundle = await openBundle(file, { home });
    appendFileSync(join(bundle.root, FIXTURE_WHEEL_DIR, FIXTURE_WHEELS[0]!), "x");
    const error = await refusal(openBundle(file, { home }));
    expect(error.message).toContain(FIXTURE_WHEELS[0]!);
    expect(existsSync(bundle.root)).toBe(false);
    // The next open unpacks a fresh copy from the (intact) archive.
    expect((await openBundle(file, { home })).root).toBe(bundle.root);
  });

  test("a file that is not gzip is refused", async () => {
    const file = join(tempDir(), "bundle.tar.gz");
    writeFileSync(file, "not a bundle");
    const error = await refusal(openBundle(file, { home: tempDir() }));
    expect(error.message).toContain("neither a directory nor a .tar.gz");
  });
});

describe("inspectBundle", () => {
  test("reads a .tar.gz as a stream and reports every file's check without unpacking it", async () => {
    const file = join(tempDir(), "bundle.tar.gz");
    const written = await writeFixtureBundle(file);
    const report = await inspectBundle(file, {});
    expect(report.ok).toBe(true);
    expect(report.sha256).toBe(written.sha256!);
    expect(report.files.map((f) => [f.path, f.ok, f.kind])).toContainEqual([FIXTURE_UV, true, "uv"]);
    expect(report.signature).toEqual({ state: "unsigned", required: false });
    expect(renderInspect(report, true)).toContain(`ok   ${FIXTURE_UV}`);
  });

  test("lists every problem of a damaged directory bundle instead of stopping at the first", async () => {
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    rmSync(join(out, FIXTURE_UV));
    writeFileSync(join(out, FIXTURE_WHEEL_DIR, FIXTURE_WHEELS[0]!), "changed!!!!!");
    const report = await inspectBundle(out, {});
    expect(report.ok).toBe(false);
    expect(report.files.filter((f) => !f.ok).map((f) => [f.path, f.problem])).toEqual([
      [FIXTURE_UV, "missing"],
      [`${FIXTURE_WHEEL_DIR}/${FIXTURE_WHEELS[0]}`, "sha256"],
    ]);
    expect(renderInspect(report, false)).toContain("REFUSED");
  });

  test("a truncated .tar.gz is an error naming the file", async () => {
    const file = join(tempDir(), "bundle.tar.gz");
    const written = await writeFixtureBundle(file);
    truncateSync(file, Math.floor(written.size / 3));
    await expect(inspectBundle(file, {})).rejects.toThrow(`${file} cannot be read as a bundle`);
  });
});

describe("what a bundle could not hold", () => {
  test("requirements recorded as missing at prepare time are handed to setup per platform and environment", async () => {
    const { staging, manifest } = stageFixture();
    manifest.platforms[0]!.wheels["."]!.missing = [{ requirement: "only-sdist==0.1.0", reason: "only a source distribution exists" }];
    manifest.platforms[0]!.wheels["."]!.requirements.push("only-sdist==0.1.0");
    const out = join(tempDir(), "bundle");
    await writeBundle({ stagingDir: staging, manifest, output: out, mtime: 0 });
    const bundle = await openBundle(out, { home: tempDir() });
    expect(bundle.missing("linux-x86_64-gnu")).toEqual([{ requirement: "only-sdist==0.1.0", reason: "only a source distribution exists" }]);
    expect(bundle.missing("linux-x86_64-gnu", "services/api")).toEqual([]);
    // What the uv cache warm-up asks for: the pins that have a wheel, never the missing one.
    expect(bundle.pinned("linux-x86_64-gnu")).not.toContain("only-sdist==0.1.0");
    expect(bundle.pinned("linux-x86_64-gnu").length).toBe(manifest.platforms[0]!.wheels["."]!.requirements.length - 1);
    expect(() => assertBundleComplete(bundle, "linux-x86_64-gnu")).toThrow("the offline bundle lacks 1 requirement for linux-x86_64-gnu: only-sdist==0.1.0");
    expect(() => assertBundleComplete(bundle, "linux-x86_64-gnu", "services/api")).not.toThrow();
  });
});

describe("writeBundle", () => {
  test("the same inputs give a byte-identical .tar.gz", async () => {
    const a = await writeFixtureBundle(join(tempDir(), "a.tar.gz"));
    const b = await writeFixtureBundle(join(tempDir(), "b.tar.gz"));
    expect(a.sha256).toBe(b.sha256!);
    expect(readFileSync(a.output).equals(readFileSync(b.output))).toBe(true);
  });

  test("a different creation time changes the archive bytes", async () => {
    const a = await writeFixtureBundle(join(tempDir(), "a.tar.gz"), { mtime: 1767225600 });
    const b = await writeFixtureBundle(join(tempDir(), "b.tar.gz"), { mtime: 1767225601 });
    expect(a.sha256).not.toBe(b.sha256!);
  });

  test("the manifest lists every staged file with its size, sha256 and kind", async () => {
    const out = join(tempDir(), "bundle");
    const written = await writeFixtureBundle(out);
    const kinds = Object.fromEntries(written.manifest.files.map((f) => [f.path, f.kind]));
    expect(kinds).toEqual({
      [FIXTURE_PYTHON]: "python",
      [FIXTURE_UV]: "uv",
      [`${FIXTURE_WHEEL_DIR}/${FIXTURE_WHEELS[0]}`]: "wheel",
      [`${FIXTURE_WHEEL_DIR}/${FIXTURE_WHEELS[1]}`]: "wheel",
      "project/.python-version": "project",
      "project/requirements.txt": "project",
    });
    const uv = written.manifest.files.find((f) => f.path === FIXTURE_UV)!;
    expect(uv.size).toBe(statSync(join(out, FIXTURE_UV)).size);
    expect(uv.platform).toBe("linux-x86_64-gnu");
  });

  test("an existing output directory is not overwritten", async () => {
    const out = tempDir();
    await expect(writeFixtureBundle(out)).rejects.toThrow("already exists");
  });
});
