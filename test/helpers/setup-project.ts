/**
 * Kit for `dhtl setup` end-to-end tests (setup helper): a fixture project in a temp dir, a
 * DHT_HOME seeded with the real pinned uv (taken from the uv wheel in .cache/test-assets),
 * pyenv interpreters made discoverable through PATH, and package installs served from the
 * find-links directory of real wheels (.cache/test-assets/setup-wheels) with no index, so
 * no test here touches the network.
 */
import { afterAll, beforeAll } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "./cli.ts";
import { pyenvVersionFor, pyenvRoot } from "./pbs.ts";

export const assetsDir = join(repoRoot, ".cache", "test-assets");
export const wheelsDir = join(assetsDir, "setup-wheels");
export const UV_PINNED = "0.13.9";

/** The real uv binary out of the pinned wheel (extracted once into .cache/test-assets/uv-bin). */
export function uvBinary(): string {
  const out = join(assetsDir, "uv-bin", UV_PINNED, "uv");
  if (existsSync(out)) return out;
  const wheelDir = join(assetsDir, "uv");
  const wheel = existsSync(wheelDir) ? readdirSync(wheelDir).find((f) => f.startsWith(`uv-${UV_PINNED}-`) && f.endsWith(".whl")) : undefined;
  if (!wheel) throw new Error(`the uv ${UV_PINNED} wheel is missing in ${wheelDir}: run bun scripts/fetch-test-assets.ts`);
  const tmp = mkdtempSync(join(tmpdir(), "uv-x-"));
  const r = Bun.spawnSync(["unzip", "-q", "-o", join(wheelDir, wheel), `uv-${UV_PINNED}.data/scripts/uv`, "-d", tmp]);
  if (r.exitCode !== 0) throw new Error(`unzip failed: ${r.stderr}`);
  mkdirSync(dirname(out), { recursive: true });
  const staged = `${out}.${process.pid}`;
  copyFileSync(join(tmp, `uv-${UV_PINNED}.data`, "scripts", "uv"), staged);
  chmodSync(staged, 0o755);
  renameSync(staged, out);
  return out;
}

/** A fresh DHT_HOME holding the pinned uv where ensureUv stores it. */
export function seededHome(): string {
  const home = mkdtempSync(join(tmpdir(), "dht-home-"));
  const dest = join(home, "tools", "uv", UV_PINNED);
  mkdirSync(dest, { recursive: true });
  copyFileSync(uvBinary(), join(dest, "uv"));
  chmodSync(join(dest, "uv"), 0o755);
  return home;
}

/** The bin dir of pyenv's CPython for a minor version ("3.11"), or undefined when absent. */
export function pyenvBin(minor: string): string | undefined {
  const v = pyenvVersionFor(minor);
  return v ? join(pyenvRoot(), "versions", v, "bin") : undefined;
}

export function writeProject(files: Record<string, string>, root = mkdtempSync(join(tmpdir(), "dht-proj-"))): string {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return root;
}

/** Copy a directory tree (examples/hello-project into a temp dir). */
export function copyTree(from: string, to = mkdtempSync(join(tmpdir(), "dht-proj-"))): string {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === ".venv" || entry.name === ".dht") continue;
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(dst, { recursive: true });
      copyTree(src, dst);
    } else copyFileSync(src, dst);
  }
  return to;
}

/**
 * Environment for a setup run: no index, the local wheels as find-links, pythons from the
 * given pyenv minors first on PATH, a uv cache shared between tests (content-addressed, safe
 * to share), no user config files.
 */
