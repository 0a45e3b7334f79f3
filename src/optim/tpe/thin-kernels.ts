/**
 * Thinning of the bad group's kernels, so that an ask's cost stops growing with the history.
 *
 * @module
 */

/**
 * At most `max` kernels out of `weights.length` (oldest first): the newest half kept as they
 * are, the older ones thinned evenly, each kept one carrying the weight of those it stands for.
 * The bad group grows with the history while its shape changes slowly, so this keeps g(x)'s
 * shape and makes the cost of an ask stop growing with the number of trials. Returns the
 * indices kept and their weights.
 */
export function thin(
  weights: ArrayLike<number>,
  max: number,
): { picks: Int32Array; weights: Float64Array } {
  const n = weights.length;
  if (n <= max)
    return {
      picks: Int32Array.from({ length: n }, (_, i) => i),
      weights: Float64Array.from(weights),
    };
  const recent = Math.floor(max / 2);
  const old = n - recent;
  const slots = max - recent;
  const picks = new Int32Array(max);
  const out = new Float64Array(max);
  for (let s = 0; s < slots; s++) {
    const from = Math.floor((s * old) / slots);
    const to = Math.floor(((s + 1) * old) / slots);
    let w = 0;
    for (let i = from; i < to; i++) w += weights[i];
    picks[s] = Math.floor((from + to - 1) / 2);
    out[s] = w;
  }
  for (let i = old; i < n; i++) {
    picks[slots + i - old] = i;
    out[slots + i - old] = weights[i];
  }
  return { picks, weights: out };
}
