/**
 * Downsampling of one (run, key) history into N equal x buckets of min/max/last/count of
 * finite values plus counts of NaN/±Infinity, from its chunks: a whole-finite chunk that falls
 * inside one bucket adds its stored aggregates, any other chunk is decoded (a chunk holding a
 * non-finite value always is: its stored aggregates do not say which kinds), so cost follows the
 * chunk count, not the point count. The range is that of all points, finite or not, so it comes
 * from the chunks' stored x bounds without decoding.
 * Shared by both backends: SQLite decodes a chunk's BLOBs on demand, PostgreSQL fetches the
 * chunks {@link chunksToDecode} names in one round trip first, then buckets here.
 *
 * @module
 */

import type { SeriesBucket, SeriesQuery } from "./types.js";

/** A chunk's row in `history_chunks` without its point arrays. */
export interface ChunkMeta {
  id: number;
  min_step: number;
  max_step: number;
  n: number;
  min_ts: number;
  max_ts: number;
  /** How many of its values are finite, and their min, max and last (null when none). */
  nfin: number;
  vmin: number | null;
  vmax: number | null;
  vlast: number | null;
}

/** A decoded chunk; `x` is null for consecutive steps until something needs it. */
export interface DecodedChunk {
  consecutive: boolean;
  x: Float64Array | null;
  v: Float64Array;
}

/** Reads one chunk's points (x for the query's axis, or null for consecutive steps by step). */
export type ChunkDecoder = (m: ChunkMeta) => DecodedChunk;

/** A copy of a bucket a cache keeps, so a caller editing its result cannot edit the cache. */
export function copyBucket(b: SeriesBucket): SeriesBucket {
  const { x, min, max, last, count, nonFinite: nf } = b;
  // Literals, not spreads: a cached 100-run chart copies 20,000 of them per read.
  return nf
    ? { x, min, max, last, count, nonFinite: { nan: nf.nan, posInf: nf.posInf, negInf: nf.negInf } }
    : { x, min, max, last, count };
}

/** Steps `min..min+n-1` of a chunk whose steps are consecutive (not stored). */
export function consecutiveSteps(minStep: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = minStep + i;
  return out;
}

/**
 * The buckets of one (run, key) from its chunks `all` (in step order). `decoded` holds chunks
 * already decoded by the caller (by id); chunks decoded here by `decode` are added to it.
 */
export function bucketChunks(
  q: SeriesQuery,
  all: ChunkMeta[],
  decode: ChunkDecoder,
  decoded = new Map<number, DecodedChunk>(),
): SeriesBucket[] {
  const chunks = new ChunkReader(q, decode, decoded);
  const metas = all.filter((m) => chunks.overlapsQuery(m));
  if (metas.length === 0) return [];
  const [lo, hi] = chunks.range(metas);
  if (!(hi >= lo)) return [];
  const acc = new BucketAccumulator(q.buckets, lo, hi);
  // Points are taken from the overlap of the bucket range and the asked range.
  const from = Math.max(lo, chunks.minX);
  const to = Math.min(hi, chunks.maxX);
  for (const m of metas) {
    if (chunks.fitsOneBucket(m, acc)) {
      acc.add(acc.bucketOf(chunks.xLo(m)), m.vmin!, m.vmax!, m.nfin, m.vlast!, chunks.xHi(m));
      continue;
    }
    const d = chunks.decode(m);
    const xs = d.consecutive ? null : chunks.xsOf(m, d);
    if (xs === null) acc.addConsecutive(m.min_step, d.v, m.n, from, to);
    else acc.addPoints(xs, d.v, m.n, from, to);
    if (m.nfin < m.n) acc.countNonFinite(xs, m.min_step, d.v, m.n, from, to);
  }
  return acc.buckets();
}

/**
 * The chunks of one (run, key) that {@link bucketChunks} will decode: those that do not lie
 * inside one bucket whole, or hold a non-finite value.
 */
export function chunksToDecode(q: SeriesQuery, all: readonly ChunkMeta[]): ChunkMeta[] {
  const chunks = new ChunkReader(
    q,
    () => {
      throw new Error("chunksToDecode decodes nothing");
    },
    new Map(),
  );
  const metas = all.filter((m) => chunks.overlapsQuery(m));
  if (metas.length === 0) return [];
  const [lo, hi] = chunks.range(metas);
  if (!(hi >= lo)) return [];
  const acc = new BucketAccumulator(q.buckets, lo, hi);
  return metas.filter((m) => !chunks.fitsOneBucket(m, acc));
}

