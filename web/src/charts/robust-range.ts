/**
 * A y scale that ignores outliers (W&B's "ignore outliers"): the range of the values between
 * the 2nd and 98th percentile of every point drawn, padded by a tenth of that span and never
 * past the data, so one spike (a first-step loss of 1e4) no longer flattens every curve.
 */
import type uPlot from "uplot";

const LOW = 0.02;
const HIGH = 0.98;

/** The 2nd–98th percentile range of finite numbers, padded; null when there are none. */
export function robustBounds(values: readonly number[]): [number, number] | null {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const at = (q: number) =>
    xs[Math.min(xs.length - 1, Math.max(0, Math.round(q * (xs.length - 1))))]!;
  const lo = at(LOW);
  const hi = at(HIGH);
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
  return [Math.max(xs[0]!, lo - pad), Math.min(xs[xs.length - 1]!, hi + pad)];
}

/** uPlot's `scales.y.range` for it: over every series but x. */
export const robustYRange: uPlot.Range.Function = (u, dataMin, dataMax) => {
  const values: number[] = [];
  for (let i = 1; i < u.data.length; i++) {
    const col = u.data[i] as ArrayLike<number | null | undefined>;
    for (let j = 0; j < col.length; j++) if (col[j] != null) values.push(col[j]!);
  }
  return robustBounds(values) ?? [dataMin, dataMax];
};
