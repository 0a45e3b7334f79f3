/**
 * CMA-ES with IPOP restarts.
 *
 * @module
 */
export { CMA_ES_DEFAULTS, CmaEs, type CmaEsOptions } from "./cmaes.js";
