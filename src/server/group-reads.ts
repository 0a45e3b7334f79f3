/**
 * The store reads of a grouped chart (`group-series.ts`): the x range every run of the chart
 * shares, and each run's buckets of one key on that range. Over 1,000 runs these reads are most
 * of a cold grouped chart's time, so they go to the store as several calls in flight at once
 * (a slice of the runs each): a store that reads in parallel (SQLite's read threads,
 * PostgreSQL's connection pool) then works on them side by side instead of one after another.
 */

import type { Db } from "../store/sqlite/connection.js";
import { SqliteStore } from "../store/sqlite/index.js";
import {
  keyRangeRows,
  keyVersionRows,
  type LastGrid,
  type LastGridQuery,
  readLastGridRows,
} from "../store/sqlite/last-grid.js";
import { PooledSqliteStore } from "../store/sqlite/read-pool-store.js";
import type { RunRecord, SeriesBucket, Store } from "../store/types.js";
import { type GridShape, GroupRowCache } from "./group-row-cache.js";

/** The x axis of a grouped chart, in the API's unit: steps, or epoch ms, or ms since start. */
export type GroupX = "step" | "time" | "relative";

/** Runs per store call: small enough to spread 1,000 runs over every read thread. */
const RUNS_PER_READ = 100;
/** Store calls in flight at once (each read thread takes the next when it is free). */
const READS_IN_FLIGHT = 8;
/** Key-list reads in flight at once (one small read per run). */
const KEY_READS_IN_FLIGHT = 32;

/** `fn` over `items`, at most `limit` calls pending at once; the results in `items`' order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** Fills each run of NaN between two values of `row` linearly (in place); returns `row`. */
export function fillGaps(row: Float64Array): Float64Array {
  let prev = -1;
  for (let k = 0; k < row.length; k++) {
    if (Number.isNaN(row[k]!)) continue;
    if (prev >= 0 && k - prev > 1) {
      const a = row[prev]!;
      const step = (row[k]! - a) / (k - prev);
      for (let j = prev + 1; j < k; j++) row[j] = a + step * (j - prev);
    }
    prev = k;
  }
  return row;
}

/** `items` cut into consecutive slices of at most `size`. */
function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Each run's last finite value of `key` per bucket of the API range [lo, hi] (`buckets` equal
 * ones; one when the range is a point), as one grid whose rows follow `runs`, with the
 * NaN/±Infinity counts per bucket (`last-grid.ts`). SQLite computes it in one read per slice of
 * runs (in its read threads when it has them); any other store from its bucketed series.
 */
export async function readGroupGrid(
  store: Store,
  runs: readonly RunRecord[],
  key: string,
  x: GroupX,
  range: { lo: number; hi: number; buckets: number },
): Promise<LastGrid> {
  const db = sqliteDb(store);
  if (!db) return readGrid(store, runs, key, x, range);
  // SQLite: the rows of runs whose points did not change since an earlier request come from
  // the row cache; only the others are read.
  const cache = rowCaches.get(db) ?? new GroupRowCache();
  rowCaches.set(db, cache);
  const shape: GridShape = { key, x, ...range };
  const versions = keyVersionRows(
    db,
    runs.map((r) => r.id),
    key,
  );
  const offsetOf = (r: RunRecord) => (x === "relative" ? r.createdAt : 0);
  const hits = runs.map((r, i) => cache.get(r.id, shape, offsetOf(r), versions[i]!));
  const missing = runs.flatMap((_r, i) => (hits[i] ? [] : [i]));
  if (missing.length === runs.length) {
    const grid = await readGrid(store, runs, key, x, range);
    for (const [i, r] of runs.entries()) cache.set(grid, i, shape, offsetOf(r), versions[i]!);
    return grid;
  }
  const read =
    missing.length > 0
      ? await readGrid(
          store,
          missing.map((i) => runs[i]!),
          key,
          x,
          range,
        )
      : undefined;
  for (const [j, i] of missing.entries())
    cache.set(read!, j, shape, offsetOf(runs[i]!), versions[i]!);
  return assembleGrid(runs, range.buckets, hits, missing, read);
}

/** The cached grid rows of each SQLite database (a server serves one store). */
const rowCaches = new WeakMap<Db, GroupRowCache>();

