/**
 * Which Pythons the pinned packages install on (src/python/install-fit.ts), against real index
 * pages saved from PyPI (test/fixtures/index-pages: MarkupSafe 2.1.5 / 3.0.2 as PEP 691 JSON,
 * numpy 1.24.4 as PEP 503 HTML with data-requires-python).
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSimpleHtml, parseSimpleJson, type IndexFile } from "../../src/net/pypi-index.ts";
import { allowsMinor, checkInstallFit, fitOfFiles, installableRequest, judgeMinors, narrowRequest, pinnedPackages, wheelRunsOn } from "../../src/python/install-fit.ts";
import type { WheelTarget } from "../../src/uv/wheel-tags.ts";

const pages = join(import.meta.dir, "..", "fixtures", "index-pages");
const markupsafe = parseSimpleJson(readFileSync(join(pages, "markupsafe.json"), "utf8"), "https://pypi.org/simple/markupsafe/");
const numpy = parseSimpleHtml(readFileSync(join(pages, "numpy.html"), "utf8"), "https://pypi.org/simple/numpy/");
const linux: WheelTarget = { os: "linux", arch: "x86_64", libc: { family: "gnu", version: "2.36" } };
const musl: WheelTarget = { os: "linux", arch: "x86_64", libc: { family: "musl", version: "1.2.4" } };
const noSdist = (files: IndexFile[]) => files.filter((f) => f.filename.endsWith(".whl"));

describe("one pin on one Python", () => {
  test("a C extension: its cp312 manylinux wheel fits 3.12; 3.13 only through the sdist; with no sdist, 3.13 is ruled out with the wheels it has", () => {
    const pin = { name: "MarkupSafe", version: "2.1.5" };
    expect(fitOfFiles(pin, markupsafe, "3.12", linux)).toEqual({ kind: "wheel", file: "MarkupSafe-2.1.5-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" });
    expect(fitOfFiles(pin, markupsafe, "3.13", linux)).toEqual({ kind: "sdist", file: "MarkupSafe-2.1.5.tar.gz" });
    const none = fitOfFiles(pin, noSdist(markupsafe), "3.13", linux);
    expect(none.kind).toBe("none");
    expect((none as { why: string }).why).toBe("MarkupSafe 2.1.5 has no wheel for CPython 3.13 on linux-x86_64-gnu and no sdist (its wheels: cp310, cp311, cp312, cp37, cp38, cp39)");
    // musl machines take the musllinux wheels.
    expect(fitOfFiles(pin, markupsafe, "3.12", musl)).toEqual({ kind: "wheel", file: "MarkupSafe-2.1.5-cp312-cp312-musllinux_1_1_x86_64.whl" });
    // Other versions' files do not count: 3.0.2 has cp313 wheels, 2.1.5 none.
    expect(fitOfFiles({ name: "markupsafe", version: "3.0.2" }, noSdist(markupsafe), "3.13", linux).kind).toBe("wheel");
  });

  test("Requires-Python from a PEP 503 page: numpy 1.24.4 cannot go on 3.7, builds from its sdist on 3.12, has a wheel on 3.11", () => {
    const pin = { name: "numpy", version: "1.24.4" };
    expect(fitOfFiles(pin, numpy, "3.7", linux)).toEqual({ kind: "none", why: "numpy 1.24.4 requires Python >=3.8" });
    expect(fitOfFiles(pin, numpy, "3.12", linux).kind).toBe("sdist");
    expect(fitOfFiles(pin, numpy, "3.11", linux).kind).toBe("wheel");
    expect(fitOfFiles({ name: "numpy", version: "9.9" }, numpy, "3.11", linux).kind).toBe("unknown");
  });

  test("wheel tags: abi3 from its minor on, pure py3 anywhere, cp tags exact, platforms of this machine only", () => {
    expect(wheelRunsOn("cryptography-42.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", "3.13", linux)).toBe(true);
    expect(wheelRunsOn("cryptography-42.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", "3.8", linux)).toBe(false);
    expect(wheelRunsOn("six-1.16.0-py2.py3-none-any.whl", "2.7", linux)).toBe(true);
    expect(wheelRunsOn("more_itertools-5.0.0-py2-none-any.whl", "3.11", linux)).toBe(false);
    expect(wheelRunsOn("x-1.0-cp311-cp311-win_amd64.whl", "3.11", linux)).toBe(false);
    expect(wheelRunsOn("x-1.0-cp311-cp311-manylinux_2_39_x86_64.whl", "3.11", linux)).toBe(false);
    expect(allowsMinor(">=3.8.1", "3.8")).toBe(true);
    expect(allowsMinor("!=3.8.*,>=3.7", "3.8")).toBe(false);
  });
});

describe("every pin on every candidate, and the request narrowed", () => {
  test("the newest minor with a blocker is excluded from the request, with the reason naming the pin; nothing to avoid gives no narrowing", () => {
    const pins = [{ pin: { name: "MarkupSafe", version: "2.1.5" }, files: noSdist(markupsafe) }, { pin: { name: "numpy", version: "1.24.4" }, files: numpy }];
    const verdicts = judgeMinors(pins, ["3.13", "3.12", "3.11"], linux);
    expect(verdicts.map((v) => [v.minor, v.fits, v.builds])).toEqual([["3.13", false, ["numpy==1.24.4"]], ["3.12", true, ["numpy==1.24.4"]], ["3.11", true, []]]);
    const narrowed = narrowRequest(">=3.11", verdicts)!;
    expect(narrowed.request).toBe(">=3.11,!=3.13.*");
    expect(narrowed.why).toStartWith("Python 3.13 would fail to install: MarkupSafe 2.1.5 has no wheel for CPython 3.13");
    expect(narrowRequest(">=3.11", verdicts.filter((v) => v.fits))).toBeUndefined();
    expect(narrowRequest(">=3.11", verdicts.filter((v) => !v.fits))).toBeUndefined();
  });

  test("pins come from the lock (registry packages only) or from == requirements", () => {
    expect(pinnedPackages({ requirements: [], locked: { kind: "uv.lock", packages: [{ name: "six", version: "1.16.0", source: "registry" }, { name: "me", version: "0.1", source: "editable" }] } })).toEqual([{ name: "six", version: "1.16.0", origin: "uv.lock" }]);
    expect(pinnedPackages({ requirements: [{ name: "numpy", specifier: "==1.24.4", origin: "requirements.txt:1" }, { name: "six", specifier: ">=1" }, { name: "x", specifier: "==1.*" }] })).toEqual([{ name: "numpy", version: "1.24.4", origin: "requirements.txt:1" }]);
  });

  test("the index is asked once per pin (cached under DHT_HOME), at most `concurrency` at a time; offline or a page that fails never rules a minor out", async () => {
    const home = mkdtempSync(join(tmpdir(), "dht-fit-"));
    let calls = 0;
    let inFlight = 0;
    let most = 0;
    const list = async (_index: string, project: string) => {
      calls++;
      inFlight++;
      most = Math.max(most, inFlight);
      await Bun.sleep(5);
      inFlight--;
      if (project === "broken") throw new Error("HTTP 500");
      return project === "numpy" ? numpy : noSdist(markupsafe);
    };
    const pins = [{ name: "MarkupSafe", version: "2.1.5" }, { name: "numpy", version: "1.24.4" }, { name: "broken", version: "1.0" }];
    const base = { pins, minors: ["3.13", "3.12"], target: linux, indexes: [{ url: "https://mirror.example/simple" }], env: {}, home, offline: false, concurrency: 2, list };
    const first = await checkInstallFit(base);
    expect(first.verdicts.map((v) => v.fits)).toEqual([false, true]);
    expect(first.notes).toEqual(["broken 1.0: no index answered for it, so it does not count in the choice of Python"]);
    expect(most).toBeLessThanOrEqual(2);
    const before = calls;
    await checkInstallFit(base);
    expect(calls - before).toBe(1); // only the page that failed is asked again
    expect((await checkInstallFit({ ...base, offline: true })).notes[0]).toContain("offline");
    const r = await installableRequest(">=3.12", { ...base, pins: pins.slice(0, 1) });
    expect(r?.request).toBe(">=3.12,!=3.14.*,!=3.13.*");
    expect(await installableRequest("3.13", base)).toBeUndefined();
  });
});
