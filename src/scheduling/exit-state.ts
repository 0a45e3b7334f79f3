/** How `Scheduler.run` ended: its exit code and the state it resolves with. */

/**
 * Why `Scheduler.run` ended: `stop()` was called, the `timeout` passed, the queue ran empty
 * (with `endOnEmpty`), a cancelled future ended it, or an exception did.
 *
 * @example
 * ```ts
 * const { code } = await scheduler.run({ timeout: 60 });
 * if (code === "TIMEOUT") console.log("ran out of time");
 * ```
 */
export type ExitCode = "STOPPED" | "TIMEOUT" | "EXHAUSTED" | "CANCELLED" | "UNKNOWN" | "EXCEPTION";

/**
 * What `Scheduler.run` resolves with: the {@link ExitCode}, and the exception, stop message and
 * errors raised while draining, where there are any.
 *
 * @example
 * ```ts
 * const state: ExitState = await scheduler.run({ onException: "end" });
 * if (state.code === "EXCEPTION") console.error(state.exception);
 * ```
 */
export interface ExitState {
  code: ExitCode;
  exception?: unknown;
  message?: string;
  drainErrors?: unknown[];
}
