/**
 * x against a logged metric (W&B's `define_metric` step metric, e.g. `epoch`): each point of
 * a run's series is placed at the value the x metric had at that step, i.e. the x metric's
 * last value at or before the point's step. Points before the x metric's first value are
 * dropped; the result is sorted by x (a step metric that goes back, such as a reset epoch,
 * still draws left to right).
 */
import type { NonFiniteColumns, SeriesData } from "../api.js";

/** The index of the last entry of sorted `xs` that is <= `x`, or -1. */
function lastAtOrBefore(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** NaN/±Infinity counts re-placed as the values are; those before the x metric's first value dropped. */
function remapNonFinite(c: NonFiniteColumns, xm: SeriesData): NonFiniteColumns | undefined {
  const out: NonFiniteColumns = { x: [], nan: [], posInf: [], negInf: [] };
  const order: number[] = [];
  const at: number[] = [];
  for (let i = 0; i < c.x.length; i++) {
    const j = lastAtOrBefore(xm.x, c.x[i]!);
    const v = j < 0 ? undefined : xm.last[j];
    if (v === undefined || !Number.isFinite(v)) continue;
    order.push(i);
    at.push(v);
  }
  const idx = order.map((_, k) => k).sort((a, b) => at[a]! - at[b]!);
  for (const k of idx) {
    const i = order[k]!;
    out.x.push(at[k]!);
    out.nan.push(c.nan[i]!);
    out.posInf.push(c.posInf[i]!);
    out.negInf.push(c.negInf[i]!);
  }
  return out.x.length > 0 ? out : undefined;
}

/** `ys` (series over steps) re-placed on `xs`'s values (the x metric's series over steps). */
export function remapX(ys: readonly SeriesData[], xs: readonly SeriesData[]): SeriesData[] {
  const byRun = new Map(xs.map((s) => [s.run, s]));
  return ys.map((s) => {
    const xm = byRun.get(s.run);
    const rows: { x: number; i: number }[] = [];
    if (xm) {
      for (let i = 0; i < s.x.length; i++) {
        const j = lastAtOrBefore(xm.x, s.x[i]!);
        const v = j < 0 ? undefined : xm.last[j];
        if (v !== undefined && Number.isFinite(v)) rows.push({ x: v, i });
      }
    }
    rows.sort((a, b) => a.x - b.x);
    const pick = (col: number[]) => (col.length ? rows.map((r) => col[r.i]!) : []);
    const nonFinite = xm && s.nonFinite ? remapNonFinite(s.nonFinite, xm) : undefined;
    return {
      run: s.run,
      key: s.key,
      x: rows.map((r) => r.x),
      min: pick(s.min),
      max: pick(s.max),
      last: pick(s.last),
      count: pick(s.count),
      ...(nonFinite ? { nonFinite } : {}),
    };
  });
}
