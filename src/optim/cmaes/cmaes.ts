/**
 * `CmaEs`: the covariance matrix adaptation evolution strategy as an ask/tell optimizer, with
 * IPOP restarts, for the float and int parameters of a space; categorical, constant and
 * conditional parameters (and the parents of conditions) are sampled independently at random,
 * as Optuna's `CmaEsSampler` does with its default independent sampler.
 *
 * @module
 */

import { checkOptionKeys, OptionError, optionKeys } from "../../shared/options.js";
import type { TrialReport } from "../../trial/report.js";
import type { Trial } from "../../trial/trial.js";
import { BaseOptimizer, OPTIMIZER_OPTION_FLAGS, type OptimizerOptions } from "../base-optimizer.js";
import { fromUnit } from "../space/distribution.js";
import type { Config, Param } from "../types.js";
import { type Solution, Strategy } from "./strategy.js";

/**
 * Options of {@link CmaEs}.
 *
 * @example
 * ```ts
 * const options: CmaEsOptions = { space: s, metrics: new Metric("loss"), seed: 1, sigma0: 0.3 };
 * ```
 */
export interface CmaEsOptions extends OptimizerOptions {
  /**
   * Initial step size, as a fraction of each parameter's (log) range.
   * @defaultValue 1/6 (Optuna's: the range over 6)
   */
  readonly sigma0?: number;
  /**
   * Offspring per generation of the first run; later IPOP runs multiply it.
   * @defaultValue 4 + ⌊3 ln n⌋ for n CMA parameters
   */
  readonly populationSize?: number;
  /**
   * `"ipop"`: when a run stops (steps or values below tolerance, ill-conditioned covariance),
   * restart from a random mean with `incPopSize` times the population; `"none"`: keep the run.
   * @defaultValue "ipop"
   */
  readonly restartStrategy?: "ipop" | "none";
  /**
   * Factor by which each IPOP restart grows the population.
   * @defaultValue 2
   */
  readonly incPopSize?: number;
}

/**
 * The defaults of {@link CmaEsOptions}, the ones the code uses (`populationSize` depends on the
 * space: 4 + ⌊3 ln n⌋).
 *
 * @example
 * ```ts
 * CMA_ES_DEFAULTS.restartStrategy; // "ipop"
 * ```
 */
export const CMA_ES_DEFAULTS = Object.freeze({
  sigma0: 1 / 6,
  restartStrategy: "ipop" as const,
  incPopSize: 2,
});

const CMA_ES_KEYS = optionKeys<CmaEsOptions>({
  ...OPTIMIZER_OPTION_FLAGS,
  sigma0: true,
  populationSize: true,
  restartStrategy: true,
  incPopSize: true,
});

/** A proposed point: which run and generation it belongs to, and its unit-cube coordinates. */
interface Candidate {
  readonly run: number;
  readonly generation: number;
  readonly x: Float64Array;
}

/**
 * CMA-ES with IPOP restarts. Float and int parameters without a condition (and that no other
 * parameter's condition depends on) are searched jointly by CMA-ES on the unit cube (log
 * scales and steps through the space's unit mapping; an int is its rounded coordinate); every
 * other parameter is drawn at random. Asks never wait: each ask samples the current
 * distribution; once `populationSize` trials of the current generation succeeded (a finite
 * value), the distribution is updated. Failed, crashed, pruned and foreign trials, and trials
 * of an older generation, do not update it. `tell` keeps the contract of
 * {@link BaseOptimizer.tell}. With one metric only.
 *
 * @example
 * ```ts
 * const cma = new CmaEs({
 *   space: space({ x: float(-5, 5), y: float(-5, 5), n: int(1, 100, { log: true }) }),
 *   metrics: new Metric("loss"),
 *   seed: 1,
 * });
 * for (let i = 0; i < 200; i++) {
 *   const t = cma.ask();
 *   const { x, y } = t.config as { x: number; y: number };
 *   cma.tell(t.success({ loss: x * x + (y - 1) ** 2 }));
 * }
 * cma.restarts; // IPOP restarts so far
 * ```
 */
export class CmaEs extends BaseOptimizer {
  /** The parameters CMA-ES searches, in space order. */
  readonly cmaParams: readonly Param[];
  readonly #sigma0: number;
  readonly #restart: "ipop" | "none";
  readonly #inc: number;
  #strategy: Strategy | undefined;
  #run = 0;
  readonly #candidates = new Map<string, Candidate>();
  #generationSolutions: Solution[] = [];
  #lastStop: string | undefined;

