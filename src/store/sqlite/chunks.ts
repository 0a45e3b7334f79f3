/**
 * History as chunks: one row per (run, key, up to CHUNK consecutive points) holding packed
 * Float64 steps/values/timestamps BLOBs plus min/max/last/count of the finite values, so a
 * million points are a few hundred inserts and downsampled reads can use whole-chunk aggregates.
 * Row metadata (step, runtime, timestamp) is chunked the same way in `history_steps`.
 * Non-numeric values stay one row each in `history_values` (kind 4, JSON text).
 */

import type { Statement } from "better-sqlite3";
import type { HistoryBatch, NumberColumn } from "../history-batch.js";
import { StoreError } from "../types.js";
import type { Db } from "./db.js";
import { requireRun } from "./runs.js";
import { checkKey, checkValue, KIND_JSON, toJson } from "./values.js";

/** Points per chunk: big enough to make inserts cheap, small enough for partial decodes. */
export const CHUNK = 4096;

function view(a: Float64Array, from: number, to: number): Buffer {
  return Buffer.from(a.buffer, a.byteOffset + from * 8, (to - from) * 8);
}

/** Float64Array over a BLOB (copied when the Buffer is not 8-byte aligned). */
export function f64(buf: Buffer): Float64Array {
  if (buf.byteOffset % 8 === 0) return new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8);
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

/** Steps of a chunk: stored, or `min..min+n-1` when the BLOB is NULL (consecutive steps). */
export function chunkSteps(steps: Buffer | null, minStep: number, n: number): Float64Array {
  if (steps) return f64(steps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = minStep + i;
  return out;
}

/** [min, max, consecutive] of a[from..to). */
function stepRange(a: Float64Array, from: number, to: number): [number, number, boolean] {
  let mn = a[from];
  let mx = a[from];
  let consecutive = true;
  for (let i = from + 1; i < to; i++) {
    const s = a[i];
    if (s !== a[from] + (i - from)) consecutive = false;
    if (s < mn) mn = s;
    if (s > mx) mx = s;
  }
  return [mn, mx, consecutive];
}

function validate(b: HistoryBatch): void {
  for (let i = 0; i < b.rows; i++) {
    const s = b.steps[i];
    if (!Number.isSafeInteger(s) || s < 0) {
      throw new StoreError(`history row ${i}: invalid step ${JSON.stringify(s)}`, "invalid");
    }
    if (!Number.isFinite(b.runtimes[i]) || !Number.isFinite(b.timestamps[i])) {
      throw new StoreError(`history row ${i}: invalid runtime or timestamp`, "invalid");
    }
  }
  for (const key of b.columns.keys()) checkKey(key, "history");
  for (const o of b.others) {
    checkKey(o.key, `history row ${o.row}`);
    checkValue(o.value, `history row ${o.row} key ${JSON.stringify(o.key)}`);
  }
}

const gSteps = new Float64Array(CHUNK);
const gTs = new Float64Array(CHUNK);

/** Writes a batch (caller holds the write transaction). Validates everything before writing. */
export function writeBatch(db: Db, runId: string, b: HistoryBatch): void {
  validate(b);
  requireRun(db, runId);
  if (b.rows === 0) return;
  const insRows = db.prepare(
    `INSERT INTO history_steps (run, min_step, max_step, n, steps, runtimes, ts)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (let a = 0; a < b.rows; a += CHUNK) {
    const e = Math.min(b.rows, a + CHUNK);
    const [mn, mx, consecutive] = stepRange(b.steps, a, e);
    insRows.run(
      runId,
      mn,
      mx,
      e - a,
      consecutive ? null : view(b.steps, a, e),
      view(b.runtimes, a, e),
      view(b.timestamps, a, e),
    );
  }
  const insChunk = db.prepare(
    `INSERT INTO history_chunks
       (run, key, min_step, max_step, n, steps, vals, ts, min_ts, max_ts, nfin, vmin, vmax, vlast)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const [key, col] of b.columns) {
    for (let a = 0; a < col.n; a += CHUNK) writeColumnChunk(insChunk, runId, key, b, col, a);
  }
  if (b.others.length > 0) {
    const ins = db.prepare(
      `INSERT OR REPLACE INTO history_values (run, key, step, kind, num, json, ts)
       VALUES (?, ?, ?, ${KIND_JSON}, NULL, ?, ?)`,
    );
    for (const o of b.others) {
      ins.run(runId, o.key, b.steps[o.row], toJson(o.value), b.timestamps[o.row]);
    }
  }
}

function writeColumnChunk(
  ins: Statement<unknown[]>,
  runId: string,
  key: string,
  b: HistoryBatch,
  col: NumberColumn,
  a: number,
): void {
  const e = Math.min(col.n, a + CHUNK);
  const n = e - a;
  let nfin = 0;
  let vmin = Number.POSITIVE_INFINITY;
  let vmax = Number.NEGATIVE_INFINITY;
  let vlast = 0;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const r = col.rows[a + i];
    gSteps[i] = b.steps[r];
    const t = b.timestamps[r];
    gTs[i] = t;
    if (t < minTs) minTs = t;
    if (t > maxTs) maxTs = t;
    const v = col.values[a + i];
    if (Number.isFinite(v)) {
      nfin++;
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
      vlast = v;
    }
  }
  const [mn, mx, consecutive] = stepRange(gSteps, 0, n);
  ins.run(
    runId,
    key,
    mn,
    mx,
    n,
    consecutive ? null : view(gSteps, 0, n),
    view(col.values, a, e),
    view(gTs, 0, n),
    minTs,
    maxTs,
    nfin,
    nfin > 0 ? vmin : null,
    nfin > 0 ? vmax : null,
    nfin > 0 ? vlast : null,
  );
}

/** Points gathered from chunks (and JSON rows), sorted by step with later writes winning. */
export interface Gathered<T> {
  steps: number[];
  items: T[];
}

/**
 * Merges per-source point lists given in write order. When sources are already sorted and
 * disjoint (the normal case) this is a concatenation; otherwise a stable sort + dedupe.
 */
export function mergeByStep<T>(parts: { steps: ArrayLike<number>; items: T[] }[]): Gathered<T> {
  let ordered = true;
  let prev = -1;
  for (const p of parts) {
    for (let i = 0; i < p.steps.length; i++) {
      if (p.steps[i] <= prev) ordered = false;
      prev = p.steps[i];
    }
    if (!ordered) break;
  }
  const steps: number[] = [];
  const items: T[] = [];
  if (ordered) {
    for (const p of parts) {
      for (let i = 0; i < p.steps.length; i++) {
        steps.push(p.steps[i]);
        items.push(p.items[i]);
      }
    }
    return { steps, items };
  }
  const last = new Map<number, T>();
  for (const p of parts) for (let i = 0; i < p.steps.length; i++) last.set(p.steps[i], p.items[i]);
  const keys = [...last.keys()].sort((x, y) => x - y);
  return { steps: keys, items: keys.map((k) => last.get(k)!) };
}
