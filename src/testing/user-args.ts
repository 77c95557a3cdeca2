/**
 * The user's arguments to `dhtl test`, pure:
 *
 * - `splitRunnerArgs`: which words of `dhtl test …` are dhtl's own flags and which go to the
 *   test runner. dhtl's flags (the command's and the global ones) are taken wherever they
 *   stand before `--`; every other word (an unknown flag, its value, a path, a node id) goes
 *   to the runner, in order; everything after `--` goes to the runner as it is. So
 *   `dhtl test -x -k dumps tests/test_api.py` needs no `--`, and `dhtl test -- -v` gives
 *   `-v` to pytest instead of meaning `--verbose`.
 * - `narrowCommand`: when the user's arguments select tests (pytest paths or node ids,
 *   unittest or Django test labels), the route's own selection (`pytest -q tests`: `tests`)
 *   is dropped so the user's can narrow it; the route's flags stay. Other runners: the
 *   user's arguments are only added.
 */
import type { RouteCommand, RunnerKind } from "./types.ts";

/** The flags a command accepts (src/main.ts knownFlags): long names, one-letter aliases, which take a value. */
export interface OwnFlags {
  long: Set<string>;
  short: Set<string>;
  valued: Set<string>;
  booleans: Set<string>;
}

/** Split `dhtl test`'s words into dhtl's own flags and the runner's arguments (order kept). */
export function splitRunnerArgs(tokens: string[], flags: OwnFlags): { own: string[]; runner: string[] } {
  const own: string[] = [];
  const runner: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") {
      runner.push(...tokens.slice(i + 1));
      break;
    }
    if (token.startsWith("--")) {
      const name = token.slice(2).split("=")[0]!;
      const negated = name.startsWith("no-") ? name.slice(3) : undefined;
      if (flags.long.has(name) || (negated !== undefined && flags.booleans.has(negated))) {
        own.push(token);
        if (flags.valued.has(name) && !token.includes("=") && i + 1 < tokens.length) own.push(tokens[++i]!);
        continue;
      }
    } else if (token.startsWith("-") && token.length > 1) {
      // A cluster of dhtl's one-letter flags (-v, -q, -vy) is dhtl's; `-x`, `-vx`, `-k` are the runner's.
      const letters = token.slice(1).split("=")[0]!;
      if ([...letters].every((l) => flags.short.has(l))) {
        own.push(token);
        if (letters.length === 1 && flags.valued.has(letters) && !token.includes("=") && i + 1 < tokens.length) own.push(tokens[++i]!);
        continue;
      }
    }
    runner.push(token);
  }
  return { own, runner };
}

/** How a runner's command line is read: where its own arguments start and which options take a value. */
interface Syntax {
  /** Index of the first argument after the runner's name (`python -m pytest` → 3), or undefined. */
  start(argv: string[]): number | undefined;
  /** Long options (`--deselect`) and letters (`k`) that take the next word as their value. */
  valued: Set<string>;
  /** Options whose value is optional: the next word is theirs only when it matches. */
  optional?: Map<string, RegExp>;
}

const PYTEST: Syntax = {
  start: (argv) => (argv[0] === "python" && argv[1] === "-m" && (argv[2] === "pytest" || argv[2] === "py.test") ? 3 : undefined),
  valued: new Set([
    "k", "m", "p", "c", "o", "W", "n", "r",
    "--deselect", "--ignore", "--ignore-glob", "--rootdir", "--confcutdir", "--basetemp", "--maxfail", "--tb", "--capture", "--import-mode",
    "--override-ini", "--pythonwarnings", "--durations", "--durations-min", "--junitxml", "--junit-xml", "--junit-prefix", "--log-level",
    "--log-file", "--log-file-level", "--log-format", "--log-date-format", "--log-cli-level", "--log-cli-format", "--log-cli-date-format",
    "--doctest-glob", "--doctest-report", "--color", "--code-highlight", "--show-capture", "--config-file", "--inifile", "--runxfail-if",
    "--cov-report", "--cov-config", "--cov-fail-under", "--cov-context", "--numprocesses", "--maxprocesses", "--dist", "--tx", "--rsyncdir",
    "--timeout", "--timeout-method", "--reruns", "--reruns-delay", "--only-rerun", "--html", "--randomly-seed", "--asyncio-mode", "--ds",
    "--dc", "--hypothesis-profile", "--hypothesis-seed", "--benchmark-columns", "--benchmark-sort", "--benchmark-save", "--benchmark-json",
    "--last-failed-no-failures", "--lfnf", "--strict-markers-file", "--debug-file", "--base-url", "--driver", "--splinter-webdriver",
  ]),
  // `--cov tests` measures tests/ (its value is optional).
  optional: new Map([["--cov", /^[^-]/]]),
};

