/**
 * What one command of a project's own route does, read from its words: does it run tests
 * (and with which runner), install something (and what), hand over to another route (tox,
 * nox, make, just, a task runner, a script), change directory, or something else?
 *
 * Wrappers that only pick an environment are taken off, because dhtl's environment is the
 * one the command will run in: `poetry run`, `uv run`, `pdm run`, `pipenv run`,
 * `hatch run`, `python -m`, `coverage run -m`, `xvfb-run`, `VAR=value` prefixes. Pure.
 */
import type { RunnerKind } from "./types.ts";

export type NeedDraft =
  | { kind: "requirement"; text: string }
  | { kind: "extra"; name: string }
  | { kind: "all-extras" }
  | { kind: "group"; name: string }
  | { kind: "system"; manager: string; name: string }
  /** The route installs without the project's lock file (`pipenv install --skip-lock`). */
  | { kind: "no-lock" };

export type DelegateTool = "tox" | "nox" | "make" | "just" | "taskipy" | "poe" | "pdm" | "pipenv" | "hatch-run" | "hatch-test" | "invoke" | "script";

export type Classified =
  | { kind: "test"; argv: string[]; runner: RunnerKind; needs: NeedDraft[]; env: Record<string, string> }
  | { kind: "install"; needs: NeedDraft[]; unread: string[] }
  | { kind: "delegate"; tool: DelegateTool; target?: string; args: string[]; needs: NeedDraft[] }
  | { kind: "cd"; dir: string }
  | { kind: "env"; env: Record<string, string> }
  | { kind: "other"; argv: string[] };

const PYTHON_WORD = /^(?:.*[\\/])?(?:python(?:\d(?:\.\d+)?)?|py|pypy3?|\{envpython\}|\{env_python\})(?:\.exe)?$/i;

export const isPythonWord = (w: string) => PYTHON_WORD.test(w) || w === "sys.executable";

/** Tools dhtl stands in for: installing them is not something the tests need. */
const TOOLING = /^(pip|setuptools|wheel|uv|virtualenv|tox(-.*)?|nox(-.*)?|build|twine|pipx|poetry(-.*)?|pdm(-.*)?|hatch(ling)?|pipenv|pre-commit|codecov|coveralls)$/i;

const PIP_VALUE_OPTIONS = new Set([
  "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "--prefix", "--target", "-t", "--root", "--python", "-p",
  "--upgrade-strategy", "--progress-bar", "--cache-dir", "--only-binary", "--no-binary", "--platform", "--python-version", "--implementation",
  "--abi", "--src", "--log", "--proxy", "--retries", "--timeout", "--exists-action", "--cert", "--client-cert", "--config-settings", "-C",
  "--global-option", "--install-option", "--index-strategy", "--resolution", "--prerelease", "--extra", "--python-platform", "--keyring-provider",
]);

/** Split `VAR=value` prefixes (and `env VAR=value`) from a command. */
function takeAssignments(words: string[]): { env: Record<string, string>; rest: string[] } {
  const env: Record<string, string> = {};
  let i = 0;
  if (words[0] === "env") i = 1;
  for (; i < words.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(words[i]!);
    if (!m) break;
    env[m[1]!] = m[2]!;
  }
  return { env, rest: words.slice(i) };
}

/** uv run's own options (value-taking ones listed), so the command after them is found. */
const UV_RUN_VALUE = new Set(["--extra", "--group", "--only-group", "--no-group", "--with", "--with-editable", "--with-requirements", "--python", "-p", "--package", "--env-file", "--index", "--default-index", "--index-url", "--extra-index-url", "--find-links", "-f", "--directory", "--project", "--config-file", "--cache-dir"]);

interface Unwrapped {
  words: string[];
  needs: NeedDraft[];
  env: Record<string, string>;
  /** The command was `hatch run ENV:SCRIPT`, `pdm run NAME` or similar: maybe a script of a task runner. */
  via?: DelegateTool;
}

/**
 * `hatch [-e ENV] run [+VAR=x] [-VAR=y] [ENV:]ARGS…` as `[ENV:]SCRIPT ARGS…`, or undefined when
 * the words are no `hatch run`. The `+py=3.11` / `-py=3.8` words only pick which of a matrix
 * environment's variants run (one environment here); `-e ENV` before `run` names the
 * environment the way `ENV:` does.
 */
