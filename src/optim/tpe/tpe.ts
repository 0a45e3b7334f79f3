/**
 * `TPE`: the Tree-structured Parzen Estimator (Bergstra et al. 2011) with the refinements Optuna
 * documents — random start-up trials, a prior kernel, a bandwidth floor, joint (multivariate)
 * kernels, per-condition groups for conditional parameters, a constant liar for trials still
 * running — written from the papers and the documentation; plus, with one metric, rank-weighted
 * good kernels and candidates drawn around the best trial (chosen on the BBOB training suite,
 * bench/tune-tpe.ts round 3), and rotated (full-covariance) good kernels that follow a valley
 * the axes do not (covariance.ts, round 4), and a trust region that pulls the candidates around
 * the best trial closer while a run stalls (trust-region.ts, round 5), and joint kernels that
 * widen with the dimension (`bandwidthGrowth`, round 6), and a lighter prior kernel
 * (`priorWeight` 0.25, round 8); as options, off by default, a prior that fades late
 * (`priorShrink`, round 10) and a response-surface step that proposes a fitted quadratic's
 * minimizer every few asks (`responseSurface`, response-surface.ts, round 11). The steps: split
 * (good-bad-split.ts), per-group estimators (group-estimators.ts), acquisition
 * (acquisition.ts); options in tpe-options.ts, checked in tpe-option-checks.ts.
 *
 * @module
 */

import { checkOptionKeys, OptionError } from "../../shared/options.js";
import { isPruned } from "../../trial/pruning.js";
import type { TrialReport } from "../../trial/report.js";
import { BaseOptimizer } from "../base-optimizer.js";
import { paretoFront } from "../pareto.js";
import { configKey } from "../space/key.js";
import type { Choice, Config } from "../types.js";
import { type AcquisitionOptions, acquire } from "./acquisition.js";
import { split } from "./good-bad-split.js";
import { type GoodAndBad, groupEstimators, type Observation } from "./group-estimators.js";
import { encode, type Group, groupActive, groupsOf } from "./groups.js";
import { type IncumbentShareOptions, incumbentCount, tightness } from "./incumbent-share.js";
import type { ParzenOptions } from "./parzen.js";
import { type ShrunkPrior, shrinkPrior } from "./prior-shrink.js";
import { RankedTrials } from "./ranked-trials.js";
import type { ResponseSurface } from "./response-surface.js";
import type { StartupDesign } from "./startup-design.js";
import {
  acquisitionOf,
  goodPriorWeightOf,
  incumbentShareOf,
  intAtLeast,
  parzenOf,
  priorShrinkOf,
  responseSurfaceOf,
  startupDesignOf,
  trustRegionOf,
} from "./tpe-option-checks.js";
import { TPE_DEFAULTS, TPE_KEYS, type TPEOptions } from "./tpe-options.js";
import type { TrustRegion } from "./trust-region.js";

