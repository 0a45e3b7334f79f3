/**
 * How many of TPE's candidates to draw around the incumbent, from how tight the good trials
 * sit around it: when most good trials lie within a few kernel widths of the best one, the
 * landscape looks unimodal there and exploiting the incumbent pays (more candidates near it);
 * when they are spread over several far-apart places, it looks multimodal (fewer, so l(x)'s
 * other modes get their share).
 *
 * @module
 */

/** How the incumbent candidates scale with the good trials' tightness f in [0, 1]. */
export interface IncumbentShareOptions {
  /** A good trial is near the incumbent within this many kernel widths (root mean square per numeric dimension). */
  readonly radius: number;
  /** Multiplier of `incumbentCandidates` when no other good trial is near (f = 0). */
  readonly low: number;
  /** Multiplier when every other good trial is near (f = 1). */
  readonly high: number;
}

/**
 * The weighted fraction of the good trials other than the incumbent that lie within `radius`
 * kernel widths of it, over the numeric dimensions (`widths` > 0); undefined when there is no
 * other good trial or no numeric dimension. `rows`: n rows of d unit coordinates.
 */
export function tightness(
  rows: Float64Array,
  weights: readonly number[],
  incumbent: number,
  widths: Float64Array,
  radius: number,
): number | undefined {
  const d = widths.length;
  const n = weights.length;
  const numeric = [...widths.keys()].filter((j) => (widths[j] as number) > 0);
  if (n < 2 || numeric.length === 0) return undefined;
  const limit = radius * radius * numeric.length;
  let near = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (i === incumbent) continue;
    let s = 0;
    for (const j of numeric)
      s +=
        (((rows[i * d + j] as number) - (rows[incumbent * d + j] as number)) /
          (widths[j] as number)) **
        2;
    const w = weights[i] as number;
    total += w;
    if (s <= limit) near += w;
  }
  return total > 0 ? near / total : undefined;
}

/** `base` incumbent candidates scaled by the tightness `f` (unchanged when f is unknown). */
export function incumbentCount(
  base: number,
  share: IncumbentShareOptions,
  f: number | undefined,
): number {
  if (f === undefined) return base;
  return Math.round(base * (share.low + (share.high - share.low) * f));
}