function hatchRunWords(w: string[]): string[] | undefined {
  let i = 1;
  let envName: string | undefined;
  while (i < w.length && w[i] !== "run") {
    const opt = w[i]!;
    if (opt === "-e" || opt === "--env") {
      envName = w[i + 1];
      i += 2;
    } else if (opt.startsWith("--env=")) {
      envName = opt.slice("--env=".length);
      i++;
    } else if (/^-(v+|q+)$|^--(verbose|quiet|no-color|no-interactive)$/.test(opt)) i++;
    else return undefined;
  }
  if (w[i] !== "run") return undefined;
  i++;
  while (i < w.length && /^[+-][\w-]+=/.test(w[i]!)) i++;
  const target = w[i] ?? "";
  return [envName && target && !target.includes(":") ? `${envName}:${target}` : target, ...w.slice(i + 1)];
}

/** Take environment-selecting wrappers off the front of a command. */
export function unwrap(words: string[]): Unwrapped {
  const needs: NeedDraft[] = [];
  let env: Record<string, string> = {};
  let w = words;
  let scriptRunner: "pdm" | "pipenv" | undefined;
  for (let guard = 0; guard < 12 && w.length; guard++) {
    const a = takeAssignments(w);
    if (Object.keys(a.env).length || w[0] === "env") {
      env = { ...env, ...a.env };
      w = a.rest;
      continue;
    }
    const head = w[0]!;
    // `${PREFIX}coverage`, `$VENV/bin/pytest`: a variable naming the directory the program
    // lives in (scripts/test's `PREFIX="venv/bin/"`); dhtl's venv is first on PATH.
    const program = /^\$\{\w+\}([A-Za-z][\w.-]*)$/.exec(head)?.[1] ?? /^\$\{?\w+\}?\/(?:[^\s$]*\/)?([A-Za-z][\w.-]*)$/.exec(head)?.[1];
    if (program) {
      w = [program, ...w.slice(1)];
      continue;
    }
    if (head === "sudo" || head === "time" || head === "exec" || head === "command" || head === "nice") {
      w = w.slice(1).filter((x, i) => !(i === 0 && x.startsWith("-")));
      continue;
    }
    if (head === "timeout") {
      w = w.slice(2);
      continue;
    }
    if (head === "xvfb-run") {
      let i = 1;
      while (w[i]?.startsWith("-")) i += w[i] === "-s" || w[i] === "--server-args" ? 2 : 1;
      needs.push({ kind: "system", manager: "apt", name: "xvfb" });
      w = w.slice(i);
      continue;
    }
    if ((head === "poetry" || head === "rye") && w[1] === "run") {
      w = w.slice(2);
      continue;
    }
    if ((head === "pdm" || head === "pipenv") && w[1] === "run") {
      // `pdm run -v test`: pdm's own options (`-p DIR` takes a value) come before the command.
      let i = 2;
      while (w[i]?.startsWith("-")) i += w[i] === "-p" || w[i] === "--project" ? 2 : 1;
      w = w.slice(i);
      // `pdm run test` runs the project's script `test` when it has one (the plan looks it
      // up), `pdm run pytest` a plain command: a word that is no program path may be a script.
      if (w[0] && /^[\w][\w.:-]*$/.test(w[0]) && !isPythonWord(w[0])) scriptRunner = head;
      continue;
    }
    const hatchRun = head === "hatch" ? hatchRunWords(w) : undefined;
    if (hatchRun) {
      // `hatch run test` runs the script `test` of the default environment; `hatch run
      // lint:check` the script of another; `hatch run pytest` a plain command.
      return { words: hatchRun, needs, env, via: "hatch-run" };
    }
    if (head === "uv" && w[1] === "run") {
      let i = 2;
      while (i < w.length && w[i]!.startsWith("-")) {
        const opt = w[i]!.split("=")[0]!;
        const value = w[i]!.includes("=") ? w[i]!.slice(w[i]!.indexOf("=") + 1) : w[i + 1];
        if (opt === "--extra" && value) needs.push({ kind: "extra", name: value });
        if (opt === "--group" && value) needs.push({ kind: "group", name: value });
        if (opt === "--with" && value) for (const r of value.split(",")) needs.push({ kind: "requirement", text: r });
        if (opt === "--all-extras") needs.push({ kind: "all-extras" });
        i += UV_RUN_VALUE.has(opt) && !w[i]!.includes("=") ? 2 : 1;
      }
      w = w.slice(i);
      continue;
    }
    if (head === "uvx" || (head === "pipx" && w[1] === "run")) {
      const at = head === "uvx" ? 1 : 2;
      let i = at;
      while (w[i]?.startsWith("-")) i += w[i] === "--from" || w[i] === "--with" || w[i] === "--python" ? 2 : 1;
      // `uvx --with tox-uv tox -e py`: tox is a tool dhtl stands in for, not something the tests need.
      if (w[i] && !TOOLING.test(w[i]!)) needs.push({ kind: "requirement", text: w[i]! });
      w = w.slice(i);
      continue;
    }
    if (isPythonWord(head)) {
      // python [-X opts] -m module …  → the module's command; python file.py stays.
      let i = 1;
      while (i < w.length && /^-[BEIOPsSuvqWX]+$|^-[WX]$/.test(w[i]!)) i += /^-[WX]$/.test(w[i]!) ? 2 : 1;
      // `-m pytest`, and flags run together with it: `python -Im pip`, `-bbm pytest`.
      if (/^-[BEIOPsSuvqbd]*m$/.test(w[i] ?? "") && w[i + 1]) {
        w = [`-m:${w[i + 1]}`, ...w.slice(i + 2)];
        continue;
      }
      // The module joined to its flag, as Python accepts it: `python3 -munittest`, `-Impytest`.
      const joined = /^-[BEIOPsSuvqbd]*m([A-Za-z_][\w.]*)$/.exec(w[i] ?? "");
      if (joined) {
        w = [`-m:${joined[1]}`, ...w.slice(i + 1)];
        continue;
      }
      // `python nose2`: a package directory run as a script (its __main__.py) named after a runner.
      if (w[i] && /^(pytest|nose2|behave)\/?$/.test(w[i]!)) {
        w = [`-m:${w[i]!.replace(/\/$/, "")}`, ...w.slice(i + 1)];
        continue;
      }
      if (w[i] === "-c") return { words: ["python", ...w.slice(i)], needs, env };
      return { words: ["python", ...w.slice(i)], needs, env };
    }
    if ((head === "coverage" || head === "-m:coverage") && w[1] === "run") {
      needs.push({ kind: "requirement", text: "coverage" });
      let i = 2;
      // A shell variable among coverage's options (`coverage run $branch_option -m pytest`)
      // holds more of them: the program comes after.
      while (i < w.length && (w[i]!.startsWith("-") || /^\$(\w+|\{\w+\})$/.test(w[i]!)) && w[i] !== "-m") {
        const opt = w[i]!;
        i += /^--(source|rcfile|include|omit|concurrency|context|data-file)$/.test(opt) ? 2 : 1;
      }
      if (w[i] === "-m" && w[i + 1]) w = [`-m:${w[i + 1]}`, ...w.slice(i + 2)];
      else w = ["python", ...w.slice(i)];
      continue;
    }
    break;
  }
  return { words: w, needs, env, ...(scriptRunner ? { via: scriptRunner } : {}) };
}

