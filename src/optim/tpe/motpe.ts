/**
 * The multi-objective parts of TPE (MOTPE, Ozaki et al. 2020/2022, as Optuna documents it):
 * which trials of the front that doesn't fit whole into the good group get in (hypervolume
 * subset selection), and how much each good trial weighs in l(x) (its hypervolume
 * contribution). All on losses (lower is better).
 *
 * Hypervolumes are taken after scaling each objective to [0, 1] over the points at hand, with
 * the reference point at 1.1 (the worst value plus a tenth of the range), so that objectives
 * on different scales count alike and moving or stretching one objective changes nothing.
 *
 * @module
 */

import { crowdingDistance, hypervolume2D } from "../pareto.js";

/** Objectives up to which hypervolumes are computed exactly (the cost grows as n^(m-1)). */
const EXACT_SELECT_MAX_OBJECTIVES = 3;
const EXACT_WEIGHTS_MAX_OBJECTIVES = 3;
/** Above this many good trials with 3 objectives, contributions cost too much: equal weights. */
const EXACT_WEIGHTS_MAX_POINTS_3D = 64;
/** Smallest weight of a good trial: one that adds no hypervolume still counts, a little. */
const MIN_WEIGHT = 1e-12;
/** The reference point, in scaled units: a tenth of the range beyond the worst value. */
const REFERENCE = 1.1;

/**
 * Each objective scaled to [0, 1] over `points` (an objective with one value maps to 0).
 */
function normalize(points: readonly (readonly number[])[]): number[][] {
  const m = points[0]?.length ?? 0;
  const lo = new Array<number>(m).fill(Number.POSITIVE_INFINITY);
  const hi = new Array<number>(m).fill(Number.NEGATIVE_INFINITY);
  for (const p of points)
    for (let j = 0; j < m; j++) {
      if (p[j] < lo[j]) lo[j] = p[j];
      if (p[j] > hi[j]) hi[j] = p[j];
    }
  return points.map((p) => p.map((v, j) => (hi[j] > lo[j] ? (v - lo[j]) / (hi[j] - lo[j]) : 0)));
}

/**
 * The exact hypervolume dominated by `points` within `reference`, any number of objectives, by
 * slicing along the last objective (O(n^(m-1) log n): meant for the few dozen points of a good
 * group).
 */
export function hypervolume(
  points: readonly (readonly number[])[],
  reference: readonly number[],
): number {
  const m = reference.length;
  const inside = points.filter((p) => p.every((v, j) => v < reference[j]));
  if (inside.length === 0) return 0;
  if (m === 1) return reference[0] - Math.min(...inside.map((p) => p[0]));
  if (m === 2) return hypervolume2D(inside, [reference[0], reference[1]]);
  const last = m - 1;
  const sorted = [...inside].sort((a, b) => a[last] - b[last]);
  const lower = reference.slice(0, last);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const top = i + 1 < sorted.length ? sorted[i + 1][last] : reference[last];
    const depth = top - sorted[i][last];
    if (depth <= 0) continue;
    // Between this point's level and the next one, the slice is what points 0..i dominate.
    volume +=
      depth *
      hypervolume(
        sorted.slice(0, i + 1).map((p) => p.slice(0, last)),
        lower,
      );
  }
  return volume;
}

/**
 * `k` of `points` (one front, losses) chosen greedily by hypervolume contribution — each step
 * adds the point that grows the chosen set's hypervolume the most (ties: the earlier point);
 * as hypervolume is submodular, the greedy subset has at least 63% of the best subset's.
 * Exact with 2 and 3 objectives; with more, the points with the largest crowding distance
 * (NSGA-II's measure of spread) stand in, as exact contributions cost n^(m-1) each.
 * Returns indices into `points`, in the order chosen.
 */
export function selectByHypervolume(points: readonly (readonly number[])[], k: number): number[] {
  const n = points.length;
  if (k >= n) return points.map((_, i) => i);
  if (k <= 0) return [];
  const m = points[0].length;
  if (m > EXACT_SELECT_MAX_OBJECTIVES) {
    const all = points.map((_, i) => i);
    const dist = crowdingDistance(points, all);
    return all.sort((a, b) => dist[b] - dist[a] || a - b).slice(0, k);
  }
  return m === 2 ? greedy2D(normalize(points), k) : lazyGreedy(normalize(points), k);
}

