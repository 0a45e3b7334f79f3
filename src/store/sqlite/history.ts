/** History rows/values, system samples and console lines. */

import { decodeJson } from "../../shared/json-numbers.js";
import { type HistoryBatch, rowsToBatch } from "../history-batch.js";
import { checkConsoleLines, checkHistoryRows, checkSystemSamples } from "../history-checks.js";
import type {
  ConsoleLine,
  HistoryKeyInfo,
  HistoryRow,
  Point,
  PointQuery,
  StoredValue,
  SystemSample,
} from "../types.js";
import { chunkSteps, f64, mergeByStep } from "./chunks.js";
import { type Db, writeTx } from "./connection.js";
import { appendBatch, loadPackedBatch } from "./packed-history.js";
import { packKeys, packPoints, packRows } from "./packed-reads.js";
import { requireRun } from "./runs.js";
import { checkKey, KIND_JSON } from "./stored-values.js";

export function appendHistoryRows(db: Db, runId: string, rows: readonly HistoryRow[]): void {
  checkHistoryRows(rows);
  appendHistoryBatch(db, runId, rowsToBatch(rows));
}

export function appendHistoryBatch(db: Db, runId: string, batch: HistoryBatch): void {
  writeTx(db, () => appendBatch(db, runId, batch));
}

interface ChunkRow {
  id: number;
  key: string;
  min_step: number;
  max_step: number;
  n: number;
  steps: Buffer | null;
  vals: Buffer;
  ts: Buffer;
}

interface JsonRow {
  step: number;
  key: string;
  json: string;
  ts: number | null;
}

interface Part<T> {
  id: number;
  steps: ArrayLike<number>;
  items: T[];
}

/** Decodes a chunk's points inside [lo, hi] as `make(step, value, timestamp)` items. */
function decodeChunk<T>(
  c: ChunkRow,
  lo: number,
  hi: number,
  make: (s: number, v: number, t: number) => T,
) {
  const steps = chunkSteps(c.steps, c.min_step, c.n);
  const vals = f64(c.vals);
  const ts = f64(c.ts);
  const part: Part<T> = { id: c.id, steps: [], items: [] };
  const ps = part.steps as number[];
  for (let i = 0; i < c.n; i++) {
    if (steps[i] < lo || steps[i] > hi) continue;
    ps.push(steps[i]);
    part.items.push(make(steps[i], vals[i], ts[i]));
  }
  return part;
}

export function readHistoryRows(
  db: Db,
  runId: string,
  opts: { minStep?: number; maxStep?: number; limit?: number } = {},
): HistoryRow[] {
  const lo = opts.minStep ?? 0;
  let hi = opts.maxStep ?? Number.MAX_SAFE_INTEGER;
  const pack = loadPackedBatch(db, runId);
  if (pack) return packRows(pack, lo, hi, opts.limit);
  const metas = db
    .prepare(
      `SELECT id, min_step, n, steps, runtimes, ts FROM history_steps
       WHERE run = ? AND max_step >= ? AND min_step <= ? ORDER BY id`,
    )
    .all(runId, lo, hi) as (Omit<ChunkRow, "vals" | "key" | "max_step"> & { runtimes: Buffer })[];
  const parts: Part<HistoryRow>[] = metas.map((m) => {
    const steps = chunkSteps(m.steps, m.min_step, m.n);
    const rt = f64(m.runtimes);
    const ts = f64(m.ts);
    const part: Part<HistoryRow> = { id: m.id, steps: [], items: [] };
    for (let i = 0; i < m.n; i++) {
      if (steps[i] < lo || steps[i] > hi) continue;
      (part.steps as number[]).push(steps[i]);
      part.items.push({ step: steps[i], runtime: rt[i], timestamp: ts[i], values: {} });
    }
    return part;
  });
  let rows = mergeByStep(parts).items;
  if (opts.limit !== undefined && opts.limit >= 0) rows = rows.slice(0, opts.limit);
  if (rows.length === 0) return [];
  hi = rows[rows.length - 1].step;
  const byStep = new Map<number, HistoryRow>();
  for (const r of rows) byStep.set(r.step, r);
  const chunks = db
    .prepare(
      `SELECT id, key, min_step, max_step, n, steps, vals, ts FROM history_chunks
       WHERE run = ? AND max_step >= ? AND min_step <= ? ORDER BY id`,
    )
    .iterate(runId, lo, hi) as IterableIterator<ChunkRow>;
  for (const c of chunks) {
    const steps = chunkSteps(c.steps, c.min_step, c.n);
    const vals = f64(c.vals);
    for (let i = 0; i < c.n; i++) {
      const row = byStep.get(steps[i]);
      if (row) row.values[c.key] = vals[i];
    }
  }
  const json = db
    .prepare(
      `SELECT step, key, json FROM history_values
       WHERE run = ? AND step >= ? AND step <= ? AND kind = ${KIND_JSON}`,
    )
    .all(runId, lo, hi) as JsonRow[];
  for (const v of json) {
    const row = byStep.get(v.step);
    if (row) row.values[v.key] = decodeJson<StoredValue>(v.json);
  }
  return rows;
}

