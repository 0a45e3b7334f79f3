/**
 * TPE's two estimators for one group of parameters: l(x) over the good trials and g(x) over the
 * bad ones, each fitted only to the trials where the group was active.
 *
 * @module
 */

import type { Ranked } from "./good-bad-split.js";
import type { Group } from "./groups.js";
import { Parzen, type ParzenOptions } from "./parzen.js";
import { thin } from "./thin-kernels.js";

/** A told trial (or, while sampling, a pending one), as TPE ranks and fits it. */
export interface Observation extends Ranked {
  /** Unit values / choice indices per space parameter; NaN where inactive. */
  readonly row: Float64Array;
  /** Failed or crashed (not merely pending). */
  readonly failed: boolean;
}

/**
 * A failure says more about a region than a point (a config that runs out of memory has
 * neighbours that do too), so failed trials' kernels in g(x) are this many times wider.
 */
const FAILED_WIDEN = 4;

/** The good and the bad trials with their kernels' weights, as the split gives them. */
export interface GoodAndBad {
  readonly below: readonly Observation[];
  readonly belowWeights: readonly number[];
  readonly above: readonly Observation[];
  readonly aboveWeights: readonly number[];
}

/**
 * l(x) and g(x) for `group`; g(x) keeps at most `maxKernels` kernels (older bad trials
 * thinned). `incumbent` is the kernel of the good trial with the lowest first loss (with one
 * metric; undefined with several, or with no good trial). `goodPriorWeight`, given, replaces
 * the prior kernel's weight in l(x) only.
 */
export function groupEstimators(
  group: Group,
  split: GoodAndBad,
  parzen: ParzenOptions,
  maxKernels: number,
  goodPriorWeight?: number,
): {
  l: Parzen;
  g: Parzen;
  incumbent: number | undefined;
  incumbentPoint?: Float64Array;
  /** The good trials' rows (the group's columns) and kernel weights, as in l(x). */
  good: { rows: Float64Array; weights: readonly number[] };
} {
  const good = activeIn(group, split.below, split.belowWeights);
  const goodRows = rowsOf(group, good.trials);
  const active = activeIn(group, split.above, split.aboveWeights);
  const { picks, weights } = thin(active.weights, maxKernels);
  const bad: Observation[] = [];
  const widen = new Float64Array(picks.length);
  let anyFailed = false;
  for (let i = 0; i < picks.length; i++) {
    const o = active.trials[picks[i] as number] as Observation;
    bad.push(o);
    widen[i] = o.failed ? FAILED_WIDEN : 1;
    if (o.failed) anyFailed = true;
  }
  const lOptions =
    goodPriorWeight === undefined ? parzen : { ...parzen, priorWeight: goodPriorWeight };
  const l = new Parzen(group.dims, goodRows, good.trials.length, good.weights, lOptions);
  // Rotated kernels are for l(x) only unless asked (the bad trials mostly fill the space), and
  // never with failed trials, whose kernels are wider than a shared matrix allows.
  const rotateBad = parzen.covariance?.bad === true && !anyFailed;
  const gOptions = parzen.covariance && !rotateBad ? { ...parzen, covariance: undefined } : parzen;
  const g = new Parzen(group.dims, rowsOf(group, bad), bad.length, weights, gOptions, widen);
  const incumbent = bestOne(good.trials);
  const d = group.slots.length;
  const incumbentPoint =
    incumbent === undefined ? undefined : goodRows.subarray(incumbent * d, incumbent * d + d);
  return { l, g, incumbent, incumbentPoint, good: { rows: goodRows, weights: good.weights } };
}

/** The trials (and their weights) where the group was active. */
function activeIn(
  group: Group,
  trials: readonly Observation[],
  weights: readonly number[],
): { trials: readonly Observation[]; weights: readonly number[] } {
  const first = group.slots[0] as number;
  // Most groups are active in every trial: those take the lists as they are, uncopied.
  if (trials.every((o) => !Number.isNaN(o.row[first]))) return { trials, weights };
  const kept: Observation[] = [];
  const keptWeights: number[] = [];
  for (let i = 0; i < trials.length; i++) {
    const o = trials[i] as Observation;
    if (Number.isNaN(o.row[first])) continue;
    kept.push(o);
    keptWeights.push(weights[i] as number);
  }
  return { trials: kept, weights: keptWeights };
}

/** The group's columns of `trials`, one flat row each. */
function rowsOf(group: Group, trials: readonly Observation[]): Float64Array {
  const d = group.slots.length;
  const rows = new Float64Array(trials.length * d);
  const slots = group.slots;
  for (let i = 0; i < trials.length; i++) {
    const row = (trials[i] as Observation).row;
    for (let j = 0; j < d; j++) rows[i * d + j] = row[slots[j] as number] as number;
  }
  return rows;
}

/** Index of the single-metric best of `trials` (the first of equals), if it is defined. */
function bestOne(trials: readonly Observation[]): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < trials.length; i++) {
    const losses = trials[i].losses;
    if (losses?.length !== 1) return undefined;
    if (best === undefined || losses[0] < (trials[best].losses as number[])[0]) best = i;
  }
  return best;
}
