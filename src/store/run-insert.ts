/**
 * A new run's INSERT for both SQL backends: the checks, the columns and values, and the record
 * it writes (returned without reading the row back: a new run has no summary or history). Each
 * backend only numbers its parameters and encodes the tags (JSON text in SQLite, `text[]` in
 * PostgreSQL).
 */
import { hostname } from "node:os";
import { decodeJson, encodeJson } from "../shared/json-numbers.js";
import { checkRunInit } from "./run-checks.js";
import { newRunRecord } from "./run-record.js";
import { type RunInit, type RunRecord, StoreError } from "./types.js";

/**
 * The columns {@link newRunValues} gives values for, in its order; the INSERT below adds the
 * summary, state, exit code and finish time of a new run as constants.
 */
export const NEW_RUN_VALUE_COLUMNS = [
  "id",
  "project",
  "entity",
  "grp",
  "job_type",
  "name",
  "notes",
  "tags",
  "config",
  "created_at",
  "heartbeat_at",
  "pid",
  "host",
  "owner_start",
] as const;

/**
 * Runs already checked as {@link newRunValues} checks them, with their config's stored text:
 * the tracker checks a run whose row waits for its first write at `init` (so bad options fail
 * there) and hands the same object to the store at `finish`, which then neither checks it nor
 * encodes its config a second time. Keyed by the object: the tracker keeps that row unchanged
 * (a later config change comes as the closing patch's config).
 */
const checkedRuns = new WeakMap<RunInit, string>();

/**
 * Records that `run` passed {@link checkRunInit} and that its config is stored as `configText`
 * (`encodeJson(run.config)`); the caller must not change the object afterwards.
 *
 * @example
 * ```ts
 * checkRunInit(row);
 * rememberCheckedRun(row, encodeJson(row.config ?? {}));
 * ```
 */
export function rememberCheckedRun(run: RunInit, configText: string): void {
  checkedRuns.set(run, configText);
}

/**
 * A new run's checked values, one per {@link NEW_RUN_VALUE_COLUMNS} column, with the stored
 * tags, config text and host they came from (for the record; a caller that needs no record,
 * the SQLite store's new closed run, stops here).
 */
export function newRunValues(
  run: RunInit,
  encodeTags: (tags: readonly string[]) => unknown,
): { values: unknown[]; tags: string[]; config: string; host: string | null } {
  let config = checkedRuns.get(run);
  if (config === undefined) {
    checkRunInit(run);
    config = encodeJson(run.config ?? {});
  }
  const tags = [...(run.tags ?? [])];
  const host = run.host ?? (run.pid !== undefined ? hostname() : null);
  const values = [
    run.id,
    run.project,
    run.entity ?? null,
    run.group ?? null,
    run.jobType ?? null,
    run.name,
    run.notes ?? null,
    encodeTags(tags),
    config,
    run.createdAt,
    run.createdAt,
    run.pid ?? null,
    host,
    run.ownerStart ?? null,
  ];
  return { values, tags, config, host };
}

/** The checked INSERT of `run` (an existing id inserts nothing), its values and its record. */
export function newRunInsert(
  run: RunInit,
  encodeTags: (tags: readonly string[]) => unknown,
  param: (index: number) => string,
): { sql: string; values: unknown[]; record: RunRecord } {
  const { values, tags, config, host } = newRunValues(run, encodeTags);
  const p = Array.from({ length: 14 }, (_, i) => param(i + 1));
  const sql = `INSERT INTO runs (id, project, entity, grp, job_type, name, notes, tags, config,
       summary, state, exit_code, created_at, heartbeat_at, finished_at, pid, host, owner_start)
     VALUES (${p.slice(0, 9).join(", ")}, '{}', 'running', NULL, ${p[9]}, ${p[10]}, NULL,
       ${p.slice(11).join(", ")})
     ON CONFLICT (id) DO NOTHING`;
  return { sql, values, record: newRunRecord(run, { tags, config: decodeJson(config), host }) };
}

/** The refusal of a run id that is already stored (the INSERT changed no row). */
export function duplicateRunError(id: string): StoreError {
  return new StoreError(`run id ${JSON.stringify(id)} already exists`, "duplicate");
}
