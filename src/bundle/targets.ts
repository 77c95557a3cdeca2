/**
 * Target platforms of a bundle: parsing the --platform list, and mapping a platform key
 * ("linux-x86_64-gnu", the vocabulary of the Python build list) to what uv calls the same
 * target (`--python-platform`) and to file-name conventions (".exe" on Windows).
 * Pure functions.
 */
import { usageError } from "../errors.ts";

export const SUPPORTED_PLATFORMS = [
  "linux-x86_64-gnu",
  "linux-x86_64-musl",
  "linux-aarch64-gnu",
  "linux-aarch64-musl",
  "darwin-x86_64-none",
  "darwin-aarch64-none",
  "windows-x86_64-none",
  "windows-aarch64-none",
] as const;

export type BundlePlatformKey = (typeof SUPPORTED_PLATFORMS)[number];

export interface TargetPlatform {
  key: BundlePlatformKey;
  os: "linux" | "darwin" | "windows";
  arch: "x86_64" | "aarch64";
  libc: "gnu" | "musl" | "none";
}

/** Oldest glibc the wheels for linux-*-gnu targets must run on: manylinux_2_28 (RHEL 8, Debian 10, Ubuntu 18.10). */
export const DEFAULT_GLIBC = "2.28";
/** glibc versions uv 0.13 accepts in `--python-platform <arch>-manylinux_2_N`. */
const UV_MANYLINUX_MINORS = [17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40];

export function parsePlatformKey(key: string): TargetPlatform | undefined {
  const normalized = key.trim().toLowerCase().replace(/^macos-/, "darwin-");
  // Accept the libc-less spelling for darwin/windows ("darwin-aarch64").
  const full = /^(darwin|windows)-(x86_64|aarch64)$/.test(normalized) ? `${normalized}-none` : normalized;
  if (!(SUPPORTED_PLATFORMS as readonly string[]).includes(full)) return undefined;
  const [os, arch, libc] = full.split("-") as [TargetPlatform["os"], TargetPlatform["arch"], TargetPlatform["libc"]];
  return { key: full as BundlePlatformKey, os, arch, libc };
}

/** Parse `--platform a,b` (repeatable); order kept, duplicates dropped; empty → the host. */
export function parsePlatformList(values: string[], hostKey: string): TargetPlatform[] {
  const keys = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  if (keys.length === 0) keys.push(hostKey);
  const out: TargetPlatform[] = [];
  for (const key of keys) {
    const parsed = parsePlatformKey(key);
    if (!parsed) {
      throw usageError(`unknown platform "${key}"`, {
        subject: "--platform",
        hint: `use one or more of: ${SUPPORTED_PLATFORMS.join(", ")} (comma-separated)`,
      });
    }
    if (!out.some((p) => p.key === parsed.key)) out.push(parsed);
  }
  return out;
}

/** Validate `--glibc X.Y` against what uv can target. */
export function parseGlibc(value: string | undefined): string {
  const text = (value ?? DEFAULT_GLIBC).trim();
  const m = /^2\.(\d+)$/.exec(text);
  if (!m || !UV_MANYLINUX_MINORS.includes(Number(m[1]))) {
    throw usageError(`unsupported glibc version "${text}"`, {
      subject: "--glibc",
      hint: `use one of ${UV_MANYLINUX_MINORS.map((n) => `2.${n}`).join(", ")}: the oldest glibc of the machines that will use the bundle`,
    });
  }
  return text;
}

/**
 * uv's `--python-platform` value for a target. Linux gnu targets name the manylinux level
 * explicitly, so the wheels chosen run on every machine with at least that glibc (uv's own
 * "x86_64-unknown-linux-gnu" would silently mean manylinux_2_28).
 */
export function uvPythonPlatform(target: TargetPlatform, glibc = DEFAULT_GLIBC): string {
  switch (target.os) {
    case "linux":
      return target.libc === "musl" ? `${target.arch}-unknown-linux-musl` : `${target.arch}-manylinux_${glibc.replace(".", "_")}`;
    case "darwin":
      return `${target.arch}-apple-darwin`;
    case "windows":
      return `${target.arch}-pc-windows-msvc`;
  }
}

/**
 * uv's `--python-platform` for this machine, from its platform facts: on glibc Linux the
 * highest manylinux level uv knows that the machine's glibc satisfies (what its own
 * interpreter's tags accept), else the target's default.
 */
export function hostUvPythonPlatform(target: TargetPlatform, glibcVersion: string | undefined): string {
  const minor = /^2\.(\d+)/.exec(glibcVersion ?? "")?.[1];
  const fits = minor === undefined ? [] : UV_MANYLINUX_MINORS.filter((n) => n <= Number(minor));
  return uvPythonPlatform(target, fits.length ? `2.${fits.at(-1)}` : DEFAULT_GLIBC);
}

export const exeName = (target: Pick<TargetPlatform, "os">, base: string) => (target.os === "windows" ? `${base}.exe` : base);
