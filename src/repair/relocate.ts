/**
 * A venv built at one path and renamed to another (`dhtl fix-env --deep` builds beside the
 * old venv, then swaps): what names the build path is rewritten to the final one before the
 * swap. uv's relocatable venvs name no path; a venv made by `python -m venv` and pip does:
 * the shebangs of console scripts (`#!/p/.venv.dht-new/bin/python`, or pip's `/bin/sh`
 * wrapper for long paths), the activate scripts (VIRTUAL_ENV=…), pyvenv.cfg's `command =`
 * line, and, on Windows, the shebang inside pip's .exe launchers (a launcher, the shebang
 * line, then a zip whose offsets count from its own start, so the line may change length).
 * The final path is always shorter than the build path (`.venv` vs `.venv.dht-new`), so a
 * shebang form chosen for the longer one fits the shorter.
 *
 * Rewritten files get their RECORD rows (sha256, size) updated, so `diagnose --deep` finds
 * them intact.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseRecord, recordHash } from "./dists.ts";

/** `bytes` with every occurrence of `from` replaced by `to`, or undefined when there is none. */
export function replacePath(bytes: Buffer, from: string, to: string): Buffer | undefined {
  const needle = Buffer.from(from);
  let at = bytes.indexOf(needle);
  if (at < 0) return undefined;
  const parts: Buffer[] = [];
  let start = 0;
  const repl = Buffer.from(to);
  while (at >= 0) {
    parts.push(bytes.subarray(start, at), repl);
    start = at + needle.length;
    at = bytes.indexOf(needle, start);
  }
  parts.push(bytes.subarray(start));
  return Buffer.concat(parts);
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * RECORD's text with the rows of these files (absolute path → new bytes) given their new
 * hash and size; other rows are left exactly as they were.
 */
export function updateRecord(text: string, site: string, changed: Map<string, Buffer>): string | undefined {
  let touched = false;
  const lines = text.split(/(?<=\n)/).map((line) => {
    const entry = parseRecord(line)[0];
    const bytes = entry && changed.get(resolve(site, entry.path));
    if (!entry || !bytes) return line;
    touched = true;
    const eol = /\r?\n$/.exec(line)?.[0] ?? "";
    return `${csvField(entry.path)},${recordHash(bytes)},${bytes.length}${eol}`;
  });
  return touched ? lines.join("") : undefined;
}

function regularFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  // Links (python -> the base interpreter) are not the venv's to rewrite.
  return names.map((n) => join(dir, n)).filter((p) => {
    try {
      return lstatSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/** The files of a venv that may name its own path: bin/ (Scripts/) and pyvenv.cfg. */
function candidates(venv: string, windows: boolean): string[] {
  return [...regularFiles(join(venv, windows ? "Scripts" : "bin")), join(venv, "pyvenv.cfg")];
}

/** Those of them that still name `path`. */
export function filesNaming(venv: string, path: string, windows: boolean): string[] {
  const needle = Buffer.from(path);
  return candidates(venv, windows).filter((f) => {
    try {
      return readFileSync(f).includes(needle);
    } catch {
      return false;
    }
  });
}

/**
 * Rewrite the venv at `venv` (built there) to name `finalPath` instead, and update the
 * RECORD rows of the files rewritten. Returns the files rewritten.
 */
export function relocateVenv(venv: string, finalPath: string, site: string, windows: boolean): string[] {
  const changed = new Map<string, Buffer>();
  // The build path as given and as the interpreter may have seen it (a /tmp that is a link).
  let real = venv;
  try {
    real = realpathSync(venv);
  } catch {}
  for (const file of candidates(venv, windows)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    const once = replacePath(bytes, venv, finalPath);
    const next = real !== venv ? (replacePath(once ?? bytes, real, finalPath) ?? once) : once;
    if (!next) continue;
    writeFileSync(file, next);
    changed.set(resolve(file), next);
  }
  if (!changed.size) return [];
  let dirs: string[] = [];
  try {
    dirs = readdirSync(site).filter((d) => d.endsWith(".dist-info"));
  } catch {}
  for (const dir of dirs) {
    const record = join(site, dir, "RECORD");
    let text: string;
    try {
      text = readFileSync(record, "utf8");
    } catch {
      continue;
    }
    const updated = updateRecord(text, site, changed);
    if (updated !== undefined) writeFileSync(record, updated);
  }
  return [...changed.keys()];
}
