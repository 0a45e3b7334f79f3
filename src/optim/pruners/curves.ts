/**
 * Shared bookkeeping for pruners: each trial's intermediate values (its learning curve), which
 * trials ended and how, and option checks. Pruners differ only in how they decide.
 *
 * @module
 */

import { OptionError } from "../../shared/options.js";
import type { Metric } from "../../trial/metric.js";
import type { TrialStatus } from "../../trial/report.js";

/**
 * Which way intermediate values are better; shared by every pruner's options.
 *
 * @example
 * ```ts
 * new MedianPruner({ metric: new Metric("acc", { minimize: false }) }); // higher is better
 * new SuccessiveHalvingPruner({ minimize: true }); // lower is better (the default)
 * ```
 */
export interface DirectionOptions {
  /**
   * Whether lower intermediate values are better.
   * @defaultValue true
   */
  minimize?: boolean;
  /** Take the direction from this metric instead (e.g. the optimizer's metric). */
  metric?: Metric;
}

/**
 * A bad pruner option: names the pruner, the option and the value given.
 * Code `invalid_option`.
 *
 * @example
 * ```ts
 * new SuccessiveHalvingPruner({ reductionFactor: 1 });
 * // PrunerOptionError: SuccessiveHalvingPruner: `reductionFactor` must be a finite number > 1, got 1
 * ```
 */
export class PrunerOptionError extends OptionError {
  override name = "PrunerOptionError";
  constructor(pruner: string, option: string, value: unknown, expected: string) {
    super(
      "invalid_option",
      `${pruner}: \`${option}\` must be ${expected}, got ${String(value)}`,
      option,
    );
  }
}

/**
 * The defaults of {@link DirectionOptions}, the ones the code uses.
 *
 * @example
 * ```ts
 * DIRECTION_DEFAULTS.minimize; // true
 * ```
 */
export const DIRECTION_DEFAULTS = Object.freeze({ minimize: true });

/** The keys of {@link DirectionOptions}, to spread into a pruner's key list. */
export const DIRECTION_OPTION_FLAGS = Object.freeze({ minimize: true, metric: true } as const);

/** Resolves `minimize` from {@link DirectionOptions}; a contradiction is an error. */
export function resolveMinimize(pruner: string, options: DirectionOptions): boolean {
  const { minimize, metric } = options;
  if (minimize !== undefined && typeof minimize !== "boolean") {
    throw new PrunerOptionError(pruner, "minimize", minimize, "a boolean");
  }
  if (metric && minimize !== undefined && metric.minimize !== minimize) {
    throw new PrunerOptionError(
      pruner,
      "minimize",
      minimize,
      `consistent with metric "${metric.name}" (which ${metric.minimize ? "minimizes" : "maximizes"})`,
    );
  }
  return metric ? metric.minimize : (minimize ?? DIRECTION_DEFAULTS.minimize);
}

/** Checks an integer option `>= min`, or returns `fallback` when it is `undefined`. */
export function intOption(
  pruner: string,
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new PrunerOptionError(pruner, name, value, `an integer >= ${min}`);
  }
  return value;
}

/** One trial's learning curve. */
export interface Curve {
  /** Step -> value; the first value reported at a step is kept (Optuna ignores repeats). */
  readonly values: Map<number, number>;
  /** The highest step reported so far, or `undefined`. */
  lastStep: number | undefined;
  /** How the trial ended: `undefined` while it runs; `"ended"` when the status is unknown. */
  ended: TrialStatus | "ended" | undefined;
}

/** Learning curves by trial name, and the checks every pruner applies to `report`. */
export class Curves {
  readonly #curves = new Map<string, Curve>();

  constructor(private readonly pruner: string) {}

  /** The curve of `trial`, created empty if unseen. */
  get(trial: string): Curve {
    let c = this.#curves.get(trial);
    if (!c) {
      c = { values: new Map(), lastStep: undefined, ended: undefined };
      this.#curves.set(trial, c);
    }
    return c;
  }

  /** All curves, in the order trials were first seen. */
  all(): IterableIterator<[string, Curve]> {
    return this.#curves.entries();
  }

  /**
   * Records `value` at `step`. A repeated step keeps the first value (as Optuna does); a
   * report after the trial ended is ignored, so late messages cannot change finished curves.
   */
  report(trial: string, step: number, value: number): void {
    if (typeof trial !== "string" || trial.length === 0) {
      throw new TypeError(`${this.pruner}.report: trial name must be a non-empty string`);
    }
    if (!Number.isInteger(step) || step < 0) {
      throw new RangeError(
        `${this.pruner}.report: step must be an integer >= 0, got ${String(step)} (trial "${trial}")`,
      );
    }
    if (typeof value !== "number") {
      throw new TypeError(
        `${this.pruner}.report: value must be a number, got ${typeof value} (trial "${trial}")`,
      );
    }
    const c = this.get(trial);
    if (c.ended !== undefined || c.values.has(step)) return;
    c.values.set(step, value);
    if (c.lastStep === undefined || step > c.lastStep) c.lastStep = step;
  }

  /** Marks `trial` ended, with its status when known. */
  complete(trial: string, status?: TrialStatus): void {
    const c = this.get(trial);
    c.ended = status ?? "ended";
  }
}

/**
 * `a` is worse than `b` in the pruner's direction; NaN is worse than any number, so a
 * diverged trial never looks good.
 */
export function isWorse(a: number, b: number, minimize: boolean): boolean {
  if (Number.isNaN(a)) return !Number.isNaN(b);
  if (Number.isNaN(b)) return false;
  return minimize ? a > b : a < b;
}
