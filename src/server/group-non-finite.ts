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
