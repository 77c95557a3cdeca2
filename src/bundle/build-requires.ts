/**
 * What building a project needs, including what its build backend asks for at build time.
 *
 * An offline editable install (`uv pip install -e .` with --no-index) builds the project
 * in an isolated environment from the bundle's wheels only. `[build-system].requires` is
 * not the whole list: PEP 517 backends add requirements through get_requires_for_build_wheel
 * / get_requires_for_build_editable (hatchling asks for `editables` for editable installs,
 * older setuptools for `wheel`, scikit-build-core for cmake/ninja). The only reliable way to
 * know them is to ask the backend, as pip and uv do: install the static requirements into a
 * scratch venv and call the two hooks there. Like any build, the hooks run in the project
 * directory (setuptools may write its .egg-info there, as `pip install -e .` would).
 */
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import { redactText } from "../net/redact.ts";

export interface BuildSystem {
  requires: string[];
  backend: string;
  backendPath: string[];
}

/** `[build-system]` of a pyproject (PEP 517/518 defaults when absent: setuptools' legacy backend). */
export function buildSystemOf(pyproject: Record<string, unknown> | undefined): BuildSystem {
  const bs = (pyproject?.["build-system"] ?? {}) as { requires?: unknown; "build-backend"?: unknown; "backend-path"?: unknown };
  const requires = Array.isArray(bs.requires) ? bs.requires.filter((r): r is string => typeof r === "string") : ["setuptools>=40.8.0"];
  const backend = typeof bs["build-backend"] === "string" ? bs["build-backend"] : "setuptools.build_meta:__legacy__";
  const backendPath = Array.isArray(bs["backend-path"]) ? bs["backend-path"].filter((p): p is string => typeof p === "string") : [];
  return { requires, backend, backendPath };
}

/** Python run inside the scratch venv, in the project directory: prints the hooks' answers as JSON. */
export const HOOKS_SCRIPT = [
  "import importlib, json, os, sys",
  "backend, paths = sys.argv[1], json.loads(sys.argv[2])",
  "sys.path[:0] = [os.path.abspath(p) for p in paths]",
  "module, _, attr = backend.partition(':')",
  "obj = importlib.import_module(module)",
  "for part in filter(None, attr.split('.')):",
  "    obj = getattr(obj, part)",
  "found = set()",
  "for hook in ('get_requires_for_build_wheel', 'get_requires_for_build_editable'):",
  "    fn = getattr(obj, hook, None)",
  "    if fn is not None:",
  "        found.update(fn({}))",
  "sys.stdout.write('\\n' + json.dumps(sorted(found)))",
].join("\n");

async function run(argv: string[], cwd: string, env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(argv, { cwd, env: env as Record<string, string>, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/**
 * The static build requirements plus whatever the backend asks for (deduplicated, in that
 * order). `python` is an interpreter of the project's Python; `env` lets uv reach the index.
 */
export async function projectBuildRequires(input: { uv: string; python: string; projectRoot: string; pyproject?: Record<string, unknown>; env: Record<string, string | undefined>; workDir: string }): Promise<string[]> {
  const system = buildSystemOf(input.pyproject);
  const venv = await mkdtemp(join(input.workDir, "build-hooks-"));
  const fail = (what: string, stderr: string) =>
    new DhtError(ExitCode.failed, `cannot find out what building ${input.projectRoot} needs: ${what}`, {
      subject: join(input.projectRoot, existsSync(join(input.projectRoot, "pyproject.toml")) ? "pyproject.toml" : "setup.py"),
      hint: `the output ends with:\n${redactText(stderr.trim().split("\n").slice(-8).join("\n"))}`,
    });
  const created = await run([input.uv, "venv", "--quiet", "--python", input.python, venv], input.workDir, input.env);
  if (created.code !== 0) throw fail("uv venv failed", created.stderr);
  const python = join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  if (system.requires.length) {
    const installed = await run([input.uv, "pip", "install", "--quiet", "--python", python, ...system.requires], input.workDir, input.env);
    if (installed.code !== 0) throw fail(`installing ${system.requires.join(", ")} failed`, installed.stderr);
  }
  const hooks = await run([python, "-c", HOOKS_SCRIPT, system.backend, JSON.stringify(system.backendPath)], input.projectRoot, { ...input.env, PYTHONDONTWRITEBYTECODE: "1" });
  const last = hooks.stdout.trim().split("\n").at(-1) ?? "";
  let dynamic: string[];
  try {
    dynamic = hooks.code === 0 ? (JSON.parse(last) as string[]) : [];
  } catch {
    dynamic = [];
  }
  if (hooks.code !== 0) throw fail(`the build backend ${system.backend} failed`, hooks.stderr);
  return [...new Set([...system.requires, ...dynamic])];
}
