import { defineDhtCommand } from "../define.ts";

export default defineDhtCommand({
  meta: { name: "find", description: "Print the interpreter dhtl would use for a request (never downloads)" },
  examples: ["dhtl python find 3.11", "dhtl python find '>=3.10' --explain", "dhtl python find --json"],
  args: {
    request: { type: "positional", required: false, description: "Version request (default: the project's python.version / .python-version)" },
    explain: { type: "boolean", description: "Show every step of the resolution chain (on stderr) and why it was taken or skipped" },
    strict: { type: "boolean", description: "Exactly this version: no other patch" },
  },
  async run({ args, ctx }) {
    const { homeOf, chainLine, projectPythonSettings } = await import("../../python/command-support.ts");
    const { printJson, printText } = await import("../../ui/output.ts");
    // The project's config is read only when no request was given: `find 3.11` stays cheap.
    const project = args.request === undefined ? await projectPythonSettings(ctx, { strict: args.strict }) : undefined;
    const explain = (line: string) => process.stderr.write(`${line}\n`);
    if (args.explain && project?.request) explain(`request: ${project.request} (from ${project.requestOrigin ?? "config"})`);
    // In a project with no request given: exactly the choice setup makes (install-fit, the
    // project's preferences, the chain), without downloads.
    const inProject = args.request === undefined && project?.isProject;
    const result = inProject
      ? await (await import("../../flows/setup/execute.ts")).findProjectPython(ctx, { strict: Boolean(args.strict), ...(args.explain ? { log: (e) => explain(chainLine(e)) } : {}) })
      : await (await import("../../python/resolve.ts")).resolvePython(args.request ?? project?.request, {
          ctx,
          home: homeOf(ctx),
          strict: args.strict,
          allowPatchFallback: project?.allowPatchFallback,
          allowDownload: false,
          suggestContainer: false,
          log: args.explain ? (e) => explain(chainLine(e)) : undefined,
        });
    if (result.warning) process.stderr.write(`warning: ${result.warning}\n`);
    if (ctx.json) printJson({ ok: true, ...result });
    else printText(result.executable);
  },
});

