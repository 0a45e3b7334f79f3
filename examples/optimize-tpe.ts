/**
 * Optimize a (simulated) training run with TPE on two worker processes, stopping bad runs
 * early with the median pruner, with a live progress line. With `AMLTK_DIR` set, every trial
 * is also tracked as a W&B-style run in that folder (open it with `amltk ui --dir <that folder>`).
 *
 * Run: npm run build && npx tsx examples/optimize-tpe.ts
 */
import { pathToFileURL } from "node:url";
import {
  categorical,
  float,
  importable,
  int,
  isPruned,
  MedianPruner,
  Metric,
  optimize,
  Pruned,
  Scheduler,
  space,
  TPE,
  type Trial,
} from "amltk";
import { WandbPlugin } from "amltk/wandb";

const EPOCHS = 20;

/**
 * A stand-in for training: the validation loss decays over the epochs towards a level set by
 * the hyperparameters (best near lr = 0.01, width = 64, adam). Reports the loss after every
 * epoch and stops when the pruner says so.
 */
export const train = importable(
  async (trial: Trial) => {
    const { lr, width, optimizer, momentum } = trial.config as {
      lr: number;
      width: number;
      optimizer: "adam" | "sgd";
      momentum?: number;
    };
    const level =
      (Math.log10(lr) + 2) ** 2 +
      (Math.log2(width) - 6) ** 2 / 10 +
      (optimizer === "adam" ? 0 : 0.3 * (1 - (momentum ?? 0)));
    let loss = Number.POSITIVE_INFINITY;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      loss = level + 2 / (1 + epoch);
      trial.report(epoch, loss);
      if (await trial.shouldPrune()) return trial.fail(new Pruned(epoch));
    }
    trial.summary.epochs = EPOCHS;
    return trial.success({ loss });
  },
  import.meta.url,
  "train",
);

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const searchSpace = space({
    lr: float(1e-5, 1, { log: true }),
    width: int(8, 512, { log: true }),
    optimizer: categorical(["adam", "sgd"]),
    momentum: float(0, 0.99, { when: { optimizer: "sgd" } }),
  });
  const loss = new Metric("loss");
  const dir = process.env.AMLTK_DIR;
  const maxTrials = Number(process.env.MAX_TRIALS ?? 40);

  const { history, best, exitState } = await optimize({
    fn: train,
    optimizer: new TPE({ space: searchSpace, metrics: loss, seed: 1, nStartupTrials: 10 }),
    scheduler: Scheduler.withProcesses({ maxWorkers: 2 }),
    maxTrials,
    pruner: new MedianPruner({ nStartupTrials: 5, nWarmupSteps: 2, metric: loss }),
    progress: true,
    plugins: dir ? [new WandbPlugin({ project: "optimize-tpe", dir }).trialTracker()] : [],
  });

  const pruned = history.filter(isPruned).length;
  console.log(`exit: ${exitState.code}; ${history.length} trials, ${pruned} pruned early`);
  console.log(`best: ${best?.name} loss=${best?.values.loss.toFixed(4)}`, best?.config);
  // One machine-readable line for scripts and tests.
  console.log(
    JSON.stringify({
      trials: history.length,
      pruned,
      best: best ? { name: best.name, loss: best.values.loss, config: best.config } : null,
    }),
  );
}
