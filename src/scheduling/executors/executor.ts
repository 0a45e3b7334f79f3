/**
 * The executor contract: something that runs calls and hands back futures.
 */
import { AmltkError } from "../../shared/errors.js";

/**
 * A call that a worker can import: `import(moduleUrl)[exportName](...args)`.
 *
 * @example
 * ```ts
 * const call: ModuleCall = { moduleUrl: import.meta.url, exportName: "square", args: [3] };
 * const future = new ProcessExecutor({ maxWorkers: 2 }).submit<number>(call);
 * ```
 */
export interface ModuleCall {
  moduleUrl: string;
  exportName: string;
  args: unknown[];
}

/**
 * An in-process call (only the sequential executor can run every one of these).
 *
 * @example
 * ```ts
 * const call: FunctionCall = { fn: (x: number) => x * x, args: [3] };
 * const result = await new SequentialExecutor().submit<number>(call).promise; // 9
 * ```
 */
export interface FunctionCall {
  fn: (...args: never[]) => unknown;
  args: unknown[];
  /** When known, where the function can be imported from (for process executors). */
  module?: ModuleRef;
}

/**
 * Per-call options that plugins attach (see `Plugin.prepareCall`): resource limits enforced
 * around the call, and a two-way channel between the host and the running call.
 *
 * @example
 * ```ts
 * class TenSeconds extends Plugin {
 *   readonly name = "ten-seconds";
 *   override prepareCall(call: CallExtras) { call.limits = { ...call.limits, wallTime: 10 }; }
 * }
 * ```
 */
export interface CallExtras {
  limits?: LimitSpec;
  channel?: CallChannel;
  /**
   * A stable id for this call, for executors that keep calls outside the process (the queue
   * executor: the BullMQ job id). Submitting a call whose id is already queued, running or
   * finished-but-not-taken never runs it twice: the queue executor hands back the same
   * future in this process, and BullMQ ignores a second add of the id across processes, so a
   * driver that resumes a sweep can submit again safely and re-attach with
   * `QueueExecutor.attach(jobId)`. No `:` and not all digits. Other executors ignore it.
   * Through a `Scheduler`, submit an id once per process: each submission emits its own
   * events for the one shared future.
   */
  jobId?: string;
  /**
   * With a `jobId`: the executor keeps the call's result where a later driver can collect it
   * until the caller confirms it is safe elsewhere (`QueueExecutor.acknowledge(jobId)`), instead
   * of dropping it as soon as the future settles. A durable sweep sets it and acknowledges
   * after its journal committed the report, so a driver that dies in between leaves the result
   * to collect, and the trial is never run twice. Executors that keep nothing ignore it.
   */
  holdResult?: boolean;
}

/**
 * What an {@link Executor} runs: a function or an importable module export, with the
 * per-call extras plugins attached.
 *
 * @example
 * ```ts
 * const call: Call = { fn: train, args: [config], module: moduleOf(train), limits: { wallTime: 60 } };
 * const future = executor.submit(call);
 * ```
 */
export type Call = (ModuleCall | FunctionCall) & CallExtras;

/**
 * Resource limits for one call: seconds of wall time, seconds of CPU time, bytes of memory.
 *
 * @example
 * ```ts
 * const limits: LimitSpec = { wallTime: 60, cpuTime: 30, memory: 2 * 2 ** 30 };
 * new Limits(limits);
 * ```
 */
export interface LimitSpec {
  wallTime?: number;
  cpuTime?: number;
  memory?: number;
}

/** One message on a call's channel (host <-> running call). */
export interface ChannelMsg {
  /** open | message | request | response | close */
  k: string;
  /** Request id, for requests and their responses. */
  rid?: number;
  d?: unknown;
}

/**
 * The host end of a call's two-way channel. The executor opens it when the call is
 * dispatched, hands it every message the call sends, and ends it when the call is over.
 * `Comm.Plugin` provides one per call; an executor implements the other side.
 *
 * @example
 * ```ts
 * const channel = call.channel;
 * channel?.open((msg) => worker.post({ id, ...msg }), future);
 * worker.onMessage((msg) => channel?.receive(msg));
 * ```
 */
export interface CallChannel {
  /** Seconds a worker-side `request` waits for a response by default. */
  readonly requestTimeout: number;
  open(post: (msg: ChannelMsg) => void, future: Future<unknown>): void;
  receive(msg: ChannelMsg): void;
  end(): void;
}

const MODULE = Symbol.for("amltk.importable");

/**
 * Where a function can be imported from: the module's URL and the export's name.
 *
 * @example
 * ```ts
 * const ref: ModuleRef = { moduleUrl: import.meta.url, exportName: "train" };
 * const task = new Task(train, scheduler, { module: ref });
 * ```
 */
export interface ModuleRef {
  moduleUrl: string;
  exportName: string;
}

