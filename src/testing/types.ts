/**
 * The test route as plain data: how a project's own files say its tests are run, what that
 * needs installed, and which Pythons it names. Readers (src/testing/readers/) turn files
 * into routes; the planner (plan.ts) orders and chooses; setup installs a route's needs;
 * `dhtl test` runs its suites (run.ts).
 */

/** Where a fact was read: `tox.ini:12 [testenv] deps`. */
export interface Evidence {
  file: string;
  line?: number;
  /** What at that place: "[testenv] deps", "job test, step 4", "recipe test". */
  what: string;
}

export const formatEvidence = (e: Evidence): string => `${e.file}${e.line ? `:${e.line}` : ""} ${e.what}`;

/** Something the route needs in the environment before its commands can run. */
export type RouteNeed =
  /** A PEP 508 requirement (or `-r file` / `-c file` / a local path), as the route writes it. */
  | { kind: "requirement"; text: string; evidence: Evidence }
  /** An extra of the project itself (`.[test]`, tox `extras = test`). */
  | { kind: "extra"; name: string; evidence: Evidence }
  /** Every extra (`--all-extras`, `.[all]` is an ordinary extra). */
  | { kind: "all-extras"; evidence: Evidence }
  /** A PEP 735 / tool dependency group (`--group test`, tox `dependency_groups`). */
  | { kind: "group"; name: string; evidence: Evidence }
  /** A system package a CI step installs (`apt-get install libxml2-dev`). */
  | { kind: "system"; manager: string; name: string; evidence: Evidence }
  /** The route installs without the project's lock file (`pipenv install --skip-lock`). */
  | { kind: "no-lock"; evidence: Evidence };

/** The runners dhtl recognises in a command (the package that provides each is in runners.ts). */
export type RunnerKind = "pytest" | "unittest" | "django" | "nose2" | "nose" | "behave" | "trial" | "stestr" | "ward" | "zope-testrunner" | "doctest" | "script" | "other";

/** One command of a route, as it will run in the environment. */
export interface RouteCommand {
  /** The words to run (already stripped of wrappers such as `poetry run`). */
  argv: string[];
  /** Run through the shell (a Makefile recipe or CI `run:` line with pipes, `&&`, variables). */
  shell?: boolean;
  /** A whole shell line as the user wrote it (`.dhtconfig` test.command): run as is, arguments appended. */
  line?: string;
  /** Which runner this command starts ("other" for a plain program). */
  runner: RunnerKind;
  /** tox's `-` prefix: the exit status is ignored. */
  ignoreExit?: boolean;
  /** The place in tox/nox/Makefile where the user's extra arguments go; absent: appended. */
  posargs?: { index: number; default: string[] };
  /** Working directory relative to the environment root (`cd tests && pytest`, tox changedir). */
  cwd?: string;
  /** Variables this command sets for itself (`DJANGO_SETTINGS_MODULE=x pytest`). */
  env?: Record<string, string>;
  /**
   * A tox env's command: tox runs it with a filtered environment (its default pass-list plus
   * these `pass_env` names and globs), so `CI=true` from the caller does not reach it.
   */
  passEnv?: string[];
  evidence: Evidence;
}

export type RouteSource = "config" | "tox" | "nox" | "task" | "ci" | "convention";

export interface TestRoute {
  /** `tox:py311`, `nox:tests`, `make:test`, `ci:test`, `pytest`, `django`, `behave`. */
  name: string;
  source: RouteSource;
  /** One line: why this route exists ("tox.ini envlist names py311; its commands run pytest"). */
  summary: string;
  evidence: Evidence[];
  needs: RouteNeed[];
  /** Commands that prepare (tox commands_pre, Django's migrations), run first. */
  pre: RouteCommand[];
  /** The commands that run the tests (several suites: pytest and behave). */
  suites: RouteCommand[];
  /** Environment variables the route sets (tox setenv, CI env:, nox session.env). */
  env: Record<string, string>;
  /** Working directory relative to the environment root (tox changedir). */
  cwd?: string;
  /** The route says what to install, but not everything it lists could be read statically. */
  unread: string[];
  /** Commands of the route that are neither tests nor installs (`coverage report`, `codecov`): not run. */
  skipped: string[];
}

/** A Python version the project's files name, as a hint for choosing one. */
export interface PythonSignal {
  kind: "tox-envlist" | "ci-matrix" | "dockerfile" | "nox-session" | "runtime.txt" | ".tool-versions" | "classifiers" | "setup.py";
  /** Minors such as "3.11", newest first. */
  minors: string[];
  evidence: Evidence;
}

/** How much of a test file is read (files.ts): a shorter text is the whole file. */
export const MAX_TEST_HEAD = 64 * 1024;

/** The files a route is read from: relative path → text (bounded reads, regular files only). */
export interface ProjectFiles {
  /** Relative path (forward slashes) → content. */
  files: Map<string, string>;
  /** Directories present (relative, forward slashes), for conventions such as `features/` or `tests/`. */
  dirs: Set<string>;
  /** Test-looking Python files (tests/test_*.py, …), relative paths, for unittest/pytest conventions. */
  testFiles: string[];
}
