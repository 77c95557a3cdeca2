/**
 * Is the TLS chain a host presents re-signed by an interceptor (a corporate proxy, a
 * transparent egress box, mitmproxy), and which CA bundle would make it trusted?
 *
 * `peerChain` connects (directly, or through an HTTP proxy with CONNECT) without verifying,
 * only to look at the chain. `judgeChain` is pure: a chain is public when one of the
 * public roots (the Mozilla store compiled into Bun: node:tls rootCertificates) is in it or
 * issued its top certificate; otherwise it is intercepted, and the bundles are searched for
 * the certificate that issued it.
 */
import { X509Certificate } from "node:crypto";

export interface PeerChain {
  /** DER certificates, leaf first, as far as the server sent them. */
  certs: Uint8Array[];
  error?: string;
}

export interface CaBundle {
  /** Where it comes from: "env SSL_CERT_FILE", "system /etc/ssl/certs/ca-certificates.crt". */
  origin: string;
  path: string;
  certs: string[];
}

export interface TlsVerdict {
  intercepted: boolean;
  /** The issuer of the top certificate of the chain ("CN=sandboxing-egress-ca"). */
  issuer: string;
  subject: string;
  /** A configured bundle (dhtl uses it, and hands it to uv/pip) that holds the issuer. */
  trustedBy?: CaBundle;
  /** A bundle on this machine, not configured, that holds the issuer: the fix. */
  fixBundle?: CaBundle;
}

const oneLine = (dn: string) => dn.split("\n").filter(Boolean).join(", ");

function issues(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function parse(pem: string | Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(typeof pem === "string" ? pem : Buffer.from(pem));
  } catch {
    return undefined;
  }
}

/** Pure given its inputs: judge a chain against the public roots and the bundles. */
export function judgeChain(chain: Uint8Array[], publicRoots: readonly string[], configured: CaBundle[], onMachine: CaBundle[]): TlsVerdict | undefined {
  const certs = chain.map(parse).filter((c): c is X509Certificate => Boolean(c));
  const top = certs.at(-1);
  if (!top) return undefined;
  const fingerprints = new Set(certs.map((c) => c.fingerprint256));
  const roots = publicRoots.map(parse).filter((c): c is X509Certificate => Boolean(c));
  const verdict = { issuer: oneLine(top.issuer), subject: oneLine(certs[0]!.subject) };
  if (roots.some((r) => fingerprints.has(r.fingerprint256) || issues(r, top))) return { intercepted: false, ...verdict };
  const holder = (bundles: CaBundle[]) => bundles.find((b) => b.certs.some((pem) => {
    const c = parse(pem);
    return Boolean(c && (fingerprints.has(c.fingerprint256) || issues(c, top)));
  }));
  const trustedBy = holder(configured);
  return { intercepted: true, ...verdict, ...(trustedBy ? { trustedBy } : { ...(holder(onMachine) ? { fixBundle: holder(onMachine)! } : {}) }) };
}

/** Places a CA bundle usually lives on a machine (system stores; mitmproxy's own CA). */
export function candidateBundlePaths(home: string | undefined): string[] {
  return [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
    ...(home ? [`${home}/.mitmproxy/mitmproxy-ca-cert.pem`] : []),
  ];
}

/**
 * The chain `host:port` presents, directly or through `proxy` (http://[user:pass@]host:port,
 * CONNECT). Never verifies: this only looks.
 */
export async function peerChain(host: string, port: number, options: { proxy?: string; timeoutMs?: number } = {}): Promise<PeerChain> {
  const tls = await import("node:tls");
  const net = await import("node:net");
  const timeoutMs = options.timeoutMs ?? 8000;
  return new Promise<PeerChain>((resolvePromise) => {
    let done = false;
    const finish = (value: PeerChain, ...closers: Array<{ destroy(): void } | undefined>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const c of closers) c?.destroy();
      resolvePromise(value);
    };
    const timer = setTimeout(() => finish({ certs: [], error: `no TLS handshake within ${timeoutMs / 1000} s` }, raw, secure), timeoutMs);
    let raw: import("node:net").Socket | undefined;
    let secure: import("node:tls").TLSSocket | undefined;
    const handshake = (socket?: import("node:net").Socket) => {
      secure = tls.connect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, rejectUnauthorized: false, ...(socket ? { socket } : {}) }, () => {
        const certs: Uint8Array[] = [];
        let cur = secure!.getPeerCertificate(true) as import("node:tls").DetailedPeerCertificate | undefined;
        const seen = new Set<string>();
        while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
          seen.add(cur.fingerprint256);
          certs.push(new Uint8Array(cur.raw));
          cur = cur.issuerCertificate;
        }
        finish({ certs }, secure, raw);
      });
      secure.on("error", (e) => finish({ certs: [], error: e.message }, secure, raw));
    };
    if (!options.proxy) return handshake();
    const proxy = new URL(options.proxy);
    raw = net.connect(Number(proxy.port || (proxy.protocol === "https:" ? 443 : 80)), proxy.hostname, () => {
      const auth = proxy.username ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}\r\n` : "";
      raw!.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n${auth}\r\n`);
    });
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      raw!.off("data", onData);
      const status = /^HTTP\/\d\.\d (\d{3})/.exec(head)?.[1];
      if (status !== "200") return finish({ certs: [], error: `the proxy answered CONNECT with ${head.split("\r\n")[0]}` }, raw);
      handshake(raw);
    };
    raw.on("data", onData);
    raw.on("error", (e) => finish({ certs: [], error: `proxy ${proxy.host}: ${e.message}` }, raw));
  });
}
