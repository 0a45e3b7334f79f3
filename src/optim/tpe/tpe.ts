/**
 * `TPE`: the Tree-structured Parzen Estimator (Bergstra et al. 2011) with the refinements Optuna
 * documents — random start-up trials, a prior kernel, a bandwidth floor, joint (multivariate)
 * kernels, per-condition groups for conditional parameters, a constant liar for trials still
 * running — written from the papers and the documentation.
 *
 * @module
 */

import { checkOptionKeys, optionKeys } from "../../shared/options.js";
import { isPruned } from "../../trial/pruning.js";
import type { TrialReport } from "../../trial/report.js";
import { BaseOptimizer, OPTIMIZER_OPTION_FLAGS, type OptimizerOptions } from "../base-optimizer.js";
import { paretoFront } from "../pareto.js";
import { configKey } from "../space/key.js";
import type { Choice, Config } from "../types.js";
import { type AcquisitionOptions, acquire } from "./acquisition.js";
import { defaultGamma, defaultWeights, split } from "./good-bad-split.js";
import { type GoodAndBad, groupEstimators, type Observation } from "./group-estimators.js";
import { encode, type Group, groupActive, groupsOf } from "./groups.js";
import type { ParzenOptions } from "./parzen.js";

/**
 * Options of {@link TPE} (besides the space, metrics, seed and naming every optimizer takes).
 *
 * @example
 * ```ts
 * const options: TPEOptions = {
 *   space: space({ lr: float(1e-5, 1e-1, { log: true }), layers: int(1, 4) }),
 *   metrics: new Metric("acc", { minimize: false }),
 *   seed: 7,
 *   nStartupTrials: 20, // more random exploration first
 *   multivariate: false, // one estimator per parameter (the 2011 paper's TPE)
 * };
 * const tpe = new TPE(options);
 * ```
 */