/** Reads and decodes chunks for one query, and answers what their whole-chunk bounds allow. */
class ChunkReader {
  readonly byTime: boolean;
  readonly minX: number;
  readonly maxX: number;

  constructor(
    q: SeriesQuery,
    private readonly decodeChunk: ChunkDecoder,
    private readonly decoded: Map<number, DecodedChunk>,
  ) {
    this.byTime = q.x === "time";
    this.minX = q.minX ?? Number.NEGATIVE_INFINITY;
    this.maxX = q.maxX ?? Number.POSITIVE_INFINITY;
  }

  xLo(m: ChunkMeta): number {
    return this.byTime ? m.min_ts : m.min_step;
  }

  xHi(m: ChunkMeta): number {
    return this.byTime ? m.max_ts : m.max_step;
  }

  overlapsQuery(m: ChunkMeta): boolean {
    return this.xHi(m) >= this.minX && this.xLo(m) <= this.maxX;
  }

  /**
   * Whether the stored aggregates describe the chunk's points in range: every value is finite
   * (the aggregates count no kinds of non-finite value) and every point is inside [minX, maxX].
   */
  exact(m: ChunkMeta): boolean {
    return m.nfin === m.n && this.xLo(m) >= this.minX && this.xHi(m) <= this.maxX;
  }

  /** Whether the chunk's stored aggregates are its whole contribution: it lies in one bucket. */
  fitsOneBucket(m: ChunkMeta, acc: BucketAccumulator): boolean {
    const xLo = this.xLo(m);
    const xHi = this.xHi(m);
    return (
      this.exact(m) && xLo >= acc.lo && xHi <= acc.hi && acc.bucketOf(xLo) === acc.bucketOf(xHi)
    );
  }

  decode(m: ChunkMeta): DecodedChunk {
    let d = this.decoded.get(m.id);
    if (!d) {
      d = this.decodeChunk(m);
      this.decoded.set(m.id, d);
    }
    return d;
  }

  xsOf(m: ChunkMeta, d: DecodedChunk): Float64Array {
    d.x ??= consecutiveSteps(m.min_step, m.n);
    return d.x;
  }

  /**
   * The bucket range: the asked bounds, and for an open one the x bounds of the chunks in
   * range (exact: every point of a chunk counts, finite or not, and an open side cuts none).
   */
  range(metas: readonly ChunkMeta[]): [number, number] {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const m of metas) {
      if (this.xLo(m) < lo) lo = this.xLo(m);
      if (this.xHi(m) > hi) hi = this.xHi(m);
    }
    return [
      Number.isFinite(this.minX) ? this.minX : lo,
      Number.isFinite(this.maxX) ? this.maxX : hi,
    ];
  }
}

/** Per-bucket accumulators in typed arrays: the decode loops touch millions of points. */
class BucketAccumulator {
  private readonly span: number;
  private readonly mn: Float64Array;
  private readonly mx: Float64Array;
  private readonly cnt: Float64Array;
  private readonly last: Float64Array;
  private readonly lastX: Float64Array;
  /** NaN, +Infinity and -Infinity counts, three per bucket; made at the first non-finite value. */
  private nonFinite: Float64Array | null = null;

  constructor(
    private readonly n: number,
    readonly lo: number,
    readonly hi: number,
  ) {
    this.span = hi - lo;
    this.mn = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.mx = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.cnt = new Float64Array(n);
    this.last = new Float64Array(n);
    this.lastX = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  }

  bucketOf(x: number): number {
    return this.span > 0
      ? Math.min(Math.floor(((x - this.lo) * this.n) / this.span), this.n - 1)
      : 0;
  }

  /** Adds `c` finite values with this min, max, and last value `l` at x `lx`, to bucket `bi`. */
  add(bi: number, min: number, max: number, c: number, l: number, lx: number): void {
    if (min < this.mn[bi]) this.mn[bi] = min;
    if (max > this.mx[bi]) this.mx[bi] = max;
    this.cnt[bi] += c;
    if (lx >= this.lastX[bi]) {
      this.last[bi] = l;
      this.lastX[bi] = lx;
    }
  }

