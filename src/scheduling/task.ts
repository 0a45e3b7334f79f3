/**
 * Task: a function bound to a scheduler, with its own events and plugins.
 */
import { checkOptionKeys, optionKeys } from "../shared/options.js";
import { Emitter, type Handler, type SubscribeOptions } from "./events.js";
import {
  type Call,
  type CallExtras,
  type Future,
  type ModuleRef,
  moduleOf,
} from "./executors/executor.js";
import type { CommHandle } from "./plugins/comm-handle.js";
import type { Scheduler, SubmitHooks } from "./scheduler.js";

/**
 * The arguments a caller passes to `submit`: the function's parameters, less a trailing
 * Comm handle, which the executor supplies (see `Comm.Plugin`).
 *
 * @example
 * ```ts
 * const work = importable((x: number, comm: CommHandle) => x, import.meta.url, "work");
 * type A = SubmitArgs<typeof work>; // [x: number]
 * ```
 */
export type SubmitArgs<F extends AnyFn> =
  Parameters<F> extends [...infer A, CommHandle] ? A : Parameters<F>;

/**
 * The events every {@link Task} emits for its own submissions; `R` is the call's result.
 *
 * @example
 * ```ts
 * const task = scheduler.task(square);
 * task.on("onResult", (future, result) => console.log(future.id, result));
 * task.on("onException", (_future, error) => console.error(error));
 * ```
 */
export type TaskEvents<R = unknown> = {
  onSubmitted: [Future<R>];
  onDone: [Future<R>];
  onResult: [Future<R>, R];
  onException: [Future<R>, unknown];
  onCancelled: [Future<R>];
};

export const TASK_EVENTS = [
  "onSubmitted",
  "onDone",
  "onResult",
  "onException",
  "onCancelled",
] as const;

// biome-ignore lint/suspicious/noExplicitAny: plugins see any function
export type AnyFn = (...args: any[]) => unknown;

/**
 * Base class for task plugins: hook a task's creation (`attachTask`), veto or wrap each
 * submission (`preSubmit`) and attach per-call options (`prepareCall`).
 *
 * @example
 * ```ts
 * class SkipNegative extends Plugin {
 *   readonly name = "skip-negative";
 *   override preSubmit(...[fn, args]: Parameters<Plugin["preSubmit"]>) {
 *     return (args[0] as number) < 0 ? undefined : super.preSubmit(fn, args);
 *   }
 * }
 * const task = scheduler.task(square, { plugins: [new SkipNegative()] });
 * ```
 */
export abstract class Plugin {
  abstract readonly name: string;
  /** Called once when the task is created. */
  attachTask(_task: Task<AnyFn>): void {}
  /**
   * Called before each submission. Return `[fn, args]` (possibly wrapped) to proceed, or
   * `undefined` to veto the submission.
   */
  preSubmit(fn: AnyFn, args: unknown[]): [AnyFn, unknown[]] | undefined {
    return [fn, args];
  }
  /**
   * Called for each submission that passed every `preSubmit`: attach per-call options that
   * the executor honours (resource `limits`, a Comm `channel`).
   *
   * @example
   * ```ts
   * override prepareCall(call: CallExtras) {
   *   call.limits = { ...call.limits, wallTime: 30 };
   * }
   * ```
   */
  prepareCall(_call: CallExtras): void {}
}

/**
 * Options of {@link Task}: plugins, where `fn` can be imported from, and a display name.
 *
 * @example
 * ```ts
 * const options: TaskOptions = {
 *   name: "train",
 *   plugins: [new Limiter({ maxCalls: 20 })],
 *   module: { moduleUrl: import.meta.url, exportName: "train" },
 * };
 * const task = scheduler.task(train, options);
 * ```
 */
