/**
 * Multi-objective optimization: NSGA-II and its variation operators.
 *
 * @module
 */

export { NSGA2, type NSGA2Options } from "./nsga2.js";
export { polynomialMutation, sbx, type VariationOptions, vary } from "./variation.js";
