/** History, console and system-key reads in PostgreSQL (series are in `series.ts`). */
import { decodeJson } from "../../shared/json-numbers.js";
import { checkKey } from "../run-checks.js";
import { mergeByStep } from "../sqlite/chunks.js";
import type {
  ConsoleLine,
  HistoryKeyInfo,
  HistoryRow,
  Point,
  PointQuery,
  StoredValue,
} from "../types.js";
import { type Queryable, requireRun } from "./runs.js";
import { decodeFloatArray } from "./series.js";

/** Steps of a chunk: stored, or `min..min+n-1` when NULL (consecutive steps). */
function chunkSteps(
  steps: ArrayLike<number> | null,
  minStep: number,
  n: number,
): ArrayLike<number> {
  if (steps) return steps;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = minStep + i;
  return out;
}

/** The error `checkKey` throws for `key`, if any. */
function invalidKey(key: string): unknown {
  try {
    checkKey(key, "readPoints");
    return undefined;
  } catch (err) {
    return err;
  }
}

interface Part<T> {
  id: number;
  steps: number[];
  items: T[];
}

const MAX = Number.MAX_SAFE_INTEGER;

export async function readHistoryRows(
  db: Queryable,
  runId: string,
  opts: { minStep?: number; maxStep?: number; limit?: number } = {},
): Promise<HistoryRow[]> {
  await requireRun(db, runId);
  const lo = opts.minStep ?? 0;
  let hi = opts.maxStep ?? MAX;
  const metas = await db.query<{
    id: number;
    min_step: number;
    n: number;
    steps: Buffer | null;
    runtimes: Buffer;
    ts: Buffer;
  }>(
    `SELECT id::float8 AS id, min_step::float8 AS min_step, n, array_send(steps) AS steps,
       array_send(runtimes) AS runtimes, array_send(ts) AS ts FROM history_steps
     WHERE run = $1 AND max_step >= $2 AND min_step <= $3 ORDER BY id`,
    [runId, lo, hi],
  );
  const parts = metas.rows.map((m) => {
    const steps = chunkSteps(m.steps && decodeFloatArray(m.steps), m.min_step, m.n);
    const runtimes = decodeFloatArray(m.runtimes);
    const ts = decodeFloatArray(m.ts);
    const part: Part<HistoryRow> = { id: m.id, steps: [], items: [] };
    for (let i = 0; i < m.n; i++) {
      const s = steps[i]!;
      if (s < lo || s > hi) continue;
      part.steps.push(s);
      part.items.push({ step: s, runtime: runtimes[i]!, timestamp: ts[i]!, values: {} });
    }
    return part;
  });
  let rows = mergeByStep(parts).items;
  if (opts.limit !== undefined && opts.limit >= 0) rows = rows.slice(0, opts.limit);
  if (rows.length === 0) return [];
  hi = rows[rows.length - 1]!.step;
  const byStep = new Map<number, HistoryRow>();
  for (const r of rows) byStep.set(r.step, r);
  const chunks = await db.query<{
    key: string;
    min_step: number;
    n: number;
    steps: Buffer | null;
    vals: Buffer;
  }>(
    `SELECT key, min_step::float8 AS min_step, n, array_send(steps) AS steps,
       array_send(vals) AS vals FROM history_chunks
     WHERE run = $1 AND max_step >= $2 AND min_step <= $3 ORDER BY id`,
    [runId, lo, hi],
  );
  for (const c of chunks.rows) {
    const steps = chunkSteps(c.steps && decodeFloatArray(c.steps), c.min_step, c.n);
    const vals = decodeFloatArray(c.vals);
    for (let i = 0; i < c.n; i++) {
      const row = byStep.get(steps[i]!);
      if (row) row.values[c.key] = vals[i]!;
    }
  }
  const json = await db.query<{ step: number; key: string; json: string }>(
    `SELECT step::float8 AS step, key, json FROM history_values
     WHERE run = $1 AND step >= $2 AND step <= $3`,
    [runId, lo, hi],
  );
  for (const v of json.rows) {
    const row = byStep.get(v.step);
    if (row) row.values[v.key] = decodeJson<StoredValue>(v.json);
  }
  return rows;
}

/**
 * One key's points. The run check, the chunks and the JSON values are three statements sent at
 * once (on three pooled connections: one round trip's wait), and the chunk arrays come in
 * PostgreSQL's binary form (`array_send`): the text form `{0.1,...}` cost most of a 10,000-point
 * read to print and parse.
 */
