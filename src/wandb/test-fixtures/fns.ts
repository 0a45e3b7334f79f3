/** Fixture trial functions imported by worker processes in wandb tests. */
import { importable } from "../../scheduling/executors/executor.js";
import type { Run } from "../../track/index.js";
import type { Trial } from "../../trial/trial.js";
import type { WandbParams } from "../index.js";

type XYZ = { x: number; y: number; z: number };

/** The seed's "with plugin" target function. */
export const targetFunction = importable(
  async (trial: Trial<XYZ>) => {
    const { x, y, z } = trial.config;
    const run = trial.plugins.wandb as Run;
    await trial.begin(async () => {
      for (let i = 0; i < 10; i++) {
        const loss = i * x + 3 * (i * y) - (i * z) ** 2;
        run.log({ loss });
      }
    });
    const cost = y + z;
    trial.summary = { cost };
    return trial.success({ cost });
  },
  import.meta.url,
  "targetFunction",
);

export const throws = importable(
  (_trial: Trial<XYZ>) => {
    throw new Error("boom");
  },
  import.meta.url,
  "throws",
);

export const modifyRun = importable(
  (trial: Trial, params: WandbParams) =>
    params.modify({ tags: [(trial.config.x as number) > 0 ? "positive" : "negative"] }),
  import.meta.url,
  "modifyRun",
);
