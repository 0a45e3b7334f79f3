/** Opening the database, migrations and SQLITE_BUSY retry for `SqliteStore`. */
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { rowsToBatch } from "../history-batch.js";
import { type HistoryRow, StoreError } from "../types.js";
import { writeBatch } from "./chunks.js";
import { canFallBackToReading, openForReading, storeWriteError } from "./faults.js";
import { keepReserve } from "./reserve.js";
import { decodeValue } from "./values.js";

export type Db = BetterSqlite3.Database;

// Loaded through `require`: importing a CommonJS package from ESM runs Node's export lexer
// over it first, a cost every tracked script's cold start would pay.
const require = createRequire(import.meta.url);
const Database = require("better-sqlite3") as typeof BetterSqlite3;

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

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code === "SQLITE_LOCKED");
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn`, retrying on SQLITE_BUSY (on top of `busy_timeout`) with a short synchronous backoff,
 * so "database is locked" never reaches the caller. Gives up after `maxMs` with StoreError "busy".
 */
export function withRetry<T>(fn: () => T, maxMs = 60_000): T {
  const start = Date.now();
  let delay = 5;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err)) throw err;
      if (Date.now() - start > maxMs) {
        throw new StoreError(`database stayed busy for over ${maxMs} ms`, "busy");
      }
      Atomics.wait(sleepCell, 0, 0, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 200);
    }
  }
}

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

let addonPath: string | null | undefined;

/**
 * The compiled addon's path, handed to better-sqlite3 so it skips the `bindings` package's
 * search of a dozen candidate paths (a visible share of a tracked script's cold start).
 */
function nativeBinding(): string | undefined {
  if (addonPath === undefined) {
    try {
      const p = require.resolve("better-sqlite3/build/Release/better_sqlite3.node");
      addonPath = existsSync(p) ? p : null;
    } catch {
      addonPath = null;
    }
  }
  return addonPath ?? undefined;
}

/** The file each open connection was opened from (a read-only snapshot's `db.name` is not). */
const paths = new WeakMap<Db, string>();

/** The store file `db` was opened from, for error messages. */
export function pathOf(db: Db): string {
  return paths.get(db) ?? db.name;
}

/**
 * Opens (creating) `<dir>/amltk.db` in WAL mode with a busy timeout and runs migrations. A
 * store that exists but cannot be opened for writing (a read-only file, folder or disk, or a
 * full one) is opened for reading: reads work and writes fail with a typed StoreError.
 */
export function openDb(dir: string): Db {
  const file = join(dir, "amltk.db");
  let db: Db;
  try {
    db = openForWriting(dir, file);
  } catch (err) {
    if (!canFallBackToReading(err) || !existsSync(file)) throw storeWriteError(file, err);
    try {
      db = openForReading(Database, file, { timeout: 10_000, nativeBinding: nativeBinding() });
    } catch (readErr) {
      throw new StoreError(
        `store ${file} can be opened neither for writing (${(err as Error).message}) nor for ` +
          `reading (${(readErr as Error).message}); copy its folder somewhere writable to read it`,
        "readonly",
      );
    }
    paths.set(db, file);
    // A store a newer amltk wrote is still read; an older one needs its migrations written.
    if ((db.pragma("user_version", { simple: true }) as number) < MIGRATIONS.length) migrate(db);
    return db;
  }
  paths.set(db, file);
  keepReserve(dir);
  return db;
}

function openForWriting(dir: string, file: string): Db {
  mkdirSync(dir, { recursive: true });
  const db = new Database(file, { timeout: 10_000, nativeBinding: nativeBinding() });
  try {
    configure(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function configure(db: Db): void {
  withRetry(() => db.pragma("journal_mode = WAL"));
  db.pragma("busy_timeout = 10000");
  // Durability: WAL + NORMAL syncs at checkpoints, not at every commit. A commit survives the
  // death of the process that made it (kill -9, OOM, crash): it is in the WAL file, in the OS's
  // page cache. Only a power loss or OS crash may lose the last commits (never corrupting the
  // database). That is the promise, and it spares every flush and finish an fsync.
  db.pragma("synchronous = NORMAL");
  // better-sqlite3 defaults to a 16 MB page cache per connection; a tracked process mostly
  // appends, so 4 MB keeps its peak RSS low without slowing reads of recent chunks.
  db.pragma("cache_size = -4000");
  db.pragma("foreign_keys = OFF");
  migrate(db);
}

/** Per-connection caches: prepared statements by SQL text, and one reusable transaction. */
interface DbCache {
  stmts: Map<string, BetterSqlite3.Statement<unknown[]>>;
  tx: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;
}
const caches = new WeakMap<Db, DbCache>();

/** Past this many distinct SQL texts the cache starts over (dynamic SQL must not grow it forever). */
const MAX_CACHED = 256;

function cacheOf(db: Db): DbCache {
  let c = caches.get(db);
  if (!c) {
    c = { stmts: new Map(), tx: db.transaction((fn: () => unknown) => fn()) };
    caches.set(db, c);
  }
  return c;
}

/**
 * `db.prepare(sql)`, cached per connection: compiling a statement costs more than running a
 * small one, and a tracked trial runs the same few statements every time. Only for statements
 * used as returned (no `.pluck()`/`.raw()`/`.expand()`, which would change the shared object).
 */
export function stmt(db: Db, sql: string): BetterSqlite3.Statement<unknown[]> {
  const { stmts } = cacheOf(db);
  let s = stmts.get(sql);
  if (s === undefined) {
    if (stmts.size >= MAX_CACHED) stmts.clear();
    s = db.prepare(sql);
    stmts.set(sql, s);
  }
  return s;
}

/** Runs `fn` in a write (BEGIN IMMEDIATE) transaction with busy retry. */
export function writeTx<T>(db: Db, fn: () => T): T {
  const { tx } = cacheOf(db);
  try {
    return withRetry(() => tx.immediate(fn) as T);
  } catch (err) {
    // A full disk or read-only file: a typed error naming the file (faults.ts).
    throw storeWriteError(pathOf(db), err);
  }
}