export function readPointRows(db: Db, q: PointQuery): Point[] {
  const pack = loadPackedBatch(db, q.runId);
  checkKey(q.key, "readPoints");
  const lo = q.minStep ?? 0;
  const hi = q.maxStep ?? Number.MAX_SAFE_INTEGER;
  const limit = q.limit !== undefined && q.limit >= 0 ? q.limit : Number.POSITIVE_INFINITY;
  if (pack) return packPoints(pack, q.key, lo, hi, limit);
  const parts: Part<Point>[] = [];
  const chunks = db
    .prepare(
      `SELECT id, key, min_step, max_step, n, steps, vals, ts FROM history_chunks
       WHERE run = ? AND key = ? AND max_step >= ? AND min_step <= ? ORDER BY min_step, id`,
    )
    .iterate(q.runId, q.key, lo, hi) as IterableIterator<ChunkRow>;
  let count = 0;
  let maxSeen = -1;
  for (const c of chunks) {
    // Chunks come by min_step: once `limit` points are in hand, later chunks cannot precede them.
    if (count >= limit && c.min_step > maxSeen) {
      chunks.return?.();
      break;
    }
    const part = decodeChunk(c, lo, hi, (step, value, timestamp) => ({ step, timestamp, value }));
    parts.push(part);
    count += part.items.length;
    if (c.max_step > maxSeen) maxSeen = c.max_step;
  }
  const json = db
    .prepare(
      `SELECT step, json, ts FROM history_values
       WHERE run = ? AND key = ? AND step >= ? AND step <= ? AND kind = ${KIND_JSON} ORDER BY step`,
    )
    .all(q.runId, q.key, lo, hi) as JsonRow[];
  if (json.length > 0) {
    parts.push({
      id: Number.MAX_SAFE_INTEGER,
      steps: json.map((j) => j.step),
      items: json.map((j) => ({ step: j.step, timestamp: j.ts ?? 0, value: decodeJson(j.json) })),
    });
  }
  parts.sort((a, b) => a.id - b.id);
  const { items } = mergeByStep(parts);
  return items.length > limit ? items.slice(0, limit) : items;
}

export function historyKeyRows(db: Db, runId: string): HistoryKeyInfo[] {
  const pack = loadPackedBatch(db, runId);
  if (pack) return packKeys(pack);
  return db
    .prepare(
      `SELECT key, SUM(n) AS count, MIN(lo) AS minStep, MAX(hi) AS maxStep FROM (
         SELECT key, n, min_step AS lo, max_step AS hi FROM history_chunks WHERE run = @run
         UNION ALL
         SELECT key, 1, step, step FROM history_values WHERE run = @run
       ) GROUP BY key ORDER BY key`,
    )
    .all({ run: runId }) as HistoryKeyInfo[];
}

export function appendSystemRows(db: Db, runId: string, samples: readonly SystemSample[]): void {
  checkSystemSamples(samples);
  writeTx(db, () => {
    requireRun(db, runId);
    const ins = db.prepare(
      "INSERT OR REPLACE INTO system_values (run, key, ts, num) VALUES (?, ?, ?, ?)",
    );
    for (const s of samples) {
      for (const [k, v] of Object.entries(s.values)) {
        ins.run(runId, k, s.timestamp, Number.isFinite(v) ? v : null);
      }
    }
  });
}

export function appendConsoleRows(db: Db, runId: string, lines: readonly ConsoleLine[]): void {
  checkConsoleLines(lines);
  writeTx(db, () => {
    requireRun(db, runId);
    let seq = (
      db
        .prepare("SELECT COALESCE(MAX(seq) + 1, 0) AS s FROM console_lines WHERE run = ?")
        .get(runId) as { s: number }
    ).s;
    const ins = db.prepare(
      "INSERT INTO console_lines (run, seq, stream, ts, text) VALUES (?, ?, ?, ?, ?)",
    );
    for (const l of lines) ins.run(runId, seq++, l.stream, l.timestamp, l.text);
  });
}

export function readConsoleRows(
  db: Db,
  runId: string,
  opts: { offset?: number; limit?: number } = {},
): ConsoleLine[] {
  requireRun(db, runId);
  return db
    .prepare(
      `SELECT stream, ts AS timestamp, text FROM console_lines WHERE run = ?
       ORDER BY seq LIMIT ? OFFSET ?`,
    )
    .all(runId, opts.limit ?? -1, opts.offset ?? 0) as ConsoleLine[];
}
