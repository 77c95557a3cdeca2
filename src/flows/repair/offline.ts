/**
 * Every repair works when there is no network: before `fix-env`, `fix-env --deep` or
 * `regenerate` does anything, the configured indexes are probed (src/net/reachability.ts: a
 * few seconds at most, through the configured proxies and CAs). When none can be reached,
 * the repair says so in one line and works offline from uv's cache and DHT_HOME, as with
 * `--offline` (`workOffline`: the checkpoint it leaves is the connected setup's, so the next
 * `dhtl setup` with network has nothing to redo). What the cache lacks is then exit 3,
 * naming it (src/registries/install-failure.ts).
 */
import type { RunContext } from "../../context.ts";
import { isDhtError } from "../../errors.ts";
import { describeUnreachable, networkUrls, noNetwork, probeReachable } from "../../net/reachability.ts";
import { getLogger } from "../../ui/logger.ts";
import { gatherSetup } from "../setup/gather.ts";
import type { SetupOptions } from "../setup/execute.ts";

/** The options as given, or with `workOffline` when the configured indexes cannot be reached. */
export async function offlineWhenUnreachable<O extends SetupOptions>(ctx: RunContext, options: O, envDir?: string): Promise<O> {
  if (options.workOffline) return options;
  let g;
  try {
    g = await gatherSetup(ctx, options, envDir);
  } catch (error) {
    // A configuration that cannot be read is the repair's own first finding (diagnose reports it).
    if (isDhtError(error)) return options;
    throw error;
  }
  if (g.offline) return options;
  const r = g.registries;
  const urls = networkUrls([...(r.noIndex ? [] : [r.indexUrl, ...r.extraIndexUrls]), ...r.findLinks]);
  const probes = await probeReachable(urls, { env: ctx.env, net: g.net });
  if (!noNetwork(probes)) return options;
  const log = await getLogger(ctx);
  log.warn(`no network: ${describeUnreachable(probes)} cannot be reached; repairing offline from uv's cache and DHT_HOME`);
  return { ...options, workOffline: {} };
}
