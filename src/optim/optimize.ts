/**
 * `optimize()`: amltk's optimization loop. On start, one ask per worker; on each report, tell
 * the optimizer, add the report to the History, and ask and submit the next trial, until
 * `maxTrials` trials were submitted or `timeout` seconds passed. Optionally prunes trials
 * early (`pruner`), shows a progress line (`progress`), and runs the user's task plugins (e.g.
 * the W&B trial tracker) on every trial.
 *
 * @module
 */

import type { ExitState } from "../scheduling/exit-state.js";
import { CommPlugin } from "../scheduling/plugins/comm.js";
import { Scheduler } from "../scheduling/scheduler.js";
import type { Plugin } from "../scheduling/task.js";
import { checkOptionKeys, OptionError, optionKeys } from "../shared/options.js";
import { History } from "../trial/history.js";
import type { Metric } from "../trial/metric.js";
import { Progress, type ProgressOptions } from "../trial/progress.js";
import { answerPruning } from "../trial/pruning.js";
import type { TrialReport } from "../trial/report.js";
// Trial (not trial-task.js) first: trial.ts and trial-task.ts import each other, and only
// entering through trial.ts initializes them in a working order.
import { Trial } from "../trial/trial.js";
import type { TrialFn, TrialTask } from "../trial/trial-task.js";
import { runLoop, type StatusAwarePruner } from "./optimize-loop.js";
import { paretoFront } from "./pareto.js";
import type { SearchSpace } from "./space/search-space.js";
import { DurableSweep, type SweepOptions } from "./sweep/durable-sweep.js";
import type { Optimizer, Pruner } from "./types.js";

/**
 * What an optimizer factory receives (the options `RandomSearch`, `TPE`, ... take).
 *
 * @example
 * ```ts
 * await optimize({ fn, space: s, metrics: loss, seed: 1, optimizer: (o) => new TPE(o), maxTrials: 9 });
 * ```
 */
export interface OptimizerFactoryOptions {
  space: SearchSpace;
  metrics: readonly Metric[];
  seed?: number;
}

/**
 * Options of {@link optimize}.
 *
 * @example
 * ```ts
 * const options: OptimizeOptions = {
 *   fn: train, // importable, since it runs on processes
 *   optimizer: new TPE({ space: s, metrics: loss, seed: 1 }),
 *   workers: 4,
 *   maxTrials: 100,
 *   timeout: 600,
 *   pruner: new MedianPruner(),
 *   progress: true,
 *   plugins: [new WandbPlugin({ project: "p" }).trialTracker()],
 * };
 * ```
 */
export interface OptimizeOptions<C extends Record<string, unknown> = Record<string, unknown>> {
  /**
   * The function evaluating one trial. On threads/processes it must be importable
   * (`importable(fn, import.meta.url, "name")`). Give `fn` or `task`, not both.
   */
  fn?: TrialFn<C>;
  /** A ready `Trial.Task` instead of `fn` (its scheduler and plugins are used as they are). */
  task?: TrialTask<C>;
  /**
   * The optimizer, or a factory `(o) => new RandomSearch(o)` called with `space`, `metrics`
   * and `seed`.
   */
  optimizer: Optimizer | ((options: OptimizerFactoryOptions) => Optimizer);
  /** The space to search; needed with an optimizer factory. */
  space?: SearchSpace;
  /** The metric(s) to optimize; needed with an optimizer factory. */
  metrics?: Metric | readonly Metric[];
  /** Seed passed to an optimizer factory. */
  seed?: number;
  /**
   * Where trials run. Default: sequential for `workers` 1 (or unset), processes with
   * `maxWorkers: workers` otherwise.
   */
  scheduler?: Scheduler;
  /** How many trials to evaluate (submitted trials; cancelled ones do not count). */
  maxTrials?: number;
  /** Seconds after which no new trial starts; running ones finish (see `wait`). */
  timeout?: number;
  /** Trials evaluated at once (default: the scheduler's `maxWorkers`, else 1). */
  workers?: number;
  /** Stops unpromising trials early from what they `trial.report(step, value)`. */
  pruner?: Pruner;
  /**
   * Shows a progress line on stderr (redrawn on a TTY, plain lines otherwise); an object
   * passes options to `Progress` (e.g. a `stream`).
   * @defaultValue false
   */
  progress?: boolean | ProgressOptions;
  /** Task plugins for every trial, e.g. `[wandb.trialTracker()]` (only with `fn`). */
  plugins?: Plugin[];
  /**
   * With `false`, trials still running at the timeout are cancelled; by default they finish.
   * @defaultValue true
   */
  wait?: boolean;
  /** Called with each report after the History got it (e.g. to log or to stop early). */
  onReport?: (report: TrialReport, history: History) => void;
  /**
   * Makes the sweep durable: its asks and tells are journaled in `store` under `name` (one
   * run per trial), and calling `optimize` again with the same name after the driver died
   * resumes it: the optimizer is rebuilt from the journal, no trial is asked twice, trials in
   * flight are collected (queue executor) or reported crashed, and `maxTrials` counts the
   * trials of every driver. The History then holds the earlier drivers' reports too.
   * See docs/guides/durable-sweeps.md.
   */
  sweep?: SweepOptions;
}

