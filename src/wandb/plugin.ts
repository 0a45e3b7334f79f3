/**
 * `WandbPlugin` and its `trialTracker()`: the host side of the seed's plugin. The tracker
 * only decides *what* the worker does (params, where `modify` lives); the run itself is
 * opened in the worker by `wandbTrialWrapper` (./wrapper.ts), next to the trial.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { type Future, moduleOf } from "../scheduling/executors/executor.js";
import { WorkerPool } from "../scheduling/executors/pool.js";
import { type AnyFn, Plugin, type Task } from "../scheduling/task.js";
import { checkOptionKeys, optionKeys } from "../shared/options.js";
import { LazyWalCheckpointer } from "../store/sqlite/lazy-checkpointer.js";
import { defaultStoreDir } from "../track/init-options.js";
import { randomId } from "../track/run-id.js";
import type { Trial, TrialJSON } from "../trial/trial.js";
import type { TrialWrapperRef } from "../trial/trial-wrappers.js";
import { closeDeadWorkerRuns, type SubmittedRun } from "./dead-worker-runs.js";
import { registerLocalModifier } from "./local-modifiers.js";
import { WandbParams, type WandbParamsInit } from "./params.js";
import { WRAPPER_URL, type WrapperOptions } from "./wrapper.js";

/**
 * `modify(trial, params)`: returns the params for this trial's run (e.g. with tags). Runs in
 * the worker, so on threads and processes it must be exported and wrapped with `importable`.
 *
 * @example
 * ```ts
 * import { importable, type Trial } from "amltk";
 * import type { ModifyFn, WandbParams } from "amltk/wandb";
 *
 * export const modifyRun: ModifyFn = importable(
 *   (trial: Trial, params: WandbParams) =>
 *     params.modify({ tags: [(trial.config.x as number) > 0 ? "positive" : "negative"] }),
 *   import.meta.url,
 *   "modifyRun",
 * );
 * ```
 */
export type ModifyFn = (trial: Trial, params: WandbParams) => WandbParams;

/**
 * Options of {@link WandbPlugin.trialTracker}.
 *
 * @example
 * ```ts
 * const options: TrialTrackerOptions = { jobType: "evaluation", modify: modifyRun };
 * const task = new Trial.Task(targetFunction, scheduler, {
 *   plugins: [wandbPlugin.trialTracker(options)],
 * });
 * ```
 */
export interface TrialTrackerOptions {
  /**
   * The runs' job type.
   * @defaultValue "trial"
   */
  jobType?: string;
  /** Changes the params per trial; see {@link ModifyFn}. */
  modify?: ModifyFn;
}

/**
 * The defaults of {@link TrialTrackerOptions}, the ones `trialTracker` uses.
 *
 * @example
 * ```ts
 * TRIAL_TRACKER_DEFAULTS.jobType; // "trial"
 * ```
 */
export const TRIAL_TRACKER_DEFAULTS = Object.freeze({ jobType: "trial" });

const TRIAL_TRACKER_KEYS = optionKeys<TrialTrackerOptions>({ jobType: true, modify: true });

/**
 * The seed's W&B plugin: `plugin.trialTracker()` gives a `Trial.Task` plugin that tracks
 * every trial as a run (named after the trial, with its config), attached to the trial as
 * `trial.plugins.wandb`; the report (status, metric values, profiled time and memory, the
 * error) and the numeric `trial.summary` values are recorded, and the run is finished with
 * exit code 0 on success, non-zero otherwise.
 *
 * @example
 * ```ts
 * import { Scheduler, Trial } from "amltk";
 * import { WandbPlugin } from "amltk/wandb";
 *
 * const wandbPlugin = new WandbPlugin({ project: "amltk-test2", mode: "offline" });
 * const scheduler = Scheduler.withProcesses({ maxWorkers: 2 });
 * const task = new Trial.Task(targetFunction, scheduler, {
 *   plugins: [wandbPlugin.trialTracker()],
 * });
 * ```
 */
export class WandbPlugin {
  /** The defaults every run of this plugin starts from. */
  readonly params: WandbParams;

  constructor(init: WandbParamsInit = {}) {
    this.params = new WandbParams(init);
  }

  /** A plugin for `Trial.Task` that tracks each trial as a run. */
  trialTracker(options: TrialTrackerOptions = {}): WandbTrialTracker {
    checkOptionKeys(options, TRIAL_TRACKER_KEYS, "WandbPlugin.trialTracker");
    if (options.modify !== undefined && typeof options.modify !== "function") {
      throw new TypeError(
        `WandbPlugin.trialTracker: modify must be a function, got ${typeof options.modify}`,
      );
    }
    return new WandbTrialTracker(
      this.params.modify({ jobType: options.jobType ?? TRIAL_TRACKER_DEFAULTS.jobType }),
      options.modify,
    );
  }
}

/**
 * The `Trial.Task` plugin made by {@link WandbPlugin.trialTracker}. It refuses, at task
 * creation, a `modify` that worker threads or processes cannot import; and when a worker
 * dies mid-trial it closes that worker's open runs as crashed at once.
 *
 * @example
 * ```ts
 * const tracker: WandbTrialTracker = wandbPlugin.trialTracker({ modify: modifyRun });
 * tracker.params.jobType; // "trial"
 * const task = new Trial.Task(targetFunction, scheduler, { plugins: [tracker] });
 * ```
 */
