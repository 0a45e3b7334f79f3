/**
 * `NSGA2`: multi-objective optimization by the elitist non-dominated sorting genetic algorithm
 * (Deb et al. 2002), in ask/tell form so it works with parallel workers.
 *
 * @module
 */

import { checkOptionKeys, optionKeys } from "../../shared/options.js";
import type { TrialReport } from "../../trial/report.js";
import { BaseOptimizer, OPTIMIZER_OPTION_FLAGS, type OptimizerOptions } from "../base-optimizer.js";
import { crowdingDistance, nonDominatedSort, paretoFront } from "../pareto.js";
import { configKey } from "../space/key.js";
import type { Config } from "../types.js";
import { type VariationOptions, vary } from "./variation.js";

/**
 * Options of {@link NSGA2}: defaults ({@link NSGA2_DEFAULTS}) are population 50, crossover
 * probability 0.9, mutation probability 1/(number of parameters), SBX index 15, mutation
 * index 20.
 *
 * @example
 * ```ts
 * const opts: NSGA2Options = { space: s, metrics: [err, latency], seed: 1, populationSize: 30 };
 * ```
 */
export interface NSGA2Options extends OptimizerOptions, Partial<VariationOptions> {
  /**
   * Parents kept per generation, and completed children that make a generation.
   * @defaultValue 50
   */
  populationSize?: number;
}

/**
 * The defaults of {@link NSGA2Options}, the ones the code uses (`mutationProb` has none here:
 * it is 1/(number of parameters), Deb's one mutated parameter per child on average).
 *
 * @example
 * ```ts
 * NSGA2_DEFAULTS.populationSize; // 50
 * ```
 */
export const NSGA2_DEFAULTS = Object.freeze({
  populationSize: 50,
  crossoverProb: 0.9,
  etaCrossover: 15,
  etaMutation: 20,
});

const NSGA2_KEYS = optionKeys<NSGA2Options>({
  ...OPTIMIZER_OPTION_FLAGS,
  populationSize: true,
  crossoverProb: true,
  mutationProb: true,
  etaCrossover: true,
  etaMutation: true,
});

/** A completed trial with its losses (lower is better in every objective). */
interface Member {
  report: TrialReport;
  config: Config;
  losses: number[];
}

/** Tries to breed a configuration not asked before, before falling back to a random one. */
const MAX_BREED_TRIES = 20;

/**
 * NSGA-II. The first `populationSize` trials are random; after that every asked trial is a
 * child of two parents chosen by binary tournament (lower front rank, then larger crowding
 * distance), crossed with SBX (numbers, in unit space so log scales and steps hold) or uniform
 * crossover (categoricals), then mutated. Each time `populationSize` children have completed
 * successfully, parents and children are ranked by non-dominated sorting and crowding distance
 * and the best `populationSize` become the new parents. Failed and crashed trials are not
 * selected. Asks never wait for tells: a worker always gets a trial. Reports of trials it did not
 * ask (e.g. from a `History`) are welcome; one whose config does not fit the space is refused
 * with a `SpaceError`, and a trial told twice with a `TellError` (the contract of
 * {@link BaseOptimizer.tell}).
 *
 * @example
 * ```ts
 * const opt = new NSGA2({
 *   space: space({ x: float(0, 1), y: float(0, 1) }),
 *   metrics: [new Metric("f1"), new Metric("f2")],
 *   seed: 1,
 *   populationSize: 20,
 * });
 * for (let i = 0; i < 200; i++) {
 *   const t = opt.ask();
 *   const { x, y } = t.config as { x: number; y: number };
 *   opt.tell(t.success({ f1: x, f2: (1 + y) * (1 - Math.sqrt(x)) }));
 * }
 * opt.front(); // the non-dominated reports so far
 * ```
 */
export class NSGA2 extends BaseOptimizer {
  readonly populationSize: number;
  readonly #variation: VariationOptions;
  #parents: Member[] = [];
  #children: Member[] = [];
  readonly #told: TrialReport[] = [];
  readonly #seen = new Set<string>();
  #generation = 0;

