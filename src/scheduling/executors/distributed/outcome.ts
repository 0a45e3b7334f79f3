/** Turning a job's {@link Outcome} (or BullMQ failure) into the result or error of its future. */
import type { Future } from "../executor.js";
import {
  CpuTimeExceeded,
  type LimitExceededError,
  MemoryLimitExceeded,
  WallTimeExceeded,
} from "../limits.js";
import { WorkerDiedError } from "../pool.js";
import { RemoteError } from "../wire.js";
import { type Outcome, outcomeValue } from "./protocol.js";

/** BullMQ's stalled limit: high, so that BullMQ never fails a stalled job by itself. */
export const STALLED_REQUEUES = 1_000_000;

/** Why a job is not run again: it was started `runs` times, each lost with its worker. */
export function lostRunMessage(jobId: string, runs: number, retries: number): string {
  return (
    `The worker running job ${jobId} stopped responding (its lock expired: the worker was ` +
    `killed, ran out of memory or lost Redis); the call was not run again ` +
    `(${runs} lost run${runs === 1 ? "" : "s"}, retries: ${retries})`
  );
}

/** BullMQ's failed reason for a job whose worker stopped renewing its lock too often. */
export const STALLED_REASON = "job stalled more than allowable limit";

function limitError(limit: string, value: number): LimitExceededError {
  if (limit === "cpuTime") return new CpuTimeExceeded(value);
  if (limit === "memory") return new MemoryLimitExceeded(value);
  return new WallTimeExceeded(value);
}

/** Settles `future` with `outcome`: the value, or the error made on this side (class kept). */
export function settleWithOutcome(future: Future<unknown>, outcome: Outcome): void {
  if ("ok" in outcome) future.setResult(outcomeValue(outcome));
  else if ("e" in outcome) future.setException(new RemoteError(outcome.e));
  else if ("died" in outcome) future.setException(new WorkerDiedError(outcome.died));
  else future.setException(limitError(outcome.limit, outcome.value));
}

/** What a BullMQ failure of job `id` means for its call: the worker running it was lost. */
export function lostJobError(id: string, failedReason: string | undefined): WorkerDiedError {
  if (!failedReason || failedReason === STALLED_REASON) {
    return new WorkerDiedError(
      `The worker running job ${id} stopped responding (its lock expired: the worker was ` +
        `killed, ran out of memory or lost Redis); the call was not run again`,
    );
  }
  return new WorkerDiedError(`Job ${id} was lost with its worker: ${failedReason}`);
}

/** Whether `value` looks like an {@link Outcome} (a job's return value written by amltk). */
export function isOutcome(value: unknown): value is Outcome {
  if (value === null || typeof value !== "object") return false;
  return "ok" in value || "e" in value || "died" in value || "limit" in value;
}
