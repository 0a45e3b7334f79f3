/**
 * `Run`, the tracked run of `init`: its public API, its lifecycle (timers, finish, the exit
 * path) and the wiring of its parts: the step and commit rules (`run-steps.ts`) and the writes
 * to its store (`run-sink.ts`).
 */
import { checkTermination } from "../shared/termination-threads.js";
import type { StoredValue } from "../store/types.js";
import { makeConfig, type RunConfig } from "./config.js";
import type { ConsoleCapture } from "./console-capture.js";
import { TrackError } from "./errors.js";
import { addLive, type ExitClose, removeLive } from "./exit-hooks.js";
import { INIT_DEFAULTS } from "./init-options.js";
import { type RunClock, startRunClock, stopRunClock } from "./run-clock.js";
import { type FinishOptions, type RunClose, runClose } from "./run-close.js";
import { RunSink } from "./run-sink.js";
import { RunSteps } from "./run-steps.js";
import type { LogOptions, RunInternals, SyncStore } from "./run-types.js";
import { type MetricOptions, SummaryState } from "./summary.js";
import { SystemSampler } from "./system-metrics.js";

export type { LogOptions, RunInternals } from "./run-types.js";

/**
 * A tracked run (W&B `Run`). Create with `init`; `log` rows, read and set `summary`, update
 * `config`, and `finish`.
 *
 * @example
 * ```ts
 * const run = await init({ project: "demo", config: { lr: 0.1 } });
 * run.defineMetric("acc", { summary: "max" });
 * run.log({ acc: 0.8, train: { loss: 0.4 } }); // keys "acc" and "train/loss" at step 0
 * run.summary.note = "best so far";
 * run.config.update({ batch: 32 });
 * await run.finish(); // state "finished"; finish(1) marks it "failed"
 * ```
 */
export class Run {
  /** The run id (`init({ id })` or 8 random characters), e.g. `init({ id: run.id, resume: "must" })`. */
  readonly id: string;
  /** Project name, e.g. `amltk runs list --project ${run.project}`. */
  readonly project: string;
  /** Store folder of an offline run, e.g. `join(run.dir, "amltk.db")` is its database. */
  readonly dir: string;
  /** True in mode "disabled": `if (!run.disabled) saveCheckpoint()`. */
  readonly disabled: boolean;
  /**
   * Last logged value per key (or `defineMetric` aggregates); direct sets win until the next log.
   *
   * @example
   * ```ts
   * run.log({ acc: 0.9 });
   * run.summary.acc; // 0.9
   * run.summary.best_epoch = 3;
   * ```
   */
  readonly summary: Record<string, StoredValue>;
  /**
   * The run's config; `update` refuses to change a set value unless `allowValChange`.
   *
   * @example
   * ```ts
   * run.config.update({ lr: 0.1 });
   * run.config.update({ lr: 0.2 }, { allowValChange: true });
   * run.config.lr; // 0.2
   * ```
   */
  readonly config: RunConfig;
  /** Display name (default `run-<id>`), e.g. `console.log(run.name)`. */
  name: string;
  /** Step and commit rules: the rows in the making. */
  private readonly steps: RunSteps;
  /** Writes to the store; null when the run is disabled. */
  private readonly sink: RunSink | null;
  /** Summary values and their per-key aggregates, behind `run.summary`. */
  private readonly summaryState = new SummaryState();
  private readonly startMs: number;
  /** The run's background jobs (run-clock.ts); null for a disabled run. */
  private clock: RunClock | null = null;
  private readonly ownsStore: boolean;
  private finishing: Promise<void> | null = null;
  /** How `finish` closes the run: an exit while it is under way closes the run that way. */
  private finishClose: RunClose | null = null;
  /** Closed by the exit path (process exit or a signal): nothing more to write. */
  private exitClosed = false;
  private sampler: SystemSampler | null = null;
  /** What the sampler asks for GPU metrics (`RunInternals.gpuCommand`). */
  private gpuCommand: string | null = null;
  private sampling = false;
  private readonly capture: ConsoleCapture | null = null;

  constructor(o: RunInternals) {
    const rec = o.record;
    this.id = rec.id;
    this.project = rec.project;
    this.name = rec.name;
    this.dir = o.dir;
    this.disabled = o.store === null;
    this.ownsStore = o.ownsStore;
    this.startMs = rec.createdAt;
    Object.assign(this.summaryState.values, rec.summary);
    this.summary = this.summaryState.proxy();
    const cfg = makeConfig(rec.config, () => this.sink?.configUpdated());
    this.config = cfg.config;
    if (o.capture && o.store !== null) this.capture = o.capture;
    const maxBytes = o.maxBufferedBytes ?? INIT_DEFAULTS.maxBufferedBytes;
    // The sink and the steps are made by methods of their own: see `newSink`.
    this.sink = o.store === null ? null : this.newSink(o, cfg.data, maxBytes);
    this.steps = this.newSteps(o, maxBytes);
    if (this.sink === null) return;
    this.startTimers(this.sink, o);
    addLive(this);
  }

