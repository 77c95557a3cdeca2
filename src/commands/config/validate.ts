import { defineDhtCommand } from "../define.ts";

export default defineDhtCommand({
  meta: { name: "validate", description: "Check .dhtconfig: every invalid field with its line, unknown keys with a suggestion" },
  examples: ["dhtl config validate", "dhtl config validate path/to/.dhtconfig", "dhtl config validate --fail-on-warnings"],
  args: {
    file: { type: "positional", required: false, description: "The file to check (default: the project's .dhtconfig)", valueHint: "FILE" },
    "fail-on-warnings": { type: "boolean", description: "Exit 2 on warnings (unknown keys) too" },
  },
  async run({ args, ctx }) {
    const { relative, resolve } = await import("node:path");
    const { usageError } = await import("../../errors.ts");
    const { loadConfigFile, formatConfigProblem, CONFIG_FILE_NAME } = await import("../../config/load.ts");
    const { findProjectRoot } = await import("../../config/project-root.ts");
    const { resolveConfig } = await import("../../config/resolve.ts");
    const { printJson, printText } = await import("../../ui/output.ts");

    let file: string;
    const explicit = typeof args.file === "string" && args.file !== "";
    if (explicit) file = resolve(ctx.cwd, args.file as string);
    else {
      const found = await findProjectRoot(ctx.cwd);
      if (!found.configFile) {
        throw usageError(`no ${CONFIG_FILE_NAME} found in ${ctx.cwd} or the directories above it`, {
          subject: ctx.cwd,
          hint: "`dhtl init` writes one from what the project already declares",
        });
      }
      file = found.configFile;
    }
    const shown = relative(ctx.cwd, file) || file;
    const loaded = await loadConfigFile(file, shown);
    const { DEFAULT_ENVIRONMENT } = await import("../../config/resolve.ts");
    const environments = Object.keys(loaded.config.environments ?? {}).filter((k) => k !== DEFAULT_ENVIRONMENT);
    // Resolving also checks the DHT_* variables, and each environment entry in place.
    if (!explicit) {
      const { checkVenvSetting } = await import("../../env/removal-guard.ts");
      // The venv setting is checked against the disk too: one naming the project, a parent
      // or a directory that is no venv is invalid, as setup would refuse it.
      // platform_deps names and Node.js requests are checked as setup reads them (exit 2 naming the entry).
      const { checkToolchainSettings } = await import("../../system/validate.ts");
      const top = await resolveConfig({ cwd: ctx.cwd, env: ctx.env });
      checkVenvSetting(top, ctx.env);
      checkToolchainSettings(top);
      for (const dir of environments) {
        const resolved = await resolveConfig({ cwd: ctx.cwd, env: ctx.env, envDir: dir });
        checkVenvSetting(resolved, ctx.env);
        checkToolchainSettings(resolved);
      }
    }
    const warnings = loaded.warnings.map((w) => formatConfigProblem(shown, w));
    if (warnings.length) {
      const log = await (await import("../../ui/logger.ts")).getLogger(ctx);
      for (const warning of warnings) log.warn(warning);
    }
    const failed = Boolean(args["fail-on-warnings"]) && warnings.length > 0;
    if (ctx.json) printJson({ ok: !failed, file, environments, warnings });
    else if (failed) printText(`${shown}: ${warnings.length} warning(s), treated as errors (--fail-on-warnings)`);
    else {
      const envText = environments.length ? `, ${environments.length} environment(s): ${environments.join(", ")}` : "";
      printText(`${shown} is valid${envText}${warnings.length ? ` (${warnings.length} warning(s))` : ""}`);
    }
    return failed ? 2 : 0;
  },
});
