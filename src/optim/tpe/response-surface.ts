/**
 * TPE's response-surface step (`TPEOptions.responseSurface`, one metric): every `every`-th ask
 * after start-up proposes the minimizer of a quadratic model of the objective, fitted by least
 * squares (quadratic-fit.ts) to the best `fraction` of the successful trials, in the unit
 * coordinates of the space's always-active numeric parameters. Where TPE's kernels see only
 * the ripples of a multimodal landscape near the good trials, a quadratic over many trials sees
 * the funnel under them (the Rastrigin family is a quadratic plus ripples), and on a smooth
 * valley a fit near the best trials points along it. Categorical and conditional parameters
 * (and numeric ones that activate others) keep TPE's own proposal, and the model is fitted only
 * on the trials with the proposal's values of the always-active categorical parameters (so a
 * choice's offset does not blur the quadratic).
 *
 * @module
 */

import type { SearchSpace } from "../space/index.js";
import type { Config, Param } from "../types.js";
import type { Observation } from "./group-estimators.js";
import {
  fitQuadratic,
  isConvex,
  MAX_FULL_DIMS,
  minimizeInBox,
  parameterCount,
  type QuadraticKind,
  type QuadraticModel,
} from "./quadratic-fit.js";
import { RankedTrials } from "./ranked-trials.js";

/** How the response-surface step fits and when it runs. */
export interface ResponseSurfaceOptions {
  /** Every this many asks after start-up is a response-surface step (1: every ask). */
  readonly every: number;
  /**
   * The best fraction of the successful trials the model is fitted on (1: all of them).
   * @defaultValue 1
   */
  readonly fraction?: number;
  /**
   * `"full"`: every product of two coordinates ((d+1)(d+2)/2 unknowns); `"separable"`: squares
   * only (2d+1); `"auto"`: full when the fitted trials allow it (and d ≤ 10), else separable.
   * @defaultValue "auto"
   */
  readonly model?: "full" | "separable" | "auto";
  /**
   * Fitted trials needed beyond the model's unknowns before a step is taken.
   * @defaultValue 5
   */
  readonly margin?: number;
  /**
   * `"raw"`: the losses as told; `"rank"`: their ranks (robust to a few huge values).
   * @defaultValue "raw"
   */
  readonly values?: "raw" | "rank";
}

/** {@link ResponseSurfaceOptions} with every field set. */
export type ResolvedResponseSurface = Required<ResponseSurfaceOptions>;

/**
 * A step closer than this (largest unit-coordinate difference, after rounding) to a told
 * trial teaches little: TPE proposes instead.
 */
const MIN_STEP = 1e-3;
/** The box a convex model's minimizer may reach: the fitted trials' span, this much wider each side. */
const CONVEX_REACH = 0.5;

/** The trials a model is fitted on (best first), and every usable trial with the same choices. */
interface FitSet {
  readonly points: Float64Array;
  readonly values: readonly number[];
  readonly weights: readonly number[];
  readonly matching: readonly Observation[];
}

/** The response-surface step of one TPE: which parameters it sets, and when. */
export class ResponseSurface {
  readonly #options: ResolvedResponseSurface;
  readonly #space: SearchSpace;
  /** Positions (in the space's parameter order) of the parameters the model sets. */
  readonly #slots: readonly number[];
  /** Positions of the always-active categorical parameters the fitted trials must match. */
  readonly #matched: readonly number[];
  /** The told trials it can fit on, best first, kept as trials are told. */
  readonly #ranked: RankedTrials;
  #asks = 0;