/** The SQLite database of `store`, or undefined for another kind of store. */
function sqliteDb(store: Store): Db | undefined {
  if (store instanceof SqliteStore) return store.db;
  if (store instanceof PooledSqliteStore) return store.base.db;
  return undefined;
}

/** One grid over `runs` from their cached rows (`hits`) and the grid `read` of the others. */
function assembleGrid(
  runs: readonly RunRecord[],
  buckets: number,
  hits: readonly ({ last: Float64Array; nonFinite: Float64Array | null } | undefined)[],
  missing: readonly number[],
  read: LastGrid | undefined,
): LastGrid {
  const grid: LastGrid = {
    runIds: runs.map((r) => r.id),
    buckets,
    last: new Float64Array(runs.length * buckets),
    nonFinite: null,
  };
  const odd = () => (grid.nonFinite ??= new Float64Array(runs.length * buckets * 3));
  hits.forEach((h, i) => {
    if (!h) return;
    grid.last.set(h.last, i * buckets);
    if (h.nonFinite) odd().set(h.nonFinite, i * buckets * 3);
  });
  missing.forEach((i, j) => {
    grid.last.set(read!.last.subarray(j * buckets, (j + 1) * buckets), i * buckets);
    const nf = read!.nonFinite?.subarray(j * buckets * 3, (j + 1) * buckets * 3);
    if (nf?.some((c) => c > 0)) odd().set(nf, i * buckets * 3);
  });
  return grid;
}

