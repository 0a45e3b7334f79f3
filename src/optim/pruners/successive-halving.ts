/**
 * `SuccessiveHalvingPruner`: asynchronous successive halving (ASHA, Li et al. 2018) as Optuna
 * documents it: rungs at `minResource * reductionFactor^(minEarlyStoppingRate + k)` steps; a
 * trial reaching a rung continues only if it is in the top `1 / reductionFactor` of the values
 * recorded at that rung so far.
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
  PrunerOptionError,
  resolveMinimize,
} from "./curves.js";

/**
 * Options of {@link SuccessiveHalvingPruner}.
 *
 * @example
 * ```ts
 * // Rungs at steps 1, 3, 9, 27, ...: a third of the trials go on at each.
 * const options: SuccessiveHalvingPrunerOptions = { minResource: 1, reductionFactor: 3 };
 * ```
 */
export interface SuccessiveHalvingPrunerOptions extends DirectionOptions {
  /**
   * Steps a trial runs before its first rung; a positive number.
   * @defaultValue 1
   */
  minResource?: number;
  /**
   * η: each rung keeps the best `1/η` of trials; a number above 1.
   * @defaultValue 4
   */
  reductionFactor?: number;
  /**
   * s: shifts the first rung to `minResource * η^s` steps; an integer >= 0.
   * @defaultValue 0
   */
  minEarlyStoppingRate?: number;
}

/**
 * The defaults of {@link SuccessiveHalvingPrunerOptions}, the ones the code uses.
 *
 * @example
 * ```ts
 * SUCCESSIVE_HALVING_DEFAULTS.reductionFactor; // 4
 * ```
 */
export const SUCCESSIVE_HALVING_DEFAULTS = Object.freeze({
  minResource: 1,
  reductionFactor: 4,
  minEarlyStoppingRate: 0,
});

const SUCCESSIVE_HALVING_KEYS = optionKeys<SuccessiveHalvingPrunerOptions>({
  ...DIRECTION_OPTION_FLAGS,
  minResource: true,
  reductionFactor: true,
  minEarlyStoppingRate: true,
});

/**
 * Prunes by rungs. When a trial's latest step reaches its next rung's step, its latest value
 * is recorded at that rung and compared with every value recorded there before (by running,
 * finished and pruned trials alike — that is what makes it asynchronous): it is promoted if
 * it ranks within the best `floor(n / η)` of the `n` values (itself included), or — while
 * fewer than η values exist — if it is the best so far. Otherwise it is pruned. A NaN value at
 * a rung is pruned.
 *
 * @example
 * ```ts
 * const asha = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
 * asha.report("a", 1, 0.5);
 * asha.shouldPrune("a"); // false: first at rung 0
 * asha.report("b", 1, 0.9);
 * asha.shouldPrune("b"); // true: not in the top half of [0.5, 0.9]
 * ```
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly minResource: number;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  /** Whether lower intermediate values are better. */
  readonly minimize: boolean;
  readonly #curves = new Curves("SuccessiveHalvingPruner");
  /** Per rung: trial name -> the value it had when it reached the rung. */
  readonly #rungs: Map<string, number>[] = [];

  constructor(options: SuccessiveHalvingPrunerOptions = {}) {
    const name = "SuccessiveHalvingPruner";
    checkOptionKeys(options, SUCCESSIVE_HALVING_KEYS, name);
    const d = SUCCESSIVE_HALVING_DEFAULTS;
    const { minResource = d.minResource, reductionFactor = d.reductionFactor } = options;
    if (typeof minResource !== "number" || !Number.isFinite(minResource) || minResource <= 0) {
      throw new PrunerOptionError(name, "minResource", minResource, "a finite number > 0");
    }
    if (
      typeof reductionFactor !== "number" ||
      !Number.isFinite(reductionFactor) ||
      reductionFactor <= 1
    ) {
      throw new PrunerOptionError(name, "reductionFactor", reductionFactor, "a finite number > 1");
    }
    this.minResource = minResource;
    this.reductionFactor = reductionFactor;
    this.minEarlyStoppingRate = intOption(
      name,
      "minEarlyStoppingRate",
      options.minEarlyStoppingRate,
      d.minEarlyStoppingRate,
      0,
    );
    this.minimize = resolveMinimize(name, options);
  }

  /** The step at which rung `k` (0-based) is reached. */
  rungStep(k: number): number {
    return this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + k);
  }

  report(trialName: string, step: number, value: number): void {
    this.#curves.report(trialName, step, value);
  }

  /** The trial ended: it reaches no more rungs; its recorded rung values keep counting. */
  complete(trialName: string, status?: TrialStatus): void {
    this.#curves.complete(trialName, status);
  }

  /** The values recorded at rung `k`, by trial name (for inspection and tests). */
  rung(k: number): ReadonlyMap<string, number> {
    return this.#rungs[k] ?? new Map();
  }

  shouldPrune(trialName: string): boolean {
    const curve = this.#curves.get(trialName);
    if (curve.ended !== undefined || curve.lastStep === undefined) return false;
    const step = curve.lastStep;
    const value = curve.values.get(step) as number;
    // The trial's next rung is the first one it has no value at (rungs are reached in order).
    let k = 0;
    while (this.#rungs[k]?.has(trialName)) k++;
    for (; step >= this.rungStep(k); k++) {
      if (Number.isNaN(value)) return true;
      const rung = this.#rungs[k] ?? new Map<string, number>();
      this.#rungs[k] = rung;
      const competing = [...rung.values(), value];
      rung.set(trialName, value);
      if (!this.#promotable(value, competing)) return true;
    }
    return false;
  }

  #promotable(value: number, competing: number[]): boolean {
    // Best first; NaN last (worst).
    const sorted = competing.sort((a, b) =>
      isWorse(a, b, this.minimize) ? 1 : isWorse(b, a, this.minimize) ? -1 : 0,
    );
    // With fewer than η values no "top 1/η" exists yet: promote only the best so far, since a
    // trial cannot be paused until more arrive (Optuna does the same).
    const k = Math.max(Math.floor(sorted.length / this.reductionFactor), 1);
    return !isWorse(value, sorted[k - 1] as number, this.minimize);
  }
}