  /*
   * The constructor runs once per run: a pool worker that runs a trial per run calls it ~1,000
   * times in its life. V8 optimizes a function once it has run about 3 + (bytecode bytes / 150)
   * times 66 KB of its bytecode (`--interrupt-budget`, `--bytecode-size-allowance-per-tick`):
   * one ~520-byte constructor got there near the 800th run and was compiled with ten callees
   * inlined, for the last ~200 runs of the worker. In parts of ~100-250 bytes each, none of them
   * gets there within ~1,100 runs, and the worker's compiler threads skip that work.
   */

  /** The run's writer (an enabled run's). */
  private newSink(o: RunInternals, configData: Record<string, unknown>, maxBytes: number): RunSink {
    return new RunSink(o.store as SyncStore, {
      id: this.id,
      summary: this.summaryState,
      configData,
      onFlush: this.reanchorClock.bind(this),
      capture: this.capture,
      freshRun: o.record.nextStep === 0,
      maxBytes,
      create: o.create ?? null,
    });
  }

  /** The run's step and commit rules, over the sink's buffer (none for a disabled run). */
  private newSteps(o: RunInternals, maxBytes: number): RunSteps {
    return new RunSteps(
      o.record.nextStep,
      o.record.createdAt,
      this.sink?.history.buffer ?? null,
      this.summaryState,
      { maxRows: o.maxBufferedRows ?? Number.POSITIVE_INFINITY, maxBytes },
      () => this.sink!.backpressure(),
    );
  }

  /** Each flush re-reads the wall clock for the next rows' timestamps. */
  private reanchorClock(): void {
    this.steps.reanchorClock();
  }

  /**
   * Background work: flushes every ~100 ms, heartbeats, system metric samples, on one clock
   * (run-clock.ts: every run's clock shares one process-wide timer, so a run per trial sets
   * and clears no timer).
   */
  private startTimers(sink: RunSink, o: RunInternals): void {
    // The sampler is made at the first sample (most trial-sized runs never take one), and the
    // clock calls a bound method: no closure made per run (a named one costs a `__name` call
    // under tsx's transform too).
    let sample: (() => void) | null = null;
    if (o.systemInterval > 0) {
      this.gpuCommand = o.gpuCommand === undefined ? "nvidia-smi" : o.gpuCommand;
      sample = this.sampleSystem.bind(this, sink);
    }
    const intervals = {
      flush: o.flushInterval ?? 100,
      heartbeat: o.heartbeatInterval ?? INIT_DEFAULTS.heartbeatInterval,
      system: o.systemInterval,
    };
    this.clock = startRunClock(sink, this.id, intervals, sample);
  }

  /**
   * The step the next committed row gets.
   *
   * @example
   * ```ts
   * run.log({ x: 1 });
   * run.step; // 1
   * ```
   */
  get step(): number {
    return this.steps.step;
  }

  /**
   * The highest step the store has confirmed written (-1 before the first write).
   *
   * @example
   * ```ts
   * run.log({ x: 1 });
   * await run.flush();
   * run.flushedStep; // 0
   * ```
   */
  get flushedStep(): number {
    return this.sink?.history.flushedStep ?? -1;
  }

  /**
   * True once `finish` was called.
   *
   * @example
   * ```ts
   * if (!run.finished) await run.finish();
   * ```
   */
  get finished(): boolean {
    return this.finishing !== null;
  }

  /**
   * Logs a row (W&B rules). Nested objects flatten to `a/b` keys. Throws `TrackError` for bad
   * keys or values (the run keeps working). Only appends to memory: a background flusher
   * writes every ~100 ms, at `finish` and at process exit.
   *
   * @example
   * ```ts
   * run.log({ loss: 0.25, val: { acc: 0.9 }, hist: [1, 2, 3], note: "ok", nan: Number.NaN });
   * ```
   */
  log(data: Record<string, unknown>, opts?: LogOptions): void {
    // In a worker thread whose host is being ended by a signal: close this thread's runs now
    // (a busy logging loop never gets back to the event loop that would hear of it).
    checkTermination();
    if (this.finishing) throw new TrackError(`run ${this.id} is finished; log() ignored`);
    this.steps.log(data, opts);
  }

