/**
 * The Tree-structured Parzen Estimator optimizer.
 *
 * @module
 */

export { TPE, type TPEOptions } from "./tpe.js";
