/**
 * bench/tune-tpe.ts's `--vs-optuna` scoring: each candidate's Mann-Whitney wins / ties /
 * losses against Optuna's TPESampler on the TRAINING problems (the metric the issue reports on
 * the test suite), and the pick by that metric.
 *
 * @module
 */

import { type BoxProblem, median, verdict } from "./harness.js";

/** Best regret per candidate per problem index per seed. */
export type Bests = Record<string, Record<number, number[]>>;

export interface VersusOptuna {
  readonly win: number;
  readonly tie: number;
  readonly loss: number;
  /** Problems where the candidate's median is below Optuna's. */
  readonly betterMedian: number;
}

/** Per candidate, its verdicts against Optuna's runs over every problem. */
export function versusOptuna(
  names: string[],
  bests: Bests,
  optuna: Record<number, number[]>,
  problemCount: number,
): Record<string, VersusOptuna> {
  const out: Record<string, VersusOptuna> = {};
  for (const name of names) {
    const tally = { win: 0, tie: 0, loss: 0, betterMedian: 0 };
    for (let p = 0; p < problemCount; p++) {
      tally[verdict(bests[name][p], optuna[p])]++;
      if (median(bests[name][p]) < median(optuna[p])) tally.betterMedian++;
    }
    out[name] = tally;
  }
  return out;
}

/**
 * The pick by the metric: the most wins against Optuna among the candidates with no
 * more losses against it than the reference (the first of `tried`, the current defaults: on
 * the training suite even they lose a few, so "no loss" alone would rule out every
 * candidate), ties broken by the lower mean rank.
 */
export function pickByOptuna(
  tried: readonly { candidate: string; meanRank: number }[],
  vs: Record<string, VersusOptuna>,
  fewerLosses = false,
  margin?: number,
): string {
  if (margin !== undefined) return pickByMargin(tried, vs, margin);
  if (fewerLosses) return pickFewerLosses(tried, vs);
  const allowed = vs[tried[0].candidate].loss;
  return [...tried]
    .filter((t) => vs[t.candidate].loss <= allowed)
    .sort((a, b) => {
      const x = vs[a.candidate];
      const y = vs[b.candidate];
      return y.win - x.win || a.meanRank - b.meanRank;
    })[0].candidate;
}

const round = (x: number) => Number(x.toPrecision(4));

/**
 * Per training problem, Optuna's median and each candidate's with its verdict (for looking at
 * where a candidate only ties; training problems only).
 */
export function perProblem(
  names: string[],
  problems: BoxProblem[],
  bests: Bests,
  optuna: Record<number, number[]>,
): Record<string, Record<string, number | string>> {
  const out: Record<string, Record<string, number | string>> = {};
  problems.forEach((p, i) => {
    const row: Record<string, number | string> = { optuna: round(median(optuna[i])) };
    for (const n of names)
      row[n] = `${round(median(bests[n][i]))} ${verdict(bests[n][i], optuna[i])}`;
    out[p.name] = row;
  });
  return out;
}

/**
 * Round 6's rule (`--fewer-losses`): among the candidates with FEWER losses against Optuna than
 * the reference and at least its wins, the most wins, then the fewest losses, then the lower
 * mean rank; the reference (kept) when none qualifies.
 */
function pickFewerLosses(
  tried: readonly { candidate: string; meanRank: number }[],
  vs: Record<string, VersusOptuna>,
): string {
  const ref = vs[tried[0].candidate];
  const better = tried
    .filter((t) => vs[t.candidate].loss < ref.loss && vs[t.candidate].win >= ref.win)
    .sort((a, b) => {
      const x = vs[a.candidate];
      const y = vs[b.candidate];
      return y.win - x.win || x.loss - y.loss || a.meanRank - b.meanRank;
    });
  return better[0]?.candidate ?? tried[0].candidate;
}

/**
 * Round 7's rule (`--margin N`): a candidate qualifies with at most 1 loss against Optuna, no
 * more losses than the reference, and at least N more wins than the reference (all in the
 * same run); among those, the most wins, then the lower mean rank; the reference (kept) when
 * none qualifies.
 */
function pickByMargin(
  tried: readonly { candidate: string; meanRank: number }[],
  vs: Record<string, VersusOptuna>,
  margin: number,
): string {
  const ref = vs[tried[0].candidate];
  const better = tried
    .filter((t) => {
      const v = vs[t.candidate];
      return v.loss <= 1 && v.loss <= ref.loss && v.win >= ref.win + margin;
    })
    .sort((a, b) => vs[b.candidate].win - vs[a.candidate].win || a.meanRank - b.meanRank);
  return better[0]?.candidate ?? tried[0].candidate;
}