  /**
   * Counts the non-finite values of the first `count` of `vs` (x = `xs[j]`, or x0 + j when `xs`
   * is null) in [from, to] per bucket. A second pass over a chunk that holds one (its stored
   * finite count says so): a check inside the hot loops made all-finite reads up to twice as
   * slow (measured), so those loops skip non-finite values without a word.
   */
  countNonFinite(
    xs: Float64Array | null,
    x0: number,
    vs: Float64Array,
    count: number,
    from: number,
    to: number,
  ): void {
    this.nonFinite ??= new Float64Array(this.n * 3);
    for (let j = 0; j < count; j++) {
      const v = vs[j];
      if (Number.isFinite(v)) continue;
      const x = xs === null ? x0 + j : xs[j];
      if (!(x >= from && x <= to)) continue;
      this.nonFinite[this.bucketOf(x) * 3 + (Number.isNaN(v) ? 0 : v > 0 ? 1 : 2)]++;
    }
  }

  /**
   * The values `vs` of consecutive steps from `x0` (x = x0 + i), those with x in [from, to].
   * Walks bucket by bucket over index ranges, so the per-point work is a compare and a
   * min/max (no division per point); the buckets are the same as {@link addPoints}'.
   */
  addConsecutive(x0: number, vs: Float64Array, count: number, from: number, to: number): void {
    const { n, lo, span, mn, mx } = this;
    const iEnd = Math.min(count, Math.floor(to - x0) + 1);
    let i = Math.max(0, Math.ceil(from - x0));
    while (i < iEnd) {
      const bi = this.bucketOf(x0 + i);
      let e = iEnd;
      if (bi < n - 1) {
        // First index of the next bucket: the edge estimate, corrected to what bucketOf says.
        e = Math.min(iEnd, Math.max(i + 1, Math.ceil(lo + ((bi + 1) * span) / n - x0)));
        while (e > i + 1 && this.bucketOf(x0 + e - 1) !== bi) e--;
        while (e < iEnd && this.bucketOf(x0 + e) === bi) e++;
      }
      let bmn = mn[bi];
      let bmx = mx[bi];
      let c = 0;
      let li = -1;
      for (let j = i; j < e; j++) {
        const v = vs[j];
        if (!Number.isFinite(v)) continue;
        if (v < bmn) bmn = v;
        if (v > bmx) bmx = v;
        c++;
        li = j;
      }
      if (c > 0) this.add(bi, bmn, bmx, c, vs[li], x0 + li);
      i = e;
    }
  }

  /** The points (`xs[i]`, `vs[i]`) with a finite value and x in [from, to]. */
  addPoints(xs: Float64Array, vs: Float64Array, count: number, from: number, to: number): void {
    // Locals and the bucket formula inline: this loop is the hot path for non-consecutive steps.
    const { n, lo, span, mn, mx, cnt, last, lastX } = this;
    for (let i = 0; i < count; i++) {
      const x = xs[i];
      const v = vs[i];
      if (!(x >= from && x <= to) || !Number.isFinite(v)) continue;
      const bi = span > 0 ? Math.min(Math.floor(((x - lo) * n) / span), n - 1) : 0;
      if (v < mn[bi]) mn[bi] = v;
      if (v > mx[bi]) mx[bi] = v;
      cnt[bi]++;
      if (x >= lastX[bi]) {
        last[bi] = v;
        lastX[bi] = x;
      }
    }
  }

  /** The non-empty buckets, each at its left edge (see {@link SeriesBucket} for count 0). */
  buckets(): SeriesBucket[] {
    const out: SeriesBucket[] = [];
    const nf = this.nonFinite;
    for (let bi = 0; bi < this.n; bi++) {
      const c = this.cnt[bi];
      const odd = nf !== null && nf[bi * 3] + nf[bi * 3 + 1] + nf[bi * 3 + 2] > 0;
      if (c === 0 && !odd) continue;
      const b: SeriesBucket = {
        x: this.lo + (bi * this.span) / this.n,
        min: c > 0 ? this.mn[bi] : Number.NaN,
        max: c > 0 ? this.mx[bi] : Number.NaN,
        last: c > 0 ? this.last[bi] : Number.NaN,
        count: c,
      };
      if (odd) b.nonFinite = { nan: nf[bi * 3], posInf: nf[bi * 3 + 1], negInf: nf[bi * 3 + 2] };
      out.push(b);
    }
    return out;
  }
}
