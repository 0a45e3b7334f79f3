/** Import of other trackers' runs into the store; W&B offline runs first. */
export { WandbImportError, WandbLogError, WandbPartOrderError } from "./errors.js";
export { findWandbRunFiles, groupWandbRunParts } from "./find-runs.js";
export { importWandbRun, type WandbImportOptions, type WandbImportResult } from "./import-run.js";
export { readWandbLog } from "./read-wandb-log.js";
export type { WandbItem, WandbRecord, WandbRunInfo } from "./wandb-records.js";
