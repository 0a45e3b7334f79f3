/**
 * The log density of a Parzen estimator (parzen.ts) at a batch of points: TPE's inner loop, a
 * log-sum-exp over every kernel for every candidate, twice per scored batch (l(x) and g(x)).
 *
 * Written for speed without changing a bit of the result (issue 16: a sampler time per trial
 * of at most 1 ms at 1,000 trials; bench/optim.ts's `timing` and bench/tpe-kernels-time.ts
 * showed this loop at about half of an ask): each kernel's log term is summed in one pass per
 * point, in the same order as the dimension-by-dimension passes it replaced (numeric
 * dimensions in order, then the rotated kernels' quadratic form, then categorical ones), so
 * every sum rounds the same; and a discrete dimension's cell masses are computed once per
 * distinct (kernel, cell) pair, since candidates often share a cell.
 *
 * @module
 */

import type { SharedKernel } from "./covariance.js";
import { whitenInto } from "./covariance.js";
import { logMass } from "./normal.js";

/** A discrete dimension's distinct kernels and each kernel's index among them (parzen-tables.ts). */
export interface DistinctKernels {
  readonly of: Int32Array;
  readonly mu: number[];
  readonly sigma: number[];
}

/** The fitted kernels, as a Parzen estimator holds them. */
export interface KernelTables {
  /** Values per point. */
  readonly d: number;
  /** Kernels (the observations', then the prior). */
  readonly k: number;
  /** Dimension index of each numeric dimension, in order. */
  readonly numeric: readonly number[];
  /** Per numeric dimension: continuous (float) or discrete. */
  readonly continuous: readonly boolean[];
  /** Per kernel, per numeric dimension (kernel-major): centre and inverse width. */
  readonly mu: Float64Array;
  readonly invSigma: Float64Array;
  /** Per kernel: log weight + every dimension's constant term. */
  readonly constant: Float64Array;
  /** Per numeric dimension: its distinct kernels (discrete dimensions only). */
  readonly distinct: readonly (DistinctKernels | undefined)[];
  /** Dimension index of each categorical dimension, its choice count, its kernels × n log-probabilities. */
  readonly categorical: readonly number[];
  readonly choices: readonly number[];
  readonly catLogP: readonly Float64Array[];
  /** The observation kernels' shared rotated matrix over the float dims, if any. */
  readonly shared: SharedKernel | undefined;
  /** Dimension indices of the float dims (the shared matrix's). */
  readonly floats: readonly number[];
  /** Per observation kernel: its float coordinates whitened by the shared matrix. */
  readonly sharedWhite: Float64Array;
}

/**
 * log density (log mass on discrete dimensions) of each of `n` points (rows of `t.d` values);
 * `cellLo`/`cellHi` hold each point's cell edges on discrete dimensions (same layout).
 */
export function logPdfOf(
  t: KernelTables,
  points: Float64Array,
  n: number,
  cellLo?: Float64Array,
  cellHi?: Float64Array,
): Float64Array {
  const {
    d,
    k,
    numeric,
    continuous,
    mu,
    invSigma: inv,
    constant,
    categorical,
    choices,
    catLogP,
  } = t;
  const nNum = numeric.length;
  const nCat = categorical.length;
  const { table, rowOf, cellOf } = discreteMasses(t, n, cellLo, cellHi);
  const white = whitened(t, points, n);
  const shared = t.shared !== undefined;
  const allFloat = continuous.every((f) => f);
  const c = t.shared?.c ?? 0;
  const sharedMu = t.sharedWhite;
  // Per point: a float dim's coordinate, or a discrete dim's cell column in its mass table.
  const x = new Float64Array(nNum);
  const cell = new Int32Array(nNum);
  const choice = new Int32Array(nCat);
  const terms = scratch(k);
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    for (let j = 0; j < nNum; j++)
      if (continuous[j]) x[j] = points[p * d + numeric[j]];
      else cell[j] = cellOf[j * n + p];
    for (let q = 0; q < nCat; q++) choice[q] = points[p * d + categorical[q]];
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < k; i++) {
      // Rotated observation kernels score their float dims together, after the numeric ones.
      const rotated = shared && i < k - 1;
      let term = constant[i];
      const row = i * nNum;
      if (allFloat) {
        // The float-only loop (no branch per dimension) on its own: bench/tpe-kernels-time.ts.
        if (!rotated)
          for (let j = 0; j < nNum; j++) {
            const z = (x[j] - mu[row + j]) * inv[row + j];
            term -= 0.5 * z * z;
          }
      } else
        for (let j = 0; j < nNum; j++) {
          if (continuous[j]) {
            if (rotated) continue;
            const z = (x[j] - mu[row + j]) * inv[row + j];
            term -= 0.5 * z * z;
          } else term += table[rowOf[row + j] + cell[j]];
        }
      if (rotated) {
        let sq = 0;
        for (let a = 0; a < c; a++) {
          const z = white[p * c + a] - sharedMu[i * c + a];
          sq += z * z;
        }
        term -= 0.5 * sq;
      }
      for (let q = 0; q < nCat; q++) term += catLogP[q][i * choices[q] + choice[q]];
      terms[i] = term;
      if (term > max) max = term;
    }
    let sum = 0;
    for (let i = 0; i < k; i++) {
      // Far kernels add < e^-40 of the nearest one's share: skip their exp (most of them).
      const e = terms[i] - max;
      if (e > -40) sum += Math.exp(e);
    }
    out[p] = max + Math.log(sum);
  }
  return out;
}