export interface TaskOptions {
  plugins?: Plugin[];
  /** Where `fn` can be imported from (alternative to wrapping it with `importable`). */
  module?: ModuleRef;
  name?: string;
  /**
   * The task turns a failed call into a result of its own (as `Trial.Task` turns a dead worker
   * into a crashed report), so the scheduler's `onException` policy does not apply to it.
   */
  handlesExceptions?: boolean;
}

const TASK_OPTION_KEYS = optionKeys<TaskOptions>({
  plugins: true,
  module: true,
  name: true,
  handlesExceptions: true,
});

/**
 * A function bound to a scheduler, with its own events and plugins. `submit` runs it on the
 * scheduler's executor (plugins may veto or wrap the call); `Trial.Task` builds on it.
 *
 * @example
 * ```ts
 * export const square = importable((x: number) => x * x, import.meta.url, "square");
 *
 * const scheduler = Scheduler.withThreads({ maxWorkers: 2 });
 * const task = new Task(square, scheduler, { plugins: [new Limiter({ maxCalls: 10 })] });
 * scheduler.on("onStart", () => task.submit(1));
 * task.on("onResult", (_f, r) => task.submit(r + 1)); // stops after 10 calls
 * await scheduler.run();
 * ```
 */
export class Task<F extends AnyFn> {
  readonly fn: F;
  readonly scheduler: Scheduler;
  readonly plugins: Plugin[];
  readonly name: string;
  readonly module?: ModuleRef;
  // biome-ignore lint/suspicious/noExplicitAny: plugins declare extra events
  readonly events: Emitter<TaskEvents<Awaited<ReturnType<F>>> & Record<string, any[]>>;
  readonly #inFlight = new Set<Future>();
  readonly #handlesExceptions: boolean;
  /** The same hooks serve every submission (they get the future), so none is built per call. */
  readonly #hooks: SubmitHooks;

  constructor(fn: F, scheduler: Scheduler, options: TaskOptions = {}) {
    checkOptionKeys(options, TASK_OPTION_KEYS, "Task");
    this.fn = fn;
    this.scheduler = scheduler;
    this.plugins = options.plugins ?? [];
    this.name = options.name ?? (fn.name || "task");
    this.events = new Emitter([...TASK_EVENTS]);
    this.module = options.module ?? moduleOf(fn);
    this.#handlesExceptions = options.handlesExceptions ?? false;
    if (scheduler.executor.requiresImportable && !this.module) {
      throw new TypeError(
        `Task "${this.name}": this scheduler runs calls in worker processes, which must import ` +
          `the function, but it has no importable module/export. Export it from a module and ` +
          `wrap it: importable(fn, import.meta.url, "exportName"), or pass { module }.`,
      );
    }
    const ev = this.events as unknown as Emitter<TaskEvents>;
    const inFlight = this.#inFlight;
    this.#hooks = {
      onSubmitted: (f) => {
        inFlight.add(f);
        ev.emit("onSubmitted", f);
      },
      onDone: (f) => {
        inFlight.delete(f);
        ev.emit("onDone", f);
      },
      onResult: (f, v) => ev.emit("onResult", f, v),
      onException: (f, e) => ev.emit("onException", f, e),
      onCancelled: (f) => {
        inFlight.delete(f);
        ev.emit("onCancelled", f);
      },
      handlesExceptions: this.#handlesExceptions,
    };
    scheduler.registerTask(this as unknown as Task<AnyFn>);
    for (const p of this.plugins) p.attachTask(this as unknown as Task<AnyFn>);
  }

  on<K extends keyof TaskEvents>(
    name: K,
    handler: Handler<TaskEvents<Awaited<ReturnType<F>>>[K]>,
    options?: SubscribeOptions<TaskEvents<Awaited<ReturnType<F>>>[K]>,
  ): () => void;
  // biome-ignore lint/suspicious/noExplicitAny: plugin events are untyped
  on(name: string, handler: (...args: any[]) => unknown, options?: SubscribeOptions): () => void;
  // biome-ignore lint/suspicious/noExplicitAny: implementation signature
  on(name: string, handler: (...args: any[]) => unknown, options?: SubscribeOptions): () => void {
    return this.events.on(name, handler, options);
  }

  /** Futures of this task that are submitted and not yet done. */
  get runningCount(): number {
    return this.#inFlight.size;
  }

  running(): boolean {
    return this.#inFlight.size > 0;
  }

  /** Submit a call; `undefined` when a plugin vetoed it. */
  submit(...args: SubmitArgs<F>): Future<Awaited<ReturnType<F>>> | undefined {
    let fn: AnyFn = this.fn;
    let a: unknown[] = args;
    for (const p of this.plugins) {
      const r = p.preSubmit(fn, a);
      if (!r) return undefined;
      [fn, a] = r;
    }
    const call: Call = { fn, args: a, module: fn === this.fn ? this.module : undefined };
    // A plugin that wrapped the function loses the module (in-process executors only).
    for (const p of this.plugins) p.prepareCall(call);
    const future = this.scheduler.submitCall(call, this.#hooks);
    return future as Future<Awaited<ReturnType<F>>>;
  }
}