export { TPE_DEFAULTS, type TPEOptions } from "./tpe-options.js";

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
  /** The start-up trials' design; undefined: independent uniform draws. */
  readonly #design: StartupDesign | undefined;
  readonly #acquisition: AcquisitionOptions;
  readonly #constantLiar: boolean;
  readonly #gamma: (n: number) => number;
  readonly #weights: (n: number) => number[];
  readonly #maxKernels: number;
  readonly #hypervolumeWeights: boolean;
  readonly #parzen: ParzenOptions;
  /** The prior's weight in l(x), when it differs from g(x)'s. */
  readonly #goodPriorWeight: number | undefined;
  /** With `priorShrink`: the told count past which the prior's weight shrinks. */
  readonly #priorShrink: number | undefined;
  readonly #goodWeights: "equal" | "rank";
  /** With one metric and `trustRegion`: how far incumbent candidates may stray. */
  readonly #trust: TrustRegion | undefined;
  /** With one metric and `incumbentShare`: incumbent candidates scaled by the good set's tightness. */
  readonly #share: IncumbentShareOptions | undefined;
  /** With one metric and `responseSurface`: the quadratic model's steps. */
  readonly #surface: ResponseSurface | undefined;
  /** With one metric: the successful told trials, best first, kept as they are told. */
  readonly #ranked: RankedTrials | undefined;

  constructor(options: TPEOptions) {
    checkOptionKeys(options, TPE_KEYS, "TPE");
    super(options);
    const d = TPE_DEFAULTS;
    this.#nStartup = intAtLeast("nStartupTrials", options.nStartupTrials ?? d.nStartupTrials, 0);
    this.#design = startupDesignOf(options, this.space, this.#nStartup);
    this.#acquisition = acquisitionOf(options);
    this.#maxKernels = intAtLeast("maxKernels", options.maxKernels ?? d.maxKernels, 2);
    this.#constantLiar = options.constantLiar ?? d.constantLiar;
    this.#hypervolumeWeights = options.hypervolumeWeights ?? d.hypervolumeWeights;
    this.#gamma = options.gamma ?? d.gamma;
    this.#weights = options.weights ?? d.weights;
    this.#parzen = parzenOf(options, this.metrics.length);
    this.#goodPriorWeight = goodPriorWeightOf(options);
    this.#priorShrink = priorShrinkOf(options);
    this.#goodWeights = options.goodWeights ?? TPE_DEFAULTS.goodWeights;
    if (this.#goodWeights !== "equal" && this.#goodWeights !== "rank")
      throw new OptionError(
        "invalid_option",
        `TPE: goodWeights must be "equal" or "rank", got ${JSON.stringify(this.#goodWeights)}`,
        "goodWeights",
      );
    this.#groups = groupsOf(this.space, this.#parzen.multivariate);
    this.#trust = trustRegionOf(options, this.metrics.length);
    this.#share = incumbentShareOf(options, this.metrics.length);
    this.#surface = responseSurfaceOf(options, this.metrics.length, this.space);
    this.#ranked =
      this.metrics.length === 1 ? new RankedTrials((o) => o.losses !== undefined) : undefined;
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
      let config = this.#surfaceStep(batch) ?? this.#sample(batch);
      for (let a = 0; repeated(config) && a < MODEL_REDRAWS + RANDOM_REDRAWS; a++)
        config = a < MODEL_REDRAWS ? this.#sample(batch) : this.space.sample(this.rng);
      batch.push(config);
    }
    return batch;
  }

  protected override observe(report: TrialReport, config: Config, losses?: number[]): void {
    if (losses !== undefined) this.#successes.push(report);
    this.#trust?.observe(losses?.[0]);
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

  /**
   * On a response-surface step, TPE's proposal with the modelled parameters set to the
   * quadratic model's minimizer (TPE's proposal as it is when the model gives no step);
   * undefined on other asks.
   */
  #surfaceStep(batch: readonly Config[]): Config | undefined {
    if (this.#surface === undefined || this.#told.length < this.#nStartup) return undefined;
    if (!this.#surface.due()) return undefined;
    const proposal = this.#sample(batch);
    return { ...proposal, ...this.#surface.propose(this.#told, proposal) };
  }

  /** One configuration, given the configurations of the batch being proposed. */
  #sample(batch: readonly Config[]): Config {
    if (this.#told.length < this.#nStartup)
      return this.#design ? this.#design.next(this.rng) : this.space.sample(this.rng);
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
    const ranked = this.#ranked?.update(this.#told);
    const goodAndBad = weighGood(
      split(observations, this.#gamma, this.#weights, this.#hypervolumeWeights, ranked),
      this.#goodWeights,
    );
    const prior = shrinkPrior(
      this.#parzen,
      this.#goodPriorWeight,
      this.#priorShrink,
      this.#told.length,
    );
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
      const values = this.#sampleGroup(group, goodAndBad, prior);
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
  #sampleGroup(group: Group, goodAndBad: GoodAndBad, prior: ShrunkPrior): Choice[] {
    const { l, g, incumbent, incumbentPoint, good } = groupEstimators(
      group,
      goodAndBad,
      prior.parzen,
      this.#maxKernels,
      prior.goodPriorWeight,
    );
    const trust =
      this.#trust && incumbentPoint
        ? { center: incumbentPoint, factor: this.#trust.factor }
        : undefined;
    // A trust region just restarted: candidates from l(x) only, to leave an exhausted basin.
    const near = this.#trust?.paused ? undefined : incumbent;
    const share = this.#share;
    const acquisition =
      share && incumbent !== undefined
        ? {
            ...this.#acquisition,
            incumbentCandidates: incumbentCount(
              this.#acquisition.incumbentCandidates,
              share,
              tightness(good.rows, good.weights, incumbent, l.widths(), share.radius),
            ),
          }
        : this.#acquisition;
    // The good set's Gaussian is a single-metric proposal (MOTPE's good set is a front).
    const goodSet = this.metrics.length === 1 ? good : undefined;
    return acquire(this.space, group, l, g, this.rng, acquisition, near, trust, goodSet);
  }
}

/**
 * With `"rank"` and one metric, the good trials' weights by rank (best first: 2n/(n+1) down to
 * 2/(n+1), mean 1, so the prior keeps its share); otherwise the split as it is.
 */
function weighGood(split: GoodAndBad, how: "equal" | "rank"): GoodAndBad {
  const n = split.below.length;
  if (how === "equal" || n < 2 || split.below[0].losses?.length !== 1) return split;
  const order = split.below
    .map((o, i) => ({ i, loss: (o.losses as readonly number[])[0] }))
    .sort((a, b) => a.loss - b.loss || a.i - b.i);
  const belowWeights = new Array<number>(n);
  order.forEach(({ i }, rank) => {
    belowWeights[i] = (2 * (n - rank)) / (n + 1);
  });
  return { ...split, belowWeights };
}
