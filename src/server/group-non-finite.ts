/**
 * The NaN/±Infinity counts of a grouped chart: each run's non-finite counts per bucket of the
 * common grid, summed over the group's runs, sent sparse beside the group's statistics (which
 * describe finite values only), so the dashboard can mark where a group's runs diverged.
 */
import type { NonFiniteColumns } from "../protocol/dashboard.js";

/**
 * Runs' counts on a grid of `buckets` per run: run row `r`'s bucket `k` has its NaN, +Infinity
 * and -Infinity counts at `(r * buckets + k) * 3 + 0..2`; null when no run has any.
 */
export interface NonFiniteGrid {
  buckets: number;
  nonFinite: Float64Array | null;
}

/**
 * The counts of the runs at `rows` (undefined: a run the grid does not hold) summed per
 * bucket, sparse: only buckets with some, each at its left edge `lo + k * width`; undefined
 * when there are none.
 */
export function groupNonFinite(
  grid: NonFiniteGrid,
  rows: readonly (number | undefined)[],
  lo: number,
  width: number,
): NonFiniteColumns | undefined {
  const counts = grid.nonFinite;
  if (!counts) return undefined;
  const n = grid.buckets;
  const sum = new Float64Array(n * 3);
  for (const r of rows) {
    if (r === undefined) continue;
    const base = r * n * 3;
    for (let i = 0; i < n * 3; i++) sum[i] += counts[base + i]!;
  }
  const out: NonFiniteColumns = { x: [], nan: [], posInf: [], negInf: [] };
  for (let k = 0; k < n; k++) {
    const [nan, posInf, negInf] = [sum[3 * k]!, sum[3 * k + 1]!, sum[3 * k + 2]!];
    if (nan + posInf + negInf === 0) continue;
    out.x.push(lo + k * width);
    out.nan.push(nan);
    out.posInf.push(posInf);
    out.negInf.push(negInf);
  }
  return out.x.length > 0 ? out : undefined;
}

/**
 * Counts on a grid of `from.buckets` step buckets moved onto `buckets` buckets of another axis
 * (grouped charts against a logged metric): step bucket k of row r goes to the bucket of
 * `at(r)[k]`, the x metric's value there; counts where it has none or lies outside [lo, lo +
 * buckets * width] are dropped, as the values there are. Undefined when there are none.
 */
export function placeNonFinite(
  from: NonFiniteGrid,
  rows: number,
  at: (row: number) => Float64Array,
  lo: number,
  width: number,
  buckets: number,
): NonFiniteGrid | undefined {
  const counts = from.nonFinite;
  if (!counts) return undefined;
  const n = from.buckets;
  const hi = lo + buckets * width;
  const out = new Float64Array(rows * buckets * 3);
  for (let r = 0; r < rows; r++) {
    const xs = at(r);
    for (let k = 0; k < n; k++) {
      const c = (r * n + k) * 3;
      if (counts[c]! + counts[c + 1]! + counts[c + 2]! === 0) continue;
      const xv = xs[k]!;
      if (Number.isNaN(xv) || xv < lo || xv > hi) continue;
      const b = width > 0 ? Math.min(buckets - 1, Math.floor((xv - lo) / width)) : 0;
      for (let j = 0; j < 3; j++) out[(r * buckets + b) * 3 + j]! += counts[c + j]!;
    }
  }
  return { buckets, nonFinite: out };
}
