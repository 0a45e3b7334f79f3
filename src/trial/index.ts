/**
 * Trials, their reports, metrics and history.
 *
 * @module
 */

export { type FromCSVOptions, History } from "./history.js";
export { Metric, type MetricBounds, type MetricJSON, type MetricOptions } from "./metric.js";
export type { CpuInterval, MemoryInterval, Profile, TimeInterval } from "./profile.js";
export {
  type RowValue,
  TrialReport,
  type TrialReportInit,
  type TrialReportJSON,
  type TrialStatus,
} from "./report.js";
export { Trial, type TrialJSON, type TrialOptions } from "./trial.js";
export { callTrial } from "./trial-call.js";
export {
  TRIAL_TASK_EVENTS,
  type TrialFn,
  TrialTask,
  type TrialTaskEvents,
} from "./trial-task.js";
