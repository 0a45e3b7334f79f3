/**
 * Series downsampled inside PostgreSQL: N equal x buckets per (run, key) with min/max/last/count
 * of finite values, over step or time, for many runs in one statement. Only buckets leave the
 * database. The semantics are the SQLite store's (`sqlite/chunk-buckets.ts`):
 *
 * - The bucket range is [minX, maxX] when given, else the smallest and largest x of a finite
 *   point in range; bucket of x = min(floor((x - lo) * n / (hi - lo)), n - 1).
 * - A chunk whose points are all finite and inside the asked range ("exact") and whose whole x
 *   span falls in one bucket adds its stored aggregates; any other chunk is `unnest`ed.
 * - `last` is the value at the largest x of the bucket.
 */
import { type Series, type SeriesQuery, StoreError } from "../types.js";
import type { Queryable } from "./runs.js";

interface BucketRow {
  run: string;
  key: string;
  bi: number;
  lo: number;
  hi: number;
  mn: number;
  mx: number;
  c: number;
  last: number;
}

/** `bucket(x)` over the range columns `c.lo`, `c.hi` and the bucket count `$5`. */
function bucketOf(x: string): string {
  return `(CASE WHEN c.hi > c.lo THEN LEAST(floor(((${x} - c.lo) * $5) / (c.hi - c.lo)), $5 - 1)
    ELSE 0 END)::int`;
}

/** A chunk's points as `u(x, v)` (a LATERAL source over chunk row `c`). */
function pointsOf(x: "step" | "time"): string {
  return x === "time"
    ? "unnest(c.vals, c.ts) AS u(v, x)"
    : "LATERAL (SELECT COALESCE(s, c.min_step + i - 1)::float8 AS x, v FROM unnest(c.vals, c.steps) WITH ORDINALITY AS w(v, s, i)) u";
}

const FINITE = "u.v NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)";

function chunkX(x: "step" | "time"): [string, string] {
  return x === "time" ? ["min_ts", "max_ts"] : ["min_step::float8", "max_step::float8"];
}

/**
 * Step 1, the bucket range of each (run, key) when the query leaves it open: from the chunks'
 * stored x bounds where every point is finite and in range ("exact"), else from their points.
 * Parameters: runs, keys, minX, maxX.
 */
function rangeSql(x: "step" | "time"): string {
  const [xlo, xhi] = chunkX(x);
  return `
    WITH c AS (
      SELECT run, key, min_step, n, steps, vals, ts, ${xlo} AS xlo, ${xhi} AS xhi,
        (nfin = n AND ${xlo} >= $3 AND ${xhi} <= $4) AS exact
      FROM history_chunks
      WHERE run = ANY($1::text[]) AND key = ANY($2::text[]) AND nfin > 0
        AND ${xhi} >= $3 AND ${xlo} <= $4
    )
    SELECT run, key, min(lo) AS lo, max(hi) AS hi FROM (
      SELECT run, key, xlo AS lo, xhi AS hi FROM c WHERE exact
      UNION ALL
      SELECT c.run, c.key, u.x, u.x FROM c CROSS JOIN ${pointsOf(x)}
      WHERE NOT c.exact AND ${FINITE} AND u.x >= $3 AND u.x <= $4
    ) r GROUP BY run, key`;
}

/**
 * Step 2, the buckets. Parameters: minX, maxX, buckets as $3..$5, and the ranges as parallel
 * arrays $1 runs, $2 keys, $6 lo, $7 hi. A chunk inside one bucket adds its stored aggregates;
 * any other is bucketed point by point inside a LATERAL, so only per-chunk partial buckets
 * reach the outer GROUP BY.
 */
