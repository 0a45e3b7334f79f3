/**
 * The demo's trial function: the seed's "with plugin" target. The WandbPlugin opens the run
 * in the worker and attaches it as `trial.plugins.wandb`; this function only logs. Runs in
 * worker processes, so it is exported and `importable`.
 *
 * @module
 */
import { importable } from "../../scheduling/executors/executor.js";
import type { Run } from "../../track/index.js";
import type { TrialReport } from "../../trial/report.js";
import type { Trial } from "../../trial/trial.js";

export type DemoConfig = { x: number; y: number; z: number };

export const demoTarget = importable(
  async (trial: Trial<DemoConfig>): Promise<TrialReport> => {
    const { x, y, z } = trial.config;
    const run = trial.plugins.wandb as Run;
    await trial.begin(() => {
      for (let i = 0; i < 10; i++) {
        run.log({ loss: i * x + 3 * (i * y) - (i * z) ** 2 });
      }
    });
    const cost = y + z;
    trial.summary = { cost }; // the plugin copies numeric summary values into run.summary
    return trial.success({ cost });
  },
  import.meta.url,
  "demoTarget",
);