/**
 * Record where a function can be imported from, so worker processes can run it. The name must
 * be the one the module exports it under.
 *
 * @example
 * ```ts
 * export const square = importable((x: number) => x * x, import.meta.url, "square");
 * const scheduler = Scheduler.withProcesses({ maxWorkers: 2 });
 * scheduler.on("onStart", () => scheduler.submit(square, 7));
 * ```
 */
export function importable<F extends (...args: never[]) => unknown>(
  fn: F,
  moduleUrl: string,
  exportName: string,
): F {
  Object.defineProperty(fn, MODULE, { value: { moduleUrl, exportName }, enumerable: false });
  return fn;
}

/**
 * The {@link ModuleRef} that {@link importable} recorded on `fn`, if any.
 *
 * @example
 * ```ts
 * export const square = importable((x: number) => x * x, import.meta.url, "square");
 * moduleOf(square); // { moduleUrl: "file:///.../square.ts", exportName: "square" }
 * moduleOf((x: number) => x); // undefined
 * ```
 */
export function moduleOf(fn: unknown): ModuleRef | undefined {
  return (fn as { [MODULE]?: ModuleRef } | undefined)?.[MODULE];
}

export function isFunctionCall(c: Call): c is FunctionCall {
  return typeof (c as FunctionCall).fn === "function";
}

/**
 * Where a {@link Future} is in its life.
 *
 * @example
 * ```ts
 * const state: FutureState = future.state;
 * if (state === "pending") future.cancel();
 * ```
 */
export type FutureState = "pending" | "running" | "done" | "cancelled";

/**
 * The error a cancelled {@link Future}'s promise rejects with.
 * Code `cancelled`.
 *
 * @example
 * ```ts
 * future.cancel();
 * await future.promise.catch((e) => {
 *   if (e instanceof CancelledError) console.log("cancelled before it ran");
 * });
 * ```
 */
export class CancelledError extends AmltkError<"cancelled"> {
  constructor(message = "Future was cancelled") {
    super("cancelled", message);
    this.name = "CancelledError";
  }
}

let nextId = 0;

/**
 * A handle on a submitted call. `promise` settles with the result, the error, or a
 * {@link CancelledError}.
 *
 * @example
 * ```ts
 * scheduler.on("onStart", async () => {
 *   const future = scheduler.submit(square, 4);
 *   console.log(await future.promise, future.state); // 16 "done"
 * });
 * ```
 */
export class Future<T = unknown> {
  readonly id = ++nextId;
  state: FutureState = "pending";
  readonly promise: Promise<T>;
  #resolve!: (v: T) => void;
  #reject!: (e: unknown) => void;
  #onCancel?: () => boolean;
  result?: T;
  exception?: unknown;

  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    // Avoid unhandled rejections: consumers observe outcomes through the executor/scheduler.
    this.promise.catch(() => {});
  }

  /** Executors call this to say how to cancel (return false when it can no longer be). */
  setCanceller(fn: () => boolean): void {
    this.#onCancel = fn;
  }

  /** Try to cancel; true when the call will not deliver a result. */
  cancel(): boolean {
    if (this.state === "done" || this.state === "cancelled") return this.state === "cancelled";
    if (this.#onCancel && !this.#onCancel()) return false;
    this.state = "cancelled";
    this.#reject(new CancelledError());
    return true;
  }

  get done(): boolean {
    return this.state === "done" || this.state === "cancelled";
  }

  setResult(v: T): void {
    if (this.done) return;
    this.state = "done";
    this.result = v;
    this.#resolve(v);
  }

  setException(e: unknown): void {
    if (this.done) return;
    this.state = "done";
    this.exception = e;
    this.#reject(e);
  }
}

/**
 * How an {@link Executor} shuts down.
 *
 * @example
 * ```ts
 * const executor = new ThreadExecutor({ maxWorkers: 4 });
 * // ... submit calls ...
 * await executor.shutdown({ wait: false } satisfies ShutdownOptions);
 * ```
 */
export interface ShutdownOptions {
  /** true: let running and pending work finish; false: cancel pending work, stop workers. */
  wait: boolean;
}

/**
 * Runs calls and hands back futures: {@link SequentialExecutor} in-process,
 * `ThreadExecutor` on worker threads, `ProcessExecutor` in forked processes. A `Scheduler` owns
 * one and shuts it down when its run ends.
 *
 * @example
 * ```ts
 * const executor: Executor = new ThreadExecutor({ maxWorkers: 4 });
 * const scheduler = new Scheduler(executor);
 * ```
 */
export interface Executor {
  readonly maxWorkers: number;
  /** true when calls must carry an importable module (e.g. process workers). */
  readonly requiresImportable?: boolean;
  /**
   * Throws an `UnsupportedLimitError` for a limit this executor cannot enforce honestly
   * (threads: `memory`). `Limits` asks at Task creation, so the mistake shows at once.
   */
  assertLimits?(limits: LimitSpec): void;
  submit<T = unknown>(call: Call): Future<T>;
  shutdown(options: ShutdownOptions): Promise<void>;
}
