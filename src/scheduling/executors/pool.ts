/**
 * The worker pool shared by the threads and processes executors: queueing, dispatch,
 * pipelining, cancellation, worker death, resource limits and Comm channels. Subclasses
 * only say how to start a worker and how to stop it.
 *
 * Throughput: a call costs one message each way. When calls are short (the recent average
 * service time is under {@link PIPELINE_BELOW_MS}) and more are queued than workers are
 * idle, the pool keeps up to {@link DEPTH} calls in flight per worker, sent in batches, so a
 * worker never idles waiting for the host. Calls pipelined behind a running one have not
 * started: they can still be cancelled, go back to the queue if their worker dies, and are
 * moved to an idle worker when one runs out of work ("stealing"). Calls with limits or a
 * Comm channel run alone on their worker, so watchdogs and channels see exactly one call.
 */

import { AmltkError } from "../../shared/errors.js";
import {
  type Call,
  type CallChannel,
  type Executor,
  Future,
  isFunctionCall,
  type LimitSpec,
  type ModuleCall,
  type ShutdownOptions,
} from "./executor.js";
import { type LimitExceededError, type Usage, watchLimits } from "./limits.js";
import { Queue } from "./queue.js";
import {
  assertCloneable,
  type HostMsg,
  RemoteError,
  type WireJob,
  type WorkerMsg,
} from "./wire.js";

/** Calls whose average service time is below this (ms) are pipelined. */
export const PIPELINE_BELOW_MS = 2;
/** Most calls in flight per worker when pipelining. */
export const DEPTH = 32;

/**
 * A worker died or was stopped while running a call; the message says how
 * (e.g. "Worker process exited (code null, signal SIGKILL) while running a call").
 * Code `worker_died`.
 *
 * @example
 * ```ts
 * task.on("onException", (_f, err) => {
 *   if (err instanceof WorkerDiedError) console.log("worker lost:", err.message);
 * });
 * ```
 */
export class WorkerDiedError extends AmltkError<"worker_died"> {
  constructor(how: string) {
    super("worker_died", how);
    this.name = "WorkerDiedError";
  }
}

/** How a worker ended. */
export interface WorkerExit {
  /** e.g. "Worker process exited (code 3, signal null) while running a call". */
  description: string;
}

/** What a subclass hands the pool for each worker it starts. */
export interface PoolWorker {
  post(msg: HostMsg): void;
  /** Stop it: graceful lets it exit by itself; otherwise terminate it. Resolves once it is gone. */
  stop(graceful: boolean): Promise<void>;
  /** Kill it now (a limit was breached); resolves once it is gone. */
  kill(): Promise<void>;
  /** CPU seconds used and resident bytes, where the platform tells (for limits). */
  usage(tid?: number): Usage;
}

export interface WorkerHooks {
  message(m: WorkerMsg): void;
  exit(how: WorkerExit): void;
}

interface Job {
  future: Future<unknown>;
  wire: WireJob;
  channel?: CallChannel;
  limits?: LimitSpec;
  exclusive: boolean;
  /** The future was cancelled while the job sat in a worker's pipeline. */
  cancelled: boolean;
  /** Asked back from a worker's pipeline, to run on an idle one. */
  stealing: boolean;
  slot?: Slot;
  sentAt: number;
  stopWatch?: () => void;
}

interface Slot {
  w: PoolWorker;
  /** Jobs sent and not yet replied to, in order: the first one is running. */
  jobs: Job[];
  exclusive: boolean;
  tid?: number;
  lastDone: number;
  /** The worker said hello: it started. */
  started?: boolean;
  /** We stopped it (replaced, or over a limit). */
  retired?: boolean;
}

export function toModuleCall(call: Call): ModuleCall {
  if (!isFunctionCall(call)) return call;
  if (!call.module) {
    throw new TypeError(
      `Function "${call.fn.name || "<anonymous>"}" cannot run in a worker: it has no importable ` +
        `module. Export it from a module and wrap it with importable(fn, import.meta.url, "name").`,
    );
  }
  return { ...call.module, args: call.args };
}

export abstract class WorkerPool implements Executor {
  readonly maxWorkers: number;
  readonly requiresImportable = true;
  #slots: Slot[] = [];
  #queue = new Queue<Job>();
  #idle: (() => void)[] = [];
  /** Workers being stopped outside shutdown (limit breach, replaced): shutdown awaits them. */
  #dying = new Set<Promise<void>>();
  #closing = false;
  /** Moving average of per-call service time (ms); Infinity until measured. */
  #serviceMs = Number.POSITIVE_INFINITY;
  #nextId = 0;
  /** Workers in a row that died before they started; at 3 the queue fails instead. */
  #startFailures = 0;

