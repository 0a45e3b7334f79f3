/**
 * amltk/track — a W&B-compatible tracker over a local-first embedded store:
 * `init`, `Run`, `run.log`, `run.summary`, `run.config`, `defineMetric`, modes.
 *
 * @module amltk/track
 */

// --- export (src/export) ---
export {
  exportWandbRun,
  WandbExportError,
  type WandbExportOptions,
  type WandbExportResult,
} from "../export/index.js";
// --- import (src/import) ---
export {
  findWandbRunFiles,
  groupWandbRunParts,
  importWandbRun,
  readWandbLog,
  WandbImportError,
  type WandbImportOptions,
  type WandbImportResult,
  type WandbItem,
  WandbLogError,
  type WandbRecord,
  type WandbRunInfo,
} from "../import/index.js";
export { StoreFullError } from "../store/store-full-error.js";
// --- store (src/store) ---
export type {
  RunQuery,
  RunRecord,
  RunState,
  Store,
  StoredValue,
  StoreTransaction,
} from "../store/types.js";
export { StoreError } from "../store/types.js";
export {
  type FinishOptions,
  type FinishState,
  type InitOptions,
  init,
  type LogOptions,
  MemoryStore,
  type MetricOptions,
  type Mode,
  type Reinit,
  Run,
  type SummaryAgg,
  TrackError,
} from "../track/index.js";
// --- track (src/track) ---
export { INIT_DEFAULTS, type OnlineProtocol } from "../track/init-options.js";
// --- W&B-protocol online mode (src/track/wandb-online) ---
export {
  syncWandbSpools,
  WandbSendError,
  type WandbSyncOptions,
  type WandbSyncReport,
} from "../track/wandb-online/index.js";
