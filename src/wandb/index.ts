/**
 * The seed's W&B plugin (`amltk/wandb`): `WandbPlugin`, `WandbParams`, the trial tracker.
 * params.ts holds the run parameters, plugin.ts the host side, wrapper.ts what each worker
 * runs around a trial.
 *
 * @module
 */

export { WandbParams, type WandbParamsInit } from "./params.js";
export {
  type ModifyFn,
  type TrialTrackerOptions,
  WandbPlugin,
  WandbTrialTracker,
} from "./plugin.js";
export { wandbTrialWrapper } from "./wrapper.js";
