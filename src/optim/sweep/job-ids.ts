/**
 * How a durable sweep's trials reach an executor that keeps calls beyond its driver (the queue
 * executor): each call carries the trial's job id (`CallExtras.jobId`), so a driver that
 * submits again a trial an earlier driver enqueued reaches that job (its result, or the job
 * still waiting or running) instead of running the trial twice, and a trial journaled but never
 * enqueued (the driver died in between) is enqueued now. Executors that lose their calls with
 * the driver (threads, processes) take no job ids: a resumed sweep reports their in-flight
 * trials crashed.
 *
 * Exactly once: the executor keeps a trial's finished job (its result) until the sweep has
 * journaled the report and acknowledges it. A driver killed between the result's arrival and
 * the journal's commit leaves the job in Redis, and the next driver collects its result
 * instead of running the trial again.
 *
 * @module
 */

import type { CallExtras, Executor } from "../../scheduling/executors/executor.js";
import { type AnyFn, Plugin, type Task } from "../../scheduling/task.js";

/** The job id of the call being submitted now (set only around one synchronous submit). */
let current: string | undefined;

/** Puts the job id {@link withJobId} names on the call being prepared. */
class SweepJobIds extends Plugin {
  readonly name = "sweep-job-ids";
  override prepareCall(call: CallExtras): void {
    if (current === undefined) return;
    call.jobId = current;
    // The result stays in Redis until the sweep journaled the report (see acknowledgeJob).
    call.holdResult = true;
  }
}

/** An executor that holds results until acknowledged (`CallExtras.holdResult`). */
interface Acknowledging {
  acknowledge(jobId: string): Promise<void>;
}

/**
 * Lets `executor` drop job `jobId`'s result: the sweep's journal committed its report, so a
 * resumed driver finds the trial told and never needs the job again. Resolves once it is
 * dropped (a failure leaves the job in Redis: harmless, the trial is told). No-op elsewhere.
 */
export async function acknowledgeJob(executor: Executor, jobId: string): Promise<void> {
  const a = executor as Partial<Acknowledging>;
  if (typeof a.acknowledge === "function") await a.acknowledge(jobId);
}

/** Whether `executor` keeps calls by job id across drivers (the queue executor: `attach`). */
export function resumesJobs(executor: Executor): boolean {
  return typeof (executor as { attach?: unknown }).attach === "function";
}

/**
 * Makes `task`'s calls carry the job ids {@link withJobId} gives; returns the function that
 * takes the plugin off again.
 */
export function useJobIds(task: Task<AnyFn>): () => void {
  const plugin = new SweepJobIds();
  task.plugins.push(plugin);
  return () => {
    const i = task.plugins.indexOf(plugin);
    if (i >= 0) task.plugins.splice(i, 1);
  };
}

/** Runs `submit` (a synchronous task submission) with `jobId` as its call's job id. */
export function withJobId<T>(jobId: string, submit: () => T): T {
  current = jobId;
  try {
    return submit();
  } finally {
    current = undefined;
  }
}