export interface TPEOptions extends OptimizerOptions {
  /**
   * Trials told before the model takes over; until then configs are random. Optuna's 10, kept
   * so the bench compares like with like; 5 and 20 ranked no better on the BBOB training suite
   * (bench/tune-tpe.ts, round 2).
   * @defaultValue 10
   */
  readonly nStartupTrials?: number;
  /**
   * Candidates drawn from l(x) per group and scored by l(x)/g(x). 24 ranked first on the BBOB
   * training suite (bench/tune-tpe.ts, round 2, 10 seeds) against 64 and 96 (which also cost up
   * to twice the time per ask); 12 and 48 ranked lower in the 3-seed screen.
   * @defaultValue 24
   */
  readonly nEiCandidates?: number;
  /**
   * Joint kernels over the parameters active together.
   * @defaultValue true
   */
  readonly multivariate?: boolean;
  /**
   * Count trials asked but not told as bad ones, so parallel asks spread out instead of all
   * landing on the current optimum.
   * @defaultValue true
   */
  readonly constantLiar?: boolean;
  /**
   * Size of the good group given the number of successes. Chosen on the BBOB training suite
   * (bench/tune-tpe.ts, round 2): ahead of ⌈0.15 n⌉ and ⌈0.2 n⌉ (cap 25) and hyperopt's
   * ⌈0.25 √n⌉; a cap of 10 is the same up to 100 trials.
   * @defaultValue `defaultGamma`: min(⌈0.1 n⌉, 25)
   */
  readonly gamma?: (n: number) => number;
  /**
   * Weights of the bad group, oldest first. Ranked ahead of uniform weights on the BBOB
   * training suite (bench/tune-tpe.ts, round 2).
   * @defaultValue `defaultWeights`: the newest 25 weigh 1, older ones less
   */
  readonly weights?: (n: number) => number[];
  /**
   * Weight of the prior kernel, relative to one observation. Ranked ahead of 0.5 and 2 on the
   * BBOB training suite (bench/tune-tpe.ts, round 2).
   * @defaultValue 1
   */
  readonly priorWeight?: number;
  /**
   * Univariate bandwidths also consider the domain's ends.
   * @defaultValue false
   */
  readonly considerEndpoints?: boolean;
  /**
   * Smallest kernel width, as a fraction of the range; `"magic"`: Optuna's "magic clip",
   * 1/min(100, kernels + 1). Univariate kernels need the magic clip: their
   * neighbour-distance widths collapse without it. For joint kernels 0.01 ranked ahead of
   * 0.005, 0.02 and the magic clip on the BBOB training suite (bench/tune-tpe.ts).
   * @defaultValue 0.01 for joint kernels, `"magic"` for univariate ones
   */
  readonly minBandwidth?: number | "magic";
  /**
   * Width of joint kernels, as a fraction of the range, for one point: Scott's rule shrinks it
   * as `bandwidthScale · n^(-1/(d+4))` for `n` points in `d` dimensions. 0.04 with one
   * metric (with `minBandwidth` 0.01) ranked first of 7 candidates on the BBOB training suite
   * (bench/tune-tpe.ts: 24 functions, dimensions 2 and 5, instances 1 and 2), ahead of 0.1,
   * 0.2, the magic clip and univariate kernels, and in round 2 ahead of 0.03 and 0.06 and of
   * every other candidate (split, candidates, prior, weights, start-up: 23 in all);
   * bench/optim.ts reports on the disjoint test suite (docs/guides/optimizers.md). Optuna documents 0.2 with the magic clip.
   * With several metrics 0.1: a front needs spread more than a pinpoint, and 0.1 found larger
   * hypervolumes on ZDT1, ZDT2 and DTLZ2 (100-200 trials, seeds other than the tests' and the
   * bench's) than 0.04 or 0.2.
   * @defaultValue 0.04 with one metric, 0.1 with several
   */
  readonly bandwidthScale?: number;
  /**
   * With several metrics, weigh each good trial's kernel in l(x) by its hypervolume
   * contribution (relative to the largest, floored at 1e-12) as MOTPE (Ozaki et al. 2022) and
   * Optuna do, instead of 1 each. Off by default: with this TPE's kernels it found slightly
   * smaller hypervolumes on ZDT1, ZDT2 and DTLZ2 (e.g. 11.25 vs 11.29 on ZDT1 after 150
   * trials, 32 seeds), as it leans l(x) on a few points of the front.
   * @defaultValue false
   */
  readonly hypervolumeWeights?: boolean;
  /**
   * Most kernels in g(x): beyond it, older bad trials are thinned evenly (their weights summed
   * into the ones kept), so an ask costs the same after 100 or 10,000 trials.
   * @defaultValue 128
   */
  readonly maxKernels?: number;
  /**
   * Joint kernels' width per dimension also from the fitted points' own spread: `factor` ×
   * their weighted standard deviation × n^(-1/(d+4)), combined with the `bandwidthScale` width
   * by `combine` ("min", "max", or "only" the spread width). Unset: `bandwidthScale` alone.
   * @defaultValue undefined
   */
  readonly spreadBandwidth?: { readonly factor: number; readonly combine: "min" | "max" | "only" };
  /**
   * With one metric, this many extra candidates drawn from the best trial's kernel alone.
   * @defaultValue 0
   */
  readonly incumbentCandidates?: number;
  /**
   * Rounds of local search on l(x)/g(x) around the best candidate, each perturbing it
   * `localSearchPoints` times by l(x)'s kernel width (halved every round).
   * @defaultValue 0
   */
  readonly localSearchRounds?: number;
  /**
   * Perturbations per local-search round.
   * @defaultValue 8
   */
  readonly localSearchPoints?: number;
}

/**
 * The defaults of {@link TPEOptions}, the ones the code uses, chosen on the BBOB training suite
 * only (bench/tune-tpe.ts; docs/guides/optimizers.md has the rankings). Two depend on the
 * problem and are not here: `minBandwidth` (0.01 for joint kernels, `"magic"` for univariate ones) and
 * `bandwidthScale` (0.04 with one metric, 0.1 with several).
 *
 * @example
 * ```ts
 * TPE_DEFAULTS.nStartupTrials; // 10
 * ```
 */
export const TPE_DEFAULTS = Object.freeze({
  nStartupTrials: 10,
  nEiCandidates: 24,
  multivariate: true,
  constantLiar: true,
  gamma: defaultGamma,
  weights: defaultWeights,
  priorWeight: 1,
  considerEndpoints: false,
  hypervolumeWeights: false,
  maxKernels: 128,
  incumbentCandidates: 0,
  localSearchRounds: 0,
  localSearchPoints: 8,
});

const TPE_KEYS = optionKeys<TPEOptions>({
  ...OPTIMIZER_OPTION_FLAGS,
  nStartupTrials: true,
  nEiCandidates: true,
  multivariate: true,
  constantLiar: true,
  gamma: true,
  weights: true,
  priorWeight: true,
  considerEndpoints: true,
  minBandwidth: true,
  bandwidthScale: true,
  hypervolumeWeights: true,
  maxKernels: true,
  spreadBandwidth: true,
  incumbentCandidates: true,
  localSearchRounds: true,
  localSearchPoints: true,
});

/** Model draws, then uniform draws, before a repeated configuration is accepted. */
const MODEL_REDRAWS = 8;
const RANDOM_REDRAWS = 100;

