/**
 * Series reads: N equal x buckets per (run, key), keeping min/max/last/count of finite values
 * and counts of NaN/±Infinity (history only; system samples are finite).
 * History is bucketed from its chunks (`chunk-buckets.ts`), with results cached per connection
 * while nothing is written; system samples (few) are bucketed in SQL. Duplicate writes of one
 * step are not deduplicated here (readPoints does that).
 */

import type { Statement } from "better-sqlite3";
import { copyBucket } from "../chunk-buckets.js";
import type { HistoryBatch } from "../history-batch.js";
import { type BucketRow, checkSeriesQuery } from "../series-query.js";
import type { Series, SeriesBucket, SeriesQuery } from "../types.js";
import { bucketChunks, type ChunkMeta, type DecodedChunk } from "./chunk-buckets.js";
import { f64 } from "./chunks.js";
import { type Db, stmt } from "./db.js";
import { decodePack } from "./history-pack.js";
import { packChunk } from "./packed-reads.js";

export function readSeriesRows(db: Db, q: SeriesQuery): Series[] {
  checkSeriesQuery(q);
  if (q.runIds.length === 0 || q.keys.length === 0) return [];
  if (q.source === "system") return readSystemSeries(db, q);
  const out: Series[] = [];
  const [xmin, xmax] = q.x === "time" ? ["min_ts", "max_ts"] : ["min_step", "max_step"];
  const metaStmt = stmt(
    db,
    `SELECT id, min_step, max_step, n, min_ts, max_ts, nfin, vmin, vmax, vlast FROM history_chunks
     WHERE run = ? AND key = ? AND ${xmax} >= ? AND ${xmin} <= ? ORDER BY min_step, id`,
  );
  // Only the columns the x axis needs: a chunk's BLOBs are most of what a read costs.
  const dataStmt = stmt(
    db,
    `SELECT ${q.x === "time" ? "NULL AS steps, ts" : "steps, NULL AS ts"}, vals
     FROM history_chunks WHERE id = ?`,
  );
  const lo = q.minX ?? -Number.MAX_VALUE;
  const hi = q.maxX ?? Number.MAX_VALUE;
  // A dashboard reloading a finished sweep asks for the same charts again: serve them from
  // memory while nothing was written.
  const cache = cacheOf(db, dbVersion(db));
  const shape = `${q.x}\u0000${q.buckets}\u0000${q.minX}\u0000${q.maxX}`;
  const packStmt = stmt(db, "SELECT history_pack AS pack FROM runs WHERE id = ?");
  for (const runId of q.runIds) {
    let pack: HistoryBatch | null | undefined;
    for (const key of q.keys) {
      const id = `${runId}\u0000${key}\u0000${shape}`;
      let buckets = cache.get(id);
      if (!buckets) {
        if (pack === undefined) {
          const row = packStmt.get(runId) as { pack: Buffer | null } | undefined;
          pack = row?.pack ? decodePack(row.pack) : null;
        }
        if (pack !== null) {
          // A packed run: its key's numbers are what one chunk would hold (packed-reads.ts).
          const one = packChunk(pack, key, q.x === "time");
          buckets = one ? bucketChunks(q, [one.meta], dataStmt, new Map([[-1, one.data]])) : [];
        } else {
          const decoded = q.x === "step" ? decodeAllByStep(db, q, runId, key, dataStmt) : undefined;
          buckets = decoded
            ? bucketChunks(q, decoded.metas, dataStmt, decoded.data)
            : bucketChunks(q, metaStmt.all(runId, key, lo, hi) as ChunkMeta[], dataStmt);
        }
        cache.set(id, buckets);
      }
      // Copies: the cached buckets must not change under a caller that edits its result.
      out.push({ runId, key, buckets: buckets.map(copyBucket) });
    }
  }
  return out;
}

/**
 * Changes whenever anything was written to the database, by this connection
 * (`total_changes()`) or another one (`data_version`). Coarse on purpose: a per-run check
 * could not tell a deleted and re-created run with the same shape from the old one.
 */
function dbVersion(db: Db): string {
  const r = stmt(db, "SELECT total_changes() AS t").get() as { t: number };
  return `${db.pragma("data_version", { simple: true })}/${r.t}`;
}

/** Computed buckets by (run, key, query shape), least recently used dropped past a bucket budget. */
class SeriesCache {
  private readonly entries = new Map<string, SeriesBucket[]>();
  private size = 0;
  constructor(
    readonly version: string,
    private readonly maxBuckets: number,
  ) {}

  get(id: string): SeriesBucket[] | undefined {
    const e = this.entries.get(id);
    if (e) {
      this.entries.delete(id);
      this.entries.set(id, e);
    }
    return e;
  }

  set(id: string, buckets: SeriesBucket[]): void {
    const old = this.entries.get(id);
    if (old) this.size -= old.length + 1;
    this.entries.delete(id);
    this.entries.set(id, buckets);
    this.size += buckets.length + 1;
    for (const [k, e] of this.entries) {
      if (this.size <= this.maxBuckets) break;
      this.entries.delete(k);
      this.size -= e.length + 1;
    }
  }
}

/** ~500,000 buckets: a few dozen MB, a hundred 100-run charts. */
const CACHE_BUCKETS = 500_000;
const caches = new WeakMap<Db, SeriesCache>();
/** The connection's cache, emptied when the database changed since it was filled. */
function cacheOf(db: Db, version: string): SeriesCache {
  let c = caches.get(db);
  if (c?.version !== version) {
    c = new SeriesCache(version, CACHE_BUCKETS);
    caches.set(db, c);
  }
  return c;
}

