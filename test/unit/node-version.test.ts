import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { archiveName, indexFileKey, mirrorBase, nodePlatform, parseDistIndex, parseShasums } from "../../src/languages/node/dist.ts";
import { detectNodeRequest, packageJsonEngine, toolVersionsNode, versionFileLine } from "../../src/languages/node/files.ts";
import { best, nearestPatch, parseNodeRequest, parseVersion, satisfies, type Version } from "../../src/languages/node/version.ts";
import { loadConfigSource } from "../../src/config/load.ts";

const v = (s: string) => parseVersion(s)!;
const ok = (req: string, ver: string) => satisfies(v(ver), parseNodeRequest(req)!);

describe("Node.js version requests", () => {
  test.each([
    ["20.10.0", "20.10.0", true],
    ["v20.10.0", "20.10.0", true],
    ["20.10.0", "20.10.1", false],
    ["20", "20.18.0", true],
    ["20", "21.0.0", false],
    ["20.10", "20.10.7", true],
    ["20.x", "20.1.0", true],
    [">=18 <21", "20.1.0", true],
    [">=18 <21", "21.0.0", false],
    ["^20.10", "20.99.0", true],
    ["^20.10", "21.0.0", false],
    ["~20.10.1", "20.10.9", true],
    ["~20.10.1", "20.11.0", false],
    ["18 || 20", "20.0.0", true],
    ["18 || 20", "19.0.0", false],
    ["18.0.0 - 20.5.0", "20.5.0", true],
    ["node", "22.0.0", true],
  ] as const)("%s accepts %s: %s", (req, ver, expected) => {
    expect(ok(req, ver)).toBe(expected);
  });
  test("lts/* and lts/<codename> use the mirror's lts field", () => {
    const lts = (x: Version) => (x[0] === 20 ? "Iron" : x[0] === 18 ? "Hydrogen" : false);
    expect(satisfies(v("20.10.0"), parseNodeRequest("lts/*")!, lts)).toBe(true);
    expect(satisfies(v("21.0.0"), parseNodeRequest("lts/*")!, lts)).toBe(false);
    expect(satisfies(v("18.19.0"), parseNodeRequest("lts/hydrogen")!, lts)).toBe(true);
  });
  test("nonsense is not a request", () => {
    expect(parseNodeRequest("twenty")).toBeUndefined();
    expect(parseNodeRequest("")).toBeUndefined();
  });
  test("the newest fitting version; for an exact request the nearest other patch of its minor", () => {
    const all = ["20.10.0", "20.10.3", "20.11.1", "18.19.0"].map(v);
    expect(best(all, parseNodeRequest("20")!)).toEqual(v("20.11.1"));
    expect(nearestPatch(all, parseNodeRequest("20.10.5")!)).toEqual(v("20.10.3"));
    expect(nearestPatch(all, parseNodeRequest("20.12.0")!)).toBeUndefined();
  });
});

describe("where a project asks for Node.js", () => {
  test("file formats", () => {
    expect(versionFileLine("# comment\n\nv20.10.0\n")).toEqual({ value: "v20.10.0", line: 3 });
    expect(toolVersionsNode("python 3.11.7\nnodejs 20.10.0 # pinned\n")).toEqual({ value: "20.10.0", line: 2 });
    expect(toolVersionsNode("node 22\n")).toEqual({ value: "22", line: 1 });
    expect(packageJsonEngine('{"engines": {"node": ">=18 <21"}}')).toBe(">=18 <21");
    expect(packageJsonEngine("{not json")).toBeUndefined();
  });
  test("order: .dhtconfig, then .nvmrc, .node-version, .tool-versions, package.json; the environment before the root", () => {
    const root = mkdtempSync(join(tmpdir(), "node-req-"));
    const env = join(root, "frontend");
    require("node:fs").mkdirSync(env);
    writeFileSync(join(root, ".nvmrc"), "18\n");
    writeFileSync(join(env, "package.json"), '{"engines": {"node": "^20.10"}}');
    writeFileSync(join(env, ".tool-versions"), "nodejs 20.11.0\n");
    expect(detectNodeRequest([env, root])).toEqual({ request: "20.11.0", origin: `${join(env, ".tool-versions")}:1` });
    writeFileSync(join(env, ".node-version"), "20.10.0\n");
    expect(detectNodeRequest([env, root])!.request).toBe("20.10.0");
    expect(detectNodeRequest([root])).toEqual({ request: "18", origin: `${join(root, ".nvmrc")}:1` });
    expect(detectNodeRequest([env, root], { request: "22", origin: ".dhtconfig:3" })!.request).toBe("22");
  });
});

