import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dependencyEdges, routeNeedsConflictingWithProject } from "../../src/flows/setup/route-conflicts.ts";
import { buildPlan, withoutRouteNeeds } from "../../src/flows/setup/plan.ts";
import { planInputFixture } from "../helpers/plan-input.ts";

/** Real uv 0.13.9 output against the pyflakes 3.4.0 checkout (see the fixtures' README). */
const fixture = (name: string) => readFileSync(join(import.meta.dir, "..", "fixtures", "install-conflicts", name), "utf8");
const toxNeeds = [
  { text: "flake8==6.1.0", origin: "tox.ini:6 [testenv] deps" },
  { text: "pytest", origin: "tox.ini:7 [testenv] deps" },
];

describe("a test-route need that wants another release of the project itself", () => {
  test("pyflakes' tox deps flake8==6.1.0: the need, its evidence and uv's reason", () => {
    const out = fixture("uv-flake8-pins-older-pyflakes.log");
    expect(dependencyEdges(out)).toEqual([{ from: "flake8", to: "pyflakes", text: "flake8==6.1.0 depends on pyflakes>=3.1.0,<3.2.0" }]);
    expect(routeNeedsConflictingWithProject(out, "pyflakes", toxNeeds)).toEqual([{ need: "flake8==6.1.0", origin: "tox.ini:6 [testenv] deps", why: "flake8==6.1.0 depends on pyflakes>=3.1.0,<3.2.0" }]);
    // Names compare normalised (PyFlakes, py_flakes spell the same project).
    expect(routeNeedsConflictingWithProject(out, "PyFlakes", toxNeeds).map((c) => c.need)).toEqual(["flake8==6.1.0"]);
  });

  test("one step away: flake8-isort 4.0.0 → flake8<4 → an older pyflakes", () => {
    const out = fixture("uv-flake8-isort-transitive.log");
    const conflicts = routeNeedsConflictingWithProject(out, "pyflakes", [{ text: "flake8-isort==4.0.0", origin: ".github/workflows/ci.yml:20" }, { text: "pytest", origin: ".github/workflows/ci.yml:20" }]);
    expect(conflicts.map((c) => c.need)).toEqual(["flake8-isort==4.0.0"]);
    expect(conflicts[0]!.why).toContain("flake8-isort==4.0.0 depends on");
    // Sentence words never become packages ("all of: … depend on one of: …").
    expect(dependencyEdges(out).map((e) => e.to)).not.toContain("one");
  });

  test("anything else is not such a conflict: another project, no project name, another failure", () => {
    const out = fixture("uv-flake8-pins-older-pyflakes.log");
    expect(routeNeedsConflictingWithProject(out, "sortedcontainers", toxNeeds)).toEqual([]);
    expect(routeNeedsConflictingWithProject(out, undefined, toxNeeds)).toEqual([]);
    expect(routeNeedsConflictingWithProject(out, "pyflakes", [{ text: "pytest", origin: "tox.ini:7" }])).toEqual([]);
    // A conflict between two requirements (one pins pyflakes==3.4.0): the project's own version is not what binds.
    const between = "error: No solution found when resolving dependencies\n  cause: Because flake8==6.1.0 depends on pyflakes>=3.1.0,<3.2.0 and you require pyflakes==3.4.0, we can conclude that your requirements are unsatisfiable.";
    expect(routeNeedsConflictingWithProject(between, "pyflakes", toxNeeds)).toEqual([]);
    // A build failure of the need is not a conflict with the project.
    expect(routeNeedsConflictingWithProject("error: Failed to build `flake8==6.1.0`\n  Caused by: pyflakes missing", "pyflakes", toxNeeds)).toEqual([]);
  });

  test("pip's wording (Python 2.7/3.6 installs) is read too", () => {
    const pip = "ERROR: Cannot install flake8==6.1.0 and pyflakes 3.4.0 (from /p) because these package versions have conflicting dependencies.\n\nThe conflict is caused by:\n    The user requested pyflakes 3.4.0 (from /p)\n    flake8 6.1.0 depends on pyflakes<3.2.0 and >=3.1.0\n";
    expect(routeNeedsConflictingWithProject(pip, "pyflakes", toxNeeds)).toEqual([{ need: "flake8==6.1.0", origin: "tox.ini:6 [testenv] deps", why: "flake8 6.1.0 depends on pyflakes<3.2.0 and >=3.1.0" }]);
  });

  test("the install without the need: the same plan, minus that requirement and its import check", () => {
    const route = { name: "ci:build", summary: "", install: { requirements: toxNeeds, requirementFiles: [], constraintFiles: [], extras: [], groups: [], system: [], unknown: [] } };
    const input = planInputFixture({ name: "pyflakes", metadata: "setup.py" }, { testRoute: route });
    const before = buildPlan(input);
    expect(before.commands[1]!.argv.slice(5)).toEqual(["flake8==6.1.0", "pytest", "-e", "/p"]);
    const after = buildPlan(withoutRouteNeeds(input, ["flake8==6.1.0"]));
    expect(after.commands[1]!.argv.slice(5)).toEqual(["pytest", "-e", "/p"]);
    expect(after.importChecks).toEqual(["pytest", "pyflakes"]);
  });
});
