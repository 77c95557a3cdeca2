import { describe, expect, test } from "bun:test";
import { bundleEpoch, choosePythonBuild, compileInputLines, environmentsToBundle, releaseTargetOf } from "../../src/flows/prepare-offline/plan.ts";
import type { PythonBuild } from "../../src/python/manifest.ts";
import { buildSystemOf } from "../../src/bundle/build-requires.ts";
import { platformLines, sizesByKind } from "../../src/flows/prepare-offline/summary.ts";
import { stageFixture } from "../helpers/bundle-fixture.ts";

const build = (version: string, platform: string): PythonBuild => ({
  implementation: "cpython",
  version,
  platform,
  build: "20990101",
  flavor: "install_only_stripped",
  format: "tar.gz",
  url: `https://example/${version}-${platform}.tar.gz`,
  sha256: "0".repeat(64),
});
const BUILDS = [build("3.12.4", "linux-x86_64-gnu"), build("3.11.9", "linux-x86_64-gnu"), build("3.11.7", "linux-x86_64-gnu"), build("3.11.9", "windows-x86_64-none"), build("3.13.0rc1", "linux-x86_64-gnu")];

describe("choosing the CPython build per platform", () => {
  test("a minor request gets that minor's newest patch on each platform", () => {
    expect(choosePythonBuild("3.11", BUILDS, "linux-x86_64-gnu", { allowPatchFallback: false }).version).toBe("3.11.9");
    expect(choosePythonBuild("3.11", BUILDS, "windows-x86_64-none", { allowPatchFallback: false }).version).toBe("3.11.9");
  });

  test("an open-ended range takes the newest build of the newest minor the project names, as setup does", () => {
    expect(choosePythonBuild(">=3.8", BUILDS, "linux-x86_64-gnu", { allowPatchFallback: false }).version).toBe("3.12.4");
    expect(choosePythonBuild(">=3.8", BUILDS, "linux-x86_64-gnu", { allowPatchFallback: false, preference: { kind: "classifiers", minors: ["3.11", "3.10"], origin: "classifiers" } }).version).toBe("3.11.9");
    // A classified minor without a build for the platform falls through to the range.
    expect(choosePythonBuild(">=3.8", BUILDS, "linux-x86_64-gnu", { allowPatchFallback: false, preference: { kind: "classifiers", minors: ["3.10"], origin: "classifiers" } }).version).toBe("3.12.4");
  });

  test("no request gets the newest stable build, never a pre-release", () => {
    expect(choosePythonBuild(undefined, BUILDS, "linux-x86_64-gnu", { allowPatchFallback: false }).version).toBe("3.12.4");
  });

  test("an exact patch that is absent fails naming the request's origin, or falls back to the nearest patch when allowed", () => {
    expect(() => choosePythonBuild("3.11.8", BUILDS, "linux-x86_64-gnu", { allowPatchFallback: false, origin: ".python-version:1" })).toThrow(/no CPython build for linux-x86_64-gnu matches 3\.11\.8/);
    expect(choosePythonBuild("3.11.8", BUILDS, "linux-x86_64-gnu", { allowPatchFallback: true }).version).toBe("3.11.9");
    let error: { subject?: string; code?: number } = {};
    try {
      choosePythonBuild("3.11.7", BUILDS, "windows-x86_64-none", { allowPatchFallback: false, origin: ".python-version:1" });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error.subject).toBe(".python-version:1");
    expect(error.code).toBe(3);
  });

  test("a platform the build list does not cover is exit 3", () => {
    expect(() => choosePythonBuild("3.11", BUILDS, "darwin-aarch64-none", { allowPatchFallback: false })).toThrow(/no CPython for darwin-aarch64-none/);
  });
});

describe("which environments go in", () => {
  const base = { allEnvironments: false, configured: ["services/api", "libs/core"], rootHasSources: true };
  test("by default the current environment (or the root)", () => {
    expect(environmentsToBundle(base)).toEqual(["."]);
    expect(environmentsToBundle({ ...base, current: "services/api" })).toEqual(["services/api"]);
  });
  test("--env picks one, --all-environments all of them plus the root when it declares dependencies", () => {
    expect(environmentsToBundle({ ...base, envFlag: "./libs/core/" })).toEqual(["libs/core"]);
    expect(environmentsToBundle({ ...base, allEnvironments: true })).toEqual([".", "libs/core", "services/api"]);
    expect(environmentsToBundle({ ...base, allEnvironments: true, rootHasSources: false })).toEqual(["libs/core", "services/api"]);
  });
  test("the two flags together, or --all-environments without environments, are usage errors", () => {
    expect(() => environmentsToBundle({ ...base, envFlag: "x", allEnvironments: true })).toThrow(/cannot be combined/);
    expect(() => environmentsToBundle({ ...base, allEnvironments: true, configured: [] })).toThrow(/needs environments/);
  });
});

