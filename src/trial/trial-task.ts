/**
 * `Trial.Task`: a task whose function takes a {@link Trial} and returns its report.
 *
 * @module
 */

import {
  Emitter,
  type Handler,
  type SubscribeOptions,
  UnknownEventError,
} from "../scheduling/events.js";
import { type Future, type ModuleRef, moduleOf } from "../scheduling/executors/executor.js";
import { FunctionImportError } from "../scheduling/executors/import-error.js";
import { LimitExceededError } from "../scheduling/executors/limits.js";
import { assertCloneable, RemoteError } from "../scheduling/executors/wire.js";
import { isCommHandle } from "../scheduling/plugins/comm-handle.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import { type AnyFn, Task, type TaskOptions } from "../scheduling/task.js";
import { TrialReport, type TrialReportJSON } from "./report.js";
import type { Trial } from "./trial.js";
import { type TrialWrapperRef, wrapTrialFn } from "./trial-wrappers.js";

/**
 * @internal Where workers find `callTrial` (`trial-call.ts`, the worker-side trampoline). The
 * host names it by address instead of importing it: the trampoline rebuilds trials, so it needs
 * `Trial` at runtime, and `Trial` holds `Trial.Task` (this class) — an import would close a
 * cycle that breaks whichever module is loaded first. Same folder, same extension (`.ts` when
 * run from source, `.js` when built).
 */
export const CALL_TRIAL: ModuleRef = {
  moduleUrl: new URL(
    `./trial-call${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`,
    import.meta.url,
  ).href,
  exportName: "callTrial",
};

/** Stands for `callTrial` in the host, which never runs it: executors that import run it. */
function workerTrampoline(): never {
  throw new Error("callTrial runs in worker threads or processes only (imported by CALL_TRIAL)");
}

/** An `amltk worker` refused a module the call names (outside `--allow`, or missing there). */
function isRefusedImport(error: unknown): error is RemoteError {
  return error instanceof RemoteError && error.remoteCode === "module_not_allowed";
}

/** The refusal as the {@link FunctionImportError} of the trial's function, saying why. */
function refusal(ref: ModuleRef, error: RemoteError): FunctionImportError {
  const missing = error.cause instanceof RemoteError && error.cause.remoteCode === "ENOENT";
  return new FunctionImportError(
    ref.moduleUrl,
    ref.exportName,
    missing ? "not_found" : "not_allowed",
    {
      cause: error,
    },
  );
}

/** A plugin that contributes a worker-side trial wrapper (see {@link TrialWrapperRef}). */
export interface TrialWrapperProvider {
  trialWrapper(remote: boolean): TrialWrapperRef;
}

function isWrapperProvider<P>(p: P): p is P & TrialWrapperProvider {
  return typeof (p as { trialWrapper?: unknown }).trialWrapper === "function";
}

/**
 * Events of a {@link TrialTask}.
 *
 * @example
 * ```ts
 * const task = new Trial.Task(evaluate, scheduler);
 * task.on("onSuccess", (report) => history.add(report));
 * task.on("onCrashed", (report) => console.error(report.name, report.traceback));
 * ```
 */
export type TrialTaskEvents = {
  /** Every report, whatever its status (emitted first). */
  onReport: [TrialReport];
  onSuccess: [TrialReport];
  onFailed: [TrialReport];
  onCrashed: [TrialReport];
  /** The submission was cancelled; no report. */
  onCancelled: [Trial];
};

/**
 * The names of {@link TrialTaskEvents}, in the order a report's events fire.
 *
 * @example
 * ```ts
 * for (const name of TRIAL_TASK_EVENTS) task.on(name, () => console.log(name));
 * ```
 */
export const TRIAL_TASK_EVENTS = [
  "onReport",
  "onSuccess",
  "onFailed",
  "onCrashed",
  "onCancelled",
] as const;

/**
 * The function a {@link TrialTask} runs: evaluate `trial.config` and return the trial's report.
 *
 * @example
 * ```ts
 * export const evaluate: TrialFn<{ lr: number }> = async (trial) => {
 *   const loss = await trial.begin(() => train(trial.config.lr));
 *   return loss === undefined ? trial.fail() : trial.success({ loss });
 * };
 * ```
 */
export type TrialFn<C extends Record<string, unknown> = Record<string, unknown>> = (
  trial: Trial<C>,
) => TrialReport | Promise<TrialReport>;

/**
 * Runs `fn(trial)` on a scheduler and emits the report. In-process executors call `fn` with
 * the very trial object; worker-process executors send `trial.toJSON()` to a trampoline
 * that imports `fn` (wrap it with `importable`) and rebuild the report on the host. A function
 * a worker cannot import (not found, refused by `amltk worker --allow`, no such export) gives
 * a failed report saying why; an error escaping `fn`, a non-report return, or a dead worker
 * gives a crashed report.
 *
 * @example
 * ```ts
 * const task = new Trial.Task(evaluate, scheduler);
 * task.on("onReport", (report) => history.add(report));
 * scheduler.on("onStart", () => task.submit(trial));
 * await scheduler.run();
 * ```
 */
export class TrialTask<C extends Record<string, unknown> = Record<string, unknown>> {
  readonly fn: TrialFn<C>;
  readonly scheduler: Scheduler;
  /** The underlying scheduling task (its events: onSubmitted, onResult, ...). */
  readonly task: Task<AnyFn>;
  readonly events = new Emitter<TrialTaskEvents>(TRIAL_TASK_EVENTS);
  /** true when calls run in worker processes (through the trampoline). */
  readonly remote: boolean;

