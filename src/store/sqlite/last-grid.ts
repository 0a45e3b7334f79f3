/**
 * A grouped chart's read (`src/server/group-reads.ts`): for many runs, the last finite value of
 * one key in each of N equal buckets of one range, as one Float64Array, plus the NaN/±Infinity
 * counts per bucket. It answers what `readSeries` would say of each bucket's `last` and
 * `nonFinite`, but does less: no bucket objects (1,000 runs x 200 buckets would be 200,000 for
 * the garbage collector), no min/max, and in a chunk of consecutive steps it reads only the
 * values at each bucket's end (walking back past non-finite ones) instead of every point. A
 * chunk's values are scanned whole only when it holds a non-finite value (to count them) or its
 * steps are not consecutive.
 *
 * @module
 */
import type { HistoryBatch } from "../history-batch.js";
import { chunkSteps, f64 } from "./chunks.js";
import { type Db, stmt } from "./connection.js";
import { decodePack } from "./history-pack.js";
import { packChunk } from "./packed-reads.js";

/** The runs, key, axis and bucket grid of a {@link readLastGridRows} read (store units). */
export interface LastGridQuery {
  runIds: readonly string[];
  key: string;
  /** Steps, or epoch seconds. */
  x: "step" | "time";
  buckets: number;
  /** The range the buckets split (both ends in). */
  minX: number;
  maxX: number;
  /**
   * Per run, added to both ends of its range (time since each run's start: its start in
   * epoch seconds); default 0.
   */
  offsets?: readonly number[];
}

/**
 * Run `r`'s bucket `k` is at `r * buckets + k`: `last` its last finite value (NaN: none);
 * `nonFinite` (null when no bucket has one) its NaN, +Infinity and -Infinity counts at
 * `(r * buckets + k) * 3 + 0..2`.
 */
export interface LastGrid {
  runIds: string[];
  buckets: number;
  last: Float64Array;
  nonFinite: Float64Array | null;
}

/** One chunk's points as the grid needs them. */
interface GridChunk {
  /** Its x values, or null for consecutive steps from `x0`. */
  xs: Float64Array | null;
  x0: number;
  v: Float64Array;
  n: number;
  /** Whether every value is finite (then nothing needs counting). */
  allFinite: boolean;
}

/** Fills one run's row of the grid from its chunks. */
class RowFiller {
  private readonly lastX: Float64Array;
  private row = 0;
  private lo = 0;
  private hi = 0;
  private span = 0;

  constructor(private readonly grid: LastGrid) {
    this.lastX = new Float64Array(grid.buckets);
  }

  /** Starts run `row`'s row, over the range [lo, hi]. */
  start(row: number, lo: number, hi: number): void {
    this.row = row;
    this.lo = lo;
    this.hi = hi;
    this.span = hi - lo;
    this.lastX.fill(Number.NEGATIVE_INFINITY);
  }

  /** The bucket of `x`, as the series bucketing computes it (`chunk-buckets.ts`). */
  bucketOf(x: number): number {
    const n = this.grid.buckets;
    return this.span > 0 ? Math.min(Math.floor(((x - this.lo) * n) / this.span), n - 1) : 0;
  }

  private set(k: number, x: number, v: number): void {
    if (x < this.lastX[k]!) return;
    this.lastX[k] = x;
    this.grid.last[this.row * this.grid.buckets + k] = v;
  }

  add(c: GridChunk): void {
    if (c.xs === null) this.addConsecutive(c);
    else this.addPoints(c.xs, c.v, c.n);
    if (!c.allFinite) this.countNonFinite(c);
  }

