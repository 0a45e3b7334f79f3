/**
 * `RandomSearch`: configurations drawn uniformly (log-uniformly on log scales) from the space.
 *
 * @module
 */

import { checkOptionKeys } from "../shared/options.js";
import type { TrialReport } from "../trial/report.js";
import { BaseOptimizer, OPTIMIZER_OPTION_KEYS, type OptimizerOptions } from "./base-optimizer.js";
import { configKey } from "./space/key.js";
import type { Config } from "./types.js";

/** Draws before a duplicate is accepted: only a space smaller than the asks runs out of new points. */
const MAX_REDRAWS = 100;

/**
 * Random search. Each asked configuration is new (not asked before) as long as the space has
 * unseen points (told foreign configs count as seen): a duplicate draw is redrawn up to 100
 * times, after which a repeat is allowed, so a tiny space never makes `ask` fail. Reports are
 * recorded but do not steer the search; `tell` keeps the contract of {@link BaseOptimizer.tell}.
 *
 * @example
 * ```ts
 * const opt = new RandomSearch({
 *   space: space({ lr: float(1e-4, 1e-1, { log: true }), depth: int(1, 8) }),
 *   metrics: new Metric("loss"),
 *   seed: 42,
 * });
 * const [a, b] = opt.ask(2); // two distinct trials, "trial-0001" and "trial-0002"
 * opt.tell(a.success({ loss: 0.3 }));
 * ```
 */
export class RandomSearch extends BaseOptimizer {
  readonly #seen = new Set<string>();
  readonly #reports: TrialReport[] = [];

  constructor(options: OptimizerOptions) {
    checkOptionKeys(options, OPTIMIZER_OPTION_KEYS, "RandomSearch");
    super(options);
  }

  /** The reports told so far, in order. */
  get reports(): readonly TrialReport[] {
    return this.#reports;
  }

  protected propose(n: number): Config[] {
    const out: Config[] = [];
    for (let i = 0; i < n; i++) {
      let config = this.space.sample(this.rng);
      for (let t = 0; t < MAX_REDRAWS && this.#seen.has(configKey(config)); t++)
        config = this.space.sample(this.rng);
      this.#seen.add(configKey(config));
      out.push(config);
    }
    return out;
  }

  protected override observe(report: TrialReport, config: Config): void {
    this.#seen.add(configKey(config));
    this.#reports.push(report);
  }
}
