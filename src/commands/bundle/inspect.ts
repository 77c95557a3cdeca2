import { defineDhtCommand } from "../define.ts";
import { ExitCode, usageError } from "../../errors.ts";

export default defineDhtCommand({
  meta: { name: "inspect", description: "Show what an offline bundle holds and verify every checksum and the signature" },
  examples: ["dhtl bundle inspect bundle.tar.gz", "dhtl bundle inspect unpacked-bundle/ -v", "dhtl bundle inspect bundle.tar.gz --verify-key bundle-key.pem.pub --json"],
  args: {
    bundle: { type: "positional", required: false, description: "The bundle: a .tar.gz file or an unpacked directory", valueHint: "FILE" },
    "verify-key": { type: "string", description: "Check the signature with this Ed25519 public key (PEM or JWK)", valueHint: "KEYFILE" },
    "require-signature": { type: "boolean", description: "Count an unsigned bundle as a failure" },
  },
  async run({ args, ctx }) {
    if (!args.bundle) throw usageError("which bundle? `dhtl bundle inspect FILE`", { hint: "pass the .tar.gz made by `dhtl prepare-offline`, or its unpacked directory" });
    const { resolve } = await import("node:path");
    const { inspectBundle, inspectJson, renderInspect } = await import("../../bundle/inspect.ts");
    const report = await inspectBundle(resolve(ctx.cwd, String(args.bundle)), {
      verifyKey: args["verify-key"] ? resolve(ctx.cwd, args["verify-key"]) : undefined,
      requireSignature: Boolean(args["require-signature"]),
    });
    const { printJson, printText } = await import("../../ui/output.ts");
    if (ctx.json) printJson(inspectJson(report));
    else printText(renderInspect(report, ctx.verbose));
    return report.ok ? ExitCode.ok : ExitCode.failed;
  },
});
