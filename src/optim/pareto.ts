/**
 * Pareto dominance for multi-objective optimization: fast non-dominated sorting, crowding
 * distance, the Pareto front of a set of reports (or a `History`), and the 2-D hypervolume.
 * All work on losses (lower is better); {@link lossesOf} turns metric values into losses.
 *
 * @module
 */

import { Metric } from "../trial/metric.js";
import type { TrialReport } from "../trial/report.js";

/**
 * Whether loss vector `a` Pareto-dominates `b`: no worse in every objective, better in one.
 *
 * @example
 * ```ts
 * dominates([1, 2], [1, 3]); // true
 * dominates([1, 3], [2, 2]); // false
 * ```
 */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

/**
 * Fast non-dominated sort (Deb et al. 2002): the indices of `points`, split into fronts, the
 * first front being the non-dominated points. O(objectives × n²).
 *
 * @example
 * ```ts
 * nonDominatedSort([[1, 4], [2, 2], [3, 3], [4, 1]]); // [[0, 1, 3], [2]]
 * ```
 */
export function nonDominatedSort(points: readonly (readonly number[])[]): number[][] {
  const n = points.length;
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Array<number>(n).fill(0);
  const fronts: number[][] = [[]];
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      if (dominates(points[p], points[q])) {
        dominatedBy[p].push(q);
        count[q]++;
      } else if (dominates(points[q], points[p])) {
        dominatedBy[q].push(p);
        count[p]++;
      }
    }
  }
  for (let p = 0; p < n; p++) if (count[p] === 0) fronts[0].push(p);
  for (let i = 0; fronts[i].length > 0; i++) {
    const next: number[] = [];
    for (const p of fronts[i]) for (const q of dominatedBy[p]) if (--count[q] === 0) next.push(q);
    next.sort((a, b) => a - b);
    fronts.push(next);
  }
  fronts.pop();
  return fronts;
}

/**
 * Crowding distance of each member of one front (same order as `front`): the sum over
 * objectives of the normalized gap between its neighbours; the extremes get `Infinity`, so
 * selection keeps the front's ends and spreads points along it.
 *
 * @example
 * ```ts
 * crowdingDistance([[0, 3], [1, 1], [3, 0]], [0, 1, 2]); // [Infinity, 2, Infinity]
 * ```
 */
export function crowdingDistance(
  points: readonly (readonly number[])[],
  front: readonly number[],
): number[] {
  const dist = new Array<number>(front.length).fill(0);
  if (front.length === 0) return dist;
  const m = points[front[0]].length;
  for (let k = 0; k < m; k++) {
    const order = front.map((_, i) => i).sort((a, b) => points[front[a]][k] - points[front[b]][k]);
    const lo = points[front[order[0]]][k];
    const hi = points[front[order[order.length - 1]]][k];
    dist[order[0]] = Number.POSITIVE_INFINITY;
    dist[order[order.length - 1]] = Number.POSITIVE_INFINITY;
    if (!(hi > lo) || !Number.isFinite(hi - lo)) continue;
    for (let j = 1; j < order.length - 1; j++) {
      const gap = points[front[order[j + 1]]][k] - points[front[order[j - 1]]][k];
      dist[order[j]] += gap / (hi - lo);
    }
  }
  return dist;
}

function metricsFor(report: TrialReport, metrics: readonly (Metric | string)[]): Metric[] {
  return metrics.map((m) => (m instanceof Metric ? m : (report.metric(m) ?? new Metric(m))));
}

/**
 * The report's values as losses (negated for maximized metrics), or `undefined` if it is not
 * a success or lacks a finite value for one of the metrics.
 *
 * @example
 * ```ts
 * lossesOf(report, [new Metric("acc", { minimize: false }), new Metric("latency")]); // [-0.9, 12]
 * ```
 */
export function lossesOf(
  report: TrialReport,
  metrics: readonly (Metric | string)[],
): number[] | undefined {
  if (report.status !== "success") return undefined;
  const out: number[] = [];
  for (const m of metricsFor(report, metrics)) {
    const v = report.values[m.name];
    if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
    out.push(m.loss(v));
  }
  return out;
}

/**
 * The successful reports no other successful report dominates on `metrics` (Metric objects,
 * or names looked up in each report's declared metrics; minimize by default). Works on any
 * iterable of reports, `History` included; keeps their order.
 *
 * @example
 * ```ts
 * const front = paretoFront(history, ["error", "latency"]);
 * front.map((r) => r.name);
 * ```
 */
export function paretoFront(
  reports: Iterable<TrialReport>,
  metrics: readonly (Metric | string)[],
): TrialReport[] {
  if (metrics.length === 0) throw new TypeError("paretoFront: give at least one metric");
  const kept: TrialReport[] = [];
  const points: number[][] = [];
  for (const r of reports) {
    const l = lossesOf(r, metrics);
    if (l) {
      kept.push(r);
      points.push(l);
    }
  }
  if (kept.length === 0) return [];
  return nonDominatedSort(points)[0].map((i) => kept[i]);
}

/**
 * The area dominated by 2-D loss points and bounded by `reference` (points not better than the
 * reference in both objectives add nothing). A larger hypervolume is a better front.
 *
 * @example
 * ```ts
 * hypervolume2D([[0, 1], [1, 0]], [2, 2]); // 3
 * ```
 */
export function hypervolume2D(
  points: readonly (readonly number[])[],
  reference: readonly [number, number],
): number {
  const inside = points
    .filter((p) => p[0] < reference[0] && p[1] < reference[1])
    .map((p) => [p[0], p[1]] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  let ceiling = reference[1];
  for (const [x, y] of inside) {
    if (y >= ceiling) continue;
    area += (reference[0] - x) * (ceiling - y);
    ceiling = y;
  }
  return area;
}