export async function readPointRows(db: Queryable, q: PointQuery): Promise<Point[]> {
  const badKey = invalidKey(q.key);
  if (badKey) {
    await requireRun(db, q.runId); // an unknown run is the first thing to say
    throw badKey;
  }
  const lo = q.minStep ?? 0;
  const hi = q.maxStep ?? MAX;
  const limit = q.limit !== undefined && q.limit >= 0 ? q.limit : Number.POSITIVE_INFINITY;
  const [, chunks, json] = await Promise.all([
    requireRun(db, q.runId),
    db.query<{
      id: number;
      min_step: number;
      max_step: number;
      n: number;
      steps: Buffer | null;
      vals: Buffer;
      ts: Buffer;
    }>(
      `SELECT id::float8 AS id, min_step::float8 AS min_step, max_step::float8 AS max_step, n,
         array_send(steps) AS steps, array_send(vals) AS vals, array_send(ts) AS ts
       FROM history_chunks
       WHERE run = $1 AND key = $2 AND max_step >= $3 AND min_step <= $4 ORDER BY min_step, id`,
      [q.runId, q.key, lo, hi],
    ),
    db.query<{ step: number; json: string; ts: number | null }>(
      `SELECT step::float8 AS step, json, ts FROM history_values
       WHERE run = $1 AND key = $2 AND step >= $3 AND step <= $4 ORDER BY step`,
      [q.runId, q.key, lo, hi],
    ),
  ]);
  const parts: Part<Point>[] = [];
  let count = 0;
  let maxSeen = -1;
  for (const c of chunks.rows) {
    // Chunks come by min_step: once `limit` points are in hand, later chunks cannot precede them.
    if (count >= limit && c.min_step > maxSeen) break;
    const steps = chunkSteps(c.steps && decodeFloatArray(c.steps), c.min_step, c.n);
    const vals = decodeFloatArray(c.vals);
    const ts = decodeFloatArray(c.ts);
    const part: Part<Point> = { id: c.id, steps: [], items: [] };
    for (let i = 0; i < c.n; i++) {
      const s = steps[i]!;
      if (s < lo || s > hi) continue;
      part.steps.push(s);
      part.items.push({ step: s, timestamp: ts[i]!, value: vals[i]! });
    }
    parts.push(part);
    count += part.items.length;
    if (c.max_step > maxSeen) maxSeen = c.max_step;
  }
  if (json.rows.length > 0) {
    parts.push({
      id: MAX,
      steps: json.rows.map((j) => j.step),
      items: json.rows.map((j) => ({
        step: j.step,
        timestamp: j.ts ?? 0,
        value: decodeJson<StoredValue>(j.json),
      })),
    });
  }
  parts.sort((a, b) => a.id - b.id);
  const { items } = mergeByStep(parts);
  return items.length > limit ? items.slice(0, limit) : items;
}

export async function historyKeyRows(db: Queryable, runId: string): Promise<HistoryKeyInfo[]> {
  await requireRun(db, runId);
  const r = await db.query<HistoryKeyInfo>(
    `SELECT key, sum(n)::float8 AS count, min(lo)::float8 AS "minStep", max(hi)::float8 AS "maxStep"
     FROM (
       SELECT key, n, min_step AS lo, max_step AS hi FROM history_chunks WHERE run = $1
       UNION ALL
       SELECT key, 1, step, step FROM history_values WHERE run = $1
     ) k GROUP BY key ORDER BY key COLLATE "C"`,
    [runId],
  );
  return r.rows;
}

export async function readConsoleRows(
  db: Queryable,
  runId: string,
  opts: { offset?: number; limit?: number } = {},
): Promise<ConsoleLine[]> {
  await requireRun(db, runId);
  const r = await db.query<ConsoleLine>(
    `SELECT stream, ts AS timestamp, text FROM console_lines WHERE run = $1
     ORDER BY seq LIMIT $2 OFFSET $3`,
    [runId, opts.limit !== undefined && opts.limit >= 0 ? opts.limit : null, opts.offset ?? 0],
  );
  return r.rows;
}

export async function consoleCountOf(db: Queryable, runId: string): Promise<number> {
  await requireRun(db, runId);
  // seq runs 0..n-1 per run (primary key), so this is one index lookup.
  const r = await db.query<{ n: number }>(
    "SELECT COALESCE(MAX(seq) + 1, 0)::int AS n FROM console_lines WHERE run = $1",
    [runId],
  );
  return r.rows[0]!.n;
}

export async function systemKeyRows(db: Queryable, runId: string): Promise<string[]> {
  await requireRun(db, runId);
  const r = await db.query<{ key: string }>(
    `SELECT DISTINCT key COLLATE "C" AS key FROM system_values WHERE run = $1 ORDER BY 1`,
    [runId],
  );
  return r.rows.map((x) => x.key);
}
