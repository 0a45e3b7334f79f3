/**
 * TPE's acquisition step for one group of parameters: draw candidates from l(x), score each by
 * l(x)/g(x), keep the best, and optionally search locally around it.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import type { SearchSpace } from "../space/index.js";
import type { Choice } from "../types.js";
import { drawFromGoodGaussian } from "./gaussian-candidates.js";
import { type Group, snap } from "./groups.js";
import type { Parzen } from "./parzen.js";
import { contractToward } from "./trust-region.js";

/** How candidates are drawn and refined. */
export interface AcquisitionOptions {
  /** Candidates drawn from l(x). */
  readonly candidates: number;
  /**
   * Extra candidates drawn from the kernel of the best good trial only (0: none), so that the
   * neighbourhood of the incumbent is always among the candidates.
   */
  readonly incumbentCandidates: number;
  /**
   * Rounds of local search around the best candidate (0: none): each round perturbs it by a
   * normal step of l(x)'s kernel width (halved every round) and keeps a better l(x)/g(x).
   */
  readonly localRounds: number;
  /** Perturbations per local round. */
  readonly localPoints: number;
  /**
   * Extra candidates from l(x) with every kernel `scale` times wider, `perDim` per dimension of
   * the group (rounded up; 0: none): wider steps from the good trials toward other basins.
   */
  readonly wide: { readonly perDim: number; readonly scale: number };
  /**
   * Extra candidates from a Gaussian fitted to the weighted good trials (gaussian-candidates.ts;
   * count 0: none), their standard deviations `scale` times the good set's.
   */
  readonly gaussian: {
    readonly count: number;
    readonly scale: number;
    readonly center: "mean" | "best";
  };
}

/** A scored batch of candidates: snapped unit points, their values and l(x)/g(x) in log. */
interface Scored {
  readonly points: Float64Array;
  readonly values: Choice[][];
  readonly scores: Float64Array;
}

/**
 * The group's values with the highest l(x)/g(x) found: the best of the drawn candidates,
 * refined by local search when `options.localRounds` > 0. `incumbent` is the index of the best
 * good trial's kernel in `l` (undefined when there is none or it is not known); with `trust`
 * (its unit point and a factor < 1) the incumbent candidates are pulled toward that point;
 * `good` (the good trials' rows and weights, as in l(x)) feeds `options.gaussian`.
 */
export function acquire(
  space: SearchSpace,
  group: Group,
  l: Parzen,
  g: Parzen,
  rng: Rng,
  options: AcquisitionOptions,
  incumbent?: number,
  trust?: { readonly center: ArrayLike<number>; readonly factor: number },
  good?: { readonly rows: Float64Array; readonly weights: readonly number[] },
): Choice[] {
  const d = group.slots.length;
  let best = bestOf(score(space, group, l, g, l.sample(rng, options.candidates)));
  const wide = Math.ceil(options.wide.perDim * d);
  if (wide > 0) {
    const far = bestOf(
      score(space, group, l, g, l.sample(rng, wide, undefined, options.wide.scale)),
    );
    if (far.score > best.score) best = far;
  }
  if (good && options.gaussian.count > 0) {
    const drawn = l.sample(rng, options.gaussian.count);
    const numeric = group.dims.map((dim) => dim.kind !== "categorical");
    const { scale, center } = options.gaussian;
    const at = center === "best" ? incumbent : undefined;
    drawFromGoodGaussian(drawn, good.rows, good.weights, numeric, scale, rng, at);
    const centre = bestOf(score(space, group, l, g, drawn));
    if (centre.score > best.score) best = centre;
  }
  if (incumbent !== undefined && options.incumbentCandidates > 0) {
    const drawn = l.sample(rng, options.incumbentCandidates, incumbent);
    if (trust && trust.factor < 1)
      contractToward(
        drawn,
        trust.center,
        trust.factor,
        group.dims.map((dim) => dim.kind !== "categorical"),
      );
    const near = bestOf(score(space, group, l, g, drawn));
    if (near.score > best.score) best = near;
  }
  if (options.localRounds === 0 || !group.dims.some((dim) => dim.kind !== "categorical"))
    return best.values;
  const widths = l.widths();
  for (let r = 0; r < options.localRounds; r++) {
    const step = 0.5 ** r;
    const points = new Float64Array(options.localPoints * d);
    for (let p = 0; p < options.localPoints; p++)
      for (let j = 0; j < d; j++) {
        const x = best.point[j];
        points[p * d + j] =
          group.dims[j].kind === "categorical" ? x : reflect(x + rng.normal() * widths[j] * step);
      }
    const next = bestOf(score(space, group, l, g, points));
    if (next.score > best.score) best = next;
  }
  return best.values;
}

/** Snaps `points` to the space and scores them by log l(x) − log g(x). */
function score(space: SearchSpace, group: Group, l: Parzen, g: Parzen, points: Float64Array) {
  const d = group.slots.length;
  const n = points.length / d;
  const lo = new Float64Array(n * d);
  const hi = new Float64Array(n * d);
  const values = Array.from({ length: n }, (_, c) => snap(space, group, points, c * d, lo, hi));
  const ll = l.logPdf(points, n, lo, hi);
  const lg = g.logPdf(points, n, lo, hi);
  const scores = new Float64Array(n);
  for (let c = 0; c < n; c++) scores[c] = ll[c] - lg[c];
  return { points, values, scores } satisfies Scored;
}

/** The highest-scoring candidate of a batch (the first of equals). */
function bestOf({ points, values, scores }: Scored) {
  const d = values.length > 0 ? points.length / values.length : 0;
  let best = 0;
  for (let c = 1; c < scores.length; c++) if (scores[c] > scores[best]) best = c;
  return {
    point: points.subarray(best * d, best * d + d),
    values: values[best],
    score: scores[best],
  };
}

/** A unit coordinate folded back into [0, 1] (a step past an end lands as far inside). */
function reflect(x: number): number {
  const y = Math.abs(x) % 2;
  return y > 1 ? 2 - y : y;
}