/**
 * The log masses of every discrete dimension's distinct kernels on the points' distinct cells,
 * in one flat table: kernel i's mass on point p's cell in numeric dimension j is
 * `table[rowOf[i·nNum + j] + cellOf[j·n + p]]`.
 */
function discreteMasses(
  t: KernelTables,
  n: number,
  cellLo: Float64Array | undefined,
  cellHi: Float64Array | undefined,
): { table: Float64Array; rowOf: Int32Array; cellOf: Int32Array } {
  const { d, k, numeric, distinct } = t;
  const nNum = numeric.length;
  const rowOf = new Int32Array(k * nNum);
  const cellOf = new Int32Array(nNum * n);
  const cells: { lo: number[]; hi: number[] }[] = [];
  let size = 0;
  for (let j = 0; j < nNum; j++) {
    const kernels = distinct[j];
    if (kernels === undefined) {
      cells.push({ lo: [], hi: [] });
      continue;
    }
    const lo = cellLo as Float64Array;
    const hi = cellHi as Float64Array;
    const dim = numeric[j];
    const seen = distinctCells(lo, hi, d, dim, n, cellOf, j * n);
    cells.push(seen);
    const width = seen.lo.length;
    for (let i = 0; i < k; i++) rowOf[i * nNum + j] = size + kernels.of[i] * width;
    size += kernels.mu.length * width;
  }
  const table = new Float64Array(size);
  let base = 0;
  for (let j = 0; j < nNum; j++) {
    const kernels = distinct[j];
    if (kernels === undefined) continue;
    const { lo, hi } = cells[j] as { lo: number[]; hi: number[] };
    for (let v = 0; v < kernels.mu.length; v++)
      for (let e = 0; e < lo.length; e++)
        table[base + v * lo.length + e] = logMass(
          lo[e] as number,
          hi[e] as number,
          kernels.mu[v] as number,
          kernels.sigma[v] as number,
        );
    base += kernels.mu.length * lo.length;
  }
  return { table, rowOf, cellOf };
}

/**
 * The distinct cells [lo, hi) of dimension `dim` among `n` points, and each point's index
 * among them (written to `cellOf[from + p]`). Candidates drawn near the same good trials land
 * in few cells of a discrete parameter.
 */
function distinctCells(
  cellLo: Float64Array,
  cellHi: Float64Array,
  d: number,
  dim: number,
  n: number,
  cellOf: Int32Array,
  from: number,
): { lo: number[]; hi: number[] } {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let p = 0; p < n; p++) {
    const a = cellLo[p * d + dim] as number;
    const b = cellHi[p * d + dim] as number;
    let e = 0;
    while (e < lo.length && !(lo[e] === a && hi[e] === b)) e++;
    if (e === lo.length) {
      lo.push(a);
      hi.push(b);
    }
    cellOf[from + p] = e;
  }
  return { lo, hi };
}

/** The points' float coordinates whitened by the shared matrix (empty without one). */
function whitened(t: KernelTables, points: Float64Array, n: number): Float64Array {
  if (t.shared === undefined) return new Float64Array(0);
  const c = t.shared.c;
  const white = new Float64Array(n * c);
  for (let p = 0; p < n; p++) whitenInto(t.shared, points, p * t.d, t.floats, white, p * c);
  return white;
}

let scratchBuffer = new Float64Array(1024);

/**
 * A reusable work array of at least `size` (log densities are computed synchronously, one call
 * at a time, so one buffer serves all estimators and spares the garbage collector).
 */
function scratch(size: number): Float64Array {
  if (scratchBuffer.length < size)
    scratchBuffer = new Float64Array(Math.max(size, 2 * scratchBuffer.length));
  return scratchBuffer;
}
