/**
 * The network environment for child processes (uv, pip, git): the same proxy and CA decisions
 * dhtl itself uses, expressed as the variables those tools read. Environment variables the
 * user set win; `.dhtconfig` values fill the gaps, as everywhere in dhtl.
 *
 * CAs: uv and pip treat SSL_CERT_FILE / REQUESTS_CA_BUNDLE / PIP_CERT as a *replacement*
 * store, so pointing them at a corporate CA file alone would break every host that the
 * proxy does not re-sign. When extra CAs are configured, dhtl writes ONE combined bundle
 * (default roots + the operating system's trust store + every extra CA from ca.ts) into
 * DHT_HOME/cache/ca/<sha256>.pem — named by content, written atomically, reused across runs —
 * and points all three variables at it. The system store is in it because uv (rustls, with
 * UV_SYSTEM_CERTS=1) and OpenSSL read SSL_CERT_FILE *instead of* that store: without it a CA
 * that IT installed system-wide (update-ca-certificates) would stop being trusted the moment
 * the user names another CA file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { homePaths } from "../paths.ts";
import { extraCaCertificates, pemCertificates } from "./ca.ts";
import type { Env, NetSettings } from "./types.ts";

/**
 * Where Unix systems keep their PEM trust store (what OpenSSL and rustls-native-certs read
 * when SSL_CERT_FILE is unset): Debian/Ubuntu/Alpine/Arch, RHEL/Fedora, openSUSE, macOS/BSD.
 * The first that exists is used. Windows and the macOS keychain have no such file.
 */
export const SYSTEM_TRUST_STORE_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

function systemTrustStore(files: readonly string[]): string[] {
  for (const file of files) {
    try {
      return pemCertificates(readFileSync(file, "utf8"));
    } catch {
      /* absent or unreadable: try the next location */
    }
  }
  return [];
}

/** The base64 body of a PEM certificate: the same certificate wrapped differently is one entry. */
const certKey = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s+/g, "");

/** Path of the combined CA bundle, written when missing; undefined when no extra CA is configured. */
export function combinedCaBundle(env: Env, net: NetSettings | undefined, home: string, systemStoreFiles: readonly string[] = SYSTEM_TRUST_STORE_FILES): string | undefined {
  const extra = extraCaCertificates(env, net);
  if (extra.length === 0) return undefined;
  const unique = new Map<string, string>();
  for (const cert of [...rootCertificates, ...systemTrustStore(systemStoreFiles), ...extra]) {
    const key = certKey(cert);
    if (!unique.has(key)) unique.set(key, cert.trim());
  }
  const pem = `${[...unique.values()].join("\n")}\n`;
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
export function subprocessNetEnv(
  env: Env,
  net: NetSettings | undefined,
  home: string,
  systemStoreFiles: readonly string[] = SYSTEM_TRUST_STORE_FILES,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (net?.proxy?.https && !has(env, "HTTPS_PROXY")) out.HTTPS_PROXY = out.https_proxy = net.proxy.https;
  if (net?.proxy?.http && !has(env, "HTTP_PROXY")) out.HTTP_PROXY = out.http_proxy = net.proxy.http;
  const fromConfig = net?.proxy?.no_proxy ?? [];
  if (fromConfig.length > 0) {
    const current = env.no_proxy ?? env.NO_PROXY;
    const merged = [...(current ? current.split(/[\s,]+/).filter(Boolean) : []), ...fromConfig];
    out.NO_PROXY = out.no_proxy = [...new Set(merged)].join(",");
  }
  const bundle = combinedCaBundle(env, net, home, systemStoreFiles);
  if (bundle) {
    out.SSL_CERT_FILE = bundle;
    out.REQUESTS_CA_BUNDLE = bundle;
    out.PIP_CERT = bundle;
  }
  return out;
}
