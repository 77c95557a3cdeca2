import { defineDhtCommand } from "../define.ts";
import { DhtError, ExitCode, usageError } from "../../errors.ts";

export default defineDhtCommand({
  meta: { name: "uninstall", description: "Remove managed CPython builds matching a request or an install key" },
  examples: ["dhtl python uninstall 3.11.7", "dhtl python uninstall 3.11", "dhtl python uninstall cpython-3.12.1-linux-x86_64-gnu"],
  args: {
    request: { type: "positional", required: true, description: "Version request (3.11 removes every 3.11.x) or install key" },
  },
  async run({ args, ctx }) {
    const { homeOf } = await import("../../python/command-support.ts");
    const { listManagedInstalls, uninstallManaged } = await import("../../python/installs.ts");
    const { parsePythonRequest, requestMatches, describeRequest } = await import("../../python/request.ts");
    const { printJson, printText } = await import("../../ui/output.ts");
    const request = parsePythonRequest(args.request, "dhtl python uninstall");
    if (request.kind === "any") throw usageError("say which Python to remove, e.g. 3.11.7", { subject: args.request });
    const home = homeOf(ctx);
    const matches = listManagedInstalls(home).filter((i) => requestMatches(request, i.version) && (!request.platform || i.platform === request.platform));
    if (!matches.length) {
      throw new DhtError(ExitCode.failed, `no managed Python matching ${describeRequest(request)} is installed`, {
        subject: args.request,
        hint: "see what is installed with `dhtl python list`",
      });
    }
    for (const install of matches) await uninstallManaged(home, install);
    if (ctx.json) printJson({ ok: true, removed: matches.map((m) => ({ key: m.key, dir: m.dir })) });
    else printText(matches.map((m) => `removed ${m.key}`).join("\n"));
  },
});
