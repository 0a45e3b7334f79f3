/**
 * Checks, membership and the unit-cube mapping of one {@link Distribution}. Samplers work in
 * [0, 1] (TPE's kernels, NSGA-II's crossover, grid points) and map back with
 * {@link fromUnit}, which applies log scale, steps and integer rounding in one place.
 *
 * @module
 */

import type { Rng } from "../rng.js";
import type { Choice, Distribution } from "../types.js";
import { SpaceError, show } from "./errors.js";

/**
 * Whether `v` is a JSON-safe scalar a categorical parameter or a constant may hold.
 *
 * @example
 * ```ts
 * isChoice("a"); // true
 * isChoice(Number.NaN); // false
 * ```
 */
export function isChoice(v: unknown): v is Choice {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  return typeof v === "number" && Number.isFinite(v);
}

/** Relative tolerance when checking that a value lies on a step grid (float steps drift). */
const GRID_TOL = 1e-9;

/** Rounds away float noise such as `0.30000000000000004` from `low + k * step`. */
function tidy(x: number): number {
  return Number(x.toPrecision(15));
}

function stepsIn(low: number, high: number, step: number): number {
  return Math.round((high - low) / step);
}

/**
 * Throws a {@link SpaceError} (naming `param`) unless `dist` is a well-formed distribution:
 * finite bounds with low < high, a positive low bound on a log scale, a positive step that
 * divides the range (and no step on a log scale, except 1 for ints), integer bounds for ints,
 * a non-empty list of distinct JSON-safe choices.
 *
 * @example
 * ```ts
 * checkDistribution({ type: "float", low: 0, high: 1, log: true }, "lr"); // throws: log needs low > 0
 * ```
 */
export function checkDistribution(dist: Distribution, param?: string): void {
  const fail = (msg: string, value: unknown): never => {
    throw new SpaceError(msg, { param, value });
  };
  if (!dist || typeof dist !== "object")
    fail(`distribution must be an object, got ${show(dist)}`, dist);
  switch (dist.type) {
    case "float":
    case "int": {
      const { low, high, log, step } = dist;
      if (typeof low !== "number" || !Number.isFinite(low))
        fail(`${dist.type} low bound must be a finite number, got ${show(low)}`, low);
      if (typeof high !== "number" || !Number.isFinite(high))
        fail(`${dist.type} high bound must be a finite number, got ${show(high)}`, high);
      if (!(low < high))
        fail(
          `${dist.type} needs low < high, got low=${low}, high=${high} (use constant() for one value)`,
          [low, high],
        );
      if (typeof log !== "boolean") fail(`log must be a boolean, got ${show(log)}`, log);
      if (log && low <= 0)
        fail(`log scale needs positive bounds, got low=${low}, high=${high}`, [low, high]);
      if (dist.type === "int" && (!Number.isInteger(low) || !Number.isInteger(high)))
        fail(`int bounds must be integers, got low=${low}, high=${high}`, [low, high]);
      if (step !== undefined) {
        if (typeof step !== "number" || !Number.isFinite(step) || step <= 0)
          fail(`step must be a positive finite number, got ${show(step)}`, step);
        if (dist.type === "int" && !Number.isInteger(step))
          fail(`int step must be an integer, got ${step}`, step);
        if (log && !(dist.type === "int" && step === 1))
          fail(`step ${step} cannot be combined with a log scale`, step);
        const k = (high - low) / step;
        if (Math.abs(k - Math.round(k)) > GRID_TOL * Math.max(1, k))
          fail(`step ${step} does not divide the range [${low}, ${high}]`, step);
      } else if (dist.type === "int") {
        fail("int needs a step (1 by default)", step);
      }
      return;
    }
    case "categorical": {
      const { choices } = dist;
      if (!Array.isArray(choices) || choices.length === 0)
        fail(`categorical needs at least one choice, got ${show(choices)}`, choices);
      const seen = new Set<Choice>();
      for (const c of choices) {
        if (!isChoice(c))
          fail(`choices must be strings, finite numbers, booleans or null, got ${show(c)}`, c);
        if (seen.has(c)) fail(`choice ${show(c)} appears twice`, c);
        seen.add(c);
      }
      return;
    }
    case "constant":
      if (!isChoice(dist.value))
        fail(
          `constant must be a string, finite number, boolean or null, got ${show(dist.value)}`,
          dist.value,
        );
      return;
    default:
      fail(`unknown distribution type ${show((dist as { type: unknown }).type)}`, dist);
  }
}

/**
 * Whether `value` is one the distribution can produce (in bounds, on the step grid, an
 * integer for ints, one of the choices).
 *
 * @example
 * ```ts
 * inDomain({ type: "int", low: 0, high: 10, log: false, step: 2 }, 4); // true
 * inDomain({ type: "int", low: 0, high: 10, log: false, step: 2 }, 5); // false
 * ```
 */
export function inDomain(dist: Distribution, value: unknown): boolean {
  switch (dist.type) {
    case "float":
    case "int": {
      if (typeof value !== "number" || !Number.isFinite(value)) return false;
      if (dist.type === "int" && !Number.isInteger(value)) return false;
      const span = dist.high - dist.low;
      const tol = GRID_TOL * Math.max(1, Math.abs(dist.low), Math.abs(dist.high));
      if (value < dist.low - tol || value > dist.high + tol) return false;
      if (dist.step === undefined) return true;
      const k = (value - dist.low) / dist.step;
      return Math.abs(k - Math.round(k)) <= GRID_TOL * Math.max(1, span / dist.step);
    }
    case "categorical":
      return dist.choices.includes(value as Choice);
    case "constant":
      return value === dist.value;
  }
}

