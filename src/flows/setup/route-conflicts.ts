/**
 * Test-route needs that cannot be installed beside the project itself (pure).
 *
 * tox installs an env's `deps` first and the project afterwards, so a dep that pins another
 * release of the project (a linter built on it: pyflakes' tox.ini `deps = flake8==6.1.0`,
 * which needs `pyflakes<3.2` while the checkout is pyflakes 3.4.0) ends up installed but
 * broken, and is used only by a command that is not the tests. dhtl resolves the route's
 * needs and the editable project together, so the resolver refuses the whole install. The
 * resolver's explanation says which need it is: a chain of "X depends on Y" that reaches the
 * project, and the project's own version being the one available. That need is left out
 * (with a warning) and the install retried without it.
 */

const NAME = "[A-Za-z0-9][A-Za-z0-9._-]*";
const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");

/**
 * "A depends on B" statements of uv's and pip's resolution failures, as [A, B, the text]:
 * uv "flake8==6.1.0 depends on pyflakes>=3.1.0,<3.2.0", "all versions of flake8 depend on
 * pyflakes<3.2"; pip "flake8 6.1.0 depends on pyflakes<3.2.0 and >=3.1.0".
 */
export function dependencyEdges(output: string): Array<{ from: string; to: string; text: string }> {
  const text = output.replace(/\s+/g, " ");
  const op = "(?:===?|!=|~=|<=?|>=?)";
  const re = new RegExp(`(?:all versions of )?\\b(${NAME})(?:\\[[^\\]]*\\])?(?:${op}[^\\s,]+(?:,${op}[^\\s,]+)*|\\s+v?\\d[^\\s,]*)? depends? on (${NAME})(?:\\[[^\\]]*\\])?(?:${op}[^\\s,]+(?:,\\s?${op}[^\\s,]+)*(?: and ${op}[^\\s,]+)*)?`, "g");
  const out: Array<{ from: string; to: string; text: string }> = [];
  for (const m of text.matchAll(re)) {
    if (STOP_WORDS.has(m[1]!.toLowerCase()) || STOP_WORDS.has(m[2]!.toLowerCase())) continue;
    out.push({ from: m[1]!, to: m[2]!, text: m[0].replace(/[.,;:]+$/, "") });
  }
  return out;
}

/** Words of the resolvers' sentences that a name pattern can meet (never package names here). */
export const STOP_WORDS = new Set(["the", "a", "an", "and", "all", "any", "no", "you", "your", "we", "there", "this", "that", "these", "those", "following", "version", "versions", "because", "which", "it", "only", "one", "of"]);

/** Does the output say the project's own version is what is available (so what wants another one cannot be had)? */
function projectVersionBinds(output: string, project: string): boolean {
  const text = output.replace(/\s+/g, " ");
  const p = project.replace(/[-_.]+/g, "[-_.]+");
  return new RegExp(`only the following versions? of ${p}\\b|only ${p}(?:===?|<=?|>=?|!=|~=)\\S* (?:is|are) available|no versions? of ${p}\\b|The user requested ${p}\\b|${p} @ (?:file|\\.|/)`, "i").test(text);
}

export interface ProjectConflict {
  /** The route's requirement text ("flake8==6.1.0") and its evidence ("tox.ini:6 [testenv] deps"). */
  need: string;
  origin: string;
  /** The resolver's own words, need → … → the project ("flake8==6.1.0 depends on pyflakes>=3.1.0,<3.2.0"). */
  why: string;
}

/**
 * The route needs a failed install cannot have beside the project (`project` is its name,
 * installed from the checkout), read from the installer's output; [] when the failure is
 * another one.
 */
export function routeNeedsConflictingWithProject(output: string, project: string | undefined, needs: Array<{ text: string; origin: string }>): ProjectConflict[] {
  if (!project || !needs.length) return [];
  if (!/No solution found|unsatisfiable|ResolutionImpossible|conflicting dependencies|Cannot install/i.test(output)) return [];
  if (!projectVersionBinds(output, project)) return [];
  const edges = dependencyEdges(output);
  const target = norm(project);
  // Walk back from the project: every name whose chain of "depends on" reaches it.
  const reaches = new Map<string, string[]>([[target, []]]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const e of edges) {
      const from = norm(e.from);
      const via = reaches.get(norm(e.to));
      if (via && !reaches.has(from) && from !== target) {
        reaches.set(from, [e.text, ...via]);
        changed = true;
      }
    }
  }
  const out: ProjectConflict[] = [];
  for (const need of needs) {
    const name = new RegExp(`^(${NAME})`).exec(need.text.trim())?.[1];
    if (!name || norm(name) === target) continue;
    const chain = reaches.get(norm(name));
    if (chain?.length) out.push({ need: need.text, origin: need.origin, why: chain.join(", and ") });
  }
  return out;
}
