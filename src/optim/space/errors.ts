/**
 * `SpaceError`: the one error type a search space throws, naming the parameter and the value
 * that was wrong so that a user can fix the definition or the configuration directly.
 *
 * @module
 */
import { AmltkError } from "../../shared/errors.js";

/**
 * A search space definition or a configuration is invalid. Code `invalid_space`.
 *
 * @example
 * ```ts
 * try {
 *   float(1, 0);
 * } catch (e) {
 *   if (e instanceof SpaceError) console.log(e.param, e.value); // undefined, [1, 0]
 * }
 * ```
 */
export class SpaceError extends AmltkError<"invalid_space"> {
  override readonly name = "SpaceError";
  /** The parameter at fault, when known (builders do not know their name yet). */
  readonly param: string | undefined;
  /** The offending value (a bound, a choice list, a config value...). */
  readonly value: unknown;

  constructor(message: string, options: { param?: string; value?: unknown } = {}) {
    super(
      "invalid_space",
      options.param === undefined ? message : `param "${options.param}": ${message}`,
    );
    this.param = options.param;
    this.value = options.value;
  }

  /** The same error, now naming `param` (used when a builder's spec is given a name). */
  withParam(param: string): SpaceError {
    if (this.param !== undefined) return this;
    return new SpaceError(this.message, { param, value: this.value });
  }
}

/**
 * Renders a value for an error message.
 *
 * @example
 * ```ts
 * show("svm"); // '"svm"'
 * show(undefined); // "undefined"
 * ```
 */
export function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
