/**
 * `PostgresStore.transaction`: the callback's writes on one pooled connection between BEGIN and
 * COMMIT, the server's exactly-once ledger (`server_ingest`) in the same transaction, and after
 * the commit a `NOTIFY` for the live watchers of every process (`changes.ts`).
 *
 * Transactions run concurrently on the pool (that is what the pool is for), so the turns the
 * `Store` contract promises are taken by locks, per what a transaction touches: the ledger of a
 * (run, writer) by a transaction-scoped advisory lock taken when it is first read (on
 * `hashtextextended('<run>/<writer>', 0)`), a run by its
 * row lock (taken by `getRun` and every write). Two transactions on the same run, from this
 * process or another server process, therefore run one after the other; on different runs they
 * run side by side. A deadlock or a restarted database aborts the transaction, and the store
 * runs the callback again (the ledger makes a retried batch a no-op when the first try did
 * commit).
 */
import type pg from "pg";
import type { HistoryBatch } from "../history-batch.js";
import { rowsToBatch } from "../history-batch.js";
import { checkHistoryRows } from "../history-checks.js";
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
import { writeConsole, writeHistoryBatch, writeSystem } from "./history-write.js";
import {
  deleteRunRows,
  getRawRunRow,
  insertRun,
  markCrashed,
  patchRun,
  type RunRow,
  recordOfKept,
} from "./runs.js";

/**
 * What a write changed in a run's row, by what it may change in a runs page: `history` only
 * `next_step`; `flush` only the summary and heartbeat (a tracker's flush); `other` anything
 * (state, name, tags, a new or deleted run...). A page's ids stay unless some write could move
 * them (`run-page-cache.ts`).
 */
export type RowWrite = "history" | "flush" | "other";

const ROW_WRITE_RANK: Record<RowWrite, number> = { history: 0, flush: 1, other: 2 };

/** Notes that run `id` was written `how` in `into`, keeping the widest kind of write per run. */
export function noteRowWrite(into: Map<string, RowWrite>, id: string, how: RowWrite): void {
  const was = into.get(id);
  if (was === undefined || ROW_WRITE_RANK[how] > ROW_WRITE_RANK[was]) into.set(id, how);
}

/** The patch fields of a flush (see {@link RowWrite}). */
const FLUSH_FIELDS = new Set(["summary", "heartbeatAt"]);

export class PgTransaction implements StoreTransaction {
  ended = false;
  /** Whether anything was written (only then is a NOTIFY sent). */
  wrote = false;
  /** Runs whose series (history, system samples) this transaction wrote or deleted. */
  readonly seriesWritten = new Set<string>();
  /**
   * Runs whose row this transaction wrote or deleted (the runs pages they are on go stale), and
   * how: see {@link RowWrite}.
   */
  readonly runsWritten = new Map<string, RowWrite>();
  /** Runs this transaction created, with their projects. */
  readonly created: { id: string; project: string }[] = [];
  /**
   * Runs' rows as this transaction last read or wrote them (it holds their row locks, so no one
   * else changes them before it ends): the ingest looks at its run three times a request (the
   * guard, a heartbeat's revival, the answer's `nextStep`), and two of those looks now cost no
   * round trip. An update answers the row it leaves (`RETURNING`), a history write its
   * `next_step`; any other write to a run forgets it.
   */
  readonly #rows = new Map<string, RunRow>();
  constructor(private readonly client: pg.PoolClient) {}

  #open(write: boolean, seriesOf?: string): pg.PoolClient {
    checkTransactionOpen(this.ended);
    if (write) this.wrote = true;
    if (seriesOf !== undefined) this.seriesWritten.add(seriesOf);
    return this.client;
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    const client = this.#open(false);
    let row = this.#rows.get(id);
    if (!row) {
      row = await getRawRunRow(client, id, true);
      if (row) this.#rows.set(id, row);
    }
    return row && recordOfKept(row);
  }
  async createRun(run: RunInit): Promise<void> {
    await this.createRunRecord(run);
  }
  /** `createRun` answering the record (the store's own `createRun` uses it). */
  createRunRecord(run: RunInit): Promise<RunRecord> {
    const client = this.#open(true);
    this.#forget([run.id]);
    this.#wroteRow(run.id, "other");
    this.created.push({ id: run.id, project: run.project });
    return insertRun(client, run);
  }
  async updateRun(id: string, patch: RunPatch): Promise<void> {
    const client = this.#open(true);
    this.#forget([id]);
    let flush = true;
    for (const k in patch) if (!FLUSH_FIELDS.has(k)) flush = false;
    this.#wroteRow(id, flush ? "flush" : "other");
    const row = await patchRun(client, id, patch);
    if (row) this.#rows.set(id, row);
  }
  /** The run and everything stored for it (the store's `deleteRun`). */
  deleteRun(id: string): Promise<void> {
    const client = this.#open(true, id);
    this.#forget([id]);
    this.#wroteRow(id, "other");
    return deleteRunRows(client, id);
  }
  /** Marks these runs crashed if still running; answers those changed (the reapers). */
  markCrashed(ids: readonly string[]): Promise<string[]> {
    const client = this.#open(true);
    this.#forget(ids);
    for (const id of ids) this.#wroteRow(id, "other");
    return markCrashed(client, ids);
  }
  async appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    checkHistoryRows(rows);
    await this.appendHistoryBatch(runId, rowsToBatch(rows));
  }
  async appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void> {
    const client = this.#open(true, runId);
    const kept = this.#rows.get(runId);
    this.#forget([runId]);
    this.#wroteRow(runId, "history");
    const nextStep = await writeHistoryBatch(client, runId, batch);
    // A history write changes only the run's `next_step` (to what it answers).
    if (kept)
      this.#rows.set(runId, nextStep === undefined ? kept : { ...kept, next_step: nextStep });
  }

  #wroteRow(id: string, how: RowWrite): void {
    noteRowWrite(this.runsWritten, id, how);
  }

  /** Forgotten before a write is sent: a failed write leaves nothing kept that it may have changed. */
  #forget(ids: readonly (string | undefined)[]): void {
    for (const id of ids) if (id !== undefined) this.#rows.delete(id);
  }
  async appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    await writeSystem(this.#open(true, runId), runId, samples);
  }
  async appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    await writeConsole(this.#open(true), runId, lines);
  }
  async ingestSeq(runId: string, writer: string): Promise<number | undefined> {
    const c = this.#open(false);
    // Held to the end of the transaction: a second request of this (run, writer), here or in
    // another server process, reads the ledger only after this one committed or rolled back.
    // One round trip: the lock, then the read (`amltk_ingest_seq`, migration 2).
    const r = await c.query<{ last_seq: number | null }>(
      "SELECT amltk_ingest_seq($1, $2) AS last_seq",
      [runId, writer],
    );
    return r.rows[0]?.last_seq ?? undefined;
  }
  async setIngestSeq(runId: string, writer: string, seq: number): Promise<void> {
    await this.#open(true).query(
      `INSERT INTO server_ingest (run, writer, last_seq, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (run, writer) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`,
      [runId, writer, seq, Date.now()],
    );
  }
}