describe("a nodejs.org-shaped mirror", () => {
  test("DHT_NODE_MIRROR, else NODEJS_ORG_MIRROR, else nodejs.org", () => {
    expect(mirrorBase({ DHT_NODE_MIRROR: "https://m/dist/", NODEJS_ORG_MIRROR: "https://n" })).toEqual({ base: "https://m/dist", origin: "env DHT_NODE_MIRROR" });
    expect(mirrorBase({ NODEJS_ORG_MIRROR: "https://n/dist" }).origin).toBe("env NODEJS_ORG_MIRROR");
    expect(mirrorBase({}).base).toBe("https://nodejs.org/dist");
  });
  test("platform names and archive names as nodejs.org writes them", () => {
    expect(nodePlatform({ os: "linux", arch: "x86_64", libc: { family: "gnu" } })).toBe("linux-x64");
    expect(nodePlatform({ os: "linux", arch: "aarch64", libc: { family: "musl" } })).toBe("linux-arm64-musl");
    expect(nodePlatform({ os: "darwin", arch: "aarch64", libc: { family: "none" } })).toBe("darwin-arm64");
    expect(indexFileKey("darwin-arm64")).toBe("osx-arm64-tar");
    expect(indexFileKey("win-x64")).toBe("win-x64-zip");
    expect(archiveName("20.10.0", "win-x64")).toBe("node-v20.10.0-win-x64.zip");
  });
  test("index.json and SHASUMS256.txt", () => {
    const rel = parseDistIndex('[{"version":"v20.10.0","files":["linux-x64"],"lts":"Iron"},{"version":"v21.0.0","files":[],"lts":false},{"version":"junk"}]');
    expect(rel).toEqual([
      { version: [20, 10, 0], lts: "Iron", files: ["linux-x64"] },
      { version: [21, 0, 0], lts: false, files: [] },
    ]);
    const sums = parseShasums(`${"a".repeat(64)}  node-v20.10.0-linux-x64.tar.gz\n${"B".repeat(64)} *node-v20.10.0.pkg\nnot a line\n`);
    expect(sums.get("node-v20.10.0-linux-x64.tar.gz")).toBe("a".repeat(64));
    expect(sums.get("node-v20.10.0.pkg")).toBe("b".repeat(64));
  });
});

describe(".dhtconfig: languages, platform_deps, version 2.0, environments.default", () => {
  test("node as a version or a mapping; numbers as written", () => {
    expect(loadConfigSource("languages: {node: 20.10}\n").config.languages).toEqual({ node: { version: "20.10" } });
    expect(loadConfigSource('languages:\n  node: {version: "20", install: true}\n').config.languages?.node).toEqual({ version: "20", install: true });
  });
  test("a language dhtl cannot provide is an error, not a warning", () => {
    expect(() => loadConfigSource('languages: {ruby: "3.3"}\n')).toThrow(/languages\.ruby: dhtl provides only node/);
  });
  test('version 1 and "2.0" are both read', () => {
    expect(loadConfigSource('version: "2.0"\n').config.version).toBe("2.0");
    expect(loadConfigSource("version: 2.0\n").config.version).toBe("2.0");
    expect(loadConfigSource("version: 1\n").config.version).toBe("1");
  });
  test("platform_deps: a list means logical names; per OS lists too; raw names split at spaces", () => {
    expect(loadConfigSource("platform_deps: [postgresql-client, redis]\n").config.platform_deps).toEqual({ packages: ["postgresql-client", "redis"] });
    expect(loadConfigSource("platform_deps:\n  linux: [redis]\n  darwin: {brew: libpq openssl}\n").config.platform_deps).toEqual({ linux: { packages: ["redis"] }, darwin: { brew: ["libpq", "openssl"] } });
    expect(() => loadConfigSource("platform_deps:\n  mapping:\n    x: {userspace: {source: {url: https://e/x.tgz, sha256: abc, build: [[make]]}}}\n")).toThrow(/sha256/);
  });
});
