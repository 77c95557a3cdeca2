/**
 * Extra certificate authorities: corporate proxies that re-sign TLS and private indexes with
 * an internal CA. Read from (all of them, in this order, duplicates dropped):
 *   SSL_CERT_FILE, SSL_CERT_DIR (":"-separated dirs), REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS,
 *   config `proxy.ca_bundle`.
 * They are ADDED to the default roots. Bun's `tls.ca` replaces its built-in roots (checked with
 * Bun 1.4.5: `fetch(npm, {tls:{ca:[oneUnrelatedRoot]}})` fails with SELF_SIGNED_CERT_IN_CHAIN), so
 * httpFetch passes `tls.rootCertificates` plus these. Python tools treat SSL_CERT_FILE and
 * REQUESTS_CA_BUNDLE as a replacement store; adding is the lenient superset and keeps public
 * hosts working when a user's bundle holds only the corporate CA.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { join } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";
import type { Env, NetSettings } from "./types.ts";

export interface CaSource {
  origin: string;
  path: string;
  kind: "file" | "dir";
}

/** Where extra CAs come from, in order. Pure: only reads env and settings. */
export function caSources(env: Env, settings?: NetSettings): CaSource[] {
  const sources: CaSource[] = [];
  const file = (origin: string, value: string | undefined) => {
    if (value && value.trim()) sources.push({ origin, path: value.trim(), kind: "file" });
  };
  file("env SSL_CERT_FILE", env.SSL_CERT_FILE);
  for (const dir of (env.SSL_CERT_DIR ?? "").split(":")) {
    if (dir.trim()) sources.push({ origin: "env SSL_CERT_DIR", path: dir.trim(), kind: "dir" });
  }
  file("env REQUESTS_CA_BUNDLE", env.REQUESTS_CA_BUNDLE);
  file("env NODE_EXTRA_CA_CERTS", env.NODE_EXTRA_CA_CERTS);
  file("config proxy.ca_bundle", settings?.caBundle);
  return sources;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

function readSource(source: CaSource): string[] {
  const fail = (why: string) =>
    new DhtError(ExitCode.usage, `${source.origin} points to ${source.path}, which ${why}.`, {
      subject: source.origin,
      hint: "Point it at a PEM file (or directory of PEM files) with your organisation's CA, or unset it.",
    });
  let stat;
  try {
    stat = statSync(source.path);
  } catch {
    throw fail("does not exist");
  }
  if (source.kind === "file") {
    if (!stat.isFile()) throw fail("is not a file");
    const certs = pemCertificates(readFileSync(source.path, "utf8"));
    if (certs.length === 0) throw fail("contains no PEM certificate (-----BEGIN CERTIFICATE-----)");
    return certs;
  }
  if (!stat.isDirectory()) throw fail("is not a directory");
  const certs: string[] = [];
  for (const name of readdirSync(source.path).sort()) {
    // OpenSSL hash links (abcd1234.0) and the usual PEM extensions.
    if (!/\.(pem|crt|cer)$|^[0-9a-f]{8}\.\d+$/i.test(name)) continue;
    try {
      certs.push(...pemCertificates(readFileSync(join(source.path, name), "utf8")));
    } catch {
      /* unreadable or dangling entry in a system dir: skip it, as OpenSSL does */
    }
  }
  return certs;
}

const memo = new Map<string, string[]>();

/** The extra CA certificates (PEM strings, deduplicated), or [] when none are configured. */
export function extraCaCertificates(env: Env, settings?: NetSettings): string[] {
  const sources = caSources(env, settings);
  if (sources.length === 0) return [];
  const key = sources.map((s) => `${s.kind}:${s.path}`).join("\n");
  const cached = memo.get(key);
  if (cached) return cached;
  const seen = new Set<string>();
  for (const source of sources) for (const cert of readSource(source)) seen.add(cert.replace(/\r\n/g, "\n"));
  const certs = [...seen];
  memo.set(key, certs);
  return certs;
}

/** `tls` option for fetch: undefined (Bun defaults) or the default roots plus the extra CAs. */
export function tlsOptionsFor(env: Env, settings?: NetSettings): { ca: string[] } | undefined {
  const extra = extraCaCertificates(env, settings);
  if (extra.length === 0) return undefined;
  return { ca: [...rootCertificates, ...extra] };
}
