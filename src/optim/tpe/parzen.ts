/**
 * A Parzen estimator (kernel mixture) over the unit cube: TPE's l(x) and g(x).
 *
 * One kernel per observation plus one wide "prior" kernel, each a product over dimensions of a
 * normal truncated to [0, 1] (numeric parameters, already mapped to [0, 1] log-aware by the
 * search space) or a smoothed point mass (categorical parameters, by choice index).
 * Discrete numeric parameters (ints, stepped floats) are scored by the kernel's mass on the
 * value's cell rather than its density, so that a value's score doesn't depend on how narrow
 * its cell happens to be.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import { jointWidth, neighbourBandwidths, scaleFor } from "./bandwidths.js";
import {
  type CovarianceOptions,
  type SharedKernel,
  sampleShared,
  sharedKernel,
  whitenInto,
} from "./covariance.js";
import { normCdfFast, sampleTruncated } from "./normal.js";
import { type DistinctKernels, type KernelTables, logPdfOf } from "./parzen-score.js";
import { choiceTables, distinctPairs } from "./parzen-tables.js";

/** One dimension of the estimator's domain. */
export type Dim =
  | { readonly kind: "float" }
  | { readonly kind: "discrete" }
  | { readonly kind: "categorical"; readonly n: number };

/** How kernels are shaped. */
export interface ParzenOptions {
  /** Weight of the prior kernel relative to an observation of weight 1. */
  readonly priorWeight: number;
  /**
   * The weight spread over all choices of a categorical dimension in each observation's kernel
   * (Optuna's: the prior weight); unset, `priorWeight`.
   */
  readonly choiceSmoothing?: number;
  /**
   * `true`: one bandwidth per dimension from Scott's rule (joint kernels, multivariate TPE).
   * `false`: per-kernel bandwidths from the distances to the neighbouring observations (the
   * original, one-dimensional heuristic); only meaningful for one numeric dimension.
   */
  readonly multivariate: boolean;
  /** Neighbour bandwidths also look at the domain's ends (only when not multivariate). */
  readonly considerEndpoints: boolean;
  /**
   * Smallest bandwidth (fraction of the range), or `"magic"` for Optuna's "magic clip"
   * 1 / min(100, kernels + 1): neighbour bandwidths of close points would otherwise be spikes.
   */
  readonly minBandwidth: number | "magic";
  /** Scott's-rule bandwidth for `n` points in `d` dims: `bandwidthScale · n^(-decay/(d+4))`. */
  readonly bandwidthScale: number;
  /** Per dimension past 2, `bandwidthScale` grows by this fraction of itself (default 0). */
  readonly bandwidthGrowth?: number;
  /** Exponent of Scott's shrink (1: Scott's rule; above 1: narrower as points accumulate). */
  readonly bandwidthDecay?: number;
  /**
   * Joint kernels' width per dimension from the points' own spread as well: `factor` × their
   * weighted standard deviation in that dimension × `n^(-1/(d+4))` (Scott's rule proper),
   * combined with the `bandwidthScale` width by `combine` ("min": narrower as the points
   * concentrate; "max": wider while they are spread out; "only": the spread width alone). Absent: `bandwidthScale` alone.
   */
  readonly spread?: { readonly factor: number; readonly combine: "min" | "max" | "only" };
  /**
   * Joint kernels share one full bandwidth matrix over the continuous dimensions, shaped by
   * the observations' covariance (covariance.ts), instead of diagonal widths. Only with
   * `multivariate`, two or more continuous dimensions and two or more observations.
   */
  readonly covariance?: CovarianceOptions;
}

/** The prior kernel sits in the middle of the domain and spans all of it. */
const PRIOR_MU = 0.5;
const PRIOR_SIGMA = 1;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * A kernel mixture fitted to observations. Points are rows of a flat array, `dims.length`
 * numbers each: a unit value for numeric dimensions, a choice index for categorical ones.
 */
export class Parzen {
  readonly dims: readonly Dim[];
  /** Observations + 1 (the prior). */
  readonly kernels: number;
  readonly #numeric: number[] = [];
  readonly #continuous: boolean[] = [];
  readonly #categorical: number[] = [];
  /** Per kernel, per numeric dim (kernel-major). */
  readonly #mu: Float64Array;
  readonly #sigma: Float64Array;
  readonly #invSigma: Float64Array;
  /** Per kernel: log weight + every dimension's constant term (truncation, density scale). */
  readonly #constant: Float64Array;
  /** Per categorical dim: kernels × n log-probabilities, and cumulative probabilities. */
  readonly #catLogP: Float64Array[] = [];
  readonly #catCum: Float64Array[] = [];
  readonly #cumW: Float64Array;
  /** Per numeric dim (discrete ones only): its distinct kernels (parzen-tables.ts). */
  readonly #distinct: (DistinctKernels | undefined)[] = [];
  /** The rotated kernels' shared matrix over the continuous dims, when `covariance` applies. */
  readonly #shared: SharedKernel | undefined;
  /** Dimension indices of the continuous (float) dims, in order. */
  readonly #floats: number[] = [];
  /** Per observation: its continuous coordinates, raw and whitened by the shared matrix. */
  #sharedMu = new Float64Array(0);
  #sharedWhite = new Float64Array(0);
  /** The kernels as the scoring loop reads them (parzen-score.ts), once the first points are scored. */
  #tables: KernelTables | undefined;

