/**
 * Pruners: decide from intermediate values (`trial.report(step, value)`) whether a running
 * trial should stop early; and the trial-side helpers (`Pruned`, `isPruned`, `attachPruner`, ...).
 *
 * @module
 */

export {
  answerPruning,
  attachPruner,
  attachPruningChannel,
  INTERMEDIATE_KEY,
  intermediateValues,
  isPruned,
  PRUNING_MESSAGE,
  Pruned,
  type PruningChannel,
} from "../../trial/pruning.js";
export { type DirectionOptions, PrunerOptionError } from "./curves.js";
export {
  HYPERBAND_DEFAULTS,
  HyperbandPruner,
  type HyperbandPrunerOptions,
} from "./hyperband.js";
export { MedianPruner, type MedianPrunerOptions } from "./median.js";
export {
  SuccessiveHalvingPruner,
  type SuccessiveHalvingPrunerOptions,
} from "./successive-halving.js";
