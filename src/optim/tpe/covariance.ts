/**
 * Full-covariance (rotated) kernels for the continuous dimensions of a joint Parzen estimator:
 * every observation's kernel shares one bandwidth matrix H, shaped by the weighted covariance
 * of the observations, so a kernel can lie along a valley the axes do not follow (BBOB's
 * rotated and ill-conditioned functions). Diagonal kernels cannot.
 *
 * @module
 */

import type { Rng } from "../rng.js";

/**
 * How H is scaled. `"shape"`: the covariance's shape at the volume of the diagonal kernels
 * (det H = the diagonal width^(2c)), times `factor`² — the tuned width, only turned and
 * stretched. `"scott"`: Scott's rule in matrix form, `factor`² · n^(-2/(d+4)) · Σ.
 */
export interface CovarianceOptions {
  readonly scale: "shape" | "scott";
  readonly factor: number;
  /**
   * Shrinkage toward the isotropic matrix of the same trace, as pseudo-points per dimension:
   * Σ' = (n Σ + ν (tr Σ / c) I) / (n + ν) with ν = `shrinkage` · c. Few points tell little
   * about a covariance in several dimensions; with "shape" a large ν gives back the diagonal
   * kernels. Default 1.
   */
  readonly shrinkage?: number;
  /**
   * What it shrinks toward: `"isotropic"` (the default), or `"diagonal"` (only the
   * correlations shrink, Σ'_ab = (1 − α) Σ_ab for a ≠ b, α = ν / (ν + n)).
   */
  readonly target?: "isotropic" | "diagonal";
  /**
   * g(x) (the bad trials) gets rotated kernels too, shaped by the bad trials' own covariance;
   * only while no bad trial failed (failed trials' kernels are wider, which a shared matrix
   * cannot be). Default false: l(x) only.
   */
  readonly bad?: boolean;
}

/** A shared bandwidth matrix over `c` continuous dimensions, ready to score and sample. */
export interface SharedKernel {
  /** Number of dimensions it spans. */
  readonly c: number;
  /** Lower Cholesky factor of H, row-major c × c. */
  readonly chol: Float64Array;
  /** L⁻¹ (lower triangular), row-major c × c: whitens a point. */
  readonly whiten: Float64Array;
  /** log det L = ½ log det H. */
  readonly logDetL: number;
  /** Marginal standard deviations √H_jj (for the truncation normalisers and step sizes). */
  readonly marginal: Float64Array;
}

/** Variance added to every dimension before shaping, so collinear points stay invertible. */
const RIDGE = 1e-6;

/**
 * The shared kernel for `nObs` points (`rows`, `c` numbers each, unit cube) with `weights`,
 * given the diagonal kernels' width (`width`) and Scott's shrink factor n^(-1/(d+4)).
 * The covariance is shrunk toward isotropy (`options.shrinkage`).
 */
export function sharedKernel(
  rows: Float64Array,
  c: number,
  nObs: number,
  weights: ArrayLike<number>,
  width: number,
  shrink: number,
  options: CovarianceOptions,
): SharedKernel {
  const sigma = weightedCovariance(rows, c, nObs, weights);
  const nu = (options.shrinkage ?? 1) * c;
  const alpha = nu / (nu + nObs);
  shrinkToward(sigma, c, alpha, options.target ?? "isotropic");
  let chol = cholesky(sigma, c);
  let logDet = 0;
  for (let a = 0; a < c; a++) logDet += Math.log(chol[a * c + a]);
  // Scale L so that H = s² · Σ, s from the chosen rule.
  const logS =
    options.scale === "shape"
      ? Math.log(options.factor * width) - logDet / c
      : Math.log(options.factor * shrink);
  const s = Math.exp(logS);
  chol = chol.map((v) => v * s);
  const logDetL = logDet + c * logS;
  const marginal = new Float64Array(c);
  for (let a = 0; a < c; a++) {
    let v = 0;
    for (let b = 0; b <= a; b++) v += chol[a * c + b] ** 2;
    marginal[a] = Math.sqrt(v);
  }
  return { c, chol, whiten: lowerInverse(chol, c), logDetL, marginal };
}

