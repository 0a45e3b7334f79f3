/**
 * The contract shared by search spaces, optimizers and pruners. Kept in one small file so that
 * samplers (random, grid, TPE, NSGA-II) and the optimize loop agree on one shape.
 *
 * @module
 */

import type { Metric } from "../trial/metric.js";
import type { TrialReport, TrialStatus } from "../trial/report.js";
import type { Trial } from "../trial/trial.js";

/**
 * A value a categorical parameter (or a constant) can take: JSON-safe scalars only.
 *
 * @example
 * ```ts
 * const choices: Choice[] = ["rbf", 3, true, null];
 * ```
 */
export type Choice = string | number | boolean | null;

/**
 * A sampled configuration: parameter name to value; inactive conditional parameters are absent.
 *
 * @example
 * ```ts
 * const config: Config = { kind: "svm", C: 0.5 }; // no `trees`: inactive for svm
 * ```
 */
export type Config = Record<string, Choice>;

/**
 * How one parameter's values are distributed (ints always carry a step, 1 by default).
 *
 * @example
 * ```ts
 * const lr: Distribution = { type: "float", low: 1e-5, high: 1e-1, log: true };
 * const layers: Distribution = { type: "int", low: 1, high: 8, log: false, step: 1 };
 * ```
 */
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

/**
 * Active only when the parent parameter is active and takes one of `values`.
 *
 * @example
 * ```ts
 * const onlyForSvm: Condition = { parent: "kind", values: ["svm"] };
 * ```
 */
export interface Condition {
  readonly parent: string;
  readonly values: readonly Choice[];
}

/**
 * One named parameter of a search space (the builders `float`, `int`, `categorical`,
 * `constant` and `space()` make these).
 *
 * @example
 * ```ts
 * const C: Param = {
 *   name: "C",
 *   dist: { type: "float", low: 1e-3, high: 1e3, log: true },
 *   condition: { parent: "kind", values: ["svm"] },
 * };
 * ```
 */
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
 *
 * @example
 * ```ts
 * const opt: Optimizer = new RandomSearch({ space: s, metrics: new Metric("loss"), seed: 1 });
 * const trial = opt.ask();
 * opt.tell(trial.success({ loss: f(trial.config) }));
 * ```
 */
export interface Optimizer {
  /** The metrics this optimizer optimizes (one: single-objective; several: multi-objective). */
  readonly metrics: readonly Metric[];
  /** One new trial to evaluate. */
  ask(): Trial;
  /** `n` new, distinct trials (for parallel workers; pending ones are taken into account). */
  ask(n: number): Trial[];
  /**
   * The outcome of a trial (success, fail or crashed), told once. Every optimizer keeps the
   * contract of `BaseOptimizer.tell` (checked by `tellConformance`): a non-report, a second
   * report of a trial or a success lacking a metric is refused with a `TellError`, a foreign
   * config outside the space with a `SpaceError`; NaN/±Infinity values count as a failure.
   */
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
 *
 * @example
 * ```ts
 * pruner.report("trial-0001", 3, 0.42);
 * if (pruner.shouldPrune("trial-0001")) stopTraining();
 * pruner.complete("trial-0001");
 * ```
 */
export interface Pruner {
  /** Records an intermediate value of a trial at a step (e.g. epoch). */
  report(trialName: string, step: number, value: number): void;
  /** Whether the trial should stop now, given what it and the others reported so far. */
  shouldPrune(trialName: string): boolean;
  /**
   * The trial ended: it no longer runs. Its values keep counting for others; a pruner may count
   * only some statuses (Optuna's median counts only completed trials), so the status is passed.
   */
  complete(trialName: string, status?: TrialStatus): void;
}
