import { decodeJson, encodeJson } from "../../shared/json-numbers.js";
import { duplicateRunError, newRunInsert } from "../run-insert.js";
import { runPatchColumns } from "../run-patch.js";
import {
  checkPaging,
  checkRunFilter,
  checkTagFilter,
  isTagFilter,
  querySearch,
  querySort,
  queryStates,
  type RunField,
  type RunPath,
} from "../run-record.js";
import { runRowRecord, type RunRow as SharedRunRow } from "../run-row.js";
import {
  type RunFilter,
  type RunInit,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  StoreError,
} from "../types.js";
import { type Db, stmt, writeTx } from "./connection.js";
import type { PackColumns } from "./packed-history.js";

/** A run row as SQLite answers it (tags as JSON text). */
type RunRow = SharedRunRow<string>;

/**
 * The run columns (not the packed history, which only history reads decode) and the next
 * step: after the pack's last step, else after the last chunked row.
 */
const SELECT = `SELECT r.id, r.project, r.entity, r.grp, r.job_type, r.name, r.notes, r.tags, r.config,
  r.summary, r.state, r.exit_code, r.created_at, r.heartbeat_at, r.finished_at, r.pid, r.host,
  r.owner_start, COALESCE(r.pack_last_step,
    (SELECT MAX(max_step) FROM history_steps h WHERE h.run = r.id)) + 1 AS next_step FROM runs r`;

/** The column of each top-level field usable in filters and sorts. */
const COLUMNS: Record<RunField, string> = {
  id: "r.id",
  project: "r.project",
  entity: "r.entity",
  group: "r.grp",
  jobType: "r.job_type",
  name: "r.name",
  notes: "r.notes",
  state: "r.state",
  exitCode: "r.exit_code",
  createdAt: "r.created_at",
  heartbeatAt: "r.heartbeat_at",
  finishedAt: "r.finished_at",
  pid: "r.pid",
  host: "r.host",
};

function toRecord(row: RunRow): RunRecord {
  return runRowRecord(row, decodeJson(row.tags));
}

export function getRunRow(db: Db, id: string): RunRecord | undefined {
  const row = stmt(db, `${SELECT} WHERE r.id = ?`).get(id) as RunRow | undefined;
  return row && toRecord(row);
}

export function requireRun(db: Db, id: string): void {
  if (typeof id !== "string" || !stmt(db, "SELECT 1 FROM runs WHERE id = ?").get(id)) {
    throw new StoreError(`unknown run id ${JSON.stringify(id)}`, "not_found");
  }
}

export function insertRun(db: Db, run: RunInit): RunRecord {
  let record: RunRecord | undefined;
  writeTx(db, () => {
    record = insertRunRow(db, run);
  });
  return record!;
}

/**
 * Checks and inserts a new run's row; the caller holds the write transaction (`insertRun`, or
 * a tracker's first write that creates its run, `SqliteStore.writeRunSync`).
 */
export function insertRunRow(db: Db, run: RunInit): RunRecord {
  return runPreparedInsert(db, prepareRunInsert(run));
}

/** A new run's checked, encoded INSERT, made before the write lock is taken. */
export type PreparedRunInsert = ReturnType<typeof prepareRunInsert>;

/** Checks and encodes a new run's row (no database needed). */
export function prepareRunInsert(run: RunInit) {
  return { id: run.id, ...newRunInsert(run, encodeJson, () => "?") };
}

/** Runs a prepared INSERT; the caller holds the write transaction. */
export function runPreparedInsert(db: Db, insert: PreparedRunInsert): RunRecord {
  // An existing id is the conflict the insert itself finds (no SELECT first).
  if (stmt(db, insert.sql).run(...insert.values).changes === 0) throw duplicateRunError(insert.id);
  return insert.record;
}

/** Checks and applies a run patch in its own write transaction (see {@link patchRunRow}). */
export function patchRun(db: Db, id: string, patch: RunPatch): void {
  const update = runUpdate(patch);
  writeTx(db, () => applyRunUpdate(db, id, update));
}

/**
 * Checks and applies a run patch, and the run's new packed history when given (the same row
 * update); the caller holds the write transaction (a nested one would cost a SAVEPOINT and a
 * RELEASE, a visible share of a short run's finish).
 */
export function patchRunRow(db: Db, id: string, patch: RunPatch, packed?: PackColumns): void {
  applyRunUpdate(db, id, prepareRunUpdate(patch, packed));
}

/** A patch's checked, encoded UPDATE columns (with the run's new pack), made before the lock. */
export type PreparedRunUpdate = ReturnType<typeof runUpdate>;

/** Checks and encodes a patch (and a pack) as the columns it sets; no database needed. */
export function prepareRunUpdate(patch: RunPatch, packed?: PackColumns): PreparedRunUpdate {
  const update = runUpdate(patch);
  if (packed) {
    update.sets.push("history_pack = ?", "pack_last_step = ?");
    update.args.push(packed.pack, packed.lastStep);
  }
  return update;
}

/** The columns a patch sets, checked (StoreError "invalid" naming the bad field). */
function runUpdate(patch: RunPatch): { sets: string[]; args: unknown[] } {
  const columns = runPatchColumns(patch, encodeJson);
  return { sets: columns.map(([col]) => `${col} = ?`), args: columns.map(([, v]) => v) };
}

