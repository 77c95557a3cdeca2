/**
 * The pins the install-fit check judges (src/flows/setup/fit-pins.ts): only what the setup
 * installs (its selection, its lock), with environment markers evaluated for each candidate
 * Python. Fixtures are cut from the real projects where the check went wrong: itsdangerous
 * (uv.lock: `gha-update; python_full_version >= '3.12'` in a group setup does not install, a
 * sphinx fork per Python in the docs group), marshmallow (sphinx==8.1.3 in the docs extra),
 * bidict (sphinx in the docs group).
 */
import { describe, expect, test } from "bun:test";
import { fitPins, pinsOfSetup } from "../../src/flows/setup/fit-pins.ts";
import type { PlanInput, PlanRequirement } from "../../src/flows/setup/plan.ts";
import { parseLockFile } from "../../src/project/lockfiles.ts";
import { planInputFixture } from "../helpers/plan-input.ts";
import { parseRequirement } from "../../src/project/pep508.ts";
import { fitOfFiles, judgeMinors, narrowRequest, pinnedPackages } from "../../src/python/install-fit.ts";
import type { IndexFile } from "../../src/net/pypi-index.ts";
import type { WheelTarget } from "../../src/uv/wheel-tags.ts";

const linux: WheelTarget = { os: "linux", arch: "x86_64", libc: { family: "gnu", version: "2.36" } };
const req = (text: string, origin: string): PlanRequirement => {
  const r = parseRequirement(text, origin);
  return { name: r.name, raw: text, origin, specifier: r.specifier, ...(r.marker ? { marker: r.marker } : {}) };
};

function input(project: Partial<PlanInput["project"]>, over: Partial<PlanInput> = {}): (version: string) => PlanInput {
  return (version) => planInputFixture(project, { arch: "x86_64", python: { version, chain: [] }, uv: { available: true, how: "assumed" }, ...over });
}

// itsdangerous' uv.lock, cut down: the groups as uv wrote them.
const UV_LOCK = `version = 1
revision = 2
requires-python = ">=3.10"

[[package]]
name = "demo"
version = "2.3.0.dev0"
source = { editable = "." }

[package.dev-dependencies]
dev = [
    { name = "tox" },
]
docs = [
    { name = "sphinx", version = "8.1.3", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.11'" },
    { name = "sphinx", version = "8.2.3", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.11'" },
]
gha-update = [
    { name = "gha-update", marker = "python_full_version >= '3.12'" },
]
tests = [
    { name = "pytest" },
]

[[package]]
name = "gha-update"
version = "0.1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "click", marker = "python_full_version >= '3.12'" },
]

[[package]]
name = "click"
version = "8.1.8"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sphinx"
version = "8.1.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sphinx"
version = "8.2.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tox"
version = "4.23.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "tomli", marker = "python_full_version < '3.11'" },
    { name = "colorama" },
]

[[package]]
name = "tomli"
version = "2.2.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.4"
source = { registry = "https://pypi.org/simple" }
`;

const uvProject = () => {
  const locked = parseLockFile("uv.lock", UV_LOCK, "/p/uv.lock");
  const groups = {
    dev: [req("tox", "pyproject.toml:42")],
    docs: [req("sphinx", "pyproject.toml:48")],
    "gha-update": [req("gha-update ; python_full_version >= '3.12'", "pyproject.toml:53")],
    tests: [req("pytest", "pyproject.toml:60")],
  };
  return { lockFile: { kind: "uv.lock", path: "/p/uv.lock" }, locked, groups, groupSources: Object.fromEntries(Object.keys(groups).map((g) => [g, "dependency-groups"])) };
};

/** One py3 wheel and an sdist, both with this Requires-Python (what PyPI lists for these pure packages). */
const pure = (name: string, version: string, requiresPython?: string): IndexFile[] =>
  [`${name.replace(/-/g, "_")}-${version}-py3-none-any.whl`, `${name}-${version}.tar.gz`].map((filename) => ({ filename, url: `https://files.example/${filename}`, sha256: "", yanked: false, ...(requiresPython ? { requiresPython } : {}) }));
