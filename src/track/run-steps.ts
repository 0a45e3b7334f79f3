/**
 * W&B's step and commit rules for `Run.log`: which step a logged row gets, when a pending row
 * is committed, and how a committed row enters the run's column buffer and summary (with its
 * runtime and timestamp). Writing the buffer out is `run-sink.ts`'s job.
 */
import type { StoredValue } from "../store/types.js";
import { TrackError } from "./errors.js";
import type { HistoryBuffer } from "./history-buffer.js";
import { flattenLog, MAX_KEY } from "./log-payload.js";
import type { LogOptions } from "./run-types.js";
import type { SummaryState } from "./summary.js";

/** The buffer's bounds: past either, the run writes out what it holds (backpressure). */
export interface BufferBounds {
  maxRows: number;
  maxBytes: number;
}

/**
 * A run's rows in the making. When a committed row takes the buffer past its bounds, `onFull`
 * is called at once (the run then writes the buffer out).
 *
 * @example
 * ```ts
 * const bounds = { maxRows: 1e6, maxBytes: 1 << 20 };
 * const steps = new RunSteps(0, Date.now(), buffer, summary, bounds, () => run.flush());
 * steps.log({ loss: 0.5 }); // row 0 in the buffer; steps.step is 1
 * ```
 */
export class RunSteps {
  private _step: number;
  private pending: Record<string, StoredValue> | null = null;
  private readonly startPerf: number;
  /**
   * Wall clock minus the monotonic clock: timestamps cost one `performance.now()` per row, and
   * re-anchoring at every flush keeps them within a flush interval of clock adjustments.
   */
  private wallOffset = Date.now() - performance.now();

  /**
   * @param buffer null for a disabled run: steps advance, nothing is kept.
   */
  constructor(
    nextStep: number,
    createdAt: number,
    private readonly buffer: HistoryBuffer | null,
    private readonly summary: SummaryState,
    private readonly bounds: BufferBounds,
    private readonly onFull: () => void,
  ) {
    this._step = nextStep;
    this.startPerf = performance.now() - (Date.now() - createdAt);
  }

  /** The step the next committed row gets. */
  get step(): number {
    return this._step;
  }

  /** A row was logged with `commit: false` (or an explicit step) and is not committed yet. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /** Re-reads the wall clock (see `wallOffset`); the run does it at every flush. */
  reanchorClock(): void {
    this.wallOffset = Date.now() - performance.now();
  }

  /** Logs a row by W&B's rules (see `Run.log`). */
  log(data: Record<string, unknown>, opts?: LogOptions): void {
    if (opts === undefined && this.pending === null && this.buffer !== null && this.logFast(data)) {
      return;
    }
    const values = this.buffer === null ? null : flattenLog(data);
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
   * The common case, a plain `log({ a: 1, b: "x" })` of top-level numbers, strings and booleans
   * with nothing pending: straight into the buffer without building a flattened object (the
   * general path would flatten such a row to itself). Returns false (nothing done) for anything
   * else, which then takes the general path. The W&B plugin's report row (a status string and
   * numbers) takes it too, so a worker that logs only flat rows never runs, nor compiles, the
   * flattening and pending-row code.
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
      const t = typeof data[k];
      if (bad || (t !== "number" && t !== "string" && t !== "boolean")) return false;
    }
    const buf = this.buffer!;
    const now = performance.now();
    const row = buf.addRow(
      this._step++,
      (now - this.startPerf) / 1000,
      (this.wallOffset + now) / 1000,
    );
    for (const k in data) {
      const v = data[k] as number | string | boolean;
      if (typeof v === "number") buf.addNumber(row, k, v);
      else buf.addOther(row, k, v);
      this.summary.observeOne(k, v);
    }
    this.summary.dirty = true;
    this.checkBounds(buf);
    return true;
  }

  /** Commits the pending row (if any) at the current step. */
  commitPending(): void {
    const values = this.pending;
    this.pending = null;
    const step = this._step++;
    const buf = this.buffer;
    if (values === null || buf === null) return;
    const now = performance.now();
    const row = buf.addRow(step, (now - this.startPerf) / 1000, (this.wallOffset + now) / 1000);
    buf.addValues(row, values);
    this.summary.observe(values);
    this.checkBounds(buf);
  }

  private checkBounds(buf: HistoryBuffer): void {
    if (buf.bytes >= this.bounds.maxBytes || buf.rows >= this.bounds.maxRows) this.onFull();
  }
}
