/**
 * Host ("driver") side of the distributed executor: each call becomes a BullMQ job that an
 * `amltk worker` on any machine reaching Redis runs in a child process (see `queue-worker.ts`).
 *
 * Where results come from (the fast path and the safe one):
 * - Fast: every worker pushes a finished job's outcome onto this driver's own Redis list
 *   (after BullMQ recorded the job as completed); the driver pops up to 1,000 at a time with
 *   one blocking `BLMPOP` (`driver-connections.ts`). For one driver this is as fast as
 *   BullMQ's QueueEvents stream (`bench/distributed.ts`, `resultsPath`: 172 vs 177 jobs/s on
 *   a loaded 2-core machine, equal within noise); it is used because it scales and keeps: each
 *   driver reads only its own results (every driver reads the whole event stream, several
 *   events per job of every driver), the list keeps results while the driver is away (the
 *   stream is capped and trimmed), and it carries the outcome, so the job need not be read
 *   again.
 * - Safe: a result never depends on a message being seen. The outcome is also the job's
 *   return value, kept in Redis until this driver took it and removed the job (the
 *   acknowledgement). A reconciliation pass (`reconcile.ts`), on a timer and on every
 *   reconnect, reads the ids in the completed/failed sets and settles any call still waiting;
 *   it also finds jobs lost with their worker when no worker is left to report them.
 *
 * Every future settles once: the first of the two paths wins, the other finds nothing to do.
 */
import {
  type Call,
  type ChannelMsg,
  type Executor,
  Future,
  type ShutdownOptions,
} from "../executor.js";
import { toModuleCall, WorkerDiedError } from "../pool.js";
import { assertCloneable } from "../wire.js";
import { Acknowledgements, removeJobs } from "./acks.js";
import { type DriverConnections, openDriverConnections } from "./driver-connections.js";
import { assertJobId, listQueueJobs, type QueuedJob } from "./job-ids.js";
import {
  type QueueExecutorOptions,
  type ResolvedQueueOptions,
  resolveQueueOptions,
} from "./options.js";
import { settleWithOutcome } from "./outcome.js";
import {
  type CallMsg,
  type DriverMsg,
  decodeChannelMsg,
  encodeArgs,
  encodeChannelMsg,
  INBOX_TTL_SECONDS,
  JOB_NAME,
  type QueueJobData,
  workerInbox,
} from "./protocol.js";
import { finishedJobs, lostRuns, settlementOf } from "./reconcile.js";

export type { QueuedJob } from "./job-ids.js";

/** Reconciliation passes between checks for lost runs when no stalled job was seen here. */
const LOST_CHECK_EVERY = 10;

interface Pending {
  future: Future<unknown>;
  channel?: Call["channel"];
  /** The worker running it (known for calls with a channel, from their start message). */
  workerId?: string;
  /** Channel messages posted before the worker was known. */
  outbox: ChannelMsg[];
  /** The job is in Redis (its add resolved). */
  added: boolean;
  /** Runs allowed after a run lost with its worker (the job's `r`). */
  retries: number;
  /** The future was cancelled; the job's outcome, if it ran anyway, is still acknowledged. */
  cancelled: boolean;
  /** Settled, the job stays in Redis until {@link QueueExecutor.acknowledge} (`holdResult`). */
  hold: boolean;
}

/**
 * Runs each call as a BullMQ job on Redis, served by `amltk worker` processes on any machine.
 * Functions must be importable, at the same path on the workers (same checkout or a shared
 * file system). Results, errors, limits, Comm messages and lost workers come back as on the
 * processes executor.
 *
 * Durable sweeps: give calls stable ids (`CallExtras.jobId`, e.g. set in a plugin's
 * `prepareCall`); a job id already in the queue is never run twice. A driver started again
 * (same `driverId` to also get the messages sent while it was away) finds its jobs with
 * {@link QueueExecutor.listJobs} and re-attaches with {@link QueueExecutor.attach}. A finished
 * job stays in Redis until a driver took its result, and, for a call with `holdResult`, until
 * the caller said the result is durable ({@link QueueExecutor.acknowledge}).
 *
 * @example
 * ```ts
 * const executor = new QueueExecutor({ connection: "redis://127.0.0.1:6379", queue: "sweep", maxWorkers: 8 });
 * const scheduler = new Scheduler(executor); // what Scheduler.withQueue(...) does
 * // elsewhere: amltk worker --redis redis://127.0.0.1:6379 --queue sweep --concurrency 4
 * ```
 */