  constructor(options: NSGA2Options) {
    checkOptionKeys(options, NSGA2_KEYS, "NSGA2");
    super(options);
    const size = options.populationSize ?? NSGA2_DEFAULTS.populationSize;
    if (!Number.isInteger(size) || size < 2)
      throw new RangeError(`NSGA2: populationSize must be an integer >= 2, got ${String(size)}`);
    this.populationSize = size;
    const probability = (v: number | undefined, fallback: number, what: string): number => {
      const x = v ?? fallback;
      if (typeof x !== "number" || !(x >= 0 && x <= 1))
        throw new RangeError(`NSGA2: ${what} must be in [0, 1], got ${String(x)}`);
      return x;
    };
    const index = (v: number | undefined, fallback: number, what: string): number => {
      const x = v ?? fallback;
      if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x))
        throw new RangeError(`NSGA2: ${what} must be a finite number >= 0, got ${String(x)}`);
      return x;
    };
    this.#variation = {
      crossoverProb: probability(
        options.crossoverProb,
        NSGA2_DEFAULTS.crossoverProb,
        "crossoverProb",
      ),
      // Deb's default: one mutated parameter per child on average.
      mutationProb: probability(
        options.mutationProb,
        1 / Math.max(1, this.space.size),
        "mutationProb",
      ),
      etaCrossover: index(options.etaCrossover, NSGA2_DEFAULTS.etaCrossover, "etaCrossover"),
      etaMutation: index(options.etaMutation, NSGA2_DEFAULTS.etaMutation, "etaMutation"),
    };
  }

  /** Generations completed so far (0 while the random first population runs). */
  get generation(): number {
    return this.#generation;
  }

  /** The current parents' reports. */
  get population(): TrialReport[] {
    return this.#parents.map((m) => m.report);
  }

  /** The Pareto front of every successful report told so far. */
  front(): TrialReport[] {
    return paretoFront(this.#told, this.metrics);
  }

  protected propose(n: number): Config[] {
    const out: Config[] = [];
    for (let i = 0; i < n; i++) {
      let config: Config | undefined;
      for (let t = 0; t < MAX_BREED_TRIES && config === undefined; t++) {
        const c = this.#parents.length < 2 ? this.space.sample(this.rng) : this.#breed();
        if (!this.#seen.has(configKey(c))) config = c;
      }
      config ??= this.space.sample(this.rng);
      this.#seen.add(configKey(config));
      out.push(config);
    }
    return out;
  }

  #breed(): Config {
    const a = this.#tournament();
    const b = this.#tournament();
    return vary(this.space, a.config, b.config, this.#variation, this.rng);
  }

  /** Parents are kept sorted best first, so the lower index wins a tournament. */
  #tournament(): Member {
    const i = this.rng.int(0, this.#parents.length - 1);
    const j = this.rng.int(0, this.#parents.length - 1);
    return this.#parents[Math.min(i, j)];
  }

  protected override observe(report: TrialReport, config: Config, losses?: number[]): void {
    this.#told.push(report);
    this.#seen.add(configKey(config));
    if (!losses) return;
    this.#children.push({ report, config, losses });
    if (this.#children.length >= this.populationSize) {
      this.#parents = this.#select([...this.#parents, ...this.#children]);
      this.#children = [];
      this.#generation++;
    }
  }

  /** Elitist survival: whole fronts while they fit, then the most spread-out of the next. */
  #select(pool: Member[]): Member[] {
    const fronts = nonDominatedSort(pool.map((m) => m.losses));
    const chosen: Member[] = [];
    for (const front of fronts) {
      const crowd = crowdingDistance(
        pool.map((m) => m.losses),
        front,
      );
      const order = front
        .map((_, k) => k)
        .sort((x, y) => crowd[y] - crowd[x] || front[x] - front[y]);
      for (const k of order) {
        if (chosen.length >= this.populationSize) return chosen;
        chosen.push(pool[front[k]]);
      }
    }
    return chosen;
  }
}
