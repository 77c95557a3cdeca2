/**
 * Python choice that can install (issue 10, point 3): a project allowing >=3.11 pins a C
 * extension (MarkupSafe 2.1.5) whose mirror has wheels for CPython 3.11 and 3.12 only and
 * no sdist; pyenv's 3.13 is the newest allowed Python on the machine. dhtl asks the loopback
 * index, leaves 3.13 out, sets up 3.12, and the chain and the log say why. The same project
 * without the pin takes 3.13 (nothing to avoid).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { assetsDir, pyenvBin, indexSetupEnv, seededHome, startWheelIndex, writeProject } from "../helpers/setup-project.ts";

const wheels = join(assetsDir, "install-fit");
const ready = existsSync(wheels) && ["3.11", "3.12", "3.13"].every((m) => pyenvBin(m));
if (!ready) console.warn(`setup-install-fit: skipped (needs ${wheels}: bun scripts/fetch-test-assets.ts, and pyenv CPython 3.11, 3.12, 3.13)`);

let index: Awaited<ReturnType<typeof startWheelIndex>> | undefined;
let home = "";
beforeAll(async () => {
  if (!ready) return;
  index = await startWheelIndex([wheels]);
  home = seededHome();
});
afterAll(() => index?.stop());

const env = () => indexSetupEnv(home, ["3.13", "3.12", "3.11"], index!.indexUrl);

const project = (deps: string) => ({
  "pyproject.toml": `[project]\nname = "fit"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [${deps}]\n`,
});

describe.skipIf(!ready)("the Python chosen can install every pinned package", () => {
  test("MarkupSafe==2.1.5 has no cp313 wheel and no sdist on the index: 3.12 is chosen over 3.13, and dhtl says why", async () => {
    const root = writeProject(project('"MarkupSafe==2.1.5"'));
    const r = await dhtl(["setup", "--json", "--cwd", root], { env: env(), timeoutMs: 120_000 });
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { python: string; plan: { python: { chain: Array<{ step: string; outcome: string; why: string }> } } };
    expect(out.python).toStartWith("3.12.");
    const fit = out.plan.python.chain.find((c) => c.step === "install-fit")!;
    expect(fit.outcome).toBe("taken");
    expect(fit.why).toContain("would fail to install: MarkupSafe 2.1.5 has no wheel for CPython 3.14/3.13 on linux-x86_64-gnu and no sdist (its wheels: cp311, cp312)");
    expect(fit.why).toContain("3.12, 3.11 can install every pinned package");
    expect(r.stderr).toContain("Python 3.12: Python 3.14, 3.13 would fail to install: MarkupSafe 2.1.5");
    expect(index!.requests).toContain("/simple/markupsafe/");
    const imported = Bun.spawnSync([join(root, ".venv", "bin", "python"), "-c", "import markupsafe._speedups, sys; print(sys.version_info[:2])"]);
    expect(imported.stdout.toString().trim()).toBe("(3, 12)");
  }, 120_000);

  test("without a pin there is nothing to avoid: the newest allowed Python (3.13) is taken", async () => {
    const root = writeProject(project(""));
    const r = await dhtl(["setup", "--dry-run", "--json", "--cwd", root], { env: env(), timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout).plan as { python: { version: string; chain: Array<{ step: string }> } };
    expect(plan.python.version).toStartWith("3.13.");
    expect(plan.python.chain.some((c) => c.step === "install-fit")).toBe(false);
  }, 60_000);
});
