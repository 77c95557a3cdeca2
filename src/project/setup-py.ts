/**
 * `setup.py`, read statically (never executed): the keyword arguments of its `setup(...)`
 * call that matter for a development environment — `python_requires`, `install_requires`,
 * `extras_require`, `tests_require` — where they are literals or module-level constants.
 * Extras whose requirement lists are computed still count by name (pip installs
 * `.[test]` from the real metadata); a computed value is reported, never guessed.
 */
import { assignments, dictEntries, findCalls, flattenStrings, tokenizePython, type PyValue } from "./python-source.ts";

export interface SetupPyFacts {
  /** `name=` when it is a string (literal or module constant). */
  name?: string;
  pythonRequires?: { value: string; line: number };
  installRequires?: string[];
  /** Extra name → its requirements (empty when not readable statically). */
  extras: Record<string, string[]>;
  testsRequire?: string[];
  /** The trove classifiers (for the Python versions the project claims). */
  classifiers?: string[];
  /** `setup(...)` line, for origins. */
  line: number;
  /** What could not be read statically. */
  unread: string[];
}

const isSetupCall = (callee: string) => callee === "setup" || callee === "setuptools.setup" || callee === "distutils.core.setup";

export function readSetupPy(source: string): SetupPyFacts | undefined {
  const tokens = tokenizePython(source);
  const call = findCalls(tokens, isSetupCall)[0];
  if (!call) return undefined;
  const scope = assignments(tokens);
  // setup(**kwargs) with a module-level dict: read its entries as keywords.
  const kw: Record<string, PyValue> = { ...call.kwargs };
  for (const [k, v] of Object.entries(call.kwargs)) {
    if (!k.startsWith("**")) continue;
    for (const [name, value] of dictEntries(v, scope)) kw[name] ??= value;
  }
  const unread: string[] = [];
  const strings = (v: PyValue | undefined, what: string): string[] | undefined => {
    if (!v) return undefined;
    const missing: string[] = [];
    const out = flattenStrings([v], scope, missing);
    if (missing.length) unread.push(`${what}: ${missing.join(", ")}`);
    return out;
  };
  const facts: SetupPyFacts = { extras: {}, line: call.line, unread };
  const nameValue = kw.name?.kind === "name" ? scope.get(kw.name.path) : kw.name;
  if (nameValue?.kind === "str" && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(nameValue.value)) facts.name = nameValue.value;
  const pr = kw.python_requires;
  const prValue = pr?.kind === "name" ? scope.get(pr.path) : pr;
  if (prValue?.kind === "str") facts.pythonRequires = { value: prValue.value, line: call.line };
  const install = strings(kw.install_requires, "install_requires");
  if (install) facts.installRequires = install;
  const tests = strings(kw.tests_require, "tests_require");
  if (tests) facts.testsRequire = tests;
  const classifiers = kw.classifiers ? flattenStrings([kw.classifiers], scope) : undefined;
  if (classifiers?.length) facts.classifiers = classifiers;
  for (const [name, value] of dictEntries(kw.extras_require, scope)) {
    const missing: string[] = [];
    facts.extras[name] = flattenStrings([value], scope, missing);
    if (missing.length) unread.push(`extras_require[${name}]: ${missing.join(", ")}`);
  }
  return facts;
}