/** The package a runner comes from (for the route's needs). */
export const RUNNER_PACKAGE: Partial<Record<RunnerKind, string>> = {
  pytest: "pytest",
  nose2: "nose2",
  nose: "nose",
  behave: "behave",
  trial: "twisted",
  stestr: "stestr",
  ward: "ward",
  "zope-testrunner": "zope.testrunner",
};

/** The module each recognised runner imports (`python -m X`), to check it is installed: dhtl test and diagnose. */
export const RUNNER_MODULE: Partial<Record<RunnerKind, string>> = { pytest: "pytest", nose2: "nose2", nose: "nose", behave: "behave", trial: "twisted", stestr: "stestr", ward: "ward", "zope-testrunner": "zope.testrunner", django: "django" };

/** pytest options that only exist with a plugin installed: without it pytest stops with "unrecognized arguments". */
const PYTEST_PLUGIN_FLAGS: Array<[RegExp, string]> = [
  [/^--cov(-report|-config|-fail-under|-append|-branch|-context)?(=|$)|^--no-cov(-on-fail)?$/, "pytest-cov"],
  [/^(-n|--numprocesses|--dist|--maxprocesses|--tx)(=|$)|^-n\d+$/, "pytest-xdist"],
  [/^--timeout(-method)?(=|$)/, "pytest-timeout"],
  [/^--benchmark-/, "pytest-benchmark"],
  [/^(-p\s*)?--randomly-|^-p\s*no:randomly$/, "pytest-randomly"],
  [/^--(reruns|reruns-delay|only-rerun)(=|$)/, "pytest-rerunfailures"],
  [/^--asyncio-mode(=|$)/, "pytest-asyncio"],
  [/^--doctest-plus$|^--doctest-rst$/, "pytest-doctestplus"],
  [/^--html(=|$)|^--self-contained-html$/, "pytest-html"],
  [/^--mpl(-|$)/, "pytest-mpl"],
  [/^--forked$/, "pytest-forked"],
  [/^--(ds|dc)(=|$)|^--(no-)?migrations$|^--reuse-db$|^--create-db$/, "pytest-django"],
  [/^--mypy$/, "pytest-mypy"],
  [/^--hypothesis-/, "hypothesis"],
  [/^--junit-xml-strict$/, "pytest"],
  [/^--socket-disabled$|^--disable-socket$|^--allow-hosts(=|$)/, "pytest-socket"],
  [/^--snapshot-update$/, "syrupy"],
  [/^--mock-use-standalone-module$/, "pytest-mock"],
  [/^--env(=|$)/, "pytest-env"],
  [/^--memray$/, "pytest-memray"],
  [/^--codspeed$/, "pytest-codspeed"],
  [/^--run-slow$/, ""],
];