const INDEX: Record<string, IndexFile[]> = {
  "gha-update==0.1.0": pure("gha-update", "0.1.0", ">=3.12"),
  "sphinx==8.1.3": pure("sphinx", "8.1.3", ">=3.10"),
  "sphinx==8.2.3": pure("sphinx", "8.2.3", ">=3.11"),
  "sphinx==9.1.0": pure("sphinx", "9.1.0", ">=3.12"),
  "alabaster==1.0.0": pure("alabaster", "1.0.0", ">=3.10"),
};
const judge = (pins: ReturnType<typeof fitPins>, minors: string[]) => judgeMinors(pins.map((pin) => ({ pin, files: INDEX[`${pin.name}==${pin.version}`] ?? pure(pin.name, pin.version) })), minors, linux);

describe("uv.lock: what setup syncs, markers evaluated per Python", () => {
  const minors = ["3.13", "3.12", "3.11", "3.10"];

  test("itsdangerous: groups setup does not install (docs, gha-update) do not count, so no Python is ruled out", () => {
    const make = input(uvProject());
    const pins = fitPins(make, minors);
    expect(pins.map((p) => `${p.name}==${p.version}`).sort()).toEqual(["colorama==0.4.6", "pytest==8.3.4", "tomli==2.2.1", "tox==4.23.2"]);
    // tomli only where its marker holds; where each comes from.
    expect(pins.find((p) => p.name === "tomli")).toEqual({ name: "tomli", version: "2.2.1", origin: "uv.lock, group dev (needed by tox)", minors: ["3.10"] });
    expect(pins.find((p) => p.name === "pytest")!.origin).toBe("uv.lock, group tests");
    const verdicts = judge(pins, minors);
    expect(verdicts.every((v) => v.fits)).toBe(true);
    expect(narrowRequest(">=3.10", verdicts)).toBeUndefined();
    // What the old whole-lock pins said: gha-update and both sphinx forks against every Python.
    const old = judge(pinnedPackages({ requirements: [], locked: { kind: "uv.lock", packages: uvProject().locked.packages } }), minors);
    expect(narrowRequest(">=3.10", old)!.request).toBe(">=3.10,!=3.11.*,!=3.10.*");
  });

  test("a marker false on a Python: gha-update (>= 3.12) installed by a chosen group never rules out 3.11 or 3.10", () => {
    const pins = fitPins(input(uvProject(), { groups: ["gha-update"] }), minors);
    expect(pins.filter((p) => p.name !== "tox" && p.name !== "pytest" && p.name !== "colorama" && p.name !== "tomli")).toEqual([
      { name: "gha-update", version: "0.1.0", origin: "uv.lock, group gha-update", minors: ["3.13", "3.12"] },
      { name: "click", version: "8.1.8", origin: "uv.lock, group gha-update (needed by gha-update)", minors: ["3.13", "3.12"] },
    ]);
    expect(judge(pins, minors).every((v) => v.fits)).toBe(true);
  });

  test("a fork per Python: the docs group (made required) pins sphinx 8.1.3 on 3.10 and 8.2.3 from 3.11, so neither rules the other's Python out", () => {
    const pins = fitPins(input(uvProject(), { selection: { required: { extras: [], groups: ["docs"] } } }), minors);
    expect(pins.map((p) => [p.name, p.version, p.minors])).toEqual([["sphinx", "8.2.3", ["3.13", "3.12", "3.11"]], ["sphinx", "8.1.3", ["3.10"]]]);
    expect(judge(pins, minors).every((v) => v.fits)).toBe(true);
  });

  test("a pin that does rule a Python out still does, named with its group", () => {
    const project = uvProject();
    // gha-update without its marker, in the tests group setup installs.
    const data = project.locked.data as { package: Array<Record<string, unknown>> };
    (data.package[0]!["dev-dependencies"] as Record<string, unknown>).tests = [{ name: "pytest" }, { name: "gha-update" }];
    const pins = fitPins(input(project), minors);
    const narrowed = narrowRequest(">=3.10", judge(pins, minors))!;
    expect(narrowed.request).toBe(">=3.10,!=3.11.*,!=3.10.*");
    expect(narrowed.why).toBe("Python 3.11, 3.10 would fail to install: gha-update 0.1.0 requires Python >=3.12 (from uv.lock, group tests); 3.13, 3.12 can install every pinned package");
  });
});