/** {@link readGroupGrid}'s read of every run's row from the store (no cache). */
async function readGrid(
  store: Store,
  runs: readonly RunRecord[],
  key: string,
  x: GroupX,
  range: { lo: number; hi: number; buckets: number },
): Promise<LastGrid> {
  // Store units: steps, or epoch seconds (time since start: shifted by each run's start).
  const scale = x === "step" ? 1 : 1000;
  const gridOf = (part: readonly RunRecord[]): LastGridQuery => ({
    runIds: part.map((r) => r.id),
    key,
    x: x === "step" ? "step" : "time",
    buckets: range.buckets,
    minX: range.lo / scale,
    maxX: range.hi / scale,
    ...(x === "relative" ? { offsets: part.map((r) => r.createdAt / 1000) } : {}),
  });
  const read = (part: readonly RunRecord[]): LastGrid | Promise<LastGrid> => {
    const q = gridOf(part);
    if (store instanceof SqliteStore) return readLastGridRows(store.db, q);
    if (store instanceof PooledSqliteStore) return store.readLastGrid(q);
    return gridFromSeries(store, q);
  };
  if (store instanceof SqliteStore) {
    // Reads on the event loop's own connection block it: a slice at a time, letting the
    // requests that came with this one (the runs page) be answered in between.
    const parts: LastGrid[] = [];
    for (const part of slices(runs, RUNS_PER_READ)) {
      parts.push(readLastGridRows(store.db, gridOf(part)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return joinGrids(parts, range.buckets);
  }
  // Slices where reads can run side by side.
  const parts = await mapLimit(slices(runs, RUNS_PER_READ), READS_IN_FLIGHT, async (p) => read(p));
  return joinGrids(parts, range.buckets);
}

/** Grids of consecutive slices of runs as one. */
function joinGrids(parts: readonly LastGrid[], buckets: number): LastGrid {
  if (parts.length === 1) return parts[0]!;
  const runIds = parts.flatMap((p) => p.runIds);
  const last = new Float64Array(runIds.length * buckets);
  const odd = parts.some((p) => p.nonFinite !== null);
  const nonFinite = odd ? new Float64Array(runIds.length * buckets * 3) : null;
  let at = 0;
  for (const p of parts) {
    last.set(p.last, at * buckets);
    if (nonFinite && p.nonFinite) nonFinite.set(p.nonFinite, at * buckets * 3);
    at += p.runIds.length;
  }
  return { runIds, buckets, last, nonFinite };
}

/** The grid from a store's bucketed series: the same buckets, so the same last values. */
async function gridFromSeries(store: Store, q: LastGridQuery): Promise<LastGrid> {
  const n = q.buckets;
  const grid: LastGrid = {
    runIds: [...q.runIds],
    buckets: n,
    last: new Float64Array(q.runIds.length * n).fill(Number.NaN),
    nonFinite: null,
  };
  const put = (row: number, buckets: readonly SeriesBucket[], lo: number, hi: number) => {
    for (const b of buckets) {
      // A bucket's x is its left edge, lo + k * (hi - lo) / n up to rounding.
      const k =
        hi > lo ? Math.min(n - 1, Math.max(0, Math.round(((b.x - lo) * n) / (hi - lo)))) : 0;
      if (b.count > 0) grid.last[row * n + k] = b.last;
      const nf = b.nonFinite;
      if (!nf) continue;
      grid.nonFinite ??= new Float64Array(q.runIds.length * n * 3);
      grid.nonFinite.set([nf.nan, nf.posInf, nf.negInf], (row * n + k) * 3);
    }
  };
  const base = { keys: [q.key], x: q.x, buckets: n, source: "history" } as const;
  if (q.offsets) {
    // Each run on its own range (time since its start).
    await mapLimit(q.runIds, READS_IN_FLIGHT, async (id) => {
      const row = grid.runIds.indexOf(id);
      const off = q.offsets![row]!;
      const [lo, hi] = [q.minX + off, q.maxX + off];
      const [s] = await store.readSeries({ ...base, runIds: [id], minX: lo, maxX: hi });
      if (s) put(row, s.buckets, lo, hi);
    });
    return grid;
  }
  const rows = new Map(q.runIds.map((id, i) => [id, i]));
  const got = await store.readSeries({ ...base, runIds: q.runIds, minX: q.minX, maxX: q.maxX });
  for (const s of got) put(rows.get(s.runId)!, s.buckets, q.minX, q.maxX);
  return grid;
}

/**
 * The x range every run shares (API units), from each run's own first and last x: on SQLite
 * from the chunks' bounds (`keyRangeRows`); on other stores by step from the key lists (no
 * chunk is read), by time from two buckets per run over its own range (the second starts
 * half-way, so both ends are exact). A bound the request gives is kept.
 * Undefined when no run has the key.
 */
export async function commonRange(
  store: Store,
  runs: readonly RunRecord[],
  key: string,
  q: { x: GroupX; xMin?: number; xMax?: number },
): Promise<[number, number] | undefined> {
  let lo = q.xMin ?? Number.POSITIVE_INFINITY;
  let hi = q.xMax ?? Number.NEGATIVE_INFINITY;
  if (q.xMin !== undefined && q.xMax !== undefined) return hi >= lo ? [lo, hi] : undefined;
  const widen = (first: number, last: number) => {
    if (q.xMin === undefined) lo = Math.min(lo, first);
    if (q.xMax === undefined) hi = Math.max(hi, last);
  };
  const db =
    store instanceof SqliteStore
      ? store.db
      : store instanceof PooledSqliteStore
        ? store.base.db
        : undefined;
  if (db) {
    // SQLite: the chunks' bounds from their covering index, one lookup per run (no point read).
    const axis = q.x === "step" ? "step" : "time";
    const { first, last } = keyRangeRows(
      db,
      runs.map((r) => r.id),
      key,
      axis,
    );
    const scale = axis === "step" ? 1 : 1000;
    runs.forEach((r, i) => {
      if (Number.isNaN(first[i]!)) return;
      const offset = q.x === "relative" ? r.createdAt : 0;
      widen(first[i]! * scale - offset, last[i]! * scale - offset);
    });
  } else if (q.x === "step") {
    const keys = await mapLimit(runs, KEY_READS_IN_FLIGHT, (r) => store.historyKeys(r.id));
    for (const list of keys) {
      const k = list.find((h) => h.key === key);
      if (k) widen(k.minStep, k.maxStep);
    }
  } else {
    const spans = await mapLimit(slices(runs, RUNS_PER_READ), READS_IN_FLIGHT, (part) =>
      store.readSeries({
        runIds: part.map((r) => r.id),
        keys: [key],
        x: "time",
        buckets: 2,
        source: "history",
      }),
    );
    const starts = new Map(runs.map((r) => [r.id, r.createdAt]));
    for (const s of spans.flat()) {
      const b = s.buckets;
      if (b.length === 0) continue;
      const offset = q.x === "relative" ? (starts.get(s.runId) ?? 0) : 0;
      const first = b[0]!.x * 1000 - offset;
      // Own-range buckets: [first, mid) and [mid, last]; one bucket when first = last.
      const last = b.length > 1 ? 2 * (b[1]!.x * 1000 - offset) - first : first;
      widen(first, last);
    }
  }
  return hi >= lo ? [lo, hi] : undefined;
}
