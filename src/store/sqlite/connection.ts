/**
 * What every SQLite module needs from an open connection: busy retry, the file it came from,
 * cached prepared statements and the write transaction. Imports nothing of the store's own
 * modules, so chunks, runs and migrations can all use it without an import cycle.
 */
import type BetterSqlite3 from "better-sqlite3";
import { StoreError } from "../types.js";
import { storeWriteError } from "./faults.js";

export type Db = BetterSqlite3.Database;

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

/** The file each open connection was opened from (a read-only snapshot's `db.name` is not). */
const paths = new WeakMap<Db, string>();

/** The store file `db` was opened from, for error messages. */
export function pathOf(db: Db): string {
  return paths.get(db) ?? db.name;
}

/** Records the file `db` was opened from (see {@link pathOf}). */
export function rememberPath(db: Db, file: string): void {
  paths.set(db, file);
}

/** How long SQLite itself waits for a lock another connection holds (`busy_timeout`). */
export const BUSY_TIMEOUT_MS = 10_000;

/** Per-connection caches: prepared statements by SQL text, and one reusable transaction. */
interface DbCache {
  stmts: Map<string, BetterSqlite3.Statement<unknown[]>>;
  tx: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;
  /** SQLite's busy handler stays off on this connection (see {@link keepBusyHandlerOff}). */
  busyHandlerOff: boolean;
}
const caches = new WeakMap<Db, DbCache>();

/** Past this many distinct SQL texts the cache starts over (dynamic SQL must not grow it forever). */
const MAX_CACHED = 256;

function cacheOf(db: Db): DbCache {
  let c = caches.get(db);
  if (!c) {
    c = {
      stmts: new Map(),
      tx: db.transaction((fn: () => unknown) => fn()),
      busyHandlerOff: false,
    };
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

/** The first and the longest wait between two tries for the write lock, in ms. */
const SPIN_FIRST_MS = 0.02;
const SPIN_MAX_MS = 1;

/**
 * Tries `attempt` (a BEGIN IMMEDIATE transaction) with SQLite's busy handler off, waiting
 * 20 µs, then twice as long each time up to 1 ms, between tries, for at most the usual
 * {@link BUSY_TIMEOUT_MS}. SQLite's own handler sleeps at least 1 ms at the first collision,
 * ten times a tracked trial's whole commit (~50-100 µs); two workers of a pool collide often.
 * The handler is turned off for the attempt and back on after it, unless the connection keeps
 * it off ({@link keepBusyHandlerOff}).
 */
function spinForWriteLock<T>(db: Db, cache: DbCache, attempt: () => T): T {
  if (cache.busyHandlerOff) return spin(attempt);
  stmt(db, "PRAGMA busy_timeout = 0").get();
  try {
    return spin(attempt);
  } finally {
    stmt(db, `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).get();
  }
}

/**
 * Tries `attempt` until it is not refused busy, backing off as {@link spinForWriteLock} says.
 * Each try runs with stack traces off (see {@link attemptWithoutStack}); a failure other than
 * busy is thrown with a stack taken here (the attempt is not run again: its transaction was
 * rolled back, but what its callback did in memory before failing was not).
 */
function spin<T>(attempt: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  let wait = SPIN_FIRST_MS;
  for (;;) {
    const err = attemptWithoutStack(attempt);
    if (err === NONE) return takeResult() as T;
    if (!isBusy(err)) throw withStack(err);
    if (Date.now() > deadline) throw err;
    Atomics.wait(sleepCell, 0, 0, wait);
    wait = Math.min(wait * 2, SPIN_MAX_MS);
  }
}

/** `err` with a stack trace of the current call chain when it was made without one. */
function withStack(err: unknown): unknown {
  if (err instanceof Error && !/\n\s+at /.test(err.stack ?? "")) Error.captureStackTrace(err, spin);
  return err;
}

const NONE = Symbol("none");
let lastResult: unknown;

/** The result {@link attemptWithoutStack} kept, no longer held here. */
function takeResult(): unknown {
  const result = lastResult;
  lastResult = undefined;
  return result;
}

/**
 * One try of `attempt` with stack traces off: the refusal of a busy write lock is an error
 * object (better-sqlite3's SqliteError), and capturing its stack costs ~15 µs of the ~19 µs
 * each refusal takes; two workers sharing a store collide often, and retry a few times while
 * the other commits. Returns the error, or {@link NONE} with the result kept in `lastResult`.
 */
function attemptWithoutStack(attempt: () => unknown): unknown {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    lastResult = attempt();
    return NONE;
  } catch (err) {
    return err;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Turns SQLite's busy handler off for good on a connection whose every write goes through
 * {@link writeTx} (which waits for the write lock itself) and whose every read through
 * {@link withRetry}: the tracker's default store. Each write then runs without the two PRAGMA
 * statements that turn the handler off and on around it (~5-10 µs of a trial's commit). Not
 * for a connection that anything else writes through (the server's keys and views, its
 * ingest transactions): those wait for the lock with the handler.
 *
 * @example
 * ```ts
 * const store = SqliteStore.openSync(dir);
 * keepBusyHandlerOff(store.db); // only writeTx writes here from now on
 * ```
 */
export function keepBusyHandlerOff(db: Db): void {
  const cache = cacheOf(db);
  if (cache.busyHandlerOff) return;
  stmt(db, "PRAGMA busy_timeout = 0").get();
  cache.busyHandlerOff = true;
}

/** Runs `fn` in a write (BEGIN IMMEDIATE) transaction with busy retry. */
export function writeTx<T>(db: Db, fn: () => T): T {
  const cache = cacheOf(db);
  const tx = cache.tx;
  try {
    return withRetry(() => spinForWriteLock(db, cache, () => tx.immediate(fn) as T));
  } catch (err) {
    // A full disk or read-only file: a typed error naming the file (faults.ts).
    throw storeWriteError(pathOf(db), err);
  }
}
