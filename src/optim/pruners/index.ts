/**
 * Pruners: decide from intermediate values (`trial.report(step, value)`) whether a running
 * trial should stop early.
 *
 * @module
 */

export { type DirectionOptions, PrunerOptionError } from "./curves.js";
export { MedianPruner, type MedianPrunerOptions } from "./median.js";
export {
  SuccessiveHalvingPruner,
  type SuccessiveHalvingPrunerOptions,
} from "./successive-halving.js";
