/**
 * Series reads in PostgreSQL: N equal x buckets per (run, key) with min/max/last/count of finite
 * values (and counts of NaN/±Infinity: a chunk holding one is always decoded), over step or time, for many runs at once, with the SQLite store's semantics and code
 * (`../chunk-buckets.ts`). History takes two round trips for all runs of a query: the chunks'
 * stored bounds and aggregates (from the index), then the points of only those chunks that do
 * not lie inside one bucket, as binary arrays (`array_send`: no number printed or parsed); a
 * live chart whose missing chunks are all new and small reads them with the list, in one. A
 * chunk inside one bucket adds its stored min/max/last/count. System samples (few per run) are
 * bucketed in SQL.
 */
import {
  bucketChunks,
  type ChunkMeta,
  chunksToDecode,
  type DecodedChunk,
} from "../chunk-buckets.js";
import { type BucketRow, checkSeriesQuery } from "../series-query.js";
import { type Series, type SeriesQuery, StoreError } from "../types.js";
import type { Queryable } from "./runs.js";
import type { ChunkCache } from "./series-cache.js";

/** `bucket(x)` over the range columns `c.lo`, `c.hi` and the bucket count `$5`. */
function bucketOf(x: string): string {
  return `(CASE WHEN c.hi > c.lo THEN LEAST(floor(((${x} - c.lo) * $5) / (c.hi - c.lo)), $5 - 1)
    ELSE 0 END)::int`;
}

/** System samples (few per run): bucketed over time in one statement. Parameters as rangeSql, $5 buckets, $6/$7 given lo/hi. */
const SYSTEM_SQL = `
  WITH p AS (
    SELECT run, key, ts AS x, num AS v FROM system_values
    WHERE run = ANY($1::text[]) AND key = ANY($2::text[]) AND num IS NOT NULL
      AND ts >= $3 AND ts <= $4
  ),
  c AS (
    SELECT run, key, COALESCE($6::float8, min(x)) AS lo, COALESCE($7::float8, max(x)) AS hi
    FROM p GROUP BY run, key
  )
  SELECT p.run, p.key, ${bucketOf("p.x")} AS bi, c.lo, c.hi, min(p.v) AS mn, max(p.v) AS mx,
    count(*)::float8 AS c, (max(ARRAY[p.x, p.v]))[2] AS last
  FROM p JOIN c USING (run, key)
  GROUP BY p.run, p.key, 3, c.lo, c.hi`;

/**
 * The system samples in range of every (run, key), for the fallback below. Same parameters as
 * {@link SYSTEM_SQL}; the unused ones are referenced so their types are known.
 */
const SYSTEM_POINTS_SQL = `SELECT run, key, ts AS x, num AS v FROM system_values
  WHERE run = ANY($1::text[]) AND key = ANY($2::text[]) AND num IS NOT NULL
    AND ts >= $3 AND ts <= $4 AND $5::int IS NOT NULL AND ($6::float8 IS NULL OR TRUE)
    AND ($7::float8 IS NULL OR TRUE)`;

/**
 * System buckets computed in JS from the samples, with the SQLite store's float arithmetic: used
 * when PostgreSQL refuses the bucket arithmetic (x near ±1e308 overflows `(x - lo) * n`, which
 * PostgreSQL reports as an error where JS gives Infinity).
 */
function bucketInJs(
  q: SeriesQuery,
  points: readonly { run: string; key: string; x: number; v: number }[],
): BucketRow[] {
  const groups = new Map<string, { run: string; key: string; xs: number[]; vs: number[] }>();
  for (const p of points) {
    const id = `${p.run}\u0000${p.key}`;
    let g = groups.get(id);
    if (!g) {
      g = { run: p.run, key: p.key, xs: [], vs: [] };
      groups.set(id, g);
    }
    g.xs.push(p.x);
    g.vs.push(p.v);
  }
  const out: BucketRow[] = [];
  const n = q.buckets;
  for (const g of groups.values()) {
    const lo = q.minX ?? Math.min(...g.xs);
    const hi = q.maxX ?? Math.max(...g.xs);
    if (!(hi >= lo)) continue;
    const span = hi - lo;
    const rows = new Map<number, BucketRow & { lastX: number }>();
    g.xs.forEach((x, i) => {
      const v = g.vs[i]!;
      const bi = span > 0 ? Math.min(Math.floor(((x - lo) * n) / span), n - 1) : 0;
      const b = rows.get(bi);
      if (!b) {
        rows.set(bi, { run: g.run, key: g.key, bi, lo, hi, mn: v, mx: v, c: 1, last: v, lastX: x });
        return;
      }
      b.mn = Math.min(b.mn, v);
      b.mx = Math.max(b.mx, v);
      b.c++;
      if (x >= b.lastX) {
        b.last = v;
        b.lastX = x;
      }
    });
    out.push(...rows.values());
  }
  return out;
}

