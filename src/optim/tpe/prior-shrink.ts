/**
 * A prior kernel whose weight shrinks as trials accumulate (`TPEOptions.priorShrink`): early,
 * the prior keeps l(x) and g(x) broad; past `after` told trials its weight is scaled by
 * after / n, so late in a run l(x) draws fewer candidates from the whole domain and sits
 * sharper on the good trials (TPE has no budget, so n stands in for the budget spent).
 *
 * @module
 */

import type { ParzenOptions } from "./parzen.js";

/** The continuous prior's weights for one sample, after `n` told trials. */
export interface ShrunkPrior {
  readonly parzen: ParzenOptions;
  readonly goodPriorWeight: number | undefined;
}

/**
 * `parzen` (and `goodPriorWeight`) with the prior's weight times min(1, after / n); categorical
 * smoothing keeps its unshrunk value (the prior there is the only spread of a choice's kernel).
 */
export function shrinkPrior(
  parzen: ParzenOptions,
  goodPriorWeight: number | undefined,
  after: number | undefined,
  n: number,
): ShrunkPrior {
  if (after === undefined || n <= after) return { parzen, goodPriorWeight };
  const factor = after / n;
  return {
    parzen: {
      ...parzen,
      priorWeight: parzen.priorWeight * factor,
      choiceSmoothing: parzen.choiceSmoothing ?? parzen.priorWeight,
    },
    goodPriorWeight: goodPriorWeight === undefined ? undefined : goodPriorWeight * factor,
  };
}
