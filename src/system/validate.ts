/**
 * `dhtl config validate`'s check of what src/system and src/languages/node read: every
 * logical platform_deps name must be known (built-in or platform_deps.mapping), and
 * languages.node must be a version request. Errors are exit 2 naming the entry.
 */
import { DhtError, ExitCode } from "../errors.ts";
import type { DhtConfig } from "../config/schema.ts";
import { parseNodeRequest } from "../languages/node/version.ts";
import { requestsFromConfig } from "./index.ts";

export function checkToolchainSettings(resolved: { config: DhtConfig; origins: Record<string, string> }): void {
  for (const os of ["linux", "darwin", "windows"] as const) requestsFromConfig(resolved.config.platform_deps, os);
  const node = resolved.config.languages?.node?.version;
  if (node !== undefined && !parseNodeRequest(node)) {
    const at = resolved.origins["languages.node.version"] ?? "languages.node";
    throw new DhtError(ExitCode.usage, `${at}: "${node}" is not a Node.js version request`, { subject: at, hint: 'write a version like "20.10.0", "20", ">=18 <21", "^20.10" or "lts/*"' });
  }
}
