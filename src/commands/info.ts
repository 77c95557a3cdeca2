/**
 * `dhtl info`: what dhtl knows about this machine, and about the file system of a path.
 * Kept cheap: no logger, probes run concurrently, processes spawned only when a probe
 * needs one (sudo -n only when not root).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineDhtCommand } from "./define.ts";
import { buildInfo } from "../build-info.ts";
import { dhtHome } from "../paths.ts";
import { usageError } from "../errors.ts";
import { filesystemOf, getPlatformFacts, pythonPlatformKey } from "../platform/index.ts";
import { renderInfo, type InfoReport } from "../platform/render.ts";
import { printJson, printText } from "../ui/output.ts";

export default defineDhtCommand({
  meta: { name: "info", description: "Show what dhtl knows about this machine" },
  examples: ["dhtl info", "dhtl info --json", "dhtl info --path /mnt/projects/app"],
  args: {
    path: {
      type: "string",
      description: "Report the file system of PATH (default: the working directory)",
      valueHint: "PATH",
    },
  },
  async run({ args, ctx }) {
    if (args.path !== undefined && args.path.trim() === "") {
      throw usageError("--path needs a value", { subject: "--path", hint: "give the directory to check, e.g. dhtl info --path /mnt/share/project" });
    }
    const path = resolve(ctx.cwd, args.path ?? ".");
    const [facts, filesystem] = await Promise.all([getPlatformFacts({ env: ctx.env }), filesystemOf(path, { env: ctx.env })]);
    const report: InfoReport = {
      dhtl: { ...buildInfo },
      dhtHome: dhtHome(ctx.env),
      pythonPlatformKey: pythonPlatformKey(facts),
      ...facts,
      filesystem: { ...filesystem, exists: existsSync(path) },
    };
    if (ctx.json) printJson(report);
    else printText(renderInfo(report));
  },
});
