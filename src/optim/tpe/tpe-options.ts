/**
 * {@link TPE}'s options: their types and defaults (the checks: tpe-option-checks.ts).
 *
 * @module
 */

import { optionKeys } from "../../shared/options.js";
import { OPTIMIZER_OPTION_FLAGS, type OptimizerOptions } from "../base-optimizer.js";
import type { CovarianceOptions } from "./covariance.js";
import type { GaussianCandidatesOptions } from "./gaussian-candidates.js";
import { defaultGamma, defaultWeights } from "./good-bad-split.js";
import type { IncumbentShareOptions } from "./incumbent-share.js";
import type { ResponseSurfaceOptions } from "./response-surface.js";
import type { StartupDesignKind } from "./startup-design.js";
import type { TrustRegionOptions } from "./trust-region.js";

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
   * (bench/tune-tpe.ts, round 2); in round 7, 5 (alone or with gamma ⌈0.15 n⌉) ranked ahead of
   * 10 but won fewer times against Optuna's TPE (47 and 48 of 96 against 52, 20 seeds).
   * @defaultValue 10
   */
  readonly nStartupTrials?: number;
  /**
   * How the start-up trials are drawn: `"random"` (independent uniform draws, as Optuna's),
   * `"lhs"` (a Latin hypercube over every parameter's unit scale) or `"maximin"` (the most
   * spread of 32 Latin hypercubes): startup-design.ts. Neither won more often against
   * Optuna's TPE on the BBOB training suite (round 7: "lhs" 44 of 96 against 52 for
   * "random" at 20 seeds; "maximin" behind "lhs" at 10 seeds).
   * @defaultValue "random"
   */
  readonly startupDesign?: StartupDesignKind;
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
   * ⌈0.25 √n⌉; a cap of 10 is the same up to 100 trials. Round 7: ⌈0.15 n⌉ ranked ahead but won
   * fewer times against Optuna's TPE (46 of 96 against 52, 20 seeds).
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
   * BBOB training suite (bench/tune-tpe.ts, round 2); in round 8 (one metric) 0.25 won more
   * times against Optuna's TPE than 1 on fresh training seeds (52 of 96 against 44, seeds
   * 1020-1039) and as often on the seeds the round-6 defaults were chosen on (52 against 52,
   * seeds 1000-1019), with no loss on either, and on seeds neither was chosen on (round 9:
   * 58 against 52, seeds 1040-1059; docs/guides/optimizers.md). MOTPE keeps 1. Unset,
   * categorical parameters keep a smoothing of 1 in each good or bad trial's kernel (BBOB has
   * none, so 0.25 was never chosen for them); set, the smoothing is this weight, as in Optuna.
   * @defaultValue 0.25 with one metric, 1 with several
   */
  readonly priorWeight?: number;
  /**
   * Weight of the prior kernel in l(x) only (g(x) keeps `priorWeight`): below 1, fewer
   * candidates are drawn from the prior and l(x) is sharper around the good trials, while g(x)
   * still covers the whole domain (round 8: 0.5 won 50 of 96 training problems against
   * Optuna's TPE on seeds 1020-1039, as many as `priorWeight` 0.5 on both sides; the default
   * 0.25 on both won 52). Not in {@link TPE_DEFAULTS}: unset, l(x) uses `priorWeight`.
   * @defaultValue `priorWeight`
   */
  readonly goodPriorWeight?: number;
  /**
   * Past this many told trials, the prior kernel's weight (in l(x) and g(x), and
   * `goodPriorWeight`) is scaled by priorShrink / n: a late-run exploitation schedule, since
   * TPE has no budget. Round 10 (training seeds 1040-1059, 96 BBOB problems): 10, 15, 20 won
   * 58 against Optuna's TPE with no loss, as many as the defaults (58, 1 loss), so it stays
   * off. Categorical smoothing keeps its weight. Not in
   * {@link TPE_DEFAULTS}: unset, the prior keeps its weight.
   * @defaultValue unset
   */
  readonly priorShrink?: number;
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
   * With one metric, `bandwidthGrowth` widens it past 2 dimensions.
   * @defaultValue 0.04 with one metric, 0.1 with several
   */
  readonly bandwidthScale?: number;
  /**
   * Joint kernels in `d` > 2 dimensions are wider: `bandwidthScale · (1 + bandwidthGrowth ·
   * (d − 2))`, longer steps between the basins of a multimodal landscape in more dimensions.
   * 1/6 with one metric (0.04 in 2-d, 0.06 in 5-d) was picked on the BBOB training suite
   * (bench/tune-tpe.ts `--vs-optuna --fewer-losses`, round 6, 20 seeds): it turned the round-5
   * defaults' 6 training losses against Optuna's TPE (all multimodal 5-d problems) into 1 and
   * kept their wins (52 against 51); `bandwidthScale` 0.06 in every dimension, 1/3, wide
   * candidates and a restarting trust region won fewer. 0 with several metrics (MOTPE).
   * @defaultValue 1/6 with one metric, 0 with several
   */
  readonly bandwidthGrowth?: number;
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
   * Off by default: "only" and "min" ranked last on the BBOB training suite (bench/tune-tpe.ts,
   * round 3), "max" with factor 0.25 level with the defaults (10 seeds).
   * @defaultValue undefined
   */
  readonly spreadBandwidth?: { readonly factor: number; readonly combine: "min" | "max" | "only" };
  /**
   * With one metric, this many extra candidates drawn from the best good trial's kernel alone
   * (scored by l(x)/g(x) with the others), so the incumbent's neighbourhood is always tried.
   * 8, with `goodWeights: "rank"`, ranked first on the BBOB training suite (bench/tune-tpe.ts,
   * round 3, 10 seeds); round 5 raised it to 24 with `trustRegion` (patience 8): the most
   * Mann-Whitney wins against Optuna's TPE on the training suite (51 of 96 at 20 seeds, against
   * 43 for the round-4 defaults, with no more losses). Ignored with several metrics.
   * @defaultValue 24
   */
  readonly incumbentCandidates?: number;
  /**
   * Rounds of local search on l(x)/g(x) around the best candidate, each perturbing it
   * `localSearchPoints` times by l(x)'s kernel width (halved every round). Off by default: 2
   * and 4 rounds ranked no better on the BBOB training suite (round 3) and cost up to 1.5× per
   * ask.
   * @defaultValue 0
   */
  readonly localSearchRounds?: number;
  /**
   * Weights of the good trials' kernels in l(x) with one metric: `"equal"` (1 each) or
   * `"rank"` (linearly by rank, best 2n/(n+1) down to 2/(n+1), mean 1), which draws more
   * candidates near the best trials. "rank" with 8 `incumbentCandidates` ranked first on the
   * BBOB training suite (bench/tune-tpe.ts, round 3, 10 seeds). Ignored with several metrics.
   * @defaultValue "rank"
   */
  readonly goodWeights?: "equal" | "rank";
  /**
   * Rotated kernels for l(x): the good trials' kernels share one full bandwidth matrix over the
   * float parameters of a joint group, shaped by the good trials' weighted covariance (shrunk
   * toward isotropy or its diagonal: `shrinkage`, `target`), so l(x) can follow a valley
   * the axes do not. `scale: "shape"` keeps the diagonal kernels' volume (× `factor`);
   * `"scott"` is Scott's rule in matrix form, `factor`² · n^(-2/(d+4)) · Σ. g(x) stays
   * diagonal. `false`: diagonal kernels. With one metric the default (isotropic target) was
   * chosen on the BBOB training suite (bench/tune-tpe.ts, round 4, 20 seeds): mean rank level
   * with shrinkage 5 and ahead of 1 and of the round-3 defaults, with 11 significant wins and 0
   * losses of 96 against the latter. With several metrics it is `false` (a front needs spread,
   * not a valley): MOTPE keeps diagonal kernels.
   * @defaultValue {"scale":"shape","factor":1,"shrinkage":3}
   */
  readonly covarianceKernels?: CovarianceOptions | false;
  /**
   * With one metric, a trust region for the incumbent candidates (trust-region.ts): they are
   * pulled toward the best trial by a factor that halves after `patience` told trials in a row
   * without a better value (down to `min`, default 1/64) and doubles on an improvement.
   * `false`: drawn from the incumbent's kernel as it is. Patience 8 with 24
   * `incumbentCandidates` was picked on the BBOB training suite (bench/tune-tpe.ts
   * `--vs-optuna`, round 5, 20 seeds) for its wins against Optuna's TPE; patience 4, 6, 10, 12
   * and 16 won fewer. Ignored with several metrics.
   * @defaultValue {"patience":8}
   */
  readonly trustRegion?: TrustRegionOptions | false;
  /**
   * With one metric, scale the `incumbentCandidates` by how tight the good trials sit around
   * the best one (incumbent-share.ts): × (low + (high − low) · f), f the weighted share of the
   * other good trials within `radius` kernel widths of it. `false`: a fixed count. Off: on the
   * BBOB training suite (round 7, 10 seeds) it won fewer times against Optuna's TPE (28 of 96
   * against 31), and the good trials sit as tight around the best one on multimodal functions
   * as on unimodal ones, so the signal barely tells them apart.
   * @defaultValue false
   */
  readonly incumbentShare?: IncumbentShareOptions | false;
  /**
   * Exponent of Scott's shrink of joint kernel widths: `bandwidthScale · n^(-decay/(d+4))`
   * for `n` points in `d` dimensions; above 1 the widths narrow faster as trials accumulate.
   * 1.5, 2 and 3 won fewer times against Optuna's TPE on the BBOB training suite (round 5).
   * @defaultValue 1
   */
  readonly bandwidthDecay?: number;
  /**
   * Perturbations per local-search round.
   * @defaultValue 8
   */
  readonly localSearchPoints?: number;
  /**
   * Extra candidates drawn from l(x) with kernels `scale` (> 1) times wider, `perDim` per
   * dimension (so more in higher dimensions), scored by l(x)/g(x) with the others: steps from
   * the good trials long enough to reach another basin. `false`: none.
   * @defaultValue false
   */
  readonly wideCandidates?: { readonly perDim: number; readonly scale: number } | false;
  /**
   * With one metric: `count` extra candidates from one Gaussian fitted to the weighted good
   * trials (their weighted mean; their weighted covariance, standard deviations times `scale`)
   * over the numeric parameters, scored by l(x)/g(x) with the others (round 8, a CMA-ES-like
   * proposal between the good trials: 37-43 wins of 96 training problems against Optuna's TPE
   * on seeds 1020-1039, against 44 without, so off). Ignored with several metrics. `false`:
   * none.
   * @defaultValue false
   */
  readonly gaussianCandidates?: GaussianCandidatesOptions | false;
  /**
   * With one metric, a response-surface step (response-surface.ts): every `every`-th ask after
   * start-up proposes the minimizer of a quadratic model of the loss, fitted by least squares
   * to the best `fraction` of the successful trials over the always-active numeric parameters
   * (full or separable: `model`; once `margin` more trials than unknowns are told), kept inside
   * the bounds (near the fitted trials), integers rounded; categorical and conditional
   * parameters come from TPE's own proposal, and TPE proposes alone when the fit is degenerate
   * or the step lands within 1e-3 (unit scale) of a told trial. Aimed at multimodal landscapes
   * with a global funnel (a quadratic under ripples) and smooth valleys. Ignored with several
   * metrics. `false`: none. Round 11 (docs/guides/optimizers.md) picked every 5th ask over the
   * best half: against Optuna's TPE on the 96 BBOB training problems it won 63 (0 losses)
   * where the round-8 defaults won 58 (1 loss) on seeds 1040-1059, and 57 (1 loss) against 49
   * (1 loss) on fresh seeds 1060-1079.
   * @defaultValue {"every":5,"fraction":0.5}
   */
  readonly responseSurface?: ResponseSurfaceOptions | false;
}

