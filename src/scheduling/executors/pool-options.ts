/** Options of the worker-pool executors (`ThreadExecutor`, `ProcessExecutor`). */
import { checkOptionKeys, OptionError, optionKeys } from "../../shared/options.js";

/**
 * Options of {@link ThreadExecutor} and {@link ProcessExecutor} (and `Scheduler.withThreads`,
 * `Scheduler.withProcesses`).
 *
 * @example
 * ```ts
 * const options: WorkerPoolOptions = { maxWorkers: 4, graceSeconds: 2 };
 * const scheduler = Scheduler.withProcesses(options);
 * ```
 */
export interface WorkerPoolOptions {
  /** Workers running calls at once; a positive integer. */
  maxWorkers: number;
  /**
   * Seconds workers get to end by themselves (their termination cleanups: a tracked run
   * written and closed) when stopped without waiting, or when the host ends by a signal.
   * @defaultValue 1
   */
  graceSeconds?: number;
}

/**
 * The defaults of {@link WorkerPoolOptions}, the ones the executors use.
 *
 * @example
 * ```ts
 * WORKER_POOL_DEFAULTS.graceSeconds; // 1
 * ```
 */
export const WORKER_POOL_DEFAULTS = Object.freeze({ graceSeconds: 1 });

const WORKER_POOL_KEYS = optionKeys<WorkerPoolOptions>({ maxWorkers: true, graceSeconds: true });

/**
 * Checks a pool executor's options (`where` names it in errors) and fills in the defaults.
 *
 * @example
 * ```ts
 * resolvePoolOptions({ maxWorkers: 2 }, "ThreadExecutor"); // { maxWorkers: 2, graceSeconds: 1 }
 * ```
 */
export function resolvePoolOptions(
  options: WorkerPoolOptions,
  where: string,
): Required<WorkerPoolOptions> {
  checkOptionKeys(options, WORKER_POOL_KEYS, where);
  const { maxWorkers, graceSeconds = WORKER_POOL_DEFAULTS.graceSeconds } = options ?? {};
  if (typeof graceSeconds !== "number" || !(graceSeconds >= 0)) {
    throw new OptionError(
      "invalid_option",
      `${where}: graceSeconds must be a number >= 0, got ${graceSeconds}`,
      "graceSeconds",
    );
  }
  return { maxWorkers, graceSeconds };
}
