/**
 * Moves a run's buffered history to its store: in order, synchronously when the store can (for
 * backpressure and process exit), keeping batches whose write failed with a passing error
 * (busy, or a full disk that may get space again) for the next attempt so accepted rows are not
 * lost. What it holds is bounded; past the bound it stops keeping new rows rather than drop old
 * ones, so the stored history never has a gap, and it counts every point it gave up.
 */
import { batchToRows, type HistoryBatch } from "../store/history-batch.js";
import { StoreFullError } from "../store/store-full-error.js";
import { StoreError } from "../store/types.js";
import { HistoryBuffer } from "./history-buffer.js";
import type { SyncStore } from "./run-types.js";

/** Failed batches are kept up to this many times the run's buffer cap (16 MiB by default). */
const UNSENT_CAP_FACTOR = 16;

/** Errors after which a retry may succeed; other StoreErrors refuse a batch for good. */
const PASSING: readonly StoreError["code"][] = ["busy", "full"];

/**
 * After a full-disk error, writes are retried at most this often: each retry packs every held
 * batch again, and a logging loop that fills the buffer fast must not pay that per fill.
 */
const FULL_RETRY_MS = 1000;

/** Held batches past this many are joined into one. */
const MAX_HELD_BATCHES = 32;

/** The batches as one, rows in order (each batch's row indexes shifted by the rows before it). */
export function concat(batches: readonly HistoryBatch[]): HistoryBatch {
  const rows = batches.reduce((n, b) => n + b.rows, 0);
  const out: HistoryBatch = {
    rows,
    steps: new Float64Array(rows),
    runtimes: new Float64Array(rows),
    timestamps: new Float64Array(rows),
    columns: new Map(),
    others: [],
  };
  const sizes = new Map<string, number>();
  for (const b of batches) for (const [k, c] of b.columns) sizes.set(k, (sizes.get(k) ?? 0) + c.n);
  for (const [k, n] of sizes) {
    out.columns.set(k, { n: 0, rows: new Int32Array(n), values: new Float64Array(n) });
  }
  let offset = 0;
  for (const b of batches) {
    out.steps.set(b.steps.subarray(0, b.rows), offset);
    out.runtimes.set(b.runtimes.subarray(0, b.rows), offset);
    out.timestamps.set(b.timestamps.subarray(0, b.rows), offset);
    for (const [k, c] of b.columns) {
      const o = out.columns.get(k)!;
      for (let i = 0; i < c.n; i++) o.rows[o.n + i] = c.rows[i]! + offset;
      o.values.set(c.values.subarray(0, c.n), o.n);
      o.n += c.n;
    }
    for (const v of b.others) out.others.push({ ...v, row: v.row + offset });
    offset += b.rows;
  }
  return out;
}

/** Points (values) in a batch. */
function pointsOf(b: HistoryBatch): number {
  let n = b.others.length;
  for (const c of b.columns.values()) n += c.n;
  return n;
}

/** About what a batch holds in memory (HistoryBuffer's own estimate: a row 24, a number 12). */
function bytesOf(b: HistoryBatch): number {
  return 24 * b.rows + 12 * pointsOf(b);
}

export class HistoryWriter {
  readonly buffer = new HistoryBuffer();
  /** The highest step the store has confirmed written (-1 before the first write). */
  flushedStep = -1;
  private unsent: HistoryBatch[] = [];
  private unsentBytes = 0;
  /** Points accepted by `log` that were given up (refused for good, or past the bound). */
  private lost = 0;
  /** Once set, the store is full and new rows are no longer kept: history stays gap-free. */
  private fullError: StoreFullError | null = null;
  private discarding = false;
  private retryAt = 0;

  /**
   * @param maxBytes the run's buffer cap; failed batches are kept up to 16 times that.
   */
  constructor(
    private readonly store: SyncStore,
    private readonly id: string,
    private readonly warn: (e: unknown) => void,
    private readonly maxBytes = 1024 * 1024,
  ) {}

  /**
   * The error `finish` rejects with when the store was full and logged points could not all be
   * stored: everything still waiting counts as lost, since finish is the last write.
   * Undefined when the store never reported full, or every point got written after all.
   */
  /** The next write tries the store even if a full-disk error was seen just now (finish). */
  retryNow(): void {
    this.retryAt = 0;
  }

  /** The store was full less than FULL_RETRY_MS ago: hold everything, do not try yet. */
  private waitingForSpace(batches: HistoryBatch[]): boolean {
    if (this.fullError === null || Date.now() >= this.retryAt) return false;
    this.hold(batches);
    return true;
  }

  /** The store reported full at some point (then `fullFailure` says whether points were lost). */
  get sawFull(): boolean {
    return this.fullError !== null;
  }

  fullFailure(): StoreFullError | undefined {
    if (this.fullError === null) return undefined;
    let waiting = this.buffer.rows > 0 ? pointsOf(this.buffer.take()) : 0;
    for (const b of this.unsent) waiting += pointsOf(b);
    // Space came back and everything got written: the run finishes normally.
    if (this.lost + waiting === 0) return undefined;
    return new StoreFullError(this.fullError.path, this.lost + waiting);
  }

