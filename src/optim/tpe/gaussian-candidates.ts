/**
 * Candidates from one Gaussian fitted to the weighted good trials (a CMA-ES-like proposal): its
 * mean is the good trials' weighted mean and its covariance their weighted covariance times
 * `scale²`, over the numeric dimensions; categorical dimensions keep l(x)'s draws. TPE scores
 * them by l(x)/g(x) with its other candidates, so they only win where l(x)/g(x) agrees. Unlike
 * l(x)'s kernels, which sit on the good trials, the Gaussian proposes points between and around
 * them along the good set's main axes: a step toward the good set's centre on unimodal and
 * ill-conditioned functions.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import { cholesky, weightedCovariance } from "./covariance.js";

/** How many candidates the Gaussian proposes, and how much wider than the good set it is. */
export interface GaussianCandidatesOptions {
  /** Candidates per acquisition (an integer >= 1). */
  readonly count: number;
  /** Multiplier of the good set's standard deviations (> 0). */
  readonly scale: number;
  /**
   * Where the Gaussian is centred: the good trials' weighted mean (`"mean"`, as CMA-ES's
   * recombination) or the best good trial (`"best"`, an elitist step along the good set's axes).
   * @defaultValue "mean"
   */
  readonly center?: "mean" | "best";
}

/**
 * Overwrites the numeric coordinates (`numeric[j]`) of `points` (rows of d unit coordinates)
 * with draws from the Gaussian of the good trials `rows` (n rows of d, weighted by `weights`),
 * folded back into [0, 1], centred on the weighted mean or, given, on the row `center` of
 * `rows`; leaves `points` as they are with fewer than 2 good trials or no numeric dimension.
 */
export function drawFromGoodGaussian(
  points: Float64Array,
  rows: Float64Array,
  weights: readonly number[],
  numeric: readonly boolean[],
  scale: number,
  rng: Rng,
  center?: number,
): void {
  const d = numeric.length;
  const n = weights.length;
  const dims = [...numeric.keys()].filter((j) => numeric[j]);
  const c = dims.length;
  if (n < 2 || c === 0) return;
  const sub = new Float64Array(n * c);
  for (let i = 0; i < n; i++) for (let a = 0; a < c; a++) sub[i * c + a] = rows[i * d + dims[a]];
  const factor = cholesky(weightedCovariance(sub, c, n, weights), c);
  const mean =
    center === undefined ? weightedMean(sub, c, n, weights) : sub.slice(center * c, center * c + c);
  const z = new Float64Array(c);
  for (let p = 0; p < points.length / d; p++) {
    for (let a = 0; a < c; a++) z[a] = rng.normal();
    for (let a = 0; a < c; a++) {
      let step = 0;
      for (let b = 0; b <= a; b++) step += factor[a * c + b] * z[b];
      points[p * d + dims[a]] = fold(mean[a] + scale * step);
    }
  }
}

function weightedMean(rows: Float64Array, c: number, n: number, weights: readonly number[]) {
  const mean = new Float64Array(c);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += weights[i];
    for (let a = 0; a < c; a++) mean[a] += weights[i] * rows[i * c + a];
  }
  for (let a = 0; a < c; a++) mean[a] /= total;
  return mean;
}

/** A unit coordinate folded back into [0, 1] (a step past an end lands as far inside). */
function fold(x: number): number {
  const y = Math.abs(x) % 2;
  return y > 1 ? 2 - y : y;
}
