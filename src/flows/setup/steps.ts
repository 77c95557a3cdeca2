/**
 * The setup steps, in order: resolve-python, obtain-uv, create-venv, the environment parts
 * other modules provide (system packages, Node.js), install-dependencies, verify, finalize. Each step says what it depends on (its hash) and how to tell that its
 * recorded result is still on disk, so the executor can skip, resume or re-run it.
 *
 * The plan (plan.ts) is computed inside the state once Python and uv are known; the venv,
 * install and verify steps run exactly the commands that plan lists.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DhtError, ExitCode } from "../../errors.ts";
import type { ExecStep, StepOutput } from "../executor/execute.ts";
import { buildPlan, optionalPlan, plannedCommands, withoutEditable, withoutRouteNeeds, type OptionalPart, type PlannedCommand, type PlanInput, type PythonChoice, type SetupPlan, type UvChoice } from "./plan.ts";
import { runTool, outputTail } from "../../process.ts";
import { runImportChecks } from "./import-check.ts";
import { missingRequirements } from "./missing-requirements.ts";
import { routeNeedsConflictingWithProject } from "./route-conflicts.ts";

/** The normalised project name of a requirement string ("psycopg2>=2.9" → "psycopg2"). */
const swapName = (requirement: string) => (/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(requirement.trim())?.[0] ?? requirement).toLowerCase().replace(/[-_.]+/g, "-");
import { inspectVenv, removeMarker, removeVenvDir, settleRemovals, sameVersion, sweepRemovals, venvPython, venvSitePackages, writeMarker, resolveLink, type VenvOs } from "../../env/venv.ts";
import { baseInterpreterFiles, takeBaseline } from "../../repair/baseline.ts";
import { linkVenv, readVenvPointer, writeVenvPointer } from "../../env/local-venv.ts";
import { removeIsolation, writeIsolation } from "../../env/isolation.ts";
import { sha256Hex } from "./inputs-hash.ts";
import { assertVenvPathUsable, recordVenvOwnership, type RemovalAnchors } from "../../env/removal-guard.ts";

/**
 * A part of the environment another module provides once the venv exists (system packages
 * from src/system, Node.js from src/languages/node): a step of its own, after create-venv.
 */
export interface EnvironmentPart {
  id: string;
  title: string;
  /** Hash of the part's inputs (configuration, flags, mirrors). */
  hash: string;
  /** Provide it; tools go into binDir (the venv's bin, first on PATH for dhtl run/test and activate). */
  run(binDir: string): Promise<Record<string, unknown>>;
  /** Is what an earlier run laid still there? */
  stillValid(binDir: string): boolean;
}

/** What the steps need from the outside world: injected so the machinery is testable. */
export interface SetupServices {
  /** Parts of the environment provided after the venv exists (may be empty). */
  parts: EnvironmentPart[];
  resolvePython(): Promise<PythonChoice & { executable: string; version: string }>;
  /** uv, or a reason it cannot be had (then pip is used). */
  obtainUv(): Promise<UvChoice>;
  /** Plan input without python/uv (filled in from the steps' outputs). */
  planInput(python: PythonChoice, uv: UvChoice): PlanInput;
  /** Environment for installer processes (registries' variables applied, secrets included). */
  childEnv(kind: "uv" | "pip"): Record<string, string>;
  /**
   * After a failed install: a build toolchain it lacked (CMake, Rust) provided in user space,
   * as a directory for the build's PATH, with what to say; undefined when there is none.
   */
  buildToolchain?(log: string): Promise<{ binDir: string; why: string } | undefined>;
  /** Turn a failed install into an error naming the package and system packages that help. */
  installFailure(log: string, argv: string[], pythonVersion?: string): Promise<DhtError>;
  log(message: string): void;
  warn(message: string): void;
  /** --verbose: the exact commands (redacted) as they run. */
  debug(message: string): void;
  verbose: boolean;
  os: VenvOs;
  /** Hash of every input file and setting (the checkpoint's inputsHash). */
  inputsHash: string;
  /** Per-step slices of the inputs, so that e.g. a changed requirement re-runs only the install. */
  hashes: { python: string; uv: string; deps: string };
  /** Config `env:` for isolation scripts. */
  extraEnv: Record<string, string>;
  /** Wait for background work (an offline bundle's uv cache warm-up) to end. */
  settleBackground(): Promise<void>;
  /** After a successful install: lay an offline bundle's precompiled modules into the venv. */
  afterInstall(venvPath: string, pythonVersion: string): Promise<void>;
  /** What the venv step may never delete, and where it records the venv it is about to make. */
  venvGuard: { anchors: RemovalAnchors; stateDir: string; origin?: string };
  /** Python < 3.7: unpack the pinned virtualenv (src/env/virtualenv.ts) before the venv is made. */
  ensureVirtualenv(): Promise<void>;
  /**
   * Build the venv here instead of at the plan's path (`dhtl fix-env --deep` builds beside
   * the old venv, then swaps): relocatable, no link or pointer; hashes and records still
   * name the plan's path, so the checkpoint is the one a setup in place would write.
   */
  buildAt?: string;
}

