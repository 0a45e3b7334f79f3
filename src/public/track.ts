/**
 * amltk/track — a W&B-compatible tracker over a local-first embedded store:
 * `init`, `Run`, `run.log`, `run.summary`, `run.config`, `defineMetric`, modes.
 *
 * @module amltk/track
 */

// --- track (src/track) ---

// --- store (src/store) ---
export type {
  RunQuery,
  RunRecord,
  RunState,
  Store,
  StoredValue,
} from "../store/types.js";
export { StoreError } from "../store/types.js";
