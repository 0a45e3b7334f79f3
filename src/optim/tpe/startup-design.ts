/**
 * TPE's start-up trials as a space-filling design instead of independent uniform draws: a
 * Latin hypercube over every parameter's unit scale (each of the n trials owns one of n strata
 * of every parameter, at a uniform point inside it; categorical choices come out as balanced as
 * n allows), optionally the best of several by their smallest pairwise distance (maximin), so
 * the few random trials the model starts from cover the box instead of clumping.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import type { SearchSpace } from "../space/index.js";
import type { Config } from "../types.js";

/**
 * How start-up trials are drawn: `"random"` (independent uniform draws, as Optuna's), `"lhs"`
 * (one Latin hypercube) or `"maximin"` (the Latin hypercube with the largest smallest
 * pairwise distance of {@link MAXIMIN_TRIES}).
 */
export type StartupDesignKind = "random" | "lhs" | "maximin";

/** Latin hypercubes drawn for `"maximin"`; the most spread one is kept. */
export const MAXIMIN_TRIES = 32;

/**
 * The start-up configurations of one run, drawn when first asked for: the i-th call of
 * {@link StartupDesign.next} gives the design's i-th point while there are points left, then
 * uniform draws (more start-up asks than planned, e.g. parallel asks or redraws of repeats).
 */
export class StartupDesign {
  readonly #space: SearchSpace;
  readonly #size: number;
  readonly #kind: Exclude<StartupDesignKind, "random">;
  /** Unit coordinates, one row of `columns` per point. */
  #points: Float64Array | undefined;
  #used = 0;

  constructor(space: SearchSpace, size: number, kind: Exclude<StartupDesignKind, "random">) {
    this.#space = space;
    this.#size = size;
    this.#kind = kind;
  }

  /** The next start-up configuration. */
  next(rng: Rng): Config {
    const columns = this.#space.params.length;
    if (this.#used >= this.#size || columns === 0) return this.#space.sample(rng);
    this.#points ??=
      this.#kind === "lhs"
        ? latinHypercube(this.#size, columns, rng)
        : maximin(this.#size, columns, rng);
    const row = this.#points.subarray(this.#used * columns, (this.#used + 1) * columns);
    this.#used++;
    return configAt(this.#space, row);
  }
}

/** The config whose every active parameter sits at `row`'s unit coordinate. */
function configAt(space: SearchSpace, row: Float64Array): Config {
  const config: Config = {};
  space.params.forEach((p, j) => {
    if (space.isActive(p.name, config)) config[p.name] = space.fromUnit(p, row[j] as number);
  });
  return config;
}

/** n points in [0, 1)^d, one in each of n strata of every coordinate (rows of d). */
export function latinHypercube(n: number, d: number, rng: Rng): Float64Array {
  const out = new Float64Array(n * d);
  const strata = Array.from({ length: n }, (_, i) => i);
  for (let j = 0; j < d; j++) {
    shuffle(strata, rng);
    for (let i = 0; i < n; i++) out[i * d + j] = ((strata[i] as number) + rng.next()) / n;
  }
  return out;
}

/** The Latin hypercube of {@link MAXIMIN_TRIES} with the largest smallest pairwise distance. */
export function maximin(n: number, d: number, rng: Rng): Float64Array {
  let best = latinHypercube(n, d, rng);
  let bestGap = smallestGap(best, n, d);
  for (let t = 1; t < MAXIMIN_TRIES; t++) {
    const next = latinHypercube(n, d, rng);
    const gap = smallestGap(next, n, d);
    if (gap > bestGap) {
      best = next;
      bestGap = gap;
    }
  }
  return best;
}

/** The smallest squared distance between two of the n points. */
export function smallestGap(points: Float64Array, n: number, d: number): number {
  let gap = Number.POSITIVE_INFINITY;
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      let s = 0;
      for (let j = 0; j < d; j++)
        s += ((points[a * d + j] as number) - (points[b * d + j] as number)) ** 2;
      if (s < gap) gap = s;
    }
  return gap;
}

/** Fisher-Yates, in place. */
function shuffle(a: number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const k = Math.floor(rng.next() * (i + 1));
    [a[i], a[k]] = [a[k] as number, a[i] as number];
  }
}
