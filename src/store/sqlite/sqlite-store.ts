/** `SqliteStore`: the embedded default backend (one `amltk.db` per folder, WAL, multi-process safe). */
import { hostname } from "node:os";
import type { BatchWriter, HistoryBatch } from "../history-batch.js";
import { ownerDead, type RunOwner } from "../run-record.js";
import { StoreFullError } from "../store-full-error.js";
import { TransactionQueue } from "../transaction-queue.js";
import {
  type ConsoleLine,
  type HistoryKeyInfo,
  type HistoryRow,
  type Point,
  type PointQuery,
  type ProjectInfo,
  type RunInit,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type Series,
  type SeriesQuery,
  type Store,
  StoreError,
  type StoreTransaction,
  type SystemSample,
} from "../types.js";
import { type Db, openDb, stmt, withRetry, writeTx } from "./db.js";
import { isFull, isReadOnly } from "./faults.js";
import {
  appendConsoleRows,
  appendHistoryBatch,
  appendHistoryRows,
  appendSystemRows,
  historyKeyRows,
  readConsoleRows,
  readHistoryRows,
  readPointRows,
} from "./history.js";
import { writeNewClosedRun } from "./new-closed-run.js";
import { writeRunHistory } from "./packed-history.js";
import { consoleCountRow, projectRows, systemKeyRows } from "./read-pool-queries.js";
import { releaseReserve } from "./reserve.js";
import {
  getRunRow,
  insertRun,
  insertRunRow,
  patchRun,
  patchRunRow,
  queryRuns,
  requireRun,
} from "./runs.js";
import { readSeriesRows } from "./series.js";
import { sqliteTransaction } from "./transaction.js";

// Re-exported where it always was (the package's store entry exports it from here).
export { isPidDead } from "../run-record.js";

/** The owner columns of a running run, as the reapers select them. */
interface OwnerRow {
  id: string;
  pid: number | null;
  host: string | null;
  owner_start: string | null;
}

function owner(r: OwnerRow): RunOwner {
  return { pid: r.pid, host: r.host, ownerStart: r.owner_start };
}

/**
 * The local-first {@link Store}: one SQLite file, `<dir>/amltk.db`, that tracked runs write
 * to and the server reads from (several processes may share it).
 *
 * @example
 * ```ts
 * import { SqliteStore } from "amltk/server";
 * import { init } from "amltk/track";
 *
 * const store = await SqliteStore.open("./amltk-runs");
 * const run = await init({ project: "demo", store, config: { lr: 0.1 } });
 * run.log({ loss: 0.5 });
 * await run.finish();
 * const { runs, total } = await store.listRuns({ project: "demo" });
 * await store.close();
 * ```
 */
export class SqliteStore implements Store, BatchWriter {
  readonly kind = "sqlite";
  #db: Db | undefined;
  readonly #transactions = new TransactionQueue();
  /** What {@link SqliteStore.changeVersion} last saw, and the number it gave out. */
  readonly #change = { dataVersion: -1, ownChanges: -1, version: 0 };

  private constructor(
    db: Db,
    readonly dir: string,
  ) {
    this.#db = db;
  }

  /** Opens (creating) `<dir>/amltk.db`. */
  static async open(dir: string): Promise<SqliteStore> {
    return SqliteStore.openSync(dir);
  }

  static openSync(dir: string): SqliteStore {
    return new SqliteStore(openDb(dir), dir);
  }

