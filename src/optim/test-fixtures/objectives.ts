/** Trial functions for optimize tests; importable so worker processes can load them. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { importable } from "../../scheduling/executors/executor.js";
import { Pruned } from "../../trial/pruning.js";
import type { TrialReport } from "../../trial/report.js";
import type { Trial } from "../../trial/trial.js";

/** loss = (x - 0.3)^2 + (y + 0.2)^2, minimum 0 at (0.3, -0.2). */
export const quadratic = importable(
  (trial: Trial): TrialReport => {
    const x = trial.config.x as number;
    const y = trial.config.y as number;
    return trial.success({ loss: (x - 0.3) ** 2 + (y + 0.2) ** 2 });
  },
  import.meta.url,
  "quadratic",
);

/**
 * A 10-epoch "training" whose loss at epoch e is `x + 1 / (e + 1)`: the curve's level is set by
 * `x`, so a large `x` is a bad curve from the first epoch. Asks to be pruned after each epoch.
 */
export const curve = importable(
  async (trial: Trial): Promise<TrialReport> => {
    const x = trial.config.x as number;
    let loss = Number.POSITIVE_INFINITY;
    for (let epoch = 0; epoch < 10; epoch++) {
      loss = x + 1 / (epoch + 1);
      trial.report(epoch, loss);
      if (await trial.shouldPrune()) return trial.fail(new Pruned(epoch));
    }
    return trial.success({ loss });
  },
  import.meta.url,
  "curve",
);

/**
 * Never finishes: for timeout tests (the worker is killed when the run ends with `wait: false`).
 * When `AMLTK_TEST_STARTED_DIR` is set, it first creates a file there named after the trial, so
 * a test knows which trials were running in a worker (and so must be reported) at the timeout.
 */
export const hangs = importable(
  (trial: Trial): Promise<TrialReport> => {
    const dir = process.env.AMLTK_TEST_STARTED_DIR;
    if (dir) writeFileSync(join(dir, trial.name), "");
    return new Promise<TrialReport>(() => {});
  },
  import.meta.url,
  "hangs",
);
