/**
 * The history reads of a packed run (`history-pack.ts`), answering exactly what the same
 * history read from chunks answers: the same rows, points, key summaries and series buckets
 * (a pack is what one closing write would have made one chunk per key of). A pack holds each
 * step once, in increasing order, so nothing here needs the chunk reads' merge by write order.
 */
import { chunkStats } from "../chunk-stats.js";
import type { HistoryBatch, NumberColumn } from "../history-batch.js";
import type { HistoryKeyInfo, HistoryRow, Point, StoredValue } from "../types.js";
import type { ChunkMeta, DecodedChunk } from "./chunk-buckets.js";

/** SQLite's BINARY order of TEXT (UTF-8 bytes, i.e. code points), which `ORDER BY key` uses. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Index of the first row with step >= `step` (rows are in increasing step order). */
function firstRowFrom(b: HistoryBatch, step: number): number {
  let lo = 0;
  let hi = b.rows;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (b.steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows with a step in [lo, hi], at most `limit` (negative: no limit), with their values. */
export function packRows(b: HistoryBatch, lo: number, hi: number, limit?: number): HistoryRow[] {
  const from = firstRowFrom(b, lo);
  let to = from;
  const max = limit !== undefined && limit >= 0 ? limit : Number.POSITIVE_INFINITY;
  while (to < b.rows && b.steps[to] <= hi && to - from < max) to++;
  const rows: HistoryRow[] = [];
  for (let i = from; i < to; i++) {
    rows.push({ step: b.steps[i], runtime: b.runtimes[i], timestamp: b.timestamps[i], values: {} });
  }
  if (rows.length === 0) return rows;
  for (const [key, col] of b.columns) {
    for (let i = 0; i < col.n; i++) {
      const r = col.rows[i];
      if (r >= from && r < to) rows[r - from].values[key] = col.values[i];
    }
  }
  // Other values after the numbers, by step then key, as the chunk reads' value rows come.
  const others = b.others.filter((o) => o.row >= from && o.row < to);
  others.sort((x, y) => x.row - y.row || byCodePoint(x.key, y.key));
  for (const o of others) rows[o.row - from].values[o.key] = o.value;
  return rows;
}

/** The key's points with a step in [lo, hi], in step order, at most `limit`. */
export function packPoints(
  b: HistoryBatch,
  key: string,
  lo: number,
  hi: number,
  limit: number,
): Point[] {
  const points: Point[] = [];
  const col = b.columns.get(key);
  for (let i = 0; i < (col?.n ?? 0); i++) {
    const step = b.steps[col!.rows[i]];
    if (step >= lo && step <= hi) {
      points.push({ step, timestamp: b.timestamps[col!.rows[i]], value: col!.values[i] });
    }
  }
  for (const o of b.others) {
    const step = b.steps[o.row];
    if (o.key === key && step >= lo && step <= hi) {
      points.push({ step, timestamp: b.timestamps[o.row], value: o.value as StoredValue });
    }
  }
  points.sort((x, y) => x.step - y.step);
  return points.length > limit ? points.slice(0, limit) : points;
}

/** Each key's point count and step range, sorted by key. */
export function packKeys(b: HistoryBatch): HistoryKeyInfo[] {
  const keys = new Map<string, HistoryKeyInfo>();
  const add = (key: string, step: number) => {
    const k = keys.get(key);
    if (k === undefined) keys.set(key, { key, count: 1, minStep: step, maxStep: step });
    else {
      k.count++;
      if (step < k.minStep) k.minStep = step;
      if (step > k.maxStep) k.maxStep = step;
    }
  };
  for (const [key, col] of b.columns)
    for (let i = 0; i < col.n; i++) add(key, b.steps[col.rows[i]]);
  for (const o of b.others) add(o.key, b.steps[o.row]);
  return [...keys.values()].sort((x, y) => byCodePoint(x.key, y.key));
}

/**
 * The key's numbers as the one chunk a closing write would have stored, meta and decoded data
 * for `bucketChunks`; undefined when the key has no number.
 */
export function packChunk(
  b: HistoryBatch,
  key: string,
  byTime: boolean,
): { meta: ChunkMeta; data: DecodedChunk } | undefined {
  const col = b.columns.get(key);
  if (col === undefined || col.n === 0) return undefined;
  const steps = new Float64Array(col.n);
  const ts = new Float64Array(col.n);
  for (let i = 0; i < col.n; i++) {
    steps[i] = b.steps[col.rows[i]];
    ts[i] = b.timestamps[col.rows[i]];
  }
  const meta = chunkMeta(col, steps, ts);
  const consecutive = !byTime && steps[col.n - 1] - steps[0] === col.n - 1;
  const values = col.values.subarray(0, col.n);
  return { meta, data: { consecutive, x: byTime ? ts : consecutive ? null : steps, v: values } };
}

/** The whole-chunk fields the chunk writer stores (`ChunkWriter.column` in chunks.ts). */
function chunkMeta(col: NumberColumn, steps: Float64Array, ts: Float64Array): ChunkMeta {
  const stats = chunkStats(col.values, ts, col.n);
  return {
    id: -1,
    min_step: steps[0],
    max_step: steps[col.n - 1],
    n: col.n,
    min_ts: stats.minTs,
    max_ts: stats.maxTs,
    nfin: stats.nfin,
    vmin: stats.vmin,
    vmax: stats.vmax,
    vlast: stats.vlast,
  };
}
