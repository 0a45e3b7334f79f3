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
import { jointWidth, neighbourBandwidths } from "./bandwidths.js";
import { logMass, normCdfFast, sampleTruncated } from "./normal.js";

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
  /** Scott's-rule bandwidth for `n` points in `d` dims: `bandwidthScale · n^(-1/(d+4))`. */
  readonly bandwidthScale: number;
  /**
   * Joint kernels' width per dimension from the points' own spread as well: `factor` × their
   * weighted standard deviation in that dimension × `n^(-1/(d+4))` (Scott's rule proper),
   * combined with the `bandwidthScale` width by `combine` ("min": narrower as the points
   * concentrate; "max": wider while they are spread out; "only": the spread width alone). Absent: `bandwidthScale` alone.
   */
  readonly spread?: { readonly factor: number; readonly combine: "min" | "max" | "only" };
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
  /**
   * Per numeric dim (discrete ones only): each kernel's index among the distinct (mu, sigma)
   * pairs of that dim, and those pairs. Discrete kernels repeat a lot (many trials share an
   * int value), and a cell's mass costs two CDFs, so each distinct pair is scored once.
   */
  readonly #distinct: ({ of: Int32Array; mu: number[]; sigma: number[] } | undefined)[] = [];

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
    const shrink = Math.max(nObs, 1) ** (-1 / (d + 4));
    const scott = options.bandwidthScale * shrink;
    const mus = new Float64Array(k);
    const muA = this.#mu;
    const sigmaA = this.#sigma;
    const invA = this.#invSigma;
    const constant = this.#constant;
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
      for (let i = 0; i < k; i++) {
        const mu = mus[i];
        const raw =
          i === nObs ? PRIOR_SIGMA : (sigmas ? sigmas[i] : width) * (widen ? widen[i] : 1);
        const sigma = Math.min(1, Math.max(minSigma, raw));
        const at = i * nNum + j;
        muA[at] = mu;
        sigmaA[at] = sigma;
        invA[at] = 1 / sigma;
        // The truncation's normaliser; a kernel 8σ inside both ends loses < 1e-15 of its mass.
        const inside = mu > 8 * sigma && 1 - mu > 8 * sigma;
        let c = inside ? 0 : -Math.log(normCdfFast((1 - mu) / sigma) - normCdfFast(-mu / sigma));
        if (continuous) {
          // Joint kernels share one width: take its log once.
          if (sigma !== lastSigma) {
            lastSigma = sigma;
            logSigma = Math.log(sigma);
          }
          c -= LOG_SQRT_2PI + logSigma;
        }
        constant[i] += c;
      }
    }

    for (let j = 0; j < nNum; j++) {
      if (this.#continuous[j]) {
        this.#distinct.push(undefined);
        continue;
      }
      const byMu = new Map<number, number[]>();
      const of = new Int32Array(k);
      const m: number[] = [];
      const sd: number[] = [];
      for (let i = 0; i < k; i++) {
        const mu = muA[i * nNum + j];
        const sigma = sigmaA[i * nNum + j];
        let same = byMu.get(mu);
        if (!same) {
          same = [];
          byMu.set(mu, same);
        }
        let u = same.find((v) => sd[v] === sigma);
        if (u === undefined) {
          u = m.length;
          same.push(u);
          m.push(mu);
          sd.push(sigma);
        }
        of[i] = u;
      }
      this.#distinct.push({ of, mu: m, sigma: sd });
    }

    for (const dim of this.#categorical) {
      const n = (dims[dim] as { n: number }).n;
      const logP = new Float64Array(k * n);
      const cum = new Float64Array(k * n);
      // Each observation's kernel: its choice, plus priorWeight/k spread over all choices.
      const smooth = options.priorWeight / k;
      for (let i = 0; i < k; i++) {
        const row = new Float64Array(n).fill(i === nObs ? 1 : smooth);
        if (i < nObs) row[observations[i * d + dim]] += 1;
        let sum = 0;
        for (let c = 0; c < n; c++) sum += row[c];
        let run = 0;
        for (let c = 0; c < n; c++) {
          const p = row[c] / sum;
          logP[i * n + c] = Math.log(p);
          run += p;
          cum[i * n + c] = run;
        }
      }
      this.#catLogP.push(logP);
      this.#catCum.push(cum);
    }
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
   * array of `n × dims.length`.
   */
  sample(rng: Rng, n: number, kernel?: number): Float64Array {
    const d = this.dims.length;
    const nNum = this.#numeric.length;
    const out = new Float64Array(n * d);
    for (let p = 0; p < n; p++) {
      const from = kernel ?? pick(this.#cumW, 0, this.kernels, rng.next());
      for (let j = 0; j < nNum; j++) {
        const at = from * nNum + j;
        out[p * d + this.#numeric[j]] = sampleTruncated(this.#mu[at], this.#sigma[at], rng);
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
    const d = this.dims.length;
    const k = this.kernels;
    const nNum = this.#numeric.length;
    const numeric = this.#numeric;
    const continuous = this.#continuous;
    const mu = this.#mu;
    const inv = this.#invSigma;
    const constant = this.#constant;
    // terms[p·k + i]: log of kernel i's weighted density at point p. Kernel-major loops keep a
    // kernel's parameters in registers while all candidates go by.
    const terms = scratch(n * k);
    for (let i = 0; i < k; i++) for (let p = 0; p < n; p++) terms[p * k + i] = constant[i];
    for (let j = 0; j < nNum; j++) {
      const dim = numeric[j];
      if (continuous[j]) {
        for (let i = 0; i < k; i++) {
          const m = mu[i * nNum + j];
          const s = inv[i * nNum + j];
          for (let p = 0; p < n; p++) {
            const z = (points[p * d + dim] - m) * s;
            terms[p * k + i] -= 0.5 * z * z;
          }
        }
      } else {
        const lo = cellLo as Float64Array;
        const hi = cellHi as Float64Array;
        const distinct = this.#distinct[j] as { of: Int32Array; mu: number[]; sigma: number[] };
        const u = distinct.mu.length;
        const mass = new Float64Array(u * n);
        for (let v = 0; v < u; v++)
          for (let p = 0; p < n; p++)
            mass[v * n + p] = logMass(
              lo[p * d + dim],
              hi[p * d + dim],
              distinct.mu[v],
              distinct.sigma[v],
            );
        for (let i = 0; i < k; i++) {
          const v = distinct.of[i];
          for (let p = 0; p < n; p++) terms[p * k + i] += mass[v * n + p];
        }
      }
    }
    this.#categorical.forEach((dim, c) => {
      const nc = (this.dims[dim] as { n: number }).n;
      const logP = this.#catLogP[c];
      for (let p = 0; p < n; p++) {
        const choice = points[p * d + dim];
        for (let i = 0; i < k; i++) terms[p * k + i] += logP[i * nc + choice];
      }
    });
    const out = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < k; i++) if (terms[p * k + i] > max) max = terms[p * k + i];
      let sum = 0;
      for (let i = 0; i < k; i++) {
        // Far kernels add < e^-40 of the nearest one's share: skip their exp (most of them).
        const t = terms[p * k + i] - max;
        if (t > -40) sum += Math.exp(t);
      }
      out[p] = max + Math.log(sum);
    }
    return out;
  }
}

let scratchBuffer = new Float64Array(4096);

/**
 * A reusable work array of at least `size` (log densities are computed synchronously, one call
 * at a time, so one buffer serves all estimators and spares the garbage collector).
 */
function scratch(size: number): Float64Array {
  if (scratchBuffer.length < size)
    scratchBuffer = new Float64Array(Math.max(size, 2 * scratchBuffer.length));
  return scratchBuffer;
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
