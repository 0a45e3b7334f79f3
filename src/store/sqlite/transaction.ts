/**
 * `SqliteStore.transaction`: BEGIN IMMEDIATE, the callback's writes, COMMIT (or ROLLBACK when
 * it throws). The writes go through the store's sync methods, so each of the callback's awaits
 * resolves at once and the write lock is held only for the callback's own work. The server's
 * exactly-once ledger (`server_ingest`) lives in the same file and commits with the data.
 */
import type { HistoryBatch } from "../history-batch.js";
import { checkTransactionOpen } from "../transaction-ended.js";
import type {
  ConsoleLine,
  HistoryRow,
  RunInit,
  RunPatch,
  RunRecord,
  StoreTransaction,
  SystemSample,
} from "../types.js";
import { type Db, pathOf, stmt, withRetry } from "./db.js";
import { storeWriteError } from "./faults.js";

/** The sync writers of `SqliteStore` that a transaction uses (its crash check and reserve included). */
export interface SqliteWriter {
  readonly db: Db;
  getRunSync(id: string): RunRecord | undefined;
  createRunSync(run: RunInit): RunRecord;
  updateRunSync(id: string, patch: RunPatch): void;
  appendHistorySync(runId: string, rows: readonly HistoryRow[]): void;
  appendHistoryBatchSync(runId: string, batch: HistoryBatch): void;
  appendSystemSync(runId: string, samples: readonly SystemSample[]): void;
  appendConsoleSync(runId: string, lines: readonly ConsoleLine[]): void;
}

const LEDGER_SQL = `CREATE TABLE IF NOT EXISTS server_ingest (
  run TEXT NOT NULL,
  writer TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  updated_at REAL NOT NULL,
  PRIMARY KEY (run, writer)
) WITHOUT ROWID`;

/**
 * Connections whose ledger table is known to exist. The table is made at the first write, not
 * at open, so that a store that cannot be written (full, read-only) still opens and reads; it
 * is marked here only once that first transaction committed (a rollback drops the table too).
 */
const ledgerReady = new WeakSet<Db>();

class SqliteTransaction implements StoreTransaction {
  ended = false;
  madeLedger = false;
  constructor(private readonly s: SqliteWriter) {}

  #open(): SqliteWriter {
    checkTransactionOpen(this.ended);
    return this.s;
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.#open().getRunSync(id);
  }
  async createRun(run: RunInit): Promise<void> {
    this.#open().createRunSync(run);
  }
  async updateRun(id: string, patch: RunPatch): Promise<void> {
    this.#open().updateRunSync(id, patch);
  }
  async appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    this.#open().appendHistorySync(runId, rows);
  }
  async appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void> {
    this.#open().appendHistoryBatchSync(runId, batch);
  }
  async appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    this.#open().appendSystemSync(runId, samples);
  }
  async appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    this.#open().appendConsoleSync(runId, lines);
  }
  async ingestSeq(runId: string, writer: string): Promise<number | undefined> {
    const db = this.#ledgerDb();
    const row = stmt(db, "SELECT last_seq FROM server_ingest WHERE run = ? AND writer = ?").get(
      runId,
      writer,
    ) as { last_seq: number } | undefined;
    return row?.last_seq;
  }
  async setIngestSeq(runId: string, writer: string, seq: number): Promise<void> {
    stmt(
      this.#ledgerDb(),
      `INSERT INTO server_ingest (run, writer, last_seq, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (run, writer) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`,
    ).run(runId, writer, seq, Date.now());
  }
  #ledgerDb(): Db {
    const db = this.#open().db;
    if (!ledgerReady.has(db) && !this.madeLedger) {
      db.exec(LEDGER_SQL);
      this.madeLedger = true;
    }
    return db;
  }
}

/**
 * Runs `fn` in a write transaction on the store's connection. Errors come out typed as the
 * store's other writes do: a full disk is a `StoreFullError`, a read-only file a
 * `StoreError("readonly")`; anything `fn` throws itself is passed on unchanged.
 */
export async function sqliteTransaction<T>(
  s: SqliteWriter,
  fn: (tx: StoreTransaction) => Promise<T>,
): Promise<T> {
  const db = s.db;
  try {
    withRetry(() => stmt(db, "BEGIN IMMEDIATE").run());
  } catch (err) {
    throw storeWriteError(pathOf(db), err);
  }
  const tx = new SqliteTransaction(s);
  try {
    const out = await fn(tx);
    tx.ended = true;
    stmt(db, "COMMIT").run();
    if (tx.madeLedger) ledgerReady.add(db);
    return out;
  } catch (err) {
    tx.ended = true;
    // SQLite may already have rolled back by itself (some I/O and full-disk errors do).
    if (db.inTransaction) stmt(db, "ROLLBACK").run();
    throw storeWriteError(pathOf(db), err);
  }
}
