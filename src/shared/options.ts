/**
 * Options objects: one shared check that refuses keys an options type does not have (a typo
 * such as `nStartupTrails` would otherwise be silently ignored), naming the closest valid key.
 *
 * Imports nothing of the project but `errors.ts`, so any room may use it.
 *
 * @module
 */
import { AmltkError, type AmltkErrorOptions } from "./errors.js";

/**
 * A bad options object. Code `unknown_option`: a key the options type does not have
 * ({@link UnknownOptionError}); code `invalid_option`: a known option with a bad value.
 *
 * @example
 * ```ts
 * try {
 *   new TPE({ space, metrics, nStartupTrials: -1 });
 * } catch (e) {
 *   if (e instanceof OptionError) console.error(e.code, e.option); // "invalid_option" "nStartupTrials"
 * }
 * ```
 */
export class OptionError extends AmltkError<"unknown_option" | "invalid_option"> {
  override name = "OptionError";
  constructor(
    code: "unknown_option" | "invalid_option",
    message: string,
    /** The option at fault, when one is. */
    readonly option?: string,
    options?: AmltkErrorOptions,
  ) {
    super(code, message, options);
  }
}

/**
 * An options object has a key its type does not have. `option` is that key, `where` the
 * function or class given it, `closest` the valid key it most likely meant (if any is close).
 *
 * @example
 * ```ts
 * try {
 *   new TPE({ space, metrics, nStartupTrails: 5 });
 * } catch (e) {
 *   if (e instanceof UnknownOptionError) console.error(e.option, e.closest); // nStartupTrails nStartupTrials
 * }
 * ```
 */
export class UnknownOptionError extends OptionError {
  override name = "UnknownOptionError";
  constructor(
    option: string,
    /** Who was given the options, e.g. `"TPE"` or `"init"`. */
    readonly where: string,
    /** The valid option closest to `option`, when one is close enough to be a typo of it. */
    readonly closest: string | undefined,
    known: readonly string[],
  ) {
    const hint = closest === undefined ? "" : ` (did you mean "${closest}"?)`;
    super(
      "unknown_option",
      `${where}: unknown option "${option}"${hint}; valid options: ${[...known].sort().join(", ")}`,
      option,
    );
  }
}

/**
 * The list of an options type's keys, checked by the compiler to be complete: a key added to
 * the type but not here (or here but not in the type) is a type error, so the runtime check of
 * {@link checkOptionKeys} cannot drift from the type.
 *
 * @example
 * ```ts
 * interface FitOptions { epochs?: number; lr?: number }
 * const FIT_KEYS = optionKeys<FitOptions>({ epochs: true, lr: true }); // ["epochs", "lr"]
 * ```
 */
export function optionKeys<T extends object>(
  keys: {
    readonly [K in keyof Required<T>]: true;
  },
): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(keys)) as readonly (keyof T & string)[];
}

/**
 * Refuses an options object with a key not in `known`, with an {@link UnknownOptionError}
 * naming the key and the closest valid one. `undefined` (no options) passes; anything that is
 * not an object is an {@link OptionError}. Keys whose value is `undefined` are checked too: a
 * misspelled key is a mistake whatever its value.
 *
 * @example
 * ```ts
 * checkOptionKeys({ nStartupTrails: 5 }, ["nStartupTrials", "seed"], "TPE");
 * // throws UnknownOptionError: TPE: unknown option "nStartupTrails" (did you mean "nStartupTrials"?); ...
 * ```
 */
export function checkOptionKeys(given: unknown, known: readonly string[], where: string): void {
  if (given === undefined) return;
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw new OptionError(
      "invalid_option",
      `${where}: options must be an object, got ${given === null ? "null" : Array.isArray(given) ? "an array" : typeof given}`,
    );
  }
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw new UnknownOptionError(key, where, closestKey(key, known), known);
    }
  }
}

/**
 * The key of `known` most likely meant by `key`: equal ignoring case, or within an edit
 * distance of about a third of its length (at least 1, at most 3); undefined when none is.
 *
 * @example
 * ```ts
 * closestKey("nStartupTrails", ["nStartupTrials", "seed"]); // "nStartupTrials"
 * closestKey("colour", ["seed"]); // undefined
 * ```
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`: the
 * "optimal string alignment" distance, so a swapped pair of letters (`Trails`/`Trials`) is one
 * typo, not two.
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the dynamic-programming table suffice: a swap looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2]! + 1);
      }
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}
