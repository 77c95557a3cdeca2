/**
 * The commented `.dhtconfig` that `dhtl init` writes, built from what the project already
 * says (its Python request and dependency files). Pure: facts in, YAML text out. The text
 * is validated by the caller before it is written.
 */
import { chooseRequirementFiles, type DependencySource } from "../project/sources.ts";
import type { PythonRequestFact } from "../project/python-version.ts";
import type { DependencyStrategy } from "./schema.ts";

export interface InitFacts {
  python: PythonRequestFact;
  sources: DependencySource[];
}

/** YAML scalar for any string: JSON strings are valid YAML double-quoted scalars. */
const q = (s: string) => JSON.stringify(s);

const LOCK_KINDS = new Set(["uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock"]);
const MANIFEST_KINDS = new Set(["pyproject", "poetry", "setup.py", "setup.cfg", "Pipfile", ...LOCK_KINDS]);

/** uv when the project has a manifest or lock file; requirements when it only has requirement files. */
export function chooseStrategy(sources: readonly DependencySource[]): DependencyStrategy {
  const hasManifest = sources.some((s) => MANIFEST_KINDS.has(s.kind));
  const hasRequirements = sources.some((s) => s.kind === "requirements");
  return !hasManifest && hasRequirements ? "requirements" : "uv";
}

function describeSource(s: DependencySource): string {
  if (s.kind === "pyproject") return "pyproject.toml ([project])";
  if (s.kind === "poetry") return "pyproject.toml ([tool.poetry])";
  return s.path;
}

export function renderInitConfig(facts: InitFacts): string {
  const out: string[] = [
    "# dhtl project configuration (YAML). Every key is described in docs/config.md.",
    "# Check it with `dhtl config validate`; `dhtl config show` prints the resolved values",
    "# and where each one came from (defaults, this file, DHT_* variables, flags).",
    "version: 1",
    "",
    "python:",
  ];
  if (facts.python.request) {
    out.push(`  # The Python this project needs (found in ${facts.python.origin}).`, `  version: ${q(facts.python.request)}`);
  } else {
    out.push(
      "  # The Python this project needs, e.g. \"3.12\", \"3.11.7\" or \">=3.10,<3.13\".",
      "  # None was found (.python-version, .tool-versions, runtime.txt, pyproject.toml).",
      "  # version: \"3.12\"",
    );
  }
  out.push(
    "  # Accept another patch release of the same minor when the exact one is unavailable.",
    "  allow_patch_fallback: true",
    "  # Virtual environment directory, relative to the project (or to its environment).",
    "  venv: .venv",
    "",
    "dependencies:",
  );
  const strategy = chooseStrategy(facts.sources);
  out.push(
    facts.sources.length
      ? `  # Found: ${facts.sources.map(describeSource).join(", ")}.`
      : "  # No dependency files were found.",
    "  # How to install: uv (pyproject.toml and lock files), requirements (requirement files), or pip.",
    `  strategy: ${strategy}`,
  );
  const locks = facts.sources.filter((s) => LOCK_KINDS.has(s.kind));
  if (locks.length) out.push("  lock_files:", ...locks.map((s) => `    - ${q(s.path)}`));
  // The files dhtl would pick by itself (main and dev/test ones); files for other jobs (docs,
  // typing, minimum versions) often conflict with those, so they are only named.
  const hasManifest = facts.sources.some((s) => MANIFEST_KINDS.has(s.kind));
  const files = chooseRequirementFiles(facts.sources.filter((s) => s.kind === "requirements").map((s) => s.path), hasManifest);
  if (files.chosen.length) out.push("  files:", ...files.chosen.map((f) => `    - ${q(f)}`));
  if (files.skipped.length) out.push(`  # Not installed unless listed in files (by their names, for other jobs): ${files.skipped.join(", ")}.`);
  out.push(
    "  # Prefer binary wheels over building packages from source.",
    "  prefer_binary: false",
    "",
    "# System packages the project needs, per package manager or OS:",
    "# platform_deps:",
    "#   apt: [libpq-dev]",
    "#   brew: [libpq]",
    "",
    "# A private package index. Credentials come from environment variables, never this file:",
    "# registries:",
    "#   index_url: https://pypi.example.com/simple",
    "#   credentials:",
    "#     source: env",
    "#     username_env: INDEX_USER",
    "#     password_env: INDEX_TOKEN",
    "",
    "# Monorepos: settings per directory, merged over the top level (lists replace).",
    "# environments:",
    "#   services/api:",
    "#     python: \"3.12\"",
    "",
    "# test:",
    "#   command: pytest -q",
    "",
  );
  return out.join("\n");
}
