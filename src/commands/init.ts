import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "init", description: "Write a commented .dhtconfig from what the project already declares" },
  examples: ["dhtl init", "dhtl init --dry-run", "dhtl init --python 3.12 --force"],
  args: {
    force: { type: "boolean", description: "Replace an existing .dhtconfig" },
    "dry-run": { type: "boolean", description: "Print the file instead of writing it" },
    python: { type: "string", description: "Python request to write instead of the detected one", valueHint: "VERSION" },
  },
  async run({ args, ctx }) {
    const { dirname, join } = await import("node:path");
    const { ExitCode, failure, usageError } = await import("../errors.ts");
    const { CONFIG_FILE_NAME, loadConfigSource } = await import("../config/load.ts");
    const { renderInitConfig } = await import("../config/init-template.ts");
    const { isValidPythonRequest, PYTHON_REQUEST_EXPECTED } = await import("../config/python-request-syntax.ts");
    const { writeFileAtomic, TargetExistsError } = await import("../config/write-atomic.ts");
    const { detectPythonRequest } = await import("../project/python-version.ts");
    const { detectDependencySources } = await import("../project/sources.ts");
    const { printJson, printText } = await import("../ui/output.ts");

    const target = join(ctx.cwd, CONFIG_FILE_NAME);
    const exists = () => Bun.file(target).exists();
    const refuse = () =>
      usageError(`${target} already exists; not overwriting it`, {
        subject: target,
        hint: "run `dhtl init --force` to replace it, or `dhtl init --dry-run` to see what would be written",
      });
    if (!args["dry-run"] && !args.force && (await exists())) throw refuse();

    let python = await detectPythonRequest(ctx.cwd);
    if (typeof args.python === "string") {
      if (!isValidPythonRequest(args.python)) {
        throw usageError(`--python: ${PYTHON_REQUEST_EXPECTED}, got ${JSON.stringify(args.python)}`, { subject: "--python" });
      }
      python = { request: args.python, origin: "--python" };
    }
    const sources = await detectDependencySources(ctx.cwd);
    const content = renderInitConfig({ python, sources });
    // The file must validate: a template bug must never leave the user a broken config.
    try {
      loadConfigSource(content, CONFIG_FILE_NAME);
    } catch (error) {
      throw failure("the generated .dhtconfig does not validate (a bug in dhtl)", { cause: error, hint: "please report it" });
    }

    if (args["dry-run"]) {
      if (ctx.json) printJson({ path: target, written: false, python, sources, content });
      else printText(content);
      return ExitCode.ok;
    }
    try {
      await writeFileAtomic(target, content, { overwrite: Boolean(args.force) });
    } catch (error) {
      if (error instanceof TargetExistsError) throw refuse();
      throw failure(`cannot write ${target}: ${(error as Error).message}`, { subject: target, cause: error });
    }
    const log = await (await import("../ui/logger.ts")).getLogger(ctx);
    const { findProjectRoot } = await import("../config/project-root.ts");
    // A .dhtconfig above this directory (inside the same repository) is now shadowed.
    const { existsSync } = await import("node:fs");
    const parent = existsSync(join(ctx.cwd, ".git")) ? {} : await findProjectRoot(dirname(ctx.cwd));
    if ("configFile" in parent && parent.configFile) {
      log.warn(
        `${parent.configFile} also configures this directory; the new ${CONFIG_FILE_NAME} takes precedence here. ` +
          `In a monorepo an environments entry in that file is usually the better place.`,
      );
    }
    if (ctx.json) printJson({ path: target, written: true, python, sources });
    else {
      log.success(`wrote ${CONFIG_FILE_NAME}${python.request ? ` (python ${python.request} from ${python.origin})` : ""}`);
      printText(target);
    }
    return ExitCode.ok;
  },
});
