/**
 * How a durable sweep's trials reach an executor that keeps jobs beyond its driver (the queue
 * executor): each call carries the trial's job id, so a driver that resubmits a trial an
 * earlier driver enqueued reaches that job (its result, or the job still running) instead of
 * running the trial twice. Executors that lose their calls with the driver (threads,
 * processes) take no job ids: a resumed sweep reports their in-flight trials crashed.
 *
 * @module
 */

import type { Executor } from "../../scheduling/executors/executor.js";

/** Whether `executor` keeps calls by job id across drivers (it has `attach`). */
export function resumesJobs(executor: Executor): boolean {
  return typeof (executor as { attach?: unknown }).attach === "function";
}

/** Submits through `submit` with `jobId` as the call's job id (where the executor takes one). */
export function withJobId<T>(_trial: string, _jobId: string, submit: () => T): T {
  return submit();
}
