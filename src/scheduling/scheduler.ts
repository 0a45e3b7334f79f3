/**
 * The Scheduler: submits work to an executor and emits amltk's events around it.
 *
 * Event order: onStart -> per submit [onFutureSubmitted, task onSubmitted] -> per completion
 * [onFutureDone, onFutureResult | onFutureException, task onDone, task onResult | onException]
 * -> onEmpty -> onStop | onTimeout -> onFinishing -> onFinished.
 *
 * Deliberate differences from Python amltk:
 * - Work submitted from an `onEmpty` handler keeps the run alive: after `onEmpty` the queue is
 *   checked again and the run only ends (with `endOnEmpty`) if it is still empty. Its events
 *   therefore always arrive before `onFinished`.
 * - `timeout` is in seconds (as in amltk). Completions that arrive while the executor drains
 *   (after a stop/timeout with `wait: true`) still emit their events; errors thrown by handlers
 *   at that point (e.g. a refused `submit`) do not change the exit state and are collected in
 *   `ExitState.drainErrors`.
 */

import { AmltkError } from "../shared/errors.js";
import { checkOptionKeys } from "../shared/options.js";
import { Emitter, type Handler, type SubscribeOptions } from "./events.js";
import type { QueueExecutorOptions } from "./executors/distributed/options.js";
import { QueueExecutor } from "./executors/distributed/queue-executor.js";
import {
  type Call,
  CancelledError,
  type Executor,
  type Future,
  moduleOf,
} from "./executors/executor.js";
import type { WorkerPoolOptions } from "./executors/pool-options.js";
import { ProcessExecutor } from "./executors/processes.js";
import { SequentialExecutor } from "./executors/sequential.js";
import { ThreadExecutor } from "./executors/threads.js";
import type { ExitState } from "./exit-state.js";
import {
  type ExceptionMode,
  RUN_DEFAULTS,
  RUN_OPTION_KEYS,
  type RunOptions,
  resolveMode,
} from "./run-options.js";

export type { ExitCode, ExitState } from "./exit-state.js";
export type { ErrorClass, ExceptionMode, OnException, RunOptions } from "./run-options.js";
export { resolveMode } from "./run-options.js";

import { type AnyFn, Task, type TaskOptions } from "./task.js";

/**
 * The scheduler's events and the arguments their handlers get (see the module comment for
 * their order).
 *
 * @example
 * ```ts
 * scheduler.on("onFutureException", (future, error) => console.error(future.id, error));
 * scheduler.on("onFinished", (exit) => console.log("finished:", exit.code));
 * ```
 */
export type SchedulerEvents = {
  onStart: [];
  onFutureSubmitted: [Future];
  onFutureDone: [Future];
  onFutureResult: [Future, unknown];
  onFutureException: [Future, unknown];
  onFutureCancelled: [Future];
  onEmpty: [];
  onStop: [string | undefined, unknown];
  onTimeout: [];
  onFinishing: [];
  onFinished: [ExitState];
};

export const SCHEDULER_EVENTS = [
  "onStart",
  "onFutureSubmitted",
  "onFutureDone",
  "onFutureResult",
  "onFutureException",
  "onFutureCancelled",
  "onEmpty",
  "onStop",
  "onTimeout",
  "onFinishing",
  "onFinished",
] as const satisfies readonly (keyof SchedulerEvents)[];

/**
 * Thrown by `submit` outside a run: work is submitted from `onStart` or a later handler.
 * Code `scheduler_not_running`.
 *
 * @example
 * ```ts
 * try {
 *   scheduler.submit(square, 2); // before run(): throws
 * } catch (e) {
 *   if (e instanceof SchedulerNotRunningError) scheduler.on("onStart", () => scheduler.submit(square, 2));
 * }
 * ```
 */
export class SchedulerNotRunningError extends AmltkError<"scheduler_not_running"> {
  constructor(what = "submit") {
    super(
      "scheduler_not_running",
      `Scheduler is not running: cannot ${what}. Submit from onStart or later handlers.`,
    );
    this.name = "SchedulerNotRunningError";
  }
}

/** Callbacks a Task attaches to one submission. */
export interface SubmitHooks {
  onSubmitted?(f: Future): void;
  onDone?(f: Future): void;
  onResult?(f: Future, result: unknown): void;
  onException?(f: Future, err: unknown): void;
  onCancelled?(f: Future): void;
  /** The submitter turns exceptions into results itself: skip the `onException` policy. */
  handlesExceptions?: boolean;
}

