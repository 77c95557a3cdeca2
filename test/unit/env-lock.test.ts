import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir, hostname } from "node:os";
import { join } from "node:path";
import { acquireLock, lockIsStale, readLockOwner } from "../../src/env/lock.ts";

const dir = () => mkdtempSync(join(tmpdir(), "dht-lock-"));

describe("project lock", () => {
  test("creates .dht/lock with pid and host, and release removes it", async () => {
    const path = join(dir(), ".dht", "lock");
    const lock = await acquireLock(path, { purpose: "setup" });
    const owner = readLockOwner(path)!;
    expect(owner.pid).toBe(process.pid);
    expect(owner.host).toBe(hostname());
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  test("--no-wait fails at once with exit 1 naming the holder's pid", async () => {
    const path = join(dir(), "lock");
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since: "", purpose: "setup" }));
    const err = await acquireLock(path, { purpose: "setup", noWait: true, pid: process.pid + 1 }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.hint).toContain("--no-wait");
  });

  test("a lock of a dead process on this host is taken over", async () => {
    const path = join(dir(), "lock");
    writeFileSync(path, JSON.stringify({ pid: 999999, host: hostname(), since: "", purpose: "setup" }));
    const lock = await acquireLock(path, { purpose: "setup", isAlive: (pid) => pid !== 999999 });
    expect(readLockOwner(path)!.pid).toBe(process.pid);
    lock.release();
  });

  test("a lock from another host is never considered stale", () => {
    expect(lockIsStale({ pid: 1, host: "other", since: "", purpose: "" }, "me", () => false)).toBe(false);
    expect(lockIsStale({ pid: 1, host: "me", since: "", purpose: "" }, "me", () => false)).toBe(true);
    expect(lockIsStale({ pid: 1, host: "me", since: "", purpose: "" }, "me", () => true)).toBe(false);
  });

  test("a waiting run says whom it waits for and gets the lock once released", async () => {
    const path = join(dir(), "lock");
    const first = await acquireLock(path, { purpose: "setup" });
    const waits: number[] = [];
    const second = acquireLock(path, { purpose: "setup", pid: process.pid + 7, pollMs: 20, onWait: (o) => waits.push(o.pid) });
    await Bun.sleep(80);
    expect(waits).toEqual([process.pid]);
    first.release();
    const held = await second;
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid + 7);
    held.release();
  });
});
