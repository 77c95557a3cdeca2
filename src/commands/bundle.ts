/**
 * `dhtl bundle`: work with offline bundles made by `dhtl prepare-offline` (inspect and
 * verify one, make a signing key). Subcommands load on demand.
 */
import { defineDhtCommand } from "./define.ts";

export default defineDhtCommand({
  meta: { name: "bundle", description: "Inspect and verify offline bundles; make signing keys" },
  examples: ["dhtl bundle inspect bundle.tar.gz", "dhtl bundle inspect bundle.tar.gz --verify-key bundle-key.pem.pub --json", "dhtl bundle keygen --out bundle-key.pem"],
  subCommands: {
    inspect: () => import("./bundle/inspect.ts").then((m) => m.default),
    keygen: () => import("./bundle/keygen.ts").then((m) => m.default),
  },
});
