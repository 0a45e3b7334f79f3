/**
 * amltk/wandb — the seed's plugin: `WandbPlugin`, `WandbParams`.
 *
 * Every export is listed by name (`docs/api-report/amltk-wandb.md` shows them). The worker-side
 * `wandbTrialWrapper` is not among them: workers import it from its own module.
 *
 * @module amltk/wandb
 */

// --- wandb (src/wandb) ---
export {
  type ModifyFn,
  type TrialTrackerOptions,
  WandbParams,
  type WandbParamsInit,
  WandbPlugin,
  WandbTrialTracker,
} from "../wandb/index.js";
export { TRIAL_TRACKER_DEFAULTS } from "../wandb/plugin.js";