  constructor(options: ResolvedResponseSurface, space: SearchSpace) {
    this.#options = options;
    this.#space = space;
    this.#slots = modelledSlots(space);
    this.#matched = matchedSlots(space);
    const slots = this.#slots;
    this.#ranked = new RankedTrials(
      (o) =>
        o.losses !== undefined &&
        Number.isFinite(o.losses[0]) &&
        slots.every((s) => Number.isFinite(o.row[s])),
    );
  }

  /** Counts one ask after start-up; true when it is a response-surface step. */
  due(): boolean {
    if (this.#slots.length === 0) return false;
    this.#asks++;
    return this.#asks % this.#options.every === 0;
  }

  /**
   * The modelled parameters' values at the fitted model's minimizer, or undefined (too few
   * trials, a degenerate fit, or a step too close to a told trial): TPE's proposal then.
   */
  propose(told: readonly Observation[], proposal: Readonly<Config>): Config | undefined {
    const fit = this.#fitSet(told, proposal);
    if (fit === undefined) return undefined;
    const kind = this.#kindFor(fit.values.length);
    if (kind === undefined) return undefined;
    const d = this.#slots.length;
    const center = fit.points.slice(0, d); // the best trial: fit.points is sorted by loss
    const model = fitQuadratic(fit.points, fit.values, fit.weights, center, kind);
    if (model === undefined) return undefined;
    const [lo, hi] = stepBox(model, fit.points, d);
    return this.#snapped(minimizeInBox(model, lo, hi), fit.matching);
  }

  /**
   * The best `fraction` of the successes with every modelled parameter set and the proposal's
   * choices, best first.
   */
  #fitSet(told: readonly Observation[], proposal: Readonly<Config>): FitSet | undefined {
    const choices = this.#matched.map((s) => {
      const p = this.#space.params[s] as Param;
      return p.dist.type === "categorical" ? p.dist.choices.indexOf(proposal[p.name] ?? null) : -1;
    });
    const usable = this.#ranked
      .update(told)
      .filter((o) => this.#matched.every((s, k) => o.row[s] === choices[k]));
    const m = Math.min(usable.length, Math.ceil(this.#options.fraction * usable.length));
    if (m === 0) return undefined;
    const d = this.#slots.length;
    const points = new Float64Array(m * d);
    const values: number[] = [];
    for (let i = 0; i < m; i++) {
      const o = usable[i] as Observation;
      this.#slots.forEach((s, j) => {
        points[i * d + j] = o.row[s] as number;
      });
      values.push(this.#options.values === "rank" ? i : (o.losses as number[])[0]);
    }
    return { points, values, weights: values.map(() => 1), matching: usable };
  }

  /** The model `m` fitted trials allow, or undefined when they allow none. */
  #kindFor(m: number): QuadraticKind | undefined {
    const d = this.#slots.length;
    const { model, margin } = this.#options;
    const enough = (kind: QuadraticKind) => m >= parameterCount(kind, d) + margin;
    if (model === "full") return enough("full") ? "full" : undefined;
    if (model === "auto" && d <= MAX_FULL_DIMS && enough("full")) return "full";
    return enough("separable") ? "separable" : undefined;
  }

  /**
   * The step as values the space can take, or undefined when it is too close to a told trial
   * (of those with the same choices: a step next to a trial of other choices still tells
   * something).
   */
  #snapped(unit: Float64Array, told: readonly Observation[]): Config | undefined {
    const params = this.#slots.map((s) => this.#space.params[s] as Param);
    const config: Config = {};
    const snappedUnit = params.map((p, j) => {
      const value = this.#space.fromUnit(p, Math.min(1, Math.max(0, unit[j] as number)));
      config[p.name] = value;
      return this.#space.toUnit(p, value);
    });
    const tooClose = told.some((o) =>
      this.#slots.every((s, j) => Math.abs((o.row[s] as number) - snappedUnit[j]) < MIN_STEP),
    );
    return tooClose ? undefined : config;
  }
}

/**
 * Where the minimizer may go: for a convex model, the fitted trials' bounding box widened by
 * {@link CONVEX_REACH} of its span each side; otherwise (a saddle or a ridge, whose minimum in
 * the box is an artefact of the box) the best trial ± one standard deviation of the fitted
 * trials per coordinate. Both inside the unit cube.
 */
function stepBox(model: QuadraticModel, points: Float64Array, d: number): [number[], number[]] {
  const m = points.length / d;
  const lo: number[] = [];
  const hi: number[] = [];
  const convex = isConvex(model);
  for (let j = 0; j < d; j++) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < m; i++) {
      const v = points[i * d + j] as number;
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      sumSq += v * v;
    }
    const [a, b] = convex
      ? [min - CONVEX_REACH * (max - min), max + CONVEX_REACH * (max - min)]
      : spread(model.center[j] as number, sum / m, sumSq / m);
    lo.push(Math.max(0, a));
    hi.push(Math.min(1, b));
  }
  return [lo, hi];
}

/** center ± the standard deviation of values with this mean and mean square. */
function spread(center: number, mean: number, meanSq: number): [number, number] {
  const sd = Math.sqrt(Math.max(0, meanSq - mean * mean));
  return [center - sd, center + sd];
}

/** The always-active categorical parameters. */
function matchedSlots(space: SearchSpace): number[] {
  const slots: number[] = [];
  space.params.forEach((p, slot) => {
    if (p.dist.type === "categorical" && p.condition === undefined) slots.push(slot);
  });
  return slots;
}

/**
 * The parameters the model sets: numeric (float or int), always active, and not the parent
 * of a condition (changing one could switch other parameters on or off).
 */
function modelledSlots(space: SearchSpace): number[] {
  const parents = new Set(space.params.map((p) => p.condition?.parent));
  const slots: number[] = [];
  space.params.forEach((p, slot) => {
    const numeric = p.dist.type === "float" || p.dist.type === "int";
    if (numeric && p.condition === undefined && !parents.has(p.name)) slots.push(slot);
  });
  return slots;
}
