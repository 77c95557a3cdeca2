/**
 * One error type for the whole program. Modules throw a DhtError; only the CLI edge
 * (src/main.ts) prints it and turns its code into the process exit status.
 */

/** Documented exit statuses (README "Exit statuses"). */
export const ExitCode = {
  ok: 0,
  /** The work was attempted and failed (network, a failed install, a failed check). */
  failed: 1,
  /** Bad usage or configuration: unknown flag or command, invalid .dhtconfig, bad argument. */
  usage: 2,
  /** A requirement cannot be satisfied on this machine (no usable Python, missing artifact offline). */
  unsatisfiable: 3,
  /** Interrupted by SIGINT / SIGTERM. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface DhtErrorOptions {
  /** What the error is about: a file (with :line), a config field, a flag, or a URL (credentials removed). */
  subject?: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable detail for --json output. */
  details?: Record<string, unknown>;
}

export class DhtError extends Error {
  readonly code: ExitCodeValue;
  readonly subject?: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ExitCodeValue, message: string, options: DhtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DhtError";
    this.code = code;
    this.subject = options.subject;
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...(this.subject ? { subject: this.subject } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const usageError = (message: string, options?: DhtErrorOptions) =>
  new DhtError(ExitCode.usage, message, options);
export const failure = (message: string, options?: DhtErrorOptions) =>
  new DhtError(ExitCode.failed, message, options);
export const unsatisfiable = (message: string, options?: DhtErrorOptions) =>
  new DhtError(ExitCode.unsatisfiable, message, options);

export function isDhtError(value: unknown): value is DhtError {
  return value instanceof DhtError;
}