export interface SetupState {
  python?: PythonChoice & { executable: string; version: string };
  uv?: UvChoice;
  plan?: SetupPlan;
  input?: PlanInput;
  verified?: { checked: number; imports: Array<[string, string]> };
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/** An install failure while the test route's packages were part of it names the route and what it asked for. */
function routeContext(error: DhtError, plan: SetupPlan): DhtError {
  const route = plan.testRoute;
  if (!route?.additions.length) return error;
  const asked = route.additions.slice(0, 6).map((a) => `${a.item} (${a.origin})`).join(", ");
  return new DhtError(error.code, error.message, {
    ...(error.subject ? { subject: error.subject } : {}),
    hint: `${error.hint ? `${error.hint}\n` : ""}this install included what the test route ${route.name} needs: ${asked}${route.additions.length > 6 ? ", …" : ""}`,
    ...(error.details ? { details: error.details } : {}),
    cause: error,
  });
}

function currentPlan(state: SetupState, services: SetupServices): { plan: SetupPlan; input: PlanInput } {
  if (!state.plan || !state.input) {
    const input = services.planInput(state.python!, state.uv!);
    state.input = input;
    state.plan = buildPlan(input);
    for (const w of state.plan.warnings) services.warn(w);
  }
  return { plan: state.plan, input: state.input };
}

/** The real (unredacted) argv of a planned command. */
function realCommands(state: SetupState, services: SetupServices, step: "create-venv" | "install-dependencies" | "verify", at?: string) {
  const { plan, input } = currentPlan(state, services);
  const cmds = plannedCommands(input, { extras: plan.extras, groups: plan.groups, mode: plan.mode, lock: plan.lockFile }, {
    uv: state.uv?.path ?? "uv",
    basepython: state.python!.executable,
    venvPath: at ?? plan.venv.venvPath,
    os: services.os,
  });
  return cmds.filter((c) => c.step === step);
}

const realCommand = (state: SetupState, services: SetupServices, step: "create-venv" | "verify", at?: string) => realCommands(state, services, step, at)[0];

/** The optional parts' real (unredacted) fallback commands. */
function optionalCommands(state: SetupState, services: SetupServices) {
  const { plan, input } = currentPlan(state, services);
  return optionalPlan(input, { mode: plan.mode, lock: plan.lockFile }, { uv: state.uv?.path ?? "uv", basepython: state.python!.executable, venvPath: buildPath(state, services), os: services.os })?.plan;
}

const partLabel = (p: OptionalPart) => (p.kind === "package" ? `${p.name} (${p.in})` : p.kind === "file" ? `the requirement file ${p.name}` : `the ${p.kind} ${p.name}`);

/** Where the steps build: the plan's venv, or `services.buildAt`. */
const buildPath = (state: SetupState, services: SetupServices) => services.buildAt ?? currentPlan(state, services).plan.venv.venvPath;

export function commandEnv(services: SetupServices, plan: SetupPlan, extra: Record<string, string>): Record<string, string> {
  const base = services.childEnv(plan.installer);
  // The env values in a planned command are display strings for registries; real ones come from childEnv.
  const own = Object.fromEntries(Object.entries(extra).filter(([k]) => !k.startsWith("UV_INDEX") && !k.startsWith("PIP_") && k !== "UV_DEFAULT_INDEX" && k !== "UV_FIND_LINKS" && k !== "UV_INSECURE_HOST" && k !== "UV_NO_INDEX"));
  const env = { ...base, ...own };
  delete env.VIRTUAL_ENV; // an activated venv of another project must not capture the install
  return env;
}

export function setupSteps(services: SetupServices): ExecStep<SetupState>[] {
  return [
    {
      id: "resolve-python",
      title: "Choosing the Python interpreter",
      hash: () => services.hashes.python,
      async run(state) {
        state.python = await services.resolvePython();
        const { executable, version, source, chain, request, venvHost } = state.python;
        services.log(`Python ${version} (${source}): ${executable}`);
        if (venvHost) services.log(`its venv is made by virtualenv, run by Python ${venvHost.version} (${venvHost.executable})`);
        return { executable, version, source: source ?? "", chain, request: request ?? null, ...(venvHost ? { venvHost } : {}) };
      },
      stillValid: (out) => {
        const host = out?.venvHost as PythonChoice["venvHost"] | undefined;
        return Boolean(str(out?.executable) && existsSync(str(out!.executable)!)) && (!host || existsSync(host.executable));
      },
      restore(out, state) {
        const host = out!.venvHost as PythonChoice["venvHost"] | undefined;
        state.python = {
          executable: str(out!.executable)!,
          version: str(out!.version)!,
          source: str(out!.source),
          request: str(out!.request),
          chain: (out!.chain as PythonChoice["chain"]) ?? [],
          ...(host && typeof host.executable === "string" ? { venvHost: host } : {}),
        };
      },
    },
    {
      id: "obtain-uv",
      title: "Getting uv",
      hash: () => services.hashes.uv,
      async run(state) {
        state.uv = await services.obtainUv();
        services.log(state.uv.available ? `uv ${state.uv.version ?? ""}: ${state.uv.how}` : `uv unavailable (${state.uv.how}): using python -m venv and pip`);
        return { ...state.uv };
      },
      // A run that fell back to pip tries uv again next time.
      stillValid: (out) => out?.available === true && Boolean(str(out.path) && existsSync(str(out.path)!)),
      restore(out, state) {
        state.uv = { available: out!.available === true, path: str(out!.path), version: str(out!.version), how: str(out!.how) ?? "" };
      },
    },
    {
      id: "create-venv",
      title: "Creating the virtual environment",
      dependsOn: ["resolve-python", "obtain-uv"],
      hash: (state) => {
        const { plan } = currentPlan(state, services);
        return JSON.stringify([state.python?.executable, state.python?.version, plan.venv.venvPath, plan.venv.linkPath, plan.installer]);
      },
      async run(state) {
        const { plan } = currentPlan(state, services);
        const { venvPath, linkPath } = plan.venv;
        const at = services.buildAt ?? venvPath;
        // Recreate from scratch: a venv left by a killed run may be half-written, and one
        // made by hand or by another tool has contents nothing vouches for.
        if (!services.buildAt && inspectVenv(venvPath, services.os).exists) services.log(`replacing ${linkPath}: it is not one this setup completed (or its Python changed)`);
        // Checked again here, just before deleting: the configuration was checked when it
        // was read, but the disk may have changed since (and this is the last line of defence).
        const guard = (path: string) => assertVenvPathUsable(path, services.venvGuard.anchors, services.venvGuard.stateDir, services.venvGuard.origin);
        if (services.buildAt) sweepRemovals(dirname(at), at.split(/[\\/]/).pop()!);
        else {
          sweepRemovals(dirname(linkPath), linkPath.split(/[\\/]/).pop()!);
          if (linkPath !== venvPath) {
            if (existsSync(linkPath) && resolveLink(linkPath) === linkPath) removeVenvDir(linkPath, guard);
            sweepRemovals(dirname(venvPath), venvPath.split(/[\\/]/).pop()!);
          }
        }
        removeVenvDir(at, guard);
        mkdirSync(dirname(at), { recursive: true });
        mkdirSync(services.venvGuard.stateDir, { recursive: true });
        // Recorded before the creator runs: one killed halfway leaves a tree without
        // pyvenv.cfg, which the next run may replace only because this record names it.
        recordVenvOwnership(services.venvGuard.stateDir, at);
        if (plan.venvCreator === "virtualenv") await services.ensureVirtualenv();
        const cmd = realCommand(state, services, "create-venv", at)!;
        // Built beside the old venv and renamed into place later: its scripts must not name
        // the path they were built at (uv writes relative launchers for a relocatable venv).
        const argv = services.buildAt && plan.mode !== "pip" ? [cmd.argv[0]!, cmd.argv[1]!, "--relocatable", ...cmd.argv.slice(2)] : cmd.argv;
        services.debug(`$ ${plan.commands.find((c) => c.step === "create-venv")!.argv.join(" ")}`);
        let result = await runTool(argv, { env: commandEnv(services, plan, cmd.env), cwd: plan.envRoot, stream: services.verbose });
        if (result.code !== 0 && argv.includes("--seed")) {
          // pip comes from the index: an index without it must not stop the venv.
          services.log(`the venv could not be seeded with pip (${outputTail(result).split("\n").pop()?.trim() ?? "uv failed"}): created without pip; uv installs the packages`);
          rmSync(at, { recursive: true, force: true });
          result = await runTool(argv.filter((a) => a !== "--seed"), { env: commandEnv(services, plan, cmd.env), cwd: plan.envRoot, stream: services.verbose });
        }
        if (result.code !== 0) {
          rmSync(at, { recursive: true, force: true });
          throw new DhtError(ExitCode.failed, `creating the virtual environment failed (exit ${result.code})`, {
            subject: at,
            hint: `the command was: ${argv.join(" ")}\n${outputTail(result)}`,
          });
        }
        // A venv built elsewhere takes the old one's place (and its link) when it is swapped in.
        if (!services.buildAt && linkPath !== venvPath) {
          writeVenvPointer(plan.envRoot, venvPath);
          const link = linkVenv(linkPath, venvPath, services.os);
          if (!link.linked) services.log(`this file system does not let ${linkPath} link to local disk (${link.why}): the venv is at ${venvPath}; dhtl run finds it`);
        } else if (!services.buildAt) writeVenvPointer(plan.envRoot, undefined);
        return { venvPath, linkPath, createdAt: new Date().toISOString(), version: state.python!.version };
      },
      stillValid(out, state) {
        const { plan } = currentPlan(state, services);
        const st = inspectVenv(plan.venv.venvPath, services.os);
        if (!st.usable || !sameVersion(st.pythonVersion, state.python?.version)) return false;
        if (plan.venv.linkPath !== plan.venv.venvPath) {
          if (readVenvPointer(plan.envRoot) !== plan.venv.venvPath) return false;
          // A link that can be read must point at the venv (sshfs: no link at all is fine).
          const target = resolveLink(plan.venv.linkPath);
          if (target !== plan.venv.linkPath && target !== plan.venv.venvPath) return false;
        }
        return true;
      },
    },
    ...services.parts.map(
      (part): ExecStep<SetupState> => ({
        id: part.id,
        title: part.title,
        dependsOn: ["create-venv"],
        hash: () => part.hash,
        run: (state) => part.run(currentPlan(state, services).plan.venv.bin),
        stillValid: (_out, state) => part.stillValid(currentPlan(state, services).plan.venv.bin),
      }),
    ),
    {
      id: "install-dependencies",
      title: "Installing dependencies",
      dependsOn: ["create-venv"],
      hash: (state) => JSON.stringify([services.hashes.deps, realCommands(state, services, "install-dependencies").map((c) => c.argv)]),
      async run(state) {
        const { plan } = currentPlan(state, services);
        const cmds = realCommands(state, services, "install-dependencies", services.buildAt);
        const shownInstalls = () => currentPlan(state, services).plan.commands.filter((c) => c.step === "install-dependencies");
        if (!cmds.length) {
          services.log("nothing to install: the project declares no dependencies");
          return { installed: false };
        }
        // The warm-up fills the cache this install reads: let it finish rather than race it.
        await services.settleBackground();
        // A lock's exact pins (poetry.lock, pdm.lock, Pipfile.lock), which the commands read.
        for (const f of plan.files) {
          mkdirSync(dirname(f.path), { recursive: true });
          writeFileSync(`${f.path}.tmp`, f.text);
          renameSync(`${f.path}.tmp`, f.path);
          services.debug(`wrote ${f.path}: ${f.why}`);
        }
        // Toolchains provided for a build (CMake, Rust) stay on PATH for the commands after it.
        const toolPath: string[] = [];
        const withTools = (env: Record<string, string>) => (toolPath.length ? { ...env, PATH: [...toolPath, env.PATH ?? ""].join(":") } : env);
        // The failed command's output (the resolver's explanation, for a need that conflicts with the project).
        let lastOutput = "";
        /** Run commands in order; the first failure is returned (as the error it means), not thrown. */
        const runAll = async (list: PlannedCommand[], shown: PlannedCommand[], forRoute = true): Promise<DhtError | undefined> => {
          for (const [i, cmd] of list.entries()) {
            services.debug(`$ ${(shown[i]?.argv ?? []).join(" ")}`);
            let argv = cmd.argv;
            const run = () => runTool(argv, { env: withTools(commandEnv(services, plan, cmd.env)), cwd: cmd.cwd ?? plan.envRoot, stream: services.verbose });
            let result = await run();
            const retry = result.code !== 0 ? withoutEditable(argv, `${result.stdout}\n${result.stderr}`) : undefined;
            if (retry) {
              services.log(`the project's build backend cannot install it in editable mode (no PEP 660 support): installing it as a regular package instead`);
              argv = retry;
              result = await run();
            }
            if (result.code !== 0 && services.buildToolchain) {
              const tools = await services.buildToolchain(`${result.stdout}\n${result.stderr}`);
              if (tools && !toolPath.includes(tools.binDir)) {
                services.log(tools.why);
                toolPath.unshift(tools.binDir);
                result = await run();
              }
            }
            if (result.code !== 0) {
              lastOutput = `${result.stdout}\n${result.stderr}`;
              const error = await services.installFailure(lastOutput, shown[i]?.argv ?? cmd.argv, state.python?.version);
              return forRoute ? routeContext(error, currentPlan(state, services).plan) : error;
            }
          }
          return undefined;
        };
        const leftOut: Array<{ part: string; reason: string }> = [];
        /**
         * Run the commands `next` gives; when the resolver refuses a test-route need because it
         * wants another release of the project itself (tox installs it anyway, then the project
         * over it), leave that need out with a warning and run them again without it.
         */
        const withoutConflicts = async (next: () => { real: PlannedCommand[]; shown: PlannedCommand[] }): Promise<DhtError | undefined> => {
          for (;;) {
            const { real, shown } = next();
            const failure = await runAll(real, shown);
            if (!failure) return undefined;
            const input = state.input!;
            const conflicts = input.project.isPackage ? routeNeedsConflictingWithProject(lastOutput, input.project.name, input.testRoute?.install.requirements ?? []) : [];
            if (!conflicts.length) return failure;
            for (const c of conflicts) {
              const reason = `it needs another version of this very project (${c.why}; the project here is ${input.project.name}, installed from ${input.project.root})`;
              leftOut.push({ part: `${c.need} (${c.origin})`, reason });
              services.warn(`left out ${c.need} (${c.origin}), a need of the test route ${input.testRoute!.name}: ${reason}; installing without it`);
            }
            state.input = withoutRouteNeeds(input, conflicts.map((c) => c.need));
            state.plan = buildPlan(state.input);
          }
        };
        const failure = await withoutConflicts(() => ({ real: realCommands(state, services, "install-dependencies", services.buildAt), shown: shownInstalls() }));
        const optional = currentPlan(state, services).plan.optional;
        if (failure && !optional) throw failure;
        if (failure && optional) {
          // Something failed with the optional parts in (docs/lint/typing, requirement files the
          // test route does not use): install what the tests need without them (that must
          // work), then each part on its own, where it may fail.
          services.log(`the install failed with the optional parts in (${optional.parts.map(partLabel).join(", ")}): installing without them, then each on its own`);
          const core = await withoutConflicts(() => ({ real: optionalCommands(state, services)!.required, shown: currentPlan(state, services).plan.optional!.required }));
          if (core) throw core;
          const real = optionalCommands(state, services)!;
          const shown = currentPlan(state, services).plan.optional!;
          for (const [i, each] of real.each.entries()) {
            const label = partLabel(each.part);
            const partFailure = await runAll(each.commands, shown.each[i]!.commands, false);
            if (!partFailure) continue;
            // The installer's own sentence about why (uv: "Because the current Python version
            // (3.7.16) does not satisfy Python>=3.8.1 …"; pip: "requires a different Python").
            const lines = (partFailure.hint ?? "").split("\n").map((l) => l.trim().replace(/^(cause|error|ERROR):\s*/, "")).filter((l) => l && !/^installer output/i.test(l));
            const found = lines.find((l) => /does not satisfy|requires-python|Requires-Python|requires a different Python|No matching distribution|not available for|unsatisfiable|Failed to build/i.test(l)) ?? lines.at(-1) ?? partFailure.message;
            // A file: the failing package by name, as the error says it ("installing blist 1.3.6 failed: …").
            const reason = each.part.kind === "file" && partFailure.details?.package ? partFailure.message : found;
            leftOut.push({ part: label, reason });
            services.warn(`left out ${label} (${each.part.why}): it cannot be installed on Python ${state.python!.version}: ${reason}`);
          }
        }
        await services.afterInstall(buildPath(state, services), state.python!.version);
        return { installed: true, ...(leftOut.length ? { leftOut } : {}) };
      },
      stillValid: (_out, state) => inspectVenv(currentPlan(state, services).plan.venv.venvPath, services.os).usable,
    },
    {
      id: "verify",
      title: "Verifying the environment",
      dependsOn: ["install-dependencies", "create-venv"],
      hash: (state) => JSON.stringify(currentPlan(state, services).plan.importChecks),
      async run(state) {
        const { plan } = currentPlan(state, services);
        const env = commandEnv(services, plan, {});
        const py = venvPython(buildPath(state, services), services.os);
        const check = realCommand(state, services, "verify", services.buildAt)!;
        // Both only read the venv: the dependency check and the import check (itself spread
        // over the cores) run side by side.
        let [checked, report] = await Promise.all([
          runTool(check.argv, { env, cwd: plan.envRoot, stream: services.verbose }),
          runImportChecks(py, plan.importChecks, { env, cwd: plan.envRoot }),
        ]);
        let dependencyCheck = checked;
        // A requirement swapped for its binary stand-in (--prefer-binary: psycopg2 → psycopg2-binary)
        // is satisfied by the stand-in: never reinstalled from source here.
        const standIns = new Set((plan.swaps ?? []).map((s) => swapName(s.from)));
        const isStoodIn = (m: { requirement: string }) => standIns.has(swapName(m.requirement));
        const missing = checked.code !== 0 ? missingRequirements(`${checked.stdout}\n${checked.stderr}`).filter((m) => !isStoodIn(m)) : [];
        if (missing.length) {
          services.log(`installing what installed packages require but the installer left out: ${missing.map((m) => `${m.requirement} (for ${m.by})`).join(", ")}`);
          const requirements = [...new Set(missing.map((m) => m.requirement))];
          const repair =
            plan.mode === "pip"
              ? [py, "-m", "pip", "install", "--disable-pip-version-check", ...requirements]
              : [state.uv!.path!, "pip", "install", ...(plan.registries.noIndex ? ["--no-index"] : []), "--python", py, ...requirements];
          const installed = await runTool(repair, { env, cwd: plan.envRoot, stream: services.verbose });
          if (installed.code !== 0) throw await services.installFailure(`${installed.stdout}\n${installed.stderr}`, repair);
          // The imports ran beside a check that found something missing: run both again.
          [dependencyCheck, report] = await Promise.all([
            runTool(check.argv, { env, cwd: plan.envRoot, stream: services.verbose }),
            runImportChecks(py, plan.importChecks, { env, cwd: plan.envRoot }),
          ]);
        }
        const checkOutput = `${dependencyCheck.stdout}\n${dependencyCheck.stderr}`;
        const onlyStoodIn = dependencyCheck.code !== 0 && standIns.size > 0 && missingRequirements(checkOutput).length > 0 && missingRequirements(checkOutput).every(isStoodIn) && !/incompatible|has requirement|but .* is installed/i.test(checkOutput);
        if (onlyStoodIn) services.log(`the dependency check misses ${[...standIns].join(", ")}, which --prefer-binary replaced by binary stand-ins: accepted`);
        if (dependencyCheck.code !== 0 && !onlyStoodIn) {
          throw new DhtError(ExitCode.failed, "the installed packages have broken or missing dependencies", {
            subject: plan.venv.linkPath,
            hint: `${outputTail(dependencyCheck, 15)}\nfix the versions in your requirements, then run dhtl setup again`,
          });
        }
        if (report.broken) {
          throw new DhtError(ExitCode.failed, `the venv's interpreter does not run properly (exit ${report.broken.code})`, {
            subject: py,
            hint: `${report.broken.output.split("\n").slice(-10).join("\n")}\nrun dhtl setup --restart to recreate the venv`,
          });
        }
        // A docs/lint/typing package that installed but does not import on this Python: a warning.
        const normDist = (d: string) => d.toLowerCase().replace(/[-_.]+/g, "-");
        const optionalDists = new Set((plan.optional?.dists ?? []).map(normDist));
        // A dev-group package nothing imports (a docs builder's pinned Jinja2): a warning too.
        const softDists = new Set((plan.softImports ?? []).map(normDist));
        const tolerated = report.failed.filter(([d]) => optionalDists.has(normDist(d)) || softDists.has(normDist(d)));
        for (const [dist, mod, error] of tolerated) {
          const why = optionalDists.has(normDist(dist)) ? "only for docs/lint/typing" : "a dev-group package that neither the project nor its tests import";
          services.warn(`${mod} (from ${dist}, ${why}) does not import on Python ${state.python?.version}: ${error.split("\n")[0]}; the test environment does not need it`);
        }
        report.failed = report.failed.filter((f) => !tolerated.includes(f));
        if (report.failed.length) {
          throw new DhtError(ExitCode.failed, `installed packages fail to import: ${report.failed.map(([d, m]) => `${m} (from ${d})`).join(", ")}`, {
            subject: plan.venv.linkPath,
            hint: report.failed.map(([, m, e]) => `${m}: ${e}`).join("\n"),
          });
        }
        for (const [dist, mod, error] of report.warned) services.log(`note: ${mod} (from ${dist}) does not import: ${error.split("\n")[0]} — it likely needs an extra that was not selected`);
        state.verified = { checked: report.checked.length, imports: report.checked };
        return { imports: report.checked.length, missing: report.missing };
      },
    },
    {
      id: "finalize",
      title: "Finishing",
      dependsOn: ["verify"],
      hash: (state) => JSON.stringify([services.inputsHash, currentPlan(state, services).plan.isolate]),
      async run(state) {
        const { plan } = currentPlan(state, services);
        const at = buildPath(state, services);
        // A venv built elsewhere gets its isolation scripts (which name its path) once it is in place.
        if (!services.buildAt && plan.isolate) {
          const tools = state.uv?.available && state.uv.path ? [state.uv.path] : [];
          const written = writeIsolation({ venv: plan.venv.venvPath, os: services.os, extraEnv: services.extraEnv, tools });
          services.log(`isolation: ${written.scripts.length} activate.isolated scripts, tools in the venv: ${written.tools.map((t) => t.split(/[\\/]/).pop()).join(", ") || "none"}`);
        } else if (!services.buildAt) removeIsolation(plan.venv.venvPath, services.os);
        await settleRemovals();
        // Leftovers of removals a killed run did not finish.
        sweepRemovals(dirname(at), at.split(/[\\/]/).pop()!);
        writeMarker(at, services.inputsHash);
        // What the no-op check of later setups compares (src/repair/baseline.ts).
        const version = state.python!.version;
        const baseline = takeBaseline(at, venvSitePackages(at, version, services.os), venvPython(at, services.os), baseInterpreterFiles(state.python!.executable, version, services.os === "windows"));
        return { marker: sha256Hex(services.inputsHash).slice(0, 12), baseline };
      },
      stillValid: (_out, state) => inspectVenv(currentPlan(state, services).plan.venv.venvPath, services.os).markerHash === services.inputsHash,
    },
  ];
}

/** Before the first step that changes anything: the venv is no longer complete. */
export function unmarkVenv(venvPath: string): void {
  removeMarker(venvPath);
}

export type { StepOutput };
