/**
 * Chooses TPE's single-objective kernel defaults on the BBOB training suite ONLY (every
 * function, dimensions 2 and 5, instances 1 and 2: bench/bbob/harness.ts), never on the test
 * suite bench/optim.ts reports on. Each candidate runs every training problem with seeds
 * 1000.. (not the bench's 0..); per problem the candidates are ranked by median best regret
 * (ties share a rank); the candidate with the lowest mean rank is picked. Prints one JSON
 * object: every candidate's mean rank and wins against the current defaults, and the pick.
 *
 * Run: `node --import tsx bench/tune-tpe.ts [--seeds 5] [--trials 100] [--dims 2,5]
 * [--fids 1,2,...] [--instances 1,2]`.
 */
import { pathToFileURL } from "node:url";
import { TPE, type TPEOptions } from "../src/optim/tpe/index.js";
import { type BoxProblem, median, runOurs, trainingSuite, verdict } from "./bbob/harness.js";

/** The candidates tried: the kernel width and its floor, as the issue suggests. */
const CANDIDATES: Record<string, Partial<TPEOptions>> = {
  "scale0.04-min0.01 (old default)": { bandwidthScale: 0.04, minBandwidth: 0.01 },
  "scale0.1-min0.01": { bandwidthScale: 0.1, minBandwidth: 0.01 },
  "scale0.2-min0.01": { bandwidthScale: 0.2, minBandwidth: 0.01 },
  "scale0.04-magic": { bandwidthScale: 0.04, minBandwidth: "magic" },
  "scale0.1-magic": { bandwidthScale: 0.1, minBandwidth: "magic" },
  "scale0.2-magic": { bandwidthScale: 0.2, minBandwidth: "magic" },
  univariate: { multivariate: false },
};

function list(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1].split(",").map(Number) : fallback;
}

function bests(
  p: BoxProblem,
  extra: Partial<TPEOptions>,
  seeds: number[],
  trials: number,
): number[] {
  return seeds.map(
    (seed) =>
      runOurs(
        p,
        (space, metrics, s) => new TPE({ space, metrics, seed: s, ...extra }),
        trials,
        seed,
      ).best,
  );
}

/** Ranks (1 = best, ties averaged) of `values`. */
function ranks(values: number[]): number[] {
  return values.map((v) => {
    const below = values.filter((w) => w < v).length;
    const equal = values.filter((w) => w === v).length;
    return below + (equal + 1) / 2;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [seedCount] = list("seeds", [5]);
  const [trials] = list("trials", [100]);
  const problems = trainingSuite(
    list(
      "fids",
      Array.from({ length: 24 }, (_, i) => i + 1),
    ),
    list("dims", [2, 5]),
    list("instances", [1, 2]),
  );
  const seeds = Array.from({ length: seedCount }, (_, i) => 1000 + i);
  const names = Object.keys(CANDIDATES);
  const rankSum = new Array<number>(names.length).fill(0);
  const vsOld = names.map(() => ({ win: 0, tie: 0, loss: 0 }));
  for (const p of problems) {
    const runs = names.map((n) => bests(p, CANDIDATES[n], seeds, trials));
    ranks(runs.map(median)).forEach((r, k) => {
      rankSum[k] += r;
    });
    runs.forEach((r, k) => {
      vsOld[k][verdict(r, runs[0])]++;
    });
    console.error(`${p.name}: ${runs.map((r) => median(r).toPrecision(3)).join(" ")}`);
  }
  const tried = names.map((n, k) => ({
    candidate: n,
    options: CANDIDATES[n],
    meanRank: Number((rankSum[k] / problems.length).toFixed(3)),
    againstOldDefault: vsOld[k],
  }));
  const picked = [...tried].sort((a, b) => a.meanRank - b.meanRank)[0];
  console.log(
    JSON.stringify(
      {
        suite: "training: BBOB f1-f24 (or --fids), dims --dims, instances --instances",
        problems: problems.length,
        seeds,
        trials,
        rule: "lowest mean rank of the median best regret over the training problems",
        tried,
        picked: picked.candidate,
      },
      null,
      1,
    ),
  );
}
