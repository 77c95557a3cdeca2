/**
 * What a setup depends on, hashed: the project's declaration files (config, pyproject,
 * lock and requirement files with their includes, Python version files), the flags and
 * environment variables that change the result, and the dhtl version. Files that could
 * appear later (a new uv.lock) are recorded as absent, so their arrival is a change too.
 *
 * Deliberately light: no imports beyond node:fs/node:path, because the no-op check
 * (noop-check.ts) runs this on every `dhtl setup` and must stay in the tens of ms.
 */
import { readProjectBytes } from "../../project/read-project-file.ts";
import { join } from "node:path";
import type { ProbeRecord } from "../../env/checkpoints.ts";

/** Files in an environment directory whose appearance or change alters the setup. */
export const CANDIDATE_FILES = [
  ".dhtconfig",
  ".dhtconfig.yaml",
  ".nvmrc",
  ".node-version",
  "package.json",
  "package-lock.json",
  ".dhtconfig.yml",
  "pyproject.toml",
  "uv.lock",
  "poetry.lock",
  "pdm.lock",
  "Pipfile",
  "Pipfile.lock",
  "requirements.txt",
  "requirements-dev.txt",
  "requirements-test.txt",
  "dev-requirements.txt",
  "test-requirements.txt",
  "setup.py",
  "setup.cfg",
  ".python-version",
  ".tool-versions",
  "runtime.txt",
];

/** Environment variables that change what setup does (values are hashed, never stored). */
export const SETTINGS_ENV_VARS = [
  "DHT_PYTHON",
  "DHT_OFFLINE",
  "DHT_HOME",
  "DHT_PYTHON_MIRROR",
  "DHT_PYTHON_DOWNLOADS_JSON",
  "DHT_UV",
  "DHT_LOCAL_VENV",
  "DHT_NODE_MIRROR",
  "NODEJS_ORG_MIRROR",
  "UV_INDEX_URL",
  "UV_DEFAULT_INDEX",
  "UV_INDEX",
  "UV_EXTRA_INDEX_URL",
  "UV_FIND_LINKS",
  "UV_PYTHON",
  "PIP_INDEX_URL",
  "PIP_EXTRA_INDEX_URL",
  "PIP_FIND_LINKS",
  "PIP_TRUSTED_HOST",
];

export function sha256Hex(data: string | Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

export function hashFile(path: string): string | null {
  try {
    // Bounded, regular files only: a link to /dev/zero or a fifo must not hang or exhaust
    // the no-op check (the real read then names the problem).
    const read = readProjectBytes(path, { display: path });
    return read ? sha256Hex(read.bytes) : null;
  } catch {
    return null;
  }
}

export function probeFiles(paths: Iterable<string>): ProbeRecord[] {
  const unique = [...new Set(paths)].sort();
  return unique.map((path) => ({ path, sha256: hashFile(path) }));
}

/** The candidate files of each directory, plus the files the project actually references. */
export function probePaths(dirs: string[], referenced: string[]): string[] {
  const out = new Set<string>();
  for (const dir of dirs) for (const name of CANDIDATE_FILES) out.add(join(dir, name));
  for (const file of referenced) out.add(file);
  return [...out];
}

/** Flags (normalised) and env vars that change the setup, as one digest. */
export function computeSettingsKey(flags: Record<string, unknown>, env: Record<string, string | undefined>, dhtVersion: string): string {
  const picked: Record<string, unknown> = { dhtVersion };
  for (const [k, v] of Object.entries(flags).sort(([a], [b]) => a.localeCompare(b))) {
    if (v !== undefined && v !== false && v !== "") picked[`flag:${k}`] = v;
  }
  for (const name of SETTINGS_ENV_VARS) if (env[name] !== undefined) picked[`env:${name}`] = env[name];
  return sha256Hex(JSON.stringify(picked));
}

export function computeInputsHash(settingsKey: string, probes: ProbeRecord[], extra: unknown = null): string {
  return sha256Hex(JSON.stringify({ settingsKey, probes, extra }));
}

/** Re-hash recorded probes; true when every file is unchanged (or still absent). */
export function probesUnchanged(probes: ProbeRecord[]): boolean {
  for (const probe of probes) if (hashFile(probe.path) !== probe.sha256) return false;
  return true;
}
