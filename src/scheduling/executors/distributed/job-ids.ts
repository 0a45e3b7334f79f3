/** Job ids of the queue executor: what a valid one is, and listing a sweep's jobs. */
import type { JobType, Queue } from "bullmq";
import { AmltkError } from "../../../shared/errors.js";

/**
 * A call's `jobId` that BullMQ cannot take: empty, with a `:` (BullMQ's key separator), or
 * all digits (BullMQ's own ids). Code `invalid_job_id`.
 *
 * @example
 * ```ts
 * try { executor.submit({ ...call, jobId: "sweep:1" }); }
 * catch (e) { if (e instanceof InvalidJobIdError) console.error(e.message); }
 * ```
 */
export class InvalidJobIdError extends AmltkError<"invalid_job_id"> {
  constructor(id: unknown) {
    super(
      "invalid_job_id",
      `Invalid job id ${JSON.stringify(id)}: use a non-empty string without ":" that is not ` +
        `all digits, e.g. "sweep-7.trial-12"`,
    );
    this.name = "InvalidJobIdError";
  }
}

/** Throws an {@link InvalidJobIdError} unless BullMQ can use `id` as a custom job id. */
export function assertJobId(id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.includes(":") || /^\d+$/.test(id)) {
    throw new InvalidJobIdError(id);
  }
}

/**
 * One job of the queue as {@link QueueExecutor.listJobs} reports it.
 *
 * @example
 * ```ts
 * const job: QueuedJob = { id: "sweep-7.trial-12", state: "completed" };
 * ```
 */
export interface QueuedJob {
  id: string;
  /** BullMQ's state: "waiting", "active", "completed", "failed", "delayed", "prioritized", ... */
  state: JobType;
}

const STATES: JobType[] = [
  "active",
  "waiting",
  "prioritized",
  "delayed",
  "waiting-children",
  "completed",
  "failed",
];

/** The ids (and states) of `queue`'s jobs that start with `prefix`; ids only, no job bodies. */
export async function listQueueJobs(queue: Queue, prefix: string): Promise<QueuedJob[]> {
  const out: QueuedJob[] = [];
  const seen = new Set<string>();
  for (const state of STATES) {
    for (const id of await queue.getRanges([state], 0, -1)) {
      // A job moving between states may show twice; the earlier (less finished) state wins.
      if (!id.startsWith(prefix) || seen.has(id)) continue;
      seen.add(id);
      out.push({ id, state });
    }
  }
  return out;
}
