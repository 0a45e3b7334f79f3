/**
 * Builders for the parameters of a search space: `float`, `int`, `categorical`, `constant`.
 * They only describe; {@link space} names and checks them, so that every error can name the
 * parameter it is about.
 *
 * @module
 */

import type { Choice, Distribution } from "../types.js";

/**
 * When a parameter is active: `{ parent: value }` or `{ parent: [values...] }`, one parent per
 * parameter. Conditions chain: a parent may itself be conditional, and a child is active only
 * when its whole chain is.
 *
 * @example
 * ```ts
 * const when: When = { kernel: ["rbf", "poly"] }; // active for either kernel
 * ```
 */
export type When = Readonly<Record<string, Choice | readonly Choice[]>>;

/**
 * An unnamed parameter, as the builders return it; {@link space} gives it its name.
 *
 * @example
 * ```ts
 * const spec: ParamSpec = float(0, 1, { default: 0.5 });
 * ```
 */
export interface ParamSpec {
  readonly dist: Distribution;
  readonly default?: Choice;
  readonly when?: When;
}

/**
 * Options of {@link float} and {@link int}.
 *
 * @example
 * ```ts
 * const opts: NumericOptions = { log: true, default: 1e-3, when: { optimizer: "sgd" } };
 * ```
 */
export interface NumericOptions {
  /** Sample on a log scale (bounds must be positive). */
  log?: boolean;
  /** Only values `low + k * step` (must divide `high - low`; ints default to 1). */
  step?: number;
  /** The default value (else the middle of the scale). */
  default?: number;
  /** Active only when a parent takes given values. */
  when?: When;
}

/**
 * Options of {@link categorical} and {@link constant}.
 *
 * @example
 * ```ts
 * const opts: ChoiceOptions = { default: "rbf", when: { kind: "svm" } };
 * ```
 */
export interface ChoiceOptions {
  /** The default choice (else the first). */
  default?: Choice;
  /** Active only when a parent takes given values. */
  when?: When;
}

function spec(dist: Distribution, def: Choice | undefined, when: When | undefined): ParamSpec {
  const out: { dist: Distribution; default?: Choice; when?: When } = { dist };
  if (def !== undefined) out.default = def;
  if (when !== undefined) out.when = when;
  return out;
}

/**
 * A real-valued parameter in `[low, high]`, optionally on a log scale or a step grid.
 *
 * @example
 * ```ts
 * const s = space({ lr: float(1e-5, 1e-1, { log: true }), dropout: float(0, 0.5, { step: 0.1 }) });
 * ```
 */
export function float(low: number, high: number, options: NumericOptions = {}): ParamSpec {
  const dist: Distribution =
    options.step === undefined
      ? { type: "float", low, high, log: options.log ?? false }
      : { type: "float", low, high, log: options.log ?? false, step: options.step };
  return spec(dist, options.default, options.when);
}

/**
 * An integer parameter in `[low, high]` (both included), optionally on a log scale or with a
 * step.
 *
 * @example
 * ```ts
 * const s = space({ layers: int(1, 8), units: int(16, 1024, { log: true }), batch: int(32, 256, { step: 32 }) });
 * ```
 */
export function int(low: number, high: number, options: NumericOptions = {}): ParamSpec {
  const dist: Distribution = {
    type: "int",
    low,
    high,
    log: options.log ?? false,
    step: options.step ?? 1,
  };
  return spec(dist, options.default, options.when);
}

/**
 * A parameter taking one of `choices` (strings, finite numbers, booleans, null), unordered.
 *
 * @example
 * ```ts
 * const s = space({ kernel: categorical(["linear", "rbf"], { default: "rbf" }) });
 * ```
 */
export function categorical(choices: readonly Choice[], options: ChoiceOptions = {}): ParamSpec {
  const list = Array.isArray(choices) ? [...choices] : choices;
  return spec({ type: "categorical", choices: list }, options.default, options.when);
}

/**
 * A parameter with one fixed value; it appears in every configuration where it is active.
 *
 * @example
 * ```ts
 * const s = space({ loss: constant("hinge"), C: float(0.1, 10) });
 * ```
 */
export function constant(value: Choice, options: Pick<ChoiceOptions, "when"> = {}): ParamSpec {
  return spec({ type: "constant", value }, undefined, options.when);
}
