/**
 * Moves a run's buffered history to its store: in order, synchronously when the store can (for
 * backpressure and process exit), keeping batches whose write failed with a passing error
 * (busy) for the next attempt so accepted rows are not lost.
 */
import { batchToRows, type HistoryBatch } from "../store/history-batch.js";
import { StoreError } from "../store/types.js";
import { HistoryBuffer } from "./history-buffer.js";
import type { SyncStore } from "./run-types.js";

/** Failed batches kept for a retry (each at most about the run's byte cap). */
const MAX_UNSENT = 64;

export class HistoryWriter {
  readonly buf = new HistoryBuffer();
  /** The highest step the store has confirmed written (-1 before the first write). */
  flushedStep = -1;
  private unsent: HistoryBatch[] = [];

  constructor(
    private readonly store: SyncStore,
    private readonly id: string,
    private readonly warn: (e: unknown) => void,
  ) {}

  /** Rows waiting: in the buffer or from a failed write. */
  get pending(): boolean {
    return this.buf.rows > 0 || this.unsent.length > 0;
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
    if (this.buf.rows > 0) batches.push(this.buf.take());
    try {
      write(batches);
    } catch {
      this.unsent = [...batches, ...this.unsent];
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
    all.push(this.buf.take());
    return all;
  }

  private writeAllSync(batches: HistoryBatch[]): void {
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
    this.buf.recycle(b);
  }

  /**
   * A write failed: accepted rows are kept for the next flush unless the store refused them for
   * good (a StoreError other than "busy"); past MAX_UNSENT batches the oldest go, with a warning.
   */
  private keepUnsent(rest: HistoryBatch[], e: unknown): void {
    this.warn(e);
    const forGood = e instanceof StoreError && e.code !== "busy";
    this.unsent = [...(forGood ? rest.slice(1) : rest), ...this.unsent];
    if (this.unsent.length > MAX_UNSENT) {
      this.unsent.splice(0, this.unsent.length - MAX_UNSENT);
      console.warn(`amltk: run ${this.id}: the store keeps failing; oldest unsent rows dropped`);
    }
  }
}
