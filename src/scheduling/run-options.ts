/** Options of `Scheduler.run`, and the exception-handling modes they name. */

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
  endOnEmpty?: boolean;
  /** false: cancel pending work at the end instead of waiting for it. */
  wait?: boolean;
  onException?: OnException;
  onCancelled?: ExceptionMode;
}

/** The mode `spec` gives `err`: the string mode itself, or the first pair whose class `err` is an instance of ("raise" when none is). */
export function resolveMode(spec: OnException, err: unknown): ExceptionMode {
  if (typeof spec === "string") return spec;
  for (const [cls, mode] of spec) if (err instanceof cls) return mode;
  return "raise";
}
