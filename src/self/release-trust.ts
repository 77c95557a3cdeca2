/**
 * Whom `dhtl self update` believes about a release's checksums.
 *
 * A release may carry `SHA256SUMS.sig`: an Ed25519 signature (the bundle signature format,
 * src/bundle/sign.ts) over the exact bytes of SHA256SUMS. The release public key is written
 * into the executable at build time (DHTL_RELEASE_PUBLIC_KEY, scripts/build.ts); `--verify-key`
 * adds one. Where a key is known, the signature is required and must verify. A SHA256SUMS
 * that is merely lying beside a local archive proves nothing (whoever placed the archive
 * could place it): without a verified signature, --from needs the digest itself (`--sha256`,
 * from the release page or the installer that was trusted).
 */
import { DhtError, ExitCode } from "../errors.ts";

declare const BUILD_RELEASE_KEYS: string | undefined;

/** The PEM public keys this build trusts for releases (empty for development builds). */
export const embeddedReleaseKeys: string = typeof BUILD_RELEASE_KEYS === "string" ? BUILD_RELEASE_KEYS : "";

export const SUMS_SIGNATURE_FILE = "SHA256SUMS.sig";

/** Split a text of one or more PEM public keys. */
export function pemKeys(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
}

export interface TrustedKeys {
  /** PEM texts, with where each came from ("built in", "--verify-key FILE"). */
  keys: Array<{ pem: string; origin: string }>;
}

export async function trustedReleaseKeys(verifyKeyFile?: string): Promise<TrustedKeys> {
  const keys = pemKeys(embeddedReleaseKeys).map((pem) => ({ pem, origin: "built into this dhtl" }));
  if (verifyKeyFile) {
    const { loadPublicKey } = await import("../bundle/sign.ts");
    const key = await loadPublicKey(verifyKeyFile);
    const spki = Buffer.from(await crypto.subtle.exportKey("spki", key)).toString("base64");
    keys.push({ pem: `-----BEGIN PUBLIC KEY-----\n${spki}\n-----END PUBLIC KEY-----`, origin: `--verify-key ${verifyKeyFile}` });
  }
  return { keys };
}

/**
 * Verify `signatureText` over `sumsBytes` with any trusted key. Throws a DhtError naming
 * `where` when the signature is absent, malformed or made by no trusted key.
 */
export async function verifySumsSignature(sumsBytes: Uint8Array, signatureText: string | undefined, trusted: TrustedKeys, where: string): Promise<string> {
  const { parseSignature, verifyManifestSignature, keyId } = await import("../bundle/sign.ts");
  if (signatureText === undefined) {
    throw new DhtError(ExitCode.failed, `${where} is not signed (no ${SUMS_SIGNATURE_FILE}), but this dhtl only accepts signed releases`, {
      subject: where,
      hint: `copy ${SUMS_SIGNATURE_FILE} of the same release beside SHA256SUMS, or give the archive's digest with --sha256`,
    });
  }
  const sig = parseSignature(signatureText, `${where}.sig`);
  for (const { pem } of trusted.keys) {
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    const key = await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, true, ["verify"]);
    if (await verifyManifestSignature(sumsBytes, sig, key)) return keyId(key);
  }
  throw new DhtError(ExitCode.failed, `the signature of ${where} does not verify with any trusted release key (it names key ${sig.keyId})`, {
    subject: `${where}.sig`,
    hint: "the checksums were changed after signing, or signed by someone else: do not install this release",
    details: { signedBy: sig.keyId, trusted: trusted.keys.map((k) => k.origin) },
  });
}