/**
 * The TPE optimizer: models good and bad configurations with kernel densities l(x) and g(x) and
 * proposes the candidate with the highest l(x)/g(x).
 *
 * Failed and crashed trials (and successes without a finite value for every metric) are kept as
 * bad trials with 4× wider kernels: they shape g(x), so TPE steers away from the region of a
 * configuration that broke, but never l(x). Pruned trials are bad trials with ordinary kernels.
 * Trials asked but not told yet are bad trials too (the constant liar), so parallel asks differ.
 *
 * With several metrics it is MOTPE (Ozaki et al. 2020): the good trials are whole
 * non-dominated fronts, then the subset of the next front with the largest hypervolume (exact
 * greedy selection up to 3 objectives; the most crowding-distance-spread points with more),
 * and joint kernels are wider by default (bandwidthScale 0.1) since a front needs spread; with
 * `hypervolumeWeights` each good trial's kernel in l(x) weighs its hypervolume contribution.
 * Metrics to maximize are negated first. {@link TPE.front} gives the Pareto front of the
 * successful reports; failed, crashed and pruned trials never enter it.
 *
 * Reports of trials it did not ask for are accepted when their config is valid (warm start);
 * `tell` keeps the contract of {@link BaseOptimizer.tell}.
 *
 * @example
 * ```ts
 * // One metric:
 * const tpe = new TPE({
 *   space: space({ x: float(-5, 5), kind: categorical(["a", "b"]) }),
 *   metrics: new Metric("loss"),
 *   seed: 1,
 * });
 * for (let i = 0; i < 50; i++) {
 *   const trial = tpe.ask();
 *   const x = trial.config.x as number;
 *   tpe.tell(trial.success({ loss: (x - 1) ** 2 + (trial.config.kind === "a" ? 0 : 1) }));
 * }
 * // Two metrics (MOTPE), one of them maximized:
 * const motpe = new TPE({
 *   space: space({ x: float(0, 1) }),
 *   metrics: [new Metric("acc", { minimize: false }), new Metric("latency")],
 *   seed: 1,
 * });
 * for (let i = 0; i < 50; i++) {
 *   const trial = motpe.ask();
 *   const x = trial.config.x as number;
 *   motpe.tell(trial.success({ acc: x, latency: x ** 2 }));
 * }
 * motpe.front(); // the non-dominated successful reports
 * ```
 */
export class TPE extends BaseOptimizer {
  readonly #groups: Group[];
  readonly #told: Observation[] = [];
  /** Successful reports, for {@link TPE.front}. */
  readonly #successes: TrialReport[] = [];
  readonly #seen = new Set<string>();
  readonly #nStartup: number;
  readonly #acquisition: AcquisitionOptions;
  readonly #constantLiar: boolean;
  readonly #gamma: (n: number) => number;
  readonly #weights: (n: number) => number[];
  readonly #maxKernels: number;
  readonly #hypervolumeWeights: boolean;
  readonly #parzen: ParzenOptions;