  /** Rows waiting: in the buffer or from a failed write. */
  get pending(): boolean {
    return this.buffer.rows > 0 || this.unsent.length > 0;
  }

  get canWriteSync(): boolean {
    return (
      this.store.appendHistoryBatchSync !== undefined || this.store.appendHistorySync !== undefined
    );
  }

  /** Writes everything now, synchronously (the store must have sync methods). */
  writeSync(): void {
    this.writeAllSync(this.takeAll());
  }

  /**
   * Hands everything waiting (possibly nothing) to `write`, one atomic store call that may
   * write more than history (see `Run.flush`). True when it succeeded; on failure the batches
   * go back first in line, untouched, and false tells the caller to take the separate path,
   * which reports the error and sorts out which batches can be kept.
   */
  writeSyncWith(write: (batches: HistoryBatch[]) => void): boolean {
    const batches = this.unsent;
    this.unsent = [];
    this.unsentBytes = 0;
    const taken = this.takeBuffer();
    if (taken) batches.push(taken);
    if (this.waitingForSpace(batches)) return false;
    try {
      write(batches);
    } catch {
      this.hold(batches);
      return false;
    }
    for (const b of batches) if (b.rows > 0) this.written(b);
    return true;
  }

  /** Takes everything at call time and writes it. */
  write(): Promise<void> {
    return this.writeAll(this.takeAll());
  }

  /** Batches not yet written (a failed write first, in order), then the buffer's contents. */
  private takeAll(): HistoryBatch[] {
    const all = this.unsent;
    this.unsent = [];
    this.unsentBytes = 0;
    const taken = this.takeBuffer();
    if (taken) all.push(taken);
    return all;
  }

  /** The buffer's rows as a batch; none once rows are discarded (counted as lost instead). */
  private takeBuffer(): HistoryBatch | undefined {
    if (this.buffer.rows === 0) return undefined;
    const b = this.buffer.take();
    if (!this.discarding) return b;
    this.lost += pointsOf(b);
    this.buffer.recycle(b);
    return undefined;
  }

  /** Puts failed batches back first in line (before anything failed meanwhile), within the cap. */
  private hold(batches: HistoryBatch[]): void {
    const kept = batches.filter((b) => b.rows > 0);
    this.unsent = [...kept, ...this.unsent];
    // A long wait for space turns every flush into a small batch: joined, a retry is one write.
    if (this.unsent.length > MAX_HELD_BATCHES) this.unsent = [concat(this.unsent)];
    this.unsentBytes = this.unsent.reduce((n, b) => n + bytesOf(b), 0);
    this.enforceCap();
  }

  /**
   * Past the cap the newest batches go (counted), never the oldest: what reaches the store is
   * then still every point from the first on, and from here on new rows are discarded too.
   */
  private enforceCap(): void {
    const cap = UNSENT_CAP_FACTOR * this.maxBytes;
    while (this.unsentBytes > cap && this.unsent.length > 1) {
      const b = this.unsent.pop()!;
      this.unsentBytes -= bytesOf(b);
      this.lost += pointsOf(b);
      this.discarding = true;
    }
  }

  private writeAllSync(batches: HistoryBatch[]): void {
    if (this.waitingForSpace(batches)) return;
    const s = this.store;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (b.rows === 0) continue;
      try {
        if (s.appendHistoryBatchSync) s.appendHistoryBatchSync(this.id, b);
        else s.appendHistorySync!(this.id, batchToRows(b));
      } catch (e) {
        this.keepUnsent(batches.slice(i), e);
        return;
      }
      this.written(b);
    }
  }

  private async writeAll(batches: HistoryBatch[]): Promise<void> {
    if (this.waitingForSpace(batches)) return;
    const s = this.store;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (b.rows === 0) continue;
      try {
        if (s.appendHistoryBatch) await s.appendHistoryBatch(this.id, b);
        else await s.appendHistory(this.id, batchToRows(b));
      } catch (e) {
        this.keepUnsent(batches.slice(i), e);
        return;
      }
      this.written(b);
    }
  }

  private written(b: HistoryBatch): void {
    this.flushedStep = b.steps[b.rows - 1];
    this.buffer.recycle(b);
  }

  /**
   * A write failed: accepted rows are kept for the next flush unless the store refused them for
   * good (a StoreError other than busy or full). The run warns once, however often this repeats.
   */
  private keepUnsent(rest: HistoryBatch[], e: unknown): void {
    this.warn(e);
    if (e instanceof StoreFullError) {
      this.fullError ??= e;
      this.retryAt = Date.now() + FULL_RETRY_MS;
    }
    const forGood = e instanceof StoreError && !PASSING.includes(e.code);
    if (forGood && rest.length > 0) this.lost += pointsOf(rest[0]);
    this.hold(forGood ? rest.slice(1) : rest);
  }
}
