/**
 * File-system faults named for what they are. A full disk or a read-only mount is not a
 * corrupt download, a missing Python or "an unexpected error": each gets its own words and
 * fix. The errno is looked for along the `cause` chain, because the failing write is often
 * wrapped (an extraction error, a DhtError of the step).
 */

export interface FileSystemProblem {
  code: string;
  /** "the disk is full", to follow "could not write X: ". */
  what: string;
  hint: string;
  /** The path the system call named, when it said. */
  path?: string;
}

const PROBLEMS: Record<string, Omit<FileSystemProblem, "code" | "path">> = {
  ENOSPC: { what: "the disk is full (no space left on device)", hint: "free some space there (or point DHT_HOME / TMPDIR at a disk with room), then run the command again; nothing was kept half-written" },
  EDQUOT: { what: "the disk quota is exceeded", hint: "free some space within your quota (or point DHT_HOME at another disk), then run the command again" },
  EROFS: { what: "the file system is read-only", hint: "run dhtl where it can write: a writable copy of the project, or DHT_HOME on a writable disk (a read-only project can use --local-venv)" },
  EACCES: { what: "permission denied", hint: "check the owner and permissions of that directory, or run dhtl as the user who owns it" },
  EPERM: { what: "the operation is not permitted", hint: "check the owner and permissions of that directory (and any immutable flags or mount options)" },
  EMFILE: { what: "too many open files", hint: "raise the limit (ulimit -n) and run the command again" },
  EIO: { what: "an input/output error (the disk or network file system failed)", hint: "check the disk or the network mount, then run the command again" },
};

/** The first errno-carrying error along the cause chain, described; undefined when there is none. */
export function describeFileSystemError(error: unknown): FileSystemProblem | undefined {
  for (let e = error as { code?: unknown; errno?: unknown; path?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === "string" ? e.code : undefined;
    if (code && PROBLEMS[code]) return { code, ...PROBLEMS[code]!, ...(typeof e.path === "string" ? { path: e.path } : {}) };
  }
  return undefined;
}
