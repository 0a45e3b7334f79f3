/** Trivial functions the distributed bench runs on `amltk worker` processes. */
import { appendFileSync } from "node:fs";
import { importable } from "../src/scheduling/executors/executor.js";
import type { Trial } from "../src/trial/index.js";

/** The trivial call: i + 1. */
export const inc = importable((i: number) => i + 1, import.meta.url, "inc");

/** A trivial trial that records its run (one line in `trial.config.file`) for the lost/doubled count. */
export const countedTrial = importable(
  (trial: Trial<{ file: string; i: number }>) => {
    appendFileSync(trial.config.file, `${trial.config.i}\n`);
    return trial.success({ cost: trial.config.i });
  },
  import.meta.url,
  "countedTrial",
);