const PYTEST_PLUGIN_NAMES: Record<string, string> = {
  xdist: "pytest-xdist",
  "xdist.plugin": "pytest-xdist",
  pytest_cov: "pytest-cov",
  randomly: "pytest-randomly",
  pytest_randomly: "pytest-randomly",
  anyio: "anyio",
  pytest_asyncio: "pytest-asyncio",
  asyncio: "pytest-asyncio",
  pytest_mock: "pytest-mock",
  rerunfailures: "pytest-rerunfailures",
  timeout: "pytest-timeout",
  pytest_timeout: "pytest-timeout",
  pytester: "",
};

/** Plugins a pytest command line (or `addopts`) needs, from the options it uses. */
export function pytestPluginsFor(args: string[]): string[] {
  const out = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-p" && args[i + 1]) {
      const name = args[++i]!;
      if (!name.startsWith("no:") && PYTEST_PLUGIN_NAMES[name]) out.add(PYTEST_PLUGIN_NAMES[name]!);
      continue;
    }
    for (const [re, pkg] of PYTEST_PLUGIN_FLAGS) if (pkg && re.test(a)) out.add(pkg);
  }
  return [...out];
}

/** What a runner's command needs beyond the runner itself. */
function runnerNeeds(runner: RunnerKind, args: string[]): NeedDraft[] {
  const needs: NeedDraft[] = [];
  const pkg = RUNNER_PACKAGE[runner];
  if (pkg) needs.push({ kind: "requirement", text: pkg });
  if (runner === "pytest") for (const plugin of pytestPluginsFor(args)) needs.push({ kind: "requirement", text: plugin });
  return needs;
}

