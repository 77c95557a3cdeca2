/**
 * Ask each configured index directly whether we may read it. pip says nothing about a 401
 * unless run verbosely (it reports "No matching distribution found"), so when an install
 * fails without a recognisable cause the setup flow probes the indexes with the same
 * credentials it gave the installer, and reports the one that refuses.
 */
import type { DhtError } from "../errors.ts";
import type { NetSettings } from "../net/types.ts";
import { indexAccessError } from "./failure.ts";
import type { RegistryCredentials, RegistrySettings } from "./types.ts";
import { sameIndex, splitUserInfo } from "./url.ts";

export interface ProbeOptions {
  env: Record<string, string | undefined>;
  net?: NetSettings;
  timeoutMs?: number;
}

/** The first index that refuses access or cannot be reached, as a DhtError; undefined when all answer. */
export async function checkIndexAccess(settings: RegistrySettings, creds: RegistryCredentials | undefined, opts: ProbeOptions): Promise<DhtError | undefined> {
  if (settings.noIndex) return undefined;
  const { httpFetch } = await import("../net/http.ts");
  for (const index of [settings.indexUrl, ...settings.extraIndexUrls]) {
    if (!/^https?:\/\//i.test(index)) continue;
    const url = `${splitUserInfo(index).url.replace(/\/+$/, "")}/`;
    const key = creds ? Object.keys(creds).find((k) => sameIndex(k, index)) : undefined;
    const cred = key ? creds![key] : undefined;
    const headers: Record<string, string> = { accept: "application/vnd.pypi.simple.v1+json, text/html;q=0.5" };
    if (cred) headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
    let status: number;
    try {
      const response = await httpFetch(url, { method: "GET", headers }, { env: opts.env, net: opts.net, timeoutMs: opts.timeoutMs ?? 15_000 });
      status = response.status;
      await response.body?.cancel().catch(() => {});
    } catch (e) {
      const message = String((e as Error).message);
      const kind = /certificate|tls|ssl/i.test(message) ? "tls" : "unreachable";
      return indexAccessError(kind, index, settings, creds, [message], { env: opts.env, ...(opts.net ? { net: opts.net } : {}) });
    }
    if (status === 401) return indexAccessError("unauthorized", index, settings, creds, [`GET ${url} → 401`]);
    if (status === 403) return indexAccessError("forbidden", index, settings, creds, [`GET ${url} → 403`]);
  }
  return undefined;
}