const UNITTEST: Syntax = {
  start: (argv) => (argv[0] === "python" && argv[1] === "-m" && argv[2] === "unittest" ? 3 : undefined),
  valued: new Set(["k", "s", "p", "t", "--start-directory", "--pattern", "--top-level-directory", "--durations"]),
};

const DJANGO: Syntax = {
  start: (argv) => {
    const at = argv[0] === "python" && argv[1] === "-m" && argv[2] === "django" ? 3 : argv[0] === "python" && /(^|[\\/])manage\.py$/.test(argv[1] ?? "") ? 2 : undefined;
    return at !== undefined && argv[at] === "test" ? at + 1 : undefined;
  },
  valued: new Set(["t", "p", "k", "v", "--settings", "--pythonpath", "--testrunner", "--top-level-directory", "--pattern", "--tag", "--exclude-tag", "--verbosity", "--debug-sql-file"]),
  optional: new Map([["--parallel", /^(\d+|auto)$/]]),
};

const SYNTAX: Partial<Record<RunnerKind, Syntax>> = { pytest: PYTEST, unittest: UNITTEST, django: DJANGO };

/** Indexes (into `words`) of the positional arguments: not an option, not an option's value. */
export function positionalIndexes(words: string[], syntax: Pick<Syntax, "valued" | "optional">, from = 0): number[] {
  const out: number[] = [];
  for (let i = from; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") {
      for (let j = i + 1; j < words.length; j++) out.push(j);
      break;
    }
    if (w.startsWith("--")) {
      if (w.includes("=")) continue;
      if (syntax.valued.has(w)) i++;
      else if (syntax.optional?.get(w)?.test(words[i + 1] ?? "")) i++;
      continue;
    }
    if (w.startsWith("-") && w.length > 1) {
      // A cluster: the first letter that takes a value takes the rest of the word, or the next word.
      const letters = w.slice(1);
      const at = [...letters].findIndex((l) => syntax.valued.has(l));
      if (at === letters.length - 1) i++;
      continue;
    }
    out.push(i);
  }
  return out;
}

/** The user's arguments that select tests for this runner (paths, node ids, labels), if any. */
export function userSelection(runner: RunnerKind, userArgs: string[], isPath: (arg: string) => boolean): string[] {
  const syntax = SYNTAX[runner];
  if (!syntax) return [];
  const words = positionalIndexes(userArgs, syntax).map((i) => userArgs[i]!);
  if (runner === "pytest") return words.filter((w) => isPath(w.split("::")[0]!));
  // unittest: a test file or a dotted name (tests.test_api.T.test_x); a directory is discovery's start, not a label.
  if (runner === "unittest") return words.length && words.every((w) => (/\.py$/.test(w) && isPath(w)) || (/^[A-Za-z_]\w*(\.\w+)*$/.test(w) && !isPath(w))) ? words : [];
  // Django: every positional of `manage.py test` is a label (dotted name or path).
  return words;
}

/** Route words that are not plain words (shell variables, command substitution) are never dropped. */
const literal = (w: string) => !/[$`]/.test(w);

/**
 * The command with the route's own test selection taken out, when the user's arguments
 * select tests for the same runner; otherwise the command as it is. Pure: `isPath` says
 * whether a word names an existing file or directory (where the command runs).
 */
export function narrowCommand(cmd: RouteCommand, userArgs: string[], isPath: (arg: string) => boolean): RouteCommand {
  const syntax = SYNTAX[cmd.runner];
  if (!syntax || cmd.line !== undefined) return cmd;
  const start = syntax.start(cmd.argv);
  if (start === undefined || !userSelection(cmd.runner, userArgs, isPath).length) return cmd;
  let drop: number[];
  if (cmd.runner === "unittest") {
    const d = cmd.argv.indexOf("discover", start);
    if (d >= 0) {
      // `discover -s tests -p 'test_*.py'`: discovery gives way to the user's labels; -v, -k, -b stay.
      drop = [d];
      for (let i = d + 1; i < cmd.argv.length; i++) {
        const w = cmd.argv[i]!;
        if (/^(-[spt]|--start-directory|--pattern|--top-level-directory)$/.test(w)) drop.push(i, ++i);
        else if (/^(-[spt].|--(start-directory|pattern|top-level-directory)=)/.test(w) || !w.startsWith("-")) drop.push(i);
      }
    } else drop = positionalIndexes(cmd.argv, syntax, start);
  } else drop = positionalIndexes(cmd.argv, syntax, start);
  drop = drop.filter((i) => i < cmd.argv.length && literal(cmd.argv[i]!));
  if (!drop.length) return cmd;
  const gone = new Set(drop);
  const argv = cmd.argv.filter((_, i) => !gone.has(i));
  if (!cmd.posargs) return { ...cmd, argv };
  const index = cmd.posargs.index - drop.filter((i) => i < cmd.posargs!.index).length;
  return { ...cmd, argv, posargs: { ...cmd.posargs, index } };
}