  /**
   * W&B `define_metric`: summary aggregates for a key, e.g. `{ summary: "min,max" }`.
   *
   * @example
   * ```ts
   * run.defineMetric("loss", { summary: "min,mean" });
   * run.log({ loss: 2 });
   * run.log({ loss: 1 });
   * run.summary.loss; // { min: 1, mean: 1.5 }
   * ```
   */
  defineMetric(name: string, opts?: MetricOptions): void {
    this.summaryState.define(name, opts);
  }

  /**
   * Writes buffered rows (and changed summary/config) to the store now.
   *
   * @example
   * ```ts
   * run.log({ checkpoint: 1 });
   * await run.flush(); // readers (dashboard, CLI) see it now
   * ```
   */
  flush(): Promise<void> {
    return this.sink?.flush() ?? Promise.resolve();
  }

  /**
   * Flushes, writes the summary and marks the run finished (0) or failed, or with options the
   * state it ends in: `{ state: "pruned" }` for a trial a pruner stopped early (exit code 0:
   * stopping was the plan). Idempotent: a second call returns the first one's promise. A bad
   * code or option throws a `TrackError` and leaves the run open.
   *
   * @example
   * ```ts
   * try {
   *   train(run);
   *   await run.finish();
   * } catch {
   *   await run.finish(1); // state "failed", exitCode 1
   * }
   * // a pruned trial:
   * await run.finish({ state: "pruned" }); // state "pruned", exitCode 0
   * ```
   */
  finish(how: number | FinishOptions = 0): Promise<void> {
    if (this.finishing) return this.finishing;
    const close = runClose(how);
    if (this.steps.hasPending) this.steps.commitPending();
    if (this.clock !== null) stopRunClock(this.clock);
    this.capture?.restore();
    this.finishClose = close;
    // The common case: remaining history, summary, config and state in one transaction, done
    // now; otherwise the rest is awaited (a flush in flight, a store to close, a failed write).
    const rest = this.finishWrite(close);
    if (rest === undefined) {
      removeLive(this);
      this.finishing = Promise.resolve();
    } else this.finishing = rest.finally(removeLive.bind(null, this));
    // Live until written: a signal or an exit while finish waits (an online store delivering)
    // still writes the run out through `_flushSyncOnExit`.
    onFinish(this);
    return this.finishing;
  }

  /** The closing write (see `finish`): undefined when it is done, else a promise of the rest. */
  private finishWrite(close: RunClose): Promise<void> | undefined {
    if (this.sink === null) return undefined;
    try {
      return this.sink.finishNow(close, this.ownsStore);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * @internal the exit path (exit-hooks.ts): writes everything the run holds with the store's
   * sync methods, and, like W&B's atexit hook, closes the run with the process's exit code
   * (`failed` unless 0; a signal gives 130, 143 or 129). A run whose `finish` is under way closes
   * with that call's code. With `keepOpen` (a user's signal handler decides what happens next)
   * the data is written but the run stays open (an online store keeps delivering it; a later
   * exit spools the rest), and its pending row stays pending.
   */
  _flushSyncOnExit(code: number, how: ExitClose = {}): void {
    const sink = this.sink;
    if (!sink || this.exitClosed || sink.finalWritten) return;
    const close = how.keepOpen !== true;
    if (close && this.steps.hasPending) this.steps.commitPending();
    sink.writeOnExit(
      close,
      this.finishClose ?? { state: code === 0 ? "finished" : "failed", exitCode: code },
    );
    if (!close) return;
    this.exitClosed = true;
    if (this.clock !== null) stopRunClock(this.clock);
    removeLive(this);
  }

  private sampleSystem(sink: RunSink): void {
    // One sample at a time: a slow nvidia-smi must not pile up calls.
    if (this.sampling || this.finishing) return;
    this.sampling = true;
    const timestamp = Date.now() / 1000;
    this.sampler ??= new SystemSampler(this.gpuCommand);
    void this.sampler
      .sample()
      .then((values) => {
        if (!this.finishing) return sink.store.appendSystem(this.id, [{ timestamp, values }]);
      })
      .catch((e) => sink.warn(e))
      .finally(() => {
        this.sampling = false;
      });
  }

  /**
   * Epoch ms when the run started.
   *
   * @example
   * ```ts
   * console.log(`running for ${(Date.now() - run.startedAt) / 1000} s`);
   * ```
   */
  get startedAt(): number {
    return this.startMs;
  }
}

let finishHook: (r: Run) => void = () => {};
function onFinish(r: Run): void {
  finishHook(r);
}
/** @internal used by `init` to forget the current run. */
export function setFinishHook(f: (r: Run) => void): void {
  finishHook = f;
}
