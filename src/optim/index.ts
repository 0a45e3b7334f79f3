/**
 * Optimizers: search spaces, the shared optimizer contract, random, grid, TPE, NSGA-II,
 * pruners and the optimize loop.
 *
 * @module
 */

// One sorted list (biome sorts exports); the module of each export is in its path.

export {
  BaseOptimizer,
  OptimizerExhaustedError,
  type OptimizerOptions,
} from "./base-optimizer.js";
export { CMA_ES_DEFAULTS, CmaEs, type CmaEsOptions } from "./cmaes/index.js";
export { GridSearch, type GridSearchOptions, gridValues } from "./grid.js";
export * from "./nsga2/index.js";
export * from "./optimize.js";
export {
  crowdingDistance,
  dominates,
  hypervolume2D,
  lossesOf,
  nonDominatedSort,
  paretoFront,
} from "./pareto.js";
export * from "./pruners/index.js";
export { RandomSearch } from "./random.js";
export { Rng } from "./rng.js";
export * from "./space/index.js";
export { DurableSweep, type SweepOptions } from "./sweep/durable-sweep.js";
export {
  SweepBusyError,
  SweepDriverLostError,
  SweepMismatchError,
  SweepOptionError,
  SweepReplayError,
} from "./sweep/errors.js";
export {
  conformanceSpace,
  type TellCase,
  type TellSubject,
  tellConformance,
} from "./tell-conformance.js";
export { TellError, type TellErrorCode } from "./tell-error.js";
export { TPE, type TPEOptions } from "./tpe/index.js";
export type { Choice, Condition, Config, Distribution, Optimizer, Param, Pruner } from "./types.js";
