/** Options of `Scheduler.run`, and the exception-handling modes they name. */
import { optionKeys } from "../shared/options.js";

/**
 * What a run does with an error: `"raise"` ends the run and rejects `run()` with it, `"end"`
 * ends the run with code `EXCEPTION`, `"continue"` ignores it.
 *
 * @example
 * ```ts
 * const mode: ExceptionMode = "continue";
 * await scheduler.run({ onException: mode });
 * ```
 */
export type ExceptionMode = "raise" | "end" | "continue";
/**
 * An error class to match with `instanceof` in an {@link OnException} list.
 *
 * @example
 * ```ts
 * const retryable: ErrorClass = WorkerDiedError;
 * await scheduler.run({ onException: [[retryable, "continue"]] });
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: any error class
export type ErrorClass = abstract new (...args: any[]) => unknown;
/**
 * One {@link ExceptionMode} for every error, or `[ErrorClass, mode]` pairs checked in order
 * (first `instanceof` match wins; an error matching none is raised).
 *
 * @example
 * ```ts
 * const onException: OnException = [
 *   [LimitExceededError, "continue"],
 *   [Error, "end"],
 * ];
 * await scheduler.run({ onException });
 * ```
 */
export type OnException = ExceptionMode | readonly (readonly [ErrorClass, ExceptionMode])[];

/**
 * Options of `Scheduler.run`: when to end (`timeout` in seconds, `endOnEmpty`), whether to wait
 * for pending work at the end, and what errors and cancellations do.
 *
 * @example
 * ```ts
 * const options: RunOptions = { timeout: 300, endOnEmpty: true, wait: false, onException: "end" };
 * const exit = await scheduler.run(options);
 * ```
 */
export interface RunOptions {
  /** Seconds before the run ends with TIMEOUT. */
  timeout?: number;
  /**
   * End the run (EXHAUSTED) once nothing is queued or running.
   * @defaultValue true
   */
  endOnEmpty?: boolean;
  /**
   * false: cancel pending work at the end instead of waiting for it.
   * @defaultValue true
   */
  wait?: boolean;
  /**
   * What an error in a call or a handler does.
   * @defaultValue "raise"
   */
  onException?: OnException;
  /**
   * What a cancelled call does.
   * @defaultValue "raise"
   */
  onCancelled?: ExceptionMode;
}

/**
 * The defaults of {@link RunOptions}, the ones `Scheduler.run` uses.
 *
 * @example
 * ```ts
 * RUN_DEFAULTS.onException; // "raise"
 * ```
 */
export const RUN_DEFAULTS = Object.freeze({
  endOnEmpty: true,
  wait: true,
  onException: "raise",
  onCancelled: "raise",
} as const);

/** The keys of {@link RunOptions}, for the unknown-key check of `Scheduler.run`. */
export const RUN_OPTION_KEYS = optionKeys<RunOptions>({
  timeout: true,
  endOnEmpty: true,
  wait: true,
  onException: true,
  onCancelled: true,
});

/** The mode `spec` gives `err`: the string mode itself, or the first pair whose class `err` is an instance of ("raise" when none is). */
export function resolveMode(spec: OnException, err: unknown): ExceptionMode {
  if (typeof spec === "string") return spec;
  for (const [cls, mode] of spec) if (err instanceof cls) return mode;
  return "raise";
}
