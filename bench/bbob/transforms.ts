/**
 * The building blocks of the BBOB noiseless functions (Hansen, Finck, Ros, Auger 2009, "Real-
 * Parameter Black-Box Optimization Benchmarking 2009: Noiseless Functions Definitions", INRIA
 * RR-6829), written from that report: the oscillation and asymmetry transformations, the
 * ill-conditioning diagonal, the boundary penalty, and an instance's random parts (x_opt, f_opt,
 * random orthogonal rotations, ±1 vectors) drawn from a seeded generator.
 *
 * Instance scheme (ours, not COCO's numbers): instance `i` of function `f` in dimension `D`
 * draws everything from `new Rng(1_000_003 * f + 7919 * D + i)` in a fixed order (x_opt, f_opt,
 * then R, then Q, then what the function needs). So the same (f, D, i) is the same problem on
 * every machine; instances are distinct problems of one function, as in COCO, but not COCO's
 * instances (COCO's generator is not reproduced).
 *
 * @module
 */

import { Rng } from "../../src/optim/rng.js";

export type Vec = Float64Array;
/** A D × D matrix, row-major. */
export type Mat = Float64Array;

/** T_osz: a smooth, symmetric-breaking oscillation applied per coordinate. */
export function tosz(x: number): number {
  if (x === 0) return 0;
  const h = Math.log(Math.abs(x));
  const c1 = x > 0 ? 10 : 5.5;
  const c2 = x > 0 ? 7.9 : 3.1;
  return Math.sign(x) * Math.exp(h + 0.049 * (Math.sin(c1 * h) + Math.sin(c2 * h)));
}

export function toszVec(x: Vec): Vec {
  return x.map(tosz);
}

/** T_asy^β: positive coordinates raised to a power growing with the index. */
export function tasy(x: Vec, beta: number): Vec {
  const d = x.length;
  return x.map((v, i) => (v > 0 ? v ** (1 + beta * (d > 1 ? i / (d - 1) : 1) * Math.sqrt(v)) : v));
}

/** The diagonal of Λ^α: α^(½ (i-1)/(D-1)). */
export function lambda(alpha: number, d: number): Vec {
  return Float64Array.from({ length: d }, (_, i) => alpha ** (0.5 * (d > 1 ? i / (d - 1) : 1)));
}

/** Σ max(0, |x_i| - 5)²: the penalty outside [-5, 5]^D. */
export function fpen(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(x[i]) - 5;
    if (e > 0) s += e * e;
  }
  return s;
}

export function mul(m: Mat, x: Vec): Vec {
  const d = x.length;
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += m[i * d + j] * x[j];
    out[i] = s;
  }
  return out;
}

export function scale(diag: Vec, x: Vec): Vec {
  return x.map((v, i) => v * diag[i]);
}

export function sub(x: ArrayLike<number>, y: Vec): Vec {
  return Float64Array.from(y, (v, i) => x[i] - v);
}

/** The random parts of one instance, drawn in a fixed order from its seed. */
export class Instance {
  readonly rng: Rng;
  readonly d: number;
  readonly xopt: Vec;
  readonly fopt: number;
  readonly R: Mat;
  readonly Q: Mat;

  constructor(fid: number, d: number, instance: number) {
    this.rng = new Rng(1_000_003 * fid + 7919 * d + instance);
    this.d = d;
    // x_opt uniform in [-4, 4]^D, rounded to 4 decimals and never exactly 0 (as the report).
    this.xopt = Float64Array.from({ length: d }, () => {
      const v = Math.round(this.rng.uniform(-4, 4) * 1e4) / 1e4;
      return v === 0 ? -1e-5 : v;
    });
    // f_opt: a Cauchy draw, scaled by 100, rounded to 2 decimals, clipped to [-1000, 1000].
    const cauchy = this.rng.normal() / this.rng.normal();
    this.fopt = Math.max(-1000, Math.min(1000, Math.round(100 * cauchy * 100) / 100));
    this.R = this.rotation();
    this.Q = this.rotation();
  }

  /** A random orthogonal matrix: Gram-Schmidt on a matrix of standard normal draws. */
  rotation(): Mat {
    const d = this.d;
    const rows = Array.from({ length: d }, () =>
      Float64Array.from({ length: d }, () => this.rng.normal()),
    );
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += rows[i][k] * rows[j][k];
        for (let k = 0; k < d; k++) rows[i][k] -= dot * rows[j][k];
      }
      const norm = Math.hypot(...rows[i]);
      for (let k = 0; k < d; k++) rows[i][k] /= norm;
    }
    const m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) m.set(rows[i], i * d);
    return m;
  }

  /** A vector of random signs. */
  signs(): Vec {
    return Float64Array.from({ length: this.d }, () => (this.rng.next() < 0.5 ? -1 : 1));
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}