  /** Points at x = x0 + i: per bucket, its last finite value, walking back from its end. */
  private addConsecutive(c: GridChunk): void {
    const begin = Math.max(0, Math.ceil(this.lo - c.x0));
    const end = Math.min(c.n, Math.floor(this.hi - c.x0) + 1);
    if (begin >= end) return;
    // First index at or after `from` whose bucket is at least k.
    const firstOf = (k: number, from: number): number => {
      const n = this.grid.buckets;
      let i = Math.ceil(this.lo + (k * this.span) / n - c.x0);
      i = Math.min(end, Math.max(from, i));
      while (i > from && this.bucketOf(c.x0 + i - 1) >= k) i--;
      while (i < end && this.bucketOf(c.x0 + i) < k) i++;
      return i;
    };
    const kLast = this.bucketOf(c.x0 + end - 1);
    let s = begin;
    for (let k = this.bucketOf(c.x0 + begin); k <= kLast && s < end; k++) {
      const e = k === kLast ? end : firstOf(k + 1, s);
      for (let j = e - 1; j >= s; j--) {
        const v = c.v[j]!;
        if (Number.isFinite(v)) {
          this.set(k, c.x0 + j, v);
          break;
        }
      }
      s = e;
    }
  }

  /** Points at `xs[i]` in any order: each finite one may be its bucket's last. */
  private addPoints(xs: Float64Array, v: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const y = v[i]!;
      if (x >= this.lo && x <= this.hi && Number.isFinite(y)) this.set(this.bucketOf(x), x, y);
    }
  }

  /** Counts a chunk's NaN and ±Infinity values per bucket (rare: only chunks that hold one). */
  private countNonFinite(c: GridChunk): void {
    const g = this.grid;
    for (let i = 0; i < c.n; i++) {
      const y = c.v[i]!;
      if (Number.isFinite(y)) continue;
      const x = c.xs === null ? c.x0 + i : c.xs[i]!;
      if (!(x >= this.lo && x <= this.hi)) continue;
      g.nonFinite ??= new Float64Array(g.runIds.length * g.buckets * 3);
      const at = (this.row * g.buckets + this.bucketOf(x)) * 3;
      g.nonFinite[at + (Number.isNaN(y) ? 0 : y > 0 ? 1 : 2)]!++;
    }
  }
}

/** Chunk metadata, all in the covering index `history_chunks_meta` (no table page is read). */
interface ChunkHead {
  id: number;
  min_step: number;
  n: number;
  nfin: number;
}

/**
 * The grid of `q` (see the module comment): every run's row, NaN where a run has no finite
 * value in a bucket.
 *
 * @example
 * ```ts
 * const g = readLastGridRows(store.db, { runIds: ["a", "b"], key: "loss", x: "step", buckets: 200, minX: 0, maxX: 9999 });
 * g.last[1 * 200 + 10]; // run b's last loss in steps 500..549
 * ```
 */
export function readLastGridRows(db: Db, q: LastGridQuery): LastGrid {
  const grid: LastGrid = {
    runIds: [...q.runIds],
    buckets: q.buckets,
    last: new Float64Array(q.runIds.length * q.buckets).fill(Number.NaN),
    nonFinite: null,
  };
  const byTime = q.x === "time";
  const [xmin, xmax] = byTime ? ["min_ts", "max_ts"] : ["min_step", "max_step"];
  const heads = stmt(
    db,
    `SELECT id, min_step, n, nfin FROM history_chunks
     WHERE run = ? AND key = ? AND ${xmax} >= ? AND ${xmin} <= ? ORDER BY min_step, id`,
  );
  const data = stmt(
    db,
    `SELECT ${byTime ? "NULL AS steps, ts" : "steps, NULL AS ts"}, vals
     FROM history_chunks WHERE id = ?`,
  );
  const packOf = stmt(db, "SELECT history_pack AS pack FROM runs WHERE id = ?");
  const row = new RowFiller(grid);
  q.runIds.forEach((runId, r) => {
    const off = q.offsets?.[r] ?? 0;
    const [lo, hi] = [q.minX + off, q.maxX + off];
    row.start(r, lo, hi);
    const pack = (packOf.get(runId) as { pack: Buffer | null } | undefined)?.pack;
    if (pack) {
      const one = packedChunk(decodePack(pack), q.key, byTime);
      if (one) row.add(one);
      return;
    }
    for (const h of heads.all(runId, q.key, lo, hi) as ChunkHead[]) {
      const d = data.get(h.id) as { steps: Buffer | null; ts: Buffer | null; vals: Buffer };
      const v = f64(d.vals);
      const xs = byTime
        ? f64(d.ts!)
        : d.steps === null
          ? null
          : chunkSteps(d.steps, h.min_step, h.n);
      row.add({ xs, x0: h.min_step, v, n: h.n, allFinite: h.nfin === h.n });
    }
  });
  return grid;
}