/**
 * What {@link optimize} returns.
 *
 * @example
 * ```ts
 * const { history, best, exitState } = await optimize(options);
 * writeFileSync("history.csv", history.toCSV());
 * console.log(exitState.code, best?.config);
 * ```
 */
export interface OptimizeResult {
  /** Every report, in the order they arrived. */
  history: History;
  /**
   * The best successful report for the first metric (`undefined` when none succeeded). For
   * several metrics, pick from `history` (e.g. its Pareto front).
   */
  best: TrialReport | undefined;
  /**
   * The successful reports no other one dominates on all the optimizer's metrics (the Pareto
   * front; for one metric, the best report and any ties).
   */
  front: TrialReport[];
  /** How the scheduler's run ended (`EXHAUSTED` once every trial reported, `TIMEOUT`, ...). */
  exitState: ExitState;
}

/**
 * A bad {@link optimize} option: names the option and the value given.
 * Code `invalid_option`.
 *
 * @example
 * ```ts
 * await optimize({ fn, optimizer, maxTrials: 0 });
 * // OptimizeOptionError: optimize: `maxTrials` must be an integer >= 1, got 0
 * ```
 */
export class OptimizeOptionError extends OptionError {
  override name = "OptimizeOptionError";
  constructor(message: string) {
    super("invalid_option", `optimize: ${message}`);
  }
}

/**
 * The defaults of {@link OptimizeOptions}, the ones the code uses (`workers` and `scheduler`
 * have none here: they follow each other, see their docs).
 *
 * @example
 * ```ts
 * OPTIMIZE_DEFAULTS.wait; // true: trials running at the timeout finish
 * ```
 */
export const OPTIMIZE_DEFAULTS = Object.freeze({ wait: true, progress: false });

const OPTIMIZE_KEYS = optionKeys<OptimizeOptions>({
  fn: true,
  task: true,
  optimizer: true,
  space: true,
  metrics: true,
  seed: true,
  scheduler: true,
  maxTrials: true,
  timeout: true,
  workers: true,
  pruner: true,
  progress: true,
  plugins: true,
  wait: true,
  onReport: true,
  sweep: true,
});

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new OptimizeOptionError(`\`${name}\` must be an integer >= 1, got ${String(v)}`);
  }
  return v;
}

function resolveOptimizer(o: OptimizeOptions<never>): Optimizer {
  if (typeof o.optimizer === "function") {
    if (!o.space) throw new OptimizeOptionError("an optimizer factory needs `space`");
    if (!o.metrics) throw new OptimizeOptionError("an optimizer factory needs `metrics`");
    const metrics = Array.isArray(o.metrics) ? o.metrics : [o.metrics as Metric];
    const opt = o.optimizer({ space: o.space, metrics, seed: o.seed });
    if (!opt || typeof opt.ask !== "function")
      throw new OptimizeOptionError("the optimizer factory returned no Optimizer");
    return opt;
  }
  const opt = o.optimizer;
  if (!opt || typeof opt.ask !== "function" || typeof opt.tell !== "function")
    throw new OptimizeOptionError("`optimizer` must be an Optimizer (ask/tell) or a factory");
  const own = (opt as { space?: unknown }).space;
  if (o.space && own !== undefined && own !== o.space)
    throw new OptimizeOptionError("`space` differs from the optimizer's own space");
  return opt;
}

function resolveTask<C extends Record<string, unknown>>(
  o: OptimizeOptions<C>,
  workers: number | undefined,
): TrialTask<C> {
  if (o.task) {
    if (o.fn) throw new OptimizeOptionError("give `fn` or `task`, not both");
    if (o.plugins?.length)
      throw new OptimizeOptionError("`plugins` only go with `fn`; give them to your Trial.Task");
    if (o.scheduler && o.scheduler !== o.task.scheduler)
      throw new OptimizeOptionError("`scheduler` differs from the task's scheduler");
    if (o.pruner && o.task.remote && !o.task.task.plugins.some((p) => p instanceof CommPlugin))
      throw new OptimizeOptionError(
        "pruning trials on worker threads/processes needs the Comm plugin on the task: " +
          "new Trial.Task(fn, scheduler, { plugins: [new Comm.Plugin()] })",
      );
    return o.task;
  }
  if (typeof o.fn !== "function") throw new OptimizeOptionError("give `fn` (or `task`)");
  const scheduler =
    o.scheduler ??
    ((workers ?? 1) > 1
      ? Scheduler.withProcesses({ maxWorkers: workers as number })
      : Scheduler.withSequential());
  const plugins = [...(o.plugins ?? [])];
  // In worker threads/processes the trial reaches the pruner through Comm; in-process the
  // pruner is attached to the trial object directly (see attachPruner).
  if (
    o.pruner &&
    scheduler.executor.requiresImportable &&
    !plugins.some((p) => p instanceof CommPlugin)
  )
    plugins.push(new CommPlugin());
  return new Trial.Task<C>(o.fn, scheduler, { plugins });
}