  constructor(options: CmaEsOptions) {
    checkOptionKeys(options, CMA_ES_KEYS, "CmaEs");
    super(options);
    if (this.metrics.length !== 1)
      throw new OptionError(
        "invalid_option",
        "CmaEs: optimizes one metric, got several",
        "metrics",
      );
    const d = CMA_ES_DEFAULTS;
    this.#sigma0 = options.sigma0 ?? d.sigma0;
    if (!(this.#sigma0 > 0 && this.#sigma0 <= 1))
      throw new OptionError(
        "invalid_option",
        `CmaEs: sigma0 must be in (0, 1], got ${String(this.#sigma0)}`,
        "sigma0",
      );
    this.#restart = options.restartStrategy ?? d.restartStrategy;
    if (this.#restart !== "ipop" && this.#restart !== "none")
      throw new OptionError(
        "invalid_option",
        `CmaEs: restartStrategy must be "ipop" or "none", got ${String(this.#restart)}`,
        "restartStrategy",
      );
    this.#inc = options.incPopSize ?? d.incPopSize;
    if (!(this.#inc >= 1) || !Number.isFinite(this.#inc))
      throw new OptionError(
        "invalid_option",
        `CmaEs: incPopSize must be a finite number >= 1, got ${String(this.#inc)}`,
        "incPopSize",
      );
    const parents = new Set(this.space.params.map((p) => p.condition?.parent));
    this.cmaParams = this.space.params.filter(
      (p) =>
        (p.dist.type === "float" || p.dist.type === "int") && !p.condition && !parents.has(p.name),
    );
    const n = this.cmaParams.length;
    const popsize = options.populationSize ?? 4 + Math.floor(3 * Math.log(Math.max(1, n)));
    if (!Number.isInteger(popsize) || popsize < 2)
      throw new OptionError(
        "invalid_option",
        `CmaEs: populationSize must be an integer >= 2, got ${String(popsize)}`,
        "populationSize",
      );
    if (n > 0)
      this.#strategy = new Strategy(n, new Float64Array(n).fill(0.5), this.#sigma0, popsize);
  }

  /** IPOP restarts so far. */
  get restarts(): number {
    return this.#run;
  }

  /** The current run's population size (λ); 0 when no parameter is searched by CMA-ES. */
  get populationSize(): number {
    return this.#strategy?.lambda ?? 0;
  }

  /** Generations completed in the current run. */
  get generation(): number {
    return this.#strategy?.generation ?? 0;
  }

  /** Why the last run stopped ("tolX", "tolFun", "conditionCov"), if one did. */
  get lastStop(): string | undefined {
    return this.#lastStop;
  }

  protected propose(n: number): Config[] {
    const out: Config[] = [];
    for (let i = 0; i < n; i++) out.push(this.#one());
    return out;
  }

  #one(): Config {
    const config = this.space.sample(this.rng);
    const strategy = this.#strategy;
    if (!strategy) return config;
    const x = strategy.sample(this.rng);
    this.cmaParams.forEach((p, i) => {
      config[p.name] = fromUnit(p.dist, x[i]);
    });
    this.#queue.push({ run: this.#run, generation: strategy.generation, x });
    return config;
  }

  /** Candidates proposed by the ask in progress, in the order its trials are named. */
  #queue: Candidate[] = [];

  override ask(): Trial;
  override ask(n: number): Trial[];
  override ask(n?: number): Trial | Trial[] {
    this.#queue = [];
    const out = n === undefined ? super.ask() : super.ask(n);
    const trials = Array.isArray(out) ? out : [out];
    trials.forEach((t, i) => {
      const c = this.#queue[i];
      if (c) this.#candidates.set(t.name, c);
    });
    this.#queue = [];
    return out;
  }

  protected override observe(report: TrialReport, _config: Config, losses?: number[]): void {
    const c = this.#candidates.get(report.name);
    this.#candidates.delete(report.name);
    const strategy = this.#strategy;
    if (!c || !losses || !strategy || c.run !== this.#run || c.generation !== strategy.generation)
      return;
    this.#generationSolutions.push({ x: c.x, value: losses[0] });
    if (this.#generationSolutions.length < strategy.lambda) return;
    strategy.tell(this.#generationSolutions);
    this.#generationSolutions = [];
    const stop = strategy.shouldStop();
    if (stop && this.#restart === "ipop") this.#restartRun(stop, strategy);
  }

  /** IPOP: a new run from a random mean, with a population `incPopSize` times larger. */
  #restartRun(stop: string, old: Strategy): void {
    this.#lastStop = stop;
    this.#run++;
    const n = old.n;
    const mean = Float64Array.from({ length: n }, () => this.rng.next());
    const lambda = Math.round(old.lambda * this.#inc);
    this.#strategy = new Strategy(n, mean, this.#sigma0, lambda);
  }
}
