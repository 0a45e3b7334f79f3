/**
 * Kernel widths of a Parzen estimator: one shared width per dimension for joint kernels, or the
 * original per-kernel neighbour widths.
 *
 * @module
 */

import type { ParzenOptions } from "./parzen.js";

/**
 * `bandwidthScale` for a group of `d` dimensions: widened by `bandwidthGrowth` of itself for
 * each dimension past 2 (a multimodal landscape in more dimensions needs longer steps).
 */
export function scaleFor(options: ParzenOptions, d: number): number {
  return options.bandwidthScale * (1 + (options.bandwidthGrowth ?? 0) * Math.max(0, d - 2));
}

/**
 * A joint kernel's width in one dimension: the `bandwidthScale` width, or (with `spread`) one
 * from the observations' weighted standard deviation, so kernels narrow as the points gather.
 */
export function jointWidth(
  scott: number,
  shrink: number,
  mus: Float64Array,
  nObs: number,
  weights: ArrayLike<number>,
  spread: ParzenOptions["spread"],
): number {
  if (!spread || nObs < 2) return scott;
  let total = 0;
  let mean = 0;
  for (let i = 0; i < nObs; i++) {
    total += weights[i];
    mean += weights[i] * mus[i];
  }
  if (!(total > 0)) return scott;
  mean /= total;
  let variance = 0;
  for (let i = 0; i < nObs; i++) variance += weights[i] * (mus[i] - mean) ** 2;
  const fromSpread = spread.factor * Math.sqrt(variance / total) * shrink;
  if (spread.combine === "min") return Math.min(scott, fromSpread);
  return spread.combine === "max" ? Math.max(scott, fromSpread) : fromSpread;
}

/**
 * Per-kernel bandwidths from the original TPE heuristic: the larger of the distances to the
 * left and right neighbours in sorted order (the domain's ends count as neighbours only with
 * `considerEndpoints`; otherwise the outermost kernels use their one inner neighbour).
 */
export function neighbourBandwidths(mus: Float64Array, considerEndpoints: boolean): Float64Array {
  const k = mus.length;
  const order = Array.from(mus.keys()).sort((a, b) => mus[a] - mus[b]);
  const out = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    const x = mus[order[r]];
    const left = r > 0 ? x - mus[order[r - 1]] : considerEndpoints ? x : -1;
    const right = r < k - 1 ? mus[order[r + 1]] - x : considerEndpoints ? 1 - x : -1;
    const gap = Math.max(left, right);
    out[order[r]] = gap > 0 ? gap : 1;
  }
  return out;
}
