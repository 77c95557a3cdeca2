/**
 * The one way dhtl reads a file a project (or anyone who can write into it) provides:
 * requirement files, pyproject.toml, Pipfile, lock files, .python-version, .dhtconfig.
 *
 *  - only regular files: a link to /dev/zero, a fifo (which would block the read forever), a
 *    socket or a directory is refused by name, before it is opened; the file is opened
 *    non-blocking and checked again through its descriptor, so a swap after the check
 *    cannot make the read hang;
 *  - at most `maxBytes` (default 16 MiB, far above any real project file) are read; a larger
 *    file is refused with its size, never loaded whole;
 *  - whether the file really lies outside the project (a symlink to /etc/shadow) is reported,
 *    so callers can refuse it or keep its contents out of their messages.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { dirname, join, relative, isAbsolute } from "node:path";
import { DhtError, ExitCode } from "../errors.ts";

export const MAX_PROJECT_FILE_BYTES = 16 * 1024 * 1024;

export interface ProjectBytes {
  bytes: Buffer;
  /** The file's real path (symlinks resolved). */
  real: string;
  /** True when the real path is not inside `boundary`. */
  outside: boolean;
}

export interface ReadProjectFileOptions {
  /** How the file is named in messages ("requirements.txt", ".dhtconfig"). */
  display: string;
  /** The project's directory; files whose real path leaves it are marked `outside`. */
  boundary?: string;
  maxBytes?: number;
  /** What the file is for, in the size message ("a requirements file"). */
  what?: string;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isFIFO()) return "a fifo (named pipe)";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isSocket()) return "a socket";
  return "not a regular file";
}

function notRegular(display: string, kind: string): DhtError {
  return new DhtError(ExitCode.usage, `${display} is ${kind}; dhtl reads project files only when they are regular files`, {
    subject: display,
    hint: `replace ${display} with a regular file (or a symlink to one)`,
  });
}

/** Is `path` (real) inside `dir` (real)? */
function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export type ProjectText = Omit<ProjectBytes, "bytes"> & { text: string };

/** readProjectBytes decoded as UTF-8 (invalid sequences become U+FFFD). */
export function readProjectText(path: string, opts: ReadProjectFileOptions): ProjectText | undefined {
  const read = readProjectBytes(path, opts);
  return read && { text: read.bytes.toString("utf8"), real: read.real, outside: read.outside };
}

/**
 * Read a project file with the rules above. Returns undefined when it does not exist
 * (callers decide whether that is an error); every other problem is a DhtError (exit 2).
 */
export function readProjectBytes(path: string, opts: ReadProjectFileOptions): ProjectBytes | undefined {
  const max = opts.maxBytes ?? MAX_PROJECT_FILE_BYTES;
  let st: Stats;
  try {
    st = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (code === "ELOOP") {
      throw new DhtError(ExitCode.usage, `${opts.display} is a symlink loop (it leads back to itself)`, {
        subject: opts.display,
        hint: `fix or remove the symlink ${opts.display}`,
        cause: error,
      });
    }
    throw new DhtError(ExitCode.usage, `cannot read ${opts.display}: ${code === "EACCES" ? "permission denied" : (code ?? String(error))}`, {
      subject: opts.display,
      hint: code === "EACCES" ? "check the file's permissions" : `check ${opts.display}`,
      cause: error,
    });
  }
  if (!st.isFile()) throw notRegular(opts.display, kindOf(st));
  if (st.size > max) throw tooLarge(opts, st.size, max);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (process.platform === "win32" ? 0 : constants.O_NONBLOCK));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DhtError(ExitCode.usage, `cannot read ${opts.display}: ${code === "EACCES" ? "permission denied" : (code ?? String(error))}`, {
      subject: opts.display,
      hint: "check the file's permissions",
      cause: error,
    });
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile()) throw notRegular(opts.display, kindOf(now));
    // Read at most max + 1 bytes, whatever the size said: a file that grows while it is read
    // is still bounded.
    const buffer = Buffer.alloc(Math.min(now.size, max) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) {
        if (length > max) throw tooLarge(opts, length, max);
        break;
      }
    }
    const real = realOr(path);
    const outside = opts.boundary !== undefined && !inside(real, realOr(opts.boundary));
    return { bytes: buffer.subarray(0, length), real, outside };
  } finally {
    closeSync(fd);
  }
}

function tooLarge(opts: ReadProjectFileOptions, size: number, max: number): DhtError {
  return new DhtError(ExitCode.usage, `${opts.display} is ${size} bytes; dhtl reads ${opts.what ?? "project files"} of at most ${max} bytes`, {
    subject: opts.display,
    hint: `${opts.display} is far larger than any real one: check that it is the file you meant`,
    details: { size, max },
  });
}

/**
 * The directory a project's files must stay in: the enclosing repository (nearest ancestor
 * with `.git`), else the nearest ancestor with a `.dhtconfig` (a monorepo's top), else
 * `root` itself. A monorepo environment's `-r ../../common.txt` stays inside; `-r /etc/passwd`
 * does not.
 */
export function projectBoundary(root: string): string {
  let withConfig: string | undefined;
  for (let dir = root; ; dir = dirname(dir)) {
    if (exists(join(dir, ".git"))) return dir;
    if (withConfig === undefined && exists(join(dir, ".dhtconfig"))) withConfig = dir;
    if (dirname(dir) === dir) break;
  }
  return withConfig ?? root;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
