/**
 * `HyperbandPruner`: Hyperband (Li et al. 2018) as a pruner, in the form Optuna's
 * `HyperbandPruner` documents — several brackets of asynchronous successive halving that
 * differ in how early they first prune, each trial assigned to one bracket by its name.
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
  PrunerOptionError,
  resolveMinimize,
} from "./curves.js";
import { SuccessiveHalvingPruner } from "./successive-halving.js";

/**
 * Options of {@link HyperbandPruner}.
 *
 * @example
 * ```ts
 * // Epochs 1..81, η = 3: 5 brackets, first rungs at epochs 1, 3, 9, 27 and 81.
 * const options: HyperbandPrunerOptions = { minResource: 1, maxResource: 81, reductionFactor: 3 };
 * ```
 */
export interface HyperbandPrunerOptions extends DirectionOptions {
  /**
   * Steps a trial of the most aggressive bracket runs before its first rung; a number > 0.
   * @defaultValue 1
   */
  minResource?: number;
  /**
   * The most steps a trial runs (e.g. the epochs of a full training); `"auto"`: the last step
   * of the first trial that completes (no trial is pruned before one has).
   * @defaultValue "auto"
   */
  maxResource?: number | "auto";
  /**
   * η: each rung of each bracket keeps the best `1/η`; a number above 1.
   * @defaultValue 3
   */
  reductionFactor?: number;
}

/**
 * The defaults of {@link HyperbandPrunerOptions}, the ones the code uses.
 *
 * @example
 * ```ts
 * HYPERBAND_DEFAULTS.reductionFactor; // 3
 * ```
 */
export const HYPERBAND_DEFAULTS = Object.freeze({
  minResource: 1,
  maxResource: "auto" as const,
  reductionFactor: 3,
});

const HYPERBAND_KEYS = optionKeys<HyperbandPrunerOptions>({
  ...DIRECTION_OPTION_FLAGS,
  minResource: true,
  maxResource: true,
  reductionFactor: true,
});

const NAME = "HyperbandPruner";

/** A 32-bit FNV-1a hash of a trial name: its bracket must not depend on arrival order. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Hyperband over brackets of successive halving. With `n = floor(log_η(max / min)) + 1`
 * brackets, bracket `b` (0-based) is a {@link SuccessiveHalvingPruner} whose first rung is at
 * `minResource · η^b` steps; so bracket 0 prunes earliest, and bracket `n - 1` runs trials to
 * `maxResource` before comparing them. A trial belongs to one bracket, chosen from a hash of
 * its name (the same name, the same bracket, in any process and order), bracket `b` taking a
 * share `⌈n · η^s / (s + 1)⌉` with `s = n - 1 - b` (Hyperband's trial counts per bracket, as
 * Optuna allots them); a trial only competes with the trials of its bracket.
 *
 * @example
 * ```ts
 * const hb = new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3 });
 * hb.brackets; // 4
 * hb.bracketOf("trial-0001"); // 0..3, always the same for this name
 * hb.report("trial-0001", 1, 0.8);
 * hb.shouldPrune("trial-0001");
 * hb.complete("trial-0001", "success");
 * ```
 */
export class HyperbandPruner implements Pruner {
  readonly minResource: number;
  readonly reductionFactor: number;
  /** Whether lower intermediate values are better. */
  readonly minimize: boolean;
  readonly #maxOption: number | "auto";
  #brackets: SuccessiveHalvingPruner[] | undefined;
  #budgets: number[] = [];
  /** With `maxResource: "auto"`, what trials reported before the brackets existed. */
  readonly #early = new Map<string, [number, number][]>();
  readonly #earlyCheck = new Curves(NAME);

