import { describe, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { dhtl, tempDir } from "../helpers/cli.ts";
import { sshfsUnavailableReason, withSshfsMount } from "../helpers/sshfs.ts";

const unavailable = sshfsUnavailableReason();
if (unavailable) console.warn(`netfs tests skipped: ${unavailable}`);

describe.skipIf(Boolean(unavailable))("network file systems (real sshfs over a loopback sshd)", () => {
  test("a path on a real sshfs mount is reported as a network FS by dhtl info --json", async () => {
    const home = tempDir("dhtl-netfs-home-");
    try {
      await withSshfsMount(async ({ mountPoint, remoteDir }) => {
        mkdirSync(join(mountPoint, "project"));
        const r = await dhtl(["info", "--json", "--path", join(mountPoint, "project")], { env: { DHT_HOME: home } });
        expect(r.code).toBe(0);
        const fs = JSON.parse(r.stdout).filesystem;
        expect(fs).toMatchObject({ type: "fuse.sshfs", kind: "sshfs", network: true, mountPoint, exists: true, via: "mountinfo" });
        expect(fs.source).toEndWith(`@127.0.0.1:${remoteDir}`);

        // The same directory reached locally (the sshd's side) is not a network FS.
        const local = await dhtl(["info", "--json", "--path", join(remoteDir, "project")], { env: { DHT_HOME: home } });
        expect(JSON.parse(local.stdout).filesystem).toMatchObject({ network: false, exists: true });
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  test("a not-yet-created venv directory inside the mount is already on the network FS; human output says so", async () => {
    const home = tempDir("dhtl-netfs-home-");
    try {
      await withSshfsMount(async ({ mountPoint }) => {
        const r = await dhtl(["info", "--path", join(mountPoint, "app", ".venv")], { env: { DHT_HOME: home } });
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^ {2}kind +sshfs$/m);
        expect(r.stdout).toMatch(/^ {2}network +yes$/m);
        expect(r.stdout).toContain("(does not exist yet)");
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
