import { defineDhtCommand } from "../define.ts";

export default defineDhtCommand({
  meta: { name: "show", description: "Print the resolved configuration and where each value came from" },
  examples: ["dhtl config show", "dhtl config show --env services/api", "dhtl config show --json"],
  args: {
    env: { type: "string", description: "Show the configuration of this environments entry (a directory)", valueHint: "DIR" },
  },
  async run({ args, ctx }) {
    const { resolveConfig } = await import("../../config/resolve.ts");
    const { showDocument, showRows } = await import("../../config/show.ts");
    const { formatTable, printJson, printText } = await import("../../ui/output.ts");
    const result = await resolveConfig({ cwd: ctx.cwd, env: ctx.env, envDir: args.env });
    if (result.warnings.length) {
      const log = await (await import("../../ui/logger.ts")).getLogger(ctx);
      for (const warning of result.warnings) log.warn(warning);
    }
    if (ctx.json) {
      printJson(showDocument(result));
      return;
    }
    const header = [
      `project: ${result.projectRoot}`,
      `config:  ${result.configFile ?? "(no .dhtconfig; defaults and project files)"}`,
      ...(result.environment ? [`environment: ${result.environment.dir}`] : []),
      "",
    ];
    printText(`${header.join("\n")}${formatTable(showRows(result), ["SETTING", "VALUE", "FROM"])}`);
  },
});
