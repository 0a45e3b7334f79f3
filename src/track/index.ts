export { TrackError } from "./errors.js";
export { type InitOptions, init, type Mode, type Reinit } from "./init.js";
export { MemoryStore } from "./memory-store.js";
export { type LogOptions, Run } from "./run.js";
export type { MetricOptions, SummaryAgg } from "./summary.js";
export { flattenLog } from "./values.js";
