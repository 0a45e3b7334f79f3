/**
 * {@link TPEOptions} checked and resolved to what TPE's parts take (defaults from
 * {@link TPE_DEFAULTS}; some depend on the number of metrics): a bad value is an
 * {@link OptionError} (`invalid_option`) naming the option and the value.
 *
 * @module
 */

import { OptionError } from "../../shared/options.js";
import type { SearchSpace } from "../space/index.js";
import type { AcquisitionOptions } from "./acquisition.js";
import type { CovarianceOptions } from "./covariance.js";
import type { IncumbentShareOptions } from "./incumbent-share.js";
import type { ParzenOptions } from "./parzen.js";
import { ResponseSurface } from "./response-surface.js";
import { StartupDesign } from "./startup-design.js";
import { TPE_DEFAULTS, type TPEOptions } from "./tpe-options.js";
import { TrustRegion } from "./trust-region.js";

/** The kernels' options, checked, with defaults (some depend on the number of metrics). */
export function parzenOf(options: TPEOptions, metrics: number): ParzenOptions {
  const d = TPE_DEFAULTS;
  const multivariate = options.multivariate ?? d.multivariate;
  // Round 8: a lighter prior kernel in one-metric TPE (sharper l(x)); MOTPE keeps Optuna's 1.
  // BBOB, where 0.25 was chosen, has no categorical parameter, so by default categorical
  // choices keep Optuna's smoothing of 1 (a lighter one explored choices less on a mixed space).
  const priorWeight = options.priorWeight ?? (metrics > 1 ? 1 : 0.25);
  const choiceSmoothing = options.priorWeight === undefined ? 1 : undefined;
  if (!(priorWeight > 0)) throw invalid("priorWeight", "> 0", priorWeight);
  const bandwidthScale = options.bandwidthScale ?? (metrics > 1 ? 0.1 : 0.04);
  if (!(bandwidthScale > 0)) throw invalid("bandwidthScale", "> 0", bandwidthScale);
  const minBandwidth = options.minBandwidth ?? (multivariate ? 0.01 : "magic");
  if (minBandwidth !== "magic" && !(minBandwidth > 0 && minBandwidth <= 1))
    throw invalid("minBandwidth", 'in (0, 1] or "magic"', minBandwidth);
  const spread = options.spreadBandwidth;
  if (spread !== undefined && !(spread.factor > 0 && SPREAD_COMBINE.includes(spread.combine)))
    throw invalid("spreadBandwidth", 'a factor > 0 and combine "min", "max" or "only"', spread);
  const asked: CovarianceOptions | false =
    options.covarianceKernels ?? (metrics > 1 ? false : d.covarianceKernels);
  const covariance = asked === false ? undefined : asked;
  if (
    covariance !== undefined &&
    !(
      covariance.factor > 0 &&
      (covariance.scale === "shape" || covariance.scale === "scott") &&
      (covariance.shrinkage === undefined || covariance.shrinkage >= 0) &&
      (covariance.target === undefined || COVARIANCE_TARGETS.includes(covariance.target))
    )
  )
    throw invalid(
      "covarianceKernels",
      'a factor > 0, scale "shape" or "scott", shrinkage >= 0, target "isotropic" or "diagonal"',
      covariance,
    );
  const bandwidthDecay = options.bandwidthDecay ?? d.bandwidthDecay;
  if (!(bandwidthDecay > 0)) throw invalid("bandwidthDecay", "> 0", bandwidthDecay);
  const bandwidthGrowth = options.bandwidthGrowth ?? (metrics > 1 ? 0 : 1 / 6);
  if (!(bandwidthGrowth >= 0 && Number.isFinite(bandwidthGrowth)))
    throw invalid("bandwidthGrowth", "a finite number >= 0", bandwidthGrowth);
  return {
    priorWeight,
    choiceSmoothing,
    multivariate,
    bandwidthDecay,
    bandwidthGrowth,
    considerEndpoints: options.considerEndpoints ?? d.considerEndpoints,
    minBandwidth,
    bandwidthScale,
    spread,
    covariance,
  };
}

/** `goodPriorWeight`, checked; undefined when unset (l(x) then uses `priorWeight`). */
export function goodPriorWeightOf(options: TPEOptions): number | undefined {
  const w = options.goodPriorWeight;
  if (w !== undefined && !(w > 0 && Number.isFinite(w)))
    throw invalid("goodPriorWeight", "a finite number > 0", w);
  return w;
}

/** `priorShrink`, checked; undefined when unset (the prior keeps its weight). */
export function priorShrinkOf(options: TPEOptions): number | undefined {
  const after = options.priorShrink;
  if (after !== undefined && !(Number.isInteger(after) && after >= 1))
    throw invalid("priorShrink", "an integer >= 1", after);
  return after;
}

const SPREAD_COMBINE: readonly string[] = ["min", "max", "only"];
const COVARIANCE_TARGETS: readonly string[] = ["isotropic", "diagonal"];