/** Recognise a test runner in unwrapped words. */
function asTest(words: string[]): { runner: RunnerKind; argv: string[] } | undefined {
  const [head, ...rest] = words;
  if (!head) return undefined;
  const base = head.replace(/^.*[\\/]/, "").replace(/\.exe$/i, "");
  if (base === "pytest" || base === "py.test" || head === "-m:pytest" || head === "-m:py.test") return { runner: "pytest", argv: ["python", "-m", "pytest", ...rest] };
  if (head === "-m:unittest") return { runner: "unittest", argv: ["python", "-m", "unittest", ...rest] };
  if (head === "-m:twisted.trial" || base === "trial") return { runner: "trial", argv: ["python", "-m", "twisted.trial", ...rest] };
  if (base === "nose2" || head === "-m:nose2") return { runner: "nose2", argv: ["python", "-m", "nose2", ...rest] };
  if (base === "nosetests" || head === "-m:nose") return { runner: "nose", argv: ["python", "-m", "nose", ...rest] };
  if (base === "behave" || head === "-m:behave") return { runner: "behave", argv: ["python", "-m", "behave", ...rest] };
  if (base === "stestr" || head === "-m:stestr") return { runner: "stestr", argv: ["stestr", ...rest] };
  if (base === "ward") return { runner: "ward", argv: ["ward", ...rest] };
  // The Zope ecosystem's runner (every zopefoundation package's tox.ini): `zope-testrunner --test-path=src`.
  if (base === "zope-testrunner" || head === "-m:zope.testrunner") return { runner: "zope-testrunner", argv: ["python", "-m", "zope.testrunner", ...rest] };
  if (head === "-m:doctest" || head === "-m:xdoctest") return { runner: "doctest", argv: ["python", "-m", head.slice(3), ...rest] };
  if ((base === "django-admin" || head === "-m:django") && rest[0] === "test") return { runner: "django", argv: ["python", "-m", "django", ...rest] };
  if (head === "python" && rest[0] && /(^|[\\/])manage\.py$/.test(rest[0]) && rest[1] === "test") return { runner: "django", argv: ["python", ...rest] };
  if (head === "python" && rest[0] === "setup.py" && rest[1] === "test") return { runner: "other", argv: ["python", ...rest] };
  // A project's own test script: python runtests.py, python tests/run_tests.py, python -m tests
  if (head === "python" && rest[0] && /(^|[\\/])(run_?tests?|tests?|runtest|selftest)\.py$/i.test(rest[0])) return { runner: "script", argv: ["python", ...rest] };
  if (/^-m:(tests?|runtests)(\.|$)/.test(head)) return { runner: "script", argv: ["python", "-m", head.slice(3), ...rest] };
  // A runner inside the package's own test package: python -m pkg.tests._cibw_runner, -m pkg.tests
  if (head.startsWith("-m:") && isOwnTestModule(head.slice(3))) return { runner: "script", argv: ["python", "-m", head.slice(3), ...rest] };
  return undefined;
}

/**
 * `pkg.tests`, `pkg.tests.run`, `pkg.test.runner`, `pkg.testing.runtests`: a module of the
 * project's own test package run as a program. Tools (`pip`, `build`, `coverage.cmdline`)
 * have no test component, and a test-named leaf under a tool's namespace is still the
 * project's: a package does not ship another's tests.
 */
function isOwnTestModule(module: string): boolean {
  const parts = module.split(".");
  if (parts.length < 2 || !parts.every((p) => /^[A-Za-z_]\w*$/.test(p))) return false;
  const inner = parts.slice(1);
  return inner.some((p) => /^_?(tests?|testing|testsuite)$/i.test(p)) || /^_?(run_?tests?|runtests|test_?runner|selftest)$/i.test(parts[parts.length - 1]!);
}

