/**
 * The demo's trial function (the seed's target): tracks the trial with `init`. Runs in
 * worker processes, so it is exported and `importable`.
 *
 * @module
 */
import { importable } from "../../scheduling/executors/executor.js";
import { init } from "../../track/index.js";
import type { TrialReport } from "../../trial/report.js";
import type { Trial } from "../../trial/trial.js";

export type DemoConfig = { x: number; y: number; z: number };

export const demoTarget = importable(
  async (trial: Trial<DemoConfig>): Promise<TrialReport> => {
    const { x, y, z } = trial.config;
    const dir = process.env.AMLTK_DEMO_DIR;
    const run = await init({
      project: "amltk-demo",
      name: trial.name,
      config: trial.config,
      mode: "offline",
      ...(dir ? { dir } : {}),
    });
    await trial.begin(() => {
      for (let i = 0; i < 10; i++) {
        run.log({ loss: i * x + 3 * (i * y) - (i * z) ** 2 });
      }
    });
    const cost = y + z;
    trial.summary = { cost };
    run.summary.cost = cost;
    await run.finish();
    return trial.success({ cost });
  },
  import.meta.url,
  "demoTarget",
);