/** The trust region of the incumbent candidates, checked; undefined when off or with several metrics. */
export function trustRegionOf(options: TPEOptions, metrics: number): TrustRegion | undefined {
  const asked = options.trustRegion ?? TPE_DEFAULTS.trustRegion;
  if (asked === false || metrics > 1) return undefined;
  const min = asked.min ?? 1 / 64;
  const restart = asked.restart ?? 0;
  if (
    !(
      Number.isInteger(asked.patience) &&
      asked.patience >= 1 &&
      min > 0 &&
      min <= 1 &&
      Number.isInteger(restart) &&
      restart >= 0
    )
  )
    throw invalid(
      "trustRegion",
      "a patience integer >= 1, min in (0, 1] and a restart integer >= 0",
      asked,
    );
  return new TrustRegion(asked);
}

/** The acquisition's options, checked, with defaults. */
export function acquisitionOf(options: TPEOptions): AcquisitionOptions {
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
    wide: wideOf(options.wideCandidates ?? d.wideCandidates),
    gaussian: gaussianOf(options.gaussianCandidates ?? d.gaussianCandidates),
  };
}

/** `gaussianCandidates`, checked; `false` as none. */
function gaussianOf(asked: TPEOptions["gaussianCandidates"]): AcquisitionOptions["gaussian"] {
  if (asked === false || asked === undefined) return { count: 0, scale: 1, center: "mean" };
  if (
    !(
      Number.isInteger(asked.count) &&
      asked.count >= 1 &&
      asked.scale > 0 &&
      Number.isFinite(asked.scale)
    )
  )
    throw invalid("gaussianCandidates", "an integer count >= 1 and a finite scale > 0", asked);
  const center = asked.center ?? "mean";
  if (center !== "mean" && center !== "best")
    throw invalid("gaussianCandidates", 'a center of "mean" or "best"', asked);
  return { count: asked.count, scale: asked.scale, center };
}

/** `wideCandidates`, checked; `false` as no wide candidates. */
function wideOf(asked: TPEOptions["wideCandidates"]): AcquisitionOptions["wide"] {
  if (asked === false || asked === undefined) return { perDim: 0, scale: 1 };
  if (!(asked.perDim >= 0 && asked.scale > 0 && Number.isFinite(asked.perDim * asked.scale)))
    throw invalid("wideCandidates", "a perDim >= 0 and a finite scale > 0", asked);
  return asked;
}

/** `n` when it is an integer of at least `min`; else an {@link OptionError} naming `what`. */
export function intAtLeast(what: string, n: number, min: number): number {
  if (!Number.isInteger(n) || n < min) throw invalid(what, `an integer >= ${min}`, n);
  return n;
}

/** An `invalid_option` error naming the option, what it must be, and the value given. */
function invalid(option: string, must: string, got: unknown): OptionError {
  return new OptionError(
    "invalid_option",
    `TPE: ${option} must be ${must}, got ${JSON.stringify(got) ?? String(got)}`,
    option,
  );
}

/** The start-up design, checked; undefined for independent uniform draws. */
export function startupDesignOf(
  options: TPEOptions,
  space: SearchSpace,
  size: number,
): StartupDesign | undefined {
  const kind = options.startupDesign ?? TPE_DEFAULTS.startupDesign;
  if (!STARTUP_DESIGNS.includes(kind))
    throw invalid("startupDesign", '"random", "lhs" or "maximin"', kind);
  return kind === "random" || size === 0 ? undefined : new StartupDesign(space, size, kind);
}

const STARTUP_DESIGNS: readonly string[] = ["random", "lhs", "maximin"];

/** `incumbentShare`, checked; undefined when off or with several metrics. */
export function incumbentShareOf(
  options: TPEOptions,
  metrics: number,
): IncumbentShareOptions | undefined {
  const asked = options.incumbentShare ?? TPE_DEFAULTS.incumbentShare;
  if (asked === false) return undefined;
  if (
    !(
      asked.radius > 0 &&
      asked.low >= 0 &&
      asked.high >= 0 &&
      Number.isFinite(asked.radius * asked.low * asked.high)
    )
  )
    throw invalid("incumbentShare", "a radius > 0 and finite low, high >= 0", asked);
  return metrics > 1 ? undefined : asked;
}

/** `responseSurface`, checked; undefined when off or with several metrics. */
export function responseSurfaceOf(
  options: TPEOptions,
  metrics: number,
  space: SearchSpace,
): ResponseSurface | undefined {
  const asked = options.responseSurface ?? TPE_DEFAULTS.responseSurface;
  if (asked === false) return undefined;
  const resolved = {
    every: asked.every,
    fraction: asked.fraction ?? 1,
    model: asked.model ?? "auto",
    margin: asked.margin ?? 5,
    values: asked.values ?? "raw",
  };
  if (
    !(
      Number.isInteger(resolved.every) &&
      resolved.every >= 1 &&
      resolved.fraction > 0 &&
      resolved.fraction <= 1 &&
      SURFACE_MODELS.includes(resolved.model) &&
      Number.isInteger(resolved.margin) &&
      resolved.margin >= 0 &&
      (resolved.values === "raw" || resolved.values === "rank")
    )
  )
    throw invalid(
      "responseSurface",
      'an every integer >= 1, fraction in (0, 1], model "full", "separable" or "auto", a margin integer >= 0, values "raw" or "rank"',
      asked,
    );
  return metrics > 1 ? undefined : new ResponseSurface(resolved, space);
}

const SURFACE_MODELS: readonly string[] = ["full", "separable", "auto"];
