/**
 * A canonical text key for a configuration, so optimizers can tell whether two configurations
 * are the same point regardless of the order their keys were written in.
 *
 * @module
 */

import type { Config } from "../types.js";

/**
 * The configuration as JSON with keys sorted: equal configurations give equal keys.
 *
 * @example
 * ```ts
 * configKey({ b: 1, a: "x" }) === configKey({ a: "x", b: 1 }); // true
 * ```
 */
export function configKey(config: Readonly<Config>): string {
  const keys = Object.keys(config).sort();
  return JSON.stringify(keys.map((k) => [k, config[k]]));
}