/**
 * Runs work on an executor and emits events around it: submit from `onStart`, react to
 * results, and `run()` until the queue is empty, a timeout passes or `stop()` is called.
 *
 * @example
 * ```ts
 * export const square = importable((x: number) => x * x, import.meta.url, "square");
 *
 * const scheduler = Scheduler.withProcesses({ maxWorkers: 2 });
 * const task = scheduler.task(square);
 * scheduler.on("onStart", () => task.submit(3), { repeat: 2 });
 * task.on("onResult", (_future, result) => console.log(result)); // 9, 9
 * const exit = await scheduler.run({ timeout: 30 }); // { code: "EXHAUSTED" }
 * ```
 */
export class Scheduler {
  readonly executor: Executor;
  readonly events = new Emitter<SchedulerEvents>(SCHEDULER_EVENTS);
  #running = false;
  #draining = false;
  #inFlight = new Map<Future, Promise<void>>();
  #exit?: ExitState;
  #raise?: { err: unknown };
  #wake?: () => void;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #opts: Required<Pick<RunOptions, "onException" | "onCancelled">> = {
    onException: "raise",
    onCancelled: "raise",
  };
  #drainErrors: unknown[] = [];
  #emptyEmitted = false;

  constructor(executor: Executor) {
    this.executor = executor;
    this.events.onHandlerError = (err) => this.#handleError(err);
  }

  static withSequential(): Scheduler {
    return new Scheduler(new SequentialExecutor());
  }

  /** Each call runs in a worker thread; functions must be wrapped with `importable`. */
  static withThreads(opts: WorkerPoolOptions): Scheduler {
    return new Scheduler(new ThreadExecutor(opts));
  }

  /** Each call runs in a forked worker; functions must be wrapped with `importable`. */
  static withProcesses(opts: WorkerPoolOptions): Scheduler {
    return new Scheduler(new ProcessExecutor(opts));
  }

  /**
   * Each call runs as a BullMQ job on Redis, in a child process of an `amltk worker` on any
   * machine that reaches Redis; functions must be wrapped with `importable` and exist at the
   * same path on the workers. See {@link QueueExecutor}.
   *
   * @example
   * ```ts
   * const scheduler = Scheduler.withQueue({ connection: "redis://127.0.0.1:6379", queue: "sweep", maxWorkers: 8 });
   * // on each machine: amltk worker --redis redis://127.0.0.1:6379 --queue sweep --concurrency 4
   * ```
   */
  static withQueue(opts: QueueExecutorOptions): Scheduler {
    return new Scheduler(new QueueExecutor(opts));
  }

  readonly tasks: Task<AnyFn>[] = [];

  /** Called by the Task constructor. */
  registerTask(task: Task<AnyFn>): void {
    this.tasks.push(task);
  }

  task<F extends AnyFn>(fn: F, options?: TaskOptions): Task<F> {
    return new Task(fn, this, options);
  }

  on<K extends keyof SchedulerEvents>(
    name: K,
    handler: Handler<SchedulerEvents[K]>,
    options?: SubscribeOptions<SchedulerEvents[K]>,
  ): () => void {
    return this.events.on(name, handler, options);
  }

  get eventCounts(): Record<string, number> {
    return this.events.counts;
  }

  running(): boolean {
    return this.#running;
  }

  empty(): boolean {
    return this.#inFlight.size === 0;
  }

  /** Number of submitted, not yet completed futures. */
  get queueSize(): number {
    return this.#inFlight.size;
  }

  submit<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Future<R> {
    const call = { fn: fn as (...a: never[]) => unknown, args, module: moduleOf(fn) };
    return this.submitCall(call) as Future<R>;
  }

  /** Low-level submission used by Task; not for general use. */
  submitCall(call: Call, hooks: SubmitHooks = {}): Future {
    if (!this.#running) throw new SchedulerNotRunningError();
    const future = this.executor.submit(call);
    const settled = future.promise.then(
      (v) => this.#complete(future, hooks, "result", v),
      (e) => this.#complete(future, hooks, e instanceof CancelledError ? "cancelled" : "error", e),
    );
    this.#inFlight.set(future, settled);
    this.#emptyEmitted = false; // the queue will drain again: onEmpty fires again then
    this.events.emit("onFutureSubmitted", future);
    hooks.onSubmitted?.(future);
    return future;
  }

  #complete(f: Future, hooks: SubmitHooks, kind: "result" | "error" | "cancelled", v: unknown) {
    this.#inFlight.delete(f);
    if (kind === "cancelled") {
      this.events.emit("onFutureCancelled", f);
      this.#guard(() => hooks.onCancelled?.(f));
      if (!this.#draining) {
        const mode = this.#opts.onCancelled;
        if (mode === "raise") this.#handleError(v, "raise");
        else if (mode === "end") this.#end({ code: "CANCELLED", exception: v });
      }
    } else {
      this.events.emit("onFutureDone", f);
      if (kind === "result") this.events.emit("onFutureResult", f, v);
      else this.events.emit("onFutureException", f, v);
      this.#guard(() => hooks.onDone?.(f));
      if (kind === "result") this.#guard(() => hooks.onResult?.(f, v));
      else {
        this.#guard(() => hooks.onException?.(f, v));
        if (!hooks.handlesExceptions) this.#handleError(v);
      }
    }
    this.#wake?.();
  }

  /**
   * Runs `fn`, handing an error it throws to the run's `onException` policy (as for event
   * handlers). Plugins use it for events they emit themselves.
   *
   * @example
   * ```ts
   * scheduler.guard(() => task.events.emit("onCommMessage", msg));
   * ```
   */
  guard(fn: () => void): void {
    this.#guard(fn);
  }

  #guard(fn: () => void) {
    try {
      fn();
    } catch (e) {
      this.#handleError(e);
    }
  }

  #handleError(err: unknown, forced?: ExceptionMode) {
    if (this.#draining || !this.#running) {
      this.#drainErrors.push(err);
      return;
    }
    const mode = forced ?? resolveMode(this.#opts.onException, err);
    if (mode === "continue") return;
    if (mode === "raise") this.#raise ??= { err };
    this.#end({ code: "EXCEPTION", exception: err });
  }

  #end(state: ExitState) {
    if (this.#exit) return;
    this.#exit = state;
    this.#running = false;
    this.#wake?.();
  }

  /** End the run as soon as possible; `running()` is false at once. */
  stop(message?: string, exception?: unknown): void {
    if (!this.#running) return;
    this.#end({ code: "STOPPED", message, exception });
  }

  /** Call `fn` after `delay` seconds, if the scheduler is still running then. */
  callLater(delay: number, fn: () => void): { cancel(): void } {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#running) this.#guard(fn);
    }, delay * 1000);
    this.#timers.add(t);
    return {
      cancel: () => {
        clearTimeout(t);
        this.#timers.delete(t);
      },
    };
  }

  async run(options: RunOptions = {}): Promise<ExitState> {
    if (this.#running || this.#draining) throw new Error("Scheduler is already running");
    checkOptionKeys(options, RUN_OPTION_KEYS, "Scheduler.run");
    const { timeout, endOnEmpty = RUN_DEFAULTS.endOnEmpty, wait = RUN_DEFAULTS.wait } = options;
    this.#opts = {
      onException: options.onException ?? RUN_DEFAULTS.onException,
      onCancelled: options.onCancelled ?? RUN_DEFAULTS.onCancelled,
    };
    this.#exit = undefined;
    this.#raise = undefined;
    this.#drainErrors = [];
    this.#running = true;
    if (timeout !== undefined) {
      const t = setTimeout(() => this.#end({ code: "TIMEOUT" }), timeout * 1000);
      this.#timers.add(t);
    }
    this.events.emit("onStart");
    this.#emptyEmitted = false;
    while (!this.#exit) {
      if (this.#inFlight.size === 0) {
        if (!this.#emptyEmitted) {
          this.#emptyEmitted = true;
          this.events.emit("onEmpty");
          continue; // re-check: onEmpty handlers may have submitted work or stopped
        }
        if (endOnEmpty) {
          this.#end({ code: "EXHAUSTED" });
          break;
        }
      }
      await new Promise<void>((r) => {
        this.#wake = r;
      });
      this.#wake = undefined;
    }
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const exit: ExitState = (this.#exit as ExitState | undefined) ?? { code: "UNKNOWN" };
    this.#draining = true;
    try {
      if (exit.code === "STOPPED") this.events.emit("onStop", exit.message, exit.exception);
      if (exit.code === "TIMEOUT") this.events.emit("onTimeout");
      if (!wait) for (const f of this.#inFlight.keys()) f.cancel();
      await this.executor.shutdown({ wait });
      await Promise.allSettled([...this.#inFlight.values()]);
      if (this.#drainErrors.length) exit.drainErrors = [...this.#drainErrors];
      this.events.emit("onFinishing");
      this.events.emit("onFinished", exit);
    } finally {
      this.#draining = false;
      this.#running = false;
    }
    if (this.#raise) throw this.#raise.err;
    return exit;
  }
}
