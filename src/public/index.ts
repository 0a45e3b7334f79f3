/**
 * amltk — the programming model: `Scheduler`, `Task`, `Trial`, `Trial.Task`, `Metric`,
 * `History`, plugins, search spaces and optimizers.
 *
 * @module amltk
 */

// --- optim (src/optim) ---
export * from "../optim/index.js";
// --- scheduling (src/scheduling) ---
export {
  Emitter,
  type EventMap,
  type Handler,
  type SubscribeOptions,
  UnknownEventError,
} from "../scheduling/events.js";
export {
  type Call,
  type CallChannel,
  type CallExtras,
  CancelledError,
  type Executor,
  type FunctionCall,
  Future,
  type FutureState,
  importable,
  type LimitSpec,
  type ModuleCall,
  type ModuleRef,
  moduleOf,
  type ShutdownOptions,
} from "../scheduling/executors/executor.js";
export {
  CpuTimeExceeded,
  LimitExceededError,
  MemoryLimitExceeded,
  UnsupportedLimitError,
  WallTimeExceeded,
} from "../scheduling/executors/limits.js";
export { WorkerDiedError } from "../scheduling/executors/pool.js";
export { ProcessExecutor } from "../scheduling/executors/processes.js";
export { AbandonedCallError, SequentialExecutor } from "../scheduling/executors/sequential.js";
export { ThreadExecutor } from "../scheduling/executors/threads.js";
export { RemoteError, UncloneableError } from "../scheduling/executors/wire.js";
export {
  Comm,
  CommClosedError,
  type CommEvents,
  CommHandle,
  CommMessage,
  type CommOptions,
  CommPlugin,
  CommTimeoutError,
} from "../scheduling/plugins/comm.js";
export { Limits, type LimitsOptions } from "../scheduling/plugins/limits.js";
export {
  type ErrorClass,
  type ExceptionMode,
  type ExitCode,
  type ExitState,
  type OnException,
  type RunOptions,
  Scheduler,
  type SchedulerEvents,
  SchedulerNotRunningError,
} from "../scheduling/scheduler.js";
export {
  Limiter,
  type LimiterOptions,
  Plugin,
  type SubmitArgs,
  Task,
  type TaskEvents,
  type TaskOptions,
} from "../scheduling/task.js";
// --- trial (src/trial) ---
export * from "../trial/index.js";

/**
 * The package's version.
 *
 * @example
 * ```ts
 * import { VERSION } from "amltk";
 * console.log(`amltk ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
