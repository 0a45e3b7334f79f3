/** Opening the database for `SqliteStore`: WAL, busy timeout, migrations, read-only fallback. */
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { StoreError } from "../types.js";
import { walAutocheckpointOf } from "./checkpointer.js";
import { BUSY_TIMEOUT_MS, type Db, rememberPath, withRetry } from "./connection.js";
import { canFallBackToReading, openForReading, storeWriteError } from "./faults.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { keepReserve } from "./reserve.js";

// The connection helpers stay importable from here for the modules written against db.ts.
export { type Db, pathOf, stmt, withRetry, writeTx } from "./connection.js";

// Loaded through `require`: importing a CommonJS package from ESM runs Node's export lexer
// over it first, a cost every tracked script's cold start would pay.
const require = createRequire(import.meta.url);
const Database = require("better-sqlite3") as typeof BetterSqlite3;

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
      db = openForReading(Database, file, {
        timeout: BUSY_TIMEOUT_MS,
        nativeBinding: nativeBinding(),
      });
    } catch (readErr) {
      throw new StoreError(
        `store ${file} can be opened neither for writing (${(err as Error).message}) nor for ` +
          `reading (${(readErr as Error).message}); copy its folder somewhere writable to read it`,
        "readonly",
      );
    }
    rememberPath(db, file);
    // A store a newer amltk wrote is still read; an older one needs its migrations written.
    if ((db.pragma("user_version", { simple: true }) as number) < MIGRATIONS.length) migrate(db);
    return db;
  }
  rememberPath(db, file);
  keepReserve(dir);
  return db;
}

function openForWriting(dir: string, file: string): Db {
  mkdirSync(dir, { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS, nativeBinding: nativeBinding() });
  try {
    configure(db, file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function configure(db: Db, file: string): void {
  withRetry(() => db.pragma("journal_mode = WAL"));
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Durability: WAL + NORMAL syncs at checkpoints, not at every commit. A commit survives the
  // death of the process that made it (kill -9, OOM, crash): it is in the WAL file, in the OS's
  // page cache. Only a power loss or OS crash may lose the last commits (never corrupting the
  // database). That is the promise, and it spares every flush and finish an fsync.
  db.pragma("synchronous = NORMAL");
  // better-sqlite3 defaults to a 16 MB page cache per connection; a tracked process mostly
  // appends, so 4 MB keeps its peak RSS low without slowing reads of recent chunks.
  db.pragma("cache_size = -4000");
  db.pragma("foreign_keys = OFF");
  // A host checkpoints this file off the commit path (checkpointer.ts): wait longer before
  // checkpointing here, so a worker's commit rarely carries a checkpoint.
  const walPages = walAutocheckpointOf(file);
  if (walPages !== undefined) db.pragma(`wal_autocheckpoint = ${walPages}`);
  migrate(db);
}