  constructor(options: TPEOptions) {
    checkOptionKeys(options, TPE_KEYS, "TPE");
    super(options);
    const d = TPE_DEFAULTS;
    this.#nStartup = intAtLeast("nStartupTrials", options.nStartupTrials ?? d.nStartupTrials, 0);
    this.#acquisition = acquisitionOf(options);
    this.#maxKernels = intAtLeast("maxKernels", options.maxKernels ?? d.maxKernels, 2);
    this.#constantLiar = options.constantLiar ?? d.constantLiar;
    this.#hypervolumeWeights = options.hypervolumeWeights ?? d.hypervolumeWeights;
    this.#gamma = options.gamma ?? d.gamma;
    this.#weights = options.weights ?? d.weights;
    const multivariate = options.multivariate ?? d.multivariate;
    const priorWeight = options.priorWeight ?? d.priorWeight;
    if (!(priorWeight > 0))
      throw new RangeError(`TPE: priorWeight must be > 0, got ${priorWeight}`);
    const bandwidthScale = options.bandwidthScale ?? (this.metrics.length > 1 ? 0.1 : 0.04);
    if (!(bandwidthScale > 0))
      throw new RangeError(`TPE: bandwidthScale must be > 0, got ${bandwidthScale}`);
    const minBandwidth = options.minBandwidth ?? (multivariate ? 0.01 : "magic");
    if (minBandwidth !== "magic" && !(minBandwidth > 0 && minBandwidth <= 1))
      throw new RangeError(`TPE: minBandwidth must be in (0, 1] or "magic", got ${minBandwidth}`);
    this.#parzen = {
      priorWeight,
      multivariate,
      considerEndpoints: options.considerEndpoints ?? d.considerEndpoints,
      minBandwidth,
      bandwidthScale,
      spread: options.spreadBandwidth,
    };
    this.#groups = groupsOf(this.space, multivariate);
  }

  /** How many reports were told so far. */
  get told(): number {
    return this.#told.length;
  }

  protected propose(n: number): Config[] {
    const batch: Config[] = [];
    for (let i = 0; i < n; i++) {
      // Pending trials (and this batch so far) must not be proposed again; told ones neither,
      // as long as the space has other points.
      const taken = new Set<string>();
      for (const t of this.pending.values()) taken.add(configKey(t.config as Config));
      for (const c of batch) taken.add(configKey(c));
      const repeated = (c: Config) => {
        const key = configKey(c);
        return taken.has(key) || this.#seen.has(key);
      };
      let config = this.#sample(batch);
      for (let a = 0; repeated(config) && a < MODEL_REDRAWS + RANDOM_REDRAWS; a++)
        config = a < MODEL_REDRAWS ? this.#sample(batch) : this.space.sample(this.rng);
      batch.push(config);
    }
    return batch;
  }

  protected override observe(report: TrialReport, config: Config, losses?: number[]): void {
    if (losses !== undefined) this.#successes.push(report);
    this.#seen.add(configKey(config));
    this.#told.push({
      index: this.#told.length,
      row: encode(this.space, config),
      losses,
      // Pruned trials were merely worse than others so far: bad, but not a region to shun.
      failed: losses === undefined && !isPruned(report),
    });
  }

  /**
   * The Pareto front of the successful reports told so far (on this optimizer's metrics, each
   * in its direction), in the order they were told; with one metric, the best report(s).
   * Failed, crashed and pruned trials, and successes lacking a finite metric value, never
   * enter it.
   */
  front(): TrialReport[] {
    return paretoFront(this.#successes, this.metrics);
  }

  /** One configuration, given the configurations of the batch being proposed. */
  #sample(batch: readonly Config[]): Config {
    if (this.#told.length < this.#nStartup) return this.space.sample(this.rng);
    let observations = this.#told;
    const running = [...[...this.pending.values()].map((t) => t.config as Config), ...batch];
    if (this.#constantLiar && running.length > 0) {
      // The constant liar: running trials count as bad ones (they have no losses).
      observations = [
        ...this.#told,
        ...running.map((c, i) => ({
          index: this.#told.length + i,
          row: encode(this.space, c),
          losses: undefined,
          failed: false,
        })),
      ];
    }
    const goodAndBad = split(observations, this.#gamma, this.#weights, this.#hypervolumeWeights);
    const config: Config = {};
    let next = 0;
    for (const p of this.space.params) {
      if (p.dist.type === "constant") {
        if (this.space.isActive(p.name, config)) config[p.name] = p.dist.value;
        continue;
      }
      const group = this.#groups[next];
      if (group?.params[0] !== p) continue; // sampled with its group's first member
      next++;
      if (!groupActive(group, config)) continue;
      const values = this.#sampleGroup(group, goodAndBad);
      group.params.forEach((q, j) => {
        config[q.name] = values[j];
      });
    }
    // Keys in the space's order, like the random samplers' configs.
    const ordered: Config = {};
    for (const p of this.space.params)
      if (Object.hasOwn(config, p.name)) ordered[p.name] = config[p.name];
    return ordered;
  }

  /** The values of one group: the acquisition's best under l(x)/g(x). */
  #sampleGroup(group: Group, goodAndBad: GoodAndBad): Choice[] {
    const { l, g, incumbent } = groupEstimators(group, goodAndBad, this.#parzen, this.#maxKernels);
    return acquire(this.space, group, l, g, this.rng, this.#acquisition, incumbent);
  }
}

/** The acquisition's options, checked, with defaults. */
function acquisitionOf(options: TPEOptions): AcquisitionOptions {
  const d = TPE_DEFAULTS;
  return {
    candidates: intAtLeast("nEiCandidates", options.nEiCandidates ?? d.nEiCandidates, 1),
    incumbentCandidates: intAtLeast(
      "incumbentCandidates",
      options.incumbentCandidates ?? d.incumbentCandidates,
      0,
    ),
    localRounds: intAtLeast(
      "localSearchRounds",
      options.localSearchRounds ?? d.localSearchRounds,
      0,
    ),
    localPoints: intAtLeast(
      "localSearchPoints",
      options.localSearchPoints ?? d.localSearchPoints,
      1,
    ),
  };
}

function intAtLeast(what: string, n: number, min: number): number {
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(`TPE: ${what} must be an integer >= ${min}, got ${n}`);
  return n;
}
