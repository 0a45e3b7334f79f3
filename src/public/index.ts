/**
 * amltk — the programming model: `Scheduler`, `Task`, `Trial`, `Trial.Task`, `Metric`,
 * `History`, plugins, search spaces and optimizers.
 *
 * Every export is listed by name: a module's new export stays internal until it is added here,
 * and `docs/api-report/amltk.md` (checked by `test/e2e/api-report.test.ts`) shows the change.
 *
 * @module amltk
 */

export { OPTIMIZER_DEFAULTS } from "../optim/base-optimizer.js";
export { CMA_ES_DEFAULTS } from "../optim/cmaes/cmaes.js";
export { GRID_SEARCH_DEFAULTS } from "../optim/grid.js";
// --- optim (src/optim) ---
export {
  BaseOptimizer,
  type Choice,
  type ChoiceOptions,
  CmaEs,
  type CmaEsOptions,
  type Condition,
  type Config,
  categorical,
  constant,
  type DirectionOptions,
  type Distribution,
  DurableSweep,
  float,
  GridSearch,
  type GridSearchOptions,
  HyperbandPruner,
  type HyperbandPrunerOptions,
  hypervolume2D,
  int,
  isPruned,
  MedianPruner,
  type MedianPrunerOptions,
  NSGA2,
  type NSGA2Options,
  type NumericOptions,
  OptimizeOptionError,
  type OptimizeOptions,
  type OptimizeResult,
  type Optimizer,
  OptimizerExhaustedError,
  type OptimizerFactoryOptions,
  type OptimizerOptions,
  optimize,
  type Param,
  type ParamSpec,
  Pruned,
  type Pruner,
  PrunerOptionError,
  paretoFront,
  RandomSearch,
  Rng,
  SearchSpace,
  type SearchSpaceJSON,
  SpaceError,
  SuccessiveHalvingPruner,
  type SuccessiveHalvingPrunerOptions,
  SweepBusyError,
  SweepDriverLostError,
  SweepMismatchError,
  SweepOptionError,
  type SweepOptions,
  SweepReplayError,
  space,
  type TellCase,
  TellError,
  type TellErrorCode,
  type TellSubject,
  TPE,
  type TPEOptions,
  tellConformance,
  type When,
} from "../optim/index.js";
export { NSGA2_DEFAULTS } from "../optim/nsga2/nsga2.js";
export { OPTIMIZE_DEFAULTS } from "../optim/optimize.js";
export { DIRECTION_DEFAULTS } from "../optim/pruners/curves.js";
export { HYPERBAND_DEFAULTS } from "../optim/pruners/hyperband.js";
export { MEDIAN_PRUNER_DEFAULTS } from "../optim/pruners/median.js";
export { SUCCESSIVE_HALVING_DEFAULTS } from "../optim/pruners/successive-halving.js";
export { TPE_DEFAULTS } from "../optim/tpe/tpe.js";
// --- scheduling (src/scheduling) ---
export {
  type Emitter,
  type EventMap,
  type Handler,
  type SubscribeOptions,
  UnknownEventError,
} from "../scheduling/events.js";
export { ModuleNotAllowedError } from "../scheduling/executors/distributed/allow.js";
export { InvalidJobIdError, type QueuedJob } from "../scheduling/executors/distributed/job-ids.js";
export {
  QUEUE_EXECUTOR_DEFAULTS,
  type QueueExecutorOptions,
} from "../scheduling/executors/distributed/options.js";
export { QueueExecutor } from "../scheduling/executors/distributed/queue-executor.js";
export {
  QUEUE_WORKER_DEFAULTS,
  type QueueWorker,
  type QueueWorkerOptions,
  startQueueWorker,
} from "../scheduling/executors/distributed/queue-worker.js";
export {
  type Call,
  type CallChannel,
  type CallExtras,
  CancelledError,
  type Executor,
  type FunctionCall,
  type Future,
  type FutureState,
  importable,
  type LimitSpec,
  type ModuleCall,
  type ModuleRef,
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
export {
  WORKER_POOL_DEFAULTS,
  type WorkerPoolOptions,
} from "../scheduling/executors/pool-options.js";
export { ProcessExecutor } from "../scheduling/executors/processes.js";
export { AbandonedCallError, SequentialExecutor } from "../scheduling/executors/sequential.js";
export { ThreadExecutor } from "../scheduling/executors/threads.js";
export { RemoteError, UncloneableError } from "../scheduling/executors/wire.js";
export {
  COMM_DEFAULTS,
  Comm,
  CommClosedError,
  type CommEvents,
  type CommHandle,
  type CommMessage,
  type CommOptions,
  type CommPlugin,
  CommTimeoutError,
} from "../scheduling/plugins/comm.js";
export { Limits, type LimitsOptions } from "../scheduling/plugins/limits.js";
export { RUN_DEFAULTS } from "../scheduling/run-options.js";
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
// --- errors and version (src/shared) ---
export { AmltkError, type AmltkErrorOptions, hasCode } from "../shared/errors.js";
export { OptionError, UnknownOptionError } from "../shared/options.js";
export { VERSION } from "../shared/version.js";
// --- trial (src/trial) ---
export {
  type CpuInterval,
  type FromCSVOptions,
  History,
  type MemoryInterval,
  Metric,
  type MetricBounds,
  type MetricJSON,
  type MetricOptions,
  type Profile,
  type RowValue,
  type TimeInterval,
  Trial,
  type TrialFn,
  type TrialJSON,
  type TrialOptions,
  TrialReport,
  type TrialReportInit,
  type TrialReportJSON,
  type TrialStatus,
  type TrialTask,
  type TrialTaskEvents,
} from "../trial/index.js";