/** A chunk's stored bounds and aggregates, with the (run, key) it belongs to. */
interface ChunkRow extends ChunkMeta {
  run: string;
  key: string;
}

/** A row of the chunk list: a chunk's bounds, and (`inline`) a new small chunk's points. */
interface ListRow extends ChunkRow {
  inline: boolean;
  x: Buffer | null;
  v: Buffer | null;
}

/**
 * New chunks of at most this many points come with the chunk list: what live runs write (a
 * request's few hundred points a key). A bulk write's chunks (4,096 points, often inside one
 * bucket of a long run's chart, so never decoded) do not.
 */
const INLINE_MAX_POINTS = 1_024;

/**
 * Round trip 1: the chunks in range of every (run, key) with their stored bounds and aggregates,
 * and, in the same row (one scan, one snapshot), the points of a small chunk written since the
 * chunk cache's newest (`$5`; -1: none). A live chart's chunks that grew since it last asked are
 * mostly new ones, so it reads in this one round trip instead of two. (Measured: as a second
 * `UNION ALL` scan PostgreSQL chose the run/key index again before an ANALYZE, +1-3 ms a read.)
 */
function listSql(x: "step" | "time"): string {
  const [xlo, xhi] = x === "time" ? ["min_ts", "max_ts"] : ["min_step", "max_step"];
  const fresh = `id > $5::bigint AND $5::bigint >= 0 AND n <= ${INLINE_MAX_POINTS}`;
  return `SELECT id::float8 AS id, run, key, min_step::float8 AS min_step,
      max_step::float8 AS max_step, n, min_ts, max_ts, nfin, vmin, vmax, vlast,
      (${fresh}) AS inline,
      CASE WHEN ${fresh} THEN array_send(${x === "time" ? "ts" : "steps"}) END AS x,
      CASE WHEN ${fresh} THEN array_send(vals) END AS v
    FROM history_chunks
    WHERE run = ANY($1::text[]) AND key = ANY($2::text[])
      AND ${xhi} >= $3::float8 AND ${xlo} <= $4::float8
    ORDER BY run, key, min_step, id`;
}

/**
 * Round trip 2 (chunks not in the cache nor in the list): the points of the chunks named, as `float8[]` in PostgreSQL's binary array
 * format (`array_send`, a bytea; measured: the text form `{1,2,...}` costs more to print in
 * the database and to parse here than the whole bucketing).
 */
function dataSql(x: "step" | "time"): string {
  return `SELECT id::float8 AS id, array_send(${x === "time" ? "ts" : "steps"}) AS x,
      array_send(vals) AS v
    FROM history_chunks WHERE id = ANY($1::bigint[])`;
}

/**
 * A `float8[]` from `array_send`: a 20-byte header (dimensions, null flag, element type, length,
 * lower bound), then per element a 4-byte length and 8 big-endian bytes.
 */
export function decodeFloatArray(buf: Buffer): Float64Array {
  const dims = buf.readInt32BE(0);
  if (dims === 0) return new Float64Array(0);
  const n = buf.readInt32BE(12);
  const out = new Float64Array(n);
  let o = 20 + 4;
  for (let i = 0; i < n; i++, o += 12) out[i] = buf.readDoubleBE(o);
  return out;
}

/** A chunk's points from their binary arrays, for this read and the cache. */
function keepDecoded(
  d: { id: number; x: Buffer | null; v: Buffer },
  axis: "step" | "time",
  decoded: Map<number, DecodedChunk>,
  chunkCache: ChunkCache | undefined,
): void {
  const chunk = {
    // By step, a chunk of consecutive steps stores none: x = min_step + i.
    consecutive: d.x === null,
    x: d.x === null ? null : decodeFloatArray(d.x),
    v: decodeFloatArray(d.v),
  };
  decoded.set(d.id, chunk);
  chunkCache?.set(axis, d.id, chunk);
}

/** At most this many chunk queries at once, each of at least CHUNKS_PER_QUERY chunks. */
const DATA_QUERIES = 4;
const CHUNKS_PER_QUERY = 32;

