/**
 * Byte progress for downloads, on stderr.
 *   tty:   one line redrawn in place (bytes, rate, ETA), at most ~8 times a second
 *   plain: sparse lines for logs and CI: at 25/50/75/100 % or every 10 s, whichever first
 *   none:  nothing (--quiet, --json callers)
 * "auto" picks tty when stderr is a terminal, else plain. The clock and the stream are
 * parameters so tests can drive it.
 */
export type ProgressMode = "auto" | "plain" | "none";

export interface ByteProgress {
  /** Total bytes so far (not a delta). */
  update(bytes: number): void;
  /** Note a restart/resume: the rate is measured from here. */
  note(message: string): void;
  /** Learn the total once the server says it (Content-Length). */
  setTotal(total: number): void;
  done(ok?: boolean): void;
}

export interface ProgressOptions {
  mode: ProgressMode;
  label: string;
  total?: number;
  stream?: { write(text: string): unknown; isTTY?: boolean };
  now?: () => number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** The text of one progress report; pure. */
export function describeProgress(label: string, bytes: number, total: number | undefined, elapsedMs: number, startBytes = 0): string {
  const rate = elapsedMs > 0 ? ((bytes - startBytes) * 1000) / elapsedMs : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  if (total && total > 0) {
    const pct = Math.min(100, Math.floor((bytes * 100) / total));
    const eta = rate > 0 ? (total - bytes) / rate : Number.NaN;
    return `${label}  ${String(pct).padStart(3)}%  ${formatBytes(bytes)} / ${formatBytes(total)}  ${rateText}  ETA ${formatDuration(eta)}`;
  }
  return `${label}  ${formatBytes(bytes)}  ${rateText}`;
}

export function createByteProgress(options: ProgressOptions): ByteProgress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const mode = options.mode === "auto" ? (stream.isTTY ? "tty" : "plain") : options.mode;
  if (mode === "none") return { update() {}, note() {}, setTotal() {}, done() {} };
  const start = now();
  let startBytes = 0;
  let rateStart = start;
  let last = 0;
  let lastDraw = -Infinity;
  let nextQuarter = 25;
  let finished = false;
  let total = options.total;
  const setTotal = (t: number) => {
    if (!total && t > 0) total = t;
  };
  const line = () => describeProgress(options.label, last, total, now() - rateStart, startBytes);

  if (mode === "tty") {
    const columns = (stream as { columns?: number }).columns || 100; // 0 when the size is unknown
    // Fit the terminal by shortening the label, never the numbers at the end.
    const draw = () => {
      const rest = describeProgress("", last, total, now() - rateStart, startBytes);
      const room = Math.max(8, columns - 1 - rest.length);
      const label = options.label.length > room ? `${options.label.slice(0, room - 1)}…` : options.label;
      stream.write(`\r\x1b[2K${label}${rest}`);
    };
    return {
      setTotal,
      update(bytes) {
        last = bytes;
        if (now() - lastDraw >= 120) {
          lastDraw = now();
          draw();
        }
      },
      note(message) {
        stream.write(`\r\x1b[2K${message}\n`);
        startBytes = last;
        rateStart = now();
      },
      done(ok = true) {
        if (finished) return;
        finished = true;
        if (ok) draw();
        stream.write(ok ? "\n" : "\r\x1b[2K");
      },
    };
  }
  // plain
  lastDraw = start;
  return {
    setTotal,
    update(bytes) {
      last = bytes;
      const pct = total ? (bytes * 100) / total : 0;
      const t = now();
      if ((total && pct >= nextQuarter && pct < 100) || t - lastDraw >= 10_000) {
        while (total && pct >= nextQuarter) nextQuarter += 25;
        lastDraw = t;
        stream.write(`${line()}\n`);
      }
    },
    note(message) {
      stream.write(`${message}\n`);
      startBytes = last;
      rateStart = now();
    },
    done(ok = true) {
      if (finished) return;
      finished = true;
      if (ok) stream.write(`${line()}  done\n`);
    },
  };
}

/** The progress mode a command should pass to downloads: nothing with --quiet or --json. */
export function progressModeFor(ctx: { quiet: boolean; json: boolean }): ProgressMode {
  return ctx.quiet || ctx.json ? "none" : "auto";
}
