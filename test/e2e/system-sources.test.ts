/**
 * The user-space sources a project configures itself (platform_deps.mapping): a portable
 * archive from a mirror and a source build into the payload, both sha256-pinned, each tool
 * checked by running it; a wrong pin is refused and named. Tiny fixtures built here
 * (a shell-script tool), served as file:// URLs.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dhtl } from "../helpers/cli.ts";
import { seededHome, setupEnv, writeProject } from "../helpers/setup-project.ts";

const make = Bun.which("make");
const sha = (file: string) => new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex");

function tarball(files: Record<string, string>, top: string): string {
  const dir = mkdtempSync(join(tmpdir(), "dht-src-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, top, rel, ".."), { recursive: true });
    writeFileSync(join(dir, top, rel), text);
    if (rel.startsWith("bin/") || rel === "hello") chmodSync(join(dir, top, rel), 0o755);
  }
  const out = join(dir, `${top}.tar.gz`);
  Bun.spawnSync(["tar", "-czf", out, "-C", dir, top]);
  return out;
}

describe("configured user-space sources", () => {
  test("a mirror archive and a source build, sha256-pinned, checked by running the tools", async () => {
    const archive = tarball({ "bin/fromarchive": "#!/bin/sh\necho fromarchive 1.0\n" }, "fromarchive-1.0");
    const source = tarball({ hello: "#!/bin/sh\necho hello 2.0\n", Makefile: "install:\n\tmkdir -p $(PREFIX)/bin\n\tcp hello $(PREFIX)/bin/hello\n" }, "hello-2.0");
    const config = `python: "3.11"
platform_deps:
  packages: [fromarchive${make ? ", hello" : ""}]
  mapping:
    fromarchive:
      tools: [fromarchive]
      userspace:
        distro: false
        archives:
          linux-x86_64-gnu: {url: "file://${archive}", sha256: "${sha(archive)}"}
    hello:
      tools: [hello]
      userspace:
        distro: false
        source: {url: "file://${source}", sha256: "${sha(source)}", build: [[make, "PREFIX={prefix}", install]]}
`;
    if (!make) console.error("note: no make here; the source-build half is skipped");
    const root = writeProject({ ".dhtconfig": config });
    const env = setupEnv(seededHome());
    const r = await dhtl(["setup", "--no-system", "--cwd", root], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("fromarchive: fromarchive 1.0, from file://");
    expect((await dhtl(["run", "--cwd", root, "fromarchive"], { env })).stdout.trim()).toBe("fromarchive 1.0");
    if (make) {
      expect(r.stderr).toContain("building hello: make PREFIX=");
      expect((await dhtl(["run", "--cwd", root, "hello"], { env })).stdout.trim()).toBe("hello 2.0");
    }

    const bad = writeProject({ ".dhtconfig": config.replace(sha(archive), "0".repeat(64)).replace(`, hello`, "") });
    const b = await dhtl(["setup", "--no-system", "--cwd", bad], { env });
    expect(b.code).toBe(3);
    expect(b.stderr).toContain("fromarchive (platform_deps.packages[0])");
    expect(b.stderr).toMatch(/mirror: .*sha256/i);
  }, 120_000);
});
