/**
 * Pure path rules for archive entries: what an entry name may be, how the top directory is
 * stripped, and whether a symlink target stays inside the extracted tree. Kept apart from
 * file-system effects so every hostile shape is unit-testable with plain strings.
 */

/** Why an entry is refused; the extractor adds the archive and entry names. */
export class EntryRefused extends Error {
  /** The entry the refusal is about, when it is not the one being read (symlinks checked at the end). */
  constructor(
    message: string,
    readonly entry?: string,
  ) {
    super(message);
  }
}

/**
 * Split an entry name into safe components: refuses absolute paths (`/x`, `C:\x`, `\\server`),
 * `..` anywhere, NUL bytes; drops `.` and empty components (`./a//b` → a, b).
 */
export function entryComponents(name: string, platform: string = process.platform): string[] {
  if (name.includes("\0")) throw new EntryRefused("has a NUL byte in its name");
  if (name.startsWith("/") || name.startsWith("\\") || /^[a-z]:/i.test(name)) {
    throw new EntryRefused("has an absolute path");
  }
  const parts: string[] = [];
  // Backslash counts as a separator everywhere: on Windows it is one, and "a\..\..\x" must
  // not pass as a single odd file name on Linux and then escape when extracted on Windows.
  for (const part of name.split(/[\\/]/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") throw new EntryRefused("has a '..' component (path traversal)");
    // "file:stream" would write an NTFS alternate data stream (or a drive-relative path).
    if (platform === "win32" && part.includes(":")) throw new EntryRefused("has a ':' in its name, which Windows cannot store safely");
    parts.push(part);
  }
  return parts;
}

export interface LayoutOptions {
  stripTopDir?: boolean;
  descendInto?: string;
}

/**
 * Map archive components to the components inside the target, or undefined when the entry
 * is outside what is extracted (the top dir itself; files outside `descendInto`).
 * With stripTopDir every entry must share one top directory (`python/`).
 */
export function layoutComponents(parts: string[], opts: LayoutOptions, state: { top?: string }): string[] | undefined {
  let rest = parts;
  if (opts.stripTopDir) {
    if (rest.length === 0) return undefined;
    const top = rest[0]!;
    state.top ??= top;
    if (top !== state.top) {
      throw new EntryRefused(`is outside the archive's single top directory '${state.top}/'`);
    }
    rest = rest.slice(1);
  }
  if (opts.descendInto) {
    const inner = opts.descendInto.split("/").filter(Boolean);
    if (rest.length < inner.length || inner.some((p, i) => rest[i] !== p)) return undefined;
    rest = rest.slice(inner.length);
  }
  return rest.length === 0 ? undefined : rest;
}

/**
 * Resolve a symlink target like the kernel would, inside a tree whose only symlinks are
 * `links` (path "a/b" → target). Returns the resolved components, or undefined when the
 * walk leaves the tree (absolute target, too many `..`, or through another link that
 * escapes) or loops. `linkPath` is the symlink's own location.
 */
export function resolveInsideTree(linkPath: string[], target: string, links: Map<string, string>, depth = 0): string[] | undefined {
  if (depth > 40) return undefined;
  if (target === "" || target.startsWith("/") || /^[a-z]:/i.test(target) || target.includes("\0") || target.includes("\\")) {
    return undefined;
  }
  const stack = linkPath.slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length === 0) return undefined;
      stack.pop();
      continue;
    }
    stack.push(part);
    const inner = links.get(stack.join("/"));
    if (inner !== undefined) {
      const resolved = resolveInsideTree(stack.slice(), inner, links, depth + 1);
      if (!resolved) return undefined;
      stack.splice(0, stack.length, ...resolved);
    }
  }
  return stack;
}

/**
 * Every symlink under `root` (a tree already on disk), checked the way the extractor checks
 * an archive's: resolved like the kernel would, through the tree's other links, it must stay
 * inside `root`. For a tree whose root is chosen after extraction (python-build-standalone
 * "full" archives keep the install under `install/`): a link that stayed inside the whole
 * archive can still leave `install/` (into another managed Python, once renamed).
 * Returns the first offending link (relative) and its target, or undefined.
 */
export function findEscapingLink(root: string): { link: string; target: string } | undefined {
  const { lstatSync, readdirSync, readlinkSync } = require("node:fs") as typeof import("node:fs");
  const { join } = require("node:path") as typeof import("node:path");
  const links = new Map<string, string>();
  const walk = (dir: string, prefix: string[]) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) links.set([...prefix, name].join("/"), readlinkSync(abs));
      else if (st.isDirectory()) walk(abs, [...prefix, name]);
    }
  };
  walk(root, []);
  for (const [link, target] of links) {
    if (!resolveInsideTree(link.split("/"), target, links)) return { link, target };
  }
  return undefined;
}
