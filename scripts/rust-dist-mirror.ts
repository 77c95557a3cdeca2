/**
 * A rustup distribution mirror for test/e2e/build-toolchain.test.ts, laid out as
 * static.rust-lang.org (and its mirrors) serve it, built from the real Rust toolchain rustup
 * installed on this machine (~/.rustup/toolchains/stable-<triple>): static.rust-lang.org is out
 * of reach here, so the components are repacked from the installed files, each listed in the
 * toolchain's own `lib/rustlib/manifest-<component>` (rust-installer's format, version 3).
 *
 *   dist/channel-rust-stable.toml            v2 channel manifest: rustc, cargo, rust-std with
 *   dist/channel-rust-stable.toml.sha256     their sha256; URLs under https://static.rust-lang.org,
 *   dist/<date>/<pkg>-<ver>-<triple>.tar.gz  which rustup rewrites to RUSTUP_DIST_SERVER
 *   rustup/dist/<triple>/rustup-init(.sha256) rustup-init for RUSTUP_UPDATE_ROOT (the rustup
 *                                             binary of the real `rustup` wheel)
 *
 * Idempotent: a mirror whose manifest is there is kept.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";

const TRIPLE = "x86_64-unknown-linux-gnu";
const COMPONENTS = ["rustc", "cargo", "rust-std"];

export const rustToolchainDir = (home = process.env.RUSTUP_HOME ?? join(homedir(), ".rustup")) => join(home, "toolchains", `stable-${TRIPLE}`);

const sha256File = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");

/** Why the mirror cannot be built here, or undefined. */
export function rustMirrorUnavailable(toolchain = rustToolchainDir()): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return "the mirror is built for x86_64 Linux only";
  for (const c of COMPONENTS) if (!existsSync(join(toolchain, "lib", "rustlib", `manifest-${c}-${TRIPLE}`))) return `no rustup-installed stable toolchain with ${c} at ${toolchain}`;
  return undefined;
}

/** One component as rust-installer packs it: <pkg>-<ver>-<triple>/{rust-installer-version,components,<pkg>-<triple>/...}. */
function packComponent(toolchain: string, pkg: string, version: string, out: string): void {
  const full = `${pkg}-${TRIPLE}`;
  const top = `${pkg}-${version}-${TRIPLE}`;
  const entries = readFileSync(join(toolchain, "lib", "rustlib", `manifest-${full}`), "utf8").split(/\r?\n/).filter(Boolean);
  const stage = mkdtempSync(join(tmpdir(), "dht-rustpack-"));
  try {
    const base = join(stage, top);
    mkdirSync(join(base, full), { recursive: true });
    writeFileSync(join(base, "rust-installer-version"), "3\n");
    writeFileSync(join(base, "components"), `${full}\n`);
    writeFileSync(join(base, full, "manifest.in"), `${entries.join("\n")}\n`);
    for (const entry of entries) {
      const rel = entry.replace(/^(file|dir):/, "");
      mkdirSync(dirname(join(base, full, rel)), { recursive: true });
      symlinkSync(join(toolchain, rel), join(base, full, rel));
    }
    // -h: the staged symlinks are followed, so the tarball holds the installed files themselves.
    const r = Bun.spawnSync(["sh", "-c", 'tar -chf - -C "$1" "$2" | gzip -1 > "$3"', "sh", stage, top, out], { stdio: ["ignore", "ignore", "inherit"] });
    if (r.exitCode !== 0) throw new Error(`packing ${pkg} failed (exit ${r.exitCode})`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The rustup binary of the `rustup` wheel in `wheelDir`, written as rustup-init with its .sha256. */
function layRustupInit(wheelDir: string, out: string): void {
  const name = existsSync(wheelDir) ? readdirSync(wheelDir).find((f) => /^rustup-.*manylinux_2_17_x86_64.*\.whl$/.test(f)) : undefined;
  if (!name) throw new Error(`no rustup wheel in ${wheelDir}`);
  const wheel = join(wheelDir, name);
  const dir = join(out, "rustup", "dist", TRIPLE);
  mkdirSync(dir, { recursive: true });
  const r = Bun.spawnSync(["sh", "-c", 'unzip -p "$1" "rustup-*.data/scripts/rustup" > "$2" && chmod 755 "$2"', "sh", wheel, join(dir, "rustup-init")], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.exitCode !== 0) throw new Error(`unpacking rustup from ${wheel} failed`);
  writeFileSync(join(dir, "rustup-init.sha256"), `${sha256File(join(dir, "rustup-init"))}  rustup-init\n`);
}

export function buildRustDistMirror(out: string, rustupWheelDir: string, log: (line: string) => void = console.error, toolchain = rustToolchainDir()): void {
  if (existsSync(join(out, "dist", "channel-rust-stable.toml")) && existsSync(join(out, "rustup", "dist", TRIPLE, "rustup-init.sha256"))) return;
  const why = rustMirrorUnavailable(toolchain);
  if (why) throw new Error(why);
  const installed = readFileSync(join(toolchain, "lib", "rustlib", "multirust-channel-manifest.toml"), "utf8");
  const date = /^date = "([^"]+)"/m.exec(installed)?.[1] ?? "2000-01-01";
  const rustcVersion = Bun.spawnSync([join(toolchain, "bin", "rustc"), "--version"]).stdout.toString().trim(); // rustc 1.95.0 (59807616e 2026-04-14)
  const version = /^rustc (\d+\.\d+\.\d+)/.exec(rustcVersion)?.[1];
  if (!version) throw new Error(`${toolchain}/bin/rustc --version said ${JSON.stringify(rustcVersion)}`);
  log(`building test asset rust-dist: a rustup mirror of Rust ${version} repacked from ${toolchain} (~220 MB)`);
  rmSync(out, { recursive: true, force: true });
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "dist", date), { recursive: true });
  const url = (file: string) => `https://static.rust-lang.org/dist/${date}/${file}`;
  const lines = ['manifest-version = "2"', `date = "${date}"`, "", "[pkg.rust]", `version = "${rustcVersion.replace(/^rustc /, "")}"`, "", `[pkg.rust.target.${TRIPLE}]`, "available = true"];
  // The combined "rust" package is never downloaded by a v2 rustup (it installs components);
  // its URL and hash are required by the format only.
  lines.push(`url = "${url(`rust-${version}-${TRIPLE}.tar.gz`)}"`, `hash = "${"0".repeat(64)}"`, "");
  for (const pkg of COMPONENTS) lines.push(`[[pkg.rust.target.${TRIPLE}.components]]`, `pkg = "${pkg}"`, `target = "${TRIPLE}"`, "");
  for (const pkg of COMPONENTS) {
    const file = `${pkg}-${version}-${TRIPLE}.tar.gz`;
    packComponent(toolchain, pkg, version, join(tmp, "dist", date, file));
    lines.push(`[pkg.${pkg}]`, `version = "${version}"`, "", `[pkg.${pkg}.target.${TRIPLE}]`, "available = true", `url = "${url(file)}"`, `hash = "${sha256File(join(tmp, "dist", date, file))}"`, "");
  }
  lines.push("[profiles]", `minimal = [${COMPONENTS.map((c) => `"${c}"`).join(", ")}]`, "", "[renames]", "");
  const manifest = join(tmp, "dist", "channel-rust-stable.toml");
  writeFileSync(manifest, lines.join("\n"));
  writeFileSync(`${manifest}.sha256`, `${sha256File(manifest)}  channel-rust-stable.toml\n`);
  layRustupInit(rustupWheelDir, tmp);
  renameSync(tmp, out);
}
