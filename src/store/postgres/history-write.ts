/**
 * History, system and console writes in PostgreSQL. A batch becomes chunks of up to
 * {@link CHUNK} points per (run, key) as `float8[]` with their min/max/last/count, written with
 * one multi-row INSERT per table (not a row per point); non-numeric values are one JSON row each.
 * Every write locks the run's row first (through the `next_step` update or `requireRun`), so
 * two transactions writing one run take turns.
 */
import { encodeJson } from "../../shared/json-numbers.js";
import { chunkStats } from "../chunk-stats.js";
import type { HistoryBatch } from "../history-batch.js";
import { checkConsoleLines, checkHistoryBatch, checkSystemSamples } from "../history-checks.js";
import { type ConsoleLine, StoreError, type SystemSample } from "../types.js";
import {
  beginHistoryWrite,
  canJoin,
  JOIN_CHUNKS,
  JOIN_STEPS,
  MERGE_MAX,
  staysConsecutive,
} from "./chunk-merge.js";
import { type Queryable, requireRun } from "./runs.js";

/** Points per chunk, as in the SQLite store. */
export const CHUNK = 4096;

/** Rows per INSERT statement (PostgreSQL allows 65,535 parameters; chunk rows use 14). */
const ROWS_PER_INSERT = 1000;

/** PostgreSQL's type oid of float8 (the element type in the binary array header). */
const FLOAT8_OID = 701;

/**
 * A float8[] parameter in PostgreSQL's binary array format (`array_recv`): a 20-byte header,
 * then each value as a 4-byte length and 8 big-endian bytes. The driver sends a Buffer as a
 * binary parameter, so no number is printed in JS nor parsed by the server (measured: the text
 * form `{1,2,...}` cost the ingest most of its CPU), and NaN, ±Infinity and -0 stay exact.
 */
export function floatArray(a: ArrayLike<number>): Buffer {
  const n = a.length;
  const buf = Buffer.allocUnsafe(20 + 12 * n);
  buf.writeInt32BE(1, 0); // dimensions
  buf.writeInt32BE(0, 4); // no NULLs
  buf.writeInt32BE(FLOAT8_OID, 8);
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16); // lower bound
  let o = 20;
  for (let i = 0; i < n; i++) {
    buf.writeInt32BE(8, o);
    buf.writeDoubleBE(a[i]!, o + 4);
    o += 12;
  }
  return buf;
}

/** [min, max, consecutive] of a[from..to). */
function stepRange(a: Float64Array): [number, number, boolean] {
  let mn = a[0]!;
  let mx = a[0]!;
  let consecutive = true;
  for (let i = 1; i < a.length; i++) {
    const s = a[i]!;
    if (s !== a[0]! + i) consecutive = false;
    if (s < mn) mn = s;
    if (s > mx) mx = s;
  }
  return [mn, mx, consecutive];
}

/** Inserts `rows` (each `width` values) into `sql`'s VALUES list, ROWS_PER_INSERT at a time. */
async function insertRows(
  db: Queryable,
  head: string,
  casts: readonly string[],
  rows: unknown[][],
  tail = "",
): Promise<void> {
  const width = casts.length;
  for (let a = 0; a < rows.length; a += ROWS_PER_INSERT) {
    const part = rows.slice(a, a + ROWS_PER_INSERT);
    const values = part.map(
      (_, r) => `(${casts.map((c, i) => `$${r * width + i + 1}${c}`).join(", ")})`,
    );
    await db.query(`${head} VALUES ${values.join(", ")}${tail}`, part.flat());
  }
}

const STEP_CASTS = ["", "::bigint", "::bigint", "::int", "::float8[]", "::float8[]", "::float8[]"];
const CHUNK_CASTS = [
  "",
  "",
  "::bigint",
  "::bigint",
  "::int",
  "::float8[]",
  "::float8[]",
  "::float8[]",
  "::float8",
  "::float8",
  "::int",
  "::float8",
  "::float8",
  "::float8",
];

/** A float8 text parameter that keeps -0 (the driver prints `String(-0)`, which is "0"). */
function exactParam(v: number): number | string {
  return Object.is(v, -0) ? "-0" : v;
}

/** One (run, key) chunk row: steps, values, timestamps and the finite values' aggregates. */
function chunkRow(
  runId: string,
  key: string,
  steps: Float64Array,
  vals: Float64Array,
  ts: Float64Array,
): unknown[] {
  const n = steps.length;
  const stats = chunkStats(vals, ts, n);
  const [mn, mx, consecutive] = stepRange(steps);
  return [
    runId,
    key,
    mn,
    mx,
    n,
    consecutive ? null : floatArray(steps),
    floatArray(vals),
    floatArray(ts),
    stats.minTs,
    stats.maxTs,
    stats.nfin,
    stats.vmin === null ? null : exactParam(stats.vmin),
    stats.vmax === null ? null : exactParam(stats.vmax),
    stats.vlast === null ? null : exactParam(stats.vlast),
  ];
}

/**
 * Writes a batch in the caller's transaction. Validates everything before writing. Answers the
 * run's `next_step` after the write (undefined for an empty batch, which changes nothing).
 */