  constructor(maxWorkers: number) {
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
      throw new RangeError(`maxWorkers must be a positive integer, got ${maxWorkers}`);
    }
    this.maxWorkers = maxWorkers;
  }

  /** Start a worker. */
  protected abstract startWorker(hooks: WorkerHooks): PoolWorker;

  /** Throws an `UnsupportedLimitError` for a limit this kind of worker cannot enforce. */
  assertLimits(_limits: LimitSpec): void {}

  submit<T = unknown>(call: Call): Future<T> {
    const mc = toModuleCall(call);
    assertCloneable(mc.args, `The arguments of "${mc.exportName}"`, "args");
    const future = new Future<T>();
    const limits = call.limits && Object.keys(call.limits).length > 0 ? call.limits : undefined;
    if (limits) this.assertLimits(limits);
    const job: Job = {
      future: future as Future<unknown>,
      wire: { id: ++this.#nextId, m: mc.moduleUrl, e: mc.exportName, a: mc.args },
      channel: call.channel,
      limits,
      exclusive: limits !== undefined || call.channel !== undefined,
      cancelled: false,
      stealing: false,
      sentAt: 0,
    };
    if (call.channel) job.wire.c = call.channel.requestTimeout;
    if (limits) job.wire.w = 1;
    future.setCanceller(() => this.#cancel(job));
    this.#queue.push(job);
    this.#pump();
    return future;
  }

  #cancel(job: Job): boolean {
    const slot = job.slot;
    if (!slot) {
      this.#queue.remove(job);
      return true;
    }
    if (slot.jobs[0] === job) return false; // running
    job.cancelled = true;
    this.#post(slot, { t: "cancel", id: job.wire.id });
    return true;
  }

  #post(slot: Slot, msg: HostMsg): void {
    try {
      slot.w.post(msg);
    } catch {
      // The worker is going away; its exit settles or requeues its jobs.
    }
  }

  #spawn(): Slot {
    const slot: Slot = { jobs: [], exclusive: false, lastDone: 0 } as unknown as Slot;
    slot.w = this.startWorker({
      message: (m) => this.#onMessage(slot, m),
      exit: (how) => this.#onExit(slot, how),
    });
    this.#slots.push(slot);
    return slot;
  }

  #retire(slot: Slot, kill = false): void {
    this.#slots = this.#slots.filter((s) => s !== slot);
    slot.retired = true;
    const gone = kill ? slot.w.kill() : slot.w.stop(false);
    this.#dying.add(gone);
    void gone.finally(() => this.#dying.delete(gone));
  }

  /** A slot for `job`, starting or replacing workers as allowed; undefined: wait. */
  #pick(job: Job): Slot | undefined {
    for (const s of this.#slots) if (s.jobs.length === 0) return s;
    if (this.#slots.length < this.maxWorkers) return this.#spawn();
    if (job.exclusive || this.#serviceMs >= PIPELINE_BELOW_MS) return undefined;
    let best: Slot | undefined;
    for (const s of this.#slots) {
      if (s.exclusive) continue;
      if (!best || s.jobs.length < best.jobs.length) best = s;
    }
    // Refill at half depth, so that refills go out in batches.
    return best && best.jobs.length <= DEPTH / 2 ? best : undefined;
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#closing) {
      const first = this.#queue.peek() as Job;
      const slot = this.#pick(first);
      if (!slot) break;
      const batch = [this.#queue.shift() as Job];
      if (!first.exclusive && this.#serviceMs < PIPELINE_BELOW_MS) {
        const share = Math.ceil(this.#queue.length / this.#slots.length);
        let room = Math.min(DEPTH - slot.jobs.length - 1, share);
        while (room-- > 0 && this.#queue.length > 0 && !(this.#queue.peek() as Job).exclusive) {
          batch.push(this.#queue.shift() as Job);
        }
      }
      this.#send(slot, batch);
    }
    if (this.#queue.length === 0) this.#steal();
    if (this.#queue.length === 0 && this.#slots.every((s) => s.jobs.length === 0)) {
      for (const r of this.#idle.splice(0)) r();
    }
  }

  /** An idle worker takes back the not-yet-started calls queued on a busy one. */
  #steal(): void {
    if (this.#closing || !this.#slots.some((s) => s.jobs.length > 1)) return;
    if (!this.#slots.some((s) => s.jobs.length === 0)) return;
    for (const s of this.#slots) {
      for (const job of s.jobs.slice(1)) {
        if (job.cancelled || job.stealing) continue;
        job.stealing = true;
        this.#post(s, { t: "cancel", id: job.wire.id });
      }
    }
  }

  #send(slot: Slot, batch: Job[]): void {
    const now = performance.now();
    if (slot.jobs.length === 0) slot.lastDone = now;
    for (const job of batch) {
      job.slot = slot;
      job.sentAt = now;
      job.future.state = "running";
      slot.jobs.push(job);
      const id = job.wire.id;
      job.channel?.open((msg) => slot.w.post({ t: "c", id, ...msg }), job.future);
    }
    const head = batch[0] as Job;
    slot.exclusive = head.exclusive;
    this.#post(slot, { t: "run", jobs: batch.map((j) => j.wire) });
  }

  #settle(job: Job): void {
    job.stopWatch?.();
    job.stopWatch = undefined;
    job.channel?.end();
  }

  #onMessage(slot: Slot, m: WorkerMsg): void {
    if (m.t === "r") {
      const i = slot.jobs.findIndex((j) => j.wire.id === m.id);
      if (i < 0) return;
      const job = slot.jobs.splice(i, 1)[0] as Job;
      const now = performance.now();
      if (slot.jobs.length === 0) slot.exclusive = false;
      if (m.s) {
        if (job.stealing && !job.cancelled) this.#requeue([job]);
        else this.#settle(job);
      } else {
        const took = now - Math.max(job.sentAt, slot.lastDone);
        this.#serviceMs = Number.isFinite(this.#serviceMs)
          ? 0.8 * this.#serviceMs + 0.2 * took
          : took;
        slot.lastDone = now;
        this.#settle(job);
        if (!job.cancelled) {
          if (m.ok) job.future.setResult(m.v);
          else
            job.future.setException(
              new RemoteError(m.e ?? { name: "Error", message: "unknown error" }),
            );
        }
      }
      this.#pump();
    } else if (m.t === "start") {
      // A limited call's clock starts when it starts, not when its worker was being started.
      const job = slot.jobs.find((j) => j.wire.id === m.id);
      if (job?.limits && !job.stopWatch) {
        const limits = job.limits;
        job.stopWatch = watchLimits(
          limits,
          () => slot.w.usage(slot.tid),
          (err) => this.#breach(slot, job, err),
        );
      }
    } else if (m.t === "c") {
      slot.jobs.find((j) => j.wire.id === m.id)?.channel?.receive(m);
    } else if (m.t === "hello") {
      slot.tid = m.tid;
      slot.started = true;
      this.#startFailures = 0;
    }
  }

  /** Jobs that never started go back to the front of the queue, in order. */
  #requeue(jobs: Job[]): void {
    for (const job of jobs) {
      job.slot = undefined;
      job.stealing = false;
      job.future.state = "pending";
    }
    this.#queue.unshift(...jobs);
  }

  #onExit(slot: Slot, how: WorkerExit): void {
    this.#slots = this.#slots.filter((s) => s !== slot);
    const [head, ...rest] = slot.jobs.splice(0);
    if (head) {
      this.#settle(head);
      if (!head.cancelled) head.future.setException(new WorkerDiedError(how.description));
    }
    const waiting = rest.filter((j) => !j.cancelled);
    for (const j of rest) if (j.cancelled) this.#settle(j);
    if (this.#closing) for (const j of waiting) j.future.cancel();
    else this.#requeue(waiting);
    const failedToStart = !slot.started && !slot.retired && !this.#closing;
    if (failedToStart && ++this.#startFailures >= 3) {
      // Workers cannot start (a broken loader, a missing entry): fail the queued calls
      // rather than start a worker for each of them.
      const err = new WorkerDiedError(`Workers fail to start: ${how.description}`);
      for (const job of this.#queue.drain()) job.future.setException(err);
      this.#startFailures = 0;
    }
    this.#pump();
  }

  #breach(slot: Slot, job: Job, err: LimitExceededError): void {
    const i = slot.jobs.indexOf(job);
    if (i < 0) return;
    slot.jobs.splice(i, 1);
    this.#settle(job);
    job.future.setException(err);
    // The worker may be stuck in the call: replace it. Its exit finds no job left to blame.
    this.#retire(slot, true);
    this.#pump();
  }

  async shutdown({ wait }: ShutdownOptions): Promise<void> {
    if (wait) {
      if (this.#queue.length > 0 || this.#slots.some((s) => s.jobs.length > 0)) {
        await new Promise<void>((r) => this.#idle.push(r));
      }
    } else {
      for (const job of this.#queue.drain()) job.future.cancel();
    }
    this.#closing = true;
    try {
      await Promise.all([...this.#slots.map((s) => s.w.stop(wait)), ...this.#dying]);
    } finally {
      this.#closing = false;
    }
  }
}
