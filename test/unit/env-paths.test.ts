import { describe, expect, test } from "bun:test";
import { decideLongPaths, deepestVenvPathLength, shortVenvPath, ENABLE_LONG_PATHS_COMMANDS, MAX_PATH } from "../../src/env/long-paths.ts";
import { decideVenvLocation, projectHash } from "../../src/env/local-venv.ts";

const deepProject = "C:\\Users\\someone.with.a.long.name\\source\\repos\\organisation-name\\a-project-with-a-descriptive-name\\services\\backend";

describe("Windows long paths (pure)", () => {
  test("a deep project without LongPathsEnabled moves the venv to DHT_HOME\\v\\<hash>", () => {
    const d = decideLongPaths({ os: "windows", longPathsEnabled: false, venvPath: `${deepProject}\\.venv` });
    expect(d.deepest).toBeGreaterThan(MAX_PATH);
    expect(d.shorten).toBe(true);
    expect(d.why).toContain("off");
  });
  test("the same project with LongPathsEnabled on keeps the venv in place", () => {
    expect(decideLongPaths({ os: "windows", longPathsEnabled: true, venvPath: `${deepProject}\\.venv` }).shorten).toBe(false);
  });
  test("a short project path stays even with long paths off", () => {
    const d = decideLongPaths({ os: "windows", longPathsEnabled: false, venvPath: "C:\\p\\.venv" });
    expect(d.shorten).toBe(false);
    expect(d.deepest).toBe(deepestVenvPathLength("C:\\p\\.venv"));
  });
  test("Linux and macOS never shorten", () => {
    expect(decideLongPaths({ os: "linux", longPathsEnabled: undefined, venvPath: `/x${"/y".repeat(200)}` }).shorten).toBe(false);
  });
  test("the short path is DHT_HOME\\v plus 8 hex characters and the plan gets the reg command", () => {
    expect(shortVenvPath("C:\\Users\\u\\.dht", "0123456789abcdef")).toBe("C:\\Users\\u\\.dht\\v\\01234567");
    const loc = decideVenvLocation({ envRoot: deepProject, venvSetting: ".venv", home: "C:\\Users\\u\\.dht", os: "windows", longPathsEnabled: false });
    expect(loc.placement).toBe("long-paths");
    expect(loc.venvPath.startsWith("C:\\Users\\u\\.dht\\v\\")).toBe(true);
    expect(loc.enableLongPaths).toBe(ENABLE_LONG_PATHS_COMMANDS.cmd);
  });
});

describe("venv location on network file systems (pure)", () => {
  const home = "/home/u/.dht";
  test("sshfs puts the venv under DHT_HOME/venvs/<project-hash> with a link in the project", () => {
    const loc = decideVenvLocation({ envRoot: "/mnt/share/proj", venvSetting: ".venv", home, os: "linux", fs: { type: "fuse.sshfs", network: true, kind: "sshfs" } });
    expect(loc.placement).toBe("network-fs");
    expect(loc.venvPath).toBe(`${home}/venvs/${projectHash("/mnt/share/proj")}`);
    expect(loc.linkPath).toBe("/mnt/share/proj/.venv");
    expect(loc.why).toContain("sshfs");
  });
  test("--no-local-venv keeps it on the network file system, --local-venv moves it from a local disk", () => {
    const nfs = { type: "nfs4", network: true, kind: "nfs" };
    expect(decideVenvLocation({ envRoot: "/n/p", venvSetting: ".venv", home, os: "linux", fs: nfs, localVenvFlag: false }).placement).toBe("in-project");
    const local = { type: "ext4", network: false, kind: "local" };
    expect(decideVenvLocation({ envRoot: "/n/p", venvSetting: ".venv", home, os: "linux", fs: local, localVenvFlag: true }).placement).toBe("network-fs");
    expect(decideVenvLocation({ envRoot: "/n/p", venvSetting: ".venv", home, os: "linux", fs: local }).placement).toBe("in-project");
  });
  test("project hashes differ per directory and are stable", () => {
    expect(projectHash("/a/b")).toBe(projectHash("/a/b"));
    expect(projectHash("/a/b")).not.toBe(projectHash("/a/c"));
  });
});

import { mkdtempSync, mkdirSync, readlinkSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkVenv, readVenvPointer, writeVenvPointer } from "../../src/env/local-venv.ts";

describe("venv link and pointer", () => {
  test("on a local disk .venv becomes a relative link that resolves to the venv", () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), "dht-link-")));
    const target = join(root, "home", "venvs", "abc");
    mkdirSync(target, { recursive: true });
    mkdirSync(join(root, "proj"));
    expect(linkVenv(join(root, "proj", ".venv"), target, "linux")).toEqual({ linked: true });
    expect(readlinkSync(join(root, "proj", ".venv"))).toBe("../home/venvs/abc");
    writeVenvPointer(join(root, "proj"), target);
    expect(readVenvPointer(join(root, "proj"))).toBe(target);
    writeVenvPointer(join(root, "proj"), undefined);
    expect(readVenvPointer(join(root, "proj"))).toBeUndefined();
  });
});
