/**
 * The normal-distribution arithmetic TPE's kernels need, on the unit interval: the CDF (through
 * erf), the log-normaliser of a normal truncated to [0, 1], and sampling from it.
 *
 * @module
 */

import type { Rng } from "../rng.js";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * erfc(x) to ~1e-14 relative accuracy (the Chebyshev fit given in
 * Numerical Recipes, 3rd ed., §6.2.2). Kernels only need a few digits, but the
 * difference of two CDFs for narrow cells must not cancel badly, so a 1e-7 formula won't do.
 */
export function erfc(x: number): number {
  // Chebyshev fit for erfc on x >= 0 (Numerical Recipes 3rd ed., §6.2.2), then reflect.
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = COF.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + (COF[j] as number);
    dd = tmp;
  }
  const r = t * Math.exp(-z * z + 0.5 * ((COF[0] as number) + ty * d) - dd);
  return x >= 0 ? r : 2 - r;
}

const COF = [
  -1.3026537197817094, 6.419697923564902e-1, 1.9476473204185836e-2, -9.561514786808631e-3,
  -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5,
  -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
  5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12,
  8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16,
  -2.8e-17,
];

/** The standard normal CDF. */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * The standard normal CDF to ~1e-7 (Abramowitz & Stegun 7.1.26): four times cheaper than
 * {@link normCdf}, for the truncation normalisers of kernels, which are never below ~0.3 and
 * only enter as a log.
 */
export function normCdfFast(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const tail = 0.5 * y * Math.exp(-x * x);
  return z >= 0 ? 1 - tail : tail;
}

/**
 * log of the probability mass a normal(mu, sigma) puts on [a, b], finite even where the mass
 * underflows. Cheap shortcuts (no CDF): a cell narrower than σ/2 integrates the log density as
 * linear across it (density at the middle × width × sinh(x)/x, less the mean curvature); a cell
 * beyond 5σ uses the asymptotic tail (Mills ratio). Both are within ~1e-3 in log, plenty for
 * ranking candidates.
 */
export function logMass(a: number, b: number, mu: number, sigma: number): number {
  const za = (a - mu) / sigma;
  const zb = (b - mu) / sigma;
  const wz = zb - za;
  if (wz < 0.5) {
    // Across a cell under σ/2 wide the log density bends by at most wz²/8 < 0.03.
    const zm = 0.5 * (za + zb);
    const x = 0.5 * Math.abs(zm) * wz;
    // log(sinh(x)/x): its series near 0, else x - log(2x) + log(1 - e^{-2x}).
    const shape =
      x < 0.5
        ? (x * x) / 6 - (x * x * x * x) / 180
        : x - Math.log(2 * x) + Math.log1p(-Math.exp(-2 * x));
    return -0.5 * zm * zm - LOG_SQRT_2PI + Math.log(wz) + shape - (wz * wz) / 24;
  }
  if (za > 5) return logTailDifference(za, zb);
  if (zb < -5) return logTailDifference(-zb, -za);
  // Work in the tail where the CDF is small, so the difference keeps its digits; the 1e-7 CDF
  // is good enough unless the mass is tiny.
  const fast = za > 0 ? normCdfFast(-za) - normCdfFast(-zb) : normCdfFast(zb) - normCdfFast(za);
  if (fast > 1e-4) return Math.log(fast);
  return Math.log(za > 0 ? normCdf(-za) - normCdf(-zb) : normCdf(zb) - normCdf(za));
}

/** log(Φ(-u) - Φ(-v)) for 5 < u < v, from the asymptotic series of the normal tail. */
function logTailDifference(u: number, v: number): number {
  const lu = logUpperTail(u);
  // Φ(-v)/Φ(-u) < e^{-u(v-u)}: below e^-30 it doesn't change the log.
  if (u * (v - u) > 30) return lu;
  const lv = logUpperTail(v);
  return lu + Math.log1p(-Math.exp(lv - lu));
}

/** log Φ(-z) for z > 5: -z²/2 - log(z√2π) + log(1 - 1/z² + 3/z⁴ - 15/z⁶). */
function logUpperTail(z: number): number {
  const r = 1 / (z * z);
  return -0.5 * z * z - Math.log(z) - LOG_SQRT_2PI + Math.log(1 - r * (1 - r * (3 - 15 * r)));
}

/** log of the normal density at `x`, without the truncation term. */
export function logDensity(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return -0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma);
}

/**
 * One draw from normal(mu, sigma) truncated to [0, 1], by inverting the CDF between the two
 * bounds' CDF values (no rejection loop, so the number of random draws per sample is fixed and
 * runs stay reproducible whatever the kernel).
 */
export function sampleTruncated(mu: number, sigma: number, rng: Rng): number {
  // Kernels 8σ inside both ends (most, once the model narrows) skip the two CDF evaluations.
  const inside = mu > 8 * sigma && 1 - mu > 8 * sigma;
  const lo = inside ? 0 : normCdfFast((0 - mu) / sigma);
  const hi = inside ? 1 : normCdfFast((1 - mu) / sigma);
  const p = lo + (hi - lo) * rng.next();
  const x = mu + sigma * normQuantile(p);
  // The quantile is inaccurate in the far tails; clamping keeps the draw in the domain.
  return x < 0 ? 0 : x > 1 ? 1 : Number.isFinite(x) ? x : mu;
}

/**
 * The standard normal quantile (P. J. Acklam's rational approximation: ~1e-9 in the centre,
 * ~1e-5 in the tails, ample for drawing samples, so no refinement step).
 */
export function normQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) /
      ((((D0 * q + D1) * q + D2) * q + D3) * q + 1)
    );
  }
  if (p > 1 - 0.02425) return -normQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) /
    (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1)
  );
}

const A0 = -3.969683028665376e1;
const A1 = 2.209460984245205e2;
const A2 = -2.759285104469687e2;
const A3 = 1.38357751867269e2;
const A4 = -3.066479806614716e1;
const A5 = 2.506628277459239;
const B0 = -5.447609879822406e1;
const B1 = 1.615858368580409e2;
const B2 = -1.556989798598866e2;
const B3 = 6.680131188771972e1;
const B4 = -1.328068155288572e1;
const C0 = -7.784894002430293e-3;
const C1 = -3.223964580411365e-1;
const C2 = -2.400758277161838;
const C3 = -2.549671750853541;
const C4 = 4.374664141464968;
const C5 = 2.938163982698783;
const D0 = 7.784695709041462e-3;
const D1 = 3.224671290700398e-1;
const D2 = 2.445134137142996;
const D3 = 3.754408661907416;
