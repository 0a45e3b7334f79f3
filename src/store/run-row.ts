/**
 * A `runs` table row as both SQL backends read it (the same column names in SQLite and
 * PostgreSQL) and the record it stands for. Only the tags column is encoded differently (JSON text
 * in SQLite, `text[]` in PostgreSQL), so each backend decodes its own tags.
 */
import { decodeJson } from "../shared/json-numbers.js";
import type { RunRecord, RunState } from "./types.js";

/** A `runs` row; `Tags` is the backend's tags column type. */
export interface RunRow<Tags> {
  id: string;
  project: string;
  entity: string | null;
  grp: string | null;
  job_type: string | null;
  name: string;
  notes: string | null;
  tags: Tags;
  config: string;
  summary: string;
  state: RunState;
  exit_code: number | null;
  created_at: number;
  heartbeat_at: number;
  finished_at: number | null;
  pid: number | null;
  host: string | null;
  owner_start: string | null;
  next_step: number | null;
}

/** The record of a row whose tags the backend has decoded. */
export function runRowRecord(row: RunRow<unknown>, tags: string[]): RunRecord {
  return {
    id: row.id,
    project: row.project,
    entity: row.entity,
    group: row.grp,
    jobType: row.job_type,
    name: row.name,
    notes: row.notes,
    tags,
    config: decodeJson(row.config),
    summary: decodeJson(row.summary),
    state: row.state,
    exitCode: row.exit_code,
    createdAt: row.created_at,
    heartbeatAt: row.heartbeat_at,
    finishedAt: row.finished_at,
    pid: row.pid,
    host: row.host,
    ownerStart: row.owner_start,
    nextStep: row.next_step ?? 0,
  };
}
