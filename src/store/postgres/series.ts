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

/** `bucket(x)` over the range columns `g.lo`, `g.hi` and the bucket count `$5`. */
function bucketOf(x: string): string {
  return `(CASE WHEN g.hi > g.lo THEN LEAST(floor(((${x} - g.lo) * $5) / (g.hi - g.lo)), $5 - 1)
    ELSE 0 END)::int`;
}

/** The history statement; parameters: runs, keys, minX, maxX, buckets, given lo, given hi. */
function historySql(x: "step" | "time"): string {
  const [xlo, xhi] = x === "time" ? ["min_ts", "max_ts"] : ["min_step::float8", "max_step::float8"];
  // Points of a chunk as (x, v).
  const points =
    x === "time"
      ? "unnest(c.vals, c.ts) AS u(v, x)"
      : "LATERAL (SELECT COALESCE(s, c.min_step + i - 1)::float8 AS x, v FROM unnest(c.vals, c.steps) WITH ORDINALITY AS w(v, s, i)) u";
  const finite = "u.v NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)";
  return `
    WITH c AS (
      SELECT run, key, id, min_step, n, steps, vals, ts, nfin, vmin, vmax, vlast,
        ${xlo} AS xlo, ${xhi} AS xhi,
        (nfin = n AND ${xlo} >= $3 AND ${xhi} <= $4) AS exact
      FROM history_chunks
      WHERE run = ANY($1::text[]) AND key = ANY($2::text[]) AND nfin > 0
        AND ${xhi} >= $3 AND ${xlo} <= $4
    ),
    p AS (
      SELECT c.run, c.key, u.x, u.v FROM c CROSS JOIN ${points}
      WHERE NOT c.exact AND ${finite} AND u.x >= $3 AND u.x <= $4
    ),
    g AS (
      SELECT run, key, COALESCE($6::float8, min(x)) AS lo, COALESCE($7::float8, max(x)) AS hi
      FROM (
        SELECT run, key, xlo AS x FROM c WHERE exact
        UNION ALL SELECT run, key, xhi FROM c WHERE exact
        UNION ALL SELECT run, key, x FROM p
      ) r GROUP BY run, key
    ),
    whole AS (
      SELECT c.*, ${bucketOf("c.xlo")} AS bi FROM c JOIN g USING (run, key)
      WHERE c.exact AND ${bucketOf("c.xlo")} = ${bucketOf("c.xhi")}
    ),
    q AS (
      SELECT c.run, c.key, u.x, u.v FROM c CROSS JOIN ${points}
      WHERE c.exact AND c.id NOT IN (SELECT id FROM whole)
    ),
    contrib AS (
      SELECT run, key, bi, vmin AS mn, vmax AS mx, nfin AS cnt, vlast AS last, xhi AS lastx
      FROM whole
      UNION ALL
      SELECT t.run, t.key, ${bucketOf("t.x")}, t.v, t.v, 1, t.v, t.x
      FROM (SELECT * FROM p UNION ALL SELECT * FROM q) t JOIN g ON g.run = t.run AND g.key = t.key
    )
    SELECT k.run, k.key, k.bi, g.lo, g.hi, min(k.mn) AS mn, max(k.mx) AS mx,
      sum(k.cnt)::float8 AS c, (max(ARRAY[k.lastx, k.last]))[2] AS last
    FROM contrib k JOIN g ON g.run = k.run AND g.key = k.key
    WHERE g.hi >= g.lo
    GROUP BY k.run, k.key, k.bi, g.lo, g.hi`;
}

/** System samples (few per run): bucketed over time. Same parameters as {@link historySql}. */
const SYSTEM_SQL = `
  WITH p AS (
    SELECT run, key, ts AS x, num AS v FROM system_values
    WHERE run = ANY($1::text[]) AND key = ANY($2::text[]) AND num IS NOT NULL
      AND ts >= $3 AND ts <= $4
  ),
  g AS (
    SELECT run, key, COALESCE($6::float8, min(x)) AS lo, COALESCE($7::float8, max(x)) AS hi
    FROM p GROUP BY run, key
  )
  SELECT p.run, p.key, ${bucketOf("p.x")} AS bi, g.lo, g.hi, min(p.v) AS mn, max(p.v) AS mx,
    count(*)::float8 AS c, (max(ARRAY[p.x, p.v]))[2] AS last
  FROM p JOIN g USING (run, key)
  GROUP BY p.run, p.key, 3, g.lo, g.hi`;

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

export async function readSeriesRows(db: Queryable, q: SeriesQuery): Promise<Series[]> {
  if (!Number.isInteger(q.buckets) || q.buckets < 1 || q.buckets > 100_000) {
    throw new StoreError(`invalid bucket count ${JSON.stringify(q.buckets)}`, "invalid");
  }
  if (q.x !== "step" && q.x !== "time") {
    throw new StoreError(`invalid x ${JSON.stringify(q.x)}`, "invalid");
  }
  if (q.runIds.length === 0 || q.keys.length === 0) return [];
  const sql = q.source === "system" ? SYSTEM_SQL : historySql(q.x);
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
    rows = (await db.query<BucketRow>(sql, params)).rows;
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
