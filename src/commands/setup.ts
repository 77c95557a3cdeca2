import { defineDhtCommand } from "./define.ts";
import { buildInfo } from "../build-info.ts";
import { computeSettingsKey } from "../flows/setup/inputs-hash.ts";
import { checkUpToDate } from "../flows/setup/noop-check.ts";
import { activationText } from "../flows/setup/summary.ts";
import { configFlagArgs, configFlagsFromArgs } from "../config/overrides.ts";
import { depsArgs } from "./deps/args.ts";

export default defineDhtCommand({
  meta: { name: "setup", description: "Set up the project's Python, .venv and dependencies (idempotent, resumable)" },
  examples: [
    "dhtl setup",
    "dhtl setup --dry-run --json",
    "dhtl setup --python 3.11 --prefer-binary",
    "dhtl setup --env services/legacy-api",
    "dhtl setup --all-environments",
    "dhtl setup --isolate && . .venv/bin/activate.isolated",
    "dhtl setup --offline-bundle bundle.tar.gz",
    "dhtl setup --system -y            # platform_deps with apt/dnf/... even inside a container",
    "dhtl setup --no-system            # platform_deps in user space only",
  ],
  args: {
    // The flags that override configuration (--python, --venv, --strict, --strategy,
    // --prefer-binary, --index-url, --offline, --offline-bundle, --isolate): one definition,
    // shared with `dhtl config show`, so both read them the same way.
    ...configFlagArgs,
    "verify-key": { type: "string", description: "Require the offline bundle to be signed with this public key", valueHint: "FILE" },
    "dry-run": { type: "boolean", description: "Print the plan (Python and why, venv, uv, install commands) and change nothing" },
    restart: { type: "boolean", description: "Ignore checkpoints: redo every step" },
    wait: { type: "boolean", default: true, description: "Wait for another setup of this project", negativeDescription: "Fail at once (exit 1) if another setup holds the project lock" },
    env: { type: "string", description: "Monorepo: set up this environment directory", valueHint: "DIR" },
    "all-environments": { type: "boolean", description: "Monorepo: set up every environment, then print a summary" },
    "local-venv": { type: "boolean", description: "Put the venv on local disk with a .venv link (default: on for network file systems)", negativeDescription: "Keep the venv in the project even on a network file system" },
    dev: { type: "boolean", default: true, description: "Include dev/test dependency groups and extras", negativeDescription: "Leave dev/test groups and extras out" },
    system: depsArgs.system,
  },
  async run({ args, ctx }) {
    const flags = {
      config: configFlagsFromArgs(args),
      python: args.python,
      preferBinary: args["prefer-binary"],
      isolate: args.isolate,
      localVenv: args["local-venv"],
      offline: args.offline,
      offlineBundle: args["offline-bundle"],
      verifyKey: args["verify-key"],
      noDev: args.dev === false,
      ...(args.system !== undefined ? { system: args.system } : {}),
      ...(args.strict ? { strict: true } : {}),
    };
    // --no-system is `false`, which the settings key would not see: spelled out.
    const settingsKey = computeSettingsKey({ ...flags, system: args.system === undefined ? undefined : args.system ? "system" : "no-system" }, ctx.env, buildInfo.version);
    const dryRun = Boolean(args["dry-run"]);
    // The cheap no-op path: no config parsing, no Python, no uv, no logger.
    if (!dryRun && !args.restart && !args.env && !args["all-environments"]) {
      let verdict = checkUpToDate(ctx.cwd, settingsKey);
      if (!verdict.upToDate && verdict.interruptedSwap) {
        // A fix-env --deep killed between the two renames of its swap: put that right first.
        await (await import("../flows/repair/swap-recovery.ts")).recoverInterruptedSwap(ctx, verdict.envRoot!, { noWait: args.wait === false });
        verdict = checkUpToDate(ctx.cwd, settingsKey);
      }
      if (verdict.upToDate) {
        if (ctx.json) {
          process.stdout.write(`${JSON.stringify({ ok: true, upToDate: true, envRoot: verdict.envRoot, venv: verdict.checkpoint.venvLink ?? verdict.venvPath }, null, 2)}\n`);
        } else {
          if (!ctx.quiet) process.stderr.write("✔ Environment is up to date: nothing changed since the last setup\n");
          process.stdout.write(`${activationText(verdict.checkpoint.venvLink ?? verdict.venvPath, { upToDate: true, windows: process.platform === "win32" })}\n`);
        }
        return 0;
      }
      // Nothing changed, yet the venv broke since it was verified: repair it, keeping what was installed by hand.
      if (verdict.damaged) return (await import("../flows/repair/setup-repair.ts")).repairFromSetup(ctx, { ...flags, settingsKey, noWait: args.wait === false }, verdict.reason);
    }
    const { runSetup } = await import("../flows/setup/execute.ts");
    return runSetup(ctx, {
      ...flags,
      env: args.env,
      dryRun,
      restart: Boolean(args.restart),
      noWait: args.wait === false,
      allEnvironments: Boolean(args["all-environments"]),
      settingsKey,
    });
  },
});
