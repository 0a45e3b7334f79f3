/**
 * Non-dominated fronts of 2-objective points, fast enough to run at every TPE ask.
 *
 * @module
 */

/**
 * The same fronts as `nonDominatedSort` (each in index order) for 2 objectives, in
 * O(n log n + n · fronts) instead of O(n²): TPE ranks every trial at every ask. Points taken
 * by the first loss (then the second) can only be dominated by points before them, and within
 * a front the last one taken has the smallest second loss, so it alone decides whether the
 * front dominates the next point.
 */
export function fronts2D(points: readonly (readonly number[])[]): number[][] {
  const order = points.map((_, i) => i);
  order.sort((a, b) => points[a][0] - points[b][0] || points[a][1] - points[b][1]);
  const fronts: number[][] = [];
  const tails: number[] = [];
  for (const i of order) {
    const [x, y] = points[i];
    let r = 0;
    for (; r < fronts.length; r++) {
      const [tx, ty] = points[tails[r]];
      if (!(ty < y || (ty === y && tx < x))) break;
    }
    if (r === fronts.length) fronts.push([]);
    fronts[r].push(i);
    tails[r] = i;
  }
  for (const f of fronts) f.sort((a, b) => a - b);
  return fronts;
}