  constructor(fn: TrialFn<C>, scheduler: Scheduler, options: TaskOptions = {}) {
    this.fn = fn;
    this.scheduler = scheduler;
    this.remote = scheduler.executor.requiresImportable === true;
    const name = options.name ?? (fn.name || "trial-task");
    const wrappers = (options.plugins ?? [])
      .filter(isWrapperProvider)
      .map((p) => p.trialWrapper(this.remote));
    this.#wrappers = wrappers;
    if (this.remote) {
      const ref = options.module ?? moduleOf(fn);
      if (!ref) {
        throw new TypeError(
          `Trial.Task "${name}": this scheduler runs trials in worker processes, which must ` +
            `import the function. Export it and wrap it: importable(fn, import.meta.url, "name").`,
        );
      }
      this.#ref = ref;
      this.task = new Task(workerTrampoline as AnyFn, scheduler, {
        ...options,
        name,
        module: CALL_TRIAL,
        handlesExceptions: true,
      });
    } else {
      const local = async (trial: Trial<C>, comm?: unknown) => {
        // With a Comm plugin the executor passes the call's handle last: the trial gets it.
        if (isCommHandle(comm)) trial.plugins.comm = comm;
        return (await wrapTrialFn(fn as (t: Trial) => unknown, wrappers))(trial as Trial);
      };
      this.task = new Task(local as AnyFn, scheduler, {
        ...options,
        name,
        module: undefined,
        handlesExceptions: true,
      });
    }
    this.#listen();
  }

  readonly #ref?: { moduleUrl: string; exportName: string };
  readonly #wrappers: TrialWrapperRef[];
  readonly #trials = new Map<Future, Trial>();

  #listen(): void {
    // Synchronous with the scheduler's completion handling, so a handler may submit more.
    this.task.on("onResult", (f, value) => {
      if (!this.#trials.delete(f)) return;
      this.#emit(
        this.#ref ? TrialReport.fromJSON(value as TrialReportJSON) : (value as TrialReport),
      );
    });
    this.task.on("onException", (f, error) => {
      const trial = this.#trials.get(f);
      if (!trial) return;
      this.#trials.delete(f);
      // A resource limit is the trial's failure (its report names the limit), and so is a
      // function a queue worker refused to import (it never ran); anything else (a dead
      // worker, an error escaping the function) is a crash.
      if (error instanceof LimitExceededError) this.#emit(trial.fail(error));
      else if (this.#ref && isRefusedImport(error))
        this.#emit(trial.fail(refusal(this.#ref, error)));
      else this.#emit(trial.crashed(error));
    });
    this.task.on("onCancelled", (f) => {
      const trial = this.#trials.get(f);
      if (!trial) return;
      this.#trials.delete(f);
      this.events.emit("onCancelled", trial);
    });
  }

  get name(): string {
    return this.task.name;
  }

  on<K extends keyof TrialTaskEvents>(
    name: K,
    handler: Handler<TrialTaskEvents[K]>,
    options?: SubscribeOptions<TrialTaskEvents[K]>,
  ): () => void;
  /** Events that plugins add (e.g. Comm's `onCommMessage`) are those of {@link TrialTask.task}. */
  // biome-ignore lint/suspicious/noExplicitAny: plugin events are untyped
  on(name: string, handler: (...args: any[]) => unknown, options?: SubscribeOptions): () => void;
  // biome-ignore lint/suspicious/noExplicitAny: implementation signature
  on(name: string, handler: (...args: any[]) => unknown, options?: SubscribeOptions): () => void {
    if (this.events.has(name))
      return this.events.on(name as keyof TrialTaskEvents, handler, options);
    if (!this.task.events.has(name)) {
      throw new UnknownEventError(name, [
        ...this.events.eventNames,
        ...this.task.events.eventNames,
      ]);
    }
    return this.task.on(name, handler, options);
  }

  running(): boolean {
    return this.task.running();
  }

  get runningCount(): number {
    return this.task.runningCount;
  }

  /**
   * Submits `trial`; `undefined` when a plugin vetoed it. Listen to `onReport` for the
   * outcome: the future itself resolves with what the call returned (the report, or its JSON
   * from a worker) and rejects when the call failed (a dead worker, a limit), cases for which
   * the task still emits a report (crashed; failed for a limit). A trial that cannot cross to
   * a worker throws an `UncloneableError` naming the part (e.g. `trial.config.model`).
   */
  submit(trial: Trial<C>): Future<unknown> | undefined {
    let future: Future<unknown> | undefined;
    if (this.#ref) {
      const json = trial.toJSON();
      // Name the part of the trial that cannot cross to the worker (e.g. a model in the config).
      assertCloneable(json, `Trial "${trial.name}"`, "trial");
      future = this.task.submit(this.#ref, json, this.#wrappers);
    } else future = this.task.submit(trial);
    if (!future) return undefined;
    this.#trials.set(future, trial as Trial);
    return future;
  }

  /** Alias of {@link TrialTask.submit}. */
  call(trial: Trial<C>): Future<unknown> | undefined {
    return this.submit(trial);
  }

  #emit(report: TrialReport): void {
    this.events.emit("onReport", report);
    if (report.status === "success") this.events.emit("onSuccess", report);
    else if (report.status === "fail") this.events.emit("onFailed", report);
    else if (report.status === "crashed") this.events.emit("onCrashed", report);
  }
}
