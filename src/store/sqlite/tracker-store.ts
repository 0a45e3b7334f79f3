/**
 * The tracker's default store: a `SqliteStore` whose connection only the tracker writes
 * through, so it can leave SQLite's busy handler off (see `keepBusyHandlerOff`).
 */
import { keepBusyHandlerOff } from "./connection.js";
import { SqliteStore } from "./sqlite-store.js";

/**
 * Opens `<dir>/amltk.db` for `init`'s default store. Every write of a tracked run goes through
 * `writeTx`, which waits for the write lock by itself, so the busy handler stays off and a
 * run's commit needs no statements to turn it off and on.
 *
 * @example
 * ```ts
 * const store = await openTrackerStore("./amltk-runs"); // what `init` opens once per folder
 * ```
 */
export async function openTrackerStore(dir: string): Promise<SqliteStore> {
  const store = SqliteStore.openSync(dir);
  keepBusyHandlerOff(store.db);
  return store;
}