export async function writeHistoryBatch(
  db: Queryable,
  runId: string,
  b: HistoryBatch,
): Promise<number | undefined> {
  checkHistoryBatch(b);
  if (b.rows === 0) {
    await requireRun(db, runId, true);
    return undefined;
  }
  let maxStep = 0;
  for (let i = 0; i < b.rows; i++) if (b.steps[i]! > maxStep) maxStep = b.steps[i]!;
  // The run's row lock, its `nextStep`, the not-found check and, for a small write, the
  // chunks it may join, in one round trip.
  const small = b.rows < MERGE_MAX;
  const begun = await beginHistoryWrite(
    db,
    runId,
    maxStep + 1,
    small ? [...b.columns.keys()] : null,
  );
  if (!begun) throw new StoreError(`unknown run id ${JSON.stringify(runId)}`, "not_found");
  const { tails } = begun;
  const stepRows: unknown[][] = [];
  const stepJoins: unknown[][] = [];
  for (let a = 0; a < b.rows; a += CHUNK) {
    const e = Math.min(b.rows, a + CHUNK);
    const steps = b.steps.subarray(a, e);
    const [mn, mx, consecutive] = stepRange(steps);
    const runtimes = floatArray(b.runtimes.subarray(a, e));
    const ts = floatArray(b.timestamps.subarray(a, e));
    const t = tails.get(null);
    if (canJoin(t, steps)) {
      const cons = staysConsecutive(t, steps);
      stepJoins.push([t.id, mx, e - a, cons, floatArray(steps), runtimes, ts]);
      continue;
    }
    stepRows.push([runId, mn, mx, e - a, consecutive ? null : floatArray(steps), runtimes, ts]);
  }
  await insertRows(
    db,
    "INSERT INTO history_steps (run, min_step, max_step, n, steps, runtimes, ts)",
    STEP_CASTS,
    stepRows,
  );
  await insertRows(db, JOIN_STEPS.head, JOIN_STEPS.casts, stepJoins, JOIN_STEPS.tail);
  const chunkRows: unknown[][] = [];
  const chunkJoins: unknown[][] = [];
  for (const [key, col] of b.columns) {
    for (let a = 0; a < col.n; a += CHUNK) {
      const n = Math.min(col.n, a + CHUNK) - a;
      const steps = new Float64Array(n);
      const vals = new Float64Array(n);
      const ts = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = col.rows[a + i]!;
        steps[i] = b.steps[r]!;
        ts[i] = b.timestamps[r]!;
        vals[i] = col.values[a + i]!;
      }
      const row = chunkRow(runId, key, steps, vals, ts);
      const t = tails.get(key);
      if (canJoin(t, steps)) {
        // [id, max_step, n, consecutive, steps, then vals..vlast as chunkRow has them]
        chunkJoins.push([
          t.id,
          row[3],
          n,
          staysConsecutive(t, steps),
          floatArray(steps),
          ...row.slice(6),
        ]);
        continue;
      }
      chunkRows.push(row);
    }
  }
  await insertRows(
    db,
    `INSERT INTO history_chunks (run, key, min_step, max_step, n, steps, vals, ts, min_ts, max_ts,
       nfin, vmin, vmax, vlast)`,
    CHUNK_CASTS,
    chunkRows,
  );
  await insertRows(db, JOIN_CHUNKS.head, JOIN_CHUNKS.casts, chunkJoins, JOIN_CHUNKS.tail);
  if (b.others.length > 0) {
    // Later writes of one (key, step) win, as a second statement would; one row each here.
    const last = new Map<string, unknown[]>();
    for (const o of b.others) {
      const step = b.steps[o.row]!;
      last.set(`${o.key}\u0000${step}`, [
        runId,
        o.key,
        step,
        encodeJson(o.value),
        b.timestamps[o.row],
      ]);
    }
    await insertRows(
      db,
      "INSERT INTO history_values (run, key, step, json, ts)",
      ["", "", "::bigint", "", "::float8"],
      [...last.values()],
      " ON CONFLICT (run, key, step) DO UPDATE SET json = excluded.json, ts = excluded.ts",
    );
  }
  return begun.nextStep;
}

export async function writeSystem(
  db: Queryable,
  runId: string,
  samples: readonly SystemSample[],
): Promise<void> {
  checkSystemSamples(samples);
  await requireRun(db, runId, true);
  const last = new Map<string, unknown[]>();
  for (const s of samples) {
    for (const [k, v] of Object.entries(s.values)) {
      last.set(`${k}\u0000${s.timestamp}`, [runId, k, s.timestamp, Number.isFinite(v) ? v : null]);
    }
  }
  await insertRows(
    db,
    "INSERT INTO system_values (run, key, ts, num)",
    ["", "", "::float8", "::float8"],
    [...last.values()],
    " ON CONFLICT (run, key, ts) DO UPDATE SET num = excluded.num",
  );
}

export async function writeConsole(
  db: Queryable,
  runId: string,
  lines: readonly ConsoleLine[],
): Promise<void> {
  checkConsoleLines(lines);
  // Locked: the next seq is read, then written; a second writer waits for this one.
  await requireRun(db, runId, true);
  const r = await db.query<{ s: number }>(
    "SELECT COALESCE(MAX(seq) + 1, 0)::int AS s FROM console_lines WHERE run = $1",
    [runId],
  );
  let seq = r.rows[0]!.s;
  await insertRows(
    db,
    "INSERT INTO console_lines (run, seq, stream, ts, text)",
    ["", "::int", "", "::float8", ""],
    lines.map((l) => [runId, seq++, l.stream, l.timestamp, l.text]),
  );
}
