/**
 * Which past trials are "good" (they shape l(x)) and which are "bad" (g(x)), and how much each
 * bad one weighs.
 *
 * @module
 */

import { nonDominatedSort } from "../pareto.js";
import { fronts2D } from "./fronts-2d.js";
import { hypervolumeWeights, selectByHypervolume } from "./motpe.js";

/** What TPE remembers of one trial, for ranking. */
export interface Ranked {
  /** Ask order (older trials first); ties and weights use it. */
  readonly index: number;
  /**
   * Losses to minimize, one per metric; `undefined` for trials that failed, crashed or are
   * still running (the constant liar): they rank below every success.
   */
  readonly losses: readonly number[] | undefined;
}

/** The default size of the good group: 10% of the successes, at most 25 (as Optuna documents). */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Weights of the bad group in ask order (Bergstra et al. 2013): the 25 most recent trials weigh
 * 1, older ones ramp linearly down towards 1/n, so that early, far-off exploration fades.
 */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  // Once per ask over the whole history: the array filled in place, the ramp's constants
  // hoisted (the same values, so the same sums).
  const out = new Array<number>(n).fill(1);
  const low = 1 / n;
  const rise = 1 - low;
  for (let i = 0; i < ramp; i++) out[i] = ramp === 1 ? low : low + (rise * i) / (ramp - 1);
  return out;
}

/** The good and the bad trials, each in ask order, with their kernels' weights. */
export interface Split<T extends Ranked> {
  readonly below: T[];
  /** 1 each, or with several metrics and `hypervolumeWeighted`, hypervolume contributions. */
  readonly belowWeights: number[];
  readonly above: T[];
  readonly aboveWeights: number[];
}

/**
 * Splits trials (given in ask order) into the `gamma(successes)` best successes and the rest.
 * With several metrics (MOTPE) the best are taken front by front (non-dominated sorting);
 * from the front that doesn't fit whole, the subset with the largest hypervolume is chosen
 * greedily; with `hypervolumeWeighted` the good trials' kernels weigh their hypervolume
 * contributions (see motpe.ts), else 1 each. `ranked` (one metric), given, is the successes
 * of `trials` sorted best first (by loss, then ask order; ranked-trials.ts), each with its
 * position in `trials` as `index`: it spares the scan for the best.
 */
export function split<T extends Ranked>(
  trials: readonly T[],
  gamma: (n: number) => number,
  weights: (n: number) => number[],
  hypervolumeWeighted = false,
  ranked?: readonly T[],
): Split<T> {
  // Marks by position, not a Set of trials: one split per ask, over the whole history
  // (bench/optim.ts's `timing`).
  const isBest = ranked ? bestFromRanked(trials, ranked, gamma) : bestByScan(trials, gamma);
  const below: T[] = [];
  const above: T[] = [];
  for (let i = 0; i < trials.length; i++) (isBest[i] === 1 ? below : above).push(trials[i] as T);
  const multi = hypervolumeWeighted && below.length > 1 && below[0].losses!.length > 1;
  const belowWeights = multi
    ? hypervolumeWeights(below.map((t) => t.losses!))
    : new Array<number>(below.length).fill(1);
  return { below, belowWeights, above, aboveWeights: weights(above.length) };
}

/** 1 at the positions in `trials` of the `gamma(successes)` best successes, found by a scan. */
function bestByScan<T extends Ranked>(
  trials: readonly T[],
  gamma: (n: number) => number,
): Uint8Array {
  const okAt: number[] = [];
  const ok: T[] = [];
  trials.forEach((t, i) => {
    if (t.losses === undefined) return;
    okAt.push(i);
    ok.push(t);
  });
  const isBest = new Uint8Array(trials.length);
  for (const at of best_(ok, countBelow(ok.length, gamma))) isBest[okAt[at] as number] = 1;
  return isBest;
}

/**
 * {@link bestByScan} from `ranked`, the successes already sorted (one metric); by scan when a
 * best trial's `index` is not its position in `trials`.
 */
function bestFromRanked<T extends Ranked>(
  trials: readonly T[],
  ranked: readonly T[],
  gamma: (n: number) => number,
): Uint8Array {
  const isBest = new Uint8Array(trials.length);
  const n = countBelow(ranked.length, gamma);
  for (let r = 0; r < n; r++) {
    const t = ranked[r] as T;
    if (trials[t.index] !== t) return bestByScan(trials, gamma);
    isBest[t.index] = 1;
  }
  return isBest;
}

/** How many successes are good: `gamma(n)`, floored, within [0, n]. */
function countBelow(n: number, gamma: (n: number) => number): number {
  return Math.max(0, Math.min(n, Math.floor(gamma(n))));
}

/** Positions in `ok` of the `k` best successes (ties: older first). */
function best_<T extends Ranked>(ok: readonly T[], k: number): number[] {
  if (k === 0) return [];
  const m = ok[0].losses!.length;
  if (m > 1) return bestMulti(ok, k);
  // One metric: keep a sorted top-k while scanning (k <= 25 by default, n may be thousands).
  const top: number[] = [];
  const lossAt = (i: number) => ok[top[i]].losses![0];
  for (let at = 0; at < ok.length; at++) {
    const loss = ok[at].losses![0];
    if (top.length === k && !(loss < lossAt(k - 1))) continue;
    let i = top.length;
    while (i > 0 && lossAt(i - 1) > loss) i--;
    top.splice(i, 0, at);
    if (top.length > k) top.pop();
  }
  return top;
}

/**
 * Positions in `ok` of the `k` best successes with several losses: whole non-dominated fronts
 * while they fit, then the hypervolume-greedy subset of the next front.
 */
function bestMulti<T extends Ranked>(ok: readonly T[], k: number): number[] {
  const out: number[] = [];
  const losses = ok.map((t) => t.losses!);
  const fronts = losses[0].length === 2 ? fronts2D(losses) : nonDominatedSort(losses);
  for (const front of fronts) {
    if (out.length + front.length <= k) out.push(...front);
    else {
      const picks = selectByHypervolume(
        front.map((i) => losses[i]),
        k - out.length,
      );
      for (const i of picks) out.push(front[i]);
    }
    if (out.length >= k) break;
  }
  return out;
}
