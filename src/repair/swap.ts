/**
 * Swapping a rebuilt venv into the old one's place so that at every instant the venv path
 * holds either the old venv or the new one, never neither.
 *
 * Linux: renameat2(RENAME_EXCHANGE) through bun:ffi exchanges the two directories in one
 * system call (the kernel guarantees both names exist throughout). Elsewhere, or on a file
 * system that refuses the exchange (EINVAL on some FUSE and network mounts): two renames
 * with a journal (`.dht/repair-swap.json`) written first, so a run killed between them is
 * finished by the next dhtl (`recoverSwap`: `dhtl setup`, `fix-env`, `diagnose`), which puts
 * the old venv back when the new one never arrived.
 */
import { existsSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../env/checkpoints.ts";

/** The journal's name in the project's state directory (.dht/). */
export const SWAP_JOURNAL = "repair-swap.json";
const JOURNAL = SWAP_JOURNAL;

export interface SwapJournal {
  /** The venv path (what must always hold a venv). */
  venv: string;
  /** Where the old venv is moved while the new one takes its place. */
  aside: string;
  /** The new venv's build path. */
  staged: string;
  pid: number;
}

export function readSwapJournal(stateDir: string): SwapJournal | undefined {
  try {
    const j = JSON.parse(readFileSync(join(stateDir, JOURNAL), "utf8")) as SwapJournal;
    return typeof j.venv === "string" && typeof j.aside === "string" && typeof j.staged === "string" ? j : undefined;
  } catch {
    return undefined;
  }
}

function clearJournal(stateDir: string): void {
  try {
    unlinkSync(join(stateDir, JOURNAL));
  } catch {
    /* absent */
  }
}

let renameat2: ((from: string, to: string) => number) | undefined | null;

/** renameat2 from the C library, or null where there is none (not Linux, no glibc/musl symbol). */
function loadRenameat2(): typeof renameat2 {
  if (renameat2 !== undefined) return renameat2;
  renameat2 = null;
  if (process.platform !== "linux") return renameat2;
  try {
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    for (const lib of ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"]) {
      try {
        const { symbols } = dlopen(lib, { renameat2: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 } });
        const AT_FDCWD = -100;
        const RENAME_EXCHANGE = 2;
        renameat2 = (from, to) => {
          const a = Buffer.from(`${from}\0`);
          const b = Buffer.from(`${to}\0`);
          return symbols.renameat2(AT_FDCWD, ptr(a), AT_FDCWD, ptr(b), RENAME_EXCHANGE) as number;
        };
        break;
      } catch {
        /* try the next name */
      }
    }
  } catch {
    /* no FFI */
  }
  return renameat2;
}

/** Exchange two existing directories atomically; false when this system cannot. */
export function exchangeAtomically(a: string, b: string): boolean {
  const fn = loadRenameat2();
  return Boolean(fn && fn(a, b) === 0);
}

export interface SwapOptions {
  /** false: do not try the atomic exchange (the test hook DHT_TEST_SWAP_FALLBACK forces the fallback). */
  exchange?: boolean;
  /** Called between the fallback's two renames (the test hook that pauses there). */
  between?: () => Promise<void>;
}

/**
 * Put `staged` at `venv`, and the old venv at `staged` (atomic exchange) or at `aside`
 * (journalled renames). Returns where the old venv now is.
 */
export async function swapIn(venv: string, staged: string, stateDir: string, aside: string, options: SwapOptions = {}): Promise<{ old: string; atomic: boolean }> {
  if (options.exchange !== false && exchangeAtomically(staged, venv)) return { old: staged, atomic: true };
  writeFileAtomic(join(stateDir, JOURNAL), `${JSON.stringify({ venv, aside, staged, pid: process.pid } satisfies SwapJournal)}\n`);
  renameSync(venv, aside);
  await options.between?.();
  renameSync(staged, venv);
  clearJournal(stateDir);
  return { old: aside, atomic: false };
}

/** Undo `swapIn`: the old venv back at `venv`, the new one back at `staged`. */
export function swapBack(venv: string, staged: string, old: string, stateDir: string): void {
  if (old === staged) {
    if (exchangeAtomically(staged, venv)) return;
  }
  writeFileAtomic(join(stateDir, JOURNAL), `${JSON.stringify({ venv, aside: old, staged, pid: process.pid } satisfies SwapJournal)}\n`);
  if (existsSync(venv)) renameSync(venv, staged === old ? `${staged}.failed` : staged);
  renameSync(old, venv);
  clearJournal(stateDir);
}

/**
 * Finish a swap a killed run left between its two renames (call it holding the project
 * lock, so the run that wrote the journal is gone): when the venv path is empty, the old
 * venv goes back (the rebuilt one stays at its build path, where the next `fix-env --deep`
 * replaces it); when the venv path holds the new venv, the swap was done and the journal is
 * cleared, the old venv left where it was moved. Returns what was done, for the log.
 */
export function recoverSwap(stateDir: string): string | undefined {
  const j = readSwapJournal(stateDir);
  if (!j) return undefined;
  if (!existsSync(j.venv) && existsSync(j.aside)) {
    renameSync(j.aside, j.venv);
    clearJournal(stateDir);
    return `put the old venv back at ${j.venv} (a repair was interrupted while swapping)`;
  }
  clearJournal(stateDir);
  if (existsSync(j.venv) && existsSync(j.aside)) return `a repair was interrupted just after swapping: the rebuilt venv is at ${j.venv}, the old one is left at ${j.aside}`;
  return undefined;
}
