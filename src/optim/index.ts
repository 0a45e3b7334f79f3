/**
 * Optimizers: search spaces, the shared optimizer contract, random, grid, TPE, NSGA-II,
 * pruners and the optimize loop.
 *
 * @module
 */

// --- tpe (src/optim/tpe) ---
export { TPE, type TPEOptions } from "./tpe/index.js";

// --- space, contract, random, grid, multi-objective ---
export {
  BaseOptimizer,
  OptimizerExhaustedError,
  type OptimizerOptions,
} from "./base-optimizer.js";
export { GridSearch, type GridSearchOptions, gridValues } from "./grid.js";
export * from "./nsga2/index.js";
// --- pruning/optimize (src/optim/pruners, src/optim/optimize.ts) ---
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
export type { Choice, Condition, Config, Distribution, Optimizer, Param, Pruner } from "./types.js";
