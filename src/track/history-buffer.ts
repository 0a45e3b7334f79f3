/**
 * The run's in-memory history: committed rows as columns (Float64Array per row field, and per
 * numeric key a row-index + value pair), grown by doubling. A million one-key rows cost
 * ~36 MB of typed arrays instead of a million objects, and hand over to the store as one
 * `HistoryBatch` without copying. The cap is in bytes so many keys and few keys bound alike.
 */
import type { HistoryBatch, NumberColumn, OtherValue } from "../store/history-batch.js";
import type { StoredValue } from "../store/types.js";

/**
 * Initial capacity in rows. Small: a trial-sized run logs a handful of rows and its arrays are
 * garbage at finish; long runs double their way up in a few steps.
 */
const ROWS_START = 16;
/**
 * Initial capacity of a key's points: 8, so a new column's arrays (64 and 32 bytes) live in V8's
 * heap. A typed array over 64 bytes gets a separately allocated backing store, which costs a
 * malloc and a free each; a trial's report logs several keys once each.
 */
const POINTS_START = 8;
/** Rough cost of a non-numeric value kept as a JS object (bytes). */
const OTHER_BYTES = 96;
/**
 * The row arrays of a buffer that holds no rows yet: allocated on the first row, so the empty
 * buffer a finishing run's last `take` leaves allocates nothing. Length 0: never written.
 */
const NO_ROWS = new Float64Array(0);

/**
 * Arrays of finished runs' buffers, for the next runs' buffers (see {@link HistoryBuffer.release}):
 * a process that runs a trial per run then allocates no row arrays (off V8's heap at
 * {@link ROWS_START} rows: a malloc and a free each) and no key columns per trial. Bounded, and
 * only small arrays are kept, so a long run's big arrays are not held after it.
 */
let freeRows: Pick<HistoryBatch, "steps" | "runtimes" | "timestamps"> | null = null;
const freeColumns: NumberColumn[] = [];
const MAX_FREE_COLUMNS = 64;
const MAX_KEPT_LENGTH = 256;

/** A new key's column: a finished run's when one is free, else a new one. */
function newColumn(): NumberColumn {
  const col = freeColumns.pop();
  if (col === undefined) {
    return { n: 0, rows: new Int32Array(POINTS_START), values: new Float64Array(POINTS_START) };
  }
  col.n = 0;
  return col;
}

function grow<T extends Float64Array | Int32Array>(a: T, need: number, start: number): T {
  let cap = Math.max(a.length, start);
  while (cap < need) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

export class HistoryBuffer {
  rows = 0;
  /** Bytes of data held (not capacity): 24 per row, 12 per number, ~96 per other value. */
  bytes = 0;
  private steps: Float64Array = NO_ROWS;
  private runtimes: Float64Array = NO_ROWS;
  private timestamps: Float64Array = NO_ROWS;
  private columns = new Map<string, NumberColumn>();
  private others: OtherValue[] = [];
  private lastKey = "";
  private lastCol: NumberColumn | null = null;
  private spare: HistoryBatch | null = null;

  /** Appends a row; returns its index for `addNumber` / `addOther`. */
  addRow(step: number, runtime: number, timestamp: number): number {
    const i = this.rows;
    if (i === this.steps.length) {
      if (i === 0 && freeRows !== null) {
        this.steps = freeRows.steps;
        this.runtimes = freeRows.runtimes;
        this.timestamps = freeRows.timestamps;
        freeRows = null;
      } else this.growRows(i + 1);
    }
    this.steps[i] = step;
    this.runtimes[i] = runtime;
    this.timestamps[i] = timestamp;
    this.rows = i + 1;
    this.bytes += 24;
    return i;
  }

  private growRows(need: number): void {
    this.steps = grow(this.steps, need, ROWS_START);
    this.runtimes = grow(this.runtimes, need, ROWS_START);
    this.timestamps = grow(this.timestamps, need, ROWS_START);
  }

  addNumber(row: number, key: string, value: number): void {
    let col = key === this.lastKey ? this.lastCol : this.columns.get(key);
    if (col === undefined || col === null) {
      col = newColumn();
      this.columns.set(key, col);
    }
    this.lastKey = key;
    this.lastCol = col;
    const n = col.n;
    if (n === col.values.length) {
      col.rows = grow(col.rows, n + 1, POINTS_START);
      col.values = grow(col.values, n + 1, POINTS_START);
    }
    col.rows[n] = row;
    col.values[n] = value;
    col.n = n + 1;
    this.bytes += 12;
  }

  addOther(row: number, key: string, value: StoredValue): void {
    this.others.push({ row, key, value });
    // A rough size, so that big strings and arrays count against the cap too.
    this.bytes +=
      OTHER_BYTES +
      (typeof value === "string" ? 2 * value.length : Array.isArray(value) ? 8 * value.length : 0);
  }

  /** Adds a flattened row: numbers to columns, everything else kept as values. */
  addValues(row: number, values: Record<string, StoredValue>): void {
    for (const k in values) {
      const v = values[k];
      if (typeof v === "number") this.addNumber(row, k, v);
      else this.addOther(row, k, v);
    }
  }

  /**
   * Hands the contents over as a batch and starts empty, on the arrays of a recycled batch when
   * there is one (so a long synchronous log loop reuses two sets of arrays instead of leaving
   * garbage for the GC to find late, which is what drives peak RSS).
   */
  take(): HistoryBatch {
    const b: HistoryBatch = {
      rows: this.rows,
      steps: this.steps,
      runtimes: this.runtimes,
      timestamps: this.timestamps,
      columns: this.columns,
      others: this.others,
    };
    const spare = this.spare;
    this.spare = null;
    if (spare) {
      this.steps = spare.steps;
      this.runtimes = spare.runtimes;
      this.timestamps = spare.timestamps;
      for (const c of spare.columns.values()) c.n = 0;
      this.columns = spare.columns;
    } else {
      this.steps = NO_ROWS;
      this.runtimes = NO_ROWS;
      this.timestamps = NO_ROWS;
      this.columns = new Map();
    }
    this.others = [];
    this.lastKey = "";
    this.lastCol = null;
    this.rows = 0;
    this.bytes = 0;
    return b;
  }

  /** Gives back a batch the store is done with; its arrays become the next buffer's. */
  recycle(b: HistoryBatch): void {
    if (this.spare === null && b.steps !== this.steps) this.spare = b;
  }

  /**
   * The run is done with this buffer (its last batch written and recycled): the recycled
   * batch's small arrays go to the next new buffers of this process. Nothing of the buffer may
   * be used after, and the store kept none of the batch (see `BatchWriter`).
   */
  release(): void {
    const spare = this.spare;
    this.spare = null;
    if (spare === null) return;
    if (freeRows === null && spare.steps.length > 0 && spare.steps.length <= MAX_KEPT_LENGTH) {
      freeRows = { steps: spare.steps, runtimes: spare.runtimes, timestamps: spare.timestamps };
    }
    for (const col of spare.columns.values()) {
      if (freeColumns.length >= MAX_FREE_COLUMNS) break;
      if (col.values.length <= MAX_KEPT_LENGTH) freeColumns.push(col);
    }
  }

  /** The step of the last row held, or -1. */
  get lastStep(): number {
    return this.rows === 0 ? -1 : this.steps[this.rows - 1];
  }
}
