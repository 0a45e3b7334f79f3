/**
 * `MedianPruner`: stop a trial whose best intermediate value so far is worse than the median
 * of the finished trials' values at the same step (Optuna's documented semantics).
 *
 * @module
 */

import { checkOptionKeys, optionKeys } from "../../shared/options.js";
import type { TrialStatus } from "../../trial/report.js";
import type { Pruner } from "../types.js";
import {
  Curves,
  DIRECTION_OPTION_FLAGS,
  type DirectionOptions,
  intOption,
  isWorse,
  resolveMinimize,
} from "./curves.js";

/**
 * Options of {@link MedianPruner} (Optuna's defaults).
 *
 * @example
 * ```ts
 * const options: MedianPrunerOptions = { nStartupTrials: 5, nWarmupSteps: 3, intervalSteps: 1 };
 * ```
 */
export interface MedianPrunerOptions extends DirectionOptions {
  /**
   * No pruning until this many trials have finished successfully.
   * @defaultValue 5
   */
  nStartupTrials?: number;
  /**
   * No pruning of a trial before it reports this step.
   * @defaultValue 0
   */
  nWarmupSteps?: number;
  /**
   * After the warm-up, decide only once per this many steps.
   * @defaultValue 1
   */
  intervalSteps?: number;
  /**
   * No pruning at a step until this many finished trials reported that step.
   * @defaultValue 1
   */
  nMinTrials?: number;
}

/**
 * The defaults of {@link MedianPrunerOptions} (Optuna's), the ones the code uses.
 *
 * @example
 * ```ts
 * MEDIAN_PRUNER_DEFAULTS.nStartupTrials; // 5
 * ```
 */
export const MEDIAN_PRUNER_DEFAULTS = Object.freeze({
  nStartupTrials: 5,
  nWarmupSteps: 0,
  intervalSteps: 1,
  nMinTrials: 1,
});

const MEDIAN_PRUNER_KEYS = optionKeys<MedianPrunerOptions>({
  ...DIRECTION_OPTION_FLAGS,
  nStartupTrials: true,
  nWarmupSteps: true,
  intervalSteps: true,
  nMinTrials: true,
});

/** The median of the non-NaN `values` (mean of the two middle ones for an even count). */
function median(values: number[]): number {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1
    ? (xs[mid] as number)
    : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/**
 * Prunes a running trial when its best intermediate value so far is worse than the median of
 * the values that finished trials reported at the trial's latest step.
 *
 * Semantics (as Optuna documents and implements them):
 * - only trials that ended with status `"success"` (or whose status was not given to
 *   {@link MedianPruner.complete}) count, both for `nStartupTrials` and for the median;
 *   pruned, failed and crashed trials do not;
 * - a trial is judged at its latest step `s` only if `s >= nWarmupSteps` and `s` is the first
 *   step it reported in its interval (`nWarmupSteps + k * intervalSteps` and later);
 * - a NaN best value is always pruned; a step no finished trial reached never prunes.
 *
 * @example
 * ```ts
 * const pruner = new MedianPruner({ nStartupTrials: 2, nWarmupSteps: 1 });
 * for (const [name, curve] of [["a", [3, 2, 1]], ["b", [4, 3, 2]]] as const) {
 *   curve.forEach((v, step) => pruner.report(name, step, v));
 *   pruner.complete(name, "success");
 * }
 * pruner.report("c", 0, 9);
 * pruner.report("c", 1, 8);
 * pruner.shouldPrune("c"); // true: 8 is worse than the median 2.5 at step 1
 * ```
 */
export class MedianPruner implements Pruner {
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;
  readonly nMinTrials: number;
  /** Whether lower intermediate values are better. */
  readonly minimize: boolean;
  readonly #curves = new Curves("MedianPruner");

  constructor(options: MedianPrunerOptions = {}) {
    const name = "MedianPruner";
    checkOptionKeys(options, MEDIAN_PRUNER_KEYS, name);
    const d = MEDIAN_PRUNER_DEFAULTS;
    this.nStartupTrials = intOption(
      name,
      "nStartupTrials",
      options.nStartupTrials,
      d.nStartupTrials,
      0,
    );
    this.nWarmupSteps = intOption(name, "nWarmupSteps", options.nWarmupSteps, d.nWarmupSteps, 0);
    this.intervalSteps = intOption(
      name,
      "intervalSteps",
      options.intervalSteps,
      d.intervalSteps,
      1,
    );
    this.nMinTrials = intOption(name, "nMinTrials", options.nMinTrials, d.nMinTrials, 1);
    this.minimize = resolveMinimize(name, options);
  }

  report(trialName: string, step: number, value: number): void {
    this.#curves.report(trialName, step, value);
  }

  /**
   * Marks the trial ended. With a `status` other than `"success"` its values no longer count
   * (Optuna counts only completed trials); without one, the trial counts as completed.
   */
  complete(trialName: string, status?: TrialStatus): void {
    this.#curves.complete(trialName, status);
  }

  shouldPrune(trialName: string): boolean {
    const curve = this.#curves.get(trialName);
    if (curve.ended !== undefined) return false;
    const step = curve.lastStep;
    if (step === undefined || step < this.nWarmupSteps) return false;
    if (!this.#firstInInterval(step, curve.values.keys())) return false;
    const finished = [...this.#curves.all()]
      .map(([, c]) => c)
      .filter((c) => c.ended === "success" || c.ended === "ended");
    if (finished.length === 0 || finished.length < this.nStartupTrials) return false;

    let best = Number.NaN;
    for (const v of curve.values.values()) if (isWorse(best, v, this.minimize)) best = v;
    if (Number.isNaN(best)) return true;

    const atStep = finished
      .filter((c) => c.values.has(step))
      .map((c) => c.values.get(step) as number);
    if (atStep.length < this.nMinTrials) return false;
    const m = median(atStep);
    if (Number.isNaN(m)) return false;
    return isWorse(best, m, this.minimize);
  }

  /**
   * Whether `step` is the first step reported in its interval: the step before it (among the
   * reported ones) lies before the interval's start, so a trial is judged once per interval.
   */
  #firstInInterval(step: number, steps: Iterable<number>): boolean {
    const start =
      Math.floor((step - this.nWarmupSteps) / this.intervalSteps) * this.intervalSteps +
      this.nWarmupSteps;
    let previous = -1;
    for (const s of steps) if (s !== step && s > previous) previous = s;
    return previous < start;
  }
}