/** A packed run's numbers of `key` as one grid chunk (`packed-reads.ts`). */
function packedChunk(pack: HistoryBatch, key: string, byTime: boolean): GridChunk | undefined {
  const one = packChunk(pack, key, byTime);
  if (!one) return undefined;
  const { meta, data } = one;
  return {
    xs: data.consecutive ? null : data.x,
    x0: meta.min_step,
    v: data.v,
    n: meta.n,
    allFinite: meta.nfin === meta.n,
  };
}

/**
 * Each run's first and last x of `key` (steps, or epoch seconds), NaN for a run without it:
 * from the chunks' bounds in the covering index, or a packed run's pack; no point is read.
 *
 * @example
 * ```ts
 * const { first, last } = keyRangeRows(store.db, ["a", "b"], "loss", "step");
 * ```
 */
export function keyRangeRows(
  db: Db,
  runIds: readonly string[],
  key: string,
  x: "step" | "time",
): { first: Float64Array; last: Float64Array } {
  const [lo, hi] = x === "time" ? ["min_ts", "max_ts"] : ["min_step", "max_step"];
  const bounds = stmt(
    db,
    `SELECT MIN(${lo}) AS first, MAX(${hi}) AS last FROM history_chunks WHERE run = ? AND key = ?`,
  );
  const packOf = stmt(db, "SELECT history_pack AS pack FROM runs WHERE id = ?");
  const first = new Float64Array(runIds.length).fill(Number.NaN);
  const last = new Float64Array(runIds.length).fill(Number.NaN);
  runIds.forEach((runId, r) => {
    const pack = (packOf.get(runId) as { pack: Buffer | null } | undefined)?.pack;
    if (pack) {
      const one = packChunk(decodePack(pack), key, x === "time");
      if (!one) return;
      const m = one.meta;
      [first[r], last[r]] = x === "time" ? [m.min_ts, m.max_ts] : [m.min_step, m.max_step];
      return;
    }
    const b = bounds.get(runId, key) as { first: number | null; last: number | null };
    if (b.first !== null && b.last !== null) [first[r], last[r]] = [b.first, b.last];
  });
  return { first, last };
}

/**
 * Per run, a token that changes whenever its points of `key` change (`src/server/group-row-cache.ts`
 * keys its cached grid rows on it), "" for a run without the key: from the covering index of
 * its chunks (how many, their ids, point counts, last x and last values: an append grows `n`
 * of the open chunk or adds one, a merge replaces ids), or a packed run's pack (its length and
 * last step). No point is read.
 *
 * @example
 * ```ts
 * const [a, b] = keyVersionRows(store.db, ["a", "b"], "loss");
 * ```
 */
export function keyVersionRows(db: Db, runIds: readonly string[], key: string): string[] {
  const chunks = stmt(
    db,
    `SELECT COUNT(*) AS c, SUM(id) AS ids, MAX(id) AS top, SUM(n) AS n, MAX(max_step) AS hi,
       MAX(max_ts) AS ts, TOTAL(vlast) AS vl, SUM(nfin) AS nf
     FROM history_chunks WHERE run = ? AND key = ?`,
  );
  const packOf = stmt(
    db,
    "SELECT length(history_pack) AS len, pack_last_step AS last FROM runs WHERE id = ?",
  );
  return runIds.map((runId) => {
    const p = packOf.get(runId) as { len: number | null; last: number | null } | undefined;
    const c = chunks.get(runId, key) as Record<string, number | null>;
    const packed = p?.len ? `p${p.len}:${p.last}` : "";
    if (!c.c && !packed) return "";
    return `${packed}|${c.c}:${c.ids}:${c.top}:${c.n}:${c.hi}:${c.ts}:${c.vl}:${c.nf}`;
  });
}
