import { defineDhtCommand } from "../define.ts";

export default defineDhtCommand({
  meta: { name: "pin", description: "Pin the project's Python (.dhtconfig python.version, else .python-version)" },
  examples: ["dhtl python pin 3.12", "dhtl python pin 3.11.7", "dhtl python pin '>=3.10,<3.13'"],
  args: {
    request: { type: "positional", required: true, description: "Version request to pin" },
  },
  async run({ args, ctx }) {
    const { parsePythonRequest } = await import("../../python/request.ts");
    const { pinPython } = await import("../../python/pin.ts");
    const { printJson, printText } = await import("../../ui/output.ts");
    parsePythonRequest(args.request, "dhtl python pin"); // refuse what nothing could satisfy
    const value = args.request.trim();
    const r = await pinPython(ctx.cwd, value);
    if (ctx.json) printJson({ ok: true, file: r.file, kind: r.kind, value, previous: r.previous ?? null });
    else printText(`pinned Python ${value} in ${r.file}${r.previous ? ` (was ${r.previous})` : ""}`);
  },
});
