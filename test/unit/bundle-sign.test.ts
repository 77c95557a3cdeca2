import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openBundle } from "../../src/bundle/read.ts";
import { generateKeyPair, keyId, loadPrivateKey, loadPublicKey, signManifest, verifyManifestSignature } from "../../src/bundle/sign.ts";
import { inspectBundle } from "../../src/bundle/inspect.ts";
import { DhtError } from "../../src/errors.ts";
import { tempDir, writeFixtureBundle } from "../helpers/bundle-fixture.ts";

async function keyFiles(): Promise<{ priv: string; pub: string; id: string }> {
  const dir = tempDir("dht-keys-");
  const pair = await generateKeyPair();
  writeFileSync(join(dir, "key.pem"), pair.privatePem);
  writeFileSync(join(dir, "key.pem.pub"), pair.publicPem);
  return { priv: join(dir, "key.pem"), pub: join(dir, "key.pem.pub"), id: pair.keyId };
}

async function rejection(promise: Promise<unknown>): Promise<DhtError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DhtError);
    return error as DhtError;
  }
  throw new Error("expected a refusal");
}

describe("Ed25519 keys and signatures", () => {
  test("a signature made with the private key verifies with the public key and fails for other bytes", async () => {
    const keys = await keyFiles();
    const bytes = new TextEncoder().encode('{"a":1}\n');
    const sig = await signManifest(bytes, await loadPrivateKey(keys.priv));
    expect(sig.keyId).toBe(keys.id);
    const pub = await loadPublicKey(keys.pub);
    expect(await verifyManifestSignature(bytes, sig, pub)).toBe(true);
    expect(await verifyManifestSignature(new TextEncoder().encode('{"a":2}\n'), sig, pub)).toBe(false);
  });

  test("keys made by openssl (PEM) and JWK files are accepted and agree on the key id", async () => {
    const dir = tempDir("dht-keys-");
    const priv = join(dir, "ossl.pem");
    const pub = join(dir, "ossl.pub.pem");
    expect(Bun.spawnSync(["openssl", "genpkey", "-algorithm", "ed25519", "-out", priv]).exitCode).toBe(0);
    expect(Bun.spawnSync(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub]).exitCode).toBe(0);
    const privateKey = await loadPrivateKey(priv);
    const publicKey = await loadPublicKey(pub);
    const jwkFile = join(dir, "pub.jwk");
    writeFileSync(jwkFile, JSON.stringify(await crypto.subtle.exportKey("jwk", publicKey)));
    const fromJwk = await loadPublicKey(jwkFile);
    expect(await keyId(fromJwk)).toBe(await keyId(publicKey));
    const bytes = new TextEncoder().encode("manifest");
    expect(await verifyManifestSignature(bytes, await signManifest(bytes, privateKey), fromJwk)).toBe(true);
  });

  test("signing with a public key file is a usage error that says which file to use", async () => {
    const keys = await keyFiles();
    const error = await rejection(loadPrivateKey(keys.pub));
    expect(error.code).toBe(2);
    expect(error.message).toContain("holds a public key");
  });

  test("a key file that is not a key names the file", async () => {
    const file = join(tempDir(), "junk.pem");
    writeFileSync(file, "hello");
    const error = await rejection(loadPublicKey(file));
    expect(error.subject).toBe(file);
  });
});

describe("signature policy when opening a bundle", () => {
  test("a signed bundle opens with the right key and reports the signer", async () => {
    const keys = await keyFiles();
    const out = join(tempDir(), "bundle");
    const written = await writeFixtureBundle(out, { signKey: await loadPrivateKey(keys.priv) });
    expect(written.signedBy).toBe(keys.id);
    const bundle = await openBundle(out, { home: tempDir(), verifyKey: keys.pub, requireSignature: true });
    expect(bundle.signature).toEqual({ state: "valid", keyId: keys.id });
  });

  test("a signed bundle checked with another key is refused, naming both key ids", async () => {
    const signer = await keyFiles();
    const other = await keyFiles();
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out, { signKey: await loadPrivateKey(signer.priv) });
    const error = await rejection(openBundle(out, { home: tempDir(), verifyKey: other.pub }));
    expect(error.message).toContain("does not verify");
    expect(error.hint).toContain(signer.id);
    expect(error.hint).toContain(other.id);
  });

  test("a manifest edited after signing is refused even when every file still matches it", async () => {
    const keys = await keyFiles();
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out, { signKey: await loadPrivateKey(keys.priv) });
    const path = join(out, "manifest.json");
    writeFileSync(path, readFileSync(path, "utf8").replace('"name": "fixture"', '"name": "fixturf"'));
    const error = await rejection(openBundle(out, { home: tempDir(), verifyKey: keys.pub }));
    expect(error.message).toContain("does not verify");
    expect(error.hint).toContain("changed after signing");
  });

  test("an unsigned bundle is accepted with a warning, and refused when a signature is required", async () => {
    const keys = await keyFiles();
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out);
    const warnings: string[] = [];
    await openBundle(out, { home: tempDir(), warn: (w) => warnings.push(w) });
    expect(warnings.some((w) => w.includes("not signed"))).toBe(true);
    const error = await rejection(openBundle(out, { home: tempDir(), verifyKey: keys.pub, requireSignature: true }));
    expect(error.message).toContain("not signed");
    expect(error.subject).toBe(`${out}/manifest.sig`);
  });

  test("require_signature without a verify key is a usage error pointing at the config field", async () => {
    const keys = await keyFiles();
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out, { signKey: await loadPrivateKey(keys.priv) });
    const error = await rejection(openBundle(out, { home: tempDir(), requireSignature: true }));
    expect(error.code).toBe(2);
    expect(error.subject).toBe("offline.require_signature");
  });

  test("a garbled manifest.sig is always refused, even without a verify key", async () => {
    const keys = await keyFiles();
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out, { signKey: await loadPrivateKey(keys.priv) });
    writeFileSync(join(out, "manifest.sig"), "{not json");
    const error = await rejection(openBundle(out, { home: tempDir() }));
    expect(error.message).toContain("signature file is invalid");
  });

  test("a signed bundle opened without a key is accepted with a warning that the signature was not checked", async () => {
    const keys = await keyFiles();
    const out = join(tempDir(), "bundle");
    await writeFixtureBundle(out, { signKey: await loadPrivateKey(keys.priv) });
    const warnings: string[] = [];
    const bundle = await openBundle(out, { home: tempDir(), warn: (w) => warnings.push(w) });
    expect(bundle.signature.state).toBe("not-checked");
    expect(warnings.join()).toContain("not checked");
  });

  test("inspect reports a bad signature as invalid instead of throwing, and the verdict fails", async () => {
    const signer = await keyFiles();
    const other = await keyFiles();
    const file = join(tempDir(), "bundle.tar.gz");
    await writeFixtureBundle(file, { signKey: await loadPrivateKey(signer.priv) });
    const report = await inspectBundle(file, { verifyKey: other.pub });
    expect(report.signature.state).toBe("invalid");
    expect(report.ok).toBe(false);
    expect(report.files.every((f) => f.ok)).toBe(true);
    const good = await inspectBundle(file, { verifyKey: signer.pub });
    expect(good.signature).toEqual({ state: "valid", keyId: signer.id });
    expect(good.ok).toBe(true);
  });
});
