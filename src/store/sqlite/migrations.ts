/**
 * The store's schema as ordered migrations, and the data moves SQL alone cannot do. Kept apart
 * from opening a connection (`db.ts`) because a data move writes history chunks (`chunks.ts`),
 * which themselves need the connection helpers (`connection.ts`): one direction, no cycle.
 */
import { rowsToBatch } from "../history-batch.js";
import type { HistoryRow } from "../types.js";
import { writeBatch } from "./chunks.js";
import { type Db, pathOf, withRetry } from "./connection.js";
import { storeWriteError } from "./faults.js";
import { decodeValue } from "./stored-values.js";

/** Ordered migrations; `user_version` records how many have been applied. Never edit one that shipped. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     project TEXT NOT NULL,
     entity TEXT,
     grp TEXT,
     job_type TEXT,
     name TEXT NOT NULL,
     notes TEXT,
     tags TEXT NOT NULL DEFAULT '[]',
     config TEXT NOT NULL DEFAULT '{}',
     summary TEXT NOT NULL DEFAULT '{}',
     state TEXT NOT NULL,
     exit_code INTEGER,
     created_at REAL NOT NULL,
     heartbeat_at REAL NOT NULL,
     finished_at REAL,
     pid INTEGER,
     host TEXT
   );
   CREATE INDEX runs_project ON runs(project, created_at);
   CREATE INDEX runs_state ON runs(state);
   CREATE TABLE history_rows (
     run TEXT NOT NULL,
     step INTEGER NOT NULL,
     runtime REAL NOT NULL,
     ts REAL NOT NULL,
     PRIMARY KEY (run, step)
   ) WITHOUT ROWID;
   -- kind: 0 finite number (num), 1 NaN, 2 +Infinity, 3 -Infinity, 4 JSON (json)
   CREATE TABLE history_values (
     run TEXT NOT NULL,
     key TEXT NOT NULL,
     step INTEGER NOT NULL,
     kind INTEGER NOT NULL,
     num REAL,
     json TEXT,
     PRIMARY KEY (run, key, step)
   ) WITHOUT ROWID;
   CREATE TABLE system_values (
     run TEXT NOT NULL,
     key TEXT NOT NULL,
     ts REAL NOT NULL,
     num REAL,
     PRIMARY KEY (run, key, ts)
   ) WITHOUT ROWID;
   CREATE TABLE console_lines (
     run TEXT NOT NULL,
     seq INTEGER NOT NULL,
     stream TEXT NOT NULL,
     ts REAL NOT NULL,
     text TEXT NOT NULL,
     PRIMARY KEY (run, seq)
   ) WITHOUT ROWID;`,
  // 2: whole-row reads (readHistory with a step range / limit) without scanning every key.
  `CREATE INDEX history_values_step ON history_values(run, step);`,
  // 3: history as chunks of packed Float64 points (see chunks.ts); JSON values keep their rows
  // and gain a timestamp. The numeric rows move over in JS_STEPS[2], then migration 4 drops them.
  `CREATE TABLE history_steps (
     id INTEGER PRIMARY KEY,
     run TEXT NOT NULL,
     min_step INTEGER NOT NULL,
     max_step INTEGER NOT NULL,
     n INTEGER NOT NULL,
     steps BLOB,
     runtimes BLOB NOT NULL,
     ts BLOB NOT NULL
   );
   CREATE INDEX history_steps_run ON history_steps(run, max_step);
   CREATE TABLE history_chunks (
     id INTEGER PRIMARY KEY,
     run TEXT NOT NULL,
     key TEXT NOT NULL,
     min_step INTEGER NOT NULL,
     max_step INTEGER NOT NULL,
     n INTEGER NOT NULL,
     steps BLOB,
     vals BLOB NOT NULL,
     ts BLOB NOT NULL,
     min_ts REAL NOT NULL,
     max_ts REAL NOT NULL,
     nfin INTEGER NOT NULL,
     vmin REAL,
     vmax REAL,
     vlast REAL
   );
   CREATE INDEX history_chunks_key ON history_chunks(run, key, max_step);
   CREATE INDEX history_chunks_run ON history_chunks(run, max_step);
   ALTER TABLE history_values ADD COLUMN ts REAL;
   UPDATE history_values SET ts = (SELECT r.ts FROM history_rows r
     WHERE r.run = history_values.run AND r.step = history_values.step);`,
  // 4: the per-point tables are gone; history_rows stays as a view (run, step) for readers
  // that only need the highest step.
  `DROP TABLE history_rows;
   DELETE FROM history_values WHERE kind <> 4;
   CREATE VIEW history_rows AS SELECT run, max_step AS step FROM history_steps;`,
  // 5: a covering index for the chunk summaries. They sit after the data BLOBs in the row, so
  // reading them from the table pages through ~64 KB per chunk; from the index it does not
  // (a 100-run chart's chunk scan: ~66 ms cold / 7-9 ms warm -> ~1 ms). It starts with the
  // old (run, key, max_step) index's columns, so it replaces that one.
  `CREATE INDEX history_chunks_meta ON history_chunks(run, key, max_step, min_step, n, min_ts,
     max_ts, nfin, vmin, vmax, vlast);
   DROP INDEX history_chunks_key;`,
  // 6: the owner's process start token (owner.ts), so a run whose PID was reused by another
  // process is seen as crashed. Older rows have none and fall back to the PID and heartbeat.
  `ALTER TABLE runs ADD COLUMN owner_start TEXT;`,
  // 7: a short run's whole history packed into its own row (history-pack.ts), written with the
  // run's closing patch: one row update instead of a steps row and a chunk row per key, each
  // with its index entries. pack_last_step keeps the next step a plain column read, and
  // history_rows includes packed runs.
  `ALTER TABLE runs ADD COLUMN history_pack BLOB;
   ALTER TABLE runs ADD COLUMN pack_last_step INTEGER;
   DROP VIEW history_rows;
   CREATE VIEW history_rows AS SELECT run, max_step AS step FROM history_steps
     UNION ALL SELECT id AS run, pack_last_step AS step FROM runs WHERE pack_last_step IS NOT NULL;`,
  // 8: the state index holds running runs only, the ones the dead-writer scans look up
  // (`WHERE state = 'running'`). A short trial's run is inserted closed, so its commit no longer
  // dirties a page of this index: one WAL frame fewer of four, ~20 us of each tracked trial's
  // commit under the write lock that a pool's workers share (bench/seed.ts). Filters on other
  // states go through runs_project, as the runs page reads them by project anyway.
  `DROP INDEX runs_state;
   CREATE INDEX runs_running ON runs(state) WHERE state = 'running';`,
];

/** Data moves that SQL alone cannot do, run right after the migration at the same index. */
const JS_STEPS: Record<number, (db: Db) => void> = {
  2: (db) => {
    const runs = db
      .prepare("SELECT DISTINCT run FROM history_rows WHERE run IN (SELECT id FROM runs)")
      .pluck()
      .all() as string[];
    for (const run of runs) {
      const rows = db
        .prepare("SELECT step, runtime, ts FROM history_rows WHERE run = ? ORDER BY step")
        .all(run) as { step: number; runtime: number; ts: number }[];
      const index = new Map(rows.map((r, i) => [r.step, i]));
      const history: HistoryRow[] = rows.map((r) => ({
        step: r.step,
        runtime: r.runtime,
        timestamp: r.ts,
        values: {},
      }));
      const vals = db
        .prepare(
          "SELECT key, step, kind, num, json FROM history_values WHERE run = ? AND kind <> 4",
        )
        .all(run) as { key: string; step: number; kind: number; num: number | null; json: null }[];
      for (const v of vals) {
        const i = index.get(v.step);
        if (i !== undefined) history[i].values[v.key] = decodeValue(v.kind, v.num, v.json);
      }
      writeBatch(db, run, rowsToBatch(history));
    }
  },
};

/** Applies pending migrations in one immediate transaction (safe when processes race). */
export function migrate(db: Db): void {
  // The common case (already current) needs no write lock: a plain read answers it.
  const current = withRetry(() => db.pragma("user_version", { simple: true }) as number);
  if (current === MIGRATIONS.length) return;
  try {
    withRetry(() =>
      db
        .transaction(() => {
          const version = db.pragma("user_version", { simple: true }) as number;
          for (let i = version; i < MIGRATIONS.length; i++) {
            db.exec(MIGRATIONS[i]);
            JS_STEPS[i]?.(db);
          }
          if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
        })
        .immediate(),
    );
  } catch (err) {
    throw storeWriteError(pathOf(db), err);
  }
}
