/**
 * The whole-chunk aggregates every backend stores beside a chunk of history points, so a bucketed
 * read can use a whole chunk without decoding it (`chunk-buckets.ts`). Non-finite values (NaN,
 * ±Infinity) are stored but left out of the value aggregates.
 */

/** A chunk's time range and its finite values' count, min, max and last (null when none). */
export interface ChunkStats {
  minTs: number;
  maxTs: number;
  nfin: number;
  vmin: number | null;
  vmax: number | null;
  vlast: number | null;
}

/** The aggregates of the first `n` points of `vals` (values) and `ts` (times). */
export function chunkStats(vals: Float64Array, ts: Float64Array, n: number): ChunkStats {
  let nfin = 0;
  let vmin = Number.POSITIVE_INFINITY;
  let vmax = Number.NEGATIVE_INFINITY;
  let vlast = 0;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (t < minTs) minTs = t;
    if (t > maxTs) maxTs = t;
    const v = vals[i]!;
    if (Number.isFinite(v)) {
      nfin++;
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
      vlast = v;
    }
  }
  const any = nfin > 0;
  return {
    minTs,
    maxTs,
    nfin,
    vmin: any ? vmin : null,
    vmax: any ? vmax : null,
    vlast: any ? vlast : null,
  };
}
