/**
 * The trial: train an {@link Mlp} on the Iris training rows for up to `epochs` epochs with the
 * trial's hyperparameters, and after every epoch log the training and validation loss and
 * accuracy to the trial's W&B-style run (when the W&B plugin tracks it), report the validation
 * loss to the pruner, and stop when the pruner says the curve is not promising.
 */
import { importable, Pruned, Rng, type Trial } from "amltk";
import type { Run } from "amltk/track";
import { loadIris } from "./data.js";
import { Mlp } from "./mlp.js";

/** The hyperparameters a trial gets (`momentum` only with SGD). */
export type ModelConfig = {
  optimizer: "adam" | "sgd";
  learning_rate: number;
  momentum?: number;
  layers: number;
  hidden_units: number;
  weight_decay: number;
  batch_size: number;
};

/** Epochs a trial trains unless pruned; `EPOCHS` in the environment overrides it. */
export const DEFAULT_EPOCHS = 30;

/** Which split and weight initialisation every trial uses (one data split for the sweep). */
const DATA_SEED = 0;

/** One epoch's numbers, as logged to the run. */
export interface EpochLog {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number;
  val_accuracy: number;
}

export const trainModel = importable(
  async (trial: Trial) => {
    const config = trial.config as ModelConfig;
    const epochs = Number(process.env.EPOCHS ?? DEFAULT_EPOCHS);
    const data = loadIris(DATA_SEED);
    // Seeded per trial name: the same trial trains the same way again.
    const rng = new Rng(hashName(trial.name));
    const model = new Mlp({
      inputs: data.features,
      hidden: Array.from({ length: config.layers }, () => config.hidden_units),
      classes: data.classes.length,
      optimizer: config.optimizer,
      learningRate: config.learning_rate,
      momentum: config.momentum,
      weightDecay: config.weight_decay,
      random: () => rng.next(),
    });
    const run = trial.plugins.wandb as Run | undefined;
    let last: EpochLog | undefined;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      model.trainEpoch(data.train.rows, data.train.labels, config.batch_size);
      const train = model.evaluate(data.train.rows, data.train.labels);
      const val = model.evaluate(data.validation.rows, data.validation.labels);
      last = {
        epoch,
        train_loss: train.loss,
        train_accuracy: train.accuracy,
        val_loss: val.loss,
        val_accuracy: val.accuracy,
      };
      // The epoch is the step: logged as the step, not as a curve of its own.
      const { epoch: _, ...curves } = last;
      run?.log(curves, { step: epoch });
      trial.report(epoch, val.loss);
      if (await trial.shouldPrune()) {
        trial.summary.val_accuracy = val.accuracy;
        return trial.fail(new Pruned(epoch));
      }
    }
    trial.summary.val_accuracy = last?.val_accuracy ?? 0;
    trial.summary.epochs = epochs;
    return trial.success({ val_loss: last?.val_loss ?? Number.POSITIVE_INFINITY });
  },
  import.meta.url,
  "trainModel",
);

/** A 32-bit FNV-1a hash of a trial name, as a seed. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
