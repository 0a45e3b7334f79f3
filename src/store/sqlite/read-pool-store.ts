/**
 * A `SqliteStore` whose reads go to a {@link SqliteReadPool} and whose writes stay on the
 * store's own connection: what `createServer` serves, so its routes, live watcher and ingest
 * keep using one `Store` while the event loop is spared the reads' work.
 */
import { join } from "node:path";
import type { Store, StoreTransaction } from "../types.js";
import { type LastGrid, type LastGridQuery, readLastGridRows } from "./last-grid.js";
import { ReadThreadGoneError, SqliteReadPool } from "./read-pool.js";
import type { PoolArgs, PoolRead, PoolValue } from "./read-pool-queries.js";
import type { SqliteStore } from "./sqlite-store.js";

/**
 * The store `base` with its reads served by `threads` worker threads, or undefined when it
 * cannot have them: `threads` is 0, or the store was opened read-only or into memory (a pool
 * thread needs the file and its WAL index).
 *
 * @example
 * ```ts
 * const store = await SqliteStore.open("./amltk-runs");
 * const pooled = withReadPool(store, 2) ?? store;
 * await pooled.listRuns({ project: "demo" }); // answered by a thread once one is ready
 * ```
 */
export function withReadPool(base: SqliteStore, threads: number): PooledSqliteStore | undefined {
  const db = base.db;
  if (threads < 1 || db.readonly || db.memory) return undefined;
  return new PooledSqliteStore(base, new SqliteReadPool(join(base.dir, "amltk.db"), threads));
}

/**
 * See the module comment. Reads the pool cannot take yet (no thread ready), and reads that
 * find a running run whose owner died (only the writing connection marks it crashed), are
 * answered by `base` itself, so every answer is the one `base` would give.
 *
 * @example
 * ```ts
 * const pooled = new PooledSqliteStore(store, new SqliteReadPool(join(store.dir, "amltk.db"), 2));
 * await pooled.pool.start();
 * await pooled.getRun("r1"); // read in a thread
 * await pooled.closeReads(); // the pool only; `store` stays open
 * ```
 */
export class PooledSqliteStore implements Store {
  readonly kind: string;

  constructor(
    readonly base: SqliteStore,
    readonly pool: SqliteReadPool,
  ) {
    this.kind = base.kind;
  }

  // ---- reads: the pool ----
  listRuns = this.#reader("listRuns");
  listProjects = this.#reader("listProjects");
  getRun = this.#reader("getRun");
  readHistory = this.#reader("readHistory");
  readPoints = this.#reader("readPoints");
  historyKeys = this.#reader("historyKeys");
  readSeries = this.#reader("readSeries");
  readConsole = this.#reader("readConsole");
  consoleCount = this.#reader("consoleCount");
  systemKeys = this.#reader("systemKeys");

  /** A grouped chart's grid of last values (`last-grid.ts`; not a `Store` method). */
  async readLastGrid(q: LastGridQuery): Promise<LastGrid> {
    const own = () => readLastGridRows(this.base.db, q);
    const asked = this.pool.read("readLastGrid", [q]);
    if (!asked) return own();
    try {
      const answer = await asked;
      return "value" in answer ? answer.value : own();
    } catch (err) {
      if (err instanceof ReadThreadGoneError) return own();
      throw err;
    }
  }

  // ---- writes and the rest: the store's own connection ----
  createRun: Store["createRun"] = (run) => this.base.createRun(run);
  updateRun: Store["updateRun"] = (id, patch) => this.base.updateRun(id, patch);
  deleteRun: Store["deleteRun"] = (id) => this.base.deleteRun(id);
  appendHistory: Store["appendHistory"] = (id, rows) => this.base.appendHistory(id, rows);
  appendSystem: Store["appendSystem"] = (id, samples) => this.base.appendSystem(id, samples);
  appendConsole: Store["appendConsole"] = (id, lines) => this.base.appendConsole(id, lines);
  reapCrashed: Store["reapCrashed"] = (staleAfterMs) => this.base.reapCrashed(staleAfterMs);
  changeVersion = (): Promise<number> => this.base.changeVersion();

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.base.transaction(fn);
  }

  /** Ends the pool's threads; the store itself stays open. */
  closeReads(): Promise<void> {
    return this.pool.close();
  }

  /** Ends the pool's threads and closes the store. */
  async close(): Promise<void> {
    await this.pool.close();
    await this.base.close();
  }

  /** Store method `M`, read in a thread when one is ready, else (or when it must) by `base`. */
  #reader<M extends Exclude<PoolRead, "readLastGrid">>(
    method: M,
  ): (...args: PoolArgs<M>) => Promise<PoolValue<M>> {
    const own = (args: PoolArgs<M>) =>
      (this.base[method] as (...a: PoolArgs<M>) => Promise<PoolValue<M>>).apply(this.base, args);
    return async (...args) => {
      const asked = this.pool.read(method, args);
      if (!asked) return own(args);
      try {
        const answer = await asked;
        return "value" in answer ? answer.value : own(args);
      } catch (err) {
        if (err instanceof ReadThreadGoneError) return own(args);
        throw err;
      }
    };
  }
}