/**
 * Options of {@link Limiter}.
 *
 * @example
 * ```ts
 * const options: LimiterOptions = { maxCalls: 100, maxConcurrent: 4, notWhileRunning: evalTask };
 * const task = scheduler.task(train, { plugins: [new Limiter(options)] });
 * ```
 */
export interface LimiterOptions {
  maxCalls?: number;
  maxConcurrent?: number;
  /** Refuse submissions while any of these tasks has work in flight. */
  notWhileRunning?: Task<AnyFn> | Task<AnyFn>[];
}

const LIMITER_OPTION_KEYS = optionKeys<LimiterOptions>({
  maxCalls: true,
  maxConcurrent: true,
  notWhileRunning: true,
});

/**
 * Limits a task's submissions. Only real submissions count towards `maxCalls`.
 * Events: callLimitReached, concurrentLimitReached, disabledDueToRunningTask (args: task, args).
 *
 * @example
 * ```ts
 * const task = scheduler.task(train, { plugins: [new Limiter({ maxCalls: 50 })] });
 * task.on("callLimitReached", () => scheduler.stop("budget spent"));
 * ```
 */
export class Limiter extends Plugin {
  readonly name = "limiter";
  readonly maxCalls?: number;
  readonly maxConcurrent?: number;
  readonly notWhileRunning: Task<AnyFn>[];
  calls = 0;
  #task?: Task<AnyFn>;

  constructor(options: LimiterOptions = {}) {
    super();
    checkOptionKeys(options, LIMITER_OPTION_KEYS, "Limiter");
    this.maxCalls = options.maxCalls;
    this.maxConcurrent = options.maxConcurrent;
    const n = options.notWhileRunning;
    this.notWhileRunning = n === undefined ? [] : Array.isArray(n) ? n : [n];
  }

  override attachTask(task: Task<AnyFn>): void {
    if (this.notWhileRunning.includes(task)) {
      throw new Error(`Limiter: task "${task.name}" cannot be limited by itself`);
    }
    this.#task = task;
    task.events.declare("callLimitReached", "concurrentLimitReached", "disabledDueToRunningTask");
    task.on("onSubmitted", () => {
      this.calls++;
    });
  }

  override preSubmit(fn: AnyFn, args: unknown[]): [AnyFn, unknown[]] | undefined {
    const task = this.#task;
    if (!task) return [fn, args];
    if (this.maxCalls !== undefined && this.calls >= this.maxCalls) {
      task.events.emit("callLimitReached", task, args);
      return undefined;
    }
    if (this.maxConcurrent !== undefined && task.runningCount >= this.maxConcurrent) {
      task.events.emit("concurrentLimitReached", task, args);
      return undefined;
    }
    if (this.notWhileRunning.some((t) => t.running())) {
      task.events.emit("disabledDueToRunningTask", task, args);
      return undefined;
    }
    return [fn, args];
  }
}
