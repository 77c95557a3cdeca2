import { defineDhtCommand } from "./define.ts";
import { usageError } from "../errors.ts";

export default defineDhtCommand({
  meta: { name: "prepare-offline", description: "Collect Python, uv and every wheel into one verifiable bundle for air-gapped machines" },
  examples: [
    "dhtl prepare-offline --output bundle.tar.gz",
    "dhtl prepare-offline -o bundle.tar.gz --platform linux-x86_64-gnu,windows-x86_64-none,darwin-aarch64-none",
    "dhtl prepare-offline -o bundle.tar.gz --all-environments --include-self",
    "dhtl prepare-offline -o bundle.tar.gz --sign ~/.config/dhtl/bundle-key.pem",
    "SOURCE_DATE_EPOCH=1767225600 dhtl prepare-offline -o bundle.tar.gz   # pin the creation time (default: the git commit time)",
  ],
  args: {
    output: { type: "string", alias: "o", description: "Bundle to write: a .tar.gz file, or a new directory", valueHint: "FILE" },
    platform: {
      type: "string",
      description: "Target platforms, comma-separated (default: this machine): linux-x86_64-gnu, linux-aarch64-gnu, linux-x86_64-musl, darwin-aarch64-none, darwin-x86_64-none, windows-x86_64-none, …",
      valueHint: "KEYS",
    },
    env: { type: "string", description: "Monorepo: bundle this environment directory only", valueHint: "DIR" },
    "all-environments": { type: "boolean", description: "Monorepo: bundle every environment (wheels per environment)" },
    "include-self": { type: "boolean", description: "Also bundle the dhtl executable for each platform (from dist/ or DHTL_DOWNLOAD_URL)" },
    sign: { type: "string", description: "Sign the manifest with this Ed25519 private key (PEM or JWK; see `dhtl bundle keygen`)", valueHint: "KEYFILE" },
    "prefer-binary": { type: "boolean", description: "Bundle binary-wheel alternatives for packages that need compiling (for `dhtl setup --prefer-binary`)" },
    glibc: { type: "string", description: "Oldest glibc of the Linux machines that will use it: picks manylinux wheels (default 2.28)", valueHint: "X.Y" },
  },
  async run({ args, ctx }) {
    if (!args.output) {
      throw usageError("--output is required", { subject: "--output", hint: "e.g. `dhtl prepare-offline --output bundle.tar.gz`" });
    }
    const { prepareOffline } = await import("../flows/prepare-offline/run.ts");
    const { renderPrepareSummary, prepareSummaryJson } = await import("../flows/prepare-offline/summary.ts");
    const result = await prepareOffline(ctx, {
      output: args.output,
      platforms: args.platform ? [args.platform] : [],
      envDir: args.env,
      allEnvironments: Boolean(args["all-environments"]),
      includeSelf: Boolean(args["include-self"]),
      signKeyFile: args.sign,
      glibc: args.glibc,
      preferBinary: Boolean(args["prefer-binary"]),
    });
    const { printJson, printText } = await import("../ui/output.ts");
    if (ctx.json) printJson(prepareSummaryJson(result));
    else printText(renderPrepareSummary(result));
  },
});
