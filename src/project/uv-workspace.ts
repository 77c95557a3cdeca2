/**
 * uv workspaces: a pyproject.toml with `[tool.uv.workspace] members = [...]` (globs) and
 * `exclude = [...]`, one uv.lock at the workspace root for every member. To dhtl each member
 * is an environment of its own (its own .venv, Python and dependencies), installed from the
 * workspace's lock with `uv sync --frozen --package <name>` (or its export), never resolved
 * as a standalone project. Found from any directory inside the workspace, so `cd member &&
 * dhtl setup` and `--env packages/api` and `--all-environments` agree.
 *
 * Reads files only (no uv); the globs are matched the way uv does: relative to the root, a
 * member is a matching directory that holds a pyproject.toml, minus the excluded ones.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { readProjectText } from "./read-project-file.ts";

export interface UvWorkspace {
  /** The directory of the pyproject.toml declaring [tool.uv.workspace]. */
  root: string;
  /** Member directories relative to the root ("/"-separated, sorted); the root itself is not listed. */
  members: string[];
  /** Member directory → its project name ([project] name). */
  names: Record<string, string>;
  /** The root is a package too ([project] in its pyproject.toml). */
  rootIsPackage: boolean;
  rootName?: string;
  /** The workspace's uv.lock, when there is one. */
  lock?: string;
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);
const toPosix = (p: string) => (sep === "/" ? p : p.split(sep).join("/"));

function readToml(path: string): Table | undefined {
  try {
    // Bounded, regular files only (read-project-file.ts): a fifo or /dev/zero link is no workspace.
    const text = readProjectText(path, { display: path })?.text;
    return text === undefined ? undefined : (Bun.TOML.parse(text) as Table);
  } catch {
    return undefined;
  }
}

const projectName = (data: Table | undefined) => (isTable(data?.project) && typeof data.project.name === "string" ? data.project.name : undefined);

/** The workspace declared by the pyproject.toml at `root`, members expanded; undefined when it declares none. */
export function readUvWorkspace(root: string, data = readToml(join(root, "pyproject.toml"))): UvWorkspace | undefined {
  const tool = isTable(data?.tool) && isTable(data.tool.uv) ? data.tool.uv : undefined;
  const ws = tool && isTable(tool.workspace) ? tool.workspace : undefined;
  if (!ws) return undefined;
  const patterns = Array.isArray(ws.members) ? ws.members.filter((m): m is string => typeof m === "string") : [];
  const excludes = (Array.isArray(ws.exclude) ? ws.exclude.filter((m): m is string => typeof m === "string") : []).map((e) => new Bun.Glob(e.replace(/\/+$/, "")));
  const members = new Set<string>();
  for (const pattern of patterns) {
    const clean = pattern.replace(/^\.\//, "").replace(/\/+$/, "");
    const hits = /[*?[{]/.test(clean) ? [...new Bun.Glob(clean).scanSync({ cwd: root, onlyFiles: false, dot: false })] : [clean];
    for (const hit of hits) {
      const rel = toPosix(hit).replace(/\/+$/, "");
      if (!rel || rel === "." || excludes.some((g) => g.match(rel))) continue;
      const abs = join(root, rel);
      if (existsSync(join(abs, "pyproject.toml")) && statSync(abs).isDirectory()) members.add(rel);
    }
  }
  const sorted = [...members].sort();
  const names: Record<string, string> = {};
  for (const m of sorted) {
    const name = projectName(readToml(join(root, m, "pyproject.toml")));
    if (name) names[m] = name;
  }
  const rootName = projectName(data);
  return {
    root,
    members: sorted,
    names,
    rootIsPackage: Boolean(rootName),
    ...(rootName ? { rootName } : {}),
    ...(existsSync(join(root, "uv.lock")) ? { lock: join(root, "uv.lock") } : {}),
  };
}

/**
 * The workspace `dir` belongs to (as its root, a member, or a directory inside one), looking
 * upwards from `dir`; the search stops at a repository root (.git). A directory that is only
 * under the workspace root without being a member is not part of it.
 */
export function findUvWorkspace(dir: string): UvWorkspace | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, "pyproject.toml"))) {
      const ws = readUvWorkspace(d);
      if (ws) return d === resolve(dir) || memberContaining(ws, dir) ? ws : undefined;
    }
    if (existsSync(join(d, ".git")) || dirname(d) === d) return undefined;
  }
}

/** The member directory (relative) that holds `dir`, if any. */
export function memberContaining(ws: UvWorkspace, dir: string): string | undefined {
  const rel = toPosix(relative(ws.root, resolve(dir)));
  if (!rel || rel.startsWith("..")) return undefined;
  return ws.members.filter((m) => rel === m || rel.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0];
}
