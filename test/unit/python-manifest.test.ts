import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compact, render } from "../../scripts/gen-python-manifest.ts";
import { DhtError } from "../../src/errors.ts";
import { buildsForPlatform, buildUrl, expandManifest, loadPythonBuilds, PBS_URL_BASE } from "../../src/python/manifest.ts";
import { newestMatch, parsePythonRequest } from "../../src/python/request.ts";

const root = join(import.meta.dir, "..", "..");

describe("embedded python-downloads manifest", () => {
  test("the committed file is what the generator makes from the shared list (when the list is present)", () => {
    const sharedPath = "/work/shared/data/python-downloads.json";
    let shared: string;
    try {
      shared = readFileSync(sharedPath, "utf8");
    } catch {
      console.warn(`${sharedPath} is absent: comparing the committed manifest with its source is skipped`);
      return;
    }
    const expected = render(compact(JSON.parse(shared)));
    expect(readFileSync(join(root, "src/data/python-downloads.json"), "utf8")).toBe(expected);
  });

  test("expands to full builds whose derived URLs follow python-build-standalone's naming", async () => {
    const { builds, origin } = await loadPythonBuilds({});
    expect(origin).toBe("embedded");
    expect(builds.length).toBeGreaterThan(600);
    const b = builds.find((x) => x.version === "3.12.1" && x.platform === "linux-x86_64-gnu")!;
    expect(b.url).toStartWith(PBS_URL_BASE);
    expect(b.url).toContain(`cpython-3.12.1%2B${b.build}-x86_64-unknown-linux-gnu-`);
    expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const x of builds) expect(x.url).toMatch(/^https:\/\/github\.com\/astral-sh\/python-build-standalone\/releases\/download\/\d{8}\/cpython-/);
  });

  test("newest build for a minor on a platform", async () => {
    const { builds } = await loadPythonBuilds({});
    const linux = buildsForPlatform(builds, "linux-x86_64-gnu");
    expect(newestMatch(parsePythonRequest("3.11"), linux, (b) => b.version)!.version).toBe("3.11.16");
    expect(linux.every((b) => b.platform === "linux-x86_64-gnu")).toBe(true);
  });

  test("explicit relative URLs join url_base; absolute ones are kept", () => {
    const m = { schema: 1, url_base: "http://127.0.0.1:9/pbs/", builds: [["3.12.1", "linux-x86_64-gnu", "20990101", "install_only", "tar.gz", "a".repeat(64), "x/file.tar.gz"], ["3.12.2", "linux-x86_64-gnu", "20990101", "install_only", "tar.gz", "b".repeat(64), "http://other/y.tar.gz"]] };
    const [a, b] = expandManifest(m, "test");
    expect(a!.url).toBe("http://127.0.0.1:9/pbs/x/file.tar.gz");
    expect(b!.url).toBe("http://other/y.tar.gz");
    expect(buildUrl("B/", "3.12.1", "windows-x86_64-none", "1", "install_only", "tar.gz")).toBe("B/1/cpython-3.12.1%2B1-x86_64-pc-windows-msvc-install_only.tar.gz");
  });

  test("a malformed override names DHT_PYTHON_DOWNLOADS and the bad row", async () => {
    const dir = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "dhtl-manifest-"));
    const file = join(dir, "m.json");
    await Bun.write(file, JSON.stringify({ schema: 1, url_base: "x/", builds: [["3.12.1", "linux-x86_64-gnu", "1", "install_only", "tar.gz", "nothex"]] }));
    let error: DhtError | undefined;
    try {
      await loadPythonBuilds({ DHT_PYTHON_DOWNLOADS: file });
    } catch (e) {
      error = e as DhtError;
    }
    expect(error?.code).toBe(2);
    expect(error?.subject).toBe(`DHT_PYTHON_DOWNLOADS=${file}`);
    expect(error?.message).toContain("builds[0]: sha256 must be 64 hex digits");
  });
});
