import { checkTermination } from "../shared/termination-threads.js";
import type { ConsoleLine, RunPatch, Store, StoredValue } from "../store/types.js";
import { makeConfig, type RunConfig } from "./config.js";
import type { ConsoleCapture } from "./console-capture.js";
import { TrackError } from "./errors.js";
import { addLive, type ExitClose, removeLive } from "./exit-hooks.js";
import { closeIfFullSync, finishWrite } from "./finish-write.js";
import type { HistoryBuffer } from "./history-buffer.js";
import { HistoryWriter } from "./history-writer.js";
import { INIT_DEFAULTS } from "./init-options.js";
import { flattenLog, MAX_KEY } from "./log-payload.js";
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
  private _step: number;
  private pending: Record<string, StoredValue> | null = null;
  /** Sends logged rows to the store; null when the run is disabled. */
  private readonly historyWriter: HistoryWriter | null;
  /** The writer's buffer of rows not yet flushed (`log` appends to it directly). */
  private readonly historyBuffer: HistoryBuffer | null;
  private flushing: Promise<void> | null = null;
  private readonly store: SyncStore | null;
  /** Summary values and their per-key aggregates, behind `run.summary`. */
  private readonly summaryState = new SummaryState();
  private readonly startMs: number;
  private readonly startPerf: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private readonly ownsStore: boolean;
  private configDirty = false;
  /**
   * `config.update` was called since init: the store's copy (written by `init`) may be behind,
   * so every state patch carries the config. Without it the final patch leaves config out.
   */
  private configChanged = false;
  /** The config's plain data behind the `run.config` proxy (copied without proxy traps). */
  private readonly configData: Record<string, unknown>;
  private finishing: Promise<void> | null = null;
  /** The code `finish` was called with: an exit while it is under way closes the run with it. */
  private finishCode: number | null = null;
  /** Closed by the exit path (process exit or a signal): nothing more to write. */
  private exitClosed = false;
  /** `finish` has written the final state; an exit while it still waits adds nothing. */
  private finalWritten = false;
  private warnedError = false;
  private readonly sampler: SystemSampler | null = null;
  /**
   * Wall clock minus the monotonic clock: timestamps cost one `performance.now()` per row, and
   * re-anchoring at every flush keeps them within a flush interval of clock adjustments.
   */
  private wallOffset = Date.now() - performance.now();
  private sampling = false;
  /** The store had no history of this run at init (a new run, or a resumed one without rows). */
  private readonly freshRun: boolean;
  private readonly capture: ConsoleCapture | null = null;

  constructor(o: RunInternals) {
    const rec = o.record;
    this.id = rec.id;
    this.project = rec.project;
    this.name = rec.name;
    this.dir = o.dir;
    this.store = o.store as SyncStore | null;
    this.disabled = o.store === null;
    this.ownsStore = o.ownsStore;
    this._step = rec.nextStep;
    this.freshRun = rec.nextStep === 0;
    this.maxRows = o.maxBufferedRows ?? Number.POSITIVE_INFINITY;
    this.maxBytes = o.maxBufferedBytes ?? INIT_DEFAULTS.maxBufferedBytes;
    this.historyWriter = this.disabled
      ? null
      : new HistoryWriter(this.store!, this.id, (e) => this.warn(e), this.maxBytes);
    this.historyBuffer = this.historyWriter?.buffer ?? null;
    this.startMs = rec.createdAt;
    this.startPerf = performance.now() - (Date.now() - rec.createdAt);
    Object.assign(this.summaryState.values, rec.summary);
    this.summary = this.summaryState.proxy();
    const cfg = makeConfig(rec.config, () => {
      this.configDirty = true;
      this.configChanged = true;
    });
    this.config = cfg.config;
    this.configData = cfg.data;
    if (this.disabled) return;
    const t = (ms: number, f: () => void) => {
      const h = setInterval(f, ms);
      h.unref();
      this.timers.push(h);
    };
    if (o.capture) this.capture = o.capture;
    t(o.flushInterval ?? 100, () => {
      if (
        this.historyWriter!.pending ||
        this.summaryState.dirty ||
        this.configDirty ||
        this.capture?.pending
      ) {
        void this.flush();
      }
    });
    t(o.heartbeatInterval ?? INIT_DEFAULTS.heartbeatInterval, () => {
      void this.store!.updateRun(this.id, { heartbeatAt: Date.now() }).catch((e) => this.warn(e));
    });
    if (o.systemInterval > 0) {
      this.sampler = new SystemSampler(o.gpuCommand === undefined ? "nvidia-smi" : o.gpuCommand);
      t(o.systemInterval, () => this.sampleSystem());
    }
    addLive(this);
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
    return this._step;
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
    return this.historyWriter?.flushedStep ?? -1;
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
    if (
      opts === undefined &&
      this.pending === null &&
      this.historyBuffer !== null &&
      this.logFast(data)
    ) {
      return;
    }
    const values = this.disabled ? null : flattenLog(data);
    const step = opts?.step;
    let commit = opts?.commit;
    if (step !== undefined) {
      if (!Number.isInteger(step) || step < 0) {
        throw new TrackError(`log: step must be a non-negative integer, got ${step}`);
      }
      if (step < this._step) {
        console.warn(
          `amltk: log step ${step} is less than the current step ${this._step}; data dropped`,
        );
        return;
      }
      if (step > this._step) {
        if (this.pending) this.commitPending();
        this._step = step;
      }
      if (commit === undefined) commit = false;
    } else if (commit === undefined) commit = true;
    if (values !== null) {
      if (this.pending === null) this.pending = values;
      else Object.assign(this.pending, values);
    } else if (this.pending === null) this.pending = {};
    if (commit) this.commitPending();
  }

  /**
   * The common case, a plain `log({ a: 1, b: 2 })` of top-level numbers with nothing pending:
   * straight into the column buffer without building a flattened object. Returns false (nothing
   * done) for anything else, which then takes the general path.
   */
  private logFast(data: Record<string, unknown>): boolean {
    if (
      typeof data !== "object" ||
      data === null ||
      Object.getPrototypeOf(data) !== Object.prototype
    ) {
      return false;
    }
    for (const k in data) {
      const bad = k.length === 0 || k.length > MAX_KEY || k.charCodeAt(0) === 95;
      if (bad || typeof data[k] !== "number") return false;
    }
    const buf = this.historyBuffer!;
    const now = performance.now();
    const row = buf.addRow(
      this._step++,
      (now - this.startPerf) / 1000,
      (this.wallOffset + now) / 1000,
    );
    for (const k in data) {
      const v = data[k] as number;
      buf.addNumber(row, k, v);
      this.summaryState.observeOne(k, v);
    }
    this.summaryState.dirty = true;
    if (buf.bytes >= this.maxBytes || buf.rows >= this.maxRows) this.backpressure();
    return true;
  }

  private commitPending(): void {
    const values = this.pending;
    this.pending = null;
    const step = this._step++;
    const buf = this.historyBuffer;
    if (values === null || buf === null) return;
    const now = performance.now();
    const row = buf.addRow(step, (now - this.startPerf) / 1000, (this.wallOffset + now) / 1000);
    buf.addValues(row, values);
    this.summaryState.observe(values);
    if (buf.bytes >= this.maxBytes || buf.rows >= this.maxRows) this.backpressure();
  }

  /**
   * The buffer is full. Start a flush; if one is already in flight (a synchronous `log` loop
   * never lets it finish), write synchronously so memory stays bounded. A store without sync
   * writes lets the buffer grow until its in-flight flush ends.
   */
  private backpressure(): void {
    if (this.flushing === null) {
      void this.flush();
      return;
    }
    if (this.historyWriter!.canWriteSync) this.historyWriter!.writeSync();
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
    if (this.disabled) return Promise.resolve();
    this.wallOffset = Date.now() - performance.now();
    if (this.flushing) return this.flushing.then(() => this.flush());
    const patch: Parameters<Store["updateRun"]>[1] = {};
    if (this.summaryState.dirty) {
      this.summaryState.dirty = false;
      patch.summary = { ...this.summaryState.values };
    }
    if (this.configDirty) {
      this.configDirty = false;
      patch.config = { ...this.configData };
    }
    const lines = this.capture?.take() ?? [];
    const hasPatch = patch.summary !== undefined || patch.config !== undefined;
    if (this.writeOnce(hasPatch ? patch : undefined, lines)) return Promise.resolve();
    const history = this.historyWriter!.write();
    const s = this.store!;
    const p = (async () => {
      await history;
      if (patch.summary || patch.config) await s.updateRun(this.id, patch);
      if (lines.length > 0) await s.appendConsole(this.id, lines);
    })()
      .catch((e) => this.warn(e))
      .finally(() => {
        this.flushing = null;
      });
    this.flushing = p;
    return p;
  }

  /**
   * Writes history, `patch` and console `lines` in one store transaction when the store can
   * (`writeRunSync`); false when it cannot or that write failed, and then nothing was taken
   * except `patch` and `lines`, which the caller writes its separate way.
   */
  private writeOnce(patch: RunPatch | undefined, lines: ConsoleLine[]): boolean {
    const s = this.store!;
    if (s.writeRunSync === undefined) return false;
    if (!this.historyWriter!.pending && patch === undefined && lines.length === 0) return true;
    const fresh = this.freshRun && this.historyWriter!.flushedStep < 0;
    return this.historyWriter!.writeSyncWith((history) =>
      s.writeRunSync!(this.id, { history, fresh, patch, console: lines }),
    );
  }

  /**
   * Flushes, writes the summary and marks the run finished (0) or failed. Idempotent.
   *
   * @example
   * ```ts
   * try {
   *   train(run);
   *   await run.finish();
   * } catch {
   *   await run.finish(1); // state "failed", exitCode 1
   * }
   * ```
   */
  finish(exitCode = 0): Promise<void> {
    if (this.finishing) return this.finishing;
    if (this.pending) this.commitPending();
    for (const h of this.timers) clearInterval(h);
    this.capture?.restore();
    this.finishCode = exitCode;
    this.finishing = (async () => {
      if (this.disabled) return;
      const s = this.store!;
      if (this.flushing) await this.flushing;
      const final = (): RunPatch => {
        this.summaryState.dirty = false;
        this.configDirty = false;
        return this.statePatch(exitCode);
      };
      // The common case: remaining history, summary, config and state in one transaction.
      const lines = this.capture?.take() ?? [];
      this.historyWriter!.retryNow(); // the last chance for held batches, even right after a full disk
      try {
        const written = this.writeOnce(final(), lines);
        if (!written) {
          if (lines.length > 0) await s.appendConsole(this.id, lines).catch((e) => this.warn(e));
          await this.flush();
        }
        // A full store closes the run as failed and rejects typed (finish-write.ts).
        await finishWrite(s, this.id, this.historyWriter!, written ? null : final);
        this.finalWritten = true;
      } finally {
        if (this.ownsStore) await s.close();
      }
    })().finally(() => removeLive(this));
    // Live until written: a signal or an exit while finish waits (an online store delivering)
    // still writes the run out through `_flushSyncOnExit`.
    onFinish(this);
    return this.finishing;
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
    const s = this.store;
    if (!s || this.exitClosed || this.finalWritten) return;
    const close = how.keepOpen !== true;
    if (close && this.pending) this.commitPending();
    try {
      if (close) this.capture?.restore();
      const lines = this.capture?.take() ?? [];
      const patch = this.statePatch(close ? (this.finishCode ?? code) : null);
      this.historyWriter!.retryNow(); // held batches get their last try even right after a full disk
      if (!this.writeOnce(patch, lines)) {
        if (this.historyWriter!.canWriteSync) this.historyWriter!.writeSync();
        if (lines.length > 0) s.appendConsoleSync?.(this.id, lines);
        s.updateRunSync?.(this.id, patch);
      }
    } catch {
      // the process is ending; nothing left to do
    }
    if (!close) return;
    closeIfFullSync(s, this.id, this.historyWriter!); // a full store: failed (74), loss reported
    try {
      // A store that queues writes (online) puts them on disk now: the process ends next.
      s.persistSync?.();
    } catch {
      // as above
    }
    this.exitClosed = true;
    for (const h of this.timers) clearInterval(h);
    removeLive(this);
  }

  /**
   * Summary, heartbeat and (when it changed since init) config, plus the closing state when
   * `exitCode` is not null. An unchanged config is left out: `init` wrote it, and encoding and
   * checking it again is a good part of a trial-sized run's finish.
   */
  private statePatch(exitCode: number | null): RunPatch {
    const now = Date.now();
    const patch: RunPatch = { summary: { ...this.summaryState.values }, heartbeatAt: now };
    if (this.configChanged) patch.config = { ...this.configData };
    if (exitCode === null) return patch;
    patch.state = exitCode === 0 ? "finished" : "failed";
    patch.exitCode = exitCode;
    patch.finishedAt = now;
    return patch;
  }

  private sampleSystem(): void {
    // One sample at a time: a slow nvidia-smi must not pile up calls.
    if (this.sampling || this.finishing) return;
    this.sampling = true;
    const timestamp = Date.now() / 1000;
    void this.sampler!.sample()
      .then((values) => {
        if (!this.finishing) return this.store!.appendSystem(this.id, [{ timestamp, values }]);
      })
      .catch((e) => this.warn(e))
      .finally(() => {
        this.sampling = false;
      });
  }

  private warn(e: unknown): void {
    if (this.warnedError) return;
    this.warnedError = true;
    console.warn(`amltk: run ${this.id}: store write failed: ${(e as Error)?.message ?? e}`);
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
