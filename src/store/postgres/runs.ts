import type pg from "pg";
import { duplicateRunError, newRunInsert } from "../run-insert.js";
import { runPatchColumns } from "../run-patch.js";
import { runRowRecord, type RunRow as SharedRunRow } from "../run-row.js";
import { type RunInit, type RunPatch, type RunRecord, StoreError } from "../types.js";

/** Anything that runs a query: the pool, or one client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** A run row as PostgreSQL answers it (tags as `text[]`). */
export type RunRow = SharedRunRow<string[]>;

/** The columns of a run record (bigint cast so the driver hands back a number, not a string). */
export const RUN_COLUMNS = `r.id, r.project, r.entity, r.grp, r.job_type, r.name, r.notes, r.tags,
  r.config, r.summary, r.state, r.exit_code::float8 AS exit_code, r.created_at, r.heartbeat_at,
  r.finished_at, r.pid::float8 AS pid,
  r.host, r.owner_start, r.next_step::float8 AS next_step`;

export function toRecord(row: RunRow): RunRecord {
  return runRowRecord(row, row.tags);
}

/** A record of a row that is kept (a cache): its tags copied, so no caller can edit the row. */
export function recordOfKept(row: RunRow): RunRecord {
  return runRowRecord(row, [...row.tags]);
}

/**
 * The run, or undefined. `lock`: inside a transaction, hold the run's row lock until it ends,
 * so writers of one run (two server processes, two requests) take turns.
 */
export async function getRunRow(
  db: Queryable,
  id: string,
  lock = false,
): Promise<RunRecord | undefined> {
  const row = await getRawRunRow(db, id, lock);
  return row && toRecord(row);
}

/**
 * Throws StoreError("not_found") unless the run exists. `lock` (writers, in a transaction):
 * hold its row lock until the transaction ends; readers never wait on a writer.
 */
export async function requireRun(db: Queryable, id: string, lock = false): Promise<void> {
  const r =
    typeof id === "string"
      ? await db.query(`SELECT 1 FROM runs WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id])
      : { rowCount: 0 };
  if (!r.rowCount) throw new StoreError(`unknown run id ${JSON.stringify(id)}`, "not_found");
}

export async function insertRun(db: Queryable, run: RunInit): Promise<RunRecord> {
  const insert = newRunInsert(
    run,
    (tags) => tags,
    (i) => `$${i}`,
  );
  const r = await db.query(insert.sql, insert.values);
  if (r.rowCount === 0) throw duplicateRunError(run.id);
  return insert.record;
}

/** The SET list and arguments of a patch, checked; `args` continue after `$1` (the run id). */
function patchSets(patch: RunPatch): { sets: string[]; args: unknown[] } {
  const columns = runPatchColumns(patch, (tags) => [...tags]);
  return {
    sets: columns.map(([col], i) => `${col} = $${i + 2}`),
    args: columns.map(([, v]) => v),
  };
}

/**
 * Applies the patch; answers the run's row as the update left it (`RETURNING`: the transaction
 * keeps it, so the ingest's next look at the run costs no round trip), or undefined when the
 * patch set nothing.
 */
export async function patchRun(
  db: Queryable,
  id: string,
  patch: RunPatch,
): Promise<RunRow | undefined> {
  const { sets, args } = patchSets(patch ?? {});
  if (sets.length === 0 || typeof id !== "string") {
    await requireRun(db, id, true);
    return undefined;
  }
  const r = await db.query<RunRow>(
    `UPDATE runs r SET ${sets.join(", ")} WHERE r.id = $1 RETURNING ${RUN_COLUMNS}`,
    [id, ...args],
  );
  if (r.rowCount === 0) throw new StoreError(`unknown run id ${JSON.stringify(id)}`, "not_found");
  return r.rows[0];
}

/** The run's row, or undefined; `getRunRow` without making the record. */
export async function getRawRunRow(
  db: Queryable,
  id: string,
  lock = false,
): Promise<RunRow | undefined> {
  if (typeof id !== "string") return undefined;
  const r = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = $1${lock ? " FOR UPDATE" : ""}`,
    [id],
  );
  return r.rows[0];
}

const RUN_TABLES = [
  "history_steps",
  "history_chunks",
  "history_values",
  "system_values",
  "console_lines",
  "server_ingest",
];

export async function deleteRunRows(db: Queryable, id: string): Promise<void> {
  await requireRun(db, id, true);
  for (const t of RUN_TABLES) await db.query(`DELETE FROM ${t} WHERE run = $1`, [id]);
  await db.query("DELETE FROM runs WHERE id = $1", [id]);
}

/** Marks the runs crashed if still running; returns those changed. */
export async function markCrashed(db: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const r = await db.query<{ id: string }>(
    `UPDATE runs SET state = 'crashed', finished_at = COALESCE(finished_at, $2)
     WHERE id = ANY($1) AND state = 'running' RETURNING id`,
    [ids, Date.now()],
  );
  return r.rows.map((x) => x.id);
}
