/**
 * amltk — the programming model: `Scheduler`, `Task`, `Trial`, `Trial.Task`, `Metric`,
 * `History`, plugins, search spaces and optimizers.
 *
 * @module amltk
 */

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
  CancelledError,
  type Executor,
  type FunctionCall,
  Future,
  type FutureState,
  importable,
  type ModuleCall,
  type ModuleRef,
  moduleOf,
  type ShutdownOptions,
} from "../scheduling/executors/executor.js";
export { ProcessExecutor, RemoteError } from "../scheduling/executors/processes.js";
export { SequentialExecutor } from "../scheduling/executors/sequential.js";
export { ThreadExecutor } from "../scheduling/executors/threads.js";
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
  Task,
  type TaskEvents,
  type TaskOptions,
} from "../scheduling/task.js";

// --- trial (src/trial) ---
export * from "../trial/index.js";

// --- optim (src/optim) ---
export * from "../optim/index.js";

export const VERSION = "0.1.0";
