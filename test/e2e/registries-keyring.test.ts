/**
 * The keyring credential source with the real `keyring` CLI (from .ci/pip-packages.txt,
 * installed into .cache/tools-venv), using keyrings.alt's file backend in a temp
 * XDG_DATA_HOME so no desktop keychain is needed: stored by `keyring set`, read back by
 * resolveCredentials through `keyring get <index-url> <user>`, then `<host>`.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registrySettings, resolveCredentials } from "../../src/registries/index.ts";

const bin = join(import.meta.dir, "..", "..", ".cache", "tools-venv", "bin");
const keyring = join(bin, "keyring");
const missing = existsSync(keyring) ? undefined : `${keyring} is missing: run \`bash scripts/test-prereqs.sh\``;
if (missing) console.warn(`skipping keyring tests: ${missing}`);

function keyringEnv(): Record<string, string> {
  return { PATH: `${bin}:/usr/bin:/bin`, HOME: mkdtempSync(join(tmpdir(), "dhtl-kr-home-")), XDG_DATA_HOME: mkdtempSync(join(tmpdir(), "dhtl-kr-data-")), PYTHON_KEYRING_BACKEND: "keyrings.alt.file.PlaintextKeyring", KR_USER: "dave" };
}

async function keyringSet(env: Record<string, string>, service: string, user: string, password: string): Promise<void> {
  const p = Bun.spawn([keyring, "set", service, user], { env, stdin: new TextEncoder().encode(`${password}\n`), stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`keyring set failed: ${err}`);
}

const settings = (indexUrl: string) =>
  registrySettings(indexUrl, { origins: { indexUrl: ".dhtconfig:2" }, credentialsConfig: { source: "keyring", username_env: "KR_USER" } });

describe.skipIf(Boolean(missing))("keyring credentials (real keyring CLI)", () => {
  test("a password stored for the index URL is read with `keyring get <url> <user>`", async () => {
    const env = keyringEnv();
    await keyringSet(env, "https://pkgs.corp.example/simple", "dave", "kr-secret-url");
    const creds = await resolveCredentials(settings("https://pkgs.corp.example/simple"), { env });
    expect(creds["https://pkgs.corp.example/simple"]).toEqual({ username: "dave", password: "kr-secret-url", source: "keyring" });
  }, 30_000);

  test("a password stored for the host is found when none is stored for the URL", async () => {
    const env = keyringEnv();
    await keyringSet(env, "pkgs.corp.example", "dave", "kr-secret-host");
    const creds = await resolveCredentials(settings("https://pkgs.corp.example/simple"), { env });
    expect(creds["https://pkgs.corp.example/simple"]?.password).toBe("kr-secret-host");
  }, 30_000);

  test("nothing stored: a usage error saying how to store it", async () => {
    const env = keyringEnv();
    const e = await resolveCredentials(settings("https://pkgs.corp.example/simple"), { env }).catch((x) => x);
    expect(e.message).toBe("keyring has no password for dave at https://pkgs.corp.example/simple");
    expect(e.hint).toBe("store it once with: keyring set https://pkgs.corp.example/simple dave");
  }, 30_000);
});
