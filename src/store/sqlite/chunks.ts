/**
 * History as chunks: one row per (run, key, up to CHUNK consecutive points) holding packed
 * Float64 steps/values/timestamps BLOBs plus min/max/last/count of the finite values, so a
 * million points are a few hundred inserts and downsampled reads can use whole-chunk aggregates.
 * Row metadata (step, runtime, timestamp) is chunked the same way in `history_steps`.
 * Non-numeric values stay one row each in `history_values` (kind 4, JSON text).
 */

import type { Statement } from "better-sqlite3";
import { encodeJson } from "../../shared/json-numbers.js";
import { chunkStats } from "../chunk-stats.js";
import type { HistoryBatch } from "../history-batch.js";
import { checkHistoryBatch } from "../history-checks.js";
import { type Db, stmt } from "./connection.js";
import { requireRun } from "./runs.js";
import { KIND_JSON } from "./stored-values.js";

/** Points per chunk: big enough to make inserts cheap, small enough for partial decodes. */
export const CHUNK = 4096;

/** The bytes of a Float64Array, without a copy (SQLite copies them when it binds). */
function buf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
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

/**
 * A write smaller than this joins the key's last chunk when that stays under it, so a live run
 * flushed every ~100 ms builds chunks of up to MERGE_MAX points instead of one row per flush.
 * Small on purpose: each join rewrites the tail chunk (at most MERGE_MAX * 24 bytes).
 */
export const MERGE_MAX = 256;

const gSteps = new Float64Array(CHUNK);
const gVals = new Float64Array(CHUNK);
const gTs = new Float64Array(CHUNK);

/**
 * Writes a batch (caller holds the write transaction). Validates everything before writing.
 * `fresh`: the run has no history stored yet, so there is no last chunk to look up and join
 * (a hint that saves a query per key; wrong only costs an extra chunk row, never a point).
 */
export function writeBatch(db: Db, runId: string, b: HistoryBatch, fresh = false): void {
  checkHistoryBatch(b);
  requireRun(db, runId);
  writeChunks(db, runId, b, fresh);
}

/** {@link writeBatch} for a batch already validated, of a run known to exist. */
export function writeChunks(db: Db, runId: string, b: HistoryBatch, fresh = false): void {
  if (b.rows === 0) return;
  const w = new ChunkWriter(db, runId, fresh);
  for (let a = 0; a < b.rows; a += CHUNK) {
    const e = Math.min(b.rows, a + CHUNK);
    w.rows(b.steps.subarray(a, e), b.runtimes.subarray(a, e), b.timestamps.subarray(a, e));
  }
  for (const [key, col] of b.columns) {
    for (let a = 0; a < col.n; a += CHUNK) {
      const n = Math.min(col.n, a + CHUNK) - a;
      for (let i = 0; i < n; i++) {
        const r = col.rows[a + i];
        gSteps[i] = b.steps[r];
        gTs[i] = b.timestamps[r];
        gVals[i] = col.values[a + i];
      }
      w.column(key, gSteps.subarray(0, n), gVals.subarray(0, n), gTs.subarray(0, n));
    }
  }
  if (b.others.length > 0) {
    const ins = stmt(
      db,
      `INSERT OR REPLACE INTO history_values (run, key, step, kind, num, json, ts)
       VALUES (?, ?, ?, ${KIND_JSON}, NULL, ?, ?)`,
    );
    for (const o of b.others) {
      ins.run(runId, o.key, b.steps[o.row], encodeJson(o.value), b.timestamps[o.row]);
    }
  }
}

interface Tail {
  id: number;
  min_step: number;
  max_step: number;
  n: number;
  steps: Buffer | null;
  a: Buffer;
  ts: Buffer;
}

function concat(old: Float64Array, add: Float64Array): Float64Array {
  const out = new Float64Array(old.length + add.length);
  out.set(old);
  out.set(add, old.length);
  return out;
}

/** Inserts chunks, or joins small writes onto the last chunk (see MERGE_MAX). */
class ChunkWriter {
  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly fresh: boolean,
  ) {}

  private stmt(sql: string): Statement<unknown[]> {
    return stmt(this.db, sql);
  }

  /** The last chunk when `steps` (sorted, after it) can join it, else undefined. */
  private tail(sql: string, args: unknown[], steps: Float64Array): Tail | undefined {
    if (this.fresh || steps.length >= MERGE_MAX) return undefined;
    const t = this.stmt(sql).get(...args) as Tail | undefined;
    if (!t || t.n + steps.length > MERGE_MAX || !(steps[0] > t.max_step)) return undefined;
    for (let i = 1; i < steps.length; i++) if (!(steps[i] > steps[i - 1])) return undefined;
    return t;
  }

  rows(steps: Float64Array, runtimes: Float64Array, ts: Float64Array): void {
    const t = this.tail(
      `SELECT id, min_step, max_step, n, steps, runtimes AS a, ts FROM history_steps
       WHERE run = ? ORDER BY max_step DESC LIMIT 1`,
      [this.runId],
      steps,
    );
    if (t) {
      steps = concat(chunkSteps(t.steps, t.min_step, t.n), steps);
      runtimes = concat(f64(t.a), runtimes);
      ts = concat(f64(t.ts), ts);
    }
    const [mn, mx, consecutive] = stepRange(steps, 0, steps.length);
    const cols = [mn, mx, steps.length, consecutive ? null : buf(steps), buf(runtimes), buf(ts)];
    if (t) {
      this.stmt(
        `UPDATE history_steps SET min_step = ?, max_step = ?, n = ?, steps = ?, runtimes = ?, ts = ?
         WHERE id = ?`,
      ).run(...cols, t.id);
    } else {
      this.stmt(
        `INSERT INTO history_steps (min_step, max_step, n, steps, runtimes, ts, run)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(...cols, this.runId);
    }
  }

  column(key: string, steps: Float64Array, vals: Float64Array, ts: Float64Array): void {
    const t = this.tail(
      `SELECT id, min_step, max_step, n, steps, vals AS a, ts FROM history_chunks
       WHERE run = ? AND key = ? ORDER BY max_step DESC LIMIT 1`,
      [this.runId, key],
      steps,
    );
    if (t) {
      steps = concat(chunkSteps(t.steps, t.min_step, t.n), steps);
      vals = concat(f64(t.a), vals);
      ts = concat(f64(t.ts), ts);
    }
    const n = steps.length;
    const stats = chunkStats(vals, ts, n);
    const [mn, mx, consecutive] = stepRange(steps, 0, n);
    const cols = [
      mn,
      mx,
      n,
      consecutive ? null : buf(steps),
      buf(vals),
      buf(ts),
      stats.minTs,
      stats.maxTs,
      stats.nfin,
      stats.vmin,
      stats.vmax,
      stats.vlast,
    ];
    if (t) {
      this.stmt(
        `UPDATE history_chunks SET min_step = ?, max_step = ?, n = ?, steps = ?, vals = ?, ts = ?,
           min_ts = ?, max_ts = ?, nfin = ?, vmin = ?, vmax = ?, vlast = ? WHERE id = ?`,
      ).run(...cols, t.id);
    } else {
      this.stmt(
        `INSERT INTO history_chunks (min_step, max_step, n, steps, vals, ts, min_ts, max_ts, nfin,
           vmin, vmax, vlast, run, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(...cols, this.runId, key);
    }
  }
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