describe("declared == pins: the selection and its markers", () => {
  const minors = ["3.13", "3.12", "3.11", "3.10", "3.9"];

  test("marshmallow: sphinx==8.1.3 and alabaster==1.0.0 in the docs extra setup does not install do not rule out 3.9", () => {
    const optional = {
      docs: [req("sphinx==8.1.3", "pyproject.toml:36"), req("alabaster==1.0.0", "pyproject.toml:38")],
      tests: [req("pytest", "pyproject.toml:42"), req("simplejson", "pyproject.toml:42")],
      dev: [req("tox", "pyproject.toml:43")],
    };
    const make = input({ requirements: [req("packaging>=17.0", "pyproject.toml:25")], optional });
    expect(fitPins(make, minors)).toEqual([]);
    // Before: every == requirement of the project, whatever is installed.
    const old = judge(pinnedPackages({ requirements: [], optional }), minors);
    expect(narrowRequest(">=3.9", old)!.request).toBe(">=3.9,!=3.9.*");
  });

  test("bidict: sphinx in the docs group is not installed; made required, it counts and is named with its group", () => {
    const groups = { docs: [req("sphinx==9.1.0", "pyproject.toml:60")], test: [req("pytest==8.3.4", "pyproject.toml:64")], dev: [] };
    expect(fitPins(input({ groups }), ["3.13", "3.12", "3.11"]).map((p) => p.name)).toEqual(["pytest"]);
    const pins = fitPins(input({ groups }, { selection: { required: { extras: [], groups: ["docs", "test"] } } }), ["3.13", "3.12", "3.11"]);
    expect(narrowRequest(">=3.11", judge(pins, ["3.13", "3.12", "3.11"]))!.why).toStartWith("Python 3.11 would fail to install: sphinx 9.1.0 requires Python >=3.12 (from group docs, pyproject.toml:60)");
  });

  test("markers: python_version, python_full_version, sys_platform, platform_machine, implementation_name", () => {
    const requirements = [
      req("old==1.0; python_version < '3.10'", "requirements.txt:1"),
      req("new==2.0; python_full_version >= '3.12.0'", "requirements.txt:2"),
      req("win==1.0; sys_platform == 'win32'", "requirements.txt:3"),
      req("arm==1.0; platform_machine == 'aarch64'", "requirements.txt:4"),
      req("pypy==1.0; implementation_name == 'pypy'", "requirements.txt:5"),
      req("everywhere==3.0", "requirements.txt:6"),
    ];
    const pins = fitPins(input({ requirements }), minors);
    expect(pins.map((p) => [p.name, p.minors])).toEqual([["new", ["3.13", "3.12"]], ["everywhere", minors], ["old", ["3.9"]]]);
    expect(pins.find((p) => p.name === "old")!.origin).toBe("requirements.txt:1");
  });

  test("--no-dev leaves the dev/test selection out; the test route's own == requirements count", () => {
    const optional = { tests: [req("pytest==8.3.4", "pyproject.toml:42")] };
    expect(fitPins(input({ optional }, { noDev: true }), minors)).toEqual([]);
    const testRoute = { name: "tox", summary: "tox -e py", install: { requirements: [{ text: "coverage==7.6.1", origin: "tox.ini:7" }], requirementFiles: [], constraintFiles: [], extras: [], groups: [], system: [], unknown: [] } } as unknown as PlanInput["testRoute"];
    expect(pinsOfSetup(input({}, { testRoute })("3.12.0"))).toEqual([{ name: "coverage", version: "7.6.1", origin: "the test route tox (tox.ini:7)" }]);
  });
});

test("a pure wheel whose Requires-Python leaves the Python out is named by its Requires-Python, not as a missing wheel", () => {
  expect(fitOfFiles({ name: "sphinx", version: "8.2.3" }, INDEX["sphinx==8.2.3"]!, "3.10", linux)).toEqual({ kind: "none", why: "sphinx 8.2.3 requires Python >=3.11" });
});
