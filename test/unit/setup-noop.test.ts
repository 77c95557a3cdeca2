import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeCheckpoint, CHECKPOINT_SCHEMA } from "../../src/env/checkpoints.ts";
import { writeMarker } from "../../src/env/venv.ts";
import { checkUpToDate, CHECKPOINT_NAME } from "../../src/flows/setup/noop-check.ts";
import { computeInputsHash, computeSettingsKey, probeFiles, probePaths } from "../../src/flows/setup/inputs-hash.ts";

function completedProject() {
  const root = mkdtempSync(join(tmpdir(), "dht-noop-"));
  writeFileSync(join(root, "pyproject.toml"), '[project]\nname = "x"\n');
  const venv = join(root, ".venv");
  mkdirSync(join(venv, "bin"), { recursive: true });
  writeFileSync(join(venv, "bin", "python"), "");
  const settingsKey = computeSettingsKey({ python: "3.11" }, { DHT_PYTHON: undefined }, "1.0.0");
  const probes = probeFiles(probePaths([root], []));
  const inputsHash = computeInputsHash(settingsKey, probes);
  writeCheckpoint(join(root, CHECKPOINT_NAME), { schema: CHECKPOINT_SCHEMA, dhtVersion: "1.0.0", inputsHash, settingsKey, complete: true, venvPath: venv, probes, steps: [], updatedAt: "", otherEnvironments: [join(root, "services", "b")] });
  writeMarker(venv, inputsHash);
  return { root, venv, settingsKey };
}

describe("the no-op check", () => {
  test("nothing changed: up to date, also from a subdirectory", () => {
    const { root, settingsKey } = completedProject();
    expect(checkUpToDate(root, settingsKey).upToDate).toBe(true);
    mkdirSync(join(root, "src", "pkg"), { recursive: true });
    expect(checkUpToDate(join(root, "src", "pkg"), settingsKey).upToDate).toBe(true);
  });
  test("an edited input file, a new lock file, other flags, a missing marker: not up to date, with the reason", () => {
    let p = completedProject();
    writeFileSync(join(p.root, "pyproject.toml"), '[project]\nname = "y"\n');
    expect(checkUpToDate(p.root, p.settingsKey)).toMatchObject({ upToDate: false, reason: "project files changed" });
    p = completedProject();
    writeFileSync(join(p.root, "uv.lock"), "version = 1\n");
    expect(checkUpToDate(p.root, p.settingsKey)).toMatchObject({ upToDate: false, reason: "project files changed" });
    p = completedProject();
    expect(checkUpToDate(p.root, computeSettingsKey({ python: "3.12" }, {}, "1.0.0"))).toMatchObject({ upToDate: false, reason: "flags or environment changed" });
    expect(computeSettingsKey({ python: "3.11" }, {}, "1.0.1")).not.toBe(p.settingsKey);
    unlinkSync(join(p.venv, ".dht-complete"));
    expect(checkUpToDate(p.root, p.settingsKey)).toMatchObject({ upToDate: false, reason: "the venv is not marked complete" });
  });
  test("a subdirectory that is another monorepo environment is not covered", () => {
    const p = completedProject();
    mkdirSync(join(p.root, "services", "b", "src"), { recursive: true });
    expect(checkUpToDate(join(p.root, "services", "b", "src"), p.settingsKey)).toMatchObject({ upToDate: false, reason: "another environment" });
  });
  test("environment variable values change the settings key, unrelated ones do not", () => {
    const a = computeSettingsKey({}, { PIP_INDEX_URL: "https://a/simple", HOME: "/x" }, "1");
    expect(computeSettingsKey({}, { PIP_INDEX_URL: "https://a/simple", HOME: "/y" }, "1")).toBe(a);
    expect(computeSettingsKey({}, { PIP_INDEX_URL: "https://b/simple" }, "1")).not.toBe(a);
  });
});
