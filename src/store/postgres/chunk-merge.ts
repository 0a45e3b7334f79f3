/**
 * Small writes joined onto the last chunk, as the SQLite store does (`sqlite/chunks.ts`): online
 * mode flushes every ~100 ms, and a chunk row per flush and key would leave a long run with
 * thousands of tiny chunks that every read walks. A write of fewer than {@link MERGE_MAX} points
 * whose steps all come after the last chunk's joins it while the result stays under
 * MERGE_MAX, inside the writer's transaction (the run's row lock is held: no other writer of the
 * run reads the same tail). The arrays are appended in the database (`||`), so nothing stored
 * is read back into JS.
 */
import type { Queryable } from "./runs.js";

/** A write smaller than this joins the last chunk while the result stays under it (SQLite's). */
export const MERGE_MAX = 256;

/** The last chunk of the run's step rows (key null) or of one key. */
export interface TailChunk {
  id: number;
  key: string | null;
  n: number;
  max_step: number;
  consecutive: boolean;
}

/**
 * The start of a history write, in one round trip (`amltk_history_tails`, migration 2): locks
 * the run's row, raises its `next_step` to `nextStep`, and, when `keys` is given and the run has
 * history, answers the run's last step chunk (key null) and the last chunk of each key, and the
 * run's `next_step` as the write leaves it. Undefined when the run does not exist.
 */
export async function beginHistoryWrite(
  db: Queryable,
  runId: string,
  nextStep: number,
  keys: readonly string[] | null,
): Promise<{ tails: Map<string | null, TailChunk>; nextStep: number } | undefined> {
  const r = await db.query<{
    t_before: number;
    t_id: number | null;
    t_key: string | null;
    t_n: number;
    t_max: number;
    t_cons: boolean;
  }>("SELECT * FROM amltk_history_tails($1, $2, $3)", [runId, nextStep, keys && [...keys]]);
  if (r.rows.length === 0) return undefined;
  const tails = new Map<string | null, TailChunk>();
  for (const t of r.rows) {
    if (t.t_id === null) continue; // the first row: only says the run exists
    tails.set(t.t_key, {
      id: t.t_id,
      key: t.t_key,
      n: t.t_n,
      max_step: t.t_max,
      consecutive: t.t_cons,
    });
  }
  return { tails, nextStep: Math.max(r.rows[0]!.t_before, nextStep) };
}

/** Whether `steps` (this write's, in order) can join `tail`: few, strictly after it, increasing. */
export function canJoin(tail: TailChunk | undefined, steps: Float64Array): tail is TailChunk {
  if (!tail || steps.length === 0 || steps.length >= MERGE_MAX) return false;
  if (tail.n + steps.length > MERGE_MAX || !(steps[0]! > tail.max_step)) return false;
  for (let i = 1; i < steps.length; i++) if (!(steps[i]! > steps[i - 1]!)) return false;
  return true;
}

/** Whether the joined chunk's steps are still `min_step + i` (no steps array needed). */
export function staysConsecutive(tail: TailChunk, steps: Float64Array): boolean {
  if (!tail.consecutive) return false;
  for (let i = 0; i < steps.length; i++) if (steps[i] !== tail.max_step + 1 + i) return false;
  return true;
}

/** The joined chunk's steps: NULL while consecutive, else the old ones (made explicit) + new. */
const JOINED_STEPS = `CASE WHEN u.cons THEN NULL
  ELSE COALESCE(h.steps, ARRAY(SELECT generate_series(h.min_step, h.max_step)::float8)) || u.steps
  END`;

/**
 * Joins rows onto history chunks: each row is [id, max_step, n, consecutive, steps, vals, ts,
 * min_ts, max_ts, nfin, vmin, vmax, vlast] of the points added (aggregates of the finite ones).
 */
export const JOIN_CHUNKS = {
  head: `UPDATE history_chunks AS h SET max_step = u.max_step, n = h.n + u.n,
      steps = ${JOINED_STEPS}, vals = h.vals || u.vals, ts = h.ts || u.ts,
      min_ts = LEAST(h.min_ts, u.min_ts), max_ts = GREATEST(h.max_ts, u.max_ts),
      nfin = h.nfin + u.nfin, vmin = LEAST(h.vmin, u.vmin), vmax = GREATEST(h.vmax, u.vmax),
      vlast = COALESCE(u.vlast, h.vlast)
    FROM (`,
  casts: [
    "::bigint",
    "::bigint",
    "::int",
    "::boolean",
    "::float8[]",
    "::float8[]",
    "::float8[]",
    "::float8",
    "::float8",
    "::int",
    "::float8",
    "::float8",
    "::float8",
  ],
  tail: `) AS u(id, max_step, n, cons, steps, vals, ts, min_ts, max_ts, nfin, vmin, vmax, vlast)
    WHERE h.id = u.id`,
} as const;

/** Joins a row onto the run's step chunk: [id, max_step, n, consecutive, steps, runtimes, ts]. */
export const JOIN_STEPS = {
  head: `UPDATE history_steps AS h SET max_step = u.max_step, n = h.n + u.n,
      steps = ${JOINED_STEPS}, runtimes = h.runtimes || u.runtimes, ts = h.ts || u.ts
    FROM (`,
  casts: ["::bigint", "::bigint", "::int", "::boolean", "::float8[]", "::float8[]", "::float8[]"],
  tail: ") AS u(id, max_step, n, cons, steps, runtimes, ts) WHERE h.id = u.id",
} as const;
