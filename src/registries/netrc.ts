/**
 * ~/.netrc (or $NETRC): `machine HOST login USER password SECRET`, plus a `default` entry.
 * pip (through requests) and uv both read it; dhtl reads it to tell the user which index has
 * credentials and to hand them to the installer it runs, never to copy them anywhere.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface NetrcEntry {
  machine: string | null; // null = default
  login?: string;
  password?: string;
}

/** Tokenise the whole file (entries may span lines); `macdef` bodies run to a blank line. */
export function parseNetrc(text: string): NetrcEntry[] {
  const entries: NetrcEntry[] = [];
  const lines = text.split(/\r?\n/);
  const tokens: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*#/.test(line)) continue;
    const words = line.match(/"[^"]*"|\S+/g) ?? [];
    for (let w = 0; w < words.length; w++) {
      if (words[w] === "macdef") {
        // Skip the macro name and its body (until an empty line).
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== "") i++;
        break;
      }
      tokens.push(words[w]!.replace(/^"(.*)"$/, "$1"));
    }
  }
  let current: NetrcEntry | undefined;
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    if (tok === "machine") {
      current = { machine: tokens[++t] ?? "" };
      entries.push(current);
    } else if (tok === "default") {
      current = { machine: null };
      entries.push(current);
    } else if (current && (tok === "login" || tok === "password" || tok === "account")) {
      const value = tokens[++t];
      if (tok === "login") current.login = value;
      if (tok === "password") current.password = value;
    }
  }
  return entries;
}

/** $NETRC, else ~/.netrc (and ~/_netrc on Windows). */
export function netrcPath(env: Record<string, string | undefined>, home = env.HOME ?? homedir()): string | undefined {
  if (env.NETRC) return existsSync(env.NETRC) ? env.NETRC : undefined;
  for (const name of [".netrc", "_netrc"]) {
    const p = join(home, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The entry for a host (exact machine name first, then `default`). */
export function netrcLookup(entries: NetrcEntry[], host: string): NetrcEntry | undefined {
  const h = host.toLowerCase();
  return entries.find((e) => e.machine?.toLowerCase() === h) ?? entries.find((e) => e.machine === null);
}

export function readNetrc(path: string): NetrcEntry[] {
  return parseNetrc(readFileSync(path, "utf8"));
}
