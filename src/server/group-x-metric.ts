/**
 * Grouped charts against a logged metric instead of the step (W&B's step metric, e.g.
 * `epoch`; `xKey` in `POST /api/series/groups`), as single-run charts do it
 * (`web/src/charts/x-metric.ts`): each of a run's step buckets is placed at the value the x
 * metric had there (its last value at or before the bucket), then the runs are binned on the
 * metric's own range, so runs that log the metric at different step rates still line up.
 */
import type { RunRecord, Store } from "../store/types.js";
import { type NonFiniteGrid, placeNonFinite } from "./group-non-finite.js";
import { commonRange, fillGaps, readGroupGrid } from "./group-reads.js";

/** Each run's values on buckets of the x metric's range: `lo + k * width` is bucket k's edge. */
export interface MetricGrid {
  lo: number;
  width: number;
  rows: Map<string, Float64Array>;
  /** The runs' NaN/±Infinity counts on the same buckets (rows as `rowOf` says), when any. */
  counts?: NonFiniteGrid;
  rowOf?: Map<string, number>;
}

/**
 * The runs' last values of `key` binned by `xKey`'s value into `buckets` (the range the x
 * metric spans, or [xMin, xMax] when asked), gaps inside a run's range filled; undefined when no
 * run has both keys.
 */
export async function metricGrid(
  store: Store,
  runs: readonly RunRecord[],
  key: string,
  xKey: string,
  q: { buckets: number; xMin?: number; xMax?: number },
): Promise<MetricGrid | undefined> {
  const steps = await commonRange(store, runs, key, { x: "step" });
  if (!steps) return undefined;
  const range = { lo: steps[0], hi: steps[1], buckets: steps[1] > steps[0] ? q.buckets : 1 };
  const [ys, xs] = await Promise.all([
    readGroupGrid(store, runs, key, "step", range),
    readGroupGrid(store, runs, xKey, "step", range),
  ]);
  const n = range.buckets;
  const xRow = new Map(xs.runIds.map((id, r) => [id, r]));
  // Per run and step bucket, the x metric's value there: carried forward, never interpolated.
  const placed = ys.runIds.map((id, r) => {
    const at = new Float64Array(n).fill(Number.NaN);
    const xr = xRow.get(id);
    if (xr === undefined) return { id, at, y: ys.last.subarray(r * n, (r + 1) * n) };
    let carried = Number.NaN;
    for (let k = 0; k < n; k++) {
      const xv = xs.last[xr * n + k]!;
      if (!Number.isNaN(xv)) carried = xv;
      at[k] = carried;
    }
    return { id, at, y: ys.last.subarray(r * n, (r + 1) * n) };
  });
  let lo = q.xMin ?? Number.POSITIVE_INFINITY;
  let hi = q.xMax ?? Number.NEGATIVE_INFINITY;
  for (const p of placed) {
    for (let k = 0; k < n; k++) {
      const xv = p.at[k]!;
      if (Number.isNaN(xv) || Number.isNaN(p.y[k]!)) continue;
      if (q.xMin === undefined && xv < lo) lo = xv;
      if (q.xMax === undefined && xv > hi) hi = xv;
    }
  }
  if (!(hi >= lo)) return undefined;
  const buckets = hi > lo ? q.buckets : 1;
  const width = (hi - lo) / buckets;
  const rows = new Map<string, Float64Array>();
  for (const p of placed) {
    const row = new Float64Array(buckets).fill(Number.NaN);
    for (let k = 0; k < n; k++) {
      const xv = p.at[k]!;
      const y = p.y[k]!;
      if (Number.isNaN(xv) || Number.isNaN(y) || xv < lo || xv > hi) continue;
      // In step order: a later step at the same metric value wins, as a bucket's last does.
      row[width > 0 ? Math.min(buckets - 1, Math.floor((xv - lo) / width)) : 0] = y;
    }
    rows.set(p.id, fillGaps(row));
  }
  const counts = placeNonFinite(ys, placed.length, (r) => placed[r]!.at, lo, width, buckets);
  if (!counts) return { lo, width, rows };
  return { lo, width, rows, counts, rowOf: new Map(ys.runIds.map((id, r) => [id, r])) };
}
