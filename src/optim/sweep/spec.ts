/**
 * A sweep's spec: what must stay the same for a journal to mean the same sweep (the
 * optimizer's class, seed and options, the space, the metrics), as JSON kept in the sweep's
 * record, and the first difference between two specs.
 *
 * @module
 */

import { BaseOptimizer, OPTIMIZER_DEFAULTS } from "../base-optimizer.js";
import type { Optimizer } from "../types.js";
import { SweepMismatchError } from "./errors.js";

/**
 * The JSON form of what a sweep was started with.
 *
 * @example
 * ```ts
 * const spec: SweepSpec = specOf(new RandomSearch({ space: s, metrics: loss, seed: 1 }));
 * spec.optimizer; // "RandomSearch"
 * ```
 */
export interface SweepSpec {
  optimizer: string;
  seed: number | null;
  settings: Record<string, unknown>;
  space: unknown;
  metrics: unknown[];
}

/** The spec of an optimizer (for one not built on `BaseOptimizer`: its class and metrics). */
export function specOf(optimizer: Optimizer): SweepSpec {
  const metrics = optimizer.metrics.map((m) => m.toJSON());
  if (!(optimizer instanceof BaseOptimizer))
    return {
      optimizer: optimizer.constructor.name,
      seed: null,
      settings: {},
      space: null,
      metrics,
    };
  const settings: Record<string, unknown> = { ...optimizer.settings };
  // Said or left to its default, the seed is the optimizer's own; an unsaid prefix is the default.
  delete settings.seed;
  if (settings.prefix === OPTIMIZER_DEFAULTS.prefix) delete settings.prefix;
  return {
    optimizer: optimizer.constructor.name,
    seed: optimizer.seed,
    settings,
    space: JSON.parse(JSON.stringify(optimizer.space)),
    metrics,
  };
}

/**
 * Throws a {@link SweepMismatchError} naming the first place where `given` differs from
 * `stored`.
 */
export function checkSameSpec(sweep: string, stored: unknown, given: SweepSpec): void {
  const diff = firstDifference(stored, JSON.parse(JSON.stringify(given)), "");
  if (diff) throw new SweepMismatchError(sweep, diff.path || "spec", diff.stored, diff.given);
}

interface Difference {
  path: string;
  stored: unknown;
  given: unknown;
}

function firstDifference(a: unknown, b: unknown, path: string): Difference | undefined {
  if (Object.is(a, b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
      if (d) return d;
    }
    return undefined;
  }
  return { path, stored: a, given: b };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