export class WandbTrialTracker extends Plugin {
  readonly name = "wandb-trial-tracker";
  readonly params: WandbParams;
  readonly modify?: ModifyFn;

  constructor(params: WandbParams, modify?: ModifyFn) {
    super();
    this.params = params;
    this.modify = modify;
  }

  /** The options of the wrapper this tracker gave last (`attachTask` comes next, same task). */
  #lastOptions: WrapperOptions | null = null;
  /**
   * The options of the wrappers this tracker gave tasks that run on a local worker pool
   * (threads, processes), found again in `preSubmit`. Only there does the host give run ids:
   * a pool never runs a call twice, while a queue may hand a call to another worker again.
   */
  readonly #onLocalPool = new WeakSet<WrapperOptions>();

  /** Called by `Trial.Task`: what the worker runs around each trial. */
  trialWrapper(remote: boolean): TrialWrapperRef {
    const options: WrapperOptions = { params: this.params.toJSON() };
    this.#lastOptions = options;
    if (this.modify) {
      const ref = moduleOf(this.modify);
      if (ref) options.modify = ref;
      else if (remote) {
        throw new TypeError(
          `WandbPlugin.trialTracker: modify "${this.modify.name || "(anonymous)"}" cannot ` +
            "reach the worker: this scheduler runs trials in worker threads or processes, " +
            "which import it by module and export name. Export it and wrap it: " +
            'export const modifyRun = importable((trial, params) => ..., import.meta.url, "modifyRun").',
        );
      } else {
        options.modify = { moduleUrl: "local:", exportName: registerLocalModifier(this.modify) };
      }
    }
    return { moduleUrl: WRAPPER_URL, exportName: "wandbTrialWrapper", options };
  }

  /** The run id given to the call being submitted, until the task says which future it is. */
  #submitting: SubmittedRun | null = null;
  /** Offline runs sent to a worker and not reported on yet, by call. */
  readonly #inWorkers = new Map<Future, SubmittedRun>();

  /**
   * For a trial sent to a worker (thread or process) with an offline run: gives the run its
   * id here, so that if the worker dies before storing the run's row (which it stores with
   * the run's first write, see `initTrialRun`) this side can record the run as crashed.
   */
  override preSubmit(fn: AnyFn, args: unknown[]): [AnyFn, unknown[]] | undefined {
    const [ref, trial, wrappers] = args as [unknown, TrialJSON, TrialWrapperRef[] | undefined];
    const at = Array.isArray(wrappers)
      ? wrappers.findIndex((w) => this.#onLocalPool.has(w.options as WrapperOptions))
      : -1;
    if (at < 0 || (this.params.mode ?? "offline") !== "offline" || this.params.resume) {
      return [fn, args];
    }
    const runId = randomId();
    const hostCheckpoints = this.#checkpointing();
    this.#submitting = {
      runId,
      trialName: trial.name,
      trialConfig: trial.config,
      submittedAt: Date.now(),
    };
    const given = wrappers![at]!;
    const mine = {
      ...given,
      options: { ...(given.options as WrapperOptions), runId, hostCheckpoints },
    };
    return [fn, [ref, trial, wrappers!.map((w, i) => (i === at ? mine : w))]];
  }

  /**
   * The store's WAL checkpointer while the scheduler runs trials on a pool: a thread, started
   * once the WAL has grown past SQLite's own checkpoint size (store/sqlite/lazy-checkpointer.ts).
   */
  #checkpointer: LazyWalCheckpointer | null = null;

  /**
   * Starts watching the store's WAL (if not yet) and returns its file: the pool's workers then
   * leave checkpoints to the host's thread, off their trials' commits
   * (store/sqlite/checkpointer.ts).
   */
  #checkpointing(): string {
    if (!this.#checkpointer) {
      const file = join(resolve(this.params.dir ?? defaultStoreDir()), "amltk.db");
      this.#checkpointer = new LazyWalCheckpointer(file);
    }
    return this.#checkpointer.file;
  }

  /** Stops the checkpointer when the scheduler ends; resolves once its thread has exited. */
  async #stopCheckpointer(): Promise<void> {
    const checkpointer = this.#checkpointer;
    this.#checkpointer = null;
    await checkpointer?.stop();
  }

  /**
   * A worker that dies mid-trial cannot finish its run; the task reports the trial as crashed,
   * and here the run is closed as crashed too (dead-worker-runs.ts), instead of waiting for a
   * reader to notice the stale heartbeat.
   */
  override attachTask(task: Task<AnyFn>): void {
    const options = this.#lastOptions;
    this.#lastOptions = null;
    if (this.params.mode === "disabled") return;
    if (options && task.scheduler.executor instanceof WorkerPool) {
      this.#onLocalPool.add(options);
      task.scheduler.on("onFinished", () => void this.#stopCheckpointer());
    }
    task.on("onSubmitted", (f) => {
      if (this.#submitting) this.#inWorkers.set(f, this.#submitting);
      this.#submitting = null;
    });
    task.on("onResult", (f) => this.#inWorkers.delete(f));
    task.on("onCancelled", (f) => this.#inWorkers.delete(f));
    task.on("onException", (f) => {
      const run = this.#inWorkers.get(f);
      this.#inWorkers.delete(f);
      closeDeadWorkerRuns(this.params.dir ?? defaultStoreDir(), this.params, run);
    });
  }
}
