/**
 * Applies validated write operations exactly once. Each (run, writer) pair has a ledger row
 * holding the last applied sequence number; the ops and the ledger update commit in one SQLite
 * transaction, so a retried request whose answer was lost is acknowledged without writing twice
 * (history chunks are appended, so a second write would double points).
 *
 * With a non-SQLite store the ledger is in memory and ops are applied one by one: retries are
 * still deduplicated while the server lives, but a batch is not atomic.
 */

import type { Statement } from "better-sqlite3";
import { batchToRows, type HistoryBatch, type NumberColumn } from "../store/history-batch.js";
import { pathOf, withRetry } from "../store/sqlite/db.js";
import { storeWriteError } from "../store/sqlite/faults.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { RunPatch, RunRecord, Store } from "../store/types.js";
import { StoreError } from "../store/types.js";
import { ApiError } from "./errors.js";
import type { BatchResult, HistoryColumns, Op } from "./protocol.js";

const LEDGER_SQL = `CREATE TABLE IF NOT EXISTS server_ingest (
  run TEXT NOT NULL,
  writer TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  updated_at REAL NOT NULL,
  PRIMARY KEY (run, writer)
) WITHOUT ROWID`;

/**
 * A check of a write against the run as it is, in the write's transaction: `prev` is the run
 * (undefined when it does not exist yet), `knownWriter` whether this writer wrote to it before.
 * Throws to refuse the whole request.
 */
export type WriteGuard = (prev: RunRecord | undefined, knownWriter: boolean) => void;

export interface Ingestor {
  /**
   * Applies `ops` for `runId`; `writer` undefined = no deduplication. `opField` names op `i` in
   * errors (default `ops[i]`; a single-op route passes its own name).
   */
  apply(
    runId: string,
    writer: string | undefined,
    ops: readonly Op[],
    opField?: (i: number) => string,
    guard?: WriteGuard,
  ): Promise<BatchResult>;
}

const defaultOpField = (i: number) => `ops[${i}]`;

/**
 * A store refusal while applying op `i`, as an API error naming the field: the URL's run id for
 * an unknown run or an id that exists, else the op. (A StoreError alone names no field.)
 */
function opError(err: unknown, i: number, opField: (i: number) => string): unknown {
  if (!(err instanceof StoreError)) return err;
  if (err.code === "not_found") return new ApiError(404, "not_found", err.message, "id");
  if (err.code === "duplicate") return new ApiError(409, "duplicate", err.message, "id");
  if (err.code === "invalid") return new ApiError(400, "invalid", err.message, opField(i));
  return err;
}

/** Patch for a `create` with resume of an existing run (like `init({ resume: "allow" })`). */
function resumePatch(op: Extract<Op, { type: "create" }>, prev: RunRecord): RunPatch {
  const r = op.run;
  return {
    state: "running",
    exitCode: null,
    finishedAt: null,
    heartbeatAt: Date.now(),
    config: { ...prev.config, ...(r.config ?? {}) },
    ...(r.pid !== undefined ? { pid: r.pid ?? null } : {}),
    ...(r.host !== undefined ? { host: r.host ?? null } : {}),
    ...(r.tags !== undefined ? { tags: r.tags } : {}),
    ...(r.notes !== undefined && r.notes !== null ? { notes: r.notes } : {}),
  };
}

/** A heartbeat for a run the server reaped while its client could not reach it revives it. */
function revive(patch: RunPatch, prev: RunRecord | undefined): RunPatch {
  if (prev?.state === "crashed" && patch.state === undefined && patch.heartbeatAt !== undefined) {
    return { ...patch, state: "running", finishedAt: null };
  }
  return patch;
}

/** Columns from the wire into the store's batch form (typed arrays). */
export function toBatch(c: HistoryColumns): HistoryBatch {
  const columns = new Map<string, NumberColumn>();
  for (const k in c.columns) {
    const col = c.columns[k];
    const n = col.values.length;
    let rows: Int32Array;
    if (col.rows) rows = Int32Array.from(col.rows);
    else {
      rows = new Int32Array(n);
      for (let i = 0; i < n; i++) rows[i] = i;
    }
    columns.set(k, { n, rows, values: Float64Array.from(col.values) });
  }
  return {
    rows: c.steps.length,
    steps: Float64Array.from(c.steps),
    runtimes: Float64Array.from(c.runtimes),
    timestamps: Float64Array.from(c.timestamps),
    columns,
    others: c.others,
  };
}

function checkOpRuns(runId: string, ops: readonly Op[], opField: (i: number) => string): void {
  ops.forEach((op, i) => {
    if (op.type === "create" && op.run.id !== undefined && op.run.id !== runId) {
      const field = `${opField(i)}.run.id`;
      throw new ApiError(
        400,
        "invalid",
        `${field}: ${op.run.id} differs from the URL's ${runId}`,
        field,
      );
    }
  });
}

class SqliteIngestor implements Ingestor {
  #ledgerStmts: { getSeq: Statement; setSeq: Statement } | undefined;
  constructor(private readonly store: SqliteStore) {}

