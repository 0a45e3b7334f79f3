/**
 * Pure series transforms for the charts: alignment onto one x axis (uPlot draws all series
 * of a panel against a single x array), EMA smoothing, and group statistics.
 */

export type Column = (number | null)[];

/** Union of all x values, sorted; each series mapped onto it with null where it has no point. */
export function align(series: readonly { x: readonly number[]; y: readonly number[] }[]): {
  x: number[];
  ys: Column[];
} {
  const set = new Set<number>();
  for (const s of series) for (const v of s.x) set.add(v);
  const x = Float64Array.from(set).sort();
  const index = new Map<number, number>();
  for (let i = 0; i < x.length; i++) index.set(x[i]!, i);
  const ys = series.map((s) => {
    const col: Column = new Array(x.length).fill(null);
    for (let i = 0; i < s.x.length; i++) {
      const v = s.y[i]!;
      col[index.get(s.x[i]!)!] = Number.isFinite(v) ? v : null;
    }
    return col;
  });
  return { x: Array.from(x), ys };
}

/**
 * Debiased exponential moving average, the TensorBoard / W&B "smoothing" slider: weight 0
 * leaves the data alone, 0.99 is very smooth. Debiasing keeps the first points from being
 * pulled towards zero. Nulls (gaps) are kept as gaps and do not reset the average.
 */
export function ema(col: Column, weight: number): Column {
  if (!(weight > 0)) return col;
  const out: Column = new Array(col.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    acc = acc * weight + (1 - weight) * v;
    n++;
    out[i] = acc / (1 - weight ** n);
  }
  return out;
}

/** Fills gaps inside a series' own range by linear interpolation (for group statistics only). */
export function interpolate(x: readonly number[], col: Column): Column {
  const out = col.slice();
  let prev = -1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === null) continue;
    if (prev >= 0 && i - prev > 1) {
      const x0 = x[prev]!;
      const y0 = out[prev]!;
      const slope = (out[i]! - y0) / (x[i]! - x0);
      for (let j = prev + 1; j < i; j++) out[j] = y0 + slope * (x[j]! - x0);
    }
    prev = i;
  }
  return out;
}

/** Mean, min and max across several columns at each x, ignoring gaps. */
export function groupStats(cols: readonly Column[]): { mean: Column; min: Column; max: Column } {
  const len = cols[0]?.length ?? 0;
  const mean: Column = new Array(len);
  const min: Column = new Array(len);
  const max: Column = new Array(len);
  for (let i = 0; i < len; i++) {
    let sum = 0;
    let n = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const c of cols) {
      const v = c[i];
      if (v === null || v === undefined) continue;
      sum += v;
      n++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mean[i] = n ? sum / n : null;
    min[i] = n ? lo : null;
    max[i] = n ? hi : null;
  }
  return { mean, min, max };
}

/** Log scales cannot show zero or negatives: those become gaps. */
export function positiveOnly(col: Column): Column {
  return col.map((v) => (v !== null && v > 0 ? v : null));
}
