/**
 * Ed25519 signatures for offline bundles, through WebCrypto (crypto.subtle) so no
 * dependency is needed.
 *
 * What is signed: the exact bytes of manifest.json. The manifest lists the sha256 of every
 * other file, so one signature over it covers the whole bundle. The signature is stored
 * next to it as manifest.sig, a small JSON document:
 *   { "algorithm": "Ed25519", "keyId": "<16 hex>", "signature": "<base64>" }
 * keyId is the first 16 hex digits of sha256(raw public key): it tells the user which key
 * signed a bundle, but verification never trusts it — only the key the user supplies.
 *
 * Key files: PEM (PKCS#8 "PRIVATE KEY" / SPKI "PUBLIC KEY", what `openssl genpkey
 * -algorithm ed25519` writes) or JWK (kty OKP, crv Ed25519; "d" present for a private key).
 */
import type { webcrypto } from "node:crypto";
import { readFile } from "node:fs/promises";
import { DhtError, ExitCode, usageError } from "../errors.ts";

export const SIGNATURE_FILE = "manifest.sig";

export interface BundleSignature {
  algorithm: "Ed25519";
  keyId: string;
  signature: string;
}

type JsonWebKey = webcrypto.JsonWebKey;

const ED25519 = { name: "Ed25519" } as const;

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}

function pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  if (!match) return undefined;
  return Uint8Array.from(Buffer.from(match[1]!.replace(/\s+/g, ""), "base64"));
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function badKey(file: string, what: string, cause?: unknown): DhtError {
  return usageError(`${file} is not a usable Ed25519 ${what}`, {
    subject: file,
    hint: `give a PEM file (\`dhtl bundle keygen\` or \`openssl genpkey -algorithm ed25519\`) or an Ed25519 JWK (kty "OKP", crv "Ed25519")`,
    cause,
  });
}

async function readKeyText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (cause) {
    throw usageError(`cannot read key file ${file}`, { subject: file, hint: "check the path given to --sign / --verify-key / offline.verify_key", cause });
  }
}

/** Import a private key (for signing) from a PEM or JWK file. */
export async function loadPrivateKey(file: string): Promise<CryptoKey> {
  const text = await readKeyText(file);
  try {
    const der = pemBody(text, "PRIVATE KEY");
    if (der) return await crypto.subtle.importKey("pkcs8", der, ED25519, true, ["sign"]);
    const jwk = JSON.parse(text) as JsonWebKey;
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.d) throw new Error("not an Ed25519 private JWK");
    return await crypto.subtle.importKey("jwk", { ...jwk, key_ops: ["sign"] }, ED25519, true, ["sign"]);
  } catch (cause) {
    if (text.includes("PUBLIC KEY")) {
      throw usageError(`${file} holds a public key; signing needs the private key`, { subject: file, hint: "pass the private key file to --sign (the .pub file is for --verify-key)" });
    }
    throw badKey(file, "private key", cause);
  }
}

/** Import a public key (for verifying) from a PEM or JWK file; a private key file also works. */
export async function loadPublicKey(file: string): Promise<CryptoKey> {
  const text = await readKeyText(file);
  try {
    const spki = pemBody(text, "PUBLIC KEY");
    if (spki) return await crypto.subtle.importKey("spki", spki, ED25519, true, ["verify"]);
    if (pemBody(text, "PRIVATE KEY")) return await publicFromPrivate(await loadPrivateKey(file));
    const jwk = JSON.parse(text) as JsonWebKey;
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.x) throw new Error("not an Ed25519 JWK");
    const { d: _private, ...pub } = jwk;
    return await crypto.subtle.importKey("jwk", { ...pub, key_ops: ["verify"] }, ED25519, true, ["verify"]);
  } catch (cause) {
    if (cause instanceof DhtError) throw cause;
    throw badKey(file, "public key", cause);
  }
}

async function publicFromPrivate(privateKey: CryptoKey): Promise<CryptoKey> {
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  return crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x, key_ops: ["verify"] }, ED25519, true, ["verify"]);
}

/** First 16 hex digits of sha256 of the 32-byte public key. */
export async function keyId(key: CryptoKey): Promise<string> {
  const jwk = await crypto.subtle.exportKey("jwk", key);
  if (!jwk.x) throw new Error("key has no public part");
  return new Bun.CryptoHasher("sha256").update(base64UrlToBytes(jwk.x)).digest("hex").slice(0, 16);
}

export async function signManifest(manifestBytes: Uint8Array, privateKey: CryptoKey): Promise<BundleSignature> {
  const signature = await crypto.subtle.sign("Ed25519", privateKey, new Uint8Array(manifestBytes));
  return { algorithm: "Ed25519", keyId: await keyId(await publicFromPrivate(privateKey)), signature: Buffer.from(signature).toString("base64") };
}

export function serializeSignature(sig: BundleSignature): string {
  return `${JSON.stringify({ algorithm: sig.algorithm, keyId: sig.keyId, signature: sig.signature }, null, 2)}\n`;
}

/** Parse manifest.sig; a malformed file is a refusal, not "unsigned". */
export function parseSignature(text: string, where: string): BundleSignature {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw invalidSignature(where, "it is not valid JSON", cause);
  }
  const v = value as Partial<BundleSignature>;
  if (v?.algorithm !== "Ed25519" || typeof v.keyId !== "string" || typeof v.signature !== "string" || !/^[A-Za-z0-9+/]+=*$/.test(v.signature)) {
    throw invalidSignature(where, 'it needs "algorithm": "Ed25519", "keyId" and a base64 "signature"');
  }
  return { algorithm: "Ed25519", keyId: v.keyId, signature: v.signature };
}

function invalidSignature(where: string, why: string, cause?: unknown): DhtError {
  return new DhtError(ExitCode.failed, `the bundle's signature file is invalid: ${why}`, {
    subject: where,
    hint: "the bundle was damaged or tampered with; prepare it again with `dhtl prepare-offline --sign KEY`",
    cause,
  });
}

export async function verifyManifestSignature(manifestBytes: Uint8Array, sig: BundleSignature, publicKey: CryptoKey): Promise<boolean> {
  const signature = Buffer.from(sig.signature, "base64");
  if (signature.length !== 64) return false;
  return crypto.subtle.verify("Ed25519", publicKey, new Uint8Array(signature), new Uint8Array(manifestBytes));
}

/** A fresh key pair as PEM texts (private PKCS#8, public SPKI) plus its key id. */
export async function generateKeyPair(): Promise<{ privatePem: string; publicPem: string; keyId: string }> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    privatePem: toPem(await crypto.subtle.exportKey("pkcs8", pair.privateKey), "PRIVATE KEY"),
    publicPem: toPem(await crypto.subtle.exportKey("spki", pair.publicKey), "PUBLIC KEY"),
    keyId: await keyId(pair.publicKey),
  };
}