  /**
   * The ledger's statements; its table is created at the first write, not at startup, so that
   * a server over a store that cannot be written (full, read-only) still starts and reads.
   */
  #ledger(): { getSeq: Statement; setSeq: Statement } {
    if (this.#ledgerStmts) return this.#ledgerStmts;
    const db = this.store.db;
    try {
      db.exec(LEDGER_SQL);
    } catch (err) {
      throw storeWriteError(pathOf(db), err);
    }
    this.#ledgerStmts = {
      getSeq: db.prepare("SELECT last_seq FROM server_ingest WHERE run = ? AND writer = ?"),
      setSeq: db.prepare(
        `INSERT INTO server_ingest (run, writer, last_seq, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (run, writer) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`,
      ),
    };
    return this.#ledgerStmts;
  }

  async apply(
    runId: string,
    writer: string | undefined,
    ops: readonly Op[],
    opField = defaultOpField,
    guard?: WriteGuard,
  ): Promise<BatchResult> {
    checkOpRuns(runId, ops, opField);
    const s = this.store;
    const db = s.db;
    const { getSeq, setSeq } = this.#ledger();
    const tx = db.transaction((): BatchResult => {
      const ledger = writer
        ? (getSeq.get(runId, writer) as { last_seq: number } | undefined)
        : undefined;
      guard?.(s.getRunSync(runId), ledger !== undefined);
      const last = ledger?.last_seq ?? 0;
      let applied = 0;
      let skipped = 0;
      let lastSeq = last;
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        if (writer && op.seq <= last) {
          skipped++;
          continue;
        }
        try {
          applyOpSync(s, runId, op);
        } catch (err) {
          throw opError(err, i, opField);
        }
        applied++;
        lastSeq = Math.max(lastSeq, op.seq);
      }
      if (writer && applied > 0) setSeq.run(runId, writer, lastSeq, Date.now());
      const rec = s.getRunSync(runId);
      return { applied, skipped, lastSeq, nextStep: rec?.nextStep ?? 0 };
    });
    try {
      return withRetry(() => tx.immediate());
    } catch (err) {
      throw storeWriteError(pathOf(db), err); // a full or read-only store: 503, data kept
    }
  }
}

/**
 * An empty list writes nothing, but for an unknown run it must still be a 404: otherwise the
 * ledger records a seq for a run that does not exist.
 */
function requireRun(s: SqliteStore, runId: string): void {
  if (!s.getRunSync(runId)) {
    throw new StoreError(`unknown run id ${JSON.stringify(runId)}`, "not_found");
  }
}

function applyOpSync(s: SqliteStore, runId: string, op: Op): void {
  switch (op.type) {
    case "create": {
      const prev = s.getRunSync(runId);
      if (prev) {
        if (!op.resume)
          throw new StoreError(`run id ${JSON.stringify(runId)} already exists`, "duplicate");
        s.updateRunSync(runId, resumePatch(op, prev));
      } else {
        s.createRunSync({ ...op.run, id: runId });
      }
      return;
    }
    case "history":
      if (op.rows.length > 0) s.appendHistorySync(runId, op.rows);
      else requireRun(s, runId);
      return;
    case "history_cols":
      if (op.cols.steps.length > 0) s.appendHistoryBatchSync(runId, toBatch(op.cols));
      else requireRun(s, runId);
      return;
    case "system":
      if (op.samples.length > 0) s.appendSystemSync(runId, op.samples);
      else requireRun(s, runId);
      return;
    case "console":
      if (op.lines.length > 0) s.appendConsoleSync(runId, op.lines);
      else requireRun(s, runId);
      return;
    case "patch":
      s.updateRunSync(runId, revive(op.patch, s.getRunSync(runId)));
      return;
  }
}

class GenericIngestor implements Ingestor {
  readonly #ledger = new Map<string, number>();
  readonly #locks = new Map<string, Promise<unknown>>();
  constructor(private readonly store: Store) {}

  apply(
    runId: string,
    writer: string | undefined,
    ops: readonly Op[],
    opField = defaultOpField,
    guard?: WriteGuard,
  ): Promise<BatchResult> {
    checkOpRuns(runId, ops, opField);
    // One batch at a time per run, so the ledger check and the writes do not interleave.
    const prev = this.#locks.get(runId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(() => this.#apply(runId, writer, ops, opField, guard));
    this.#locks.set(runId, next);
    return next;
  }

  async #apply(
    runId: string,
    writer: string | undefined,
    ops: readonly Op[],
    opField: (i: number) => string,
    guard: WriteGuard | undefined,
  ): Promise<BatchResult> {
    const k = `${runId}\u0000${writer}`;
    guard?.(await this.store.getRun(runId), writer !== undefined && this.#ledger.has(k));
    const last = writer ? (this.#ledger.get(k) ?? 0) : 0;
    let applied = 0;
    let skipped = 0;
    let lastSeq = last;
    const s = this.store;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (writer && op.seq <= last) {
        skipped++;
        continue;
      }
      try {
        await this.#applyOne(runId, op);
      } catch (err) {
        throw opError(err, i, opField);
      }
      applied++;
      lastSeq = op.seq;
      if (writer) this.#ledger.set(k, lastSeq);
    }
    const rec = await s.getRun(runId);
    return { applied, skipped, lastSeq, nextStep: rec?.nextStep ?? 0 };
  }

  async #applyOne(runId: string, op: Op): Promise<void> {
    const s = this.store;
    switch (op.type) {
      case "create": {
        const prev = await s.getRun(runId);
        if (prev && !op.resume) throw new StoreError(`run ${runId} already exists`, "duplicate");
        if (prev) await s.updateRun(runId, resumePatch(op, prev));
        else await s.createRun({ ...op.run, id: runId });
        break;
      }
      case "history":
        await s.appendHistory(runId, op.rows);
        break;
      case "history_cols":
        await s.appendHistory(runId, batchToRows(toBatch(op.cols)));
        break;
      case "system":
        await s.appendSystem(runId, op.samples);
        break;
      case "console":
        await s.appendConsole(runId, op.lines);
        break;
      case "patch":
        await s.updateRun(runId, revive(op.patch, await s.getRun(runId)));
        break;
    }
  }
}

export function makeIngestor(store: Store): Ingestor {
  return store instanceof SqliteStore ? new SqliteIngestor(store) : new GenericIngestor(store);
}
