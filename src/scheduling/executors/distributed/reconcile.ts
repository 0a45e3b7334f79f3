/**
 * The driver's safety net, read straight from Redis: which waiting calls' jobs finished (their
 * message was missed), and which were lost with their worker or vanished. The driver
 * (`queue-executor.ts`) settles what these find; every future settles once whichever path
 * finds it first.
 */
import type { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Future } from "../executor.js";
import { WorkerDiedError } from "../pool.js";
import { isOutcome, lostJobError, lostRunMessage, settleWithOutcome } from "./outcome.js";

/** States of a job no worker holds yet. */
const WAITING = new Set(["waiting", "prioritized", "delayed", "waiting-children"]);

/** How to settle a call's future. */
export type Settle = (future: Future<unknown>) => void;

/** The jobs among `isWaiting`'s calls that are in the completed or failed set. */
export async function finishedJobs(
  cmd: Redis,
  queue: Queue,
  isWaiting: (id: string) => boolean,
): Promise<Job[]> {
  const [completed, failed] = await Promise.all([
    cmd.zrange(queue.keys.completed, 0, -1),
    cmd.zrange(queue.keys.failed, 0, -1),
  ]);
  const ids = [...completed, ...failed].filter(isWaiting);
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
  return jobs.filter((j): j is Job => j !== undefined);
}

/** How a finished job settles its call (its outcome, or a lost worker); undefined: not finished. */
export async function settlementOf(job: Job): Promise<Settle | undefined> {
  const id = job.id as string;
  const state = await job.getState();
  if (state === "completed") {
    const value = job.returnvalue as unknown;
    return (f) =>
      isOutcome(value)
        ? settleWithOutcome(f, value)
        : f.setException(new WorkerDiedError(`Job ${id} finished without an amltk outcome`));
  }
  if (state === "failed") return (f) => f.setException(lostJobError(id, job.failedReason));
  return undefined;
}

/**
 * A job whose worker was lost goes back to wait (BullMQ's stalled check, which the driver runs
 * too); the next worker to take it runs it again only if it never started (`ams`, the takes
 * that started it) or a retry is left, and otherwise reports it lost. With no worker left the
 * driver does the same: a waiting job that stalled and used up its runs is removed (which
 * fails while a worker holds it) and reported lost. A job gone from Redis altogether (a Redis
 * without persistence restarted) is reported lost too. One pipelined read per call.
 */
export async function lostRuns(
  cmd: Redis,
  queue: Queue,
  calls: { id: string; retries: number }[],
): Promise<{ id: string; settle: Settle }[]> {
  if (calls.length === 0) return [];
  const pipeline = cmd.pipeline();
  for (const { id } of calls) pipeline.hmget(queue.toKey(id), "name", "stc", "ams");
  const rows = (await pipeline.exec()) ?? [];
  const out: { id: string; settle: Settle }[] = [];
  for (const [i, { id, retries }] of calls.entries()) {
    const [err, fields] = rows[i] ?? [];
    if (err) continue;
    const [name, stalled, starts] = fields as (string | null)[];
    if (name === null) {
      const gone = `Job ${id} is gone from Redis (was Redis restarted without persistence?)`;
      out.push({ id, settle: (f) => f.setException(new WorkerDiedError(gone)) });
      continue;
    }
    const runs = starts ? starts.split(",").length : 0;
    if (Number(stalled ?? 0) === 0 || runs < retries + 1) continue;
    if (!WAITING.has(await queue.getJobState(id))) continue;
    if ((await queue.remove(id).catch(() => 0)) !== 1) continue;
    const message = lostRunMessage(id, runs, retries);
    out.push({ id, settle: (f) => f.setException(new WorkerDiedError(message)) });
  }
  return out;
}
