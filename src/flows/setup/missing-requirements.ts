/**
 * Requirements that installed distributions declare but that are not installed, read from
 * `uv pip check` / `pip check` output. uv resolves an editable project from its static
 * pyproject metadata, so a requirement its build backend adds to the built editable (old
 * pdm-pep517's `editables` mode adds `editables`) is never installed; pip would have.
 * The verify step installs these and checks again, rather than failing a setup whose
 * declared dependencies are all satisfiable.
 */
export interface MissingRequirement {
  /** The distribution that requires it. */
  by: string;
  /** The requirement as the checker printed it (name, maybe with a specifier). */
  requirement: string;
}

export function missingRequirements(checkOutput: string): MissingRequirement[] {
  const found: MissingRequirement[] = [];
  // uv: The package `pytkdocs` requires `editables`, but it's not installed
  for (const m of checkOutput.matchAll(/The package `([^`]+)` requires `([^`]+)`, but it's not installed/g)) {
    found.push({ by: m[1]!, requirement: m[2]! });
  }
  // pip: pytkdocs 0.16.1 requires editables, which is not installed.
  for (const m of checkOutput.matchAll(/^(\S+) \S+ requires (.+?), which is not installed\.?$/gm)) {
    found.push({ by: m[1]!, requirement: m[2]! });
  }
  return found;
}