/** Arguments of `pip install …` as needs. */
export function pipInstallNeeds(args: string[]): { needs: NeedDraft[]; unread: string[] } {
  const needs: NeedDraft[] = [];
  const unread: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [opt, inlineValue] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inlineValue ?? args[++i] ?? "";
    if (opt === "-r" || opt === "--requirement" || /^-r./.test(a)) {
      const file = /^-r./.test(a) ? a.slice(2) : value();
      needs.push({ kind: "requirement", text: `-r ${file}` });
      continue;
    }
    if (opt === "-c" || opt === "--constraint") {
      needs.push({ kind: "requirement", text: `-c ${value()}` });
      continue;
    }
    if (opt === "--group") {
      const g = value();
      needs.push({ kind: "group", name: g.includes(":") ? g.slice(g.lastIndexOf(":") + 1) : g });
      continue;
    }
    if (opt === "-e" || opt === "--editable") {
      const v = value();
      // `-e .$EXTRAS` / `-e .${{ matrix.extras }}` left unresolved: the project itself, its extras unread.
      const at = projectSelfExtras(v) ? -1 : v.search(/\$/);
      if (at >= 0) {
        if (/^(?:\.\/?|\.\/\.)(?:\[[^\]]*\])?$/.test(v.slice(0, at))) needs.push(...selfOrRequirement(v.slice(0, at)));
        unread.push(v);
        continue;
      }
      needs.push(...selfOrRequirement(v));
      continue;
    }
    if (PIP_VALUE_OPTIONS.has(opt)) {
      if (inlineValue === undefined) i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    if (!projectSelfExtras(a) && /\$\{\{|\$\(|\$[A-Za-z{]/.test(a)) {
      unread.push(a);
      continue;
    }
    needs.push(...selfOrRequirement(a));
  }
  return { needs, unread };
}

/** `.`, `.[test,docs]`, `./`, `"."` → the project's extras; anything else a requirement. */
/**
 * The project's own directory as an install argument: `.`, `./`, `{toxinidir}`, `$PWD`,
 * `` `pwd` ``, `$(pwd)`, also as a file:// URL with an `#egg=name` fragment
 * (`file://`pwd`#egg=responses[tests]`); its extras, or undefined when it is not the project.
 */
export function projectSelfExtras(text: string): string[] | undefined {
  const here = String.raw`(?:\.\/?|\.\/\.|\{toxinidir\}|\{tox_root\}|\$\{?PWD\}?|\x60pwd\x60|\$\(pwd\))`;
  const re = new RegExp(String.raw`^(?:file:(?:\/\/)?)?${here}\/?(?:#egg=[A-Za-z0-9._-]+)?(?:\[([^\]]*)\])?$`);
  const m = re.exec(text.trim().replace(/^(["'])(.*)\1$/, "$2"));
  return m ? (m[1] ?? "").split(",").map((e) => e.trim()).filter(Boolean) : undefined;
}

function selfOrRequirement(text: string): NeedDraft[] {
  const self = projectSelfExtras(text);
  if (self) return self.map((name) => ({ kind: "extra", name }) as NeedDraft);
  // The project's own build output (`pip install dist/*.whl` after `python -m build`): it is installed editable anyway.
  if (/(^|[\\/])dist[\\/]|[*?]/.test(text)) return [];
  const name = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(text)?.[1];
  if (name && TOOLING.test(name)) return [];
  return [{ kind: "requirement", text }];
}

/** Conda package names that differ on PyPI (conda-forge → PyPI). */
const CONDA_TO_PYPI: Record<string, string | null> = {
  python: null,
  pip: null,
  "pytorch": "torch",
  "pytorch-cpu": "torch",
  "py-opencv": "opencv-python",
  opencv: "opencv-python",
  "matplotlib-base": "matplotlib",
  "pyqt": "PyQt5",
  "pytables": "tables",
  "gdal": "GDAL",
  "libgdal": null,
  "msgpack-python": "msgpack",
  "python-dateutil": "python-dateutil",
  "pywin32": "pywin32",
  "ruamel_yaml": "ruamel.yaml",
  "typing_extensions": "typing-extensions",
  "graphviz": null,
  "python-graphviz": "graphviz",
  "numpy-base": "numpy",
  "blas": null,
  "mkl": null,
  "compilers": null,
  "c-compiler": null,
  "cxx-compiler": null,
  "make": null,
  "cmake": "cmake",
  "nodejs": null,
  "git": null,
};

/** A conda install's package as a PyPI requirement (null: not a Python package). */
export function condaToPypi(spec: string): string | null {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$/.exec(spec.replace(/^[\w-]+::/, ""));
  if (!m) return null;
  const name = m[1]!.toLowerCase();
  const mapped = name in CONDA_TO_PYPI ? CONDA_TO_PYPI[name] : m[1]!;
  if (mapped === null || mapped === undefined) return null;
  // conda's `=1.2` (a version prefix) is PyPI's `==1.2.*`
  const version = m[2]!.trim();
  const pep440 = /^=[^=]/.test(version) ? `==${version.slice(1)}${/\*$/.test(version) ? "" : ".*"}` : version;
  return `${mapped}${pep440}`;
}

/** What an install command line asks for. */
function asInstall(words: string[]): { needs: NeedDraft[]; unread: string[] } | undefined {
  const [head, ...rest] = words;
  if (!head) return undefined;
  const base = head.replace(/^.*[\\/]/, "");
  const sub = rest[0];
  if (((base === "pip" || base === "pip3" || head === "-m:pip") && sub === "install") || (base === "uv" && sub === "pip" && rest[1] === "install")) {
    return pipInstallNeeds(base === "uv" ? rest.slice(2) : rest.slice(1));
  }
  if (base === "uv" && sub === "sync") {
    const needs: NeedDraft[] = [];
    for (let i = 1; i < rest.length; i++) {
      const [opt, v] = rest[i]!.includes("=") ? rest[i]!.split("=", 2) : [rest[i]!, rest[i + 1]];
      if (opt === "--extra" && v) needs.push({ kind: "extra", name: v });
      if (opt === "--group" && v) needs.push({ kind: "group", name: v });
      if (opt === "--all-extras") needs.push({ kind: "all-extras" });
    }
    return { needs, unread: [] };
  }
  if (base === "poetry" && sub === "install") {
    const needs: NeedDraft[] = [];
    for (let i = 1; i < rest.length; i++) {
      const a = rest[i]!;
      const [opt, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
      const value = () => inline ?? rest[++i] ?? "";
      if (opt === "--with" || opt === "--only") {
        for (const g of value().split(",")) needs.push({ kind: "group", name: g.trim() });
      } else if (opt === "-E" || opt === "--extras") {
        for (const e of value().split(/[\s,]+/)) if (e) needs.push({ kind: "extra", name: e });
      } else if (opt === "--all-extras") needs.push({ kind: "all-extras" });
    }
    return { needs, unread: [] };
  }
  if (base === "pdm" && (sub === "install" || sub === "sync")) {
    const needs: NeedDraft[] = [];
    for (let i = 1; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === "-G" || a === "--group") {
        const g = rest[++i] ?? "";
        if (g === ":all") needs.push({ kind: "all-extras" });
        else needs.push({ kind: "group", name: g });
      } else if (a === "-d" || a === "--dev") needs.push({ kind: "group", name: "dev" });
    }
    return { needs, unread: [] };
  }
  if (base === "pipenv" && (sub === "install" || sub === "sync")) {
    const needs: NeedDraft[] = rest.includes("--dev") || rest.includes("-d") ? [{ kind: "group", name: "dev" }] : [];
    if (sub === "install" && rest.includes("--skip-lock")) needs.push({ kind: "no-lock" });
    return { needs, unread: [] };
  }
  if ((base === "conda" || base === "mamba" || base === "micromamba") && sub === "install") {
    const needs: NeedDraft[] = [];
    for (let i = 1; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === "-c" || a === "--channel" || a === "-n" || a === "--name" || a === "-p" || a === "--prefix" || a === "--file") {
        i++;
        continue;
      }
      if (a.startsWith("-")) continue;
      const pypi = condaToPypi(a);
      if (pypi) needs.push({ kind: "requirement", text: pypi });
    }
    return { needs, unread: [] };
  }
  const systemManager = base === "apt-get" || base === "apt" ? "apt" : base === "dnf" || base === "yum" ? "dnf" : base === "brew" ? "brew" : base === "apk" ? "apk" : undefined;
  if (systemManager && (sub === "install" || (systemManager === "apk" && sub === "add"))) {
    const names = rest.slice(1).filter((a) => !a.startsWith("-") && !/\$/.test(a));
    return { needs: names.map((name) => ({ kind: "system", manager: systemManager, name })), unread: [] };
  }
  return undefined;
}

/** Invoke's core options that take a value (`inv --collection tasks_ci test`). */
const INVOKE_VALUE_OPTIONS = new Set(["-c", "--collection", "-r", "--search-root", "-f", "--config"]);

/** A hand-over to another route: tox, nox, make, just, taskipy, poe, pdm/pipenv/hatch scripts, a script file. */
function asDelegate(words: string[], via?: DelegateTool): Extract<Classified, { kind: "delegate" }> | undefined {
  const [head, ...rest] = words;
  if (!head) return undefined;
  const base = head.replace(/^.*[\\/]/, "");
  if (via) return { kind: "delegate", tool: via, target: head, args: rest, needs: [] };
  if (base === "tox" || head === "-m:tox") {
    const args = rest[0] === "run" || rest[0] === "r" ? rest.slice(1) : rest;
    const e = args.findIndex((a) => a === "-e" || a.startsWith("-e") || a.startsWith("--env"));
    let target: string | undefined;
    if (e >= 0) {
      const a = args[e]!;
      target = a === "-e" || a === "--env" ? args[e + 1] : a.startsWith("--env=") ? a.slice(6) : a.slice(2);
    }
    const dd = args.indexOf("--");
    return { kind: "delegate", tool: "tox", ...(target ? { target } : {}), args: dd >= 0 ? args.slice(dd + 1) : [], needs: [] };
  }
  if (base === "nox" || head === "-m:nox") {
    let target: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === "--") break;
      if (a === "-s" || a === "--session" || a === "--sessions" || a === "-e" || /^-[a-z]*s$/.test(a)) target = rest[i + 1];
      else if (a.startsWith("--session=")) target = a.slice(10);
      else if (a === "-t" || a === "--tags") target = `tag:${rest[i + 1]}`;
    }
    const dd = rest.indexOf("--");
    return { kind: "delegate", tool: "nox", ...(target ? { target } : {}), args: dd >= 0 ? rest.slice(dd + 1) : [], needs: [] };
  }
  if (base === "make" || base === "gmake") {
    const targets = rest.filter((a) => !a.startsWith("-") && !a.includes("="));
    return { kind: "delegate", tool: "make", ...(targets[0] ? { target: targets[0] } : {}), args: [], needs: [] };
  }
  if (base === "just") {
    // `just python=3.12 cov`: a NAME=VALUE word sets a Justfile variable, it is not a recipe.
    const targets = rest.filter((a) => !a.startsWith("-") && !/^[A-Za-z_][\w-]*=/.test(a));
    return { kind: "delegate", tool: "just", ...(targets[0] ? { target: targets[0] } : {}), args: targets.slice(1), needs: [] };
  }
  if (base === "task" && rest[0]) return { kind: "delegate", tool: "taskipy", target: rest[0], args: rest.slice(1), needs: [] };
  if (base === "invoke" || base === "inv" || head === "-m:invoke") {
    // `inv -c tasks_ci test --verbose`: the first word that is no core option (nor its value) is the task.
    let i = 0;
    while (i < rest.length && rest[i]!.startsWith("-")) i += INVOKE_VALUE_OPTIONS.has(rest[i]!) ? 2 : 1;
    return { kind: "delegate", tool: "invoke", ...(rest[i] ? { target: rest[i] } : {}), args: rest.slice(i + 1), needs: [] };
  }
  if (base === "poe" && rest[0]) return { kind: "delegate", tool: "poe", target: rest[0], args: rest.slice(1), needs: [] };
  if (base === "hatch" && rest[0] === "test") return { kind: "delegate", tool: "hatch-test", args: rest.slice(1), needs: [] };
  // ./scripts/test, bash scripts/test.sh, sh ci/test.sh: read that script's own lines.
  const script = (base === "bash" || base === "sh") && rest[0] && !rest[0].startsWith("-") ? rest[0] : /^\.{0,2}\/|^scripts?\//.test(head) && !/\.py$/.test(head) ? head : undefined;
  if (script) return { kind: "delegate", tool: "script", target: script.replace(/^\.\//, ""), args: [], needs: [] };
  return undefined;
}

/** Classify the words of one simple command. */
export function classify(words: string[]): Classified {
  if (!words.length) return { kind: "other", argv: [] };
  if (words[0] === "cd" && words[1]) return { kind: "cd", dir: words[1] };
  if (words[0] === "export") {
    const env: Record<string, string> = {};
    for (const w of words.slice(1)) {
      const m = /^([A-Za-z_]\w*)=(.*)$/.exec(w);
      if (m) env[m[1]!] = m[2]!;
    }
    return { kind: "env", env };
  }
  const { words: inner, needs, env, via } = unwrap(words);
  if (!inner.length) return { kind: "env", env };
  // `tox --version`, `pytest --help`, `nox -l`: a look at the tool, not a run; `tox run
  // --notest`, `nox --install-only`: the environments made ready, the tests run by a later step.
  if (inner.slice(1).some((w) => /^(--version|-V|--help|-h|--listenvs|-l|--list|--list-sessions|--showconfig|--collect-only|--co|--notest|--install-only)$/.test(w)) && !/^(pip|uv)$/.test(inner[0]!)) {
    return { kind: "other", argv: inner[0]!.startsWith("-m:") ? ["python", "-m", inner[0]!.slice(3), ...inner.slice(1)] : inner };
  }
  const delegate = via === "hatch-run" ? undefined : asDelegate(inner);
  if (delegate) return { ...delegate, needs: [...needs, ...delegate.needs] };
  const test = asTest(inner);
  if (test) return { kind: "test", argv: test.argv, runner: test.runner, needs: [...needs, ...runnerNeeds(test.runner, test.argv)], env };
  if (via) {
    const d = asDelegate(inner, via)!;
    return { ...d, needs };
  }
  const install = asInstall(inner);
  if (install) return { kind: "install", needs: [...needs, ...install.needs], unread: install.unread };
  return { kind: "other", argv: inner[0]?.startsWith("-m:") ? ["python", "-m", inner[0].slice(3), ...inner.slice(1)] : inner };
}