/** Applies checked patch columns (see {@link prepareRunUpdate}); the caller holds the write transaction. */
export function applyRunUpdate(db: Db, id: string, { sets, args }: PreparedRunUpdate): void {
  // No change means no such run (the UPDATE's own lookup answers that: no extra SELECT).
  if (sets.length === 0 || typeof id !== "string") requireRun(db, id);
  else if (
    stmt(db, `UPDATE runs SET ${sets.join(", ")} WHERE id = ?`).run(...args, id).changes === 0
  ) {
    throw new StoreError(`unknown run id ${JSON.stringify(id)}`, "not_found");
  }
}

/** SQL expression for a parsed filter/sort path. */
function pathExpr(path: RunPath): { sql: string; args: unknown[] } {
  if ("field" in path) return { sql: COLUMNS[path.field], args: [] };
  const jsonPath = `$${path.keys.map((p) => `."${p.replace(/"/g, '""')}"`).join("")}`;
  return { sql: `json_extract(r.${path.root}, ?)`, args: [jsonPath] };
}

function sqlArg(v: unknown): unknown {
  // A stored NaN/±Infinity is its tagged JSON text, which json_extract returns as is.
  if (typeof v === "number" && !Number.isFinite(v)) return encodeJson(v);
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}

/** A filter on tags (`isTagFilter`), as the JS matcher reads it. */
function tagFilterSql(f: RunFilter): { sql: string; args: unknown[] } {
  checkTagFilter(f);
  const any = (cond: string) => `EXISTS (SELECT 1 FROM json_each(r.tags) WHERE ${cond})`;
  if (f.op === "in") {
    const vals = f.value as readonly string[];
    if (vals.length === 0) return { sql: "0", args: [] };
    return { sql: any(`value IN (${vals.map(() => "?").join(",")})`), args: [...vals] };
  }
  if (f.op === "contains") return { sql: any("instr(value, ?) > 0"), args: [String(f.value)] };
  const has = f.value === null ? any("1") : any("value = ?");
  const args = f.value === null ? [] : [f.value];
  // `= null`: no tags; `!= null`: some tag.
  const negate = (f.op === "=") === (f.value === null);
  return { sql: negate ? `NOT ${has}` : has, args };
}

function filterSql(f: RunFilter): { sql: string; args: unknown[] } {
  if (isTagFilter(f)) return tagFilterSql(f);
  const e = pathExpr(checkRunFilter(f));
  if (f.op === "in") {
    const vals = f.value as readonly (string | number | boolean)[];
    if (vals.length === 0) return { sql: "0", args: [] };
    return {
      sql: `${e.sql} IN (${vals.map(() => "?").join(",")})`,
      args: [...e.args, ...vals.map(sqlArg)],
    };
  }
  if (f.op === "contains") {
    return { sql: `instr(CAST(${e.sql} AS TEXT), ?) > 0`, args: [...e.args, String(f.value)] };
  }
  if (f.value === null) {
    return { sql: `${e.sql} IS ${f.op === "=" ? "" : "NOT "}NULL`, args: e.args };
  }
  return { sql: `${e.sql} ${f.op} ?`, args: [...e.args, sqlArg(f.value)] };
}

export function queryRuns(db: Db, q: RunQuery = {}): { runs: RunRecord[]; total: number } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.project !== undefined) {
    where.push("r.project = ?");
    args.push(q.project);
  }
  const states = queryStates(q.state);
  if (states !== undefined) {
    where.push(states.length ? `r.state IN (${states.map(() => "?").join(",")})` : "0");
    args.push(...states);
  }
  if (q.group !== undefined) {
    where.push("r.grp = ?");
    args.push(q.group);
  }
  for (const tag of q.tags ?? []) {
    where.push("EXISTS (SELECT 1 FROM json_each(r.tags) WHERE value = ?)");
    args.push(tag);
  }
  const needle = querySearch(q.search);
  if (needle !== undefined) {
    // instr on lower() rather than LIKE, so % and _ in the text match literally.
    where.push(
      `(instr(lower(r.id), ?) > 0 OR instr(lower(r.name), ?) > 0 OR instr(lower(COALESCE(r.notes, '')), ?) > 0
        OR EXISTS (SELECT 1 FROM json_each(r.tags) WHERE instr(lower(value), ?) > 0))`,
    );
    args.push(needle, needle, needle, needle);
  }
  for (const f of q.where ?? []) {
    const s = filterSql(f);
    where.push(s.sql);
    args.push(...s.args);
  }
  const whereSql = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  let order = "r.created_at DESC, r.id";
  const orderArgs: unknown[] = [];
  const sort = querySort(q.sort);
  if (sort) {
    const e = pathExpr(sort.path);
    order = `(${e.sql}) IS NULL, ${e.sql} ${sort.desc ? "DESC" : "ASC"}, r.id`;
    orderArgs.push(...e.args, ...e.args);
  }
  checkPaging(q);
  const total = (
    db.prepare(`SELECT COUNT(*) AS n FROM runs r${whereSql}`).get(...args) as {
      n: number;
    }
  ).n;
  const rows = db
    .prepare(`${SELECT}${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(...args, ...orderArgs, q.limit ?? -1, q.offset ?? 0) as RunRow[];
  return { runs: rows.map(toRecord), total };
}
