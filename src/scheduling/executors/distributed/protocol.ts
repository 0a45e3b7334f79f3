/**
 * What the driver (`QueueExecutor`) and `amltk worker` say to each other through Redis, next to
 * BullMQ's own job records.
 *
 * - A call is a BullMQ job whose data is a {@link QueueJobData}: the `importable` contract
 *   (module URL + export name) and the arguments, encoded with the process pool's JSON wire
 *   codec (`wire.ts`), so values cross exactly as to a process worker.
 * - The job's return value is its {@link Outcome} (a user error is an outcome, not a BullMQ
 *   failure: BullMQ failures are kept for the worker being lost), and it stays in Redis until a
 *   driver took it and removed the job ("acknowledged").
 * - While a job runs, the worker pushes {@link DriverMsg}s onto the driver's list (`driverKey`):
 *   the job started, Comm messages, and the outcome once BullMQ has recorded it. A list, not
 *   pub/sub, so that nothing the driver has not read is lost while it is away; BullMQ's event
 *   stream is not used for results at all (it is capped).
 * - The driver sends Comm messages to the running call by pushing {@link CallMsg}s onto the
 *   worker's inbox list (`workerInbox`), which the worker reads with a blocking pop: a list,
 *   not pub/sub, so a message sent while the worker's connection is down (a Redis restart)
 *   waits for it instead of being lost.
 */
import type { ChannelMsg, LimitSpec } from "../executor.js";
import { fromJsonWire, toJsonWire, type WireError, type WireJob, type WorkerMsg } from "../wire.js";

/** BullMQ's job name for amltk calls. */
export const JOB_NAME = "amltk-call";

/** The data of one queued call. */
export interface QueueJobData {
  /** module URL */
  m: string;
  /** export name */
  e: string;
  /** arguments, when JSON keeps them unchanged */
  a?: unknown[];
  /** arguments, v8-serialized as base64 otherwise */
  A?: string;
  /** present: the call gets a Comm handle with this request timeout (s) */
  c?: number;
  /** resource limits, enforced by the worker's local process pool */
  l?: LimitSpec;
  /** the id of the driver whose list gets this job's messages */
  d: string;
  /** how many times a lost job may be run again (hand-back on a worker's SIGTERM) */
  r: number;
}

/** How a call ended, as stored in the job's return value and pushed to the driver. */
export type Outcome =
  /** the function's value (`v`, or `V`: v8-serialized base64 when JSON would change it) */
  | { ok: 1; v?: unknown; V?: string }
  /** the function threw (or could not be imported / was not allowed) */
  | { e: WireError }
  /** the process running it died, or the worker stopped it without a retry left */
  | { died: string }
  /** over a resource limit */
  | { limit: keyof LimitSpec; value: number };

/** Worker -> driver, on the driver's list. `j` is the BullMQ job id. */
export type DriverMsg =
  /** started on worker `w` (sent only for calls with a Comm channel) */
  | { j: string; t: "s"; w: string }
  /** a Comm message from the call */
  | ({ j: string; t: "c"; D?: string } & ChannelMsg)
  /** the job's outcome, sent after BullMQ recorded it as completed */
  | ({ j: string; t: "r" } & Outcome);

/** Driver -> worker, published on the worker's channel: a Comm message for job `j`. */
export type CallMsg = { j: string; D?: string } & ChannelMsg;

/** The Redis list a driver reads its messages from. */
export function driverKey(prefix: string, queue: string, driverId: string): string {
  return `${prefix}:${queue}:driver:${driverId}`;
}

/** The Redis list a worker reads its calls' Comm messages from. */
export function workerInbox(prefix: string, queue: string, workerId: string): string {
  return `${prefix}:${queue}:worker:${workerId}:inbox`;
}

/** Seconds a worker's inbox outlives its last message (a worker that died leaves it behind). */
export const INBOX_TTL_SECONDS = 24 * 3600;

/** The arguments of a call as job data fields (`a`, or `A` when JSON would change them). */
export function encodeArgs(args: unknown[]): Pick<QueueJobData, "a" | "A"> {
  const job: WireJob = { id: 0, m: "", e: "", a: args };
  const wire = toJsonWire({ t: "run", jobs: [job] }) as { jobs: [{ a?: unknown[]; A?: string }] };
  const [encoded] = wire.jobs;
  return encoded.A !== undefined ? { A: encoded.A } : { a: encoded.a };
}

/** The inverse of {@link encodeArgs}. */
export function decodeArgs(data: Pick<QueueJobData, "a" | "A">): unknown[] {
  const raw = { t: "run", jobs: [{ id: 0, m: "", e: "", a: data.a, A: data.A }] };
  return (fromJsonWire(raw) as { jobs: WireJob[] }).jobs[0]?.a ?? [];
}

/** A function's value as an {@link Outcome}, keeping what JSON would change. */
export function valueOutcome(value: unknown): Outcome {
  const wire = toJsonWire({ t: "r", id: 0, ok: 1, v: value }) as { v?: unknown; V?: string };
  return wire.V !== undefined ? { ok: 1, V: wire.V } : { ok: 1, v: wire.v };
}

/** The value of an `ok` {@link Outcome}. */
export function outcomeValue(outcome: { v?: unknown; V?: string }): unknown {
  const raw = { t: "r", id: 0, ok: 1, v: outcome.v, V: outcome.V };
  return (fromJsonWire(raw) as Extract<WorkerMsg, { t: "r" }>).v;
}

/** A Comm message's data, keeping what JSON would change (`D`). */
export function encodeChannelMsg<M extends ChannelMsg>(msg: M): M & { D?: string } {
  return toJsonWire({ t: "c", id: 0, ...msg }) as M & { D?: string };
}

/** The inverse of {@link encodeChannelMsg}: a plain {@link ChannelMsg}. */
export function decodeChannelMsg(raw: ChannelMsg & { D?: string }): ChannelMsg {
  const m = fromJsonWire({ ...raw, t: "c" }) as unknown as ChannelMsg & { t?: string };
  const out: ChannelMsg = { k: m.k };
  if (m.rid !== undefined) out.rid = m.rid;
  if (m.d !== undefined) out.d = m.d;
  return out;
}
