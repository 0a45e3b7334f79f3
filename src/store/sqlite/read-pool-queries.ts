/**
 * The reads a {@link SqliteReadPool} thread serves, by `Store` method name, each a plain
 * function of a connection: the same code the main connection runs, so a read gives the same
 * answer on either. Also the few read queries `SqliteStore` had inline (projects, console
 * count, system keys), which both now call.
 */
import { hostname } from "node:os";
import { ownerDead } from "../owner.js";
import type { PointQuery, ProjectInfo, RunQuery, SeriesQuery } from "../types.js";
import { type Db, stmt, withRetry } from "./connection.js";
import { historyKeyRows, readConsoleRows, readHistoryRows, readPointRows } from "./history.js";
import { type LastGridQuery, readLastGridRows } from "./last-grid.js";
import { getRunRow, queryRuns, requireRun } from "./runs.js";
import { readSeriesRows } from "./series.js";

/** Every project with its run counts, latest first. */
export function projectRows(db: Db): ProjectInfo[] {
  return stmt(
    db,
    `SELECT project, COUNT(*) AS runCount,
       SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS runningCount,
       MAX(created_at) AS lastCreatedAt,
       MAX(MAX(created_at), MAX(heartbeat_at), COALESCE(MAX(finished_at), 0)) AS lastActivityAt
     FROM runs GROUP BY project ORDER BY lastCreatedAt DESC`,
  ).all() as ProjectInfo[];
}

/** Number of console lines of a run: seq runs 0..n-1 per run (primary key), one index lookup. */
export function consoleCountRow(db: Db, runId: string): number {
  requireRun(db, runId);
  return (
    stmt(db, "SELECT COALESCE(MAX(seq) + 1, 0) AS n FROM console_lines WHERE run = ?").get(
      runId,
    ) as { n: number }
  ).n;
}

/** The run's system metric keys, sorted. */
export function systemKeyRows(db: Db, runId: string): string[] {
  requireRun(db, runId);
  const rows = stmt(db, "SELECT DISTINCT key FROM system_values WHERE run = ? ORDER BY key").all(
    runId,
  ) as { key: string }[];
  return rows.map((r) => r.key);
}

/**
 * Running runs of this host whose owner process is gone. The main connection's reads mark
 * them crashed before answering; a read-only thread cannot, so it names them instead.
 */
export function deadOwnerIds(db: Db): string[] {
  const rows = stmt(
    db,
    "SELECT id, pid, host, owner_start FROM runs WHERE state = 'running' AND host = ?",
  ).all(hostname()) as {
    id: string;
    pid: number | null;
    host: string;
    owner_start: string | null;
  }[];
  return rows
    .filter((r) => ownerDead({ pid: r.pid, host: r.host, ownerStart: r.owner_start }))
    .map((r) => r.id);
}

/**
 * A read's answer from a thread: its value, or the runs whose owner died, which only the main
 * connection can mark crashed (it then answers the read itself, as it always did).
 */
export type PoolAnswer<T> = { value: T } | { reap: string[] };

/** Runs `read` unless some running run's owner died (see {@link PoolAnswer}). */
function unlessOwnersDied<T>(db: Db, read: () => T): PoolAnswer<T> {
  const reap = withRetry(() => deadOwnerIds(db));
  return reap.length > 0 ? { reap } : { value: withRetry(read) };
}

/** The pool's reads by `Store` method, each retried while the database is busy. */
export const POOL_READS = {
  listRuns: (db: Db, query?: RunQuery) => unlessOwnersDied(db, () => queryRuns(db, query)),
  listProjects: (db: Db) => unlessOwnersDied(db, () => projectRows(db)),
  getRun: (db: Db, id: string): PoolAnswer<ReturnType<typeof getRunRow>> => {
    const run = withRetry(() => getRunRow(db, id));
    return run?.state === "running" && ownerDead(run) ? { reap: [id] } : { value: run };
  },
  readHistory: (
    db: Db,
    runId: string,
    opts?: { minStep?: number; maxStep?: number; limit?: number },
  ) => ({ value: withRetry(() => readHistoryRows(db, runId, opts)) }),
  readPoints: (db: Db, q: PointQuery) => ({ value: withRetry(() => readPointRows(db, q)) }),
  historyKeys: (db: Db, runId: string) => ({ value: withRetry(() => historyKeyRows(db, runId)) }),
  readSeries: (db: Db, q: SeriesQuery) => ({ value: withRetry(() => readSeriesRows(db, q)) }),
  readLastGrid: (db: Db, q: LastGridQuery) => ({ value: withRetry(() => readLastGridRows(db, q)) }),
  readConsole: (db: Db, runId: string, opts?: { offset?: number; limit?: number }) => ({
    value: withRetry(() => readConsoleRows(db, runId, opts)),
  }),
  consoleCount: (db: Db, runId: string) => ({ value: withRetry(() => consoleCountRow(db, runId)) }),
  systemKeys: (db: Db, runId: string) => ({ value: withRetry(() => systemKeyRows(db, runId)) }),
} as const;

/** A read the pool serves. */
export type PoolRead = keyof typeof POOL_READS;

/** The arguments of pool read `M` (after the connection). */
export type PoolArgs<M extends PoolRead> =
  Parameters<(typeof POOL_READS)[M]> extends [Db, ...infer A] ? A : never;

/** What pool read `M` answers with. */
export type PoolValue<M extends PoolRead> = Extract<
  ReturnType<(typeof POOL_READS)[M]>,
  { value: unknown }
>["value"];