describe("what uv pip compile resolves", () => {
  const project = {
    root: "/p",
    isPackage: false,
    requirements: [{ raw: "requests>=2" }, { raw: "rich" }],
    optional: { dev: [{ raw: "pytest" }], docs: [{ raw: "sphinx" }] },
    groups: { lint: [{ raw: "ruff" }] },
    requirementFiles: ["requirements.txt", "/abs/extra.txt"],
  };
  test("requirement files, requirements, selected extras and groups, and build requirements, without duplicates", () => {
    expect(compileInputLines(project, { extras: ["dev"], groups: ["lint"] }, ["rich"])).toEqual(["-r /p/requirements.txt", "-r /abs/extra.txt", "requests>=2", "rich", "pytest", "ruff"]);
  });
  test("prefer-binary swaps replace the declared requirements, as setup installs them", () => {
    expect(compileInputLines({ ...project, requirementFiles: [] }, { extras: [], groups: [] }, [], { rich: "rich-binary" })).toEqual(["requests>=2", "rich-binary"]);
    expect(compileInputLines({ ...project, isPackage: true, requirementFiles: [] }, { extras: [], groups: [] }, [], { rich: "rich-binary" })).toEqual(["-e /p", "rich-binary"]);
  });
  test("a package project is resolved through its own editable install with its extras", () => {
    expect(compileInputLines({ ...project, isPackage: true, requirementFiles: [] }, { extras: ["dev", "docs"], groups: [] }, ["hatchling"])).toEqual(["-e /p[dev,docs]", "hatchling"]);
  });
  test("the build system comes from [build-system], with PEP 517's setuptools defaults when it is absent", () => {
    expect(buildSystemOf({ "build-system": { requires: ["hatchling>=1.20", 3], "build-backend": "hatchling.build" } })).toEqual({ requires: ["hatchling>=1.20"], backend: "hatchling.build", backendPath: [] });
    expect(buildSystemOf(undefined)).toEqual({ requires: ["setuptools>=40.8.0"], backend: "setuptools.build_meta:__legacy__", backendPath: [] });
    expect(buildSystemOf({ "build-system": { requires: [], "build-backend": "backend", "backend-path": ["."] } }).backendPath).toEqual(["."]);
  });
});

describe("small decisions", () => {
  test("platform keys map to dhtl's release targets", () => {
    expect(releaseTargetOf("linux-x86_64-gnu")).toBe("linux-x64");
    expect(releaseTargetOf("linux-aarch64-musl")).toBe("linux-arm64-musl");
    expect(releaseTargetOf("darwin-aarch64-none")).toBe("darwin-arm64");
    expect(releaseTargetOf("windows-x86_64-none")).toBe("windows-x64");
  });
  test("the bundle time is SOURCE_DATE_EPOCH when set, else the newest project file time, in whole seconds", () => {
    expect(bundleEpoch({ SOURCE_DATE_EPOCH: "1700000000" }, 5)).toBe(1700000000);
    expect(bundleEpoch({}, 1700000000.9)).toBe(1700000000);
    expect(() => bundleEpoch({ SOURCE_DATE_EPOCH: "yesterday" }, 1)).toThrow(/SOURCE_DATE_EPOCH/);
  });
  test("the summary counts files and bytes per kind and shows each platform's contents", () => {
    const { manifest } = stageFixture();
    const full = { ...manifest, files: [{ path: "a", size: 5, sha256: "0".repeat(64), kind: "wheel" as const }, { path: "b", size: 7, sha256: "0".repeat(64), kind: "wheel" as const }] };
    expect(sizesByKind(full)).toEqual([{ kind: "wheel", files: 2, bytes: 12 }]);
    expect(platformLines(full)[0]).toContain("linux-x86_64-gnu      CPython 3.11.7, uv 0.13.9, 2 wheels");
  });
});
