import { defineDhtCommand } from "../define.ts";
import { usageError } from "../../errors.ts";

export default defineDhtCommand({
  meta: { name: "keygen", description: "Make an Ed25519 key pair for signing offline bundles" },
  examples: ["dhtl bundle keygen", "dhtl bundle keygen --out ~/.config/dhtl/bundle-key.pem"],
  args: {
    out: { type: "string", alias: "o", description: "Private key file to write (the public key goes to FILE.pub)", valueHint: "FILE", default: "dhtl-bundle-key.pem" },
    force: { type: "boolean", description: "Overwrite existing key files" },
  },
  async run({ args, ctx }) {
    const { existsSync } = await import("node:fs");
    const { writeFile, mkdir } = await import("node:fs/promises");
    const { dirname, resolve } = await import("node:path");
    const privateFile = resolve(ctx.cwd, args.out ?? "dhtl-bundle-key.pem");
    const publicFile = `${privateFile}.pub`;
    for (const file of [privateFile, publicFile]) {
      if (existsSync(file) && !args.force) {
        throw usageError(`${file} already exists`, { subject: "--out", hint: "choose another --out, or pass --force to replace the key (bundles signed with the old key then no longer verify with the new one)" });
      }
    }
    const { generateKeyPair } = await import("../../bundle/sign.ts");
    const pair = await generateKeyPair();
    await mkdir(dirname(privateFile), { recursive: true });
    // The private key is readable by its owner only.
    await writeFile(privateFile, pair.privatePem, { mode: 0o600 });
    const { chmod } = await import("node:fs/promises");
    await chmod(privateFile, 0o600);
    await writeFile(publicFile, pair.publicPem, { mode: 0o644 });
    const { printJson, printText } = await import("../../ui/output.ts");
    if (ctx.json) printJson({ privateKey: privateFile, publicKey: publicFile, keyId: pair.keyId });
    else
      printText(
        [
          `Private key: ${privateFile}   (keep it secret; sign with: dhtl prepare-offline --sign ${privateFile} ...)`,
          `Public key:  ${publicFile}   (copy it to the air-gapped machine and name it in .dhtconfig offline.verify_key; check a bundle with: dhtl bundle inspect FILE --verify-key ${publicFile.split(/[\\/]/).pop()})`,
          `Key id:      ${pair.keyId}`,
        ].join("\n"),
      );
  },
});
