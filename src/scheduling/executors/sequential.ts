/**
 * In-process executor (reusable after `shutdown`, which only drains or cancels the queue):
 * runs one call at a time, always starting on a later turn of the event loop so that
 * completion is never synchronous with submission.
 *
 * Limits here cannot stop JavaScript that does not yield: `wallTime` ends the call's future
 * when the limit passes (the function itself runs on in the background until it returns or
 * awaits); `cpuTime` is checked while the call awaits and when it returns (process CPU time,
 * so it includes anything else the process does meanwhile); `memory` is not enforced, since
 * the heap is shared with the host. Use threads or processes to stop calls hard.
 */

import { AmltkError } from "../../shared/errors.js";
import { CommHandle } from "../plugins/comm-handle.js";
import {
  type Call,
  type Executor,
  Future,
  isFunctionCall,
  type ShutdownOptions,
} from "./executor.js";
import { importOnce } from "./import-once.js";
import { CpuTimeExceeded, checkLimits, type LimitExceededError, watchLimits } from "./limits.js";
import { Queue } from "./queue.js";

/**
 * The call was still running when the sequential executor shut down without waiting.
 * Code `call_abandoned`.
 *
 * @example
 * ```ts
 * scheduler.on("onFutureException", (_f, e) => {
 *   if (e instanceof AbandonedCallError) console.warn("still running in the background");
 * });
 * ```
 */
export class AbandonedCallError extends AmltkError<"call_abandoned"> {
  constructor() {
    super(
      "call_abandoned",
      "The call was still running at shutdown (wait: false) and was abandoned: an in-process " +
        "call cannot be stopped, so it may still be running. Use threads or processes to stop calls.",
    );
    this.name = "AbandonedCallError";
  }
}

/**
 * Runs calls one at a time in this process.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler(new SequentialExecutor()); // = Scheduler.withSequential()
 * ```
 */
export class SequentialExecutor implements Executor {
  readonly maxWorkers = 1;
  #queue = new Queue<{ call: Call; future: Future<unknown> }>();
  #busy = false;
  #running?: Future<unknown>;
  #abandoned = new WeakSet<Future<unknown>>();
  #idle: (() => void)[] = [];

  submit<T = unknown>(call: Call): Future<T> {
    if (call.limits) checkLimits(call.limits);
    const future = new Future<T>();
    const item = { call, future: future as Future<unknown> };
    future.setCanceller(() => {
      this.#queue.remove(item);
      // Taken from the queue but not yet started still counts as cancellable.
      return future.state === "pending";
    });
    this.#queue.push(item);
    this.#pump();
    return future;
  }

  #pump(): void {
    if (this.#busy) return;
    const item = this.#queue.shift();
    if (!item) {
      for (const r of this.#idle.splice(0)) r();
      return;
    }
    this.#busy = true;
    setImmediate(() => {
      const { call, future } = item;
      const next = () => {
        if (this.#running !== future && this.#running !== undefined) return; // abandoned
        if (this.#abandoned.delete(future)) return;
        this.#running = undefined;
        this.#busy = false;
        this.#pump();
      };
      if (future.state !== "pending") return next();
      future.state = "running";
      this.#running = future;
      if (!call.limits && !call.channel) {
        // The plain path: no awaiting unless the function returns a promise.
        let v: unknown;
        try {
          v = invoke(call, []);
        } catch (e) {
          future.setException(e);
          return next();
        }
        if (isThenable(v)) {
          v.then(
            (r) => future.setResult(r),
            (e) => future.setException(e),
          ).then(next);
        } else {
          future.setResult(v);
          next();
        }
        return;
      }
      void this.#runWithExtras(call, future).then(next);
    });
  }

  async #runWithExtras(call: Call, future: Future<unknown>): Promise<void> {
    const channel = call.channel;
    let comm: CommHandle | undefined;
    if (channel) {
      // Same semantics as a worker: data crosses by structured clone, on a later microtask.
      comm = new CommHandle((msg) => {
        const copy = structuredClone(msg);
        queueMicrotask(() => channel.receive(copy));
      }, channel.requestTimeout);
      const handle = comm;
      channel.open((msg) => {
        const copy = structuredClone(msg);
        queueMicrotask(() => handle.deliver(copy));
      }, future);
      comm.open();
    }
    let breached: LimitExceededError | undefined;
    let release!: () => void;
    const breach = new Promise<void>((r) => {
      release = r;
    });
    const cpu0 = process.cpuUsage();
    const cpuSeconds = () => {
      const d = process.cpuUsage(cpu0);
      return (d.user + d.system) / 1e6;
    };
    const stop = call.limits
      ? watchLimits(
          call.limits,
          () => ({ cpu: cpuSeconds() }),
          (err) => {
            breached = err;
            release();
          },
        )
      : undefined;
    let outcome: { ok: true; v: unknown } | { ok: false; e: unknown };
    try {
      const run = Promise.resolve().then(() => invoke(call, comm ? [comm] : []));
      run.catch(() => {}); // a late failure after a breach is nobody's business
      const v = await Promise.race([run, breach]);
      if (breached) throw breached;
      const cpuLimit = call.limits?.cpuTime;
      if (cpuLimit !== undefined && cpuSeconds() > cpuLimit) throw new CpuTimeExceeded(cpuLimit);
      outcome = { ok: true, v };
    } catch (e) {
      outcome = { ok: false, e };
    }
    stop?.();
    comm?.close();
    // As with workers, the channel's close arrives before the call's result.
    await Promise.resolve();
    channel?.end();
    if (outcome.ok) future.setResult(outcome.v);
    else future.setException(outcome.e);
  }

  async shutdown({ wait }: ShutdownOptions): Promise<void> {
    if (!wait) {
      for (const { future } of this.#queue.drain()) future.cancel();
      // A running in-process call cannot be stopped: give up on it rather than wait forever.
      if (this.#running) {
        this.#running.setException(new AbandonedCallError());
        this.#abandoned.add(this.#running);
        this.#running = undefined;
        this.#busy = false;
        return;
      }
    }
    if (!this.#busy && this.#queue.length === 0) return;
    await new Promise<void>((r) => this.#idle.push(r));
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof (v as PromiseLike<unknown> | undefined)?.then === "function";
}

function invoke(call: Call, extra: unknown[]): unknown {
  if (isFunctionCall(call)) {
    return (call.fn as (...a: unknown[]) => unknown)(...call.args, ...extra);
  }
  return callModule(call.moduleUrl, call.exportName, [...call.args, ...extra]);
}

async function callModule(moduleUrl: string, exportName: string, args: unknown[]) {
  const mod = await importOnce(moduleUrl);
  const fn = mod[exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`Export "${exportName}" of ${moduleUrl} is not a function`);
  }
  return fn(...args);
}
