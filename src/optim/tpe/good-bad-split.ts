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
  const out: number[] = [];
  for (let i = 0; i < ramp; i++)
    out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
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
 * contributions (see motpe.ts), else 1 each.
 */
export function split<T extends Ranked>(
  trials: readonly T[],
  gamma: (n: number) => number,
  weights: (n: number) => number[],
  hypervolumeWeighted = false,
): Split<T> {
  const ok = trials.filter((t) => t.losses !== undefined);
  const nBelow = Math.max(0, Math.min(ok.length, Math.floor(gamma(ok.length))));
  const best = new Set<T>(best_(ok, nBelow));
  const below: T[] = [];
  const above: T[] = [];
  for (const t of trials) (best.has(t) ? below : above).push(t);
  const multi = hypervolumeWeighted && below.length > 1 && below[0].losses!.length > 1;
  const belowWeights = multi
    ? hypervolumeWeights(below.map((t) => t.losses!))
    : new Array<number>(below.length).fill(1);
  return { below, belowWeights, above, aboveWeights: weights(above.length) };
}

/** The `k` best successes (ties: older first). */
function best_<T extends Ranked>(ok: readonly T[], k: number): T[] {
  if (k === 0) return [];
  const m = ok[0].losses!.length;
  if (m > 1) return bestMulti(ok, k);
  // One metric: keep a sorted top-k while scanning (k <= 25 by default, n may be thousands).
  const top: T[] = [];
  for (const t of ok) {
    const loss = t.losses![0];
    if (top.length === k && !(loss < top[k - 1].losses![0])) continue;
    let i = top.length;
    while (i > 0 && top[i - 1].losses![0] > loss) i--;
    top.splice(i, 0, t);
    if (top.length > k) top.pop();
  }
  return top;
}

/**
 * The `k` best successes with several losses: whole non-dominated fronts while they fit, then
 * the hypervolume-greedy subset of the next front.
 */
function bestMulti<T extends Ranked>(ok: readonly T[], k: number): T[] {
  const out: T[] = [];
  const losses = ok.map((t) => t.losses!);
  const fronts = losses[0].length === 2 ? fronts2D(losses) : nonDominatedSort(losses);
  for (const front of fronts) {
    const members = front.map((i) => ok[i]);
    if (out.length + members.length <= k) out.push(...members);
    else {
      const picks = selectByHypervolume(
        members.map((t) => t.losses!),
        k - out.length,
      );
      for (const i of picks) out.push(members[i]);
    }
    if (out.length >= k) break;
  }
  return out;
}