function bucketSql(x: "step" | "time"): string {
  const [xlo, xhi] = chunkX(x);
  return `
    WITH g AS (
      SELECT * FROM unnest($1::text[], $2::text[], $6::float8[], $7::float8[]) AS g(run, key, lo, hi)
    ),
    c AS (
      SELECT h.id, h.run, h.key, h.min_step, h.n, h.steps, h.vals, h.ts, h.nfin, h.vmin, h.vmax,
        h.vlast, ${xlo} AS xlo, ${xhi} AS xhi, g.lo, g.hi,
        (h.nfin = h.n AND ${xlo} >= $3 AND ${xhi} <= $4) AS exact
      FROM history_chunks h JOIN g ON h.run = g.run AND h.key = g.key
      WHERE h.nfin > 0 AND ${xhi} >= $3 AND ${xlo} <= $4
    ),
    w AS (
      SELECT c.*, (c.exact AND ${bucketOf("c.xlo")} = ${bucketOf("c.xhi")}) AS whole FROM c
    ),
    parts AS (
      SELECT run, key, lo, hi, ${bucketOf("xlo").replaceAll("c.", "")} AS bi, vmin AS mn, vmax AS mx,
        nfin::float8 AS cnt, vlast AS last, xhi AS lastx
      FROM w WHERE whole
      UNION ALL
      SELECT c.run, c.key, c.lo, c.hi, p.bi, p.mn, p.mx, p.cnt, p.last, p.lastx
      FROM w c CROSS JOIN LATERAL (
        SELECT ${bucketOf("u.x")} AS bi, min(u.v) AS mn, max(u.v) AS mx, count(*)::float8 AS cnt,
          (max(ARRAY[u.x, u.v]))[2] AS last, max(u.x) AS lastx
        FROM ${pointsOf(x).replace("LATERAL ", "")}
        WHERE ${FINITE} AND u.x >= GREATEST($3, c.lo) AND u.x <= LEAST($4, c.hi)
        GROUP BY 1
      ) p WHERE NOT c.whole
    )
    SELECT run, key, bi, lo, hi, min(mn) AS mn, max(mx) AS mx, sum(cnt) AS c,
      (max(ARRAY[lastx, last]))[2] AS last
    FROM parts WHERE hi >= lo GROUP BY run, key, bi, lo, hi`;
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
 * The finite points in range of every (run, key), for the fallback below. Same parameters as
 * {@link historySql}; the unused ones are referenced so their types are known.
 */
function pointsSql(q: SeriesQuery): string {
  if (q.source === "system") {
    return `SELECT run, key, ts AS x, num AS v FROM system_values
      WHERE run = ANY($1::text[]) AND key = ANY($2::text[]) AND num IS NOT NULL
        AND ts >= $3 AND ts <= $4 AND $5::int IS NOT NULL AND ($6::float8 IS NULL OR TRUE)
        AND ($7::float8 IS NULL OR TRUE)`;
  }
  const points =
    q.x === "time"
      ? "unnest(c.vals, c.ts) AS u(v, x)"
      : "LATERAL (SELECT COALESCE(s, c.min_step + i - 1)::float8 AS x, v FROM unnest(c.vals, c.steps) WITH ORDINALITY AS w(v, s, i)) u";
  return `SELECT c.run, c.key, u.x, u.v FROM history_chunks c CROSS JOIN ${points}
    WHERE c.run = ANY($1::text[]) AND c.key = ANY($2::text[]) AND c.nfin > 0
      AND u.v NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
      AND u.x >= $3 AND u.x <= $4 AND $5::int IS NOT NULL AND ($6::float8 IS NULL OR TRUE)
      AND ($7::float8 IS NULL OR TRUE)`;
}

/**
 * Buckets computed in JS from the points, with the SQLite store's float arithmetic: used when
 * PostgreSQL refuses the bucket arithmetic (x near ±1e308 overflows `(x - lo) * n`, which
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

/** History buckets in two statements: the ranges (unless given), then the buckets. */
async function historyBuckets(db: Queryable, q: SeriesQuery): Promise<BucketRow[]> {
  const minX = q.minX ?? -Number.MAX_VALUE;
  const maxX = q.maxX ?? Number.MAX_VALUE;
  let ranges: { run: string; key: string; lo: number; hi: number }[];
  if (q.minX !== undefined && q.maxX !== undefined) {
    ranges = q.runIds.flatMap((run) => q.keys.map((key) => ({ run, key, lo: minX, hi: maxX })));
  } else {
    const r = await db.query<{ run: string; key: string; lo: number; hi: number }>(rangeSql(q.x), [
      [...q.runIds],
      [...q.keys],
      minX,
      maxX,
    ]);
    ranges = r.rows.map((g) => ({ ...g, lo: q.minX ?? g.lo, hi: q.maxX ?? g.hi }));
  }
  if (ranges.length === 0) return [];
  const r = await db.query<BucketRow>(bucketSql(q.x), [
    ranges.map((g) => g.run),
    ranges.map((g) => g.key),
    minX,
    maxX,
    q.buckets,
    ranges.map((g) => g.lo),
    ranges.map((g) => g.hi),
  ]);
  return r.rows;
}

export async function readSeriesRows(db: Queryable, q: SeriesQuery): Promise<Series[]> {
  if (!Number.isInteger(q.buckets) || q.buckets < 1 || q.buckets > 100_000) {
    throw new StoreError(`invalid bucket count ${JSON.stringify(q.buckets)}`, "invalid");
  }
  if (q.x !== "step" && q.x !== "time") {
    throw new StoreError(`invalid x ${JSON.stringify(q.x)}`, "invalid");
  }
  if (q.runIds.length === 0 || q.keys.length === 0) return [];
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
    rows =
      q.source === "system"
        ? (await db.query<BucketRow>(SYSTEM_SQL, params)).rows
        : await historyBuckets(db, q);
  } catch (err) {
    if ((err as { code?: unknown }).code !== "22003") throw err;
    const pts = await db.query<{ run: string; key: string; x: number; v: number }>(
      pointsSql(q),
      params,
    );
    rows = bucketInJs(q, pts.rows);
  }
  const r = { rows };
  const out = new Map<string, Series>();
  for (const runId of q.runIds) {
    for (const key of q.keys) out.set(`${runId}\u0000${key}`, { runId, key, buckets: [] });
  }
  r.rows.sort((a, b) => a.bi - b.bi);
  for (const b of r.rows) {
    out.get(`${b.run}\u0000${b.key}`)?.buckets.push({
      x: b.lo + (b.bi * (b.hi - b.lo)) / q.buckets,
      min: b.mn,
      max: b.mx,
      last: b.last,
      count: b.c,
    });
  }
  return [...out.values()];
}