/**
 * The defaults of {@link TPEOptions}, the ones the code uses, chosen on the BBOB training suite
 * only (bench/tune-tpe.ts; docs/guides/optimizers.md has the rankings). Four depend on the
 * problem and are not here: `minBandwidth` (0.01 for joint kernels, `"magic"` for univariate
 * ones), `bandwidthScale` (0.04 with one metric, 0.1 with several), `bandwidthGrowth` (1/6
 * with one metric, 0 with several) and `priorWeight` (0.25 with one metric, 1 with several);
 * nor is `goodPriorWeight`, which follows `priorWeight`.
 *
 * @example
 * ```ts
 * TPE_DEFAULTS.nStartupTrials; // 10
 * ```
 */
export const TPE_DEFAULTS = Object.freeze({
  nStartupTrials: 10,
  startupDesign: "random" as StartupDesignKind,
  nEiCandidates: 24,
  multivariate: true,
  constantLiar: true,
  gamma: defaultGamma,
  weights: defaultWeights,
  considerEndpoints: false,
  hypervolumeWeights: false,
  maxKernels: 128,
  incumbentCandidates: 24,
  localSearchRounds: 0,
  localSearchPoints: 8,
  goodWeights: "rank",
  covarianceKernels: Object.freeze<CovarianceOptions>({ scale: "shape", factor: 1, shrinkage: 3 }),
  trustRegion: Object.freeze<TrustRegionOptions | false>({ patience: 8 }),
  incumbentShare: false as IncumbentShareOptions | false,
  bandwidthDecay: 1,
  wideCandidates: false as { readonly perDim: number; readonly scale: number } | false,
  gaussianCandidates: false as GaussianCandidatesOptions | false,
  responseSurface: Object.freeze<ResponseSurfaceOptions | false>({ every: 5, fraction: 0.5 }),
});

export const TPE_KEYS = optionKeys<TPEOptions>({
  ...OPTIMIZER_OPTION_FLAGS,
  nStartupTrials: true,
  startupDesign: true,
  nEiCandidates: true,
  multivariate: true,
  constantLiar: true,
  gamma: true,
  weights: true,
  priorWeight: true,
  goodPriorWeight: true,
  priorShrink: true,
  considerEndpoints: true,
  minBandwidth: true,
  bandwidthScale: true,
  hypervolumeWeights: true,
  maxKernels: true,
  spreadBandwidth: true,
  incumbentCandidates: true,
  localSearchRounds: true,
  localSearchPoints: true,
  goodWeights: true,
  covarianceKernels: true,
  trustRegion: true,
  incumbentShare: true,
  bandwidthDecay: true,
  bandwidthGrowth: true,
  wideCandidates: true,
  gaussianCandidates: true,
  responseSurface: true,
});
