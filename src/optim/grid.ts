/**
 * `GridSearch`: every combination of a few values per parameter, conditional-aware (a child's
 * values are only combined with the parent values that activate it).
 *
 * @module
 */

import { checkOptionKeys, optionKeys } from "../shared/options.js";
import { BaseOptimizer, OPTIMIZER_OPTION_FLAGS, type OptimizerOptions } from "./base-optimizer.js";
import { cardinality, fromUnit, toUnit } from "./space/distribution.js";
import { SpaceError } from "./space/errors.js";
import type { SearchSpace } from "./space/search-space.js";
import type { Choice, Config, Param } from "./types.js";

/**
 * Options of {@link GridSearch}.
 *
 * @example
 * ```ts
 * const opts: GridSearchOptions = { space: s, metrics: new Metric("loss"), resolution: 4, points: { lr: 8 } };
 * ```
 */
export interface GridSearchOptions extends OptimizerOptions {
  /**
   * Points per numeric parameter, evenly spaced on its (log) scale, ends included.
   * @defaultValue 5
   */
  resolution?: number;
  /** Points for particular numeric parameters, overriding `resolution`. */
  points?: Record<string, number>;
  /**
   * Visit the grid in a seeded random order instead of in order.
   * @defaultValue false
   */
  shuffle?: boolean;
  /**
   * Refuse grids with more points than this.
   * @defaultValue 1000000
   */
  maxPoints?: number;
}

/**
 * The defaults of {@link GridSearchOptions}, the ones the code uses.
 *
 * @example
 * ```ts
 * GRID_SEARCH_DEFAULTS.resolution; // 5
 * ```
 */
export const GRID_SEARCH_DEFAULTS = Object.freeze({
  resolution: 5,
  shuffle: false,
  maxPoints: 1_000_000,
});

const GRID_SEARCH_KEYS = optionKeys<GridSearchOptions>({
  ...OPTIMIZER_OPTION_FLAGS,
  resolution: true,
  points: true,
  shuffle: true,
  maxPoints: true,
});

function checkCount(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1)
    throw new RangeError(`GridSearch: ${what} must be a positive integer, got ${String(n)}`);
  return n;
}

/**
 * The grid values of one parameter: all choices of a categorical, all values of a discrete
 * parameter with at most `points` values, else `points` values evenly spaced in unit space
 * (so log-spaced on a log scale) from low to high; one point is the middle.
 *
 * @example
 * ```ts
 * gridValues({ name: "lr", dist: { type: "float", low: 1e-3, high: 1e-1, log: true } }, 3);
 * // [0.001, ~0.01, 0.1]
 * ```
 */
export function gridValues(param: Param, points: number): Choice[] {
  const d = param.dist;
  if (d.type === "categorical") return [...d.choices];
  if (d.type === "constant") return [d.value];
  if (cardinality(d) <= points)
    return Array.from({ length: cardinality(d) }, (_, k) =>
      fromUnit(d, (k + 0.5) / cardinality(d)),
    );
  if (points === 1) return [fromUnit(d, 0.5)];
  const u0 = toUnit(d, d.low);
  const u1 = toUnit(d, d.high);
  const out: Choice[] = [];
  for (let i = 0; i < points; i++) {
    const v = fromUnit(d, u0 + ((u1 - u0) * i) / (points - 1));
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** Every grid configuration, walking parameters parents first so a child only joins the parent values that activate it. */
function enumerate(space: SearchSpace, valuesOf: (p: Param) => Choice[], max: number): Config[] {
  let configs: Config[] = [{}];
  for (const p of space.params) {
    const values = valuesOf(p);
    const next: Config[] = [];
    for (const c of configs) {
      const cond = p.condition;
      const active = !cond || (cond.parent in c && cond.values.includes(c[cond.parent]));
      if (!active) {
        next.push(c);
        continue;
      }
      for (const v of values) next.push({ ...c, [p.name]: v });
      if (next.length > max)
        throw new RangeError(
          `GridSearch: the grid has more than ${max} points (at parameter "${p.name}"); lower resolution/points or raise maxPoints`,
        );
    }
    configs = next;
  }
  return configs;
}

/**
 * Grid search. The grid is built once, in order (or shuffled with the seed); `ask(n)` hands out
 * the next `n` points. When the grid runs out, `ask(n)` returns the fewer points left (an empty
 * array at the end), `ask()` throws an `OptimizerExhaustedError`, and `exhausted` is `true`.
 *
 * @example
 * ```ts
 * const opt = new GridSearch({
 *   space: space({ kind: categorical(["a", "b"]), x: float(0, 1, { when: { kind: "a" } }) }),
 *   metrics: new Metric("loss"),
 *   resolution: 3,
 * });
 * opt.size; // 4: {a, 0}, {a, 0.5}, {a, 1}, {b}
 * const trials = opt.ask(10); // the 4 points, then opt.exhausted === true
 * ```
 */
export class GridSearch extends BaseOptimizer {
  readonly #grid: Config[];
  #next = 0;

  constructor(options: GridSearchOptions) {
    checkOptionKeys(options, GRID_SEARCH_KEYS, "GridSearch");
    super(options);
    const resolution = checkCount(
      options.resolution ?? GRID_SEARCH_DEFAULTS.resolution,
      "resolution",
    );
    const points = options.points ?? {};
    for (const [name, n] of Object.entries(points)) {
      if (!this.space.has(name))
        throw new SpaceError("GridSearch `points` names an unknown parameter", {
          param: name,
          value: n,
        });
      checkCount(n, `points.${name}`);
    }
    const max = checkCount(options.maxPoints ?? GRID_SEARCH_DEFAULTS.maxPoints, "maxPoints");
    this.#grid = enumerate(this.space, (p) => gridValues(p, points[p.name] ?? resolution), max);
    if (options.shuffle ?? GRID_SEARCH_DEFAULTS.shuffle) {
      for (let i = this.#grid.length - 1; i > 0; i--) {
        const j = this.rng.int(0, i);
        [this.#grid[i], this.#grid[j]] = [this.#grid[j], this.#grid[i]];
      }
    }
  }

  /** The number of grid points. */
  get size(): number {
    return this.#grid.length;
  }

  /** Grid points not yet asked. */
  get remaining(): number {
    return this.#grid.length - this.#next;
  }

  override get exhausted(): boolean {
    return this.#next >= this.#grid.length;
  }

  protected propose(n: number): Config[] {
    const out = this.#grid.slice(this.#next, this.#next + n);
    this.#next += out.length;
    return out.map((c) => ({ ...c }));
  }
}
