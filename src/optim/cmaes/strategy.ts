/**
 * The CMA-ES update (Hansen's tutorial, "The CMA Evolution Strategy", 2016, the (μ/μ_w, λ)
 * strategy with rank-one and rank-μ updates and cumulative step-size adaptation), on the unit
 * cube [0, 1]^n, with the stopping rules that trigger a restart. No bookkeeping of trials here:
 * `CmaEs` (cmaes.ts) turns asks and tells into generations.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import { symmetricEigen } from "./eigen.js";

/** Resamples of an out-of-cube point before it is clipped to the cube. */
const MAX_RESAMPLES = 32;
/** Stop when the step in every coordinate is below this (unit cube). */
const TOL_X = 1e-11;
/** Stop when the best values of recent generations and this one's values span less. */
const TOL_FUN = 1e-12;
/** Stop when the covariance's condition number exceeds this. */
const MAX_CONDITION = 1e14;

/** One evaluated point of a generation. */
export interface Solution {
  readonly x: Float64Array;
  readonly value: number;
}

/**
 * One CMA-ES run: its mean, step size, covariance and evolution paths.
 */
export class Strategy {
  readonly n: number;
  readonly lambda: number;
  readonly mu: number;
  readonly #weights: Float64Array;
  readonly #mueff: number;
  readonly #cc: number;
  readonly #cs: number;
  readonly #c1: number;
  readonly #cmu: number;
  readonly #damps: number;
  readonly #chiN: number;
  #mean: Float64Array;
  #sigma: number;
  #C: Float64Array;
  #B: Float64Array;
  #D: Float64Array;
  #pc: Float64Array;
  #ps: Float64Array;
  /** Best value of each generation so far (for the TolFun rule). */
  readonly #bests: number[] = [];
  #generation = 0;

  constructor(n: number, mean: Float64Array, sigma: number, lambda: number) {
    this.n = n;
    this.lambda = lambda;
    this.mu = Math.floor(lambda / 2);
    const raw = Float64Array.from(
      { length: this.mu },
      (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1),
    );
    const sum = raw.reduce((a, b) => a + b, 0);
    this.#weights = raw.map((w) => w / sum);
    this.#mueff = 1 / this.#weights.reduce((a, w) => a + w * w, 0);
    const me = this.#mueff;
    this.#cc = (4 + me / n) / (n + 4 + (2 * me) / n);
    this.#cs = (me + 2) / (n + me + 5);
    this.#c1 = 2 / ((n + 1.3) ** 2 + me);
    this.#cmu = Math.min(1 - this.#c1, (2 * (me - 2 + 1 / me)) / ((n + 2) ** 2 + me));
    this.#damps = 1 + 2 * Math.max(0, Math.sqrt((me - 1) / (n + 1)) - 1) + this.#cs;
    this.#chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.#mean = Float64Array.from(mean);
    this.#sigma = sigma;
    this.#C = identity(n);
    this.#B = identity(n);
    this.#D = new Float64Array(n).fill(1);
    this.#pc = new Float64Array(n);
    this.#ps = new Float64Array(n);
  }

  get sigma(): number {
    return this.#sigma;
  }

  get generation(): number {
    return this.#generation;
  }

  get mean(): Float64Array {
    return this.#mean;
  }

  /** A point from N(m, σ²C), resampled while outside the unit cube, then clipped. */
  sample(rng: Rng): Float64Array {
    let x = this.#draw(rng);
    for (let t = 0; t < MAX_RESAMPLES && !inCube(x); t++) x = this.#draw(rng);
    return x.map((v) => Math.min(1, Math.max(0, v)));
  }