export function setupEnv(home: string, minors: string[] = ["3.11"], extra: Record<string, string> = {}): Record<string, string> {
  const bins = minors.map(pyenvBin).filter((b): b is string => Boolean(b));
  return {
    DHT_HOME: home,
    PATH: [...bins, "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    PIP_NO_INDEX: "1",
    PIP_FIND_LINKS: wheelsDir,
    PIP_CONFIG_FILE: "/dev/null",
    UV_NO_CONFIG: "1",
    UV_CACHE_DIR: join(repoRoot, ".cache", "uv-test-cache"),
    XDG_CONFIG_HOME: join(home, "xdg-config"),
    ...extra,
  };
}

/** setupEnv with an index instead of local find-links: the loopback index as the machine's mirror (PIP_INDEX_URL). */
export function indexSetupEnv(home: string, minors: string[], indexUrl: string): Record<string, string> {
  const env: Record<string, string | undefined> = setupEnv(home, minors, { PIP_INDEX_URL: indexUrl });
  delete env.PIP_NO_INDEX;
  delete env.PIP_FIND_LINKS;
  return env as Record<string, string>;
}

export const SMALL_PROJECT = {
  ".python-version": "3.11\n",
  "pyproject.toml": `[project]
name = "small"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["six>=1.16", "tabulate>=0.9"]
`,
};

/** Requires-Python of a wheel (its METADATA) or sdist (its PKG-INFO), as PyPI publishes it. */
export function requiresPythonOf(path: string): string | undefined {
  const r = path.endsWith(".whl")
    ? Bun.spawnSync(["unzip", "-p", path, "*.dist-info/METADATA"])
    : Bun.spawnSync(["sh", "-c", 'tar -xzOf "$1" --wildcards "*/PKG-INFO" 2>/dev/null | head -c 65536', "sh", path]);
  const head = r.stdout.toString().split(/\r?\n\r?\n/)[0] ?? "";
  return /^Requires-Python:\s*(.+)$/im.exec(head)?.[1]?.trim();
}

const escapeAttr = (s: string) => s.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/**
 * A PEP 503 "simple" index on 127.0.0.1 (random port) serving every wheel (and sdist) of the
 * given directories, with sha256 fragments and data-requires-python: what a private mirror of
 * PyPI looks like to uv, pip and dhtl's ensureUv. `requests` lists the paths asked for. With
 * `tls` (a certificate for 127.0.0.1 from test/helpers/tls.ts) it is an HTTPS index.
 */
export async function startWheelIndex(
  dirs: string[] = [wheelsDir, join(assetsDir, "uv")],
  auth?: { user: string; password: string },
  tls?: { cert: string; key: string },
) {
  const { readFileSync } = await import("node:fs");
  const files = new Map<string, string>();
  const projects = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".whl") || n.endsWith(".tar.gz"))) {
      const path = join(dir, f);
      files.set(`/files/${f}`, path);
      const sha = new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
      const stem = f.endsWith(".whl") ? f.split("-")[0]! : f.slice(0, -".tar.gz".length).replace(/-[^-]+$/, "");
      const project = stem.replace(/[-_.]+/g, "-").toLowerCase();
      const links = projects.get(project) ?? [];
      const rp = requiresPythonOf(path);
      links.push(`<a href="/files/${f}#sha256=${sha}"${rp ? ` data-requires-python="${escapeAttr(rp)}"` : ""}>${f}</a>`);
      projects.set(project, links);
    }
  }
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(tls ? { tls } : {}),
    fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(path);
      if (auth && req.headers.get("authorization") !== `Basic ${btoa(`${auth.user}:${auth.password}`)}`) {
        return new Response("unauthorized", { status: 401, headers: { "www-authenticate": 'Basic realm="test"' } });
      }
      const html = (body: string) => new Response(`<!DOCTYPE html><html><body>\n${body}\n</body></html>\n`, { headers: { "content-type": "text/html" } });
      if (path === "/simple/" || path === "/simple") return html([...projects.keys()].map((p) => `<a href="/simple/${p}/">${p}</a>`).join("\n"));
      const m = /^\/simple\/([^/]+)\/?$/.exec(path);
      if (m) {
        const links = projects.get(m[1]!.replace(/[-_.]+/g, "-").toLowerCase());
        return links ? html(links.join("<br>\n")) : new Response("not found", { status: 404 });
      }
      const file = files.get(decodeURIComponent(path));
      if (file) return new Response(Bun.file(file), { headers: { "content-type": "application/octet-stream" } });
      return new Response("not found", { status: 404 });
    },
  });
  return { indexUrl: `${tls ? "https" : "http"}://127.0.0.1:${server.port}/simple`, requests, stop: () => server.stop(true) };
}

/**
 * A loopback index of the shape wheels (test/e2e/setup-shapes-install, test-routes) and a
 * seeded DHT_HOME, started before a describe block's tests; `env()` points pip/uv (and so
 * dhtl) at the index, as a user points at a mirror.
 */
export function useShapeIndex(ready: boolean, dirs: string[]) {
  const state: { index?: Awaited<ReturnType<typeof startWheelIndex>>; home: string } = { home: "" };
  beforeAll(async () => {
    if (!ready) return;
    state.index = await startWheelIndex(dirs);
    state.home = seededHome();
  });
  afterAll(() => state.index?.stop());
  return {
    get index() {
      return state.index!;
    },
    get home() {
      return state.home;
    },
    env: (): Record<string, string> => indexSetupEnv(state.home, ["3.11"], state.index!.indexUrl),
  };
}
