import { defineDhtCommand } from "../define.ts";
import { DhtError, ExitCode, usageError } from "../../errors.ts";

export default defineDhtCommand({
  meta: { name: "install", description: "Install a managed CPython build (verified download, atomic, shared by every project)" },
  examples: [
    "dhtl python install 3.12",
    "dhtl python install 3.11.7 --strict",
    "dhtl python install '~=3.11.0'",
    "DHT_PYTHON_MIRROR=https://mirror.example.com/pbs dhtl python install 3.12",
    "dhtl python install 3.11.7 --container",
  ],
  args: {
    request: { type: "positional", required: false, description: "Version request: 3.12, 3.11.7, >=3.10,<3.13, cpython@3.12 (default: the project's)" },
    strict: { type: "boolean", description: "Exactly this version: no nearest-patch fallback" },
    container: { type: "boolean", description: "When nothing fits, generate and use a container wrapper (.dht/docker/bin/python)" },
    offline: { type: "boolean", description: "No network: use the download cache only" },
    reinstall: { type: "boolean", description: "Replace the install if it exists" },
  },
  async run({ args, ctx }) {
    const { homeOf, progressMode, chainLine, projectPythonSettings } = await import("../../python/command-support.ts");
    const { getLogger } = await import("../../ui/logger.ts");
    const { printJson, printText } = await import("../../ui/output.ts");
    const log = await getLogger(ctx);
    const settings = await projectPythonSettings(ctx, { strict: args.strict, offline: args.offline });
    const request = args.request ?? settings.request;
    if (!request) {
      throw usageError("which Python? give a version, e.g. dhtl python install 3.12", {
        subject: "dhtl python install",
        hint: "or pin one for the project first: dhtl python pin 3.12",
      });
    }
    const home = homeOf(ctx);
    const { resolvePython } = await import("../../python/resolve.ts");
    const result = await resolvePython(request, {
      ctx,
      home,
      strict: args.strict,
      allowPatchFallback: settings.allowPatchFallback,
      offline: Boolean(args.offline) || settings.offline,
      reinstall: args.reinstall,
      containerFallback: args.container,
      // `python install` writes nothing into the current directory unasked (it may be any
      // repository): container files only with --container; setup may suggest them.
      suggestContainer: false,
      net: settings.net,
      preference: "managed",
      projectRoot: settings.projectRoot,
      progress: progressMode(ctx),
      // Failures are shown (the user should know a mirror is dead); skipped steps only with -v.
      log: (e) => (e.outcome === "taken" ? log.info(chainLine(e)) : e.outcome === "failed" ? log.warn(chainLine(e)) : log.debug(chainLine(e))),
      note: (m) => log.info(m),
    });
    if (result.warning) log.warn(result.warning);
    if (result.source === "system") {
      // `python install` promises a managed build: an interpreter that merely exists is not
      // success (scripts would carry on without the install they asked for). Say why the
      // install failed and that the machine's interpreter would do for `dhtl setup`.
      const failed = result.chain.filter((c) => c.outcome === "failed").map((c) => c.why);
      throw new DhtError(ExitCode.failed, `CPython ${request} was not installed${failed.length ? `: ${failed.join("; ")}` : ""}`, {
        subject: `dhtl python install ${request}`,
        hint: `${result.executable} (CPython ${result.version}, already on this machine) fits the request and is what dhtl setup would use; to install a managed build, point DHT_PYTHON_MIRROR at a reachable mirror or use an offline bundle (docs/python.md)`,
        details: { chain: result.chain, fallback: result.executable },
      });
    }
    if (result.source === "container") log.warn(`nothing was installed on the machine: ${result.executable} runs CPython ${result.version} in a container`);
    if (ctx.json) printJson({ ok: true, request, ...result });
    else printText(result.executable);
  },
});