  /**
   * @param observations `nObs` rows of `dims.length` values, flat.
   * @param weights one non-negative weight per observation (the prior's is added here).
   * @param widen optional per-observation bandwidth factors (TPE widens failed trials' kernels).
   */
  constructor(
    dims: readonly Dim[],
    observations: ArrayLike<number>,
    nObs: number,
    weights: ArrayLike<number>,
    options: ParzenOptions,
    widen?: ArrayLike<number>,
  ) {
    this.dims = dims;
    dims.forEach((d, i) => {
      if (d.kind === "categorical") this.#categorical.push(i);
      else {
        this.#numeric.push(i);
        this.#continuous.push(d.kind === "float");
        if (d.kind === "float") this.#floats.push(i);
      }
    });
    const d = dims.length;
    const k = nObs + 1;
    this.kernels = k;

    let total = options.priorWeight;
    for (let i = 0; i < nObs; i++) total += weights[i];
    this.#constant = new Float64Array(k);
    this.#cumW = new Float64Array(k);
    let acc = 0;
    for (let i = 0; i < k; i++) {
      const p = (i === nObs ? options.priorWeight : weights[i]) / total;
      this.#constant[i] = Math.log(p);
      acc += p;
      this.#cumW[i] = acc;
    }

    const nNum = this.#numeric.length;
    this.#mu = new Float64Array(k * nNum);
    this.#sigma = new Float64Array(k * nNum);
    this.#invSigma = new Float64Array(k * nNum);
    const minSigma =
      options.minBandwidth === "magic" ? 1 / Math.min(100, k + 1) : options.minBandwidth;
    const shrink = Math.max(nObs, 1) ** (-(options.bandwidthDecay ?? 1) / (d + 4));
    const scott = scaleFor(options, d) * shrink;
    const mus = new Float64Array(k);
    const muA = this.#mu;
    const sigmaA = this.#sigma;
    const invA = this.#invSigma;
    const constant = this.#constant;
    this.#shared = this.#fitShared(observations, nObs, weights, options, minSigma, shrink);
    const shared = this.#shared;
    let floatAt = 0;
    for (let j = 0; j < nNum; j++) {
      const dim = this.#numeric[j];
      const continuous = this.#continuous[j];
      for (let i = 0; i < nObs; i++) mus[i] = observations[i * d + dim];
      mus[nObs] = PRIOR_MU;
      const sigmas = options.multivariate
        ? undefined
        : neighbourBandwidths(mus, options.considerEndpoints);
      const width = jointWidth(scott, shrink, mus, nObs, weights, options.spread);
      let lastSigma = Number.NaN;
      let logSigma = 0;
      const rotated = shared !== undefined && continuous;
      for (let i = 0; i < k; i++) {
        const mu = mus[i];
        const raw =
          i === nObs ? PRIOR_SIGMA : (sigmas ? sigmas[i] : width) * (widen ? widen[i] : 1);
        const sigma =
          rotated && i < nObs
            ? Math.min(1, shared.marginal[floatAt])
            : Math.min(1, Math.max(minSigma, raw));
        const at = i * nNum + j;
        muA[at] = mu;
        sigmaA[at] = sigma;
        invA[at] = 1 / sigma;
        // The truncation's normaliser; a kernel 8σ inside both ends loses < 1e-15 of its mass.
        const inside = mu > 8 * sigma && 1 - mu > 8 * sigma;
        let c = inside ? 0 : -Math.log(normCdfFast((1 - mu) / sigma) - normCdfFast(-mu / sigma));
        if (rotated && i < nObs)
          c -= LOG_SQRT_2PI; // log det L is added once, below
        else if (continuous) {
          // Joint kernels share one width: take its log once.
          if (sigma !== lastSigma) {
            lastSigma = sigma;
            logSigma = Math.log(sigma);
          }
          c -= LOG_SQRT_2PI + logSigma;
        }
        constant[i] += c;
      }
      if (continuous) floatAt++;
    }
    if (shared) for (let i = 0; i < nObs; i++) constant[i] -= shared.logDetL;

    for (let j = 0; j < nNum; j++)
      this.#distinct.push(this.#continuous[j] ? undefined : distinctPairs(muA, sigmaA, k, nNum, j));
    for (const dim of this.#categorical) {
      const n = (dims[dim] as { n: number }).n;
      const smoothing = options.choiceSmoothing ?? options.priorWeight;
      const tables = choiceTables(observations, d, dim, n, nObs, smoothing);
      this.#catLogP.push(tables.logP);
      this.#catCum.push(tables.cum);
    }
  }

