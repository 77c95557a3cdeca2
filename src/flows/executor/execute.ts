/**
 * A generic step executor with checkpoints: runs steps in order, records each completed
 * step (with the hash of its inputs and its output) in a checkpoint file written
 * atomically, and on the next run skips steps whose record is still valid. A run that died
 * (Ctrl-C, kill -9, a failed step) therefore resumes from the first step that did not
 * finish. Used by `dhtl setup`; nothing in here knows about Python.
 *
 * Test hooks (read from the env passed in, never from process.env directly):
 *  - DHT_TEST_STEP_EVENTS=<file>: append "start <id>", "done <id>", "skip <id>" lines;
 *  - DHT_TEST_PAUSE_AFTER_STEP=<id>: after <id> is recorded, write "paused <id>" and hang,
 *    so a test can SIGKILL the run exactly at that step boundary.
 */
import { appendFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { CHECKPOINT_SCHEMA, readCheckpoint, writeCheckpoint, type Checkpoint, type StepRecord } from "../../env/checkpoints.ts";

export type StepOutput = Record<string, unknown>;

export interface ExecStep<S> {
  id: string;
  /** Human title for progress lines ("Installing dependencies"). */
  title: string;
  /** Hash of this step's own inputs, computed when the step is reached (state holds earlier outputs). */
  hash(state: S): string;
  /** Steps whose re-run forces this one to run again, and whose hashes fold into this one's. */
  dependsOn?: string[];
  run(state: S): Promise<StepOutput | void>;
  /** Is the recorded result still on disk? Called before skipping. */
  stillValid?(output: StepOutput | undefined, state: S): boolean | Promise<boolean>;
  /** Put a skipped step's recorded output back into the state. */
  restore?(output: StepOutput | undefined, state: S): void;
}

export type ExecEvent =
  | { type: "skip"; step: string; title: string }
  | { type: "resume"; step: string; title: string }
  | { type: "rerun"; step: string; title: string; reason: string }
  | { type: "start"; step: string; title: string; index: number; total: number }
  | { type: "done"; step: string; title: string; ms: number }
  | { type: "fail"; step: string; title: string; error: unknown };

export interface ExecuteOptions<S> {
  checkpointFile: string;
  /** Identity of the whole run, stored in the checkpoint (the no-op check compares it). */
  inputsHash: string;
  settingsKey: string;
  dhtVersion: string;
  probes: Checkpoint["probes"];
  venvPath?: string;
  venvLink?: string;
  otherEnvironments?: string[];
  /** Ignore every recorded step. */
  restart?: boolean;
  env?: Record<string, string | undefined>;
  onEvent?: (event: ExecEvent) => void;
  /** Runs once, before the first step that actually executes (e.g. remove a completion marker). */
  beforeFirstRun?: (state: S) => void | Promise<void>;
}

export interface ExecuteResult {
  ran: string[];
  skipped: string[];
  /** The step a previous, unfinished run is resumed from. */
  resumedFrom?: string;
  checkpoint: Checkpoint;
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

export function logEvent(env: Record<string, string | undefined>, line: string): void {
  const file = env.DHT_TEST_STEP_EVENTS;
  if (file) appendFileSync(file, `${line} ${process.pid}\n`);
}

export async function pauseForTest(env: Record<string, string | undefined>, id: string): Promise<void> {
  if (env.DHT_TEST_PAUSE_AFTER_STEP !== id) return;
  logEvent(env, `paused ${id}`);
  // Hang until killed; the interval keeps the event loop alive.
  await new Promise<void>(() => setInterval(() => {}, 1 << 30));
}

export async function executeSteps<S>(steps: ExecStep<S>[], state: S, options: ExecuteOptions<S>): Promise<ExecuteResult> {
  const env = options.env ?? {};
  const previous = options.restart ? undefined : readCheckpoint(options.checkpointFile);
  const checkpoint: Checkpoint = {
    schema: CHECKPOINT_SCHEMA,
    dhtVersion: options.dhtVersion,
    inputsHash: options.inputsHash,
    settingsKey: options.settingsKey,
    complete: false,
    venvPath: options.venvPath,
    venvLink: options.venvLink,
    otherEnvironments: options.otherEnvironments,
    probes: options.probes,
    steps: [],
    updatedAt: "",
  };
  const recorded = new Map<string, StepRecord>((previous?.steps ?? []).map((s) => [s.id, s]));
  const effective = new Map<string, string>();
  const ranIds = new Set<string>();
  const result: ExecuteResult = { ran: [], skipped: [], checkpoint };
  let started = false;

  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]!;
    const deps = step.dependsOn ?? [];
    const hash = sha([step.id, step.hash(state), ...deps.map((d) => `${d}=${effective.get(d) ?? ""}`)].join("\n"));
    effective.set(step.id, hash);
    const record = recorded.get(step.id);
    const forced = deps.some((d) => ranIds.has(d));
    let reason: string | undefined;
    if (options.restart) reason = "--restart";
    else if (!record) reason = "not done yet";
    else if (record.hash !== hash) reason = "its inputs changed";
    else if (forced) reason = `${deps.find((d) => ranIds.has(d))} ran again`;
    else if (step.stillValid && !(await step.stillValid(record.output, state))) reason = "its result is gone";

    if (!reason && record) {
      step.restore?.(record.output, state);
      checkpoint.steps.push(record);
      result.skipped.push(step.id);
      options.onEvent?.({ type: "skip", step: step.id, title: step.title });
      logEvent(env, `skip ${step.id}`);
      continue;
    }

    if (!started) {
      started = true;
      // A previous run that stopped partway (not complete, some steps recorded): say where we pick up.
      if (previous && !previous.complete && previous.steps.length > 0 && !options.restart) {
        result.resumedFrom = step.id;
        options.onEvent?.({ type: "resume", step: step.id, title: step.title });
      } else if (record && reason) {
        options.onEvent?.({ type: "rerun", step: step.id, title: step.title, reason });
      }
      writeCheckpoint(options.checkpointFile, checkpoint);
      await options.beforeFirstRun?.(state);
    }

    options.onEvent?.({ type: "start", step: step.id, title: step.title, index, total: steps.length });
    logEvent(env, `start ${step.id}`);
    const t0 = performance.now();
    let output: StepOutput | void;
    try {
      output = await step.run(state);
    } catch (error) {
      options.onEvent?.({ type: "fail", step: step.id, title: step.title, error });
      logEvent(env, `fail ${step.id}`);
      throw error;
    }
    ranIds.add(step.id);
    result.ran.push(step.id);
    checkpoint.steps.push({ id: step.id, hash, completedAt: new Date().toISOString(), ...(output ? { output } : {}) });
    writeCheckpoint(options.checkpointFile, checkpoint);
    options.onEvent?.({ type: "done", step: step.id, title: step.title, ms: performance.now() - t0 });
    logEvent(env, `done ${step.id}`);
    await pauseForTest(env, step.id);
  }

  checkpoint.complete = true;
  writeCheckpoint(options.checkpointFile, checkpoint);
  return result;
}