  get db(): Db {
    if (!this.#db) throw new StoreError(`store at ${this.dir} is closed`, "closed");
    return this.#db;
  }

  // ---- sync API (usable from process exit handlers) ----

  createRunSync(run: RunInit): RunRecord {
    return insertRun(this.db, run);
  }

  getRunSync(id: string): RunRecord | undefined {
    const db = this.db;
    const run = withRetry(() => getRunRow(db, id));
    if (run?.state === "running" && ownerDead(run)) {
      this.#markCrashed([run.id]);
      return withRetry(() => getRunRow(db, id));
    }
    return run;
  }

  updateRunSync(id: string, patch: RunPatch): void {
    try {
      patchRun(this.db, id, patch);
    } catch (err) {
      // A write that closes a run may use the space kept in reserve, once (reserve.ts).
      const closing = patch.state !== undefined && patch.state !== "running";
      if (!(err instanceof StoreFullError) || !closing || !releaseReserve(this.dir)) throw err;
      patchRun(this.db, id, patch);
    }
  }

  deleteRunSync(id: string): void {
    const db = this.db;
    writeTx(db, () => {
      requireRun(db, id);
      for (const t of [
        "history_steps",
        "history_chunks",
        "history_values",
        "system_values",
        "console_lines",
      ]) {
        db.prepare(`DELETE FROM ${t} WHERE run = ?`).run(id);
      }
      db.prepare("DELETE FROM runs WHERE id = ?").run(id);
    });
  }

  listRunsSync(query?: RunQuery): { runs: RunRecord[]; total: number } {
    this.#reapDeadPids();
    const db = this.db;
    return withRetry(() => queryRuns(db, query));
  }

  appendHistorySync(runId: string, rows: readonly HistoryRow[]): void {
    appendHistoryRows(this.db, runId, rows);
  }

  /** Columnar batch from the tracker's buffer: packed into chunks, one transaction. */
  appendHistoryBatchSync(runId: string, batch: HistoryBatch): void {
    appendHistoryBatch(this.db, runId, batch);
  }

  async appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void> {
    this.appendHistoryBatchSync(runId, batch);
  }

  appendSystemSync(runId: string, samples: readonly SystemSample[]): void {
    appendSystemRows(this.db, runId, samples);
  }

  appendConsoleSync(runId: string, lines: readonly ConsoleLine[]): void {
    appendConsoleRows(this.db, runId, lines);
  }

  /**
   * A tracker's flush or finish in ONE transaction: history batches, then the run patch
   * (summary, state ...), then console lines. A commit costs more than the few rows of a
   * trial-sized run, so this is one instead of three. All or nothing: on error none of it
   * is written (the caller may then write the parts separately).
   */
  writeRunSync(
    runId: string,
    write: {
      /**
       * The run is new and not stored yet: its row is inserted first, in the same commit (a
       * tracker whose run row waits for its first write, see `RunWrite.create`).
       */
      create?: RunInit;
      history: readonly HistoryBatch[];
      /** The run has no history stored yet (see `writeBatch`). */
      fresh?: boolean;
      patch?: RunPatch;
      console?: readonly ConsoleLine[];
    },
  ): void {
    const db = this.db;
    // A write that closes the run may store its whole history as a pack (packed-history.ts).
    const closing = write.patch?.state !== undefined && write.patch.state !== "running";
    if (write.create && write.patch && closing) {
      writeNewClosedRun(db, runId, write.create, write.patch, write.history, write.console);
      return;
    }
    writeTx(db, () => {
      if (write.create) insertRunRow(db, { ...write.create, id: runId });
      const fresh = write.fresh === true || write.create !== undefined;
      const packed = writeRunHistory(db, runId, write.history, fresh, closing);
      // A pack comes only with a closing patch, and is written by its row update.
      if (write.patch) patchRunRow(db, runId, write.patch, packed);
      if (write.console && write.console.length > 0) appendConsoleRows(db, runId, write.console);
    });
  }

  reapCrashedSync(staleAfterMs = 30_000): string[] {
    const db = this.db;
    const running = withRetry(
      () =>
        db
          .prepare(
            "SELECT id, pid, host, owner_start, heartbeat_at FROM runs WHERE state = 'running'",
          )
          .all() as (OwnerRow & { heartbeat_at: number })[],
    );
    const now = Date.now();
    const ids = running
      .filter((r) => ownerDead(owner(r)) || now - r.heartbeat_at > staleAfterMs)
      .map((r) => r.id);
    return this.#markCrashed(ids);
  }

  closeSync(): void {
    this.#db?.close();
    this.#db = undefined;
  }

  #reapDeadPids(): void {
    const db = this.db;
    const running = withRetry(
      () =>
        db
          .prepare(
            "SELECT id, pid, host, owner_start FROM runs WHERE state = 'running' AND host = ?",
          )
          .all(hostname()) as OwnerRow[],
    );
    this.#markCrashed(running.filter((r) => ownerDead(owner(r))).map((r) => r.id));
  }

