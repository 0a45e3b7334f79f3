/**
 * `Limits`: resource limits for each call of a task (wall time, CPU time, memory).
 */

import { checkOptionKeys, optionKeys } from "../../shared/options.js";
import type { CallExtras, LimitSpec } from "../executors/executor.js";
import { checkLimits } from "../executors/limits.js";
import { type AnyFn, Plugin, type Task } from "../task.js";

export {
  CpuTimeExceeded,
  LimitExceededError,
  MemoryLimitExceeded,
  UnsupportedLimitError,
  WallTimeExceeded,
} from "../executors/limits.js";

/**
 * Options of {@link Limits}: seconds, seconds, bytes.
 *
 * @example
 * ```ts
 * const options: LimitsOptions = { wallTime: 60, cpuTime: 30, memory: 512 * 2 ** 20 };
 * const task = scheduler.task(work, { plugins: [new Limits(options)] });
 * ```
 */
export type LimitsOptions = LimitSpec;

const LIMITS_KEYS = optionKeys<LimitsOptions>({ wallTime: true, cpuTime: true, memory: true });

/**
 * Stops a call that goes over a limit. On threads and processes the worker running it is
 * stopped and replaced (processes: SIGKILL to its process group; threads: `terminate()`);
 * see the sequential executor for what an in-process call can enforce.
 *
 * - `wallTime` (seconds): measured from the call's start.
 * - `cpuTime` (seconds): user + system CPU of the worker process (processes) or worker
 *   thread (threads), sampled every 25 ms (Linux `/proc`; not enforced elsewhere).
 * - `memory` (bytes): processes: the worker's resident set size, sampled every 25 ms
 *   (Linux). Threads refuse it at Task creation with an `UnsupportedLimitError`: a process's
 *   memory is shared by all its threads and the scheduler, so one call's use cannot be
 *   measured there (see src/scheduling/README.md).
 *
 * A breach fails the call with {@link WallTimeExceeded}, {@link CpuTimeExceeded} or
 * {@link MemoryLimitExceeded}: the task's `onException` gets it, and a `Trial.Task` turns it
 * into a failed report whose exception names the limit.
 *
 * @example
 * ```ts
 * const task = new Trial.Task(train, scheduler, {
 *   plugins: [new Limits({ wallTime: 60, memory: 2 * 2 ** 30 })],
 * });
 * task.on("onFailed", (report) => console.log(report.exception)); // "WallTimeExceeded: ..."
 * ```
 */
export class Limits extends Plugin {
  readonly name = "limits";
  readonly limits: Readonly<LimitSpec>;

  constructor(limits: LimitsOptions = {}) {
    super();
    checkOptionKeys(limits, LIMITS_KEYS, "Limits");
    checkLimits(limits);
    this.limits = Object.freeze({ ...limits });
  }

  override attachTask(task: Task<AnyFn>): void {
    // Refused now rather than at the first submit, deep inside a run.
    task.scheduler.executor.assertLimits?.(this.limits);
  }

  override prepareCall(call: CallExtras): void {
    // Several Limits plugins on one task: the tightest of each limit applies.
    const merged: LimitSpec = { ...call.limits };
    for (const key of ["wallTime", "cpuTime", "memory"] as const) {
      const v = this.limits[key];
      if (v !== undefined) merged[key] = Math.min(v, merged[key] ?? Number.POSITIVE_INFINITY);
    }
    call.limits = merged;
  }
}
