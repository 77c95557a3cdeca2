/**
 * The network environment for child processes (uv, pip, git): the same proxy and CA decisions
 * dhtl itself uses, expressed as the variables those tools read. Environment variables the
 * user set win; `.dhtconfig` values fill the gaps, as everywhere in dhtl.
 *
 * CAs: uv and pip treat SSL_CERT_FILE / REQUESTS_CA_BUNDLE / PIP_CERT as a *replacement*
 * store, so pointing them at a corporate CA file alone would break every host that the
 * proxy does not re-sign. When extra CAs are configured, dhtl writes ONE combined bundle
 * (default roots + every extra CA from ca.ts) into DHT_HOME/cache/ca/<sha256>.pem — named by
 * content, written atomically, reused across runs — and points all three variables at it.
 */
import { mkdirSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { homePaths } from "../paths.ts";
import { extraCaCertificates } from "./ca.ts";
import type { Env, NetSettings } from "./types.ts";

/** Path of the combined CA bundle, written when missing; undefined when no extra CA is configured. */
export function combinedCaBundle(env: Env, net: NetSettings | undefined, home: string): string | undefined {
  const extra = extraCaCertificates(env, net);
  if (extra.length === 0) return undefined;
  const pem = `${[...rootCertificates, ...extra].map((c) => c.trim()).join("\n")}\n`;
  const hash = new Bun.CryptoHasher("sha256").update(pem).digest("hex");
  const dir = join(homePaths(home).cache, "ca");
  const file = join(dir, `${hash}.pem`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, pem, { mode: 0o644 });
    renameSync(tmp, file);
  }
  return file;
}

const has = (env: Env, name: string) => env[name] !== undefined || env[name.toLowerCase()] !== undefined;

/**
 * Variables to add to a child's environment (the caller merges them over `env`). Proxy
 * URLs may carry credentials: they go into the child's environment only, never into logs.
 */
export function subprocessNetEnv(env: Env, net: NetSettings | undefined, home: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (net?.proxy?.https && !has(env, "HTTPS_PROXY")) out.HTTPS_PROXY = out.https_proxy = net.proxy.https;
  if (net?.proxy?.http && !has(env, "HTTP_PROXY")) out.HTTP_PROXY = out.http_proxy = net.proxy.http;
  const fromConfig = net?.proxy?.no_proxy ?? [];
  if (fromConfig.length > 0) {
    const current = env.no_proxy ?? env.NO_PROXY;
    const merged = [...(current ? current.split(/[\s,]+/).filter(Boolean) : []), ...fromConfig];
    out.NO_PROXY = out.no_proxy = [...new Set(merged)].join(",");
  }
  const bundle = combinedCaBundle(env, net, home);
  if (bundle) {
    out.SSL_CERT_FILE = bundle;
    out.REQUESTS_CA_BUNDLE = bundle;
    out.PIP_CERT = bundle;
  }
  return out;
}
