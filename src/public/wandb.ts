/**
 * amltk/wandb — the seed's plugin: `WandbPlugin`, `WandbParams`.
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
  wandbTrialWrapper,
} from "../wandb/index.js";
