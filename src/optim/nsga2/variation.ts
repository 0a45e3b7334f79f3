/**
 * NSGA-II's variation operators in unit space: simulated binary crossover (SBX) and polynomial
 * mutation for numeric parameters (Deb & Agrawal 1995; Deb & Goyal 1996), uniform crossover
 * and reset mutation for categoricals. Conditions are respected by building the child parents
 * first: a child parameter is only set when its parent's chosen value activates it.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import type { SearchSpace } from "../space/search-space.js";
import type { Choice, Config } from "../types.js";

/**
 * Tuning of {@link vary}.
 *
 * @example
 * ```ts
 * const v: VariationOptions = { crossoverProb: 0.9, mutationProb: 0.1, etaCrossover: 15, etaMutation: 20 };
 * ```
 */
export interface VariationOptions {
  /** Probability that two parents are crossed at all (else the child copies one). */
  crossoverProb: number;
  /** Probability that each parameter is mutated. */
  mutationProb: number;
  /** SBX distribution index: larger keeps children closer to their parents. */
  etaCrossover: number;
  /** Polynomial mutation distribution index: larger makes smaller steps. */
  etaMutation: number;
}

/**
 * One SBX child of `x1` and `x2` in [0, 1] (bounded variant).
 *
 * @example
 * ```ts
 * sbx(0.2, 0.8, 15, new Rng(1)); // a value near 0.2 or near 0.8
 * ```
 */
export function sbx(x1: number, x2: number, eta: number, rng: Rng): number {
  if (Math.abs(x1 - x2) < 1e-14) return x1;
  const y1 = Math.min(x1, x2);
  const y2 = Math.max(x1, x2);
  const r = rng.next();
  const spread = (beta: number): number => {
    const alpha = 2 - beta ** -(eta + 1);
    return r <= 1 / alpha
      ? (r * alpha) ** (1 / (eta + 1))
      : (1 / (2 - r * alpha)) ** (1 / (eta + 1));
  };
  const c1 = 0.5 * (y1 + y2 - spread(1 + (2 * y1) / (y2 - y1)) * (y2 - y1));
  const c2 = 0.5 * (y1 + y2 + spread(1 + (2 * (1 - y2)) / (y2 - y1)) * (y2 - y1));
  const c = rng.next() < 0.5 ? c1 : c2;
  return Math.min(1, Math.max(0, c));
}

/**
 * Polynomial mutation of `x` in [0, 1].
 *
 * @example
 * ```ts
 * polynomialMutation(0.5, 20, new Rng(1)); // a value near 0.5
 * ```
 */
export function polynomialMutation(x: number, eta: number, rng: Rng): number {
  const r = rng.next();
  const pow = 1 / (eta + 1);
  let dq: number;
  if (r < 0.5) {
    const v = 2 * r + (1 - 2 * r) * (1 - x) ** (eta + 1);
    dq = v ** pow - 1;
  } else {
    const v = 2 * (1 - r) + 2 * (r - 0.5) * x ** (eta + 1);
    dq = 1 - v ** pow;
  }
  return Math.min(1, Math.max(0, x + dq));
}

/**
 * A child configuration of two parents. Each parameter that the child's own choices activate
 * is crossed from the parents that have it (one parent: copied; none: drawn at random), then
 * possibly mutated.
 *
 * @example
 * ```ts
 * const child = vary(space, p1.config, p2.config, { crossoverProb: 0.9, mutationProb: 0.2, etaCrossover: 15, etaMutation: 20 }, rng);
 * ```
 */
export function vary(
  space: SearchSpace,
  a: Readonly<Config>,
  b: Readonly<Config>,
  options: VariationOptions,
  rng: Rng,
): Config {
  const cross = rng.next() < options.crossoverProb;
  const child: Config = {};
  for (const p of space.params) {
    const cond = p.condition;
    if (cond && !(cond.parent in child && cond.values.includes(child[cond.parent]))) continue;
    const d = p.dist;
    if (d.type === "constant") {
      child[p.name] = d.value;
      continue;
    }
    const inA = p.name in a;
    const inB = p.name in b;
    let value: Choice;
    if (!inA && !inB) {
      child[p.name] = space.fromUnit(p, rng.next());
      continue;
    }
    if (d.type === "categorical") {
      value =
        inA && inB
          ? cross && rng.next() < 0.5
            ? b[p.name]
            : a[p.name]
          : inA
            ? a[p.name]
            : b[p.name];
      if (rng.next() < options.mutationProb) value = rng.choice(d.choices);
    } else {
      let u: number;
      if (inA && inB) {
        const ua = space.toUnit(p, a[p.name]);
        const ub = space.toUnit(p, b[p.name]);
        u = cross ? sbx(ua, ub, options.etaCrossover, rng) : ua;
      } else {
        u = space.toUnit(p, inA ? a[p.name] : b[p.name]);
      }
      if (rng.next() < options.mutationProb) u = polynomialMutation(u, options.etaMutation, rng);
      value = space.fromUnit(p, u);
    }
    child[p.name] = value;
  }
  return child;
}