  #draw(rng: Rng): Float64Array {
    const n = this.n;
    const z = Float64Array.from({ length: n }, (_, i) => this.#D[i] * rng.normal());
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let y = 0;
      for (let j = 0; j < n; j++) y += this.#B[i * n + j] * z[j];
      x[i] = this.#mean[i] + this.#sigma * y;
    }
    return x;
  }

  /** Updates the distribution from one generation's `lambda` solutions. */
  tell(solutions: readonly Solution[]): void {
    const n = this.n;
    const sorted = [...solutions].sort((a, b) => a.value - b.value);
    this.#bests.push(sorted[0].value);
    this.#lastValues = sorted.map((s) => s.value);
    const old = this.#mean;
    const mean = new Float64Array(n);
    for (let k = 0; k < this.mu; k++)
      for (let i = 0; i < n; i++) mean[i] += this.#weights[k] * sorted[k].x[i];
    const step = mean.map((v, i) => (v - old[i]) / this.#sigma);
    // C^(-1/2) · step = B D^-1 Bᵀ step
    const bt = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.#B[i * n + j] * step[i];
      bt[j] = s / this.#D[j];
    }
    const invSqrt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += this.#B[i * n + j] * bt[j];
      invSqrt[i] = s;
    }
    const cs = this.#cs;
    const csNorm = Math.sqrt(cs * (2 - cs) * this.#mueff);
    this.#ps = this.#ps.map((p, i) => (1 - cs) * p + csNorm * invSqrt[i]);
    const psNorm = Math.hypot(...this.#ps);
    this.#generation++;
    const hsig =
      psNorm / Math.sqrt(1 - (1 - cs) ** (2 * this.#generation)) / this.#chiN < 1.4 + 2 / (n + 1)
        ? 1
        : 0;
    const cc = this.#cc;
    const ccNorm = Math.sqrt(cc * (2 - cc) * this.#mueff);
    this.#pc = this.#pc.map((p, i) => (1 - cc) * p + hsig * ccNorm * step[i]);
    const c1 = this.#c1;
    const cmu = this.#cmu;
    const delta = (1 - hsig) * cc * (2 - cc);
    const C = this.#C;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        for (let k = 0; k < this.mu; k++) {
          const yi = (sorted[k].x[i] - old[i]) / this.#sigma;
          const yj = (sorted[k].x[j] - old[j]) / this.#sigma;
          rankMu += this.#weights[k] * yi * yj;
        }
        const v =
          (1 - c1 - cmu) * C[i * n + j] +
          c1 * (this.#pc[i] * this.#pc[j] + delta * C[i * n + j]) +
          cmu * rankMu;
        C[i * n + j] = v;
        C[j * n + i] = v;
      }
    this.#sigma *= Math.exp((cs / this.#damps) * (psNorm / this.#chiN - 1));
    this.#mean = mean;
    const { values, vectors } = symmetricEigen(C, n);
    this.#D = values.map((v) => Math.sqrt(Math.max(v, 1e-300)));
    this.#B = vectors;
  }

  #lastValues: number[] = [];

  /**
   * Whether this run is done (and a restart should begin): the steps are below TolX in every
   * coordinate, recent values span less than TolFun, or the covariance is ill-conditioned.
   */
  shouldStop(): string | undefined {
    const n = this.n;
    let tiny = true;
    for (let i = 0; i < n; i++)
      if (
        this.#sigma * Math.sqrt(this.#C[i * n + i]) > TOL_X ||
        this.#sigma * Math.abs(this.#pc[i]) > TOL_X
      )
        tiny = false;
    if (tiny) return "tolX";
    const history = 10 + Math.ceil((30 * n) / this.lambda);
    if (this.#bests.length >= history) {
      const recent = [...this.#bests.slice(-history), ...this.#lastValues];
      if (Math.max(...recent) - Math.min(...recent) < TOL_FUN) return "tolFun";
    }
    const dMax = Math.max(...this.#D);
    const dMin = Math.min(...this.#D);
    if ((dMax / dMin) ** 2 > MAX_CONDITION) return "conditionCov";
    if (!Number.isFinite(this.#sigma) || this.#sigma <= 0) return "sigma";
    return undefined;
  }
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function inCube(x: Float64Array): boolean {
  for (const v of x) if (v < 0 || v > 1) return false;
  return true;
}