  constructor(options: HyperbandPrunerOptions = {}) {
    checkOptionKeys(options, HYPERBAND_KEYS, NAME);
    const d = HYPERBAND_DEFAULTS;
    const {
      minResource = d.minResource,
      maxResource = d.maxResource,
      reductionFactor = d.reductionFactor,
    } = options;
    if (typeof minResource !== "number" || !Number.isFinite(minResource) || minResource <= 0)
      throw new PrunerOptionError(NAME, "minResource", minResource, "a finite number > 0");
    if (
      typeof reductionFactor !== "number" ||
      !Number.isFinite(reductionFactor) ||
      reductionFactor <= 1
    )
      throw new PrunerOptionError(NAME, "reductionFactor", reductionFactor, "a finite number > 1");
    if (
      maxResource !== "auto" &&
      (typeof maxResource !== "number" ||
        !Number.isFinite(maxResource) ||
        maxResource < minResource)
    )
      throw new PrunerOptionError(
        NAME,
        "maxResource",
        maxResource,
        `"auto" or a finite number >= minResource (${minResource})`,
      );
    this.minResource = minResource;
    this.reductionFactor = reductionFactor;
    this.minimize = resolveMinimize(NAME, options);
    this.#maxOption = maxResource;
    if (maxResource !== "auto") this.#build(maxResource);
  }

  /** The number of brackets; 0 while `maxResource: "auto"` waits for a completed trial. */
  get brackets(): number {
    return this.#brackets?.length ?? 0;
  }

  /** Each bracket's share of the trials (see the class notes), bracket 0 first. */
  get budgets(): readonly number[] {
    return this.#budgets;
  }

  /** The successive-halving pruner of bracket `b` (for inspection and tests). */
  bracket(b: number): SuccessiveHalvingPruner | undefined {
    return this.#brackets?.[b];
  }

  /** The bracket of a trial, from its name; `undefined` while there are no brackets yet. */
  bracketOf(trialName: string): number | undefined {
    if (!this.#brackets) return undefined;
    const total = this.#budgets.reduce((a, b) => a + b, 0);
    let n = hashName(trialName) % total;
    for (let b = 0; b < this.#budgets.length; b++) {
      if (n < this.#budgets[b]) return b;
      n -= this.#budgets[b];
    }
    return this.#budgets.length - 1;
  }

  report(trialName: string, step: number, value: number): void {
    const b = this.bracketOf(trialName);
    if (b !== undefined) {
      this.#brackets?.[b].report(trialName, step, value);
      return;
    }
    // "auto" and no trial completed yet: keep the curve to replay into its bracket later.
    this.#earlyCheck.report(trialName, step, value); // the same checks as the brackets'
    const curve = this.#early.get(trialName) ?? [];
    curve.push([step, value]);
    this.#early.set(trialName, curve);
  }

  shouldPrune(trialName: string): boolean {
    const b = this.bracketOf(trialName);
    return b === undefined ? false : (this.#brackets?.[b].shouldPrune(trialName) ?? false);
  }

  complete(trialName: string, status?: TrialStatus): void {
    if (!this.#brackets && this.#maxOption === "auto") {
      const curve = this.#early.get(trialName) ?? [];
      const last = curve.reduce((m, [step]) => Math.max(m, step), Number.NEGATIVE_INFINITY);
      // The first trial that ran at least minResource steps fixes the brackets.
      if ((status === undefined || status === "success") && last >= this.minResource) {
        const brackets = this.#build(last);
        for (const [name, steps] of this.#early) {
          const pruner = brackets[this.bracketOf(name) as number];
          for (const [step, value] of steps) pruner.report(name, step, value);
        }
        this.#early.clear();
      }
    }
    const b = this.bracketOf(trialName);
    if (b !== undefined) this.#brackets?.[b].complete(trialName, status);
  }

  #build(maxResource: number): SuccessiveHalvingPruner[] {
    const eta = this.reductionFactor;
    // A hair below 1 keeps max/min = η^k exact (log may land just under k).
    const n = Math.floor(Math.log(maxResource / this.minResource) / Math.log(eta) + 1e-9) + 1;
    this.#budgets = Array.from({ length: n }, (_, b) => {
      const s = n - 1 - b;
      return Math.ceil((n * eta ** s) / (s + 1));
    });
    this.#brackets = Array.from(
      { length: n },
      (_, b) =>
        new SuccessiveHalvingPruner({
          minResource: this.minResource,
          reductionFactor: eta,
          minEarlyStoppingRate: b,
          minimize: this.minimize,
        }),
    );
    return this.#brackets;
  }
}
