/**
 * A columnar batch of committed history rows: what the tracker's in-memory buffer hands to a
 * store. Numbers travel as Float64Array columns (NaN and +/-Infinity included) so that a million
 * points cost a few typed-array copies instead of a million objects. Stores that only take
 * `HistoryRow[]` get the rows through `batchToRows`.
 */
import type { HistoryRow, StoredValue } from "./types.js";

/** One numeric key's points: `rows[i]` indexes the batch's row arrays, `values[i]` its value. */
export interface NumberColumn {
  n: number;
  rows: Int32Array;
  values: Float64Array;
}

/** A non-numeric value (string, boolean, null, array, object) at a batch row. */
export interface OtherValue {
  row: number;
  key: string;
  value: StoredValue;
}

export interface HistoryBatch {
  /** Number of rows; the arrays below may be longer (spare capacity) and are read up to `rows`. */
  rows: number;
  steps: Float64Array;
  /** Seconds since the run started. */
  runtimes: Float64Array;
  /** Epoch seconds. */
  timestamps: Float64Array;
  columns: Map<string, NumberColumn>;
  others: OtherValue[];
}

/** A store that can take a batch directly (the SQLite store; others get rows). It must not keep
 * the batch after returning (or resolving): the tracker reuses its arrays for the next one. */
export interface BatchWriter {
  appendHistoryBatch?(runId: string, batch: HistoryBatch): Promise<void>;
  appendHistoryBatchSync?(runId: string, batch: HistoryBatch): void;
}

/** Expands a batch into W&B-style rows (for stores without a batch method). */
export function batchToRows(b: HistoryBatch): HistoryRow[] {
  const rows: HistoryRow[] = new Array(b.rows);
  for (let i = 0; i < b.rows; i++) {
    rows[i] = { step: b.steps[i], runtime: b.runtimes[i], timestamp: b.timestamps[i], values: {} };
  }
  for (const [key, c] of b.columns) {
    for (let i = 0; i < c.n; i++) rows[c.rows[i]].values[key] = c.values[i];
  }
  for (const o of b.others) rows[o.row].values[o.key] = o.value;
  return rows;
}

/** Packs rows into a batch (numbers into columns); rows keep their order. */
export function rowsToBatch(rows: readonly HistoryRow[]): HistoryBatch {
  const n = rows.length;
  const b: HistoryBatch = {
    rows: n,
    steps: new Float64Array(n),
    runtimes: new Float64Array(n),
    timestamps: new Float64Array(n),
    columns: new Map(),
    others: [],
  };
  const counts = new Map<string, number>();
  for (const r of rows) {
    for (const k in r.values) {
      if (typeof r.values[k] === "number") counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  for (const [k, c] of counts) {
    b.columns.set(k, { n: 0, rows: new Int32Array(c), values: new Float64Array(c) });
  }
  rows.forEach((r, i) => {
    b.steps[i] = r.step;
    b.runtimes[i] = r.runtime;
    b.timestamps[i] = r.timestamp;
    for (const k in r.values) {
      const v = r.values[k];
      if (typeof v === "number") {
        const col = b.columns.get(k)!;
        col.rows[col.n] = i;
        col.values[col.n++] = v;
      } else b.others.push({ row: i, key: k, value: v });
    }
  });
  return b;
}
