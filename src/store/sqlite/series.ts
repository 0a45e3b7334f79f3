/** Database-side downsampling: N equal x buckets per (run, key), keeping min/max/last/count. */
import { type Series, type SeriesQuery, StoreError } from "../types.js";
import type { Db } from "./db.js";
import { KIND_FINITE } from "./values.js";

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

export function readSeriesRows(db: Db, q: SeriesQuery): Series[] {
  if (!Number.isInteger(q.buckets) || q.buckets < 1 || q.buckets > 100_000) {
    throw new StoreError(`invalid bucket count ${JSON.stringify(q.buckets)}`, "invalid");
  }
  if (q.x !== "step" && q.x !== "time") {
    throw new StoreError(`invalid x ${JSON.stringify(q.x)}`, "invalid");
  }
  if (q.runIds.length === 0 || q.keys.length === 0) return [];
  const runsIn = q.runIds.map(() => "?").join(",");
  const keysIn = q.keys.map(() => "?").join(",");
  const system = q.source === "system";
  // System samples have no step; their x is always time.
  const pts = system
    ? `SELECT run, key, ts AS x, num FROM system_values
       WHERE run IN (${runsIn}) AND key IN (${keysIn}) AND num IS NOT NULL`
    : q.x === "step"
      ? `SELECT run, key, step AS x, num FROM history_values
         WHERE run IN (${runsIn}) AND key IN (${keysIn}) AND kind = ${KIND_FINITE}`
      : `SELECT v.run, v.key, r.ts AS x, v.num FROM history_values v
         JOIN history_rows r ON r.run = v.run AND r.step = v.step
         WHERE v.run IN (${runsIn}) AND v.key IN (${keysIn}) AND v.kind = ${KIND_FINITE}`;
  const sql = `
    WITH pts AS (SELECT * FROM (${pts}) WHERE x >= @minX AND x <= @maxX),
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