/**
 * Greedy hypervolume subset selection for any number of objectives (points scaled to [0, 1]).
 * Lazy: a point's gain only shrinks as the chosen set grows (submodularity), so a stale gain
 * is an upper bound, and only the candidate with the largest bound is recomputed until it
 * stays on top — far fewer hypervolumes than rescoring every candidate at every step.
 */
function lazyGreedy(scaled: readonly (readonly number[])[], k: number): number[] {
  const n = scaled.length;
  const reference = new Array<number>(scaled[0].length).fill(REFERENCE);
  const bound = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const taken = new Uint8Array(n);
  const chosen: number[] = [];
  let current = 0;
  while (chosen.length < k) {
    for (;;) {
      let top = -1;
      for (let i = 0; i < n; i++) if (!taken[i] && (top < 0 || bound[i] > bound[top])) top = i;
      const members = chosen.map((c) => scaled[c]);
      members.push(scaled[top]);
      const gain = hypervolume(members, reference) - current;
      bound[top] = gain;
      let beaten = false;
      for (let i = 0; i < n && !beaten; i++)
        if (!taken[i] && i !== top && bound[i] > gain) beaten = true;
      if (!beaten) {
        taken[top] = 1;
        chosen.push(top);
        current += gain;
        break;
      }
    }
  }
  return chosen;
}

/**
 * Greedy hypervolume subset selection with 2 objectives (points scaled to [0, 1]): each step
 * scores every candidate by the area it adds to the chosen staircase — its box up to the
 * reference minus the chosen points' area inside that box — in O(chosen), so a selection costs
 * O(k² n) and no allocation per candidate.
 */
function greedy2D(scaled: readonly (readonly number[])[], k: number): number[] {
  const n = scaled.length;
  const chosen: number[] = [];
  /** The chosen points by their first loss, ascending (the staircase). */
  const byX: number[] = [];
  const taken = new Uint8Array(n);
  while (chosen.length < k) {
    let best = -1;
    let bestGain = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < n; c++) {
      if (taken[c]) continue;
      const cx = scaled[c][0];
      const cy = scaled[c][1];
      // The chosen points clipped to c's box keep their x order; sweep them like hypervolume2D
      // (points sharing an x add the same area in any order).
      let covered = 0;
      let ceiling = REFERENCE;
      for (const s of byX) {
        const x = Math.max(scaled[s][0], cx);
        const y = Math.max(scaled[s][1], cy);
        if (y >= ceiling) continue;
        covered += (REFERENCE - x) * (ceiling - y);
        ceiling = y;
      }
      const gain = (REFERENCE - cx) * (REFERENCE - cy) - covered;
      if (gain > bestGain) {
        best = c;
        bestGain = gain;
      }
    }
    taken[best] = 1;
    chosen.push(best);
    let at = byX.length;
    while (at > 0 && scaled[byX[at - 1]][0] > scaled[best][0]) at--;
    byX.splice(at, 0, best);
  }
  return chosen;
}

/**
 * Weights of the good trials' kernels in l(x): each one's hypervolume contribution (what the
 * good group's hypervolume loses without it), relative to the largest, floored at 1e-12 — so
 * l(x) leans towards the parts of the front that are sparse and far out, and trials the others
 * dominate barely count. Exact up to 3 objectives (64 good trials with 3); beyond that, or
 * when nothing contributes (e.g. all points equal), every trial weighs 1.
 */
export function hypervolumeWeights(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  const ones = () => new Array<number>(n).fill(1);
  if (n <= 1) return ones();
  const m = points[0].length;
  if (
    m > EXACT_WEIGHTS_MAX_OBJECTIVES ||
    (m === EXACT_WEIGHTS_MAX_OBJECTIVES && n > EXACT_WEIGHTS_MAX_POINTS_3D)
  )
    return ones();
  const scaled = normalize(points);
  const reference = new Array<number>(m).fill(REFERENCE);
  const total = hypervolume(scaled, reference);
  const gains = scaled.map(
    (_, i) =>
      total -
      hypervolume(
        scaled.filter((_, j) => j !== i),
        reference,
      ),
  );
  const max = Math.max(...gains);
  if (!(max > 0)) return ones();
  return gains.map((g) => Math.min(1, Math.max(MIN_WEIGHT, g / max)));
}
