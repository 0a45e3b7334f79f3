/**
 * The contract shared by search spaces, optimizers and pruners. Kept in one small file so that
 * samplers (random, grid, TPE, NSGA-II) and the optimize loop agree on one shape.
 *
 * @module
 */

import type { Metric } from "../trial/metric.js";
import type { TrialReport } from "../trial/report.js";
import type { Trial } from "../trial/trial.js";

/** A value a categorical parameter (or a constant) can take: JSON-safe scalars only. */
export type Choice = string | number | boolean | null;

/** A sampled configuration: parameter name to value; inactive conditional parameters are absent. */
export type Config = Record<string, Choice>;

/** How one parameter's values are distributed. */
export type Distribution =
  | {
      readonly type: "float";
      readonly low: number;
      readonly high: number;
      readonly log: boolean;
      readonly step?: number;
    }
  | {
      readonly type: "int";
      readonly low: number;
      readonly high: number;
      readonly log: boolean;
      readonly step: number;
    }
  | { readonly type: "categorical"; readonly choices: readonly Choice[] }
  | { readonly type: "constant"; readonly value: Choice };

/** Active only when the parent parameter is active and takes one of `values`. */
export interface Condition {
  readonly parent: string;
  readonly values: readonly Choice[];
}

/** One named parameter of a search space. */
export interface Param {
  readonly name: string;
  readonly dist: Distribution;
  /** The default value (must lie in the distribution); samplers may start from it. */
  readonly default?: Choice;
  readonly condition?: Condition;
}

/**
 * Chooses the next configurations to evaluate and learns from their reports.
 *
 * Implementations are seeded: the same seed and the same sequence of `ask`/`tell` calls give
 * the same trials.
 */
export interface Optimizer {
  /** The metrics this optimizer optimizes (one: single-objective; several: multi-objective). */
  readonly metrics: readonly Metric[];
  /** One new trial to evaluate. */
  ask(): Trial;
  /** `n` new, distinct trials (for parallel workers; pending ones are taken into account). */
  ask(n: number): Trial[];
  /** The outcome of a trial this optimizer asked for (success, fail or crashed). */
  tell(report: TrialReport): void;
  /**
   * `true` once the optimizer has nothing left to propose (e.g. a grid search that asked every
   * point); then `ask(n)` returns fewer trials than asked and `ask()` throws. Absent or `false`
   * for optimizers that never run out.
   */
  readonly exhausted?: boolean;
}

/**
 * Decides whether a running trial should stop early, from intermediate values
 * (`trial.report(step, value)` on the worker).
 */
export interface Pruner {
  /** Records an intermediate value of a trial at a step (e.g. epoch). */
  report(trialName: string, step: number, value: number): void;
  /** Whether the trial should stop now, given what it and the others reported so far. */
  shouldPrune(trialName: string): boolean;
  /** The trial ended (any status): it no longer runs, its values still count for others. */
  complete(trialName: string): void;
}
