/**
 * A small text document (an index, a checksum list) through dhtl's HTTP stack — proxies,
 * CAs, credentials as configured — or from disk for a file:// or plain-path mirror.
 */
import type { NetSettings } from "./types.ts";

export async function fetchText(url: string, env: Record<string, string | undefined>, net?: NetSettings): Promise<string> {
  const { localSourcePath } = await import("./download.ts");
  const local = localSourcePath(url);
  if (local) return Bun.file(local).text();
  const { httpFetch, httpStatusError } = await import("./http.ts");
  const r = await httpFetch(url, {}, { env, net });
  if (!r.ok) throw httpStatusError(url, r);
  return r.text();
}