/** Chunks this small are decoded whatever the bucket width (a live run's tail, merged flushes). */
const SMALL_CHUNK = 64;

/**
 * By step, when no chunk can fall inside one bucket (each spans two bucket widths or is
 * small), every chunk is decoded anyway, so the per-chunk aggregates are not worth reading:
 * they are stored after the BLOBs, and reaching them walks the BLOBs' overflow pages (most of
 * a 100-run query's read time). Reads the leading columns only, decodes, and derives the
 * aggregates from the values. Undefined when some chunk is better served by its aggregates.
 */
function decodeAllByStep(
  db: Db,
  q: SeriesQuery,
  runId: string,
  key: string,
  dataStmt: Statement<unknown[]>,
): { metas: ChunkMeta[]; data: Map<number, DecodedChunk> } | undefined {
  const front = stmt(
    db,
    `SELECT id, min_step, max_step, n FROM history_chunks
     WHERE run = ? AND key = ? AND max_step >= ? AND min_step <= ? ORDER BY min_step, id`,
  ).all(runId, key, q.minX ?? -Number.MAX_VALUE, q.maxX ?? Number.MAX_VALUE) as Pick<
    ChunkMeta,
    "id" | "min_step" | "max_step" | "n"
  >[];
  if (front.length === 0) return { metas: [], data: new Map() };
  // The widest the buckets can be: the range of all points, finite or not, or the asked range.
  let lo = q.minX ?? Number.POSITIVE_INFINITY;
  let hi = q.maxX ?? Number.NEGATIVE_INFINITY;
  for (const f of front) {
    if (q.minX === undefined) lo = Math.min(lo, f.min_step);
    if (q.maxX === undefined) hi = Math.max(hi, f.max_step);
  }
  const width = (hi - lo) / q.buckets;
  if (!front.every((f) => f.n <= SMALL_CHUNK || f.max_step - f.min_step >= 2 * width)) return;
  const metas: ChunkMeta[] = [];
  const data = new Map<number, DecodedChunk>();
  for (const f of front) {
    const r = dataStmt.get(f.id) as { steps: Buffer | null; vals: Buffer };
    const v = f64(r.vals);
    let nfin = 0;
    let vmin = Number.POSITIVE_INFINITY;
    let vmax = Number.NEGATIVE_INFINITY;
    let vlast = 0;
    for (let i = 0; i < v.length; i++) {
      const y = v[i];
      if (!Number.isFinite(y)) continue;
      nfin++;
      if (y < vmin) vmin = y;
      if (y > vmax) vmax = y;
      vlast = y;
    }
    const consecutive = r.steps === null;
    data.set(f.id, { consecutive, x: consecutive ? null : f64(r.steps!), v });
    const any = nfin > 0;
    metas.push({
      ...f,
      nfin,
      vmin: any ? vmin : null,
      vmax: any ? vmax : null,
      vlast: any ? vlast : null,
      // min_ts/max_ts are only read for x = time.
      min_ts: Number.NaN,
      max_ts: Number.NaN,
    });
  }
  return { metas, data };
}

function readSystemSeries(db: Db, q: SeriesQuery): Series[] {
  const runsIn = q.runIds.map(() => "?").join(",");
  const keysIn = q.keys.map(() => "?").join(",");
  // System samples have no step; their x is always time.
  const sql = `
    WITH pts AS (SELECT run, key, ts AS x, num FROM system_values
      WHERE run IN (${runsIn}) AND key IN (${keysIn}) AND num IS NOT NULL
        AND ts >= @minX AND ts <= @maxX),
    rng AS (
      SELECT run, key, COALESCE(@lo, MIN(x)) AS lo, COALESCE(@hi, MAX(x)) AS hi
      FROM pts GROUP BY run, key
    ),
    b AS (
      SELECT p.run, p.key, p.x, p.num, g.lo, g.hi,
        CASE WHEN g.hi > g.lo
          THEN MIN(CAST((p.x - g.lo) * @n / (g.hi - g.lo) AS INTEGER), @n - 1) ELSE 0 END AS bi
      FROM pts p JOIN rng g ON g.run = p.run AND g.key = p.key
    ),
    w AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY run, key, bi ORDER BY x DESC) AS rn FROM b)
    SELECT run, key, bi, lo, hi, MIN(num) AS mn, MAX(num) AS mx, COUNT(*) AS c,
      MAX(CASE WHEN rn = 1 THEN num END) AS last
    FROM w GROUP BY run, key, bi ORDER BY run, key, bi`;
  const rows = db.prepare(sql).all(...q.runIds, ...q.keys, {
    minX: q.minX ?? -Number.MAX_VALUE,
    maxX: q.maxX ?? Number.MAX_VALUE,
    lo: q.minX ?? null,
    hi: q.maxX ?? null,
    n: q.buckets,
  }) as BucketRow[];
  const out = new Map<string, Series>();
  for (const runId of q.runIds) {
    for (const key of q.keys) out.set(`${runId}\u0000${key}`, { runId, key, buckets: [] });
  }
  for (const r of rows) {
    out.get(`${r.run}\u0000${r.key}`)?.buckets.push({
      x: r.lo + (r.bi * (r.hi - r.lo)) / q.buckets,
      min: r.mn,
      max: r.mx,
      last: r.last,
      count: r.c,
    });
  }
  return [...out.values()];
}