  /**
   * Marks the given runs crashed if they are still running; returns those actually changed.
   * Best-effort: readers call it, and reading must work on a store that cannot be written (a
   * full disk, a read-only file or folder), so those failures mark nothing and return [].
   */
  #markCrashed(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    const db = this.db;
    const now = Date.now();
    try {
      return writeTx(db, () => {
        const upd = db.prepare(
          "UPDATE runs SET state = 'crashed', finished_at = COALESCE(finished_at, ?) WHERE id = ? AND state = 'running'",
        );
        return ids.filter((id) => upd.run(now, id).changes > 0);
      });
    } catch (err) {
      if (isFull(err) || isReadOnly(err)) return [];
      throw err;
    }
  }

  // ---- Store (async) ----

  async createRun(run: RunInit): Promise<RunRecord> {
    return this.createRunSync(run);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.getRunSync(id);
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    this.updateRunSync(id, patch);
  }

  async deleteRun(id: string): Promise<void> {
    this.deleteRunSync(id);
  }

  async listRuns(query?: RunQuery): Promise<{ runs: RunRecord[]; total: number }> {
    return this.listRunsSync(query);
  }

  async listProjects(): Promise<ProjectInfo[]> {
    this.#reapDeadPids();
    const db = this.db;
    return withRetry(() => projectRows(db));
  }

  async appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    this.appendHistorySync(runId, rows);
  }

  async readHistory(
    runId: string,
    opts?: { minStep?: number; maxStep?: number; limit?: number },
  ): Promise<HistoryRow[]> {
    const db = this.db;
    return withRetry(() => readHistoryRows(db, runId, opts));
  }

  async readPoints(query: PointQuery): Promise<Point[]> {
    const db = this.db;
    return withRetry(() => readPointRows(db, query));
  }

  async historyKeys(runId: string): Promise<HistoryKeyInfo[]> {
    const db = this.db;
    return withRetry(() => historyKeyRows(db, runId));
  }

  async readSeries(query: SeriesQuery): Promise<Series[]> {
    const db = this.db;
    return withRetry(() => readSeriesRows(db, query));
  }

  async appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    this.appendSystemSync(runId, samples);
  }

  async appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    this.appendConsoleSync(runId, lines);
  }

  async readConsole(
    runId: string,
    opts?: { offset?: number; limit?: number },
  ): Promise<ConsoleLine[]> {
    const db = this.db;
    return withRetry(() => readConsoleRows(db, runId, opts));
  }

  async consoleCount(runId: string): Promise<number> {
    const db = this.db;
    return withRetry(() => consoleCountRow(db, runId));
  }

  async systemKeys(runId: string): Promise<string[]> {
    const db = this.db;
    return withRetry(() => systemKeyRows(db, runId));
  }

  async reapCrashed(staleAfterMs?: number): Promise<string[]> {
    return this.reapCrashedSync(staleAfterMs);
  }

  /**
   * A number that changes when anything was committed since the last call: by another
   * connection (`PRAGMA data_version`, which a connection's own commits leave alone) or by this
   * one (`total_changes()`). Both are free to ask, so a live watcher polls this every tick.
   *
   * @example
   * ```ts
   * const before = await store.changeVersion();
   * await store.updateRun(id, { notes: "x" });
   * (await store.changeVersion()) !== before; // true
   * ```
   */
  async changeVersion(): Promise<number> {
    return this.changeVersionSync();
  }

  changeVersionSync(): number {
    const db = this.db;
    const dataVersion = db.pragma("data_version", { simple: true }) as number;
    const ownChanges = (stmt(db, "SELECT total_changes() AS n").get() as { n: number }).n;
    const c = this.#change;
    if (dataVersion !== c.dataVersion || ownChanges !== c.ownChanges) {
      c.dataVersion = dataVersion;
      c.ownChanges = ownChanges;
      c.version++;
    }
    return c.version;
  }

  /** One write transaction (BEGIN IMMEDIATE) on this connection; see {@link Store.transaction}. */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.#transactions.run(() => sqliteTransaction(this, fn));
  }

  async close(): Promise<void> {
    this.closeSync();
  }
}