/**
 * History buckets of every (run, key) of the query, in two round trips (one when every chunk to
 * decode is in `chunkCache`).
 */
async function historySeries(
  db: Queryable,
  q: SeriesQuery,
  chunkCache?: ChunkCache,
): Promise<Map<string, Series>> {
  const list = await db.query<ListRow>(listSql(q.x), [
    [...q.runIds],
    [...q.keys],
    q.minX ?? -Number.MAX_VALUE,
    q.maxX ?? Number.MAX_VALUE,
    chunkCache?.newest(q.x) ?? -1,
  ]);
  const groups = new Map<string, ChunkRow[]>();
  const decoded = new Map<number, DecodedChunk>();
  for (const m of list.rows) {
    if (m.inline) keepDecoded(m as ListRow & { v: Buffer }, q.x, decoded, chunkCache);
    const id = `${m.run}\u0000${m.key}`;
    const g = groups.get(id);
    if (g) g.push(m);
    else groups.set(id, [m]);
  }
  const needed: number[] = [];
  for (const g of groups.values()) {
    for (const m of chunksToDecode(q, g)) {
      if (decoded.has(m.id)) continue;
      const hit = chunkCache?.get(q.x, m.id, m.n);
      if (hit) decoded.set(m.id, hit);
      else needed.push(m.id);
    }
  }
  // Many chunks: split over a few pooled connections, whose backends detoast them in parallel.
  const parts = Math.min(DATA_QUERIES, Math.ceil(needed.length / CHUNKS_PER_QUERY));
  const slices = Array.from({ length: parts }, (_, p) =>
    needed.slice(
      Math.floor((p * needed.length) / parts),
      Math.floor(((p + 1) * needed.length) / parts),
    ),
  );
  const answers = await Promise.all(
    slices.map((ids) => db.query<{ id: number; x: Buffer | null; v: Buffer }>(dataSql(q.x), [ids])),
  );
  for (const data of answers) {
    for (const d of data.rows) keepDecoded(d, q.x, decoded, chunkCache);
  }
  const out = new Map<string, Series>();
  for (const [id, g] of groups) {
    const buckets = bucketChunks(
      q,
      g,
      (m) => {
        throw new StoreError(`chunk ${m.id} of run ${JSON.stringify(g[0]!.run)} vanished`, "busy");
      },
      decoded,
    );
    out.set(id, { runId: g[0]!.run, key: g[0]!.key, buckets });
  }
  return out;
}

/** System buckets of every (run, key) of the query, in SQL (JS past a float overflow). */
async function systemSeries(db: Queryable, q: SeriesQuery): Promise<Map<string, Series>> {
  const params = [
    [...q.runIds],
    [...q.keys],
    q.minX ?? -Number.MAX_VALUE,
    q.maxX ?? Number.MAX_VALUE,
    q.buckets,
    q.minX ?? null,
    q.maxX ?? null,
  ];
  let rows: BucketRow[];
  try {
    rows = (await db.query<BucketRow>(SYSTEM_SQL, params)).rows;
  } catch (err) {
    if ((err as { code?: unknown }).code !== "22003") throw err;
    const pts = await db.query<{ run: string; key: string; x: number; v: number }>(
      SYSTEM_POINTS_SQL,
      params,
    );
    rows = bucketInJs(q, pts.rows);
  }
  rows.sort((a, b) => a.bi - b.bi);
  const out = new Map<string, Series>();
  for (const b of rows) {
    const id = `${b.run}\u0000${b.key}`;
    let s = out.get(id);
    if (!s) {
      s = { runId: b.run, key: b.key, buckets: [] };
      out.set(id, s);
    }
    s.buckets.push({
      x: b.lo + (b.bi * (b.hi - b.lo)) / q.buckets,
      min: b.mn,
      max: b.mx,
      last: b.last,
      count: b.c,
    });
  }
  return out;
}

export async function readSeriesRows(
  db: Queryable,
  q: SeriesQuery,
  chunkCache?: ChunkCache,
): Promise<Series[]> {
  checkSeriesQuery(q);
  if (q.runIds.length === 0 || q.keys.length === 0) return [];
  const found =
    q.source === "system" ? await systemSeries(db, q) : await historySeries(db, q, chunkCache);
  // One series per asked (run, key), in the order asked, empty where nothing is stored.
  const out: Series[] = [];
  for (const runId of q.runIds) {
    for (const key of q.keys) {
      out.push(found.get(`${runId}\u0000${key}`) ?? { runId, key, buckets: [] });
    }
  }
  return out;
}