/**
 * Whether the distribution has finitely many values spaced by a step (ints, stepped floats).
 *
 * @example
 * ```ts
 * isDiscrete({ type: "float", low: 0, high: 1, log: false, step: 0.25 }); // true
 * ```
 */
export function isDiscrete(dist: Distribution): boolean {
  return dist.type === "int" || (dist.type === "float" && dist.step !== undefined);
}

/**
 * The number of values a distribution has (`Infinity` for continuous floats).
 *
 * @example
 * ```ts
 * cardinality({ type: "int", low: 0, high: 10, log: false, step: 2 }); // 6
 * ```
 */
export function cardinality(dist: Distribution): number {
  switch (dist.type) {
    case "float":
    case "int":
      return dist.step === undefined
        ? Number.POSITIVE_INFINITY
        : stepsIn(dist.low, dist.high, dist.step) + 1;
    case "categorical":
      return dist.choices.length;
    case "constant":
      return 1;
  }
}

/**
 * The scale's edges in [0, 1] coordinates. Discrete values are padded by half a step on each
 * side so every value owns an equal share of [0, 1] (otherwise the end values would be drawn
 * half as often as the inner ones); ints on a log scale pad by 0.5 before taking the log.
 */
function edges(dist: Distribution & { type: "float" | "int" }): readonly [number, number] {
  // A space's distributions are frozen: theirs are computed once (two logs on a log scale,
  // on every unit mapping TPE makes; bench/optim.ts's mixed-space `timing`).
  const known = frozenEdges.get(dist);
  if (known !== undefined) return known;
  const computed = edgesOf(dist);
  if (Object.isFrozen(dist)) frozenEdges.set(dist, computed);
  return computed;
}

const frozenEdges = new WeakMap<object, readonly [number, number]>();

function edgesOf(dist: Distribution & { type: "float" | "int" }): readonly [number, number] {
  const pad = dist.step === undefined ? 0 : dist.step / 2;
  const lo = dist.low - pad;
  const hi = dist.high + pad;
  return dist.log ? [Math.log(lo), Math.log(hi)] : [lo, hi];
}

/**
 * Maps a value of the distribution to [0, 1]: linear or log for numbers (half-step padding for
 * discrete ones), the middle of the choice's slot for categoricals, 0.5 for a constant.
 *
 * @example
 * ```ts
 * toUnit({ type: "float", low: 1e-3, high: 1e3, log: true }, 1); // 0.5
 * ```
 */
export function toUnit(dist: Distribution, value: Choice): number {
  switch (dist.type) {
    case "float":
    case "int": {
      if (typeof value !== "number" || !Number.isFinite(value))
        throw new SpaceError(`toUnit: expected a finite number, got ${show(value)}`, { value });
      const [lo, hi] = edges(dist);
      const x = dist.log ? Math.log(value) : value;
      return Math.min(1, Math.max(0, (x - lo) / (hi - lo)));
    }
    case "categorical": {
      const i = dist.choices.indexOf(value);
      if (i < 0)
        throw new SpaceError(`toUnit: ${show(value)} is not one of the choices`, { value });
      return (i + 0.5) / dist.choices.length;
    }
    case "constant":
      return 0.5;
  }
}

/**
 * Maps `u` in [0, 1] (clamped) back to a value of the distribution: the inverse of
 * {@link toUnit}, snapping to the step grid and rounding ints.
 *
 * @example
 * ```ts
 * fromUnit({ type: "int", low: 1, high: 5, log: false, step: 1 }, 0.99); // 5
 * fromUnit({ type: "categorical", choices: ["a", "b"] }, 0.2); // "a"
 * ```
 */
export function fromUnit(dist: Distribution, u: number): Choice {
  if (Number.isNaN(u)) throw new SpaceError("fromUnit: u is NaN", { value: u });
  const t = Math.min(1, Math.max(0, u));
  switch (dist.type) {
    case "float":
    case "int": {
      if (dist.step === undefined && (t === 0 || t === 1)) return t === 0 ? dist.low : dist.high;
      const [lo, hi] = edges(dist);
      let x = lo + t * (hi - lo);
      if (dist.log) x = Math.exp(x);
      if (dist.step === undefined) return Math.min(dist.high, Math.max(dist.low, x));
      const n = stepsIn(dist.low, dist.high, dist.step);
      const k = Math.min(n, Math.max(0, Math.round((x - dist.low) / dist.step)));
      if (k === n) return dist.high;
      return dist.type === "int" ? dist.low + k * dist.step : tidy(dist.low + k * dist.step);
    }
    case "categorical":
      return dist.choices[Math.min(dist.choices.length - 1, Math.floor(t * dist.choices.length))];
    case "constant":
      return dist.value;
  }
}

/**
 * One value drawn uniformly: on the log scale for log distributions, each step or choice
 * equally likely.
 *
 * @example
 * ```ts
 * sampleDistribution({ type: "categorical", choices: [1, 2, 3] }, new Rng(0));
 * ```
 */
export function sampleDistribution(dist: Distribution, rng: Rng): Choice {
  if (dist.type === "categorical") return rng.choice(dist.choices);
  if (dist.type === "constant") return dist.value;
  return fromUnit(dist, rng.next());
}

/**
 * The value a parameter takes when no default is given: the middle of the scale (geometric
 * middle on a log scale, snapped to the grid), the first choice, or the constant.
 *
 * @example
 * ```ts
 * middleOf({ type: "float", low: 1, high: 100, log: true }); // ~10
 * ```
 */
export function middleOf(dist: Distribution): Choice {
  if (dist.type === "categorical") return dist.choices[0];
  if (dist.type === "constant") return dist.value;
  return fromUnit(dist, 0.5);
}