/**
 * Runs the optimization loop and resolves with the History, the best report and the exit state.
 *
 * Trials are asked from the optimizer one per worker at the start, then one per report, so at
 * most `workers` run at once and exactly `maxTrials` are submitted (fewer if the optimizer runs
 * out, the timeout hits, or a plugin vetoes a submission — asking then stops). Each report is
 * told to the optimizer, added to the History, and passed to the pruner (`complete`) before
 * the next ask. A pruned trial is a `"fail"` report with the exception `"Pruned at step N"`.
 *
 * @example
 * ```ts
 * const s = space({ x: float(-5, 5), y: float(-5, 5) });
 * const { best, history } = await optimize({
 *   fn: (trial) => trial.success({ loss: (trial.config.x as number) ** 2 }),
 *   optimizer: (o) => new RandomSearch(o),
 *   space: s,
 *   metrics: new Metric("loss"),
 *   maxTrials: 50,
 * });
 * best?.config; // the x closest to 0 found
 * history.length; // 50
 * ```
 */
export async function optimize<C extends Record<string, unknown> = Record<string, unknown>>(
  options: OptimizeOptions<C>,
): Promise<OptimizeResult> {
  if (!options || typeof options !== "object")
    throw new OptimizeOptionError("expected an options object");
  checkOptionKeys(options, OPTIMIZE_KEYS, "optimize");
  const { timeout } = options;
  // Our pruners take the status as an optional second argument (only successful trials count
  // for the median, as in Optuna); any other Pruner simply ignores it.
  const pruner = options.pruner as StatusAwarePruner | undefined;
  if (options.maxTrials === undefined && timeout === undefined)
    throw new OptimizeOptionError("give `maxTrials`, `timeout` or both, or it would never end");
  const maxTrials =
    options.maxTrials === undefined
      ? Number.POSITIVE_INFINITY
      : positiveInt("maxTrials", options.maxTrials);
  if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0)))
    throw new OptimizeOptionError(`\`timeout\` must be a number of seconds > 0, got ${timeout}`);
  const askedWorkers =
    options.workers === undefined ? undefined : positiveInt("workers", options.workers);
  if (
    pruner &&
    (typeof pruner.report !== "function" ||
      typeof pruner.shouldPrune !== "function" ||
      typeof pruner.complete !== "function")
  )
    throw new OptimizeOptionError("`pruner` must implement report/shouldPrune/complete");

  const optimizer = resolveOptimizer(options as OptimizeOptions<never>);
  const task = resolveTask(options, askedWorkers);
  const scheduler = task.scheduler;
  const workers = askedWorkers ?? scheduler.executor.maxWorkers ?? 1;
  const metric = optimizer.metrics[0];
  const sweep = options.sweep ? await DurableSweep.open(options.sweep, optimizer) : undefined;
  const history = new History();
  for (const report of sweep?.told ?? []) history.add(report);
  const progress = makeProgress(options.progress ?? OPTIMIZE_DEFAULTS.progress, maxTrials, metric);

  const offPruning = pruner ? answerPruningQuestions(task, pruner) : [];
  let exitState: ExitState;
  let ok = false;
  try {
    exitState = await runLoop(
      {
        task,
        optimizer,
        workers,
        maxTrials,
        history,
        pruner,
        progress,
        sweep,
        onReport: options.onReport,
      },
      { timeout, wait: options.wait ?? OPTIMIZE_DEFAULTS.wait },
    );
    ok = true;
  } finally {
    for (const f of offPruning) f();
    progress?.finish();
    await sweep?.close(ok ? "finished" : "failed");
  }
  let best: TrialReport | undefined;
  if (metric && history.length > 0 && [...history].some((r) => metric.name in r.values))
    best = history.best(metric.name);
  const front = history.length > 0 ? paretoFront(history, optimizer.metrics) : [];
  return { history, best, front, exitState };
}

/** Answers the pruning questions trials ask through Comm; returns the unsubscribers. */
function answerPruningQuestions(
  task: TrialTask<never> | TrialTask<Record<string, unknown>>,
  pruner: StatusAwarePruner,
): (() => void)[] {
  if (!task.task.events.has("onCommRequest")) return [];
  const answer = (msg: { data: unknown; respond?: (v: unknown) => void }) => {
    const r = answerPruning(pruner, msg.data);
    if (r.handled && r.answer !== undefined) msg.respond?.(r.answer);
  };
  return [
    task.task.on("onCommRequest", answer),
    task.task.on("onCommMessage", (msg: { data: unknown }) => answerPruning(pruner, msg.data)),
  ];
}

function makeProgress(
  option: OptimizeOptions["progress"],
  maxTrials: number,
  metric: Metric | undefined,
): Progress | undefined {
  if (!option) return undefined;
  const extra = option === true ? {} : option;
  return new Progress({
    total: Number.isFinite(maxTrials) ? maxTrials : undefined,
    minimize: metric?.minimize ?? true,
    metric: metric?.name,
    ...extra,
  });
}