  /** The shared rotated kernel, when `options.covariance` applies; else undefined. */
  #fitShared(
    observations: ArrayLike<number>,
    nObs: number,
    weights: ArrayLike<number>,
    options: ParzenOptions,
    minSigma: number,
    shrink: number,
  ): SharedKernel | undefined {
    const c = this.#floats.length;
    if (!options.covariance || !options.multivariate || c < 2 || nObs < 2) return undefined;
    const d = this.dims.length;
    const rows = new Float64Array(nObs * c);
    for (let i = 0; i < nObs; i++)
      for (let a = 0; a < c; a++) rows[i * c + a] = observations[i * d + this.#floats[a]];
    const width = Math.min(1, Math.max(minSigma, scaleFor(options, d) * shrink));
    const kernel = sharedKernel(rows, c, nObs, weights, width, shrink, options.covariance);
    const ident = Array.from({ length: c }, (_, a) => a);
    this.#sharedMu = rows;
    this.#sharedWhite = new Float64Array(nObs * c);
    for (let i = 0; i < nObs; i++) whitenInto(kernel, rows, i * c, ident, this.#sharedWhite, i * c);
    return kernel;
  }

  /**
   * The first kernel's width per dimension (an observation's, or the prior's when there is
   * none; joint kernels share theirs), 0 for categorical dimensions: the step size of a local
   * search around a candidate.
   */
  widths(): Float64Array {
    const out = new Float64Array(this.dims.length);
    this.#numeric.forEach((dim, j) => {
      out[dim] = this.#sigma[j];
    });
    return out;
  }

  /**
   * `n` points drawn from the mixture (or, given `kernel`, from that one kernel), as a flat
   * array of `n × dims.length`; `scale` widens every numeric kernel by that factor.
   */
  sample(rng: Rng, n: number, kernel?: number, scale = 1): Float64Array {
    const d = this.dims.length;
    const nNum = this.#numeric.length;
    const out = new Float64Array(n * d);
    for (let p = 0; p < n; p++) {
      const from = kernel ?? pick(this.#cumW, 0, this.kernels, rng.next());
      const shared = this.#shared !== undefined && from < this.kernels - 1;
      if (shared) {
        const c = this.#floats.length;
        sampleShared(this.#shared, this.#sharedMu, from * c, rng, out, p * d, this.#floats, scale);
      }
      for (let j = 0; j < nNum; j++) {
        if (shared && this.#continuous[j]) continue;
        const at = from * nNum + j;
        out[p * d + this.#numeric[j]] = sampleTruncated(this.#mu[at], scale * this.#sigma[at], rng);
      }
      for (let c = 0; c < this.#categorical.length; c++) {
        const dim = this.#categorical[c];
        const nc = (this.dims[dim] as { n: number }).n;
        out[p * d + dim] = pick(this.#catCum[c], from * nc, nc, rng.next());
      }
    }
    return out;
  }

  /**
   * log density (log mass on discrete dimensions) of each of `n` points. For discrete
   * dimensions `cellLo`/`cellHi` hold each point's cell edges (same layout as `points`).
   */
  logPdf(
    points: Float64Array,
    n: number,
    cellLo?: Float64Array,
    cellHi?: Float64Array,
  ): Float64Array {
    this.#tables ??= {
      d: this.dims.length,
      k: this.kernels,
      numeric: this.#numeric,
      continuous: this.#continuous,
      mu: this.#mu,
      invSigma: this.#invSigma,
      constant: this.#constant,
      distinct: this.#distinct,
      categorical: this.#categorical,
      choices: this.#categorical.map((dim) => (this.dims[dim] as { n: number }).n),
      catLogP: this.#catLogP,
      shared: this.#shared,
      floats: this.#floats,
      sharedWhite: this.#sharedWhite,
    };
    return logPdfOf(this.#tables, points, n, cellLo, cellHi);
  }
}

/** The first index in `cum[from .. from+len)` whose cumulative weight exceeds `u` · total. */
function pick(cum: Float64Array, from: number, len: number, u: number): number {
  let lo = 0;
  let hi = len - 1;
  const target = u * cum[from + len - 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[from + mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
