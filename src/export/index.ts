/** Export of runs to other trackers' formats; W&B offline run folders first. */
export {
  exportWandbRun,
  WandbExportError,
  type WandbExportOptions,
  type WandbExportResult,
} from "./export-run.js";
