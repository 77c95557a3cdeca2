import { defineDhtCommand } from "../define.ts";
import { buildInfo } from "../../build-info.ts";
import { printJson, printText } from "../../ui/output.ts";

export default defineDhtCommand({
  meta: { name: "update", description: "Replace this dhtl with a verified release (latest, or --version)" },
  examples: [
    "dhtl self update",
    "dhtl self update --version 1.2.3",
    "DHTL_DOWNLOAD_URL=https://artifacts.example.com/dhtl dhtl self update",
    "dhtl self update --from ./dhtl-linux-x64.tar.gz   # SHA256SUMS and SHA256SUMS.sig beside it",
    "dhtl self update --from ./dhtl-linux-x64.tar.gz --sha256 3f2a…   # the digest from a trusted source",
  ],
  args: {
    version: { type: "string", description: "Install this release instead of the latest", valueHint: "VERSION" },
    from: { type: "string", description: "Install from a local release archive (no network); verified with the signed SHA256SUMS beside it, or --sha256", valueHint: "FILE" },
    force: { type: "boolean", description: "Reinstall even when that version is already installed" },
    sha256: { type: "string", description: "The archive's sha256 from a trusted source (instead of SHA256SUMS)", valueHint: "HEX" },
    "verify-key": { type: "string", description: "Release public key to verify SHA256SUMS.sig with (besides the built-in one)", valueHint: "FILE" },
  },
  async run({ args, ctx }) {
    const { selfUpdate } = await import("../../self/update.ts");
    const result = await selfUpdate({
      ctx,
      version: args.version,
      from: args.from,
      force: args.force === true,
      sha256: args.sha256,
      verifyKey: args["verify-key"],
      current: { version: buildInfo.version, target: buildInfo.target, exePath: process.execPath, standalone: Bun.isStandaloneExecutable },
    });
    if (ctx.json) printJson({ ok: true, ...result });
    else if (!result.updated) printText(`${result.reason}; nothing changed`);
    else printText(`updated dhtl ${result.from} → ${result.to} at ${result.path}`);
  },
});