/** Shrinks `sigma` (c × c) by `alpha` toward its isotropic or diagonal part; adds the ridge. */
function shrinkToward(
  sigma: Float64Array,
  c: number,
  alpha: number,
  target: "isotropic" | "diagonal",
): void {
  let trace = 0;
  for (let a = 0; a < c; a++) trace += sigma[a * c + a];
  for (let a = 0; a < c; a++)
    for (let b = 0; b < c; b++) {
      if (a !== b) sigma[a * c + b] *= 1 - alpha;
      else if (target === "isotropic")
        sigma[a * c + a] = (1 - alpha) * sigma[a * c + a] + (alpha * trace) / c;
    }
  for (let a = 0; a < c; a++) sigma[a * c + a] += RIDGE;
}

/** Weighted covariance (c × c, row-major) of the rows. */
export function weightedCovariance(
  rows: Float64Array,
  c: number,
  n: number,
  weights: ArrayLike<number>,
): Float64Array {
  let total = 0;
  const mean = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    total += weights[i];
    for (let a = 0; a < c; a++) mean[a] += weights[i] * rows[i * c + a];
  }
  const out = new Float64Array(c * c);
  if (!(total > 0)) return out;
  for (let a = 0; a < c; a++) mean[a] /= total;
  for (let i = 0; i < n; i++)
    for (let a = 0; a < c; a++) {
      const da = rows[i * c + a] - mean[a];
      for (let b = 0; b <= a; b++)
        out[a * c + b] += (weights[i] * da * (rows[i * c + b] - mean[b])) / total;
    }
  for (let a = 0; a < c; a++) for (let b = 0; b < a; b++) out[b * c + a] = out[a * c + b];
  return out;
}

/** Lower Cholesky factor of a symmetric positive definite matrix (tiny pivots floored). */
export function cholesky(m: Float64Array, c: number): Float64Array {
  const l = new Float64Array(c * c);
  for (let a = 0; a < c; a++)
    for (let b = 0; b <= a; b++) {
      let sum = m[a * c + b];
      for (let k = 0; k < b; k++) sum -= l[a * c + k] * l[b * c + k];
      l[a * c + b] = a === b ? Math.sqrt(Math.max(sum, RIDGE)) : sum / l[b * c + b];
    }
  return l;
}

/** Inverse of a lower triangular matrix (forward substitution, column by column). */
function lowerInverse(l: Float64Array, c: number): Float64Array {
  const inv = new Float64Array(c * c);
  for (let col = 0; col < c; col++)
    for (let a = col; a < c; a++) {
      let sum = a === col ? 1 : 0;
      for (let k = col; k < a; k++) sum -= l[a * c + k] * inv[k * c + col];
      inv[a * c + col] = sum / l[a * c + a];
    }
  return inv;
}

/** `out[a]` = (L⁻¹ x)[a] for x = `src[at + dims[0..c)]` (a point's continuous coordinates). */
export function whitenInto(
  kernel: SharedKernel,
  src: ArrayLike<number>,
  at: number,
  dims: readonly number[],
  out: Float64Array,
  outAt: number,
): void {
  const { c, whiten } = kernel;
  for (let a = 0; a < c; a++) {
    let v = 0;
    for (let b = 0; b <= a; b++) v += whiten[a * c + b] * src[at + dims[b]];
    out[outAt + a] = v;
  }
}

/** Redraws of a correlated draw that left the unit cube before it is clipped instead. */
const REDRAWS = 16;

/**
 * Writes a draw from N(mu, scale² H) truncated to the unit cube into `out[at + dims[a]]`:
 * redrawn while it leaves the cube (at most {@link REDRAWS} times), then clipped.
 */
export function sampleShared(
  kernel: SharedKernel,
  mu: ArrayLike<number>,
  muAt: number,
  rng: Rng,
  out: Float64Array,
  at: number,
  dims: readonly number[],
  scale = 1,
): void {
  const { c, chol } = kernel;
  const z = new Float64Array(c);
  for (let attempt = 0; ; attempt++) {
    for (let a = 0; a < c; a++) z[a] = scale * rng.normal();
    let inside = true;
    for (let a = 0; a < c; a++) {
      let v = mu[muAt + a];
      for (let b = 0; b <= a; b++) v += chol[a * c + b] * z[b];
      if (v < 0 || v > 1) inside = false;
      out[at + dims[a]] = v;
    }
    if (inside) return;
    if (attempt >= REDRAWS) break;
  }
  for (let a = 0; a < c; a++) out[at + dims[a]] = Math.min(1, Math.max(0, out[at + dims[a]]));
}