export class QueueExecutor implements Executor {
  readonly maxWorkers: number;
  readonly requiresImportable = true;
  readonly options: Readonly<ResolvedQueueOptions>;
  #pending = new Map<string, Pending>();
  #toAdd: { id: string; data: QueueJobData }[] = [];
  #flushing?: Promise<void>;
  #acks = new Acknowledgements(
    () => this.#conn?.queue,
    (ids) => removeJobs(this.options, ids),
  );
  #conn?: DriverConnections;
  #opening?: Promise<DriverConnections>;
  /** Removals of cancelled jobs under way: closing waits for them. */
  #removals = new Set<Promise<void>>();
  #seq = 0;
  #idle: (() => void)[] = [];
  #reconciling = false;
  /** Reconciliation passes so far; every {@link LOST_CHECK_EVERY}th also looks for lost runs. */
  #passes = 0;
  /** This driver's stalled check moved jobs back to wait: look for lost runs now. */
  #lostCheckDue = false;

  constructor(options: QueueExecutorOptions) {
    this.options = Object.freeze(resolveQueueOptions(options));
    this.maxWorkers = this.options.maxWorkers;
  }

  /** This driver's id (its message list); pass it again to a new driver to resume. */
  get driverId(): string {
    return this.options.driverId;
  }

  submit<T = unknown>(call: Call): Future<T> {
    const mc = toModuleCall(call);
    assertCloneable(mc.args, `The arguments of "${mc.exportName}"`, "args");
    const id = call.jobId ?? `${this.options.driverId}.${++this.#seq}`;
    assertJobId(id);
    const known = this.#pending.get(id);
    if (known) return known.future as Future<T>;
    const future = new Future<T>();
    const limits = call.limits && Object.keys(call.limits).length > 0 ? call.limits : undefined;
    const data: QueueJobData = {
      m: mc.moduleUrl,
      e: mc.exportName,
      ...encodeArgs(mc.args),
      d: this.options.driverId,
      r: this.options.retries,
    };
    if (limits) data.l = limits;
    if (call.channel) data.c = call.channel.requestTimeout;
    const p: Pending = {
      future: future as Future<unknown>,
      channel: call.channel,
      outbox: [],
      added: false,
      retries: this.options.retries,
      cancelled: false,
      hold: call.holdResult === true && call.jobId !== undefined,
    };
    this.#pending.set(id, p);
    call.channel?.open((msg) => this.#postToCall(id, p, msg), p.future);
    future.setCanceller(() => this.#cancel(id, p));
    this.#toAdd.push({ id, data });
    this.#flushing ??= this.#flushAdds();
    return future;
  }

  /**
   * Re-attaches to job `jobId` (enqueued by this or an earlier driver): a future that settles
   * with the job's result whether it finished while no driver listened, is still waiting or
   * running, or was lost with its worker (a `WorkerDiedError`). Undefined when no such job is
   * in Redis (never enqueued, or its result was already taken). `holdResult`: as on a call
   * (`CallExtras.holdResult`), the job stays until {@link QueueExecutor.acknowledge}.
   *
   * @example
   * ```ts
   * for (const job of await executor.listJobs("sweep-7.")) {
   *   const future = await executor.attach(job.id);
   *   future?.promise.then((report) => history.add(report));
   * }
   * ```
   */
  async attach<T = unknown>(
    jobId: string,
    options: { holdResult?: boolean } = {},
  ): Promise<Future<T> | undefined> {
    assertJobId(jobId);
    const known = this.#pending.get(jobId);
    if (known) return known.future as Future<T>;
    const conn = await this.#open();
    const job = await conn.queue.getJob(jobId);
    if (!job) return undefined;
    const again = this.#pending.get(jobId);
    if (again) return again.future as Future<T>;
    const retries = (job.data as Partial<QueueJobData>).r ?? 0;
    const p: Pending = {
      future: new Future(),
      outbox: [],
      added: true,
      retries,
      cancelled: false,
      hold: options.holdResult === true,
    };
    this.#pending.set(jobId, p);
    p.future.state = "running";
    const settle = await settlementOf(job);
    if (settle) this.#settle(jobId, p, () => settle(p.future));
    return p.future as Future<T>;
  }

  /**
   * The jobs in the queue whose id starts with `prefix`, with their BullMQ state ("waiting",
   * "active", "completed", "failed", ...): what a driver resuming a sweep looks for.
   *
   * @example
   * ```ts
   * const running = (await executor.listJobs("sweep-7.")).filter((j) => j.state === "active");
   * ```
   */
  async listJobs(prefix = ""): Promise<QueuedJob[]> {
    return listQueueJobs((await this.#open()).queue, prefix);
  }

  /**
   * Takes job `jobId`'s result out of Redis: for a call submitted with `holdResult` (or
   * attached so), once the caller put its result somewhere durable. Until then a driver that
   * dies leaves the finished job in Redis, and the next driver collects it instead of running
   * the call again. Acknowledging a job that is not held, or not settled yet, does nothing
   * (a call is acknowledged once it settled and was acknowledged, in either order). Resolves
   * once the removal reached Redis (after the executor closed too, on a connection of its own).
   *
   * @example
   * ```ts
   * const future = executor.submit({ ...call, jobId: "sweep-7.trial-3", holdResult: true });
   * const report = await future.promise;
   * await journal.commit(report);
   * executor.acknowledge("sweep-7.trial-3");
   * ```
   */
  acknowledge(jobId: string): Promise<void> {
    this.#acks.release(jobId, this.#pending.get(jobId)?.hold === true);
    return this.#acks.flush();
  }

  /**
   * Resolves once the acknowledgements made so far reached Redis (a closing executor does
   * this by itself).
   *
   * @example
   * ```ts
   * executor.acknowledge(id);
   * await executor.flushAcknowledgements(); // the job is gone from Redis
   * ```
   */
  async flushAcknowledgements(): Promise<void> {
    await this.#acks.flush();
  }

  async shutdown({ wait }: ShutdownOptions): Promise<void> {
    if (wait) {
      if (this.#waiting() > 0) await new Promise<void>((r) => this.#idle.push(r));
    } else {
      for (const [id, p] of this.#pending) {
        if (p.cancelled || p.future.done) continue;
        if (!p.future.cancel()) {
          p.channel?.end();
          p.future.setException(
            new WorkerDiedError(
              `The driver stopped without waiting while job ${id} ran on worker ` +
                `${p.workerId ?? "(unknown)"}; its result stays in Redis for attach()`,
            ),
          );
        }
      }
    }
    await this.#close();
  }

  // ---- connections --------------------------------------------------------------------

  #open(): Promise<DriverConnections> {
    this.#opening ??= openDriverConnections(this.options, {
      message: (msg) => this.#onMessage(msg),
      reconcile: (lost) => {
        if (lost) this.#lostCheckDue = true;
        this.#reconcileSoon();
      },
    }).then((conn) => {
      this.#conn = conn;
      return conn;
    });
    return this.#opening;
  }

  async #close(): Promise<void> {
    await this.#opening?.catch(() => {});
    const conn = this.#conn;
    this.#opening = undefined;
    if (!conn) return;
    await this.#flushing;
    await Promise.all(this.#removals);
    await this.#acks.sendNow();
    this.#conn = undefined;
    await conn.close();
  }

  // ---- enqueue --------------------------------------------------------------------------

  async #flushAdds(): Promise<void> {
    // Calls submitted in the same turn go in one addBulk (one round trip).
    await Promise.resolve();
    while (this.#toAdd.length > 0) {
      const batch = this.#toAdd.splice(0);
      try {
        const conn = await this.#open();
        await conn.queue.addBulk(
          batch.map(({ id, data }) => ({
            name: JOB_NAME,
            data,
            opts: {
              jobId: id,
              attempts: data.r + 1,
              removeOnComplete: false,
              removeOnFail: false,
            },
          })),
        );
        for (const { id } of batch) {
          const p = this.#pending.get(id);
          if (p) p.added = true;
        }
      } catch (e) {
        for (const { id } of batch) {
          const p = this.#pending.get(id);
          this.#pending.delete(id);
          p?.channel?.end();
          p?.future.setException(e);
        }
        this.#checkIdle();
      }
    }
    this.#flushing = undefined;
  }

  #cancel(id: string, p: Pending): boolean {
    if (p.workerId !== undefined) return false; // running: it cannot be taken back
    p.cancelled = true;
    p.channel?.end();
    const queued = this.#toAdd.findIndex((a) => a.id === id);
    if (queued >= 0) {
      this.#toAdd.splice(queued, 1);
      this.#pending.delete(id);
    } else {
      const removal = this.#removeCancelled(id);
      this.#removals.add(removal);
      void removal.finally(() => this.#removals.delete(removal));
    }
    queueMicrotask(() => this.#checkIdle());
    return true;
  }

  /** Takes a cancelled job out of the queue, unless a worker holds it: then it runs, and its
   * outcome is acknowledged unseen. */
  async #removeCancelled(id: string): Promise<void> {
    await this.#flushing; // its add may still be on the way
    const removed = await this.#conn?.queue.remove(id).catch(() => 0);
    if (removed === 1) this.#pending.delete(id);
  }

  // ---- messages from workers -------------------------------------------------------------

  #onMessage(msg: DriverMsg): void {
    const p = this.#pending.get(msg.j);
    if (!p) return; // an earlier driver's job, not attached (yet): its result stays in Redis
    if (msg.t === "s") {
      p.workerId = msg.w;
      p.future.state = "running";
      for (const m of p.outbox.splice(0)) this.#postToCall(msg.j, p, m);
    } else if (msg.t === "c") {
      p.channel?.receive(decodeChannelMsg(msg));
    } else {
      const { j, t, ...outcome } = msg;
      this.#settle(j, p, () => settleWithOutcome(p.future, outcome));
    }
  }

  #postToCall(id: string, p: Pending, msg: ChannelMsg): void {
    if (p.workerId === undefined) {
      p.outbox.push(msg);
      return;
    }
    const conn = this.#conn;
    if (!conn) return;
    const out: CallMsg = { ...encodeChannelMsg(msg), j: id };
    const inbox = workerInbox(this.options.prefix, this.options.queue, p.workerId);
    // Queued by ioredis while Redis is away, kept in the list until the worker reads it.
    void conn.cmd
      .multi()
      .rpush(inbox, JSON.stringify(out))
      .expire(inbox, INBOX_TTL_SECONDS)
      .exec()
      .catch(() => {});
  }

  /** Settles a pending call once (whichever path comes first) and acknowledges its job. */
  #settle(id: string, p: Pending, settle: () => void): void {
    if (this.#pending.get(id) !== p) return;
    this.#pending.delete(id);
    if (!p.cancelled) {
      p.channel?.end();
      settle();
    }
    this.#acks.settled(id, p.hold && !p.cancelled);
    this.#checkIdle();
  }

  // ---- reconciliation ---------------------------------------------------------------------

  #reconcileSoon(): void {
    if (this.#reconciling || this.#pending.size === 0 || !this.#conn) return;
    this.#reconciling = true;
    void this.#reconcile(this.#conn)
      .catch(() => {})
      .finally(() => {
        this.#reconciling = false;
      });
  }

  /** Settles every waiting call whose job finished or was lost, reading Redis directly. */
  async #reconcile(conn: DriverConnections): Promise<void> {
    for (const job of await finishedJobs(conn.cmd, conn.queue, (id) => this.#pending.has(id))) {
      const p = this.#pending.get(job.id as string);
      const settle = p && (await settlementOf(job));
      if (p && settle) this.#settle(job.id as string, p, () => settle(p.future));
    }
    if (this.#lostCheckDue || ++this.#passes % LOST_CHECK_EVERY === 0) {
      this.#lostCheckDue = false;
      const calls = [...this.#pending]
        .filter(([, p]) => p.added && !p.cancelled)
        .map(([id, p]) => ({ id, retries: p.retries }));
      for (const { id, settle } of await lostRuns(conn.cmd, conn.queue, calls)) {
        const p = this.#pending.get(id);
        if (p) this.#settle(id, p, () => settle(p.future));
      }
    }
  }

  // ---- idle -----------------------------------------------------------------------------

  #waiting(): number {
    let n = 0;
    for (const p of this.#pending.values()) if (!p.cancelled) n++;
    return n;
  }

  #checkIdle(): void {
    if (this.#idle.length > 0 && this.#waiting() === 0) for (const r of this.#idle.splice(0)) r();
  }
}
