/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made
 * with the real openssl CLI into a temp dir. For HTTPS tests: the server uses cert/key, the
 * client trusts caFile only when told to (SSL_CERT_FILE, proxy.ca_bundle, ...).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  dir: string;
  /** CA certificate (PEM file path), what a client must trust. */
  caFile: string;
  caPem: string;
  /** Server certificate and key (PEM strings), for startFileServer({ tls }). */
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, stderr: "pipe", stdout: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr.toString()}`);
}

export function makeTestCa(commonName = "dhtl test CA"): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "dhtl-tls-"));
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", `/CN=${commonName}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
  );
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"], dir);
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    caPem: read("ca.pem"),
    cert: read("server.pem"),
    key: read("server.key"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
  };
}
